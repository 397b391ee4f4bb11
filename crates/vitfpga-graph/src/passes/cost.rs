//! cost: multiply-accumulates and parameters of each node and of the whole graph.

use serde::Serialize;

use crate::{Graph, Node, OpKind};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Cost {
    pub macs: u64,
    pub params: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CostSummary {
    pub macs: u64,
    pub params: u64,
    pub per_node: Vec<(String, Cost)>,
}

/// MACs count the two GEMM-shaped attention products as well as the linear layers (the
/// convention of the DeiT paper's FLOP counts); parameters are every trainable value.
pub fn node_cost(n: &Node) -> Cost {
    let rows = || n.shape.iter().rev().skip(1).product::<usize>() as u64;
    match &n.kind {
        OpKind::Linear { in_features: k, out_features: o } => {
            Cost { macs: rows() * (*k as u64) * (*o as u64), params: (*k as u64 + 1) * (*o as u64) }
        }
        OpKind::ClassPosEmbed { tokens, dim } => Cost { macs: 0, params: ((tokens + 1) * dim) as u64 },
        OpKind::LayerNorm { dim, .. } => Cost { macs: 0, params: 2 * *dim as u64 },
        OpKind::AttnScores { heads, head_dim } => {
            let t = n.shape[1] as u64;
            Cost { macs: (*heads as u64) * t * t * (*head_dim as u64), params: 0 }
        }
        OpKind::AttnContext { heads, head_dim } => {
            let t = n.shape[0] as u64;
            Cost { macs: (*heads as u64) * t * t * (*head_dim as u64), params: 0 }
        }
        _ => Cost::default(),
    }
}

pub fn summarize(g: &Graph) -> CostSummary {
    let order = g.topo_order().expect("a built graph is acyclic");
    let per_node: Vec<(String, Cost)> = order.iter().map(|&i| (g.node(i).name.clone(), node_cost(g.node(i)))).collect();
    CostSummary {
        macs: per_node.iter().map(|(_, c)| c.macs).sum(),
        params: per_node.iter().map(|(_, c)| c.params).sum(),
        per_node,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vitfpga_model::{ModelConfig, PRESETS};

    /// Published totals (DeiT paper, timm): MACs and parameters, each within 1 %.
    #[test]
    fn preset_totals_match_published_figures() {
        let published = [
            ("deit-tiny", 1.26e9, 5.7e6),
            ("deit-small", 4.6e9, 22.0e6),
            ("deit-base", 17.6e9, 86.0e6),
            ("vit-base-16", 17.6e9, 86.0e6),
            ("vit-large-16", 61.6e9, 304.0e6),
        ];
        assert_eq!(published.len(), PRESETS.len());
        for (name, macs, params) in published {
            let cfg = ModelConfig::preset(name).unwrap();
            let s = summarize(&crate::build_vit(&cfg).unwrap());
            let dm = (s.macs as f64 - macs).abs() / macs;
            let dp = (s.params as f64 - params).abs() / params;
            assert!(dm < 0.01, "{name}: {} MACs vs {macs}", s.macs);
            assert!(dp < 0.01, "{name}: {} params vs {params}", s.params);
            assert_eq!(s.params, cfg.param_count(), "{name}: graph and weight list disagree");
        }
    }

    #[test]
    fn graph_is_deterministic_and_shaped() {
        let cfg = ModelConfig::preset("deit-tiny").unwrap();
        let g = crate::build_vit(&cfg).unwrap();
        let out = g.node(g.output());
        assert_eq!(out.name, "head");
        assert_eq!(out.shape, vec![1, 1000]);
        let s = g.node(g.find("blocks.0.attn.scores").unwrap());
        assert_eq!(s.shape, vec![3, 197, 197]);
        let names: Vec<String> = g.topo_order().unwrap().iter().map(|&i| g.node(i).name.clone()).collect();
        let again: Vec<String> = {
            let g2 = crate::build_vit(&cfg).unwrap();
            g2.topo_order().unwrap().iter().map(|&i| g2.node(i).name.clone()).collect()
        };
        assert_eq!(names, again);
        assert_eq!(names[0], "input");
    }

    #[test]
    fn shape_errors_name_the_node() {
        let cfg = ModelConfig::preset("deit-tiny").unwrap();
        let mut g = crate::build_vit(&cfg).unwrap();
        let fc2 = g.find("blocks.2.mlp.fc2").unwrap();
        g.dag[fc2].kind = OpKind::Linear { in_features: 100, out_features: 192 };
        let e = crate::passes::run_pipeline(&mut g, crate::passes::DEFAULT_PIPELINE).unwrap_err().to_string();
        assert!(e.contains("blocks.2.mlp.fc2") && e.contains("100"), "{e}");
    }
}
