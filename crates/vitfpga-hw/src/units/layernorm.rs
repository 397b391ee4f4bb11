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
            overlapped: true,
        }
    }

    /// Cycles to write gamma and beta: one channel per cycle.
    pub fn param_load_cycles(&self, dim: usize) -> usize {
        dim
    }

    /// Yosys xcup resources: five DSPs per lane (the output pass's `c * inv` and `n * gamma`), seven
    /// once the centred values outgrow the DSP's 18-bit port; the row memory (two banks) and the
    /// per-lane gamma and beta memories in block RAM where Yosys puts them (`memories`), else in
    /// distributed RAM, whose bits are a LUT and FF feature; fitted to hw/calibration/xcup.csv.
    pub fn resources(&self) -> Resources {
        self.resources_on(Family::Xcup)
    }

    pub fn resources_on(&self, family: Family) -> Resources {
        let (mut bram18, mut lutram_bits) = (0, 0);
        for (width, depth, copies) in self.memories() {
            if super::maps_to_block_ram(width, depth) {
                bram18 += copies * crate::resources::bram18_for(width, depth);
            } else {
                lutram_bits += copies * width * depth;
            }
        }
        let l = self.lanes as f64;
        let f = [l, lutram_bits as f64 / 1024.0, l * self.wide_products() as u8 as f64, 1.0];
        Resources {
            lut: crate::resources::linear(&LAYERNORM_LUT[family.idx()], &f),
            ff: crate::resources::linear(&LAYERNORM_FF[family.idx()], &f),
            dsp: self.dsp_count(),
            bram18,
            uram: 0,
        }
    }

    /// The unit's memories as (width, depth, copies), as hw/vf_layernorm.v declares them: the row
    /// memory (two banks of `2^clog2(beats)` beats of `lanes` 8-bit values), and per lane gamma
    /// (16 bits) and beta (64 bits) at one entry per beat.
    pub fn memories(&self) -> [(u64, u64, u64); 3] {
        let beats = self.max_len.div_ceil(self.lanes) as u64;
        let depth = if beats > 1 { beats.next_power_of_two() } else { 2 };
        let lanes = self.lanes as u64;
        [(lanes * 8, 2 * depth, 1), (16, depth, lanes), (64, depth, lanes)]
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
const LAYERNORM_LUT: [[f64; 4]; 2] = [[814.5786, 20.0137, 55.9747, 1739.0532], [800.8892, 8.2984, 21.3576, 848.0583]];
const LAYERNORM_FF: [[f64; 4]; 2] = [[176.8101, -1.2714, 1.8216, 1023.5497], [101.986, -1.8835, 28.1773, 943.7635]];
