//! Graph passes, one per file, each with a name and a one-line purpose; pipelines are lists of
//! names so that tools and tests can compose them.

pub mod cost;
pub mod infer_shapes;
pub mod validate;

use crate::{Graph, GraphError};

pub trait Pass {
    fn name(&self) -> &'static str;
    fn purpose(&self) -> &'static str;
    fn run(&self, g: &mut Graph) -> Result<(), GraphError>;
}

/// The passes every built graph goes through.
pub const DEFAULT_PIPELINE: &[&str] = &["infer-shapes", "validate"];

pub fn all_passes() -> Vec<Box<dyn Pass>> {
    vec![Box::new(infer_shapes::InferShapes), Box::new(validate::Validate)]
}

pub fn run_pipeline(g: &mut Graph, names: &[&str]) -> Result<(), GraphError> {
    let passes = all_passes();
    for name in names {
        let pass = passes
            .iter()
            .find(|p| p.name() == *name)
            .ok_or_else(|| GraphError::Graph(format!("unknown pass '{name}'")))?;
        pass.run(g)?;
    }
    Ok(())
}
