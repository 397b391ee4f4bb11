//! Whole-accelerator co-simulation: the generated core in Verilator behind the testbench in
//! `hw/tb/vf_accel_tb.cpp` (fixed-latency DRAM, AXI4-Lite start, run to the interrupt).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::{io_err, verilator, CosimError, Design};

const TESTBENCH: &str = include_str!("../../../hw/tb/vf_accel_tb.cpp");
/// The generated top module's name (the testbench includes `Vvitfpga_accel.h`).
pub const TOP: &str = "vitfpga_accel";

/// Loops over lanes and rows in the core run up to 256 iterations; Verilator must unroll them.
const UNROLL: &[&str] = &["--unroll-count", "1024"];

/// One run of the accelerator.
#[derive(Clone, Debug)]
pub struct AccelRun {
    /// DRAM after the run.
    pub dram: Vec<u8>,
    /// The CYCLES register: cycles the core was busy.
    pub cycles: u64,
    pub build_seconds: f64,
    /// Wall time of the simulation from start to interrupt.
    pub sim_seconds: f64,
}

/// Whether the Verilator simulator of the core `sources` is already built (cached): `run` then
/// starts at once; otherwise its first call builds it (a minute or more for a large core).
pub fn is_built(sources: &[(String, String)]) -> bool {
    let design = Design { top: TOP.into(), sources: sources.to_vec(), inputs: vec![], outputs: vec![], clock: None };
    verilator::is_cached(&design, TESTBENCH, false, UNROLL)
}

/// Build the Verilator simulator of the core `sources` now (or find it cached); the build time in
/// seconds, 0 when cached.
pub fn build(sources: &[(String, String)]) -> Result<f64, CosimError> {
    let design = Design { top: TOP.into(), sources: sources.to_vec(), inputs: vec![], outputs: vec![], clock: None };
    Ok(verilator::build_with_driver(&design, TESTBENCH, false, UNROLL)?.1)
}

/// Build (cached) and run the core `sources` on `dram` with the program at `program_base`.
pub fn run(
    sources: &[(String, String)],
    dram: &[u8],
    latency: usize,
    max_cycles: u64,
    program_base: u64,
    vcd: Option<PathBuf>,
) -> Result<AccelRun, CosimError> {
    let design = Design { top: TOP.into(), sources: sources.to_vec(), inputs: vec![], outputs: vec![], clock: None };
    let (bin, build_seconds) = verilator::build_with_driver(&design, TESTBENCH, vcd.is_some(), UNROLL)?;
    let work = verilator::tempdir()?;
    let (din, dout) = (work.join("dram.in"), work.join("dram.out"));
    std::fs::write(&din, dram).map_err(io_err(&din))?;
    let mut cmd = Command::new(&bin);
    cmd.arg(&din).arg(&dout).arg(latency.to_string()).arg(max_cycles.to_string()).arg(program_base.to_string());
    if let Some(v) = &vcd {
        cmd.arg(v);
    }
    // Debugging aid: VITFPGA_ACCEL_TRACE=FILE runs with +vftrace and keeps the trace in FILE.
    let trace = std::env::var_os("VITFPGA_ACCEL_TRACE");
    if trace.is_some() {
        cmd.arg("+vftrace");
    }
    let t0 = Instant::now();
    let o = cmd.output().map_err(io_err(&bin))?;
    let total = t0.elapsed().as_secs_f64();
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    if let Some(t) = trace {
        let _ = std::fs::write(t, &text);
    }
    if !o.status.success() {
        let _ = std::fs::remove_dir_all(&work);
        return Err(CosimError::Tool {
            tool: "verilator",
            top: TOP.into(),
            log: format!("{text}{}", String::from_utf8_lossy(&o.stderr)),
        });
    }
    let field = |name: &str| -> Option<&str> { text.lines().find_map(|l| l.strip_prefix(name).map(str::trim)) };
    let cycles = field("cycles ").and_then(|v| v.parse().ok()).ok_or_else(|| CosimError::Tool {
        tool: "verilator",
        top: TOP.into(),
        log: format!("no cycle count in the testbench output:\n{text}"),
    })?;
    let sim_seconds = field("wall ").and_then(|v| v.parse().ok()).unwrap_or(total);
    let out = std::fs::read(&dout).map_err(io_err(&dout))?;
    let _ = std::fs::remove_dir_all(&work);
    Ok(AccelRun { dram: out, cycles, build_seconds, sim_seconds })
}
