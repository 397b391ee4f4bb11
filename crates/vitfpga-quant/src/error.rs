#[derive(Debug, thiserror::Error)]
pub enum QuantError {
    #[error("malformed quantization TOML {origin}: {message}")]
    Toml { origin: String, message: String },
    #[error("{what} = {value} is out of range: {range}")]
    Bits { what: String, value: u32, range: &'static str },
    #[error("quantization config names unknown layer '{0}' (see `vitfpga info` for layer names)")]
    UnknownLayer(String),
    #[error(
        "quantization config: [layer_type.{name}] is neither a layer group nor a layer type; groups: attention, mlp, \
         embed_head, other; types: {types}"
    )]
    UnknownLayerType { name: String, types: String },
    #[error("percentile must lie in (50, 100], found {0}")]
    Percentile(f64),
    #[error(
        "layer '{layer}' needs a {bits}-bit accumulator (K = {k}); at most 32 bits are supported, lower the bit widths"
    )]
    Accumulator { layer: String, bits: u32, k: usize },
    #[error("layer '{layer}': scale ratio {ratio:e} cannot be represented as a 15-bit multiplier and shift (calibration ranges out of proportion?)")]
    ScaleRatio { layer: String, ratio: f64 },
    #[error("calibration needs at least one image")]
    NoCalibration,
    #[error("{0}")]
    Model(#[from] vitfpga_model::ModelError),
}
