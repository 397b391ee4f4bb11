//! `vitfpga simulate`: cycles, MAC utilization and frames per second of one frame.

use crate::error::CliError;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::design::Source,
    #[command(flatten)]
    design: super::design::DesignArgs,
    /// Print JSON
    #[arg(long)]
    json: bool,
    /// Also list every instruction's start and end cycle
    #[arg(long)]
    instructions: bool,
}

pub fn run(a: Args) -> Result<(), CliError> {
    let qm = a.source.load(a.json)?;
    let c = a.design.compile(&qm, Default::default())?;
    let t0 = std::time::Instant::now();
    // Timing never depends on values: the fast mode runs the cycle model alone.
    let timeline = vitfpga_sim::timing::run(&c.program);
    let sim_seconds = t0.elapsed().as_secs_f64();
    let f = vitfpga_sim::figures(&c.program, &timeline);
    let cfg = &c.program.config;
    if a.instructions && !a.json {
        println!("{:<8} {:>10} {:>10} {:>9}  label", "instr", "start", "end", "cycles");
        for (i, (e, sp)) in c.program.exec.iter().zip(&timeline.exec).enumerate() {
            println!("E{i:<7} {:>10} {:>10} {:>9}  {}", sp.start, sp.end, sp.end - sp.start + 1, e.label);
        }
        for (i, sp) in timeline.load.iter().enumerate() {
            println!("L{i:<7} {:>10} {:>10} {:>9}", sp.start, sp.end, sp.end - sp.start + 1);
        }
        for (i, sp) in timeline.store.iter().enumerate() {
            println!("S{i:<7} {:>10} {:>10} {:>9}", sp.start, sp.end, sp.end - sp.start + 1);
        }
    }
    if a.json {
        let spans = |v: &[vitfpga_sim::Span]| v.iter().map(|s| [s.start, s.end]).collect::<Vec<_>>();
        let instrs = serde_json::json!({
            "load": spans(&timeline.load), "exec": spans(&timeline.exec), "store": spans(&timeline.store),
            "rows": spans(&timeline.rows),
        });
        super::print_json(&serde_json::json!({
            "model": c.program.model,
            "device": cfg.device,
            "array": format!("{}x{}", cfg.rows, cfg.cols),
            "dsp_packing": cfg.dsp_packing,
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
        }));
        return Ok(());
    }
    println!(
        "{} on {} ({}x{} array{}, {} MHz)",
        c.program.model,
        cfg.device,
        cfg.rows,
        cfg.cols,
        if cfg.dsp_packing { ", DSP-packed" } else { "" },
        f.clock_mhz
    );
    println!("cycles per frame:  {}", f.cycles_per_frame);
    println!("MAC utilization:   {:.3}", f.mac_utilization);
    println!("frames per second: {:.2}", f.fps);
    println!("GOPS:              {:.1}", f.gops);
    println!("stream stalls:     {} cycles", f.stream_stall_cycles);
    println!("exec engine:");
    for (k, v) in &f.exec_cycles {
        println!("  {k:<10} {v:>12} cycles");
    }
    println!("row engine (softmax beside the array):");
    for (k, v) in &f.row_cycles {
        println!("  {k:<10} {v:>12} cycles");
    }
    println!("  exec waited on it {:>5} cycles", f.row_wait_cycles);
    println!("simulated in {sim_seconds:.3} s");
    Ok(())
}
