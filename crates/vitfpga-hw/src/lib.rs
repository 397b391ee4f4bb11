//! Hardware units. Each unit is one file in `units/` holding, side by side, its parameters
//! (validated), its RTL generator (hand-written leaf Verilog from `hw/` plus a generated shell
//! with packed bus ports), its cycle model (latency, initiation interval) and its DSP figure.
//! `sim-tests/` proves every unit equal to the golden kernels in Verilator and Icarus.
//!
//! Why the generators emit Verilog text rather than rust-hdl blocks: unit sizes and precisions are
//! chosen at run time (arrays of any R x C, 1..8-bit operands, accumulator widths derived from K),
//! while rust-hdl widths are compile-time types, and rust-hdl 0.46's emitted Verilog can differ
//! from its own simulation (shared/reference/rust-hdl.md). Parameterised leaf modules are written
//! once in `hw/`, shared by every instance, and proven in real simulators. Fixed-width cells, whose
//! types rust-hdl can express, are written in rust-hdl (`cells/`) and emitted by it.

pub mod accel;
pub mod cells;
pub mod resources;
pub mod units;
pub mod verilog;

pub use verilog::Rtl;

#[derive(Debug, thiserror::Error)]
pub enum HwError {
    #[error("invalid {unit} parameters: {message}")]
    Params { unit: &'static str, message: String },
}

pub(crate) fn check(unit: &'static str, ok: bool, message: impl FnOnce() -> String) -> Result<(), HwError> {
    if ok {
        Ok(())
    } else {
        Err(HwError::Params { unit, message: message() })
    }
}
