//! Integer LayerNorm unit (hw/vf_layernorm.v, rust-hdl cells vf_recip40, vf_isqrt): golden
//! `kernels::layernorm::layernorm_row`.

use serde::{Deserialize, Serialize};
use vitfpga_cosim::Port;

use super::{row_unit_outputs, RowTiming};
use crate::resources::{Family, Resources};
use crate::verilog::{leaf, Param, Rtl};
use crate::{check, HwError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerNormUnit {
    pub lanes: usize,
    pub x_bits: u32,
    pub out_bits: u32,
    /// Longest row (the model's embedding dimension at most).
    pub max_len: usize,
}

/// floor(V / D) = D*P - S^2: the last beat's square reaches P (S_QW1, S_QW2), the multipliers
/// load (S_QLD), D*P and S^2 by shift-and-add over the `x_bits + clog2(max_len + 1)` bits of |S|
/// (S_QMUL; D has fewer), then the difference (S_QSUB) (hw/vf_layernorm.v).
fn q_pipe(x_bits: u32, max_len: usize) -> usize {
    let dw = (usize::BITS - max_len.leading_zeros()) as usize; // clog2(max_len + 1)
    3 + (x_bits as usize + dw) + 1
}
/// isqrt: start state, 32 iterations, hand-over.
const SQRT: usize = 35;
/// 2^40 / R: start state, the radix-4 reciprocal's steps, hand-over.
const RECIPROCAL: usize = crate::cells::reciprocal::Recip40::STEPS + 3;
/// Pass 3: read, centre, product, round, gamma product, affine/round/saturate.
const OUT_PIPE: usize = 6;

impl LayerNormUnit {
    pub fn new(lanes: usize, x_bits: u32, out_bits: u32, max_len: usize) -> Result<Self, HwError> {
        const U: &str = "layernorm unit";
        check(U, (1..=128).contains(&lanes), || format!("lanes must lie in 1..=128, got {lanes}"))?;
        check(U, (2..=8).contains(&x_bits) && (2..=8).contains(&out_bits), || {
            format!("bits must lie in 2..=8, got {x_bits} -> {out_bits}")
        })?;
        check(U, (1..=16383).contains(&max_len), || format!("max_len must lie in 1..=16383, got {max_len}"))?;
        Ok(LayerNormUnit { lanes, x_bits, out_bits, max_len })
    }

    /// Per row: S and P accumulate while the row loads; then D*P - S^2, the square root, the
    /// reciprocal, then pass 3 (no second read of the row, no division by D).
    pub fn timing(&self) -> RowTiming {
        RowTiming {
            lanes: self.lanes,
            fixed: q_pipe(self.x_bits, self.max_len) + SQRT + RECIPROCAL + OUT_PIPE + 1,
            out_pipe: OUT_PIPE,
            middle_pass: false,
        }
    }

    /// Cycles to write gamma and beta: one channel per cycle.
    pub fn param_load_cycles(&self, dim: usize) -> usize {
        dim
    }

    /// Yosys xcup resources: five DSPs per lane (the output pass's `c * inv` and `n * gamma`), seven
    /// once the centred values outgrow the DSP's 18-bit port; row and parameter memories in
    /// distributed RAM; fitted to hw/calibration/xcup.csv.
    pub fn resources(&self) -> Resources {
        self.resources_on(Family::Xcup)
    }

    pub fn resources_on(&self, family: Family) -> Resources {
        super::row_unit_resources(
            self.lanes,
            self.max_len,
            self.wide_products(),
            &LAYERNORM_LUT,
            &LAYERNORM_FF,
            family,
            self.dsp_count(),
        )
    }

    /// Exact, as Yosys `synth_xilinx` maps it (hw/calibration/<family>.csv, every row): the
    /// row constants (`D * P`, `S^2`) are shift-and-add, so only the lanes take DSPs.
    pub fn dsp_count(&self) -> u64 {
        (if self.wide_products() { 7 } else { 5 }) * self.lanes as u64
    }

    /// The centred values `D*x - S` are `x_bits + clog2(max_len + 1) + 1` bits; past 18 bits their
    /// products need a second DSP column.
    fn wide_products(&self) -> bool {
        let dw = usize::BITS - self.max_len.leading_zeros();
        self.x_bits + dw + 1 > 18
    }

    pub fn top_name(&self) -> String {
        format!("vitfpga_layernorm_l{}_x{}_o{}_n{}", self.lanes, self.x_bits, self.out_bits, self.max_len)
    }

    pub fn inputs(&self) -> Vec<Port> {
        vec![
            Port::new("rst", 1),
            Port::new("prm_we", 1),
            Port::new("prm_addr", 14),
            Port::new("prm_gamma", 16),
            Port::new("prm_beta", 64),
            Port::new("x_in", self.lanes as u32 * self.x_bits),
            Port::new("in_valid", 1),
            Port::new("in_last", 1),
            Port::new("in_count", 8),
            Port::new("eps_q", 64),
            Port::new("shift", 6),
        ]
    }

    pub fn outputs(&self) -> Vec<Port> {
        row_unit_outputs(self.lanes, self.out_bits)
    }

    pub fn rtl(&self) -> Rtl {
        let doc = format!(
            "Integer LayerNorm, {} lanes, x{} -> {} bits, rows up to {}. Per row of B beats: first output {} cycles after the last input beat.",
            self.lanes,
            self.x_bits,
            self.out_bits,
            self.max_len,
            self.timing().first_output_delay(0)
        );
        Rtl::shell(
            self.top_name(),
            &doc,
            leaf::LAYERNORM.0,
            &[
                ("L", Param::Int(self.lanes as i64)),
                ("X_BITS", Param::Int(self.x_bits as i64)),
                ("OUT_BITS", Param::Int(self.out_bits as i64)),
                ("N_MAX", Param::Int(self.max_len as i64)),
            ],
            self.inputs(),
            self.outputs(),
            &[
                leaf::LAYERNORM,
                (crate::cells::reciprocal::Recip40::MODULE, crate::cells::reciprocal::Recip40::verilog().as_str()),
                (crate::cells::isqrt::MODULE, crate::cells::isqrt::verilog().as_str()),
            ],
        )
    }
}

/// Fitted coefficients, [xcup, xc7] (tools/fit_resources.py on hw/calibration/xcup.csv and xc7.csv).
const LAYERNORM_LUT: [[f64; 4]; 2] = [[903.9773, 22.8182, 37.2614, 504.4545], [827.1212, 12.0322, 29.1061, 214.9091]];
const LAYERNORM_FF: [[f64; 4]; 2] = [[171.5985, 2.1004, 2.2424, 807.3636], [90.2121, 0.572, 32.4356, 837.0909]];
