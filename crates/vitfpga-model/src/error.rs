use std::path::PathBuf;

/// Everything that can be wrong with a model description, its weights or its input images.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("unknown model '{0}': not a preset ({presets}) and no such file", presets = crate::PRESETS.join(", "))]
    UnknownModel(String),
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("malformed model TOML {path}: {message}")]
    Toml { path: String, message: String },
    #[error("invalid model '{name}': {message}")]
    Invalid { name: String, message: String },
    #[error("{path}: not a valid safetensors file: {message}")]
    Safetensors { path: PathBuf, message: String },
    #[error("weights {path}: missing tensor '{tensor}' (expected shape {expected:?})")]
    MissingTensor { path: PathBuf, tensor: String, expected: Vec<usize> },
    #[error("weights {path}: tensor '{tensor}' has shape {found:?}, expected {expected:?}")]
    WrongShape { path: PathBuf, tensor: String, expected: Vec<usize>, found: Vec<usize> },
    #[error("weights {path}: tensor '{tensor}' has dtype {found}, supported are F32, F16 and BF16")]
    UnsupportedDtype { path: PathBuf, tensor: String, found: String },
    #[error("weights {path}: tensor '{tensor}' holds a non-finite value (NaN or infinity)")]
    NonFinite { path: PathBuf, tensor: String },
    #[error("{path}: not a valid .npy file: {message}")]
    Npy { path: PathBuf, message: String },
    #[error("{path}: {what} must have dtype {expected}, found {found}")]
    NpyDtype { path: PathBuf, what: &'static str, expected: &'static str, found: String },
    #[error("{path}: image array has shape {found:?}, expected {expected}")]
    ImageShape { path: PathBuf, found: Vec<u64>, expected: String },
}
