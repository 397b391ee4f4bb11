//! The integer interpreter: walks the graph in topological order and applies each node's kernel.

use std::collections::HashMap;

use rayon::prelude::*;
use vitfpga_graph::{NodeId, OpKind};

use crate::arith::clamp_bits;
use crate::kernels::gemm::{gemm, Packed};
use crate::kernels::{layernorm, requantize, softmax};
use crate::{NodeParams, QuantizedModel};

/// A node's output: activations of at most 8 bits, or wide integers (scores, logits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Act {
    I8(Vec<i8>),
    I32(Vec<i32>),
}

impl Act {
    pub fn i8(&self) -> &[i8] {
        match self {
            Act::I8(v) => v,
            Act::I32(_) => panic!("expected an 8-bit activation"),
        }
    }
    pub fn i32(&self) -> &[i32] {
        match self {
            Act::I32(v) => v,
            Act::I8(_) => panic!("expected a wide activation"),
        }
    }
    pub fn to_i64(&self) -> Vec<i64> {
        match self {
            Act::I8(v) => v.iter().map(|&x| x as i64).collect(),
            Act::I32(v) => v.iter().map(|&x| x as i64).collect(),
        }
    }
    pub fn len(&self) -> usize {
        match self {
            Act::I8(v) => v.len(),
            Act::I32(v) => v.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every node's output for one image, in topological order.
#[derive(Clone, Debug)]
pub struct Trace {
    pub nodes: Vec<(String, Act)>,
}

impl Trace {
    pub fn get(&self, name: &str) -> Option<&Act> {
        self.nodes.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }
    /// The logits (the last node's output).
    pub fn logits(&self) -> Vec<i64> {
        self.nodes.last().expect("a trace has nodes").1.to_i64()
    }
}

/// A quantised model prepared for execution (weights packed once).
pub struct Golden<'a> {
    pub model: &'a QuantizedModel,
    order: Vec<NodeId>,
    packed: HashMap<NodeId, Packed>,
}

#[derive(Debug, thiserror::Error)]
#[error("quantized model is inconsistent at node '{node}': {message}")]
pub struct InvalidModel {
    pub node: String,
    pub message: String,
}

impl<'a> Golden<'a> {
    /// Check that every node has parameters of the right kind and size, then pack weights.
    pub fn new(model: &'a QuantizedModel) -> Result<Self, InvalidModel> {
        let g = &model.graph;
        // Only graphs the builder makes are executable: a stored graph must equal a fresh build
        // of its own model description, so kernels always see the tensor kinds they expect.
        let whole = |message: String| InvalidModel { node: "-".into(), message };
        let fresh = vitfpga_graph::build_vit(&g.model).map_err(|e| whole(e.to_string()))?;
        if bincode::serialize(&fresh).ok() != bincode::serialize(g).ok() {
            return Err(whole("the graph differs from the one its model description builds".into()));
        }
        let order = g.topo_order().map_err(|e| whole(e.to_string()))?;
        let mut packed = HashMap::new();
        for &id in &order {
            let node = g.node(id);
            let bad = |message: String| InvalidModel { node: node.name.clone(), message };
            let p = model.params.get(&node.name).ok_or_else(|| bad("no parameters".into()))?;
            let bits = p.out().bits;
            let max_bits = if matches!(node.kind, OpKind::AttnScores { .. }) {
                32
            } else if node.name == g.node(g.output()).name {
                16
            } else {
                8
            };
            if !(2..=max_bits).contains(&bits)
                || p.out().scales.is_empty()
                || p.out().scales.iter().any(|s| !s.is_finite())
            {
                return Err(bad(format!("output bits {bits} or scales out of range")));
            }
            let d_last = *node.shape.last().unwrap_or(&0);
            let in_bits: Vec<u32> =
                g.inputs(id).iter().map(|i| model.params.get(&g.node(*i).name).map_or(0, |p| p.out().bits)).collect();
            let ok = match (&node.kind, p) {
                (OpKind::Input { .. }, NodeParams::Input { .. }) => true,
                (OpKind::Patchify { .. } | OpKind::SelectClass, NodeParams::Passthrough { out }) => {
                    out.bits == in_bits[0]
                }
                (
                    OpKind::Linear { in_features, out_features },
                    NodeParams::Linear { w_bits, weights, w_scale, bias, mult, acc_bits, .. },
                ) => {
                    let (k, n) = (*in_features, *out_features);
                    if !(1..=8).contains(w_bits)
                        || *acc_bits != crate::arith::acc_bits(in_bits[0], *w_bits, k)
                        || *acc_bits > 32
                    {
                        return Err(bad(format!(
                            "w_bits {w_bits} / accumulator {acc_bits} bits do not fit {}-bit inputs and K = {k}",
                            in_bits[0]
                        )));
                    }
                    let bound = crate::arith::bias_bound(in_bits[0], *w_bits, k);
                    let (wlo, whi) = if *w_bits == 1 { (-1, 1) } else { crate::arith::range(*w_bits) };
                    let sizes =
                        weights.len() == k * n && [bias.len(), mult.len(), w_scale.len()].iter().all(|&l| l == n);
                    let fits = sizes
                        && mult.iter().all(|m| m.is_valid())
                        && bias.iter().all(|&b| (-bound..bound).contains(&(b as i64)))
                        && weights.iter().all(|&w| (wlo..=whi).contains(&(w as i64)) && (*w_bits != 1 || w != 0));
                    if fits {
                        packed.insert(id, Packed::rhs(weights, n, k));
                    }
                    fits
                }
                (OpKind::ClassPosEmbed { tokens, dim }, NodeParams::ClassPosEmbed { cls_row, pos, mult, out }) => {
                    let (lo, hi) = crate::arith::range(out.bits);
                    cls_row.len() == *dim
                        && cls_row.iter().all(|&c| (lo..=hi).contains(&(c as i64)))
                        && pos.len() == (tokens - 1) * dim
                        && pos.iter().all(|p| p.unsigned_abs() <= 1 << 47)
                        && mult.is_valid()
                }
                (OpKind::LayerNorm { dim, .. }, NodeParams::LayerNorm { p, out }) => {
                    p.gamma.len() == *dim
                        && p.beta.len() == *dim
                        && p.shift <= 62
                        && p.out_bits == out.bits
                        && (1..=1 << 62).contains(&p.eps_q)
                        && p.gamma.iter().all(|g| g.unsigned_abs() < 1 << 15)
                        && p.beta.iter().all(|b| b.unsigned_abs() <= 1 << 61)
                }
                (OpKind::AttnScores { head_dim, .. }, NodeParams::AttnScores { out }) => {
                    out.bits == crate::arith::acc_bits(in_bits[0], in_bits[0], *head_dim) && out.bits <= 32
                }
                (OpKind::Softmax { .. }, NodeParams::Softmax { to_exp2, .. }) => to_exp2.is_valid(),
                (OpKind::AttnContext { .. }, NodeParams::AttnContext { mult, acc_bits, .. }) => {
                    *acc_bits == crate::arith::acc_bits(in_bits[0], in_bits[1], node.shape[0])
                        && *acc_bits <= 32
                        && mult.is_valid()
                }
                (OpKind::Gelu, NodeParams::Gelu { in_bits: tb, table, .. }) => {
                    *tb == in_bits[0] && table.len() == 1 << tb
                }
                (OpKind::Add, NodeParams::Add { shift, ma, mb, .. }) => {
                    *shift <= 62 && (0..1 << 15).contains(ma) && (0..1 << 15).contains(mb)
                }
                _ => false,
            };
            if !ok || d_last == 0 {
                return Err(bad(format!(
                    "parameters do not fit a {} node of shape {:?}",
                    node.kind.mnemonic(),
                    node.shape
                )));
            }
        }
        Ok(Golden { model, order, packed })
    }

    /// The host-side boundary conversion of a float image to input integers.
    pub fn quantize_input(&self, image: &[f32]) -> Vec<i8> {
        let g = &self.model.graph;
        let input = g.node(self.order[0]);
        let q = self.model.params[&input.name].out();
        let s = q.scale() as f32;
        image.iter().map(|&x| clamp_bits((x / s).round() as i64, q.bits) as i8).collect()
    }

    /// Image (float, already normalised) to integer logits.
    pub fn run(&self, image: &[f32]) -> Vec<i64> {
        self.trace(image).logits()
    }

    pub fn trace(&self, image: &[f32]) -> Trace {
        self.trace_quantized(self.quantize_input(image))
    }

    /// Run from already-quantised input integers (what the accelerator receives).
    pub fn trace_quantized(&self, input: Vec<i8>) -> Trace {
        let g = &self.model.graph;
        let mut vals: HashMap<NodeId, Act> = HashMap::new();
        for &id in &self.order {
            let node = g.node(id);
            let ins: Vec<&Act> = g.inputs(id).iter().map(|i| &vals[i]).collect();
            let p = &self.model.params[&node.name];
            let out = match (&node.kind, p) {
                (OpKind::Input { .. }, _) => Act::I8(input.clone()),
                (OpKind::Patchify { patch_size }, _) => {
                    Act::I8(patchify(ins[0].i8(), &g.node(g.inputs(id)[0]).shape, *patch_size))
                }
                (OpKind::Linear { in_features, out_features }, NodeParams::Linear { bias, mult, out, .. }) => {
                    let x = ins[0].i8();
                    let m = x.len() / in_features;
                    let acc = gemm(&Packed::lhs(x, m, *in_features), &self.packed[&id]);
                    let y = if out.bits <= 8 {
                        Act::I8(requantize::requantize_i8(&acc, bias, mult, out.bits))
                    } else {
                        Act::I32(requantize::requantize(&acc, bias, mult, out.bits))
                    };
                    debug_assert_eq!(y.len(), m * out_features);
                    y
                }
                (OpKind::ClassPosEmbed { dim, .. }, NodeParams::ClassPosEmbed { cls_row, pos, mult, out }) => {
                    let mut y = cls_row.clone();
                    y.extend(ins[0].i8().iter().zip(pos).map(|(&x, &pb)| {
                        clamp_bits(crate::arith::rshift_round(x as i64 * mult.m as i64 + pb, mult.shift), out.bits)
                            as i8
                    }));
                    debug_assert_eq!(y.len() % dim, 0);
                    Act::I8(y)
                }
                (OpKind::LayerNorm { .. }, NodeParams::LayerNorm { p, .. }) => {
                    Act::I8(layernorm::layernorm(ins[0].i8(), p))
                }
                (OpKind::AttnScores { heads, head_dim }, _) => Act::I32(attn_scores(ins[0].i8(), *heads, *head_dim)),
                (OpKind::Softmax { len }, NodeParams::Softmax { to_exp2, out }) => {
                    Act::I8(softmax::softmax(ins[0].i32(), *len, *to_exp2, out.bits))
                }
                (OpKind::AttnContext { heads, head_dim }, NodeParams::AttnContext { mult, out, .. }) => {
                    Act::I8(attn_context(ins[0].i8(), ins[1].i8(), *heads, *head_dim, *mult, out.bits))
                }
                (OpKind::Gelu, NodeParams::Gelu { in_bits, table, .. }) => {
                    Act::I8(requantize::lookup(ins[0].i8(), table, *in_bits))
                }
                (OpKind::Add, NodeParams::Add { ma, mb, shift, out }) => {
                    Act::I8(requantize::add_rescale(ins[0].i8(), ins[1].i8(), *ma, *mb, *shift, out.bits))
                }
                (OpKind::SelectClass, _) => {
                    let d = node.shape[1];
                    Act::I8(ins[0].i8()[..d].to_vec())
                }
                _ => unreachable!("Golden::new checked every node's parameters"),
            };
            vals.insert(id, out);
        }
        // Hand the outputs over in topological order (moved, not copied).
        let nodes =
            self.order.iter().map(|id| (g.node(*id).name.clone(), vals.remove(id).expect("every node ran"))).collect();
        Trace { nodes }
    }
}

/// `[C,H,W] -> [patches, C*P*P]`, patches row-major, each flattened `(c, y, x)`.
pub fn patchify(img: &[i8], shape: &[usize], p: usize) -> Vec<i8> {
    let (c, h, w) = (shape[0], shape[1], shape[2]);
    let (gh, gw) = (h / p, w / p);
    let mut out = Vec::with_capacity(img.len());
    for py in 0..gh {
        for px in 0..gw {
            for ch in 0..c {
                for i in 0..p {
                    let row = (ch * h + py * p + i) * w + px * p;
                    out.extend_from_slice(&img[row..row + p]);
                }
            }
        }
    }
    out
}

/// Per head `z[h][i][j] = sum_d q[i][h*dh+d] * k[j][h*dh+d]`, from the fused `[T, 3D]` qkv.
pub fn attn_scores(qkv: &[i8], heads: usize, dh: usize) -> Vec<i32> {
    let d = heads * dh;
    let t = qkv.len() / (3 * d);
    // Column slice `[T, dh]` of the qkv tensor starting at feature `off`, made contiguous.
    let slice = |off: usize| -> Vec<i8> {
        let mut v = Vec::with_capacity(t * dh);
        for r in 0..t {
            v.extend_from_slice(&qkv[r * 3 * d + off..r * 3 * d + off + dh]);
        }
        v
    };
    let mut out = vec![0i32; heads * t * t];
    out.par_chunks_mut(t * t).enumerate().for_each(|(h, o)| {
        o.copy_from_slice(&gemm(&Packed::lhs(&slice(h * dh), t, dh), &Packed::rhs(&slice(d + h * dh), t, dh)));
    });
    out
}

/// Per head `acc[i][d] = sum_j p[h][i][j] * v[j][h*dh+d]`, requantised, heads concatenated.
pub fn attn_context(
    p: &[i8],
    qkv: &[i8],
    heads: usize,
    dh: usize,
    mult: crate::arith::Multiplier,
    bits: u32,
) -> Vec<i8> {
    let d = heads * dh;
    let t = qkv.len() / (3 * d);
    let per_head: Vec<Vec<i32>> = (0..heads)
        .into_par_iter()
        .map(|h| {
            let ph = Packed::lhs(&p[h * t * t..(h + 1) * t * t], t, t);
            // V_h transposed, `[dh, T]`, so that its rows are the dot-product operands.
            let mut vt = vec![0i8; dh * t];
            for j in 0..t {
                for (c, &v) in qkv[j * 3 * d + 2 * d + h * dh..j * 3 * d + 2 * d + h * dh + dh].iter().enumerate() {
                    vt[c * t + j] = v;
                }
            }
            gemm(&ph, &Packed::rhs(&vt, dh, t))
        })
        .collect();
    let mut out = vec![0i8; t * d];
    for (h, acc) in per_head.iter().enumerate() {
        for i in 0..t {
            for j in 0..dh {
                out[i * d + h * dh + j] = clamp_bits(mult.apply(acc[i * dh + j] as i64), bits) as i8;
            }
        }
    }
    out
}
