use std::io::Read;
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

/// Open a `.npy` stream of `available` bytes. The header is read and its shape checked against
/// `available` before npyz sees it or any data is read: npyz multiplies the dimensions unchecked
/// (a panic in debug builds, a wrap in release) and allocates the header length it is told, so a
/// 40-byte file claiming 10^12 values or a 4 GiB header is refused here instead.
fn open<R: Read>(
    mut reader: R,
    available: u64,
    elem_bytes: u64,
    path: &Path,
) -> Result<npyz::NpyFile<std::io::Chain<std::io::Cursor<Vec<u8>>, R>>, ModelError> {
    let bad = |message: String| ModelError::Npy { path: path.to_path_buf(), message };
    let io = |e: std::io::Error| bad(format!("cannot read the header: {e}"));
    let mut prefix = vec![0u8; 10];
    reader.read_exact(&mut prefix).map_err(io)?;
    if &prefix[..6] != b"\x93NUMPY" {
        return Err(bad("not a .npy file (no \\x93NUMPY magic)".into()));
    }
    let header_len = match prefix[6] {
        1 => u16::from_le_bytes([prefix[8], prefix[9]]) as u64,
        2 | 3 => {
            let mut rest = [0u8; 2];
            reader.read_exact(&mut rest).map_err(io)?;
            prefix.extend_from_slice(&rest);
            u32::from_le_bytes([prefix[8], prefix[9], rest[0], rest[1]]) as u64
        }
        v => return Err(bad(format!("unsupported .npy format version {v}"))),
    };
    if header_len > MAX_NPY_HEADER || prefix.len() as u64 + header_len > available {
        return Err(bad(format!("header length {header_len} is larger than the file or {MAX_NPY_HEADER} bytes")));
    }
    let start = prefix.len();
    prefix.resize(start + header_len as usize, 0);
    reader.read_exact(&mut prefix[start..]).map_err(io)?;
    let text = std::str::from_utf8(&prefix[start..]).map_err(|_| bad("header is not text".into()))?;
    // npyz's literal parser takes exponential time in the nesting depth (a fuzz finding: 50 `[`
    // took over 10 s); numpy's own headers nest a few levels at most.
    let (deepest, shape) = scan_header(text);
    if deepest > MAX_NPY_HEADER_DEPTH {
        return Err(bad(format!("header nests brackets deeper than {MAX_NPY_HEADER_DEPTH} levels")));
    }
    let shape = shape.ok_or_else(|| bad("header has no readable 'shape' tuple".into()))?;
    let data_bytes = available - prefix.len() as u64;
    // Strides multiply the non-zero dimensions even when another dimension is zero.
    let fits = shape.iter().filter(|&&d| d > 0).try_fold(1u64, |acc, &d| acc.checked_mul(d)).is_some();
    let bytes = shape.iter().try_fold(elem_bytes, |acc, &d| acc.checked_mul(d));
    if !fits || bytes.map_or(true, |b| b > data_bytes) {
        return Err(bad(format!("header claims shape {shape:?}, more data than the file's {data_bytes} bytes")));
    }
    let npy = npyz::NpyFile::new(std::io::Cursor::new(prefix).chain(reader)).map_err(|e| bad(e.to_string()))?;
    if npy.shape() != shape.as_slice() {
        return Err(bad(format!("header shape is ambiguous ({shape:?} vs {:?})", npy.shape())));
    }
    Ok(npy)
}

/// Largest `.npy` header accepted; numpy itself writes a few hundred bytes.
const MAX_NPY_HEADER: u64 = 1 << 16;

/// Deepest bracket nesting accepted in a header (a structured dtype with sub-arrays is about 4).
const MAX_NPY_HEADER_DEPTH: usize = 8;

/// One pass over an `.npy` header dict (`{'descr': ..., 'shape': (2, 3), }`): the deepest nesting of
/// `{`, `(` and `[` outside strings, and the top-level `'shape'` tuple. A key counts only at dict
/// depth 1 and outside strings, so a structured dtype's field named "shape" is not mistaken for it.
fn scan_header(header: &str) -> (usize, Option<Vec<u64>>) {
    let b = header.as_bytes();
    let (mut depth, mut deepest, mut shape, mut i) = (0usize, 0usize, None, 0usize);
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                let mut j = i + 1;
                while j < b.len() && b[j] != q {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let key = header.get(i + 1..j.min(b.len()));
                i = j + 1;
                if depth == 1 && key == Some("shape") && shape.is_none() {
                    shape = Some(shape_tuple(header.get(i..).unwrap_or_default()));
                }
                continue;
            }
            b'{' | b'(' | b'[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b'}' | b')' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    (deepest, shape.flatten())
}

/// `: (2, 3), ...` after the `'shape'` key: the tuple's integers, or None if it is not one.
fn shape_tuple(rest: &str) -> Option<Vec<u64>> {
    let inner = rest.trim_start().strip_prefix(':')?.trim_start().strip_prefix('(')?;
    let tuple = &inner[..inner.find(')')?];
    tuple.split(',').map(str::trim).filter(|t| !t.is_empty()).map(|t| t.parse().ok()).collect()
}

fn open_file(path: &Path) -> Result<(std::io::BufReader<std::fs::File>, u64), ModelError> {
    let io = |source| ModelError::Io { path: path.to_path_buf(), source };
    let f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    Ok((std::io::BufReader::new(f), len))
}

fn dtype_str<R: Read>(npy: &npyz::NpyFile<R>) -> String {
    npy.dtype().descr().trim_matches(|c| c == '\'' || c == '"').to_string()
}

/// Load `.npy` float32 images shaped `[N,C,H,W]` (or `[N,H,W]` when the model has one channel).
pub fn load_images(path: &Path, cfg: &ModelConfig) -> Result<Images, ModelError> {
    let (reader, len) = open_file(path)?;
    read_images(reader, len, path, cfg)
}

/// [`load_images`] from bytes in memory (`path` names them in messages).
pub fn images_from_npy_bytes(bytes: &[u8], path: &Path, cfg: &ModelConfig) -> Result<Images, ModelError> {
    read_images(bytes, bytes.len() as u64, path, cfg)
}

fn read_images(reader: impl Read, available: u64, path: &Path, cfg: &ModelConfig) -> Result<Images, ModelError> {
    let npy = open(reader, available, 4, path)?;
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
    // `open` bounded shape[0] * image_len * 4 by the byte count, so neither product overflows.
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
    let (reader, len) = open_file(path)?;
    read_labels(reader, len, path)
}

/// [`load_labels`] from bytes in memory.
pub fn labels_from_npy_bytes(bytes: &[u8], path: &Path) -> Result<Vec<i64>, ModelError> {
    read_labels(bytes, bytes.len() as u64, path)
}

fn read_labels(reader: impl Read, available: u64, path: &Path) -> Result<Vec<i64>, ModelError> {
    // Smallest accepted element is one byte, so this bound holds for every dtype.
    let npy = open(reader, available, 1, path)?;
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

    #[test]
    fn a_deeply_nested_header_is_refused_before_npyz_parses_it() {
        let header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': {}}}", "[".repeat(50));
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
        bytes.extend_from_slice(header.as_bytes());
        bytes.extend_from_slice(&[0u8; 4]);
        let e = labels_from_npy_bytes(&bytes, Path::new("deep.npy")).unwrap_err().to_string();
        assert!(e.contains("nests brackets deeper"), "{e}");
    }

    #[test]
    fn a_header_claiming_more_than_the_file_holds_is_refused_before_allocating() {
        let cfg = ModelConfig::from_toml_str(
            "img_size = 4\npatch_size = 2\nin_chans = 1\nembed_dim = 4\ndepth = 1\nnum_heads = 1",
            "t",
        )
        .unwrap();
        for shape in ["(1000000000000, 1, 4, 4)", "(18446744073709551615, 1, 4, 4)"] {
            let header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
            let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
            let pad = 64 - (10 + header.len() + 1) % 64;
            let hlen = (header.len() + pad + 1) as u16;
            bytes.extend_from_slice(&hlen.to_le_bytes());
            bytes.extend_from_slice(header.as_bytes());
            bytes.extend(std::iter::repeat(b' ').take(pad));
            bytes.push(b'\n');
            bytes.extend_from_slice(&[0u8; 64]);
            let e = images_from_npy_bytes(&bytes, Path::new("big.npy"), &cfg).unwrap_err().to_string();
            assert!(e.contains("more data than the file"), "{e}");
            let e = labels_from_npy_bytes(&bytes, Path::new("big.npy")).unwrap_err().to_string();
            assert!(e.contains("more data than the file"), "{e}");
        }
    }
}
