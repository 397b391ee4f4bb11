//! The vitfpga compiler: a quantised ViT graph to an accelerator program.
//!
//! Passes run by name in [`PIPELINE`] order, each in its own file under `passes/`:
//! `lower` (fused unit operations), `dump` (optional intermediate stores), `alloc` (on-chip
//! placement), `layout` (DRAM map and constant stream), `schedule` (instruction queues).

pub mod config;
pub mod disasm;
pub mod encode;
pub mod header;
pub mod image;
pub mod passes;
pub mod plan;
pub mod program;
pub mod resources;
pub mod rtl;
pub mod stream;

use std::path::Path;

use vitfpga_device::Device;
use vitfpga_golden::{NodeParams, QuantizedModel};
use vitfpga_graph::OpKind;
use vitfpga_hw::resources::{Family, Resources};

pub use config::{AccelConfig, DesignSpec};
pub use program::Program;

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("design: {0}")]
    Design(String),
    #[error("the design does not fit {device}: {message}")]
    DoesNotFit { device: String, message: String },
    #[error("cannot compile: {0}")]
    Unsupported(String),
    #[error("unknown pass '{0}'")]
    UnknownPass(String),
    #[error("program file {path}: {message}")]
    File { path: String, message: String },
}

/// The default pass pipeline.
pub const PIPELINE: [&str; 5] = ["lower", "dump", "alloc", "layout", "schedule"];

#[derive(Clone, Copy, Debug, Default)]
pub struct CompileOptions {
    /// Store every intermediate to DRAM (for RTL verification).
    pub dump_intermediates: bool,
    /// A design over the device's caps is a warning (in `Compiled::warnings`), not an error.
    pub allow_overfill: bool,
    /// Weight tiles in the constant stream are zeros of the right size: the program and its
    /// timing are exact, the constants are not (design-space search; never for a build).
    pub timing_only: bool,
}

/// A compiled design: the program and the constant stream's bytes (its DRAM region).
#[derive(Clone, Debug)]
pub struct Compiled {
    pub program: Program,
    pub constants: Vec<u8>,
    /// Resources over the device's caps, when `allow_overfill` let the design through.
    pub warnings: Vec<String>,
}

pub fn run_pass(name: &str, plan: &mut plan::Plan) -> Result<(), CompileError> {
    match name {
        "lower" => passes::lower::run(plan),
        "dump" => {
            passes::dump::run(plan);
            Ok(())
        }
        "alloc" => passes::alloc::run(plan),
        "layout" => passes::layout::run(plan),
        "schedule" => passes::schedule::run(plan),
        other => Err(CompileError::UnknownPass(other.into())),
    }
}

pub fn compile(
    model: &QuantizedModel,
    device: &Device,
    spec: &DesignSpec,
    opts: CompileOptions,
) -> Result<Compiled, CompileError> {
    let cfg = resolve(model, device, spec)?;
    let mut plan = plan::Plan {
        model,
        cfg,
        tensors: Vec::new(),
        ops: Vec::new(),
        dump: opts.dump_intermediates,
        timing_only: opts.timing_only,
        dram: None,
        constants: Vec::new(),
        program: None,
    };
    for p in PIPELINE {
        run_pass(p, &mut plan)?;
    }
    let mut warnings = Vec::new();
    let mut program = plan.program.expect("schedule made the program");
    program.config = plan.cfg.clone();
    match check_fit(&program, device) {
        Err(CompileError::DoesNotFit { device, message }) if opts.allow_overfill => {
            warnings.push(format!("the design does not fit {device}: {message}"))
        }
        r => r?,
    }
    Ok(Compiled { program, constants: plan.constants, warnings })
}

/// Bits of a node's output.
fn bits(model: &QuantizedModel, name: &str) -> u32 {
    model.params[name].out().bits
}

/// The design for this model on this device: array, widths, buffers, DRAM model.
pub fn resolve(model: &QuantizedModel, device: &Device, spec: &DesignSpec) -> Result<AccelConfig, CompileError> {
    let g = &model.graph;
    let bad = |m: String| Err(CompileError::Design(m));
    // The model-free checks first (ranges, both array sides, lanes dividing the word): every cost
    // model below divides by the row-unit counts and lanes.
    spec.validate()?;
    // Widest streamed activation and widest stationary operand; longest K, rows.
    let (mut a_bits, mut w_bits, mut max_k, mut tokens, mut dim) = (2u32, 1u32, 1usize, 1usize, 1usize);
    let (mut sm_z, mut sm_out, mut ln_out) = (2u32, 8u32, 8u32);
    // Every GEMM as (m, k, segment width, segments): what tile padding costs an array shape.
    let mut gemms: Vec<(usize, usize, usize, usize)> = Vec::new();
    let order = g.topo_order().map_err(|e| CompileError::Unsupported(e.to_string()))?;
    for &id in &order {
        let node = g.node(id);
        let ins = g.inputs(id);
        match (&node.kind, &model.params[&node.name]) {
            (OpKind::Linear { in_features, out_features }, NodeParams::Linear { w_bits: wb, .. }) => {
                a_bits = a_bits.max(bits(model, &g.node(ins[0]).name));
                w_bits = w_bits.max(*wb);
                max_k = max_k.max(*in_features);
                // The QKV projection runs per head segment.
                let heads = order.iter().find_map(|&c| match g.node(c).kind {
                    OpKind::AttnScores { heads, head_dim } if g.inputs(c).contains(&id) => Some((heads, head_dim)),
                    _ => None,
                });
                let (seg, segs) = heads.map_or((*out_features, 1), |(h, d)| (d, 3 * h));
                gemms.push((node.shape[0], *in_features, seg, segs));
            }
            (OpKind::AttnScores { heads, head_dim }, p) => {
                gemms.push((node.shape[1], *head_dim, node.shape[1], *heads));
                sm_z = sm_z.max(p.out().bits);
                let qb = bits(model, &g.node(ins[0]).name);
                a_bits = a_bits.max(qb);
                w_bits = w_bits.max(qb);
                max_k = max_k.max(*head_dim);
                tokens = tokens.max(node.shape[1]);
            }
            (OpKind::AttnContext { heads, head_dim }, _) => {
                gemms.push((node.shape[0], node.shape[0], *head_dim, *heads));
                a_bits = a_bits.max(bits(model, &g.node(ins[0]).name));
                w_bits = w_bits.max(bits(model, &g.node(ins[1]).name));
                max_k = max_k.max(node.shape[0]);
            }
            (OpKind::LayerNorm { dim: d, .. }, p) => {
                dim = dim.max(*d);
                ln_out = p.out().bits;
            }
            (OpKind::Softmax { .. }, p) => sm_out = p.out().bits,
            _ => {}
        }
    }
    // The softmax and LayerNorm units are built for one output width each.
    for (kind, what) in [("softmax", "Softmax"), ("layernorm", "LayerNorm")] {
        let widths: std::collections::BTreeSet<u32> = model
            .params
            .iter()
            .filter(|(name, _)| g.find(name).is_some_and(|id| g.node(id).kind.mnemonic() == kind))
            .map(|(_, p)| p.out().bits)
            .collect();
        if widths.len() > 1 {
            return bad(format!(
                "the {what} outputs use different widths {widths:?}; the accelerator's {what} units are built for one \
                 (give every {kind} layer the same bits)"
            ));
        }
    }
    // Resource models per Yosys family; Versal has no Yosys flow and is estimated as UltraScale+.
    let family = Family::from_name(&device.family).unwrap_or(Family::Xcup);
    // The array on DSP48E2 cascades wherever the device has DSP48E2 and the weights multiply: it
    // keeps the partial sums and weights in the DSPs (docs/hardware.md, "DSP cascades").
    let dsp_cascade = spec.dsp_cascade.unwrap_or(device.dsp_type == vitfpga_device::DspType::DSP48E2 && w_bits > 1);
    let pack_ok = w_bits > 1 && family.packs_two_macs();
    let clock_mhz = spec.clock_mhz.unwrap_or(device.default_clock_mhz);
    if !(clock_mhz.is_finite() && clock_mhz > 0.0 && clock_mhz <= 1000.0) {
        return bad(format!("clock {clock_mhz} MHz must lie in (0, 1000]"));
    }
    let per_cycle = device.ddr_bytes_per_cycle(clock_mhz);
    let bus_bytes = match spec.bus_bytes {
        Some(b) if b.is_power_of_two() && (8..=128).contains(&b) => b,
        Some(b) => return bad(format!("bus_bytes {b} must be a power of two in 8..=128")),
        None => {
            let mut b = 8;
            while b * 2 <= 64 && (b * 2) as f64 <= per_cycle {
                b *= 2;
            }
            b
        }
    };
    // A configuration for an array shape and row-unit counts (buffers are sized later by `alloc`).
    let make = |rows: usize, cols: usize, dsp_packing: bool, sm: usize, ln: usize, ln_lanes: usize| {
        let acc_bits = vitfpga_golden::arith::acc_bits(a_bits, w_bits, max_k.max(rows));
        let row_bytes = (cols * w_bits as usize).div_ceil(8).max(16);
        AccelConfig {
            device: device.name.clone(),
            family,
            rows,
            cols,
            a_bits,
            w_bits,
            dsp_packing,
            dsp_cascade,
            acc_bits,
            lanes: config::lcm(rows, cols),
            spad_words: 0,
            sbuf_words: 0,
            spad_banks: Vec::new(),
            sbuf_banks: Vec::new(),
            softmax_units: sm,
            layernorm_units: ln,
            layernorm_lanes: ln_lanes,
            softmax_max_len: tokens,
            layernorm_max_len: dim,
            softmax_z_bits: sm_z,
            softmax_out_bits: sm_out,
            layernorm_out_bits: ln_out,
            bus_bytes,
            dram_latency: spec.dram_latency.unwrap_or(60),
            stream_word_bytes: row_bytes.div_ceil(bus_bytes) * bus_bytes,
            stream_fifo_beats: 0,
            clock_mhz,
        }
    };
    let (rows, cols, dsp_packing) = match (spec.rows, spec.cols) {
        (Some(r), Some(c)) => (r, c, spec.dsp_packing.unwrap_or(false)),
        (None, None) => {
            // Useful share of the array's MACs once tiles are padded to R x C.
            let efficiency = |r: usize, c: usize| {
                let (mut useful, mut padded) = (0f64, 0f64);
                for &(m, k, n, segs) in &gemms {
                    useful += (m * k * n * segs) as f64;
                    padded += (m * k.div_ceil(r) * r * n.div_ceil(c) * c * segs) as f64;
                }
                if padded > 0.0 {
                    useful / padded
                } else {
                    1.0
                }
            };
            // Each shape is checked with its row units at their narrowest (one softmax unit, one
            // LayerNorm unit of the smallest lane count `row_units` may pick): `row_units` then
            // spends what is left.
            let narrowest = |r: usize, c: usize| {
                let word = config::lcm(r, c);
                (4..=word.min(128)).find(|l| word.is_multiple_of(*l)).unwrap_or(r)
            };
            let (r, c, p) = config::default_array(device, pack_ok, efficiency, |r, c, p| {
                make(r, c, p, 1, 1, spec.layernorm_lanes.unwrap_or_else(|| narrowest(r, c)))
            });
            (r, c, spec.dsp_packing.unwrap_or(p))
        }
        _ => return bad("give both array dimensions".into()),
    };
    if dsp_packing && !family.packs_two_macs() {
        return bad(format!(
            "DSP packing needs the 27-bit port of a DSP48E2; {} ({}) has {:?}",
            device.name, device.part, device.dsp_type
        ));
    }
    if dsp_packing && !pack_ok {
        return bad("DSP packing needs multiplying weights; this model's array holds binary weights".into());
    }
    if dsp_cascade && device.dsp_type != vitfpga_device::DspType::DSP48E2 {
        return bad(format!(
            "the DSP cascade array instantiates DSP48E2 (UltraScale+); {} ({}) has {:?}",
            device.name, device.part, device.dsp_type
        ));
    }
    let array = vitfpga_hw::units::systolic::SystolicArray::new(rows, cols, a_bits, w_bits, max_k, dsp_packing)
        .and_then(|a| a.with_dsp_cascade(dsp_cascade))
        .map_err(|e| CompileError::Design(e.to_string()))?;
    let lanes = config::lcm(rows, cols);
    if lanes > config::MAX_LANES {
        return bad(format!(
            "a {rows}x{cols} array needs scratchpad words of lcm({rows}, {cols}) = {lanes} elements (max {}); \
             choose dimensions with a larger common factor",
            config::MAX_LANES
        ));
    }
    if rows > 128 || cols > 128 {
        return bad(format!("{rows}x{cols}: the row units take at most 128 lanes (rows and cols <= 128)"));
    }
    // LayerNorm lanes divide the scratchpad word (a beat never straddles two words).
    if let Some(l) = spec.layernorm_lanes {
        if !(1..=128).contains(&l) || !lanes.is_multiple_of(l) {
            return bad(format!(
                "layernorm_lanes {l} must divide the scratchpad word of lcm({rows}, {cols}) = {lanes} elements \
                 and lie in 1..=128"
            ));
        }
    }
    if let (Some(sm), Some(ln)) = (spec.softmax_units, spec.layernorm_units) {
        if !(1..=64).contains(&sm) || !(1..=64).contains(&ln) {
            return bad("softmax_units and layernorm_units must lie in 1..=64".into());
        }
    }
    let (sm, ln, ln_lanes) = row_units(spec, lanes, rows, dim, |sm, ln, l| {
        make(rows, cols, dsp_packing, sm, ln, l).logic_over_caps(device).is_empty()
    });
    if !(1..=64).contains(&sm) || !(1..=64).contains(&ln) {
        return bad("softmax_units and layernorm_units must lie in 1..=64".into());
    }
    let mut cfg = make(rows, cols, dsp_packing, sm, ln, ln_lanes);
    debug_assert_eq!(cfg.acc_bits, array.acc_bits);
    // Room for two weight tiles, so one loads while the other shifts in.
    let tile_beats = stream::tile_words(&cfg, w_bits) * cfg.beats_per_word();
    cfg.stream_fifo_beats = (2 * tile_beats).max(8 * cfg.beats_per_word());
    Ok(cfg)
}

/// Row units when the user leaves them open. LayerNorm runs between GEMMs with nothing to overlap,
/// so it gets the best (units, lanes) within the DSP cap: a unit pays a fixed per-row cost
/// (divider, square root, reciprocal), so several narrow units beat one wide one until the single
/// read port (one beat of `lanes` per cycle) binds. Softmax runs detached beside the array; it
/// gets up to 8 units from what is left. Unset lanes default to `rows`.
fn row_units(
    spec: &DesignSpec,
    word: usize,
    rows: usize,
    dim: usize,
    fits: impl Fn(usize, usize, usize) -> bool,
) -> (usize, usize, usize) {
    let sm0 = spec.softmax_units.unwrap_or(1);
    let lanes_options: Vec<usize> = match spec.layernorm_lanes {
        Some(l) => vec![l],
        None if spec.layernorm_units.is_some() => {
            vec![rows.min(128)].into_iter().filter(|l| word.is_multiple_of(*l)).collect()
        }
        None => (1..=word.min(128)).filter(|l| word.is_multiple_of(*l) && *l >= 4).collect(),
    };
    let units_options: Vec<usize> = match spec.layernorm_units {
        Some(n) => vec![n],
        None => (1..=4).collect(),
    };
    // Cycles per row of `n` units with `l` lanes, rows dealt round-robin over one read port.
    let per_row = |n: usize, l: usize| {
        let t = vitfpga_hw::units::layernorm::LayerNormUnit { lanes: l, x_bits: 8, out_bits: 8, max_len: dim.max(1) }
            .timing();
        let d = dim.max(1);
        (t.cycles_per_row(d) as f64 / n as f64).max(t.beats(d) as f64)
    };
    let mut best: Option<(f64, usize, usize)> = None;
    for &l in &lanes_options {
        for &n in &units_options {
            if spec.layernorm_units.is_none() && spec.layernorm_lanes.is_none() && !fits(sm0, n, l) {
                continue;
            }
            let c = per_row(n, l);
            // Faster first, then fewer DSPs (fewer lanes in all), then fewer units.
            let key = (c, n * l, n);
            if best.is_none_or(|(bc, bn, bl)| (key.0, key.1, key.2) < (bc, bn * bl, bn)) {
                best = Some((c, n, l));
            }
        }
    }
    let (ln, ln_lanes) = best.map_or((spec.layernorm_units.unwrap_or(1), rows), |(_, n, l)| (n, l));
    let mut sm = sm0;
    if spec.softmax_units.is_none() {
        while sm < 8 && fits(sm + 1, ln, ln_lanes) {
            sm += 1;
        }
    }
    (sm, ln, ln_lanes)
}

/// The design against the device's caps: every datapath unit (calibrated; DSP exact against
/// Yosys per unit) and the block RAM of the buffers. Lists every resource over its cap.
fn check_fit(program: &Program, device: &Device) -> Result<(), CompileError> {
    let cfg = &program.config;
    let mut over = Vec::new();
    let mut units = cfg.unit_resources();
    units.push(("controller", cfg.controller()));
    for (name, used, cap) in cfg.logic_over_caps(device) {
        let (of, share) = match name {
            "LUT" => (device.lut, device.caps.lut),
            "FF" => (device.ff, device.caps.ff),
            _ => (device.dsp, device.caps.dsp),
        };
        let get = |r: &Resources| match name {
            "LUT" => r.lut,
            "FF" => r.ff,
            _ => r.dsp,
        };
        let parts: Vec<String> =
            units.iter().filter(|(_, r)| get(r) > 0).map(|(n, r)| format!("{n} {}", get(r))).collect();
        over.push(format!(
            "{name} {used} > {cap} ({:.0} % of {of}) by {} [{}]",
            share * 100.0,
            used - cap,
            parts.join(", ")
        ));
    }
    // Block RAM: every buffer copy and unit memory as Yosys maps it (`resources::estimate`).
    let bram18: u64 = resources::estimate(program).iter().map(|p| p.resources.bram18).sum();
    let bram_cap = (device.bram36 as f64 * 2.0 * device.caps.bram).floor() as u64;
    let bytes = cfg.buffer_bytes();
    let with_uram = ((device.bram36 as f64 * 4608.0 + device.uram as f64 * 36864.0) * device.caps.bram) as usize;
    // Devices with UltraRAM may hold the overflow there (by capacity; the generator does not yet
    // place banks in URAM, so this is the optimistic side).
    if bram18 > bram_cap && (device.uram == 0 || bytes > with_uram) {
        over.push(format!(
            "BRAM36 {:.1} > {:.1} ({:.0} % of {}) [block RAM of the on-chip buffers {:.2} MB: scratchpad {} words x {} B \
             held as {} words (a copy of each bank per reading port), score buffer {} words x {} B held as {}]",
            bram18 as f64 / 2.0,
            bram_cap as f64 / 2.0,
            device.caps.bram * 100.0,
            device.bram36,
            bytes as f64 / 1e6,
            cfg.spad_words,
            cfg.lanes,
            cfg.spad_stored_words(),
            cfg.sbuf_words,
            cfg.cols * 4,
            cfg.sbuf_stored_words(),
        ));
    }
    if over.is_empty() {
        Ok(())
    } else {
        Err(CompileError::DoesNotFit { device: device.name.clone(), message: over.join("; ") })
    }
}

impl Program {
    /// `program.bin`: magic, version, CRC-32 of the payload, bincode payload.
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = bincode::serialize(self).expect("programs serialise");
        let mut out = Vec::with_capacity(payload.len() + 16);
        out.extend_from_slice(program::PROGRAM_MAGIC);
        out.extend_from_slice(&program::PROGRAM_VERSION.to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    pub fn from_bytes(bytes: &[u8], path: &str) -> Result<Program, CompileError> {
        let bad = |message: String| CompileError::File { path: path.into(), message };
        if bytes.len() < 16 || &bytes[..8] != program::PROGRAM_MAGIC {
            return Err(bad("not a vitfpga program (bad magic)".into()));
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap());
        if version != program::PROGRAM_VERSION {
            return Err(bad(format!("program version {version}, this vitfpga reads {}", program::PROGRAM_VERSION)));
        }
        let crc = u32::from_le_bytes(bytes[12..16].try_into().unwrap());
        if crc32fast::hash(&bytes[16..]) != crc {
            return Err(bad("checksum mismatch: the file is corrupt".into()));
        }
        // The size limit keeps a hostile length prefix from reading (or allocating) without bound.
        use bincode::Options;
        let payload = &bytes[16..];
        bincode::DefaultOptions::new()
            .with_fixint_encoding()
            .allow_trailing_bytes()
            .with_limit(payload.len() as u64 * 4 + 1024)
            .deserialize::<Program>(payload)
            .map_err(|e| bad(format!("malformed payload: {e}")))
            .and_then(|p| {
                // Sizes every reader of a program divides by (found by the `program` fuzz target).
                let c = &p.config;
                for (name, v) in [("rows", c.rows), ("cols", c.cols), ("lanes", c.lanes), ("bus_bytes", c.bus_bytes)] {
                    if v == 0 {
                        return Err(bad(format!("malformed payload: the array's {name} is 0")));
                    }
                }
                Ok(p)
            })
    }

    pub fn load(path: &Path) -> Result<Program, CompileError> {
        let bytes = std::fs::read(path)
            .map_err(|e| CompileError::File { path: path.display().to_string(), message: e.to_string() })?;
        Program::from_bytes(&bytes, &path.display().to_string())
    }
}
