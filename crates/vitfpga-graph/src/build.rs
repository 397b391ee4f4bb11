use vitfpga_model::ModelConfig;

use crate::passes::{run_pipeline, DEFAULT_PIPELINE};
use crate::{Graph, GraphError, LayerType as L, OpKind};

/// Lower a model description to the operator graph and run the default pass pipeline
/// (shape inference, then validation).
pub fn build_vit(cfg: &ModelConfig) -> Result<Graph, GraphError> {
    cfg.validate().map_err(|e| GraphError::Graph(e.to_string()))?;
    let mut g = Graph::new(cfg.clone());
    let d = cfg.embed_dim;
    let t = cfg.tokens();
    let heads = cfg.num_heads;
    let hd = cfg.head_dim();

    let input = g.add("input", OpKind::Input { in_chans: cfg.in_chans, img_size: cfg.img_size }, L::Input, &[]);
    let patches = g.add("patchify", OpKind::Patchify { patch_size: cfg.patch_size }, L::Patchify, &[input]);
    let pe = g.add(
        "patch_embed.proj",
        OpKind::Linear { in_features: cfg.patch_len(), out_features: d },
        L::PatchEmbed,
        &[patches],
    );
    let mut x = g.add("embed", OpKind::ClassPosEmbed { tokens: t, dim: d }, L::Embed, &[pe]);

    for i in 0..cfg.depth {
        let b = format!("blocks.{i}");
        let n1 = g.add(format!("{b}.norm1"), OpKind::LayerNorm { dim: d, eps: cfg.ln_eps }, L::Norm, &[x]);
        let qkv = g.add(format!("{b}.attn.qkv"), OpKind::Linear { in_features: d, out_features: 3 * d }, L::Qkv, &[n1]);
        let s = g.add(format!("{b}.attn.scores"), OpKind::AttnScores { heads, head_dim: hd }, L::AttnScores, &[qkv]);
        let p = g.add(format!("{b}.attn.softmax"), OpKind::Softmax { len: t }, L::Softmax, &[s]);
        let c =
            g.add(format!("{b}.attn.context"), OpKind::AttnContext { heads, head_dim: hd }, L::AttnContext, &[p, qkv]);
        let proj =
            g.add(format!("{b}.attn.proj"), OpKind::Linear { in_features: d, out_features: d }, L::AttnProj, &[c]);
        let r1 = g.add(format!("{b}.add1"), OpKind::Add, L::Residual, &[x, proj]);
        let n2 = g.add(format!("{b}.norm2"), OpKind::LayerNorm { dim: d, eps: cfg.ln_eps }, L::Norm, &[r1]);
        let h = cfg.mlp_hidden();
        let fc1 = g.add(format!("{b}.mlp.fc1"), OpKind::Linear { in_features: d, out_features: h }, L::Fc1, &[n2]);
        let act = g.add(format!("{b}.mlp.gelu"), OpKind::Gelu, L::Gelu, &[fc1]);
        let fc2 = g.add(format!("{b}.mlp.fc2"), OpKind::Linear { in_features: h, out_features: d }, L::Fc2, &[act]);
        x = g.add(format!("{b}.add2"), OpKind::Add, L::Residual, &[r1, fc2]);
    }
    // LayerNorm is per token, so norming only the class token equals timm's norm-then-pool.
    let cls = g.add("select_class", OpKind::SelectClass, L::SelectClass, &[x]);
    let n = g.add("norm", OpKind::LayerNorm { dim: d, eps: cfg.ln_eps }, L::Norm, &[cls]);
    g.add("head", OpKind::Linear { in_features: d, out_features: cfg.num_classes }, L::Head, &[n]);

    run_pipeline(&mut g, DEFAULT_PIPELINE)?;
    Ok(g)
}
