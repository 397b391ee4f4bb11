//! Quality gates every emitted design must pass: Verilator `-Wall` lint, Yosys structural
//! checks (hierarchy, no latches, no undriven or multiply-driven nets), Icarus compile, and
//! Yosys `synth_xilinx` resource counts.

use std::collections::BTreeMap;
use std::process::Command;

use crate::verilator::tempdir;
use crate::{have, io_err, CosimError, Design};

/// Warnings waived in generated code, with the reason. WIDTH, UNSIGNED and friends are never
/// waived: they sit exactly on the width bugs this project must not have.
pub const LINT_WAIVERS: &[(&str, &str)] = &[
    ("DECLFILENAME", "one file holds several generated modules"),
    ("UNUSEDPARAM", "shared leaf modules expose parameters not every instance uses"),
];

pub(crate) fn write_sources(d: &Design) -> Result<(std::path::PathBuf, Vec<std::path::PathBuf>), CosimError> {
    let work = tempdir()?;
    let mut files = vec![];
    for (n, t) in &d.sources {
        let p = work.join(n);
        std::fs::write(&p, t).map_err(io_err(&p))?;
        files.push(p);
    }
    Ok((work, files))
}

fn tool_result(tool: &'static str, d: &Design, o: std::process::Output) -> Result<String, CosimError> {
    let log = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    if o.status.success() {
        Ok(log)
    } else {
        Err(CosimError::Tool { tool, top: d.top.clone(), log })
    }
}

/// `verilator --lint-only -Wall` with only [`LINT_WAIVERS`].
pub fn lint_verilator(d: &Design) -> Result<(), CosimError> {
    if !have("verilator") {
        return Err(CosimError::MissingTool { tool: "verilator" });
    }
    let (work, files) = write_sources(d)?;
    let mut cmd = Command::new("verilator");
    cmd.args(["--lint-only", "-Wall", "--top-module", &d.top]);
    for (w, _) in LINT_WAIVERS {
        cmd.arg(format!("-Wno-{w}"));
    }
    let o = cmd.args(&files).output().map_err(io_err(&work))?;
    let r = tool_result("verilator --lint-only -Wall", d, o);
    let _ = std::fs::remove_dir_all(&work);
    r.map(|_| ())
}

/// Yosys: `hierarchy -check`, `proc`, then assert no latches and a clean `check`.
pub fn check_yosys(d: &Design) -> Result<(), CosimError> {
    if !have("yosys") {
        return Err(CosimError::MissingTool { tool: "yosys" });
    }
    let (work, files) = write_sources(d)?;
    let reads: Vec<String> = files.iter().map(|f| format!("read_verilog -sv {};", f.display())).collect();
    let script = format!(
        "{} hierarchy -check -top {}; proc; select -assert-none t:$dlatch t:$sr; check -assert",
        reads.join(" "),
        d.top
    );
    let o = Command::new("yosys").args(["-q", "-p", &script]).output().map_err(io_err(&work))?;
    let r = tool_result("yosys check", d, o);
    let _ = std::fs::remove_dir_all(&work);
    r.map(|_| ())
}

/// Icarus compiles the design (catches constructs Verilator accepts and others do not).
pub fn compile_icarus(d: &Design) -> Result<(), CosimError> {
    if !have("iverilog") {
        return Err(CosimError::MissingTool { tool: "iverilog" });
    }
    let (work, files) = write_sources(d)?;
    let o = Command::new("iverilog")
        .args(["-g2012", "-o"])
        .arg(work.join("a.out"))
        .args(["-s", &d.top])
        .args(&files)
        .output()
        .map_err(io_err(&work))?;
    let r = tool_result("iverilog", d, o);
    let _ = std::fs::remove_dir_all(&work);
    r.map(|_| ())
}

/// Cell counts after `synth_xilinx -family <family>` (e.g. `xcup`, `xc7`), plus the
/// LUT/FF/DSP/BRAM/URAM totals under those names. `lut` counts logic LUTs only; LUTs used as
/// distributed RAM (`lutram`) and as shift registers (`srl`) are listed apart, and a design's
/// LUT-site total is the sum of the three (Vivado's "CLB LUTs").
pub fn synth_xilinx(d: &Design, family: &str) -> Result<BTreeMap<String, u64>, CosimError> {
    if !have("yosys") {
        return Err(CosimError::MissingTool { tool: "yosys" });
    }
    let (work, files) = write_sources(d)?;
    let reads: Vec<String> = files.iter().map(|f| format!("read_verilog -sv {};", f.display())).collect();
    let script = format!("{} synth_xilinx -family {family} -top {} -flatten; stat", reads.join(" "), d.top);
    let o = Command::new("yosys").args(["-p", &script]).output().map_err(io_err(&work))?;
    let log = tool_result("yosys synth_xilinx", d, o)?;
    let _ = std::fs::remove_dir_all(&work);
    // The last `stat` block lists "     <count>   <cell type>".
    let stat = log.rsplit("Number of cells:").next().unwrap_or("");
    let mut cells = BTreeMap::new();
    for line in stat.lines().skip(1) {
        let mut it = line.split_whitespace();
        if let (Some(cell), Some(n)) = (it.next(), it.next()) {
            // Yosys prints "cell count" in 0.23: "     DSP48E2                       16"
            if let Ok(n) = n.parse::<u64>() {
                cells.insert(cell.to_string(), n);
            }
        }
    }
    let sum = |f: &dyn Fn(&str) -> bool| cells.iter().filter(|(k, _)| f(k)).map(|(_, v)| v).sum::<u64>();
    let lut = sum(&|k| k.starts_with("LUT") && k.len() == 4);
    let ff = sum(&|k| ["FDRE", "FDSE", "FDCE", "FDPE"].contains(&k));
    let dsp = sum(&|k| k.starts_with("DSP48") || k == "DSP58");
    let bram = sum(&|k| k.starts_with("RAMB36")) * 2 + sum(&|k| k.starts_with("RAMB18"));
    let uram = sum(&|k| k.starts_with("URAM"));
    let lutram = sum(&|k| k.starts_with("RAM") && (k.contains('M') && !k.starts_with("RAMB")));
    // Shift registers Yosys infers into LUTs (SLICEM); each cell takes one LUT site.
    let srl = sum(&|k| k.starts_with("SRL"));
    let carry = sum(&|k| k.starts_with("CARRY"));
    cells.insert("lut".into(), lut);
    cells.insert("ff".into(), ff);
    cells.insert("dsp".into(), dsp);
    cells.insert("bram18".into(), bram);
    cells.insert("uram".into(), uram);
    cells.insert("lutram".into(), lutram);
    cells.insert("srl".into(), srl);
    cells.insert("carry".into(), carry);
    Ok(cells)
}

/// Verilator lint with extra waivers on top of the standard ones (for generated cores whose
/// 32-bit instruction fields are deliberately narrowed at their uses).
pub fn lint_verilator_waiving(d: &Design, extra: &[&str]) -> Result<(), CosimError> {
    if !have("verilator") {
        return Err(CosimError::MissingTool { tool: "verilator" });
    }
    let (work, files) = write_sources(d)?;
    let mut cmd = Command::new("verilator");
    cmd.args(["--lint-only", "-Wall", "--top-module", &d.top]);
    for w in LINT_WAIVERS.iter().map(|(w, _)| *w).chain(extra.iter().copied()) {
        cmd.arg(format!("-Wno-{w}"));
    }
    let o = cmd.args(&files).output().map_err(io_err(&work))?;
    let r = tool_result("verilator --lint-only -Wall", d, o);
    let _ = std::fs::remove_dir_all(&work);
    r.map(|_| ())
}
