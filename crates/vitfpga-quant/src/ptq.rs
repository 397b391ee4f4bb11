//! Post-training quantisation: derive every integer parameter of the golden model from float
//! weights and calibration ranges (docs/arithmetic.md, "Deriving the parameters").

use std::collections::BTreeMap;

use vitfpga_golden::arith::{acc_bits, bias_bound, fixed, Multiplier};
use vitfpga_golden::kernels::layernorm::{LayerNormParams, LN_FRAC};
use vitfpga_golden::kernels::softmax::EXP_FRAC;
use vitfpga_golden::{NodeParams, QuantizedModel, TensorQuant};
use vitfpga_graph::{Graph, LayerType, OpKind};
use vitfpga_model::Weights;

use crate::{Calibration, QuantConfig, QuantError};

/// Logits keep 16 bits so that close classes do not tie.
pub const LOGIT_BITS: u32 = 16;
/// LayerNorm's shared shift is capped so `n * gamma + beta` stays far inside i64.
pub const LN_MAX_SHIFT: u32 = 40;
/// Position-embedding addends of the embed node stay within 48 signed bits.
pub const POS_LIMIT: i64 = 1 << 47;

/// Scale that maps the clipping range onto the symmetric `bits` range.
fn act_scale(range: f64, bits: u32) -> f64 {
    let qmax = ((1u64 << (bits - 1)) - 1) as f64;
    if range > 0.0 && range.is_finite() {
        range / qmax
    } else {
        1.0
    }
}

fn round_clamp(x: f64, lo: i64, hi: i64) -> i64 {
    (x.round() as i64).clamp(lo, hi)
}

/// `((v as f64).round() as i64).clamp(-qmax, qmax) as i8` (half away from zero, NaN to 0)
/// without a libm call per weight (`round` and `trunc` are calls on baseline x86-64). Exact for
/// every f32: `|v| + 0.5` is exact in f64 unless |v| < 2^-29, and then it is below 1 either
/// way; the cast truncates (test `round_clamp_weight_is_round_then_clamp`).
#[inline]
fn round_clamp_weight(v: f32, qmax: i64) -> i8 {
    let m = ((v.abs() as f64 + 0.5) as i64).min(qmax);
    (if v.is_sign_negative() { -m } else { m }) as i8
}

/// Per-output-channel symmetric weights; `w_bits == 1` is binary: sign times mean |w|.
/// Rows are independent, so they are quantised in parallel (same bytes on any thread count).
pub fn quantize_weights(w: &[f32], n: usize, k: usize, w_bits: u32) -> (Vec<i8>, Vec<f32>) {
    use rayon::prelude::*;
    let mut q = vec![0i8; n * k];
    let mut scales = vec![0f32; n];
    q.par_chunks_mut(k.max(1)).zip(scales.par_iter_mut()).enumerate().for_each(|(r, (qrow, scale))| {
        let row = &w[r * k..(r + 1) * k];
        if w_bits == 1 {
            let mean = row.iter().map(|x| x.abs() as f64).sum::<f64>() / k as f64;
            *scale = if mean > 0.0 { mean as f32 } else { 1.0 };
            for (o, &x) in qrow.iter_mut().zip(row) {
                *o = if x >= 0.0 { 1 } else { -1 };
            }
        } else {
            let qmax = (1i64 << (w_bits - 1)) - 1;
            let amax = row.iter().fold(0f32, |a, &b| a.max(b.abs()));
            let s = if amax > 0.0 { amax / qmax as f32 } else { 1.0 };
            *scale = s;
            for (o, &x) in qrow.iter_mut().zip(row) {
                *o = round_clamp_weight(x / s, qmax);
            }
        }
    });
    (q, scales)
}

pub fn gelu_f64(x: f64) -> f64 {
    0.5 * x * (1.0 + libm::erf(x * std::f64::consts::FRAC_1_SQRT_2))
}

/// Float weights + calibration ranges + bit settings -> the integer model.
pub fn quantize(g: &Graph, w: &Weights, calib: &Calibration, cfg: &QuantConfig) -> Result<QuantizedModel, QuantError> {
    cfg.check_bits()?;
    cfg.check_names(g)?;
    let mut params: BTreeMap<String, NodeParams> = BTreeMap::new();
    for id in g.topo_order().expect("acyclic") {
        let node = g.node(id);
        let name = node.name.clone();
        let mul = |r: f64| {
            Multiplier::try_from_real(r).ok_or_else(|| QuantError::ScaleRatio { layer: node.name.clone(), ratio: r })
        };
        let bits = cfg.resolve(&name, node.layer_type);
        let ins: Vec<TensorQuant> = g.inputs(id).iter().map(|i| params[&g.node(*i).name].out().clone()).collect();
        let range = |k: usize| calib.ranges.get(&name).map_or(0.0, |r| r[k]);
        let out_q = |b: u32| TensorQuant::new(b, act_scale(range(0), b));
        let p = match &node.kind {
            OpKind::Input { .. } => NodeParams::Input { out: out_q(bits.a_bits) },
            OpKind::Patchify { .. } | OpKind::SelectClass => NodeParams::Passthrough { out: ins[0].clone() },
            OpKind::Linear { in_features: k, out_features: n } => {
                let (k, n) = (*k, *n);
                let x = &ins[0];
                let out_bits = if node.layer_type == LayerType::Head { LOGIT_BITS } else { bits.a_bits };
                let secs = crate::calibrate::sections(node.layer_type);
                let out =
                    TensorQuant { bits: out_bits, scales: (0..secs).map(|s| act_scale(range(s), out_bits)).collect() };
                let acc = acc_bits(x.bits, bits.w_bits, k);
                if acc > 32 {
                    return Err(QuantError::Accumulator { layer: name, bits: acc, k });
                }
                let (weights, w_scale) = quantize_weights(&w.get(&format!("{name}.weight")).data, n, k, bits.w_bits);
                let b = &w.get(&format!("{name}.bias")).data;
                let bound = bias_bound(x.bits, bits.w_bits, k);
                let s_x = x.scale();
                let bias = (0..n)
                    .map(|j| round_clamp(b[j] as f64 / (s_x * w_scale[j] as f64), -bound, bound - 1) as i32)
                    .collect();
                let mult =
                    (0..n).map(|j| mul(s_x * w_scale[j] as f64 / out.scale_of(j, n))).collect::<Result<_, _>>()?;
                NodeParams::Linear { w_bits: bits.w_bits, weights, w_scale, bias, mult, acc_bits: acc, out }
            }
            OpKind::ClassPosEmbed { dim, .. } => {
                let out = out_q(bits.a_bits);
                let s_y = out.scale();
                let mult = mul(ins[0].scale() / s_y)?;
                let cls = &w.get("cls_token").data;
                let pos = &w.get("pos_embed").data;
                let (lo, hi) = vitfpga_golden::arith::range(out.bits);
                let cls_row = (0..*dim).map(|d| round_clamp((cls[d] + pos[d]) as f64 / s_y, lo, hi) as i8).collect();
                let pos_q = pos[*dim..]
                    .iter()
                    .map(|&p| fixed(p as f64 / s_y, mult.shift).clamp(-POS_LIMIT, POS_LIMIT))
                    .collect();
                NodeParams::ClassPosEmbed { cls_row, pos: pos_q, mult, out }
            }
            OpKind::LayerNorm { dim, eps } => {
                let out = out_q(bits.a_bits);
                let (s_x, s_y, d) = (ins[0].scale(), out.scale(), *dim as f64);
                let gamma = &w.get(&format!("{name}.weight")).data;
                let beta = &w.get(&format!("{name}.bias")).data;
                let eps_q = (eps * d * d / (s_x * s_x)).round().clamp(1.0, (1u64 << 62) as f64) as u64;
                let unit = 1.0 / ((1u64 << LN_FRAC) as f64 * s_y);
                let gmax = gamma.iter().fold(0f64, |a, &b| a.max(b.abs() as f64));
                let shift = mul(gmax * unit)?.shift.min(LN_MAX_SHIFT);
                let lim = 1i64 << 61;
                let p = LayerNormParams {
                    eps_q,
                    gamma: gamma.iter().map(|&v| fixed(v as f64 * unit, shift).clamp(-32767, 32767) as i32).collect(),
                    beta: beta.iter().map(|&v| fixed(v as f64 / s_y, shift).clamp(-lim, lim)).collect(),
                    shift,
                    out_bits: out.bits,
                };
                NodeParams::LayerNorm { p, out }
            }
            OpKind::AttnScores { head_dim, .. } => {
                let qkv = &ins[0];
                let s = qkv.scales[0] * qkv.scales[1] / (*head_dim as f64).sqrt();
                NodeParams::AttnScores { out: TensorQuant::new(acc_bits(qkv.bits, qkv.bits, *head_dim), s) }
            }
            OpKind::Softmax { .. } => {
                let to_exp2 = mul(ins[0].scale() * std::f64::consts::LOG2_E * (1u64 << EXP_FRAC) as f64)?;
                let b = bits.a_bits;
                NodeParams::Softmax { to_exp2, out: TensorQuant::new(b, 1.0 / (1u64 << (b - 1)) as f64) }
            }
            OpKind::AttnContext { .. } => {
                let (p, qkv) = (&ins[0], &ins[1]);
                let t = node.shape[0];
                let out = out_q(bits.a_bits);
                let acc = acc_bits(p.bits, qkv.bits, t);
                if acc > 32 {
                    return Err(QuantError::Accumulator { layer: name, bits: acc, k: t });
                }
                let mult = mul(p.scale() * qkv.scales[2] / out.scale())?;
                NodeParams::AttnContext { mult, acc_bits: acc, out }
            }
            OpKind::Gelu => {
                let x = &ins[0];
                let out = out_q(bits.a_bits);
                let (lo, hi) = vitfpga_golden::arith::range(out.bits);
                let half = 1i64 << (x.bits - 1);
                let table = (-half..half)
                    .map(|q| round_clamp(gelu_f64(q as f64 * x.scale()) / out.scale(), lo, hi) as i8)
                    .collect();
                NodeParams::Gelu { in_bits: x.bits, table, out }
            }
            OpKind::Add => {
                let out = out_q(bits.a_bits);
                let (ra, rb) = (ins[0].scale() / out.scale(), ins[1].scale() / out.scale());
                let shift = mul(ra.max(rb))?.shift;
                NodeParams::Add { ma: fixed(ra, shift) as i32, mb: fixed(rb, shift) as i32, shift, out }
            }
        };
        params.insert(name, p);
    }
    let mut provenance = cfg.describe(g);
    provenance.insert("vitfpga".into(), env!("CARGO_PKG_VERSION").into());
    Ok(QuantizedModel { graph: g.clone(), params, provenance, float_weights: w.clone() })
}

/// The whole stage: build the graph, calibrate on `calib`, quantise.
pub fn quantize_model(
    model: &vitfpga_model::ModelConfig,
    weights: &Weights,
    calib: &vitfpga_model::Images,
    cfg: &QuantConfig,
) -> Result<QuantizedModel, QuantError> {
    quantize_model_with_progress(model, weights, calib, cfg, &|| {})
}

/// [`quantize_model`], calling `on_image` as each calibration image is processed.
pub fn quantize_model_with_progress(
    model: &vitfpga_model::ModelConfig,
    weights: &Weights,
    calib: &vitfpga_model::Images,
    cfg: &QuantConfig,
    on_image: &(dyn Fn() + Sync),
) -> Result<QuantizedModel, QuantError> {
    cfg.check_bits()?;
    let g = vitfpga_graph::build_vit(model)
        .map_err(|e| QuantError::Toml { origin: "model".into(), message: e.to_string() })?;
    cfg.check_names(&g)?;
    let c = crate::calibrate_with_progress(&g, weights, calib, cfg.model.calibration, cfg.model.percentile, on_image)?;
    quantize(&g, weights, &c, cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_clamp_weight_is_round_then_clamp() {
        let mut special =
            vec![0.0f32, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 126.5, -127.5, 8388607.5, 8388608.0, 1e30, -1e30];
        special.extend([f32::INFINITY, f32::NEG_INFINITY, f32::NAN, f32::MIN_POSITIVE, 1e-45, f32::MAX, f32::MIN]);
        for k in 0..200 {
            let h = k as f32 + 0.5;
            special.extend([h, -h, h.next_down(), h.next_up(), -h.next_down(), -h.next_up()]);
        }
        // And a stride through every exponent and mantissa pattern.
        special.extend((0..u32::MAX).step_by(4099).map(f32::from_bits));
        for qmax in [1i64, 3, 7, 31, 127] {
            for &v in &special {
                let want = ((v as f64).round() as i64).clamp(-qmax, qmax) as i8;
                assert_eq!(round_clamp_weight(v, qmax), want, "{v:e} ({:#x}) qmax {qmax}", v.to_bits());
            }
        }
    }

    #[test]
    fn binary_weights_are_sign_times_mean() {
        let (q, s) = quantize_weights(&[0.5, -0.25, 0.0, -1.0], 2, 2, 1);
        assert_eq!(q, vec![1, -1, 1, -1]);
        assert_eq!(s, vec![0.375, 0.5]);
    }

    #[test]
    fn symmetric_weights_use_the_full_range() {
        let (q, s) = quantize_weights(&[0.7, -0.35, 0.1, 0.0], 1, 4, 4);
        assert_eq!(q, vec![7, -4, 1, 0]);
        assert!((s[0] - 0.1).abs() < 1e-7);
    }
}
