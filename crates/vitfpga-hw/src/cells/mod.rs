//! Fixed-width leaf cells written in rust-hdl. Where a cell's widths do not depend on the
//! configuration, rust-hdl's typed signals fit, and its `generate_verilog` output is used as is
//! (module renamed), proven in Verilator and Icarus like every other leaf.

pub mod isqrt;
