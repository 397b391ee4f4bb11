//! Run Verilog in real simulators and compare it with a model, cycle by cycle.
//!
//! A [`Design`] is Verilog text plus its port list. [`simulate`] streams one input vector per
//! clock cycle into Verilator (a generated C++ driver, built once per content hash) or Icarus
//! (a generated testbench) and returns one output vector per cycle. The cycle convention is the
//! same for both simulators and for every Rust cycle model: in cycle `i` the inputs are applied
//! with the clock low, outputs are sampled, then the rising edge `i` happens. So output `i`
//! shows the registers after edges `0..i` and the combinational response to input `i`.
//!
//! [`gates`] holds the quality gates: Verilator `-Wall` lint, Yosys structural checks, Icarus
//! compile, and Yosys `synth_xilinx` resource counts.

pub mod accel;
pub mod gates;
mod icarus;
mod value;
pub mod verilator;

use std::path::{Path, PathBuf};

pub use value::Value;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub width: u32,
}

impl Port {
    pub fn new(name: &str, width: u32) -> Self {
        Port { name: name.to_string(), width }
    }
}

/// Verilog sources and the top module's ports (the clock excluded).
#[derive(Clone, Debug)]
pub struct Design {
    pub top: String,
    /// `(file name, text)`.
    pub sources: Vec<(String, String)>,
    pub inputs: Vec<Port>,
    pub outputs: Vec<Port>,
    /// Name of the clock input; `None` for combinational designs.
    pub clock: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Simulator {
    Verilator,
    Icarus,
}

#[derive(Debug, thiserror::Error)]
pub enum CosimError {
    #[error("{tool} is not installed (run scripts/test.sh, or apt-get install verilator iverilog yosys)")]
    MissingTool { tool: &'static str },
    #[error("{tool} failed on {top}:\n{log}")]
    Tool { tool: &'static str, top: String, log: String },
    #[error("i/o error in {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("simulator output malformed at cycle {cycle}: {message}")]
    Output { cycle: usize, message: String },
    #[error("input vector {cycle} has {found} values, the design has {expected} inputs")]
    Stimulus { cycle: usize, found: usize, expected: usize },
}

/// What a simulation returns.
#[derive(Clone, Debug)]
pub struct SimRun {
    /// `outputs[cycle][port]`.
    pub outputs: Vec<Vec<Value>>,
    /// Wall time of the simulation itself (not the build).
    pub sim_seconds: f64,
    /// Wall time of the Verilator build, 0 when it came from the cache.
    pub build_seconds: f64,
}

#[derive(Clone, Debug, Default)]
pub struct SimOptions {
    /// Dump a VCD of cycles `from..to` into this file (Verilator only).
    pub vcd: Option<(PathBuf, usize, usize)>,
}

/// Where built simulators are cached: `$VITFPGA_COSIM_CACHE`, else the system temp dir.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("VITFPGA_COSIM_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("vitfpga-cosim"))
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CosimError + '_ {
    move |source| CosimError::Io { path: path.to_path_buf(), source }
}

/// Whether `tool` is an executable on `PATH`.
pub fn have(tool: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
}

/// Simulate `stimulus` (one `Vec<Value>` per cycle, in input-port order).
pub fn simulate(
    design: &Design,
    stimulus: &[Vec<Value>],
    sim: Simulator,
    opts: &SimOptions,
) -> Result<SimRun, CosimError> {
    for (cycle, v) in stimulus.iter().enumerate() {
        if v.len() != design.inputs.len() {
            return Err(CosimError::Stimulus { cycle, found: v.len(), expected: design.inputs.len() });
        }
    }
    match sim {
        Simulator::Verilator => verilator::run(design, stimulus, opts),
        Simulator::Icarus => icarus::run(design, stimulus),
    }
}

pub(crate) fn write_stimulus(design: &Design, stimulus: &[Vec<Value>]) -> String {
    let mut s = String::with_capacity(stimulus.len() * 16 * design.inputs.len().max(1));
    for v in stimulus {
        for (i, (val, port)) in v.iter().zip(&design.inputs).enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(&val.to_hex(port.width));
        }
        if design.inputs.is_empty() {
            s.push('0');
        }
        s.push('\n');
    }
    s
}

pub(crate) fn parse_outputs(design: &Design, text: &str, cycles: usize) -> Result<Vec<Vec<Value>>, CosimError> {
    let mut out = Vec::with_capacity(cycles);
    for (cycle, line) in text.lines().enumerate() {
        let toks: Vec<&str> = line.split_whitespace().collect();
        if toks.len() != design.outputs.len() {
            return Err(CosimError::Output {
                cycle,
                message: format!("{} values for {} outputs: '{line}'", toks.len(), design.outputs.len()),
            });
        }
        let vals = toks
            .iter()
            .zip(&design.outputs)
            .map(|(t, p)| {
                Value::from_hex(t, p.width).ok_or_else(|| CosimError::Output {
                    cycle,
                    message: format!("port {} = '{t}' is not a defined value (x or z?)", p.name),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.push(vals);
    }
    if out.len() != cycles {
        return Err(CosimError::Output {
            cycle: out.len(),
            message: format!("simulator stopped after {} of {cycles} cycles", out.len()),
        });
    }
    Ok(out)
}

/// Content hash used to name cached builds.
pub(crate) fn content_hash(parts: &[&str]) -> String {
    let mut h = crc32fast::Hasher::new();
    let mut h2 = crc32fast::Hasher::new_with_initial(0x9e37_79b9);
    for p in parts {
        h.update(p.as_bytes());
        h.update(&[0]);
        h2.update(p.as_bytes());
        h2.update(&(p.len() as u64).to_le_bytes());
    }
    format!("{:08x}{:08x}", h.finalize(), h2.finalize())
}
