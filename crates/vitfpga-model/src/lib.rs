//! Model stage: what a ViT is (its shape), what its weights are, and the images it reads.
//!
//! Everything downstream (graph IR, quantiser, golden model, hardware) starts from a
//! [`ModelConfig`] and, when real numbers matter, a [`Weights`] set.

mod config;
mod error;
mod images;
mod weights;

pub use config::{ModelConfig, PRESETS};
pub use error::ModelError;
pub use images::{images_from_npy_bytes, labels_from_npy_bytes, load_images, load_labels, Images};
pub use weights::{expected_tensors, Tensor, Weights};
