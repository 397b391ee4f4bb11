use std::path::Path;

use crate::{ModelConfig, ModelError};

/// A batch of float32 images, `[n, in_chans, img_size, img_size]`, already normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct Images {
    pub n: usize,
    pub image_len: usize,
    pub data: Vec<f32>,
}

impl Images {
    pub fn image(&self, i: usize) -> &[f32] {
        &self.data[i * self.image_len..(i + 1) * self.image_len]
    }
}

fn open(path: &Path) -> Result<npyz::NpyFile<std::io::BufReader<std::fs::File>>, ModelError> {
    let f = std::fs::File::open(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
    npyz::NpyFile::new(std::io::BufReader::new(f))
        .map_err(|e| ModelError::Npy { path: path.to_path_buf(), message: e.to_string() })
}

fn dtype_str(npy: &npyz::NpyFile<impl std::io::Read>) -> String {
    npy.dtype().descr().trim_matches(|c| c == '\'' || c == '"').to_string()
}

/// Load `.npy` float32 images shaped `[N,C,H,W]` (or `[N,H,W]` when the model has one channel).
pub fn load_images(path: &Path, cfg: &ModelConfig) -> Result<Images, ModelError> {
    let npy = open(path)?;
    let shape = npy.shape().to_vec();
    let (c, s) = (cfg.in_chans as u64, cfg.img_size as u64);
    let ok = match shape.as_slice() {
        [_, cc, h, w] => *cc == c && *h == s && *w == s,
        [_, h, w] => c == 1 && *h == s && *w == s,
        _ => false,
    };
    if !ok {
        return Err(ModelError::ImageShape {
            path: path.to_path_buf(),
            found: shape,
            expected: if c == 1 { format!("[N, 1, {s}, {s}] or [N, {s}, {s}]") } else { format!("[N, {c}, {s}, {s}]") },
        });
    }
    let descr = dtype_str(&npy);
    if descr != "<f4" {
        return Err(ModelError::NpyDtype {
            path: path.to_path_buf(),
            what: "images",
            expected: "float32 (<f4)",
            found: descr,
        });
    }
    if npy.order() != npyz::Order::C {
        return Err(ModelError::Npy {
            path: path.to_path_buf(),
            message: "Fortran-ordered arrays are not supported".into(),
        });
    }
    let n = shape[0] as usize;
    let data: Vec<f32> =
        npy.into_vec().map_err(|e| ModelError::Npy { path: path.to_path_buf(), message: e.to_string() })?;
    if data.len() != n * cfg.image_len() {
        return Err(ModelError::Npy {
            path: path.to_path_buf(),
            message: "data is shorter than its header says".into(),
        });
    }
    if data.iter().any(|x| !x.is_finite()) {
        return Err(ModelError::Npy { path: path.to_path_buf(), message: "images hold NaN or infinite values".into() });
    }
    Ok(Images { n, image_len: cfg.image_len(), data })
}

/// Load integer class labels, `[N]`, any of int64/int32/uint8.
pub fn load_labels(path: &Path) -> Result<Vec<i64>, ModelError> {
    let npy = open(path)?;
    let shape = npy.shape().to_vec();
    if shape.len() != 1 {
        return Err(ModelError::Npy {
            path: path.to_path_buf(),
            message: format!("labels must be 1-D, found shape {shape:?}"),
        });
    }
    let descr = dtype_str(&npy);
    let err = |e: std::io::Error| ModelError::Npy { path: path.to_path_buf(), message: e.to_string() };
    let v: Vec<i64> = match descr.as_str() {
        "<i8" => npy.into_vec::<i64>().map_err(err)?,
        "<i4" => npy.into_vec::<i32>().map_err(err)?.into_iter().map(i64::from).collect(),
        "|u1" => npy.into_vec::<u8>().map_err(err)?.into_iter().map(i64::from).collect(),
        _ => {
            return Err(ModelError::NpyDtype {
                path: path.to_path_buf(),
                what: "labels",
                expected: "int64, int32 or uint8",
                found: descr,
            })
        }
    };
    if v.len() as u64 != shape[0] {
        return Err(ModelError::Npy {
            path: path.to_path_buf(),
            message: "data is shorter than its header says".into(),
        });
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_npy(path: &Path, shape: &[u64], data: &[f32]) {
        let mut out = std::fs::File::create(path).unwrap();
        use npyz::WriterBuilder;
        let mut w = npyz::WriteOptions::<f32>::new().default_dtype().shape(shape).writer(&mut out).begin_nd().unwrap();
        w.extend(data.iter().copied()).unwrap();
        w.finish().unwrap();
    }

    #[test]
    fn shapes_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = ModelConfig::from_toml_str(
            "img_size = 4\npatch_size = 2\nin_chans = 1\nembed_dim = 4\ndepth = 1\nnum_heads = 1",
            "t",
        )
        .unwrap();
        let p = dir.path().join("a.npy");
        write_npy(&p, &[2, 1, 4, 4], &[0.5; 32]);
        assert_eq!(load_images(&p, &cfg).unwrap().n, 2);
        write_npy(&p, &[2, 4, 4], &[0.5; 32]);
        assert_eq!(load_images(&p, &cfg).unwrap().n, 2);
        write_npy(&p, &[2, 1, 4, 5], &[0.5; 40]);
        let e = load_images(&p, &cfg).unwrap_err().to_string();
        assert!(e.contains("[2, 1, 4, 5]") && e.contains("[N, 1, 4, 4]"), "{e}");
        // truncated file
        let bytes = std::fs::read(dir.path().join("a.npy")).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 7]).unwrap();
        assert!(load_images(&p, &cfg).is_err());
        std::fs::write(&p, b"not an npy file at all").unwrap();
        assert!(matches!(load_images(&p, &cfg), Err(ModelError::Npy { .. })));
    }
}
