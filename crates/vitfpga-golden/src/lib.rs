//! The golden model: integer-only, deterministic ViT inference. It is the specification —
//! docs/arithmetic.md writes down exactly what these functions compute, and the cycle-accurate
//! simulator and the RTL must equal it bit for bit.
//!
//! [`QuantizedModel`] (the `.vq` file) holds the graph and every integer parameter;
//! [`Golden`] prepares it for fast execution and runs images to logits.

pub mod arith;
mod file;
pub mod kernels;
mod model;
pub mod run;

pub use file::{FileError, FORMAT_VERSION};
pub use model::{NodeParams, QuantizedModel, TensorQuant};
pub use run::{Act, Golden, InvalidModel, Trace};
