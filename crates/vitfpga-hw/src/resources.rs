//! FPGA resources of a unit or a design, and the linear models fitted to Yosys `synth_xilinx`
//! (`hw/calibration/<family>.csv`, fitted by `tools/fit_resources.py`; each unit's coefficients
//! live in its own file, next to its RTL generator).

use serde::{Deserialize, Serialize};

/// The Yosys `synth_xilinx -family` a resource model is calibrated for: UltraScale+ (DSP48E2)
/// or 7-series (DSP48E1). Each unit keeps one coefficient set per family, fitted to
/// `hw/calibration/<family>.csv`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Family {
    #[default]
    Xcup,
    Xc7,
}

impl Family {
    pub fn from_name(name: &str) -> Option<Family> {
        match name {
            "xcup" => Some(Family::Xcup),
            "xc7" => Some(Family::Xc7),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Family::Xcup => "xcup",
            Family::Xc7 => "xc7",
        }
    }

    /// Index into a unit's per-family coefficient table.
    pub fn idx(self) -> usize {
        self as usize
    }

    /// Two 8-bit MACs per DSP need DSP48E2's 27-bit port; DSP48E1 (25 bits) takes one.
    pub fn packs_two_macs(self) -> bool {
        self == Family::Xcup
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    pub lut: u64,
    pub ff: u64,
    pub dsp: u64,
    /// Block RAM in 18 Kb halves (a RAMB36 counts 2).
    pub bram18: u64,
    pub uram: u64,
}

impl Resources {
    pub fn bram36(&self) -> f64 {
        self.bram18 as f64 / 2.0
    }
}

impl std::ops::Add for Resources {
    type Output = Resources;
    fn add(self, o: Resources) -> Resources {
        Resources {
            lut: self.lut + o.lut,
            ff: self.ff + o.ff,
            dsp: self.dsp + o.dsp,
            bram18: self.bram18 + o.bram18,
            uram: self.uram + o.uram,
        }
    }
}

impl std::ops::Mul<u64> for Resources {
    type Output = Resources;
    fn mul(self, k: u64) -> Resources {
        Resources {
            lut: self.lut * k,
            ff: self.ff * k,
            dsp: self.dsp * k,
            bram18: self.bram18 * k,
            uram: self.uram * k,
        }
    }
}

impl std::iter::Sum for Resources {
    fn sum<I: Iterator<Item = Resources>>(it: I) -> Resources {
        it.fold(Resources::default(), |a, b| a + b)
    }
}

/// `coef · features`, rounded, never negative.
pub(crate) fn linear(coef: &[f64], features: &[f64]) -> u64 {
    debug_assert_eq!(coef.len(), features.len());
    coef.iter().zip(features).map(|(c, f)| c * f).sum::<f64>().round().max(0.0) as u64
}

/// Resources of one buffer-bank copy (`hw/vf_bank.v`: `width` bits in lanes with their own write
/// enables, `depth` words), as Yosys 0.23 maps it (hw/calibration/xcup.csv, rows `bank`): up to 64
/// words become distributed RAM (a LUT per 4 bits); deeper ones block RAM in the byte-enable
/// shapes, which hold 32, 16, 8, 4, 2 or 1 data bits per RAMB18 (the parity bits stay unused).
pub fn bank_copy(width: u64, depth: u64) -> Resources {
    if depth <= 64 {
        return Resources { lut: width.div_ceil(4), ..Default::default() };
    }
    const SHAPES: [(u64, u64); 6] = [(32, 512), (16, 1024), (8, 2048), (4, 4096), (2, 8192), (1, 16384)];
    let bram18 = SHAPES.iter().map(|&(w, d)| width.div_ceil(w) * depth.div_ceil(d)).min().unwrap_or(0);
    Resources { bram18, ..Default::default() }
}

/// RAMB18 halves Yosys maps a `width` x `depth` simple-dual-port memory to (xcup and xc7 block
/// RAM: 512x72 ... 32Kx1 per RAMB36, half of each per RAMB18): the cheapest aspect ratio.
pub fn bram18_for(width: u64, depth: u64) -> u64 {
    // (width, depth) per RAMB18 in simple dual port mode.
    const SHAPES: [(u64, u64); 6] = [(36, 512), (18, 1024), (9, 2048), (4, 4096), (2, 8192), (1, 16384)];
    SHAPES.iter().map(|&(w, d)| width.div_ceil(w) * depth.div_ceil(d)).min().unwrap_or(0)
}
