use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vitfpga_graph::Graph;
use vitfpga_model::Weights;

use crate::arith::Multiplier;
use crate::kernels::layernorm::LayerNormParams;

/// How a tensor's integers map to reals: `x = q * scale`. A tensor may be split along its
/// last axis into equal sections with their own scale (the fused qkv output has three).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorQuant {
    pub bits: u32,
    pub scales: Vec<f64>,
}

impl TensorQuant {
    pub fn new(bits: u32, scale: f64) -> Self {
        TensorQuant { bits, scales: vec![scale] }
    }
    pub fn scale(&self) -> f64 {
        assert_eq!(self.scales.len(), 1, "tensor has per-section scales");
        self.scales[0]
    }
    /// Scale of feature `f` of a last axis `features` long.
    pub fn scale_of(&self, f: usize, features: usize) -> f64 {
        self.scales[f * self.scales.len() / features]
    }
}

/// Integer parameters of one graph node. Floats here (`TensorQuant::scales`, `w_scale`) are
/// never used by integer inference; they only dequantise for accuracy reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeParams {
    /// Host-side boundary: `q = clamp(round_half_away(x / scale))` in f32.
    Input {
        out: TensorQuant,
    },
    /// Pure data movement; output quantisation equals the input's.
    Passthrough {
        out: TensorQuant,
    },
    Linear {
        w_bits: u32,
        /// `[out_features, in_features]`, values in the signed `w_bits` range (+-1 when binary).
        /// Stored bit-packed in a .vq file (`packed_i8`): a W4 layer takes half the bytes of W8.
        #[serde(with = "packed_i8")]
        weights: Vec<i8>,
        w_scale: Vec<f32>,
        /// Clamped to `[-bias_bound, bias_bound - 1]` so the accumulator cannot overflow.
        bias: Vec<i32>,
        mult: Vec<Multiplier>,
        acc_bits: u32,
        out: TensorQuant,
    },
    ClassPosEmbed {
        /// The class-token row, `clamp(round((cls + pos[0]) / s_out))`: a constant.
        cls_row: Vec<i8>,
        /// `round(pos[t] / s_out * 2^shift)` for tokens 1.., row-major `[T-1, D]`; |pos| <= 2^47.
        pos: Vec<i64>,
        /// Rescale of the patch embedding; its shift is shared with `pos`.
        mult: Multiplier,
        out: TensorQuant,
    },
    LayerNorm {
        p: LayerNormParams,
        out: TensorQuant,
    },
    /// Raw `Q K^T` accumulators; `out.scales = [s_q * s_k / sqrt(head_dim)]`, `out.bits = acc bits`.
    AttnScores {
        out: TensorQuant,
    },
    /// Base-2 exponent conversion of scores; output scale is `2^-(bits-1)`.
    Softmax {
        to_exp2: Multiplier,
        out: TensorQuant,
    },
    AttnContext {
        mult: Multiplier,
        acc_bits: u32,
        out: TensorQuant,
    },
    /// `table[q + 2^(in_bits-1)]`.
    Gelu {
        in_bits: u32,
        table: Vec<i8>,
        out: TensorQuant,
    },
    Add {
        ma: i32,
        mb: i32,
        shift: u32,
        out: TensorQuant,
    },
}

impl NodeParams {
    pub fn out(&self) -> &TensorQuant {
        match self {
            NodeParams::Input { out }
            | NodeParams::Passthrough { out }
            | NodeParams::Linear { out, .. }
            | NodeParams::ClassPosEmbed { out, .. }
            | NodeParams::LayerNorm { out, .. }
            | NodeParams::AttnScores { out }
            | NodeParams::Softmax { out, .. }
            | NodeParams::AttnContext { out, .. }
            | NodeParams::Gelu { out, .. }
            | NodeParams::Add { out, .. } => out,
        }
    }
}

/// A quantised model: the graph, each node's integer parameters (keyed by node name), the
/// settings that produced them, and the float weights for the float reference path.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QuantizedModel {
    pub graph: Graph,
    pub params: BTreeMap<String, NodeParams>,
    /// Human-readable record of how it was quantised (bits per layer, calibration method).
    pub provenance: BTreeMap<String, String>,
    pub float_weights: Weights,
}

/// Small signed integers packed at the narrowest width that holds them all: a width byte
/// (1 = every value is -1 or +1, stored as a sign bit; else two's complement of 2..=8 bits),
/// the count, then the values little-endian in consecutive bits. Exact for every i8 vector.
mod packed_i8 {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    fn width(v: &[i8]) -> u8 {
        if !v.is_empty() && v.iter().all(|&x| x == 1 || x == -1) {
            return 1;
        }
        (2..=8u8)
            .find(|&b| {
                let (lo, hi) = (-(1i16 << (b - 1)), (1i16 << (b - 1)) - 1);
                v.iter().all(|&x| (lo..=hi).contains(&(x as i16)))
            })
            .unwrap_or(8)
    }

    pub fn pack(v: &[i8]) -> (u8, u64, Vec<u8>) {
        let b = width(v) as usize;
        let mut out = vec![0u8; (v.len() * b).div_ceil(8)];
        for (i, &x) in v.iter().enumerate() {
            let code = if b == 1 { (x > 0) as u16 } else { (x as u16) & ((1u16 << b) - 1) };
            let bit = i * b;
            let wide = code << (bit % 8);
            out[bit / 8] |= wide as u8;
            if bit % 8 + b > 8 {
                out[bit / 8 + 1] |= (wide >> 8) as u8;
            }
        }
        (b as u8, v.len() as u64, out)
    }

    pub fn unpack(b: u8, n: u64, bytes: &[u8]) -> Result<Vec<i8>, String> {
        let (b, n) = (b as usize, n as usize);
        if !(1..=8).contains(&b) || n.checked_mul(b).map(|bits| bits.div_ceil(8)) != Some(bytes.len()) {
            return Err(format!("packed weights: width {b} and count {n} do not match {} bytes", bytes.len()));
        }
        Ok((0..n)
            .map(|i| {
                let bit = i * b;
                let lo = bytes[bit / 8] as u16;
                let hi = bytes.get(bit / 8 + 1).copied().unwrap_or(0) as u16;
                let code = ((lo | hi << 8) >> (bit % 8)) & ((1u16 << b) - 1);
                if b == 1 {
                    if code == 1 {
                        1
                    } else {
                        -1
                    }
                } else {
                    // Sign-extend from b bits.
                    ((code << (16 - b)) as i16 >> (16 - b)) as i8
                }
            })
            .collect())
    }

    pub fn serialize<S: Serializer>(v: &[i8], s: S) -> Result<S::Ok, S::Error> {
        pack(v).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i8>, D::Error> {
        let (b, n, bytes) = <(u8, u64, Vec<u8>)>::deserialize(d)?;
        unpack(b, n, &bytes).map_err(serde::de::Error::custom)
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn every_width_round_trips_and_packs() {
            let cases: Vec<Vec<i8>> = vec![
                vec![],
                vec![1, -1, -1, 1, 1],
                vec![0, 1, -1, -2],
                vec![-8, 7, 3, -1, 0, 5, -6],
                (-128..=127).collect(),
                (0..1001).map(|i| ((i * 37) % 31 - 15) as i8).collect(),
            ];
            for v in cases {
                let (b, n, bytes) = super::pack(&v);
                assert_eq!(super::unpack(b, n, &bytes).unwrap(), v, "width {b}");
                assert_eq!(bytes.len(), (v.len() * b as usize).div_ceil(8));
            }
            assert_eq!(super::pack(&[-8, 7]).0, 4);
            assert_eq!(super::pack(&[1, -1]).0, 1);
            assert!(super::unpack(4, 3, &[0]).is_err());
        }
    }
}
