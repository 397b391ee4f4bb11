//! Fixed-width leaf cells written in rust-hdl. Where a cell's widths do not depend on the
//! configuration, rust-hdl's typed signals fit, and its `generate_verilog` output is used as is
//! (module renamed), proven in Verilator and Icarus like every other leaf.

pub mod axil_regs;
pub mod isqrt;
pub mod reciprocal;

/// rust-hdl names the top module `top` and its children `top$child`: give them the cell's name.
pub(crate) fn rename_top(text: &str, module: &str, source: &str) -> String {
    format!(
        "// vitfpga leaf cell {module}, emitted by rust-hdl from {source}.\n{}",
        text.replace("module top(", &format!("module {module}("))
            .replace("top$", &format!("{module}$"))
            .replace("endmodule // top", &format!("endmodule // {module}"))
            .trim_start()
    )
}
