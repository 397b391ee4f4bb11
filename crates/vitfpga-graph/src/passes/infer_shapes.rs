//! infer-shapes: compute every node's output shape from its inputs and check that they fit.

use super::Pass;
use crate::{Graph, GraphError, OpKind};

pub struct InferShapes;

impl Pass for InferShapes {
    fn name(&self) -> &'static str {
        "infer-shapes"
    }
    fn purpose(&self) -> &'static str {
        "compute every node's output shape from its inputs and check that they fit"
    }
    fn run(&self, g: &mut Graph) -> Result<(), GraphError> {
        for id in g.topo_order()? {
            let ins: Vec<Vec<usize>> = g.inputs(id).iter().map(|&i| g.node(i).shape.clone()).collect();
            let node = g.node(id);
            let shape =
                infer(&node.kind, &ins).map_err(|message| GraphError::Node { node: node.name.clone(), message })?;
            g.dag[id].shape = shape;
        }
        Ok(())
    }
}

fn infer(kind: &OpKind, ins: &[Vec<usize>]) -> Result<Vec<usize>, String> {
    if ins.len() != kind.arity() {
        return Err(format!("{} takes {} inputs, has {}", kind.mnemonic(), kind.arity(), ins.len()));
    }
    let want = |cond: bool, what: String| if cond { Ok(()) } else { Err(what) };
    Ok(match kind {
        OpKind::Input { in_chans, img_size } => vec![*in_chans, *img_size, *img_size],
        OpKind::Patchify { patch_size: p } => {
            let [c, h, w] = ins[0][..] else { return Err(format!("patchify needs [C,H,W], got {:?}", ins[0])) };
            want(*p > 0 && h % p == 0 && w % p == 0, format!("patch {p} does not tile {h}x{w}"))?;
            vec![(h / p) * (w / p), c * p * p]
        }
        OpKind::Linear { in_features, out_features } => {
            let [m, k] = ins[0][..] else { return Err(format!("linear needs [M,K], got {:?}", ins[0])) };
            want(k == *in_features, format!("input has {k} features, weights expect {in_features}"))?;
            vec![m, *out_features]
        }
        OpKind::ClassPosEmbed { tokens, dim } => {
            let [m, d] = ins[0][..] else { return Err(format!("embed needs [Np,D], got {:?}", ins[0])) };
            want(m + 1 == *tokens && d == *dim, format!("input {:?} does not give {tokens} tokens of {dim}", ins[0]))?;
            vec![*tokens, *dim]
        }
        OpKind::LayerNorm { dim, .. } => {
            want(ins[0].len() == 2 && ins[0][1] == *dim, format!("input {:?} is not [T, {dim}]", ins[0]))?;
            ins[0].clone()
        }
        OpKind::AttnScores { heads, head_dim } => {
            let [t, f] = ins[0][..] else { return Err(format!("attn_scores needs [T,3D], got {:?}", ins[0])) };
            want(f == 3 * heads * head_dim, format!("qkv has {f} features, expected 3*{heads}*{head_dim}"))?;
            vec![*heads, t, t]
        }
        OpKind::Softmax { len } => {
            want(ins[0].last() == Some(len), format!("rows of {:?} are not {len} long", ins[0]))?;
            ins[0].clone()
        }
        OpKind::AttnContext { heads, head_dim } => {
            let [h, t, t2] = ins[0][..] else { return Err(format!("probabilities must be [H,T,T], got {:?}", ins[0])) };
            let [t3, f] = ins[1][..] else { return Err(format!("qkv must be [T,3D], got {:?}", ins[1])) };
            want(
                h == *heads && t == t2 && t == t3 && f == 3 * heads * head_dim,
                format!("{:?} and {:?} do not match", ins[0], ins[1]),
            )?;
            vec![t, heads * head_dim]
        }
        OpKind::Gelu => ins[0].clone(),
        OpKind::Add => {
            want(ins[0] == ins[1], format!("cannot add {:?} and {:?}", ins[0], ins[1]))?;
            ins[0].clone()
        }
        OpKind::SelectClass => {
            let [_, d] = ins[0][..] else { return Err(format!("select_class needs [T,D], got {:?}", ins[0])) };
            vec![1, d]
        }
    })
}
