//! `vitfpga simulate`: cycles, MAC utilization and frames per second of one frame.

use crate::error::CliError;
use crate::output::Output;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::design::Source,
    #[command(flatten)]
    design: super::design::DesignArgs,
    /// Also list every instruction's start and end cycle
    #[arg(long)]
    instructions: bool,
}

pub fn run(a: Args, out: Output) -> Result<(), CliError> {
    // Every flag checked before calibrating.
    a.source.validate()?;
    a.design.validate()?;
    let qm = a.source.load(&out)?;
    let c = a.design.compile(&qm, Default::default(), &out)?;
    let t0 = std::time::Instant::now();
    // Timing never depends on values: the fast mode runs the cycle model alone.
    let timeline = vitfpga_sim::timing::run(&c.program);
    let sim_seconds = t0.elapsed().as_secs_f64();
    let f = vitfpga_sim::figures(&c.program, &timeline);
    let cfg = &c.program.config;
    let spans = |v: &[vitfpga_sim::Span]| v.iter().map(|s| [s.start, s.end]).collect::<Vec<_>>();
    let instrs = serde_json::json!({
        "load": spans(&timeline.load), "exec": spans(&timeline.exec), "store": spans(&timeline.store),
        "rows": spans(&timeline.rows),
    });
    let json = serde_json::json!({
            "model": c.program.model,
            "device": cfg.device,
            "array": format!("{}x{}", cfg.rows, cfg.cols),
            "dsp_packing": cfg.dsp_packing,
            "dsp_cascade": cfg.dsp_cascade,
            "softmax_units": cfg.softmax_units,
            "layernorm_units": cfg.layernorm_units,
            "layernorm_lanes": cfg.layernorm_lanes,
            "datapath_dsp": cfg.datapath_dsp(),
            "cycles_per_frame": f.cycles_per_frame,
            "mac_utilization": f.mac_utilization,
            "fps": f.fps,
            "gops": f.gops,
            "clock_mhz": f.clock_mhz,
            "macs": f.macs,
            "peak_macs_per_cycle": f.peak_macs_per_cycle,
            "dram_read_bytes": f.dram_read_bytes,
            "dram_write_bytes": f.dram_write_bytes,
            "stream_stall_cycles": f.stream_stall_cycles,
            "exec_cycles": f.exec_cycles,
            "row_cycles": f.row_cycles,
            "row_wait_cycles": f.row_wait_cycles,
            "instructions": c.program.instructions(),
            "simulation_seconds": sim_seconds,
            "instruction_spans": if a.instructions { Some(instrs) } else { None },
    });
    let text = || {
        use std::fmt::Write;
        let mut t = String::new();
        if a.instructions {
            let _ = writeln!(t, "{:<8} {:>10} {:>10} {:>9}  label", "instr", "start", "end", "cycles");
            for (i, (e, sp)) in c.program.exec.iter().zip(&timeline.exec).enumerate() {
                let _ =
                    writeln!(t, "E{i:<7} {:>10} {:>10} {:>9}  {}", sp.start, sp.end, sp.end - sp.start + 1, e.label);
            }
            for (i, sp) in timeline.load.iter().enumerate() {
                let _ = writeln!(t, "L{i:<7} {:>10} {:>10} {:>9}", sp.start, sp.end, sp.end - sp.start + 1);
            }
            for (i, sp) in timeline.store.iter().enumerate() {
                let _ = writeln!(t, "S{i:<7} {:>10} {:>10} {:>9}", sp.start, sp.end, sp.end - sp.start + 1);
            }
        }
        let _ = writeln!(
            t,
            "{} on {} ({}x{} array{}, {} MHz)",
            c.program.model,
            cfg.device,
            cfg.rows,
            cfg.cols,
            cfg.array_kind(),
            f.clock_mhz
        );
        let _ = writeln!(t, "cycles per frame:  {}", f.cycles_per_frame);
        let _ = writeln!(t, "MAC utilization:   {:.3}", f.mac_utilization);
        let _ = writeln!(t, "frames per second: {:.2}", f.fps);
        let _ = writeln!(t, "GOPS:              {:.1}", f.gops);
        let _ = writeln!(t, "stream stalls:     {} cycles", f.stream_stall_cycles);
        let _ = writeln!(t, "exec engine:");
        for (k, v) in &f.exec_cycles {
            let _ = writeln!(t, "  {k:<10} {v:>12} cycles");
        }
        let _ = writeln!(t, "row engine (softmax beside the array):");
        for (k, v) in &f.row_cycles {
            let _ = writeln!(t, "  {k:<10} {v:>12} cycles");
        }
        let _ = writeln!(t, "  exec waited on it {:>5} cycles", f.row_wait_cycles);
        let _ = writeln!(t, "simulated in {sim_seconds:.3} s");
        t
    };
    out.result(&json, text);
    Ok(())
}
