//! The `.vq` file: magic, format version, CRC-32 of the payload, bincode payload.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::QuantizedModel;

pub const MAGIC: &[u8; 8] = b"VITFPGAQ";
/// Bump whenever `QuantizedModel` or the arithmetic it encodes changes.
pub const FORMAT_VERSION: u32 = 2;

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot access {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: not a vitfpga quantized model (bad magic)")]
    Magic { path: PathBuf },
    #[error("{path}: format version {found}, this vitfpga reads version {FORMAT_VERSION}; re-run `vitfpga quantize`")]
    Version { path: PathBuf, found: u32 },
    #[error("{path}: file is truncated or corrupted (checksum mismatch)")]
    Corrupt { path: PathBuf },
    #[error("{path}: payload does not decode: {message}")]
    Decode { path: PathBuf, message: String },
}

impl QuantizedModel {
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = bincode::serialize(self).expect("quantized model serialises");
        let mut out = Vec::with_capacity(payload.len() + 20);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, FileError> {
        let p = || path.to_path_buf();
        if bytes.len() < 16 || &bytes[..8] != MAGIC {
            return Err(FileError::Magic { path: p() });
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
        if version != FORMAT_VERSION {
            return Err(FileError::Version { path: p(), found: version });
        }
        let crc = u32::from_le_bytes(bytes[12..16].try_into().unwrap());
        let payload = &bytes[16..];
        if crc32fast::hash(payload) != crc {
            return Err(FileError::Corrupt { path: p() });
        }
        // The checksum passed, so a decode failure means a writer bug, but never panic on it;
        // the size limit keeps a hostile length prefix from allocating unbounded memory.
        use bincode::Options;
        bincode::DefaultOptions::new()
            .with_fixint_encoding()
            .allow_trailing_bytes()
            .with_limit(payload.len() as u64 * 4 + 1024)
            .deserialize(payload)
            .map_err(|e| FileError::Decode { path: p(), message: e.to_string() })
    }

    /// Write atomically: a temporary file in the same directory, renamed into place.
    pub fn save(&self, path: &Path) -> Result<(), FileError> {
        let io = |source| FileError::Io { path: path.to_path_buf(), source };
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let tmp = dir.join(format!(".{}.tmp", path.file_name().map(|f| f.to_string_lossy()).unwrap_or_default()));
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        f.write_all(&self.to_bytes()).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    pub fn load(path: &Path) -> Result<Self, FileError> {
        let bytes = std::fs::read(path).map_err(|source| FileError::Io { path: path.to_path_buf(), source })?;
        Self::from_bytes(&bytes, path)
    }
}
