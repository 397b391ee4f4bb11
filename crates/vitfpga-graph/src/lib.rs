//! Graph stage: a ViT as a typed dataflow graph of operators.
//!
//! Nodes are operators ([`OpKind`]) with their output shapes; edges carry tensors and say which
//! input port they feed. Passes ([`passes`]) infer shapes, validate and count costs; later stages
//! (quantiser, golden model, compiler) walk the graph in [`Graph::topo_order`].

mod build;
mod ir;
pub mod passes;

pub use build::build_vit;
pub use ir::{Edge, Graph, GraphError, LayerGroup, LayerType, Node, NodeId, OpKind};
pub use passes::cost::{Cost, CostSummary};
