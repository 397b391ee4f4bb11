use std::collections::BTreeMap;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use safetensors::{Dtype, SafeTensors};

use crate::{ModelConfig, ModelError};

/// A dense float32 tensor in row-major order. The data is shared, not copied, when weights are
/// cloned: every quantised model keeps the float weights for its float reference, and a search
/// quantises one model at 144 precisions (serialised, it is the plain sequence of values).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Tensor {
    pub shape: Vec<usize>,
    pub data: std::sync::Arc<[f32]>,
}

impl Tensor {
    pub fn new(shape: Vec<usize>, data: Vec<f32>) -> Self {
        assert_eq!(shape.iter().product::<usize>(), data.len(), "tensor shape and data disagree");
        Tensor { shape, data: data.into() }
    }
}

/// A complete, shape-checked set of float weights keyed by timm state_dict names.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Weights {
    pub tensors: BTreeMap<String, Tensor>,
}

/// Every tensor a timm ViT of this shape has, with its shape, in state_dict order.
pub fn expected_tensors(cfg: &ModelConfig) -> Vec<(String, Vec<usize>)> {
    let d = cfg.embed_dim;
    let h = cfg.mlp_hidden();
    let mut v: Vec<(String, Vec<usize>)> = vec![
        ("cls_token".into(), vec![1, 1, d]),
        ("pos_embed".into(), vec![1, cfg.tokens(), d]),
        ("patch_embed.proj.weight".into(), vec![d, cfg.in_chans, cfg.patch_size, cfg.patch_size]),
        ("patch_embed.proj.bias".into(), vec![d]),
    ];
    for i in 0..cfg.depth {
        let b = format!("blocks.{i}");
        v.extend([
            (format!("{b}.norm1.weight"), vec![d]),
            (format!("{b}.norm1.bias"), vec![d]),
            (format!("{b}.attn.qkv.weight"), vec![3 * d, d]),
            (format!("{b}.attn.qkv.bias"), vec![3 * d]),
            (format!("{b}.attn.proj.weight"), vec![d, d]),
            (format!("{b}.attn.proj.bias"), vec![d]),
            (format!("{b}.norm2.weight"), vec![d]),
            (format!("{b}.norm2.bias"), vec![d]),
            (format!("{b}.mlp.fc1.weight"), vec![h, d]),
            (format!("{b}.mlp.fc1.bias"), vec![h]),
            (format!("{b}.mlp.fc2.weight"), vec![d, h]),
            (format!("{b}.mlp.fc2.bias"), vec![d]),
        ]);
    }
    v.extend([
        ("norm.weight".into(), vec![d]),
        ("norm.bias".into(), vec![d]),
        ("head.weight".into(), vec![cfg.num_classes, d]),
        ("head.bias".into(), vec![cfg.num_classes]),
    ]);
    v
}

fn convert(dtype: Dtype, bytes: &[u8]) -> Option<Vec<f32>> {
    // safetensors data is little-endian; chunks_exact never reads past the buffer.
    Some(match dtype {
        Dtype::F32 => bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
        Dtype::F16 => bytes.chunks_exact(2).map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        Dtype::BF16 => bytes.chunks_exact(2).map(|b| half::bf16::from_le_bytes([b[0], b[1]]).to_f32()).collect(),
        _ => return None,
    })
}

impl Weights {
    pub fn get(&self, name: &str) -> &Tensor {
        self.tensors.get(name).unwrap_or_else(|| panic!("weights were validated but lack '{name}'"))
    }

    /// Load a timm-style state_dict. Extra tensors (e.g. a distillation head) are ignored;
    /// every expected tensor must be present with exactly its shape.
    pub fn load_safetensors(path: &Path, cfg: &ModelConfig) -> Result<Self, ModelError> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
        Self::from_safetensors_bytes(&bytes, path, cfg)
    }

    pub fn from_safetensors_bytes(bytes: &[u8], path: &Path, cfg: &ModelConfig) -> Result<Self, ModelError> {
        let st = SafeTensors::deserialize(bytes)
            .map_err(|e| ModelError::Safetensors { path: path.to_path_buf(), message: format!("{e:?}") })?;
        let mut tensors = BTreeMap::new();
        for (name, expected) in expected_tensors(cfg) {
            let view = st.tensor(&name).map_err(|_| ModelError::MissingTensor {
                path: path.to_path_buf(),
                tensor: name.clone(),
                expected: expected.clone(),
            })?;
            let found = view.shape().to_vec();
            if found != expected {
                return Err(ModelError::WrongShape { path: path.to_path_buf(), tensor: name, expected, found });
            }
            let data = convert(view.dtype(), view.data()).ok_or_else(|| ModelError::UnsupportedDtype {
                path: path.to_path_buf(),
                tensor: name.clone(),
                found: format!("{:?}", view.dtype()),
            })?;
            if data.iter().any(|x| !x.is_finite()) {
                return Err(ModelError::NonFinite { path: path.to_path_buf(), tensor: name });
            }
            tensors.insert(name, Tensor::new(expected, data));
        }
        Ok(Weights { tensors })
    }

    /// Deterministic stand-in weights for hardware and throughput work: the same seed gives
    /// the same bits on every machine (ChaCha8, uniform draws with timm's init scales).
    pub fn synthetic(cfg: &ModelConfig, seed: u64) -> Self {
        let mut tensors = BTreeMap::new();
        for (i, (name, shape)) in expected_tensors(cfg).into_iter().enumerate() {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((i as u64 + 1) << 32));
            let n: usize = shape.iter().product();
            let data: Vec<f32> =
                if name.ends_with("norm1.weight") || name.ends_with("norm2.weight") || name == "norm.weight" {
                    (0..n).map(|_| 1.0 + rng.gen_range(-0.1f32..0.1)).collect()
                } else if name.ends_with(".bias") {
                    (0..n).map(|_| rng.gen_range(-0.02f32..0.02)).collect()
                } else {
                    // Uniform with standard deviation 0.02 (timm's trunc_normal_ std), plus a few
                    // larger outliers as trained transformers have, so calibration is exercised.
                    let a = 0.02f32 * 3f32.sqrt();
                    (0..n)
                        .map(|_| {
                            let x = rng.gen_range(-a..a);
                            if rng.gen_range(0u32..1000) == 0 {
                                x * 4.0
                            } else {
                                x
                            }
                        })
                        .collect()
                };
            tensors.insert(name, Tensor::new(shape, data));
        }
        Weights { tensors }
    }

    /// Serialise as a float32 safetensors file (used by tests and tools).
    pub fn to_safetensors_bytes(&self) -> Vec<u8> {
        let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = self
            .tensors
            .iter()
            .map(|(n, t)| (n.clone(), t.shape.clone(), t.data.iter().flat_map(|x| x.to_le_bytes()).collect()))
            .collect();
        let views: Vec<(String, safetensors::tensor::TensorView)> = bytes
            .iter()
            .map(|(n, s, b)| (n.clone(), safetensors::tensor::TensorView::new(Dtype::F32, s.clone(), b).unwrap()))
            .collect();
        safetensors::serialize(views, &None).expect("in-memory safetensors serialisation")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> ModelConfig {
        ModelConfig::from_toml_str(
            "img_size = 8\npatch_size = 4\nin_chans = 1\nembed_dim = 8\ndepth = 1\nnum_heads = 2\nnum_classes = 3",
            "tiny",
        )
        .unwrap()
    }

    #[test]
    fn synthetic_is_deterministic_and_seeded() {
        let cfg = tiny();
        assert_eq!(Weights::synthetic(&cfg, 7), Weights::synthetic(&cfg, 7));
        assert_ne!(Weights::synthetic(&cfg, 7), Weights::synthetic(&cfg, 8));
    }

    #[test]
    fn safetensors_round_trip_and_errors() {
        let cfg = tiny();
        let w = Weights::synthetic(&cfg, 1);
        let bytes = w.to_safetensors_bytes();
        let p = Path::new("w.safetensors");
        assert_eq!(Weights::from_safetensors_bytes(&bytes, p, &cfg).unwrap(), w);

        // truncated and corrupted headers are typed errors
        for cut in [0, 7, 8, 20, bytes.len() / 2, bytes.len() - 1] {
            let e = Weights::from_safetensors_bytes(&bytes[..cut], p, &cfg).unwrap_err();
            assert!(matches!(e, ModelError::Safetensors { .. }), "cut {cut}: {e}");
        }
        let mut bad = bytes.clone();
        bad[10] = b'{';
        bad[11] = 0xff;
        assert!(Weights::from_safetensors_bytes(&bad, p, &cfg).is_err());

        // wrong model for these weights: a wrong shape names the tensor
        let mut other = cfg.clone();
        other.num_classes = 4;
        let e = Weights::from_safetensors_bytes(&bytes, p, &other).unwrap_err().to_string();
        assert!(e.contains("head.weight") && e.contains("[4, 8]") && e.contains("[3, 8]"), "{e}");

        let mut deeper = cfg.clone();
        deeper.depth = 2;
        let e = Weights::from_safetensors_bytes(&bytes, p, &deeper).unwrap_err().to_string();
        assert!(e.contains("missing tensor 'blocks.1.norm1.weight'"), "{e}");
    }

    #[test]
    fn half_precision_and_bad_dtypes() {
        let cfg = tiny();
        let w = Weights::synthetic(&cfg, 3);
        for (dtype, conv) in [
            (Dtype::F16, (|x: f32| half::f16::from_f32(x).to_le_bytes().to_vec()) as fn(f32) -> Vec<u8>),
            (Dtype::BF16, |x: f32| half::bf16::from_f32(x).to_le_bytes().to_vec()),
            (Dtype::I16, |x: f32| ((x * 100.0) as i16).to_le_bytes().to_vec()),
        ] {
            let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = w
                .tensors
                .iter()
                .map(|(n, t)| (n.clone(), t.shape.clone(), t.data.iter().flat_map(|x| conv(*x)).collect()))
                .collect();
            let views: Vec<_> = bytes
                .iter()
                .map(|(n, s, b)| (n.clone(), safetensors::tensor::TensorView::new(dtype, s.clone(), b).unwrap()))
                .collect();
            let file = safetensors::serialize(views, &None).unwrap();
            let r = Weights::from_safetensors_bytes(&file, Path::new("h"), &cfg);
            if dtype == Dtype::I16 {
                assert!(matches!(r, Err(ModelError::UnsupportedDtype { .. })));
            } else {
                let got = r.unwrap();
                let a = &got.get("head.weight").data;
                let b = &w.get("head.weight").data;
                assert!(a.iter().zip(b.iter()).all(|(x, y)| (x - y).abs() < 1e-2));
            }
        }
    }
}
