//! `vitfpga build`: compile a model for a device and write the design directory:
//! `rtl/vitfpga_accel.v`, `program.bin` (+ `program.txt`), `dram.bin` (program and constants at
//! their addresses; the host writes the image), `constraints/<board>.xdc`,
//! `vivado/create_project.tcl`, `yosys/synth.ys`, `host/vitfpga_program.h` (the host's C header:
//! registers, DRAM map, image and logits layout, instruction format), `summary.json` and the report
//! (`report.md`, `report.json`, `report.html`); `--synth yosys` synthesises the core too.

use std::path::PathBuf;

use vitfpga_compiler::CompileOptions;

use crate::error::CliError;
use crate::output::Output;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::design::Source,
    #[command(flatten)]
    design: super::design::DesignArgs,
    /// Output directory, replaced as a whole and never left half-written. An existing directory is
    /// replaced only if it holds nothing but an earlier build (its files are listed in
    /// `.vitfpga-manifest`); anything else is refused unless --force
    #[arg(long)]
    out: PathBuf,
    /// Replace --out even if it holds files vitfpga did not write (they are deleted)
    #[arg(long)]
    force: bool,
    /// Store every intermediate tensor to DRAM (verification builds)
    #[arg(long)]
    dump_intermediates: bool,
    /// Also synthesise the core and put the tool's figures beside the estimate (slow: minutes to hours)
    #[arg(long, value_enum)]
    synth: Option<super::report::SynthTool>,
}

pub fn run(a: Args, out: Output) -> Result<(), CliError> {
    // Every input is checked before the expensive work (calibration, compiling, synthesis).
    crate::output::check_replaceable(&a.out, a.force)?;
    a.source.validate()?;
    a.design.validate()?;
    let qm = a.source.load(&out)?;
    let opts = CompileOptions { dump_intermediates: a.dump_intermediates, ..Default::default() };
    let c = a.design.compile(&qm, opts, &out)?;
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
    let blank = vec![0u8; p.dram.image.bytes as usize];
    let mut files: Vec<(PathBuf, Vec<u8>)> = vec![
        ("rtl/vitfpga_accel.v".into(), vitfpga_compiler::rtl::verilog(p).into_bytes()),
        ("host/vitfpga_program.h".into(), vitfpga_compiler::header::c_header(p).into_bytes()),
        ("program.bin".into(), p.to_bytes()),
        ("program.txt".into(), vitfpga_compiler::disasm::disasm(p).into_bytes()),
        ("dram.bin".into(), vitfpga_compiler::image::dram_image(p, &c.constants, &blank)),
        ("summary.json".into(), serde_json::to_string_pretty(&summary).expect("serialisable").into_bytes()),
    ];
    files.extend(
        vendor_flow(&device, p.config.clock_mhz).into_iter().map(|(path, text)| (path.into(), text.into_bytes())),
    );
    files.extend(super::report::files(&report).into_iter().map(|(name, text)| (name.into(), text.into_bytes())));
    crate::output::write_dir(&a.out, &files, a.force)?;
    let json = serde_json::json!({
        "out": a.out.display().to_string(),
        "cycles_per_frame": f.cycles_per_frame, "mac_utilization": f.mac_utilization, "fps": f.fps,
        "array": format!("{}x{}", p.config.rows, p.config.cols), "dsp": p.config.dsp_count(),
        "gops": f.gops, "resources": resources,
    });
    out.result(&json, || {
        format!(
            "wrote {}: {} on {} ({}x{} array{}; estimated {} LUT, {} DSP in all, {} of the DSPs in the array), {} instructions; simulated {} cycles/frame, {:.2} FPS at {} MHz, MAC utilization {:.3}\n",
            a.out.display(),
            p.model,
            p.config.device,
            p.config.rows,
            p.config.cols,
            p.config.array_kind(),
            vitfpga_report::doc::n(report.estimate_total.lut),
            vitfpga_report::doc::n(report.estimate_total.dsp),
            vitfpga_report::doc::n(p.config.dsp_count() as u64),
            p.instructions(),
            vitfpga_report::doc::n(f.cycles_per_frame),
            f.fps,
            p.config.clock_mhz,
            f.mac_utilization
        )
    });
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
