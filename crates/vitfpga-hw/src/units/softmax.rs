//! Integer softmax unit (hw/vf_softmax.v, rust-hdl cell vf_recip40_min15): golden `kernels::softmax::softmax_row`.

use serde::{Deserialize, Serialize};
use vitfpga_cosim::Port;

use super::{row_unit_outputs, RowTiming};
use crate::resources::{Family, Resources};
use crate::verilog::{leaf, Param, Rtl};
use crate::{check, HwError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoftmaxUnit {
    pub lanes: usize,
    /// Width of the incoming scores (the QK^T accumulator width).
    pub z_bits: u32,
    pub out_bits: u32,
    /// Longest row the unit accepts.
    pub max_len: usize,
}

/// Pass-2 pipeline: memory read plus six arithmetic stages.
const EXP_PIPE: usize = 7;
/// From the last exponential to the reciprocal: one state to start the radix-4 reciprocal, its
/// steps, and the hand-over cycles.
const DIVIDE: usize = crate::cells::reciprocal::Recip40Min15::STEPS + 3;
/// Pass-3 pipeline: memory read, product, round/saturate.
const NORM_PIPE: usize = 3;

impl SoftmaxUnit {
    pub fn new(lanes: usize, z_bits: u32, out_bits: u32, max_len: usize) -> Result<Self, HwError> {
        const U: &str = "softmax unit";
        check(U, (1..=128).contains(&lanes), || format!("lanes must lie in 1..=128, got {lanes}"))?;
        check(U, (2..=32).contains(&z_bits), || format!("z_bits must lie in 2..=32, got {z_bits}"))?;
        check(U, (2..=8).contains(&out_bits), || format!("out_bits must lie in 2..=8, got {out_bits}"))?;
        check(U, (1..=16384).contains(&max_len), || format!("max_len must lie in 1..=16384, got {max_len}"))?;
        Ok(SoftmaxUnit { lanes, z_bits, out_bits, max_len })
    }

    /// Per row: the B reads of pass 2, its pipeline, the division, then the pass-3 pipeline.
    pub fn timing(&self) -> RowTiming {
        RowTiming {
            lanes: self.lanes,
            fixed: EXP_PIPE + DIVIDE + 1 + NORM_PIPE,
            out_pipe: NORM_PIPE,
            middle_pass: true,
            overlapped: false,
        }
    }

    /// Yosys xcup resources: five DSPs per lane (score rescale, the two products of the exponential, the
    /// normalising product), row memories in distributed RAM; fitted to hw/calibration/xcup.csv.
    pub fn resources(&self) -> Resources {
        self.resources_on(Family::Xcup)
    }

    pub fn resources_on(&self, family: Family) -> Resources {
        super::row_unit_resources(
            self.lanes,
            self.max_len,
            self.wide_products(),
            &SOFTMAX_LUT,
            &SOFTMAX_FF,
            family,
            // DSP48E2: five per lane; DSP48E1's narrower port splits one more product.
            (if family == Family::Xc7 { 6 } else { 5 }) * self.lanes as u64,
        )
    }

    /// Whether any per-lane product outgrows one DSP port (not for the widths the unit takes).
    fn wide_products(&self) -> bool {
        false
    }

    pub fn top_name(&self) -> String {
        format!("vitfpga_softmax_l{}_z{}_o{}_n{}", self.lanes, self.z_bits, self.out_bits, self.max_len)
    }

    pub fn inputs(&self) -> Vec<Port> {
        vec![
            Port::new("rst", 1),
            Port::new("z_in", self.lanes as u32 * self.z_bits),
            Port::new("in_valid", 1),
            Port::new("in_last", 1),
            Port::new("in_count", 8),
            Port::new("mult", 16),
            Port::new("shift", 6),
        ]
    }

    pub fn outputs(&self) -> Vec<Port> {
        row_unit_outputs(self.lanes, self.out_bits)
    }

    pub fn rtl(&self) -> Rtl {
        let doc = format!(
            "Integer softmax, {} lanes, z{} -> {} bits, rows up to {}. Per row of B beats: first output {} + B cycles after the last input beat.",
            self.lanes,
            self.z_bits,
            self.out_bits,
            self.max_len,
            self.timing().first_output_delay(0)
        );
        Rtl::shell(
            self.top_name(),
            &doc,
            leaf::SOFTMAX.0,
            &[
                ("L", Param::Int(self.lanes as i64)),
                ("Z_BITS", Param::Int(self.z_bits as i64)),
                ("OUT_BITS", Param::Int(self.out_bits as i64)),
                ("N_MAX", Param::Int(self.max_len as i64)),
            ],
            self.inputs(),
            self.outputs(),
            &[
                leaf::SOFTMAX,
                (
                    crate::cells::reciprocal::Recip40Min15::MODULE,
                    crate::cells::reciprocal::Recip40Min15::verilog().as_str(),
                ),
            ],
        )
    }
}

/// Fitted coefficients, [xcup, xc7] (tools/fit_resources.py on hw/calibration/xcup.csv and xc7.csv).
const SOFTMAX_LUT: [[f64; 4]; 2] = [[729.4762, 8.6339, 0.0, -497.619], [634.2798, 13.5149, 0.0, -267.6429]];
const SOFTMAX_FF: [[f64; 4]; 2] = [[200.2679, 0.5089, 0.0, 290.2143], [82.2679, 0.5089, 0.0, 234.2143]];
