//! On-chip buffer (hw/vf_buffer.v): simple dual-port memory written in the inference template.

use serde::{Deserialize, Serialize};
use vitfpga_cosim::Port;

use crate::verilog::{leaf, Param, Rtl};
use crate::{check, HwError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RamStyle {
    Block,
    Ultra,
    Distributed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buffer {
    pub width: u32,
    pub depth: usize,
    pub style: RamStyle,
}

impl Buffer {
    pub fn new(width: u32, depth: usize, style: RamStyle) -> Result<Self, HwError> {
        const U: &str = "buffer";
        check(U, (1..=4096).contains(&width), || format!("width must lie in 1..=4096, got {width}"))?;
        check(U, (2..=1 << 22).contains(&depth), || format!("depth must lie in 2..=4194304, got {depth}"))?;
        Ok(Buffer { width, depth, style })
    }
    pub fn addr_bits(&self) -> u32 {
        usize::BITS - (self.depth - 1).leading_zeros()
    }
    /// Read data appears the cycle after the address.
    pub fn read_latency(&self) -> usize {
        1
    }
    pub fn top_name(&self) -> String {
        let s = match self.style {
            RamStyle::Block => "bram",
            RamStyle::Ultra => "uram",
            RamStyle::Distributed => "lutram",
        };
        format!("vitfpga_buffer_w{}_d{}_{s}", self.width, self.depth)
    }
    pub fn inputs(&self) -> Vec<Port> {
        let a = self.addr_bits();
        vec![
            Port::new("we", 1),
            Port::new("waddr", a),
            Port::new("wdata", self.width),
            Port::new("re", 1),
            Port::new("raddr", a),
        ]
    }
    pub fn outputs(&self) -> Vec<Port> {
        vec![Port::new("rdata", self.width)]
    }
    pub fn rtl(&self) -> Rtl {
        let style = match self.style {
            RamStyle::Block => "block",
            RamStyle::Ultra => "ultra",
            RamStyle::Distributed => "distributed",
        };
        let text = leaf::BUFFER.1.replace("(* ram_style = \"block\" *)", &format!("(* ram_style = \"{style}\" *)"));
        let doc = format!("Buffer {} x {} bits, {style} RAM, read latency 1.", self.depth, self.width);
        Rtl::shell(
            self.top_name(),
            &doc,
            leaf::BUFFER.0,
            &[
                ("WIDTH", Param::Int(self.width as i64)),
                ("DEPTH", Param::Int(self.depth as i64)),
                ("ADDR", Param::Int(self.addr_bits() as i64)),
            ],
            self.inputs(),
            self.outputs(),
            &[(leaf::BUFFER.0, text.as_str())],
        )
    }
}
