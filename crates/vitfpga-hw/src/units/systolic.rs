//! Weight-stationary systolic array (hw/vf_systolic.v, hw/vf_pe_ws.v, hw/vf_pe_ws_pair.v).
//!
//! Why weight-stationary: ViT GEMMs have M = 197 tokens and K, N multiples of 64. Streaming the
//! token dimension through a stationary weight tile wastes nothing on M (no folds over 197 rows),
//! and double-buffered weight banks hide the R-cycle tile load behind the stream.

use serde::{Deserialize, Serialize};
use vitfpga_cosim::Port;

use crate::resources::{linear, Family, Resources};
use crate::verilog::{leaf, Param, Rtl};
use crate::{check, HwError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystolicArray {
    /// Rows: the K extent of one weight tile.
    pub rows: usize,
    /// Columns: the N extent of one weight tile.
    pub cols: usize,
    pub a_bits: u32,
    /// 1 = binary weights (+1/-1), no multipliers.
    pub w_bits: u32,
    /// Width of the partial sums and outputs, from the largest K the design accumulates.
    pub acc_bits: u32,
    /// Two MACs sharing an activation in one DSP48E2.
    pub dsp_packing: bool,
    /// Partial sums in DSP48E2 cascades (hw/vf_systolic_cascade.v): one instantiated DSP48E2
    /// per PE, weights in its B registers (shadow/active), no fabric adder. UltraScale+ only.
    #[serde(default)]
    pub dsp_cascade: bool,
}

impl SystolicArray {
    /// `max_k`: the largest reduction length any GEMM on this array has (sets `acc_bits`).
    pub fn new(
        rows: usize,
        cols: usize,
        a_bits: u32,
        w_bits: u32,
        max_k: usize,
        dsp_packing: bool,
    ) -> Result<Self, HwError> {
        const U: &str = "systolic array";
        check(U, (2..=256).contains(&rows) && (2..=256).contains(&cols), || {
            format!("rows and cols must lie in 2..=256, got {rows}x{cols}")
        })?;
        check(U, (2..=8).contains(&a_bits), || format!("a_bits must lie in 2..=8, got {a_bits}"))?;
        check(U, (1..=8).contains(&w_bits), || format!("w_bits must lie in 1..=8, got {w_bits}"))?;
        check(U, !(dsp_packing && w_bits == 1), || {
            "DSP packing needs multiplying weights; binary weights use no DSPs".into()
        })?;
        let acc_bits = vitfpga_golden::arith::acc_bits(a_bits, w_bits, max_k.max(rows));
        check(U, acc_bits <= 32, || {
            format!("K = {max_k} at {a_bits}x{w_bits} bits needs a {acc_bits}-bit accumulator (max 32)")
        })?;
        Ok(SystolicArray { rows, cols, a_bits, w_bits, acc_bits, dsp_packing, dsp_cascade: false })
    }

    /// The same array with its partial sums in DSP48E2 cascades (`cascade`), or not.
    pub fn with_dsp_cascade(self, cascade: bool) -> Result<Self, HwError> {
        const U: &str = "systolic array";
        if cascade {
            check(U, self.w_bits >= 2, || {
                "the DSP cascade multiplies: binary weights (w_bits 1) use the fabric array".into()
            })?;
        }
        Ok(SystolicArray { dsp_cascade: cascade, ..self })
    }

    /// PE groups along a row: columns, or column pairs with packing.
    pub fn groups(&self) -> usize {
        if self.dsp_packing {
            self.cols.div_ceil(2)
        } else {
            self.cols
        }
    }

    /// Cycles from applying an activation vector to its results at `y_out`: `R + G - 1`, and 2
    /// more in DSP cascades (the DSP48E2's A and M registers).
    pub fn latency(&self) -> usize {
        self.rows + self.groups() - 1 + if self.dsp_cascade { 2 } else { 0 }
    }

    /// DSP cascades: after the first vector of a tile is read (it enters the array the next
    /// cycle), the next tile's first weight shift may come this many cycles later: as the
    /// vector enters. Each PE's shadow holds until the swap token (active <= shadow) has passed
    /// it, and a row r needs only the last R - r shifts of the fill, which reach it after the
    /// token has (the weight shift and the token both reach group g `g` cycles late, row r `r`
    /// cycles after row 0). Before issue 16 the fill waited for the token to pass the bottom
    /// row (R cycles), so a tile took at least 2R cycles whatever its M.
    pub fn swap_delay(&self) -> usize {
        1
    }

    /// Activation vectors accepted per cycle: one.
    pub fn initiation_interval(&self) -> usize {
        1
    }

    /// Cycles to shift one weight tile into a bank.
    pub fn weight_load_cycles(&self) -> usize {
        self.rows
    }

    /// After the last vector using a bank enters, the bank may be reloaded this many cycles later
    /// (its last activation has then passed every PE).
    pub fn bank_reuse_delay(&self) -> usize {
        self.latency()
    }

    /// Packed DSP cascades: rows per segment, the most a 2^17 low field holds without spilling
    /// (`NSEG` in hw/vf_systolic_cascade.v: n * 2^(A_BITS+W_BITS-2) < 2^17), at most the rows.
    pub fn cascade_segment_rows(&self) -> usize {
        (((1usize << 17) - 1) >> (self.a_bits + self.w_bits - 2)).min(self.rows)
    }

    /// The cascade array's shift-register chains as (depth, bits): each row's input skew
    /// (activation and token), each group's weight-shift delay, each output's de-skew and, packed,
    /// each group's low-sum delay into every later segment; and the bits of the packed low-sum
    /// adders (one ACC_BITS adder per group and segment after the first).
    fn cascade_chains(&self) -> (Vec<(usize, usize)>, usize) {
        let (r, c, g, a, acc) = (self.rows, self.cols, self.groups(), self.a_bits as usize, self.acc_bits as usize);
        let wl = if self.dsp_packing { 2 } else { 1 } * self.w_bits as usize;
        let mut ch: Vec<(usize, usize)> = (0..r).map(|k| (k, a + 1)).collect();
        ch.extend((0..g).map(|k| (k, wl + 1)));
        ch.extend((0..c).map(|k| (g - 1 - if self.dsp_packing { k / 2 } else { k }, acc)));
        let mut seg_bits = 0;
        if self.dsp_packing {
            let n = self.cascade_segment_rows();
            let segs = r.div_ceil(n);
            for k in 1..segs {
                let len = ((k + 1) * n).min(r) - k * n;
                ch.extend(std::iter::repeat_n((len - 1, acc), g));
            }
            seg_bits = g * (segs - 1) * acc;
        }
        (ch, seg_bits)
    }

    /// Cycles to stream `m` vectors through one loaded tile until the last result appears.
    pub fn cycles_per_tile(&self, m: usize) -> usize {
        m * self.initiation_interval() + self.latency()
    }

    /// DSP48E2 slices as synthesis maps them: one per MAC, one per column pair with packing, none
    /// for binary weights (add/subtract), and none when the product is narrower than 9 bits: Yosys
    /// (`DSP_Y_MINWIDTH=9`, following UG901's advice for Vivado) builds those small multipliers
    /// from LUTs. Checked against every array in hw/calibration/xcup.csv.
    pub fn dsp_count(&self) -> usize {
        self.dsp_count_on(Family::Xcup)
    }

    /// DSPs as Yosys maps the array for `family` (7-series cannot pack: one DSP48E1 per PE).
    pub fn dsp_count_on(&self, family: Family) -> usize {
        if self.dsp_cascade {
            // Instantiated: one per PE group whatever the widths.
            self.rows * self.groups()
        } else if self.w_bits == 1 {
            0
        } else if self.dsp_packing && family.packs_two_macs() {
            self.rows * self.groups()
        } else if self.dsp_packing {
            self.rows * self.cols
        } else if self.a_bits + self.w_bits < 9 {
            0
        } else {
            self.rows * self.cols
        }
    }

    /// LUT (every LUT site: logic, distributed RAM, shift registers), FF and DSP as Yosys
    /// `synth_xilinx -family xcup` maps the array: a linear model over physical features
    /// (accumulator adders, soft multipliers, weight banks, skew and de-skew registers), fitted by
    /// tools/fit_resources.py to hw/calibration/xcup.csv.
    pub fn resources(&self) -> Resources {
        self.resources_on(Family::Xcup)
    }

    /// As [`Self::resources`] for `family`. The features differ by family because Yosys 0.23's
    /// `xilinx_dsp` packs each unpacked MAC's accumulator adder (post-adder) and output register
    /// into its DSP48E1 on 7-series, and packs nothing into DSP48E2 on UltraScale+; what is left in
    /// the fabric on xc7 is the weight-bank multiplexers, the adders of soft-multiplier PEs, and
    /// packed pairs' accumulators (tools/fit_resources.py, hw/calibration/xc7.csv). Binary-weight
    /// arrays have one model for both families.
    pub fn resources_on(&self, family: Family) -> Resources {
        let (r, c, g) = (self.rows as f64, self.cols as f64, self.groups() as f64);
        let (a, w, acc) = (self.a_bits as f64, self.w_bits as f64, self.acc_bits as f64);
        if self.dsp_cascade {
            // The DSP48E2s hold the products, partial sums and weights; the fabric holds the
            // activation and swap token passing right in each PE group, the shift-register chains
            // (input skew, weight-shift delay, output de-skew, packed low-sum delays) and, packed,
            // one adder per segment after the first. Fitted by tools/fit_cascade.py to
            // hw/calibration/cascade_xcup.csv (UltraScale+; the compiler refuses cascades elsewhere).
            let (chains, seg_bits) = self.cascade_chains();
            let srl = chains.iter().filter(|&&(d, _)| d >= 3).map(|&(d, b)| b * d.div_ceil(32)).sum::<usize>() as f64;
            let short = chains.iter().filter(|&&(d, _)| d < 3).map(|&(d, b)| b * d).sum::<usize>() as f64;
            let seg = seg_bits as f64;
            // Every PE also gates its shadow's clock enable with a `free` flag (the overlapped fill).
            let (lut, ff) = if self.dsp_packing {
                (
                    linear(&CASCADE_PACKED_LUT, &[srl, g * (w + 1.0), seg, r * g, 1.0]),
                    linear(&CASCADE_PACKED_FF, &[r * g, c * acc, seg, 1.0]),
                )
            } else {
                (linear(&CASCADE_LUT, &[srl, r * g, 1.0]), linear(&CASCADE_FF, &[r * g * (a + 1.0), short, r * g, 1.0]))
            };
            return Resources { lut, ff, dsp: self.dsp_count_on(family) as u64, bram18: 0, uram: 0 };
        }
        let pe = r * c;
        let skew = r * (r - 1.0) / 2.0;
        if self.w_bits == 1 {
            // Binary-weight PEs add or subtract in the fabric, with no DSP on either family; Yosys
            // maps them identically for xcup and xc7, so one model serves both.
            let f = [pe * acc, skew, c * acc, 1.0];
            return Resources {
                lut: linear(&SYSTOLIC_BINARY_LUT, &f),
                ff: linear(&SYSTOLIC_BINARY_FF, &f),
                dsp: 0,
                bram18: 0,
                uram: 0,
            };
        }
        let pack = self.dsp_packing as u8 as f64;
        let soft = (!self.dsp_packing && self.a_bits + self.w_bits < 9) as u8 as f64;
        // PEs mapped to one DSP each (the ones `dsp_count_on` counts when not packing).
        let dsp = (!self.dsp_packing && self.a_bits + self.w_bits >= 9) as u8 as f64;
        // The output de-skew's shift registers (SRL16E): one per accumulator bit and column.
        let deskew = c * acc;
        let (lut, ff) = match family {
            Family::Xcup => (
                vec![pe * acc * soft, pe * a * w * soft, pe * w, r * g * pack * acc, pe, skew, deskew, 1.0],
                vec![pe * w, r * g * (a + 2.0), pe * acc, skew * (a + 2.0), c * (g - 1.0) / 2.0 * acc, 1.0],
            ),
            Family::Xc7 => {
                // Input skew chains of 1 and 2 registers stay flip-flops; 3 or more become SRL16E
                // (LUTs).
                let skew_ff = (a + 2.0)
                    * match self.rows {
                        0 | 1 => 0.0,
                        2 => 1.0,
                        _ => 3.0,
                    };
                (
                    vec![
                        (r - 1.0) * c * acc * soft, // soft-multiplier PEs' adders (row 0 adds 0)
                        pe * a * w * soft,          // soft multipliers
                        (2.0 * r - 1.0) * c * w,    // weight banks and their forwarding
                        (r - 1.0) * g * pack * acc, // packed pairs' fabric accumulators
                        skew,
                        deskew,
                        dsp,
                        1.0,
                    ],
                    vec![pe * w, r * g * (a + 2.0), (r - 1.0) * c * acc * (1.0 - dsp), skew_ff, pe * soft, 1.0],
                )
            }
        };
        Resources {
            lut: linear(&SYSTOLIC_LUT[family.idx()], &lut),
            ff: linear(&SYSTOLIC_FF[family.idx()], &ff),
            dsp: self.dsp_count_on(family) as u64,
            bram18: 0,
            uram: 0,
        }
    }

    pub fn top_name(&self) -> String {
        format!(
            "vitfpga_systolic_r{}_c{}_a{}_w{}_acc{}{}",
            self.rows,
            self.cols,
            self.a_bits,
            self.w_bits,
            self.acc_bits,
            match (self.dsp_packing, self.dsp_cascade) {
                (true, true) => "_packed_cascade",
                (true, false) => "_packed",
                (false, true) => "_cascade",
                (false, false) => "",
            }
        )
    }

    pub fn inputs(&self) -> Vec<Port> {
        if self.dsp_cascade {
            return vec![
                Port::new("a_in", self.rows as u32 * self.a_bits),
                Port::new("a_valid", 1),
                Port::new("a_first", 1),
                Port::new("w_shift", 1),
                Port::new("w_in", self.cols as u32 * self.w_bits),
            ];
        }
        vec![
            Port::new("a_in", self.rows as u32 * self.a_bits),
            Port::new("a_valid", 1),
            Port::new("a_bank", 1),
            Port::new("w_shift", 1),
            Port::new("w_bank", 1),
            Port::new("w_in", self.cols as u32 * self.w_bits),
        ]
    }

    pub fn outputs(&self) -> Vec<Port> {
        vec![Port::new("y_out", self.cols as u32 * self.acc_bits), Port::new("y_valid", 1)]
    }

    pub fn rtl(&self) -> Rtl {
        // The cascade array's leaf, or the fabric array's with both PE cells (an unselected
        // generate branch still names its module, and some tools want every named module defined).
        let (kind, tail, leaves): (&str, String, &[(&str, &str)]) = if self.dsp_cascade {
            (
                " on DSP48E2 cascades",
                format!(
                    ";\nthe next tile's first shift at least {} cycles after a tile's first vector (a_first).\n\
                     Simulate with `define VITFPGA_DSP48E2_MODEL (the model is in this file); synthesis uses the\n\
                     vendor DSP48E2.",
                    self.swap_delay() - 1
                ),
                &[leaf::SYSTOLIC_CASCADE, leaf::DSP48E2_MODEL],
            )
        } else {
            (
                "",
                ".\nWeights: binary w_bits=1 encodes +1 as 1 and -1 as 0.".to_string(),
                &[leaf::SYSTOLIC, leaf::PE_WS, leaf::PE_WS_PAIR],
            )
        };
        let doc = format!(
            "Weight-stationary systolic array {}x{}{kind}, a{} w{} acc{}, DSP packing {}.\n\
             Latency {} cycles, one vector per cycle, weight tile load {} cycles (rows sent R-1 first){tail}",
            self.rows,
            self.cols,
            self.a_bits,
            self.w_bits,
            self.acc_bits,
            self.dsp_packing,
            self.latency(),
            self.rows
        );
        Rtl::shell(
            self.top_name(),
            &doc,
            leaves[0].0,
            &[
                ("R", Param::Int(self.rows as i64)),
                ("C", Param::Int(self.cols as i64)),
                ("A_BITS", Param::Int(self.a_bits as i64)),
                ("W_BITS", Param::Int(self.w_bits as i64)),
                ("ACC_BITS", Param::Int(self.acc_bits as i64)),
                ("PACK", Param::Int(self.dsp_packing as i64)),
            ],
            self.inputs(),
            self.outputs(),
            leaves,
        )
    }

    /// Encode one weight for the `w_in` bus (binary: +1 -> 1, -1 -> 0).
    pub fn encode_weight(&self, w: i8) -> i64 {
        if self.w_bits == 1 {
            (w > 0) as i64
        } else {
            w as i64
        }
    }
}

/// Fitted coefficients, [xcup, xc7] (tools/fit_resources.py on hw/calibration/xcup.csv and xc7.csv;
/// LUT counts every LUT site: logic, distributed RAM and shift registers). Regression weights over
/// correlated features, not per-feature costs: a negative weight offsets a neighbour's.
const SYSTOLIC_LUT: [[f64; 8]; 2] = [
    [2.4494, 2.1773, 3.1237, 0.3501, 16.1715, 3.6897, -0.9377, -118.2075],
    [4.1059, 0.9286, 1.0984, 2.2966, -0.3061, 0.3816, 53.0781, -57.2787],
];
const SYSTOLIC_FF: [[f64; 6]; 2] =
    [[2.3361, 0.5475, 1.4952, -0.4863, -1.0516, -81.9789], [2.3593, 0.5524, 1.2289, 2.2506, -5.7939, -23.6383]];
/// DSP-cascade arrays (xcup; tools/fit_cascade.py on hw/calibration/cascade_xcup.csv). Unpacked: LUT
/// on [shift-register LUTs, 1], FF on [PE groups x (A_BITS+1), short-chain FFs, 1] (held out
/// 6x10, 16x8, 24x24 within 4.3 %). Packed: LUT on [shift-register LUTs, groups x (W_BITS+1),
/// low-sum adder bits, 1], FF on [PE groups, outputs x ACC_BITS, low-sum adder bits, 1] (held out
/// LUT within 11.6 %, FF within 18.2 %: the small 16x8 array, 813 FFs).
const CASCADE_LUT: [f64; 3] = [1.105, 1.0223, 7.1812];
const CASCADE_FF: [f64; 4] = [0.9549, 0.5191, 0.4635, 33.9586];
const CASCADE_PACKED_LUT: [f64; 5] = [1.0342, 0.594, 0.84, 1.2067, -2.615];
const CASCADE_PACKED_FF: [f64; 4] = [5.6172, 0.824, 0.6779, 95.7286];
/// Binary-weight arrays, both families, on [PEs x accumulator bits, skew, columns x accumulator bits, 1].
const SYSTOLIC_BINARY_LUT: [f64; 4] = [2.0587, -11.9161, -2.3137, 61.7635];
const SYSTOLIC_BINARY_FF: [f64; 4] = [1.547, -1.414, -1.0083, 53.4883];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycle_model_and_validation() {
        let a = SystolicArray::new(8, 8, 8, 8, 768, false).unwrap();
        assert_eq!((a.latency(), a.acc_bits, a.dsp_count()), (15, 26, 64));
        let p = SystolicArray::new(7, 12, 8, 4, 3072, true).unwrap();
        assert_eq!((p.groups(), p.latency(), p.dsp_count()), (6, 12, 42));
        assert_eq!(SystolicArray::new(4, 4, 8, 1, 64, false).unwrap().dsp_count(), 0);
        assert!(SystolicArray::new(4, 4, 8, 1, 64, true).is_err());
        assert!(SystolicArray::new(1, 4, 8, 8, 64, false).is_err());
        assert!(SystolicArray::new(4, 4, 9, 8, 64, false).is_err());
        assert!(SystolicArray::new(4, 4, 8, 8, 1 << 20, false).is_err());
        assert_eq!(a.rtl().text, a.rtl().text, "deterministic");
    }
}
