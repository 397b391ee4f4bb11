use serde::{Deserialize, Serialize};
use std::path::Path;

use crate::ModelError;

/// Names accepted by `--model` besides a TOML path.
pub const PRESETS: &[&str] = &["deit-tiny", "deit-small", "deit-base", "vit-base-16", "vit-large-16"];

/// The shape of a timm `VisionTransformer` (class token, learned position embedding,
/// pre-norm blocks, exact-erf GELU MLP, final norm, linear head on the class token).
///
/// Field names are timm's, so a model TOML reads like the timm constructor call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    #[serde(default = "default_name")]
    pub name: String,
    pub img_size: usize,
    pub patch_size: usize,
    #[serde(default = "default_in_chans")]
    pub in_chans: usize,
    pub embed_dim: usize,
    pub depth: usize,
    pub num_heads: usize,
    #[serde(default = "default_mlp_ratio")]
    pub mlp_ratio: f64,
    #[serde(default = "default_num_classes")]
    pub num_classes: usize,
    #[serde(default = "default_ln_eps")]
    pub ln_eps: f64,
}

fn default_name() -> String {
    "custom".into()
}
fn default_in_chans() -> usize {
    3
}
fn default_mlp_ratio() -> f64 {
    4.0
}
fn default_num_classes() -> usize {
    1000
}
fn default_ln_eps() -> f64 {
    1e-6
}

/// Bounds that keep every later stage's buffers and integer widths sane. They are far above
/// any published ViT, and they are checked before anything is allocated.
const MAX_IMG_SIZE: usize = 4096;
const MAX_TOKENS: usize = 16_384;
const MAX_DIM: usize = 16_384;
const MAX_DEPTH: usize = 256;
const MAX_CHANS: usize = 64;
const MAX_CLASSES: usize = 100_000;
const MAX_PARAMS: u64 = 4_000_000_000;

impl ModelConfig {
    fn vit(name: &str, embed_dim: usize, depth: usize, num_heads: usize) -> Self {
        ModelConfig {
            name: name.into(),
            img_size: 224,
            patch_size: 16,
            in_chans: 3,
            embed_dim,
            depth,
            num_heads,
            mlp_ratio: 4.0,
            num_classes: 1000,
            ln_eps: 1e-6,
        }
    }

    /// A built-in model by name (see [`PRESETS`]).
    pub fn preset(name: &str) -> Option<Self> {
        Some(match name {
            "deit-tiny" => Self::vit(name, 192, 12, 3),
            "deit-small" => Self::vit(name, 384, 12, 6),
            "deit-base" => Self::vit(name, 768, 12, 12),
            "vit-base-16" => Self::vit(name, 768, 12, 12),
            "vit-large-16" => Self::vit(name, 1024, 24, 16),
            _ => return None,
        })
    }

    /// `--model` argument: a preset name, or a path to a model TOML.
    pub fn resolve(spec: &str) -> Result<Self, ModelError> {
        if let Some(cfg) = Self::preset(spec) {
            return Ok(cfg);
        }
        let path = Path::new(spec);
        if path.is_file() {
            return Self::from_file(path);
        }
        Err(ModelError::UnknownModel(spec.to_string()))
    }

    pub fn from_file(path: &Path) -> Result<Self, ModelError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        let mut cfg = Self::from_toml_str(&text, &path.display().to_string())?;
        if cfg.name == default_name() {
            if let Some(stem) = path.file_stem() {
                cfg.name = stem.to_string_lossy().into_owned();
            }
        }
        Ok(cfg)
    }

    /// Parse and validate; `origin` names the source in error messages.
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, ModelError> {
        let cfg: ModelConfig = toml::from_str(text)
            .map_err(|e| ModelError::Toml { path: origin.to_string(), message: e.message().to_string() })?;
        cfg.validate()?;
        Ok(cfg)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("ModelConfig always serialises")
    }

    fn invalid(&self, message: String) -> ModelError {
        ModelError::Invalid { name: self.name.clone(), message }
    }

    /// Every structural constraint a timm ViT has, plus the size bounds above.
    pub fn validate(&self) -> Result<(), ModelError> {
        let positive = [
            ("img_size", self.img_size),
            ("patch_size", self.patch_size),
            ("in_chans", self.in_chans),
            ("embed_dim", self.embed_dim),
            ("depth", self.depth),
            ("num_heads", self.num_heads),
            ("num_classes", self.num_classes),
        ];
        for (field, v) in positive {
            if v == 0 {
                return Err(self.invalid(format!("{field} must be at least 1")));
            }
        }
        let bounded = [
            ("img_size", self.img_size, MAX_IMG_SIZE),
            ("in_chans", self.in_chans, MAX_CHANS),
            ("embed_dim", self.embed_dim, MAX_DIM),
            ("depth", self.depth, MAX_DEPTH),
            ("num_classes", self.num_classes, MAX_CLASSES),
        ];
        for (field, v, max) in bounded {
            if v > max {
                return Err(self.invalid(format!("{field} = {v} exceeds the supported maximum {max}")));
            }
        }
        if self.patch_size > self.img_size || !self.img_size.is_multiple_of(self.patch_size) {
            return Err(self.invalid(format!("patch_size {} must divide img_size {}", self.patch_size, self.img_size)));
        }
        if !self.embed_dim.is_multiple_of(self.num_heads) {
            return Err(self.invalid(format!("num_heads {} must divide embed_dim {}", self.num_heads, self.embed_dim)));
        }
        if !(self.mlp_ratio.is_finite() && self.mlp_ratio > 0.0) {
            return Err(self.invalid(format!("mlp_ratio must be a positive number, found {}", self.mlp_ratio)));
        }
        let hidden = self.embed_dim as f64 * self.mlp_ratio;
        if hidden < 1.0 || hidden > MAX_DIM as f64 * 4.0 {
            return Err(self.invalid(format!("mlp hidden size embed_dim * mlp_ratio = {hidden} is out of range")));
        }
        if !(self.ln_eps.is_finite() && self.ln_eps > 0.0 && self.ln_eps < 1.0) {
            return Err(self.invalid(format!("ln_eps must lie in (0, 1), found {}", self.ln_eps)));
        }
        if self.tokens() > MAX_TOKENS {
            return Err(self.invalid(format!("{} tokens exceed the supported maximum {MAX_TOKENS}", self.tokens())));
        }
        if self.param_count() > MAX_PARAMS {
            return Err(
                self.invalid(format!("{} parameters exceed the supported maximum {MAX_PARAMS}", self.param_count()))
            );
        }
        Ok(())
    }

    pub fn grid(&self) -> usize {
        self.img_size / self.patch_size
    }
    pub fn num_patches(&self) -> usize {
        self.grid() * self.grid()
    }
    /// Patches plus the class token.
    pub fn tokens(&self) -> usize {
        self.num_patches() + 1
    }
    pub fn head_dim(&self) -> usize {
        self.embed_dim / self.num_heads
    }
    /// timm: `int(embed_dim * mlp_ratio)`.
    pub fn mlp_hidden(&self) -> usize {
        (self.embed_dim as f64 * self.mlp_ratio) as usize
    }
    /// Length of one flattened patch, `in_chans * patch_size^2`.
    pub fn patch_len(&self) -> usize {
        self.in_chans * self.patch_size * self.patch_size
    }
    /// Values in one input image, `in_chans * img_size^2`.
    pub fn image_len(&self) -> usize {
        self.in_chans * self.img_size * self.img_size
    }

    /// Parameter count computed from the shapes alone (the graph's cost pass must agree).
    pub fn param_count(&self) -> u64 {
        crate::expected_tensors(self).iter().map(|(_, s)| s.iter().product::<usize>() as u64).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        for p in PRESETS {
            ModelConfig::preset(p).unwrap().validate().unwrap();
        }
    }

    #[test]
    fn toml_round_trip() {
        let cfg = ModelConfig::preset("deit-small").unwrap();
        let back = ModelConfig::from_toml_str(&cfg.to_toml(), "x").unwrap();
        assert_eq!(cfg, back);
    }

    #[test]
    fn rejects_inconsistent_shapes() {
        let bad = [
            ("img_size = 224\npatch_size = 15\nembed_dim = 64\ndepth = 1\nnum_heads = 4", "divide img_size"),
            ("img_size = 224\npatch_size = 16\nembed_dim = 64\ndepth = 1\nnum_heads = 5", "divide embed_dim"),
            ("img_size = 224\npatch_size = 16\nembed_dim = 64\ndepth = 0\nnum_heads = 4", "depth must be"),
            ("img_size = 224\npatch_size = 16\nembed_dim = 64\ndepth = 10000\nnum_heads = 4", "exceeds"),
            ("img_size = 224\npatch_size = 16\nembed_dim = 64\ndepth = 1\nnum_heads = 4\nln_eps = -1.0", "ln_eps"),
            ("img_size = 4096\npatch_size = 1\nembed_dim = 64\ndepth = 1\nnum_heads = 4", "tokens"),
        ];
        for (text, needle) in bad {
            let err = ModelConfig::from_toml_str(text, "t.toml").unwrap_err().to_string();
            assert!(err.contains(needle), "{err} should mention {needle}");
        }
    }

    #[test]
    fn rejects_malformed_toml() {
        for text in ["img_size = \"big\"", "img_size = 224\n[[[", "img_size = -3", "unknown_key = 1"] {
            let err = ModelConfig::from_toml_str(text, "t.toml").unwrap_err();
            assert!(matches!(err, ModelError::Toml { .. }), "{err}");
        }
    }
}
