//! Per-channel requantiser with fused bias (hw/vf_requant.v): golden `kernels::requantize`.

use serde::{Deserialize, Serialize};
use vitfpga_cosim::Port;

use crate::resources::{linear, Family, Resources};
use crate::verilog::{leaf, Param, Rtl};
use crate::{check, HwError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requantizer {
    /// Output channels processed per cycle.
    pub lanes: usize,
    pub acc_bits: u32,
    pub out_bits: u32,
}

impl Requantizer {
    pub fn new(lanes: usize, acc_bits: u32, out_bits: u32) -> Result<Self, HwError> {
        const U: &str = "requantizer";
        check(U, (1..=256).contains(&lanes), || format!("lanes must lie in 1..=256, got {lanes}"))?;
        check(U, (2..=32).contains(&acc_bits), || format!("acc_bits must lie in 2..=32, got {acc_bits}"))?;
        check(U, (2..=16).contains(&out_bits), || format!("out_bits must lie in 2..=16, got {out_bits}"))?;
        Ok(Requantizer { lanes, acc_bits, out_bits })
    }
    /// Bias add, multiply, round-shift-saturate.
    pub fn latency(&self) -> usize {
        3
    }
    pub fn initiation_interval(&self) -> usize {
        1
    }
    /// Yosys xcup resources: two DSPs per lane ((acc + bias) x m is 33 x 16 bits), the rest linear in lanes.
    pub fn resources(&self) -> Resources {
        self.resources_on(Family::Xcup)
    }

    pub fn resources_on(&self, family: Family) -> Resources {
        let l = self.lanes as f64;
        Resources {
            lut: linear(&REQUANT_LUT[family.idx()], &[l, 1.0]),
            ff: linear(&REQUANT_FF[family.idx()], &[l, 1.0]),
            dsp: 2 * self.lanes as u64,
            bram18: 0,
            uram: 0,
        }
    }

    pub fn top_name(&self) -> String {
        format!("vitfpga_requant_l{}_acc{}_o{}", self.lanes, self.acc_bits, self.out_bits)
    }
    pub fn inputs(&self) -> Vec<Port> {
        let l = self.lanes as u32;
        vec![
            Port::new("acc_in", l * self.acc_bits),
            Port::new("bias", l * 32),
            Port::new("mult", l * 16),
            Port::new("shift", l * 6),
            Port::new("in_valid", 1),
        ]
    }
    pub fn outputs(&self) -> Vec<Port> {
        vec![Port::new("y_out", self.lanes as u32 * self.out_bits), Port::new("out_valid", 1)]
    }
    pub fn rtl(&self) -> Rtl {
        let doc = format!(
            "Requantiser, {} lanes, acc{} -> {} bits, latency {}.",
            self.lanes,
            self.acc_bits,
            self.out_bits,
            self.latency()
        );
        Rtl::shell(
            self.top_name(),
            &doc,
            leaf::REQUANT.0,
            &[
                ("L", Param::Int(self.lanes as i64)),
                ("ACC_BITS", Param::Int(self.acc_bits as i64)),
                ("OUT_BITS", Param::Int(self.out_bits as i64)),
            ],
            self.inputs(),
            self.outputs(),
            &[leaf::REQUANT],
        )
    }
}

/// Fitted coefficients, [xcup, xc7] (tools/fit_resources.py on hw/calibration/xcup.csv and xc7.csv).
const REQUANT_LUT: [[f64; 2]; 2] = [[423.8343, -1.5698], [364.2907, 50.0698]];
const REQUANT_FF: [[f64; 2]; 2] = [[125.0, 0.0], [45.0, 0.0]];
