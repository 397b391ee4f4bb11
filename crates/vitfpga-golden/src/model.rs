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
