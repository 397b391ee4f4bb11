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
    cmd.args(["--lint-only", "-Wall", "-DVITFPGA_DSP48E2_MODEL", "--top-module", &d.top]);
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
    // Vendor primitives a design instantiates (DSP48E2) resolve to Yosys's Xilinx cell library.
    let script = format!(
        "read_verilog -lib +/xilinx/cells_sim.v; read_verilog -lib +/xilinx/cells_xtra.v; {} \
         hierarchy -check -top {}; proc; select -assert-none t:$dlatch t:$sr; check -assert",
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
        .args(["-g2012", "-DVITFPGA_DSP48E2_MODEL", "-o"])
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

/// DSP cascades as synthesis built them: after `synth_xilinx -family <family> -flatten`, the number
/// of DSP cells and how many of them take `PCIN` from another DSP's `PCOUT` (a partial sum moving
/// down a DSP column on the dedicated cascade, not through fabric routing or adders).
pub fn dsp_cascade_links(d: &Design, family: &str) -> Result<(u64, u64), CosimError> {
    if !have("yosys") {
        return Err(CosimError::MissingTool { tool: "yosys" });
    }
    let (work, files) = write_sources(d)?;
    let reads: Vec<String> = files.iter().map(|f| format!("read_verilog -sv {};", f.display())).collect();
    let net = work.join("net.v");
    let script = format!(
        "{} synth_xilinx -family {family} -top {} -flatten; write_verilog -noattr {}",
        reads.join(" "),
        d.top,
        net.display()
    );
    let o = Command::new("yosys").args(["-q", "-p", &script]).output().map_err(io_err(&work))?;
    tool_result("yosys synth_xilinx", d, o)?;
    let text = std::fs::read_to_string(&net).map_err(io_err(&work))?;
    let _ = std::fs::remove_dir_all(&work);
    // Each DSP instance is `DSP48E2 #(...) name ( ... .PCIN(net), ... .PCOUT(net), ... );`.
    let port = |body: &str, p: &str| -> Option<String> {
        let at = body.find(&format!(".{p}("))? + p.len() + 2;
        let end = at + body[at..].find(')')?;
        Some(body[at..end].trim().to_string())
    };
    let (mut pcin, mut pcout) = (vec![], std::collections::BTreeSet::new());
    for part in text.split("DSP48E").skip(1) {
        let body = &part[..part.find(");").unwrap_or(part.len())];
        if let Some(n) = port(body, "PCIN") {
            pcin.push(n);
        }
        if let Some(n) = port(body, "PCOUT") {
            if !n.is_empty() {
                pcout.insert(n);
            }
        }
    }
    let dsps = text.matches("DSP48E").count() as u64;
    let linked = pcin.iter().filter(|n| pcout.contains(*n)).count() as u64;
    Ok((dsps, linked))
}

/// Verilator lint with extra waivers on top of the standard ones (for generated cores whose
/// 32-bit instruction fields are deliberately narrowed at their uses).
pub fn lint_verilator_waiving(d: &Design, extra: &[&str]) -> Result<(), CosimError> {
    if !have("verilator") {
        return Err(CosimError::MissingTool { tool: "verilator" });
    }
    let (work, files) = write_sources(d)?;
    let mut cmd = Command::new("verilator");
    cmd.args(["--lint-only", "-Wall", "-DVITFPGA_DSP48E2_MODEL", "--top-module", &d.top]);
    for w in LINT_WAIVERS.iter().map(|(w, _)| *w).chain(extra.iter().copied()) {
        cmd.arg(format!("-Wno-{w}"));
    }
    let o = cmd.args(&files).output().map_err(io_err(&work))?;
    let r = tool_result("verilator --lint-only -Wall", d, o);
    let _ = std::fs::remove_dir_all(&work);
    r.map(|_| ())
}
