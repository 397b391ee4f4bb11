use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use serde::{Deserialize, Serialize};
use vitfpga_model::ModelConfig;

pub type NodeId = NodeIndex<u32>;

/// Operator kinds. Shapes are row-major; token-major activations are `[tokens, features]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    /// The image, `[in_chans, img_size, img_size]`.
    Input {
        in_chans: usize,
        img_size: usize,
    },
    /// Cut into non-overlapping patches, each flattened `(c, y, x)` as timm's conv weight is:
    /// `[C,H,W] -> [num_patches, C*P*P]`. Pure data movement.
    Patchify {
        patch_size: usize,
    },
    /// `y = x W^T + b`, `W: [out_features, in_features]` (the patch-embed conv is one too).
    Linear {
        in_features: usize,
        out_features: usize,
    },
    /// Prepend the class token and add the position embedding: `[Np, D] -> [Np+1, D]`.
    ClassPosEmbed {
        tokens: usize,
        dim: usize,
    },
    LayerNorm {
        dim: usize,
        eps: f64,
    },
    /// Per-head `Q K^T / sqrt(head_dim)` from the fused qkv tensor: `[T, 3D] -> [H, T, T]`.
    AttnScores {
        heads: usize,
        head_dim: usize,
    },
    /// Row-wise softmax over the last axis.
    Softmax {
        len: usize,
    },
    /// Per-head `P V`, heads concatenated: `([H,T,T], [T,3D]) -> [T, D]`.
    AttnContext {
        heads: usize,
        head_dim: usize,
    },
    Gelu,
    /// Residual add of two same-shaped tensors.
    Add,
    /// Keep the class token row: `[T, D] -> [1, D]`.
    SelectClass,
}

impl OpKind {
    pub fn mnemonic(&self) -> &'static str {
        match self {
            OpKind::Input { .. } => "input",
            OpKind::Patchify { .. } => "patchify",
            OpKind::Linear { .. } => "linear",
            OpKind::ClassPosEmbed { .. } => "cls_pos_embed",
            OpKind::LayerNorm { .. } => "layernorm",
            OpKind::AttnScores { .. } => "attn_scores",
            OpKind::Softmax { .. } => "softmax",
            OpKind::AttnContext { .. } => "attn_context",
            OpKind::Gelu => "gelu",
            OpKind::Add => "add",
            OpKind::SelectClass => "select_class",
        }
    }

    pub fn arity(&self) -> usize {
        match self {
            OpKind::Input { .. } => 0,
            OpKind::AttnContext { .. } | OpKind::Add => 2,
            _ => 1,
        }
    }
}

/// What a node is for: the unit of per-layer-type quantisation overrides (hls4ml's LayerType).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerType {
    Input,
    Patchify,
    PatchEmbed,
    Embed,
    Norm,
    Qkv,
    AttnScores,
    Softmax,
    AttnContext,
    AttnProj,
    Fc1,
    Gelu,
    Fc2,
    Residual,
    SelectClass,
    Head,
}

/// Coarser groups used by the precision search: attention, MLP, and the ends of the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerGroup {
    Attention,
    Mlp,
    EmbedHead,
    Other,
}

impl LayerType {
    pub const ALL: [LayerType; 16] = [
        LayerType::Input,
        LayerType::Patchify,
        LayerType::PatchEmbed,
        LayerType::Embed,
        LayerType::Norm,
        LayerType::Qkv,
        LayerType::AttnScores,
        LayerType::Softmax,
        LayerType::AttnContext,
        LayerType::AttnProj,
        LayerType::Fc1,
        LayerType::Gelu,
        LayerType::Fc2,
        LayerType::Residual,
        LayerType::SelectClass,
        LayerType::Head,
    ];

    pub fn group(self) -> LayerGroup {
        use LayerType::*;
        match self {
            Qkv | AttnScores | Softmax | AttnContext | AttnProj => LayerGroup::Attention,
            Fc1 | Gelu | Fc2 => LayerGroup::Mlp,
            Input | Patchify | PatchEmbed | Embed | Head => LayerGroup::EmbedHead,
            Norm | Residual | SelectClass => LayerGroup::Other,
        }
    }

    pub fn name(self) -> String {
        serde_json_like(self)
    }
}

fn serde_json_like(t: LayerType) -> String {
    // The serde name, without pulling serde_json into this crate.
    format!("{t:?}")
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            if c.is_uppercase() && i > 0 {
                vec!['_', c.to_ascii_lowercase()]
            } else {
                vec![c.to_ascii_lowercase()]
            }
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Unique; for nodes with weights, the timm parameter prefix (`blocks.3.mlp.fc1`).
    pub name: String,
    pub kind: OpKind,
    pub layer_type: LayerType,
    /// Output shape; empty until the `infer-shapes` pass has run.
    pub shape: Vec<usize>,
}

/// An edge feeds its source node's output into input `port` of its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edge {
    pub port: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum GraphError {
    #[error("node '{node}': {message}")]
    Node { node: String, message: String },
    #[error("graph: {0}")]
    Graph(String),
}

/// The IR: the model it came from and the operator graph.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Graph {
    pub model: ModelConfig,
    pub dag: DiGraph<Node, Edge>,
}

impl Graph {
    pub fn new(model: ModelConfig) -> Self {
        Graph { model, dag: DiGraph::new() }
    }

    pub fn add(&mut self, name: impl Into<String>, kind: OpKind, layer_type: LayerType, inputs: &[NodeId]) -> NodeId {
        let id = self.dag.add_node(Node { name: name.into(), kind, layer_type, shape: vec![] });
        for (port, &src) in inputs.iter().enumerate() {
            self.dag.add_edge(src, id, Edge { port });
        }
        id
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.dag[id]
    }

    /// The producers of `id`'s inputs, in port order.
    pub fn inputs(&self, id: NodeId) -> Vec<NodeId> {
        let mut v: Vec<(usize, NodeId)> =
            self.dag.edges_directed(id, petgraph::Direction::Incoming).map(|e| (e.weight().port, e.source())).collect();
        v.sort();
        v.into_iter().map(|(_, s)| s).collect()
    }

    /// Deterministic topological order (ties broken by insertion order).
    pub fn topo_order(&self) -> Result<Vec<NodeId>, GraphError> {
        // Kahn's algorithm over node indices gives a stable order, unlike a DFS-based toposort.
        let n = self.dag.node_count();
        let mut indeg: Vec<usize> =
            (0..n).map(|i| self.dag.edges_directed(NodeId::new(i), petgraph::Direction::Incoming).count()).collect();
        let mut ready: std::collections::BTreeSet<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(&i) = ready.iter().next() {
            ready.remove(&i);
            order.push(NodeId::new(i));
            for e in self.dag.edges_directed(NodeId::new(i), petgraph::Direction::Outgoing) {
                let t = e.target().index();
                indeg[t] -= 1;
                if indeg[t] == 0 {
                    ready.insert(t);
                }
            }
        }
        if order.len() != n {
            return Err(GraphError::Graph("the graph has a cycle".into()));
        }
        Ok(order)
    }

    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.dag.node_indices().find(|&i| self.dag[i].name == name)
    }

    /// The single node nothing consumes: the logits.
    pub fn output(&self) -> NodeId {
        self.dag
            .node_indices()
            .rfind(|&i| self.dag.edges_directed(i, petgraph::Direction::Outgoing).next().is_none())
            .expect("a built graph has an output")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn layer_type_names_are_snake_case() {
        assert_eq!(LayerType::AttnProj.name(), "attn_proj");
        assert_eq!(LayerType::Fc1.name(), "fc1");
        assert_eq!(LayerType::SelectClass.name(), "select_class");
    }
}
