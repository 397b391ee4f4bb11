//! validate: check the graph is a well-formed single-input, single-output ViT graph.

use std::collections::BTreeSet;

use super::Pass;
use crate::{Graph, GraphError, OpKind};

pub struct Validate;

impl Pass for Validate {
    fn name(&self) -> &'static str {
        "validate"
    }
    fn purpose(&self) -> &'static str {
        "check the graph is a well-formed single-input, single-output ViT graph"
    }
    fn run(&self, g: &mut Graph) -> Result<(), GraphError> {
        let order = g.topo_order()?;
        let mut names = BTreeSet::new();
        let mut inputs = 0;
        for &id in &order {
            let n = g.node(id);
            if !names.insert(n.name.as_str()) {
                return Err(GraphError::Node { node: n.name.clone(), message: "duplicate node name".into() });
            }
            if n.shape.is_empty() || n.shape.contains(&0) {
                return Err(GraphError::Node {
                    node: n.name.clone(),
                    message: format!("bad or missing shape {:?}", n.shape),
                });
            }
            let ports: Vec<usize> = {
                let mut p: Vec<usize> =
                    g.dag.edges_directed(id, petgraph::Direction::Incoming).map(|e| e.weight().port).collect();
                p.sort();
                p
            };
            if ports != (0..n.kind.arity()).collect::<Vec<_>>() {
                return Err(GraphError::Node {
                    node: n.name.clone(),
                    message: format!("input ports {ports:?} do not match arity {}", n.kind.arity()),
                });
            }
            if matches!(n.kind, OpKind::Input { .. }) {
                inputs += 1;
            }
        }
        if inputs != 1 {
            return Err(GraphError::Graph(format!("expected one input node, found {inputs}")));
        }
        let sinks = g
            .dag
            .node_indices()
            .filter(|&i| g.dag.edges_directed(i, petgraph::Direction::Outgoing).next().is_none())
            .count();
        if sinks != 1 {
            return Err(GraphError::Graph(format!("expected one output node, found {sinks}")));
        }
        Ok(())
    }
}
