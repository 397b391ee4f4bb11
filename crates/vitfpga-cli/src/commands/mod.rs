pub mod bench;
pub mod build;
pub mod design;
pub mod disasm;
pub mod doctor;
pub mod emit_unit;
pub mod eval;
pub mod info;
pub mod quantize;
pub mod report;
pub mod search;
pub mod simulate;
pub mod verify;

use std::path::PathBuf;

use vitfpga_golden::QuantizedModel;
use vitfpga_model::{load_images, ModelConfig, Weights};
use vitfpga_quant::{quantize_model_with_progress, synthetic_images, QuantConfig};

use crate::error::CliError;
use crate::output::Output;

/// How to get a quantised model: from a file, or by quantising a model on the spot.
#[derive(clap::Args, Clone, Debug)]
pub struct ModelArgs {
    /// Preset name or model TOML path
    #[arg(long)]
    pub model: Option<String>,
    /// timm-style safetensors state_dict (f32/f16/bf16); without it, synthetic weights
    #[arg(long)]
    pub weights: Option<PathBuf>,
    /// Seed of the synthetic weights and calibration images (default 0); only where one of them is synthetic
    #[arg(long)]
    pub seed: Option<u64>,
    /// Calibration images, .npy float32 [N,C,H,W]; without it, synthetic noise images
    #[arg(long)]
    pub calib: Option<PathBuf>,
    /// Weight bits for every layer, 1..=8 (1 = binary)
    #[arg(long)]
    pub w_bits: Option<u32>,
    /// Activation bits for every layer, 2..=8
    #[arg(long)]
    pub a_bits: Option<u32>,
    /// Quantization TOML with per-layer-type and per-layer-name overrides
    #[arg(long, conflicts_with_all = ["w_bits", "a_bits"])]
    pub quant: Option<PathBuf>,
}

/// Synthetic calibration images used when none are given (throughput work only).
const SYNTHETIC_CALIB_IMAGES: usize = 2;

impl ModelArgs {
    pub fn config(&self) -> Result<ModelConfig, CliError> {
        let spec = self.model.as_deref().ok_or_else(|| CliError::Usage("--model is required".into()))?;
        Ok(ModelConfig::resolve(spec)?)
    }

    pub fn quant_config(&self) -> Result<QuantConfig, CliError> {
        let q = match &self.quant {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(CliError::read(p))?;
                QuantConfig::from_toml_str(&text, &p.display().to_string())?
            }
            None => QuantConfig::uniform(self.w_bits.unwrap_or(8), self.a_bits.unwrap_or(8)),
        };
        q.check_bits()?;
        Ok(q)
    }

    /// Every flag checked before any weight is read or image calibrated: the model, the bits, the
    /// quantization file's layer names, and `--seed` only where something is synthetic.
    pub fn validate(&self) -> Result<(vitfpga_model::ModelConfig, QuantConfig), CliError> {
        let cfg = self.config()?;
        let q = self.quant_config()?;
        q.check_names(&vitfpga_graph::build_vit(&cfg)?)?;
        if self.seed.is_some() && self.weights.is_some() && self.calib.is_some() {
            return Err(CliError::Usage(
                "--seed seeds synthetic weights and calibration images; with both --weights and --calib given it \
                 does not apply"
                    .into(),
            ));
        }
        Ok((cfg, q))
    }

    pub fn quantize(&self, out: &Output) -> Result<QuantizedModel, CliError> {
        let (cfg, q) = self.validate()?;
        let seed = self.seed.unwrap_or(0);
        let weights = match &self.weights {
            Some(p) => Weights::load_safetensors(p, &cfg)?,
            None => Weights::synthetic(&cfg, seed),
        };
        let calib = match &self.calib {
            Some(p) => load_images(p, &cfg)?,
            None => {
                out.note(format!("no --calib given; calibrating on {SYNTHETIC_CALIB_IMAGES} synthetic images"));
                synthetic_images(&cfg, SYNTHETIC_CALIB_IMAGES, seed)
            }
        };
        let bar = out.progress(calib.n as u64, "calibrating");
        let qm = quantize_model_with_progress(&cfg, &weights, &calib, &q, &|| bar.inc(1));
        bar.finish_and_clear();
        Ok(qm?)
    }
}
