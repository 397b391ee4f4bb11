//! `vitfpga build`: compile a model for a device and write the design directory:
//! `rtl/vitfpga_accel.v`, `program.bin` (+ `program.txt`), `dram.bin` (program and constants at
//! their addresses; the host writes the image), `constraints/<board>.xdc`,
//! `vivado/create_project.tcl`, `yosys/synth.ys`, `summary.json` and the report
//! (`report.md`, `report.json`, `report.html`); `--synth yosys` synthesises the core too.

use std::path::{Path, PathBuf};

use vitfpga_compiler::CompileOptions;

use crate::error::CliError;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::design::Source,
    #[command(flatten)]
    design: super::design::DesignArgs,
    /// Output directory (replaced as a whole, never left half-written)
    #[arg(long)]
    out: PathBuf,
    /// Store every intermediate tensor to DRAM (verification builds)
    #[arg(long)]
    dump_intermediates: bool,
    /// Print the summary as JSON
    #[arg(long)]
    json: bool,
    /// Also synthesise the core and put the tool's figures beside the estimate (slow: minutes to hours)
    #[arg(long, value_enum)]
    synth: Option<super::report::SynthTool>,
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), CliError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|source| CliError::Io { path: d.display().to_string(), source })?;
    }
    std::fs::write(path, bytes).map_err(|source| CliError::Io { path: path.display().to_string(), source })
}

pub fn run(a: Args) -> Result<(), CliError> {
    let qm = a.source.load(a.json)?;
    let c = a.design.compile(&qm, CompileOptions { dump_intermediates: a.dump_intermediates, ..Default::default() })?;
    let device = vitfpga_device::Device::resolve(&a.design.device)?;
    let p = &c.program;
    let timeline = vitfpga_sim::timing::run(p);
    let f = vitfpga_sim::figures(p, &timeline);
    // Synthesis first: a missing or failing tool leaves no output behind.
    let yosys = match a.synth {
        Some(super::report::SynthTool::Yosys) => Some(super::report::synthesise(&c, &device)?),
        None => None,
    };
    let report = super::report::report(&qm, &c, &device, yosys.clone());
    let resources = serde_json::json!({
        "estimate": resources_json(&report.estimate_total),
        "yosys": yosys.as_ref().map(|y| resources_json(&y.resources)),
    });
    // Build everything in a sibling temporary directory, then move it into place.
    let parent = a.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| CliError::Io { path: parent.display().to_string(), source })?;
    let name = a.out.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "build".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| -> Result<(), CliError> {
        write(&tmp.join("rtl").join("vitfpga_accel.v"), vitfpga_compiler::rtl::verilog(p))?;
        write(&tmp.join("program.bin"), p.to_bytes())?;
        write(&tmp.join("program.txt"), vitfpga_compiler::disasm::disasm(p))?;
        let blank = vec![0u8; p.dram.image.bytes as usize];
        write(&tmp.join("dram.bin"), vitfpga_compiler::image::dram_image(p, &c.constants, &blank))?;
        for (path, text) in vendor_flow(&device, p.config.clock_mhz) {
            write(&tmp.join(path), text)?;
        }
        let summary = serde_json::json!({
            "model": p.model,
            "config": p.config,
            "dram": p.dram,
            "instructions": { "load": p.load.len(), "exec": p.exec.len(), "store": p.store.len() },
            "cycles_per_frame": f.cycles_per_frame,
            "mac_utilization": f.mac_utilization,
            "fps": f.fps,
            "gops": f.gops,
            "dsp": p.config.dsp_count(),
            "resources": resources,
        });
        write(&tmp.join("summary.json"), serde_json::to_string_pretty(&summary).expect("serialisable"))?;
        for (name, text) in super::report::files(&report) {
            write(&tmp.join(name), text)?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if a.out.exists() {
        std::fs::remove_dir_all(&a.out).map_err(|source| CliError::Io { path: a.out.display().to_string(), source })?;
    }
    std::fs::rename(&tmp, &a.out).map_err(|source| CliError::Io { path: a.out.display().to_string(), source })?;
    if a.json {
        super::print_json(&serde_json::json!({
            "out": a.out.display().to_string(),
            "cycles_per_frame": f.cycles_per_frame, "mac_utilization": f.mac_utilization, "fps": f.fps,
            "array": format!("{}x{}", p.config.rows, p.config.cols), "dsp": p.config.dsp_count(),
            "gops": f.gops, "resources": resources,
        }));
    } else {
        println!(
            "wrote {}: {} on {} ({}x{} array{}, {} DSPs), {} instructions; simulated {} cycles/frame, {:.2} FPS at {} MHz, MAC utilization {:.3}",
            a.out.display(),
            p.model,
            p.config.device,
            p.config.rows,
            p.config.cols,
            if p.config.dsp_packing { ", DSP-packed" } else { "" },
            p.config.dsp_count(),
            p.instructions(),
            f.cycles_per_frame,
            f.fps,
            p.config.clock_mhz,
            f.mac_utilization
        );
    }
    Ok(())
}

fn resources_json(r: &vitfpga_hw::resources::Resources) -> serde_json::Value {
    serde_json::json!({ "lut": r.lut, "ff": r.ff, "dsp": r.dsp, "bram36": r.bram36(), "uram": r.uram })
}

/// The vendor-flow files: the board's clock constraint, a Vivado project script and a Yosys script.
fn vendor_flow(d: &vitfpga_device::Device, clock_mhz: f64) -> Vec<(String, String)> {
    let xdc = format!("{}.xdc", d.name);
    let period = 1000.0 / clock_mhz;
    let clock = format!(
        "# vitfpga: {} ({}), target clock {clock_mhz} MHz. I/O placement is board-specific and left to the\n\
         # integrator (the core is meant to sit behind an AXI interconnect in a block design).\n\
         create_clock -period {period:.3} -name clk [get_ports clk]\n",
        d.name, d.part
    );
    let tcl = format!(
        "# vitfpga: create the Vivado project for {name} ({part}).\n\
         #   vivado -mode batch -source vivado/create_project.tcl               (project only)\n\
         #   vivado -mode batch -source vivado/create_project.tcl -tclargs impl (also synthesis and implementation)\n\
         set here [file dirname [file normalize [info script]]]\n\
         create_project vitfpga_accel $here/project -part {part} -force\n\
         add_files -norecurse $here/../rtl/vitfpga_accel.v\n\
         add_files -fileset constrs_1 -norecurse $here/../constraints/{xdc}\n\
         set_property top vitfpga_accel [current_fileset]\n\
         if {{[llength $argv] > 0 && [lindex $argv 0] eq \"impl\"}} {{\n\
         \x20   launch_runs synth_1 -jobs 4\n\
         \x20   wait_on_run synth_1\n\
         \x20   launch_runs impl_1 -jobs 4\n\
         \x20   wait_on_run impl_1\n\
         \x20   open_run impl_1\n\
         \x20   report_utilization -file $here/utilization.rpt\n\
         \x20   report_timing_summary -file $here/timing.rpt\n\
         }}\n",
        name = d.name,
        part = d.part,
    );
    let ys = if d.family == "versal" {
        "# Yosys 0.23 has no Versal flow; use vivado/create_project.tcl.\n".to_string()
    } else {
        format!(
            "# vitfpga: Yosys synthesis for {} ({}). Run from this directory: yosys -s synth.ys\n\
             read_verilog -sv ../rtl/vitfpga_accel.v\n\
             synth_xilinx -family {} -top vitfpga_accel -flatten\n\
             stat\n",
            d.name, d.part, d.family
        )
    };
    vec![
        (format!("constraints/{xdc}"), clock),
        ("vivado/create_project.tcl".into(), tcl),
        ("yosys/synth.ys".into(), ys),
    ]
}
