//! Device database: one TOML per board in `constraints/`, built in; users add their own with a path.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Boards shipped with vitfpga, by `--device` name.
const BUILT_IN: &[(&str, &str)] = &[
    ("zcu102", include_str!("../../../constraints/zcu102.toml")),
    ("zcu104", include_str!("../../../constraints/zcu104.toml")),
    ("kv260", include_str!("../../../constraints/kv260.toml")),
    ("pynq-z2", include_str!("../../../constraints/pynq-z2.toml")),
    ("u250", include_str!("../../../constraints/u250.toml")),
    ("u280", include_str!("../../../constraints/u280.toml")),
    ("u55c", include_str!("../../../constraints/u55c.toml")),
    ("vck190", include_str!("../../../constraints/vck190.toml")),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DspType {
    DSP48E1,
    DSP48E2,
    DSP58,
}

/// Share of each resource a design may use (FINN's defaults: 70 % LUT, 50 % FF, 80 % the rest).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Caps {
    pub lut: f64,
    pub ff: f64,
    pub bram: f64,
    pub uram: f64,
    pub dsp: f64,
}

impl Default for Caps {
    fn default() -> Self {
        Caps { lut: 0.7, ff: 0.5, bram: 0.8, uram: 0.8, dsp: 0.8 }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub name: String,
    pub part: String,
    /// Yosys `synth_xilinx -family` name (`xcup`, `xc7`, ...).
    pub family: String,
    pub lut: u64,
    pub ff: u64,
    pub dsp: u64,
    pub dsp_type: DspType,
    pub bram36: u64,
    pub uram: u64,
    pub ddr_channels: u32,
    /// Total peak off-chip bandwidth, GB/s.
    pub ddr_bandwidth_gbps: f64,
    pub default_clock_mhz: f64,
    #[serde(default)]
    pub caps: Caps,
}

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("unknown device '{0}': not a built-in board ({boards}) and no such file", boards = names().join(", "))]
    Unknown(String),
    #[error("cannot read device file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("malformed device file {origin}: {message}")]
    Toml { origin: String, message: String },
    #[error("device {name}: {message}")]
    Invalid { name: String, message: String },
}

/// Names of the built-in boards.
pub fn names() -> Vec<&'static str> {
    BUILT_IN.iter().map(|(n, _)| *n).collect()
}

impl Device {
    /// `--device` argument: a built-in name, or a path to a device TOML.
    pub fn resolve(spec: &str) -> Result<Device, DeviceError> {
        // Board names are matched without regard to case (`ZCU102` is `zcu102`).
        if let Some((name, text)) = BUILT_IN.iter().find(|(n, _)| n.eq_ignore_ascii_case(spec)) {
            return Self::from_toml_str(text, name);
        }
        let path = Path::new(spec);
        if path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|source| DeviceError::Io { path: spec.into(), source })?;
            return Self::from_toml_str(&text, spec);
        }
        Err(DeviceError::Unknown(spec.into()))
    }

    pub fn from_toml_str(text: &str, origin: &str) -> Result<Device, DeviceError> {
        let d: Device = toml::from_str(text)
            .map_err(|e| DeviceError::Toml { origin: origin.into(), message: e.message().to_string() })?;
        d.validate()?;
        Ok(d)
    }

    fn validate(&self) -> Result<(), DeviceError> {
        let bad = |message: String| Err(DeviceError::Invalid { name: self.name.clone(), message });
        if self.lut == 0 || self.ff == 0 {
            return bad("lut and ff must be positive".into());
        }
        if !(self.ddr_bandwidth_gbps.is_finite() && self.ddr_bandwidth_gbps > 0.0) || self.ddr_channels == 0 {
            return bad(format!(
                "DDR bandwidth {} GB/s over {} channels is not usable",
                self.ddr_bandwidth_gbps, self.ddr_channels
            ));
        }
        if !(self.default_clock_mhz.is_finite() && self.default_clock_mhz > 0.0 && self.default_clock_mhz <= 1000.0) {
            return bad(format!("default_clock_mhz {} must lie in (0, 1000]", self.default_clock_mhz));
        }
        let c = &self.caps;
        for (n, v) in [("lut", c.lut), ("ff", c.ff), ("bram", c.bram), ("uram", c.uram), ("dsp", c.dsp)] {
            if !(v.is_finite() && v > 0.0 && v <= 1.0) {
                return bad(format!("caps.{n} = {v} must lie in (0, 1]"));
            }
        }
        Ok(())
    }

    /// Off-chip bytes per clock cycle at `clock_mhz`.
    pub fn ddr_bytes_per_cycle(&self, clock_mhz: f64) -> f64 {
        self.ddr_bandwidth_gbps * 1e9 / (clock_mhz * 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zcu102_matches_the_datasheet() {
        let d = Device::resolve("zcu102").unwrap();
        assert_eq!((d.lut, d.ff, d.dsp, d.bram36, d.uram), (274_080, 548_160, 2_520, 912, 0));
        assert_eq!(d.dsp_type, DspType::DSP48E2);
        assert_eq!(d.caps, Caps::default());
        assert!((d.ddr_bytes_per_cycle(200.0) - 96.0).abs() < 1e-9);
    }

    #[test]
    fn every_built_in_board_loads_with_its_published_resources() {
        // (name, LUT, FF, DSP, BRAM36, URAM): the vendors' product tables.
        let expect = [
            ("zcu102", 274_080, 548_160, 2_520, 912, 0),
            ("zcu104", 230_400, 460_800, 1_728, 312, 96),
            ("kv260", 117_120, 234_240, 1_248, 144, 64),
            ("pynq-z2", 53_200, 106_400, 220, 140, 0),
            ("u250", 1_728_000, 3_456_000, 12_288, 2_688, 1_280),
            ("u280", 1_303_680, 2_607_360, 9_024, 2_016, 960),
            ("u55c", 1_303_680, 2_607_360, 9_024, 2_016, 960),
            ("vck190", 899_840, 1_799_680, 1_968, 967, 463),
        ];
        assert_eq!(names().len(), expect.len());
        for (n, lut, ff, dsp, bram, uram) in expect {
            let d = Device::resolve(n).unwrap();
            assert_eq!(d.name, n);
            assert_eq!((d.lut, d.ff, d.dsp, d.bram36, d.uram), (lut, ff, dsp, bram, uram), "{n}");
            assert_eq!(d.caps, Caps::default(), "{n} uses FINN's caps");
        }
        assert_eq!(Device::resolve("pynq-z2").unwrap().dsp_type, DspType::DSP48E1);
        assert_eq!(Device::resolve("vck190").unwrap().dsp_type, DspType::DSP58);
    }

    #[test]
    fn user_files_and_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mine.toml");
        let text = include_str!("../../../constraints/zcu102.toml").replace("name = \"zcu102\"", "name = \"mine\"");
        std::fs::write(&p, &text).unwrap();
        assert_eq!(Device::resolve(p.to_str().unwrap()).unwrap().name, "mine");
        assert!(Device::resolve("zcu999").unwrap_err().to_string().contains("zcu102"));
        for (from, to, needle) in [
            ("lut = 274080", "lut = \"many\"", "malformed"),
            ("dsp_type = \"DSP48E2\"", "dsp_type = \"DSP99\"", "malformed"),
            ("lut = 0.70", "lut = 1.5", "caps.lut"),
            ("default_clock_mhz = 200.0", "default_clock_mhz = -1.0", "default_clock_mhz"),
            ("ddr_bandwidth_gbps = 19.2", "ddr_bandwidth_gbps = 0.0", "DDR bandwidth"),
        ] {
            let e = Device::from_toml_str(&text.replacen(from, to, 1), "x.toml").unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
        }
    }
}
