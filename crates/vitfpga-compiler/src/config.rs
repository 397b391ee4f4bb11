//! The accelerator configuration: one record drives the compiler, the simulator and the RTL
//! generator (Gemmini's approach). `DesignSpec` is what the user asks for; `AccelConfig` is the
//! resolved design.

use serde::{Deserialize, Serialize};
use vitfpga_device::Device;
pub use vitfpga_hw::units::banked::Bank;

use vitfpga_hw::resources::{Family, Resources};

use crate::CompileError;

/// What the user asks for (`--array`, `--w-bits`, ... or a design TOML). Unset fields are
/// derived from the device and the model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DesignSpec {
    pub rows: Option<usize>,
    pub cols: Option<usize>,
    pub dsp_packing: Option<bool>,
    /// Partial sums in DSP48E2 cascades (one instantiated DSP48E2 per PE or column pair;
    /// UltraScale+ only). Default: on where the device has DSP48E2 and the weights multiply.
    pub dsp_cascade: Option<bool>,
    pub clock_mhz: Option<f64>,
    pub softmax_units: Option<usize>,
    pub layernorm_units: Option<usize>,
    /// Lanes of each LayerNorm unit (must divide the scratchpad word, lcm(rows, cols)).
    pub layernorm_lanes: Option<usize>,
    pub dram_latency: Option<usize>,
    /// Bytes per DRAM beat; default: the largest power of two the device's bandwidth sustains.
    pub bus_bytes: Option<usize>,
}

impl DesignSpec {
    pub fn from_toml_str(text: &str, origin: &str) -> Result<Self, CompileError> {
        toml::from_str(text)
            .map_err(|e| CompileError::Design(format!("malformed design file {origin}: {}", e.message())))
    }

    /// The checks that need no model: ranges of every field, both array dimensions or neither,
    /// and lanes that divide the scratchpad word. Run before calibration, so a typo costs no time;
    /// `resolve` checks again with the model (and the device) in hand.
    pub fn validate(&self) -> Result<(), CompileError> {
        let bad = |m: String| Err(CompileError::Design(m));
        for (what, v, max) in [
            ("softmax_units", self.softmax_units, 64),
            ("layernorm_units", self.layernorm_units, 64),
            ("layernorm_lanes", self.layernorm_lanes, 128),
        ] {
            if let Some(v) = v {
                if !(1..=max).contains(&v) {
                    return bad(format!("{what} {v} must lie in 1..={max}"));
                }
            }
        }
        if let Some(c) = self.clock_mhz {
            if !(c.is_finite() && c > 0.0 && c <= 1000.0) {
                return bad(format!("clock {c} MHz must lie in (0, 1000]"));
            }
        }
        if let Some(b) = self.bus_bytes {
            if !(b.is_power_of_two() && (8..=128).contains(&b)) {
                return bad(format!("bus_bytes {b} must be a power of two in 8..=128"));
            }
        }
        match (self.rows, self.cols) {
            (None, None) => {}
            (Some(r), Some(c)) => {
                // The systolic array needs 2..=256 a side; the row units take at most 128 lanes.
                if !(2..=128).contains(&r) || !(2..=128).contains(&c) {
                    return bad(format!("array {r}x{c}: rows and columns must lie in 2..=128"));
                }
                let lanes = lcm(r, c);
                if lanes > MAX_LANES {
                    return bad(format!(
                        "a {r}x{c} array needs scratchpad words of lcm({r}, {c}) = {lanes} elements (max {MAX_LANES}); \
                         choose dimensions with a larger common factor"
                    ));
                }
                if let Some(l) = self.layernorm_lanes {
                    if !lanes.is_multiple_of(l) {
                        return bad(format!(
                            "layernorm_lanes {l} must divide the scratchpad word of lcm({r}, {c}) = {lanes} elements"
                        ));
                    }
                }
            }
            _ => return bad("give both array dimensions".into()),
        }
        if let (None, Some(l)) = (self.rows, self.layernorm_lanes) {
            let words: Vec<usize> =
                ARRAY_DIMS.iter().flat_map(|&r| ARRAY_DIMS.iter().map(move |&c| lcm(r, c))).collect();
            if !words.iter().any(|w| *w <= MAX_LANES && w.is_multiple_of(l)) {
                return bad(format!(
                    "layernorm_lanes {l} divides the scratchpad word (lcm(rows, cols)) of none of the arrays vitfpga \
                     chooses from (sides {ARRAY_DIMS:?}); give --array"
                ));
            }
        }
        Ok(())
    }

    /// `RxC`, e.g. `16x16`.
    pub fn parse_array(s: &str) -> Result<(usize, usize), CompileError> {
        let bad = || CompileError::Design(format!("--array '{s}' must look like RxC, e.g. 16x16"));
        let (r, c) = s.split_once(['x', 'X']).ok_or_else(bad)?;
        Ok((r.trim().parse().map_err(|_| bad())?, c.trim().parse().map_err(|_| bad())?))
    }
}

/// The resolved accelerator. Every size the RTL and the simulator use is here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccelConfig {
    pub device: String,
    /// The family the resource models are calibrated for (the device's, or xcup where Yosys has
    /// no flow, e.g. Versal).
    pub family: Family,
    /// Systolic array rows (the K of a tile) and columns (its N).
    pub rows: usize,
    pub cols: usize,
    /// Widest activation and widest stationary operand any GEMM uses (attention GEMMs hold
    /// activations in the array, so `w_bits >= a_bits` whenever the model has attention).
    pub a_bits: u32,
    pub w_bits: u32,
    pub dsp_packing: bool,
    /// Partial sums in DSP48E2 cascades (`vf_systolic_cascade`): shadow/active weight banks,
    /// two more cycles of latency.
    #[serde(default)]
    pub dsp_cascade: bool,
    /// Array and accumulator-buffer width: the widest GEMM accumulator of the program.
    pub acc_bits: u32,
    /// Elements per scratchpad word: lcm(rows, cols), so a K-chunk (rows) and an N-chunk
    /// (cols) never straddle two words.
    pub lanes: usize,
    /// Scratchpad depth (words of `lanes` bytes) and score-buffer depth (words of `cols` x 32 bits).
    pub spad_words: usize,
    pub sbuf_words: usize,
    /// The banks of both (filled in by `alloc`): words of tensors with the same writer and
    /// readers, one copy per reader (`vitfpga_hw::units::banked`).
    pub spad_banks: Vec<Bank>,
    pub sbuf_banks: Vec<Bank>,
    /// Parallel row units; rows are dealt round-robin. Softmax units have `cols` lanes (one
    /// score-buffer word per beat), LayerNorm units `layernorm_lanes` (a divisor of `lanes`).
    pub softmax_units: usize,
    pub layernorm_units: usize,
    pub layernorm_lanes: usize,
    /// Longest row the row units accept (tokens for softmax, embedding for LayerNorm).
    pub softmax_max_len: usize,
    pub layernorm_max_len: usize,
    /// Widths the row units are built for: scores in, probabilities out; LayerNorm out.
    pub softmax_z_bits: u32,
    pub softmax_out_bits: u32,
    pub layernorm_out_bits: u32,
    /// DRAM model: one beat of `bus_bytes` per cycle per direction, `dram_latency` cycles
    /// from request to data (reads) or from last beat to response (writes).
    pub bus_bytes: usize,
    pub dram_latency: usize,
    /// Constant-stream FIFO: words of `stream_word_bytes` (a whole number of beats, at least
    /// one weight row), `stream_fifo_beats` beats deep.
    pub stream_word_bytes: usize,
    pub stream_fifo_beats: usize,
    pub clock_mhz: f64,
}

pub fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

pub fn lcm(a: usize, b: usize) -> usize {
    a / gcd(a, b) * b
}

/// Largest scratchpad word the design accepts (elements).
pub const MAX_LANES: usize = 256;

impl AccelConfig {
    /// Scratchpad words held on chip: each bank once per port that reads it.
    pub fn spad_stored_words(&self) -> usize {
        self.spad_banks.iter().map(|b| b.words * b.copies() as usize).sum()
    }
    /// Score-buffer words held on chip: each bank once per port that reads it.
    pub fn sbuf_stored_words(&self) -> usize {
        self.sbuf_banks.iter().map(|b| b.words * b.copies() as usize).sum()
    }
    /// Bytes of on-chip buffer: scratchpad and score-buffer copies, constant-stream FIFO.
    pub fn buffer_bytes(&self) -> usize {
        self.spad_stored_words() * self.lanes
            + self.sbuf_stored_words() * self.cols * 4
            + self.stream_fifo_beats * self.bus_bytes
    }
    pub fn weight_row_bytes(&self, w_bits: u32) -> usize {
        (self.cols * w_bits as usize).div_ceil(8)
    }
    pub fn beats_per_word(&self) -> usize {
        self.stream_word_bytes / self.bus_bytes
    }
    /// How the array is built, for listings: "", ", DSP-packed", ", DSP cascades",
    /// ", DSP-packed cascades".
    pub fn array_kind(&self) -> &'static str {
        match (self.dsp_packing, self.dsp_cascade) {
            (false, false) => "",
            (true, false) => ", DSP-packed",
            (false, true) => ", DSP cascades",
            (true, true) => ", DSP-packed cascades",
        }
    }
    pub fn peak_macs_per_cycle(&self) -> usize {
        self.rows * self.cols
    }
    pub fn array(&self) -> vitfpga_hw::units::systolic::SystolicArray {
        vitfpga_hw::units::systolic::SystolicArray {
            rows: self.rows,
            cols: self.cols,
            a_bits: self.a_bits,
            w_bits: self.w_bits,
            acc_bits: self.acc_bits,
            dsp_packing: self.dsp_packing,
            dsp_cascade: self.dsp_cascade,
        }
    }
    pub fn softmax_unit(&self, z_bits: u32, out_bits: u32) -> vitfpga_hw::units::softmax::SoftmaxUnit {
        vitfpga_hw::units::softmax::SoftmaxUnit { lanes: self.cols, z_bits, out_bits, max_len: self.softmax_max_len }
    }
    pub fn layernorm_unit(&self, out_bits: u32) -> vitfpga_hw::units::layernorm::LayerNormUnit {
        vitfpga_hw::units::layernorm::LayerNormUnit {
            lanes: self.layernorm_lanes,
            // vf_accel.v instantiates the unit on the scratchpad's 8-bit lanes, whatever the
            // activation width: its widths and its row-constant cycles (`x_bits + clog2(D + 1)`)
            // follow 8 bits.
            x_bits: 8,
            out_bits,
            max_len: self.layernorm_max_len,
        }
    }
    /// DSP slices of the array.
    pub fn dsp_count(&self) -> usize {
        self.array().dsp_count_on(self.family)
    }

    /// The datapath units and their calibrated resources (crates/vitfpga-hw units): the array, the
    /// epilogue (requantiser, table, residual adder, `cols` lanes each) and the row units.
    pub fn unit_resources(&self) -> Vec<(&'static str, Resources)> {
        use vitfpga_hw::units::{lut::LookupUnit, requant::Requantizer, residual::ResidualAdder};
        let (c, f) = (self.cols, self.family);
        vec![
            ("systolic array", self.array().resources_on(f)),
            ("requantiser", Requantizer { lanes: c, acc_bits: 32, out_bits: 16 }.resources_on(f)),
            ("table", LookupUnit { lanes: c, in_bits: 8, out_bits: 8 }.resources_on(f)),
            ("residual adder", ResidualAdder { lanes: c, a_bits: 8, b_bits: 8, out_bits: 8 }.resources_on(f)),
            (
                "softmax units",
                self.softmax_unit(self.softmax_z_bits, self.softmax_out_bits).resources_on(f)
                    * self.softmax_units as u64,
            ),
            (
                "layernorm units",
                self.layernorm_unit(self.layernorm_out_bits).resources_on(f) * self.layernorm_units as u64,
            ),
        ]
    }

    /// DSP slices of every datapath unit (exact against Yosys for each unit).
    pub fn datapath_dsp(&self) -> usize {
        self.unit_resources().iter().map(|(_, r)| r.dsp as usize).sum()
    }

    /// LUT, FF and DSP of the datapath: every unit, each calibrated against Yosys (the controller
    /// and buffers are in `resources::estimate`).
    pub fn datapath(&self) -> Resources {
        self.unit_resources().into_iter().map(|(_, r)| r).sum()
    }

    /// The controller (everything in the core outside the unit and buffer models), by the model
    /// fitted to whole-core Yosys runs (`vitfpga_hw::accel::controller_resources`).
    pub fn controller(&self) -> Resources {
        vitfpga_hw::accel::controller_resources(vitfpga_hw::accel::ControllerShape {
            lanes: self.lanes,
            row_lanes: self.softmax_units * self.cols + self.layernorm_units * self.layernorm_lanes,
            cols: self.cols,
        })
    }

    /// LUT, FF and DSP of the whole core's logic: the datapath units and the controller (buffers
    /// are block RAM, checked after allocation).
    pub fn logic(&self) -> Resources {
        self.datapath() + self.controller()
    }

    /// The resources of `logic` over the device's caps, as (name, used, cap).
    pub fn logic_over_caps(&self, device: &Device) -> Vec<(&'static str, u64, u64)> {
        over_caps(&self.logic(), device)
    }
}

/// LUT, FF and DSP of `r` over the device's caps, as (name, used, cap).
pub fn over_caps(r: &Resources, device: &Device) -> Vec<(&'static str, u64, u64)> {
    let cap = |n: u64, share: f64| (n as f64 * share).floor() as u64;
    [
        ("LUT", r.lut, cap(device.lut, device.caps.lut)),
        ("FF", r.ff, cap(device.ff, device.caps.ff)),
        ("DSP", r.dsp, cap(device.dsp, device.caps.dsp)),
    ]
    .into_iter()
    .filter(|(_, used, cap)| used > cap)
    .collect()
}

/// Array sides tried for a default design and by `vitfpga search` (one list, so the search sees
/// every array a build could choose). The small ones are for small boards (KV260, PYNQ-Z2),
/// where the controller alone takes a third of the LUTs and a 16x16 core does not fit.
pub const ARRAY_DIMS: [usize; 8] = [4, 8, 16, 32, 48, 64, 96, 128];

/// The compiler's own choice of array when the user gives none (the CLI chooses by simulated frame
/// rate instead, `vitfpga_search::fastest_design`, and falls back to this when nothing fits): the
/// most useful MACs per cycle
/// (rows x cols x `efficiency`, the model's share of unpadded tile work) whose datapath
/// (`logic_of(rows, cols, packing)`: array, epilogue, one row unit of each kind) fits the device's
/// LUT, FF and DSP caps, with a scratchpad word of at most 256 elements.
pub fn default_array(
    device: &Device,
    pack_ok: bool,
    efficiency: impl Fn(usize, usize) -> f64,
    logic_of: impl Fn(usize, usize, bool) -> AccelConfig,
) -> (usize, usize, bool) {
    // When nothing fits, the smallest array: the compiler's fit check then names what overflows.
    let mut best = (ARRAY_DIMS[0], ARRAY_DIMS[0], false);
    let mut best_key = (0u64, usize::MAX, usize::MAX);
    for &r in &ARRAY_DIMS {
        for &c in &ARRAY_DIMS {
            if lcm(r, c) > MAX_LANES {
                continue;
            }
            for pack in [false, true] {
                if pack && !pack_ok {
                    continue;
                }
                let cfg = logic_of(r, c, pack);
                // Prefer more MACs, then fewer DSPs, then squarer arrays.
                // Useful MACs per cycle in thousandths, so equal shapes compare equal.
                let useful = (r as f64 * c as f64 * efficiency(r, c) * 1000.0).round() as u64;
                let key = (useful, cfg.datapath().dsp as usize, r.abs_diff(c));
                let better = key.0 > best_key.0 || (key.0 == best_key.0 && (key.1, key.2) < (best_key.1, best_key.2));
                if better && cfg.logic_over_caps(device).is_empty() {
                    best = (r, c, pack);
                    best_key = key;
                }
            }
        }
    }
    best
}
