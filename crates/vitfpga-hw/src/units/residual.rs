//! Residual add with rescale (hw/vf_residual_add.v): golden `kernels::requantize::add_rescale`.

use serde::{Deserialize, Serialize};
use vitfpga_cosim::Port;

use crate::resources::{linear, Family, Resources};
use crate::verilog::{leaf, Param, Rtl};
use crate::{check, HwError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidualAdder {
    pub lanes: usize,
    pub a_bits: u32,
    pub b_bits: u32,
    pub out_bits: u32,
}

impl ResidualAdder {
    pub fn new(lanes: usize, a_bits: u32, b_bits: u32, out_bits: u32) -> Result<Self, HwError> {
        const U: &str = "residual adder";
        check(U, (1..=256).contains(&lanes), || format!("lanes must lie in 1..=256, got {lanes}"))?;
        for (n, b) in [("a_bits", a_bits), ("b_bits", b_bits), ("out_bits", out_bits)] {
            check(U, (2..=8).contains(&b), || format!("{n} must lie in 2..=8, got {b}"))?;
        }
        Ok(ResidualAdder { lanes, a_bits, b_bits, out_bits })
    }
    pub fn latency(&self) -> usize {
        2
    }
    pub fn initiation_interval(&self) -> usize {
        1
    }
    /// Yosys xcup resources: two DSPs per lane (a x ma and b x mb), the rest linear in lanes.
    pub fn resources(&self) -> Resources {
        self.resources_on(Family::Xcup)
    }

    pub fn resources_on(&self, family: Family) -> Resources {
        let l = self.lanes as f64;
        Resources {
            lut: linear(&RESIDUAL_LUT[family.idx()], &[l, 1.0]),
            ff: linear(&RESIDUAL_FF[family.idx()], &[l, 1.0]),
            dsp: 2 * self.lanes as u64,
            bram18: 0,
            uram: 0,
        }
    }

    pub fn top_name(&self) -> String {
        format!("vitfpga_residual_l{}_a{}_b{}_o{}", self.lanes, self.a_bits, self.b_bits, self.out_bits)
    }
    pub fn inputs(&self) -> Vec<Port> {
        let l = self.lanes as u32;
        vec![
            Port::new("a_in", l * self.a_bits),
            Port::new("b_in", l * self.b_bits),
            Port::new("ma", 16),
            Port::new("mb", 16),
            Port::new("shift", 6),
            Port::new("in_valid", 1),
        ]
    }
    pub fn outputs(&self) -> Vec<Port> {
        vec![Port::new("y_out", self.lanes as u32 * self.out_bits), Port::new("out_valid", 1)]
    }
    pub fn rtl(&self) -> Rtl {
        let doc = format!(
            "Residual add with rescale, {} lanes, a{} + b{} -> {} bits, latency {}.",
            self.lanes,
            self.a_bits,
            self.b_bits,
            self.out_bits,
            self.latency()
        );
        Rtl::shell(
            self.top_name(),
            &doc,
            leaf::RESIDUAL.0,
            &[
                ("L", Param::Int(self.lanes as i64)),
                ("A_BITS", Param::Int(self.a_bits as i64)),
                ("B_BITS", Param::Int(self.b_bits as i64)),
                ("OUT_BITS", Param::Int(self.out_bits as i64)),
            ],
            self.inputs(),
            self.outputs(),
            &[leaf::RESIDUAL],
        )
    }
}

/// Fitted coefficients, [xcup, xc7] (tools/fit_resources.py on hw/calibration/xcup.csv and xc7.csv).
const RESIDUAL_LUT: [[f64; 2]; 2] = [[220.1977, 81.7674], [172.2994, -93.0581]];
const RESIDUAL_FF: [[f64; 2]; 2] = [[56.0, 8.0], [8.0, 8.0]];
