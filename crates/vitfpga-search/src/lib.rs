//! search: the design that meets a target frame rate with the best accuracy (VAQF's question),
//! over weight bits per layer group (attention, MLP), activation bits, array shape and DSP
//! packing. Every frame rate is the cycle model's (`vitfpga_sim::timing`, equal to the RTL's), every
//! resource figure the calibrated datapath estimate, every accuracy the golden model's on the
//! user's images (or a labelled proxy on synthetic images when no weights are given).

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use vitfpga_compiler::{compile, CompileError, CompileOptions, DesignSpec};
use vitfpga_device::Device;
use vitfpga_golden::QuantizedModel;
use vitfpga_hw::resources::Resources;
use vitfpga_model::{Images, Weights};
use vitfpga_quant::{Calibration, LayerQuant, QuantConfig};

/// Weight and activation bits of the attention layers (QKV, scores, softmax, context, proj) and
/// the MLP layers (fc1, GELU, fc2). Patch embedding and head keep 8-bit weights; they and the
/// other activations (LayerNorm outputs, residual stream) take the wider of the two activation
/// widths: the array multiplies at that width anyway, so narrower would cost accuracy and save
/// nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Precision {
    pub w_attention: u32,
    pub w_mlp: u32,
    pub a_attention: u32,
    pub a_mlp: u32,
}

impl Precision {
    /// `W8A8`, or `W4/2A8/6` (attention / MLP) when the groups differ.
    pub fn label(&self) -> String {
        let pair = |a: u32, b: u32| if a == b { a.to_string() } else { format!("{a}/{b}") };
        format!("W{}A{}", pair(self.w_attention, self.w_mlp), pair(self.a_attention, self.a_mlp))
    }

    /// The activation width everything outside the two groups uses, and the array's.
    pub fn a_bits(&self) -> u32 {
        self.a_attention.max(self.a_mlp)
    }

    pub fn quant_config(&self) -> QuantConfig {
        let mut q = QuantConfig::uniform(8, self.a_bits());
        q.layer_type
            .insert("attention".into(), LayerQuant { w_bits: Some(self.w_attention), a_bits: Some(self.a_attention) });
        q.layer_type.insert("mlp".into(), LayerQuant { w_bits: Some(self.w_mlp), a_bits: Some(self.a_mlp) });
        q
    }
}

/// How good a precision is, measured with the golden model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Measured: top-1 accuracy on labelled images, else top-1 agreement with the float model.
    /// Proxy: mean per-layer SQNR in dB against the float reference on synthetic images.
    pub score: f64,
    pub top1: Option<f64>,
    pub top1_agreement: f64,
    pub logit_sqnr_db: f64,
    /// "measured" on the user's images, or "proxy" (synthetic weights or images).
    pub basis: String,
}

impl Accuracy {
    /// What `score` measures: `top1_accuracy` (labelled images), `top1_agreement` (with the float
    /// model, no labels) or `mean_layer_sqnr` (the proxy).
    pub fn metric(&self) -> &'static str {
        match (self.basis.as_str(), self.top1) {
            ("proxy", _) => "mean_layer_sqnr",
            (_, Some(_)) => "top1_accuracy",
            _ => "top1_agreement",
        }
    }

    /// The unit of `score`: a fraction in [0, 1] for the top-1 metrics, decibels for the proxy.
    pub fn unit(&self) -> &'static str {
        if self.metric() == "mean_layer_sqnr" {
            "dB"
        } else {
            "fraction"
        }
    }

    /// `score` for people: `98.61 % top-1`, `97.20 % top-1 agreement with float`, or
    /// `20.28 dB mean layer SQNR (proxy)`.
    pub fn describe(&self) -> String {
        match self.metric() {
            "top1_accuracy" => format!("{:.2} % top-1", self.score * 100.0),
            "top1_agreement" => format!("{:.2} % top-1 agreement with float", self.score * 100.0),
            _ => format!("{:.2} dB mean layer SQNR (proxy)", self.score),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub precision: Precision,
    pub bits: String,
    pub array: String,
    pub rows: usize,
    pub cols: usize,
    pub dsp_packing: bool,
    /// The array on DSP48E2 cascades (the compiler's default on DSP48E2 devices).
    #[serde(default)]
    pub dsp_cascade: bool,
    pub softmax_units: usize,
    pub layernorm_units: usize,
    pub layernorm_lanes: usize,
    pub cycles_per_frame: u64,
    pub fps: f64,
    pub mac_utilization: f64,
    /// Cycles the exec engine waited for constant-stream data (DRAM bandwidth) per frame.
    pub stream_stall_cycles: u64,
    /// Logic estimate: the calibrated unit models and the controller model (block RAM is checked
    /// by the compiler's fit check).
    pub resources: Resources,
    pub accuracy: Accuracy,
}

impl Candidate {
    /// The design TOML `vitfpga build --design` accepts for this candidate's hardware.
    pub fn design_spec(&self, clock_mhz: f64) -> DesignSpec {
        DesignSpec {
            rows: Some(self.rows),
            cols: Some(self.cols),
            dsp_packing: Some(self.dsp_packing),
            dsp_cascade: Some(self.dsp_cascade),
            clock_mhz: Some(clock_mhz),
            softmax_units: Some(self.softmax_units),
            layernorm_units: Some(self.layernorm_units),
            layernorm_lanes: Some(self.layernorm_lanes),
            ..Default::default()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    pub target_fps: f64,
    pub feasible: bool,
    pub chosen: Option<Candidate>,
    /// Non-dominated candidates: no other is at least as fast, as accurate, and as cheap in LUTs
    /// and DSPs, and strictly better in one.
    pub pareto: Vec<Candidate>,
    pub candidates_evaluated: usize,
    /// Candidates refused because they exceed a device cap, by the first resource named.
    pub rejected_over_caps: BTreeMap<String, usize>,
    /// The fastest design that fits, whatever its accuracy, and what bounds it.
    pub best_fps: f64,
    pub limit: String,
}

/// The precisions explored: weight bits {8, 4, 2, 1} and activation bits {8, 6, 4}, each chosen
/// separately for the attention and the MLP layers (144 assignments).
pub fn precisions() -> Vec<Precision> {
    let mut v = Vec::new();
    for a_attention in [8, 6, 4] {
        for a_mlp in [8, 6, 4] {
            for w_attention in [8, 4, 2, 1] {
                for w_mlp in [8, 4, 2, 1] {
                    v.push(Precision { w_attention, w_mlp, a_attention, a_mlp });
                }
            }
        }
    }
    v
}

/// Hardware explored per precision: array shapes (scratchpad words of at most 256 elements), each
/// with and without DSP packing, each with 1, 2, 4 or 8 softmax units (the LayerNorm units and
/// lanes are then the compiler's choice: the fewest cycles per row within the caps). Buffers are
/// not a dimension: the compiler sizes them to the program (`alloc`), and the fit check refuses
/// what the block RAM cannot hold.
pub fn shapes() -> Vec<Shape> {
    let dims = vitfpga_compiler::config::ARRAY_DIMS;
    let mut v = Vec::new();
    for rows in dims {
        for cols in dims {
            if vitfpga_compiler::config::lcm(rows, cols) <= vitfpga_compiler::config::MAX_LANES {
                for dsp_packing in [false, true] {
                    for softmax_units in [1, 2, 4, 8] {
                        v.push(Shape { rows, cols, dsp_packing, softmax_units });
                    }
                }
            }
        }
    }
    v
}

/// The design `build`, `simulate`, `report` and `verify` use when no array is given: every array
/// shape of the search (with and without DSP packing, as `spec` allows) whose logic fits the
/// device's caps, compiled and timed by the cycle model; the highest frame rate wins, ties to
/// fewer LUTs, then fewer DSPs. Row units stay as `spec` gives them (else the compiler's choice).
/// `None` when no shape fits: the caller then compiles `spec` as given, and the compiler's fit
/// check names what overflows.
pub fn fastest_design(
    qm: &QuantizedModel,
    device: &Device,
    spec: &DesignSpec,
) -> Option<(DesignSpec, vitfpga_sim::Figures, usize)> {
    let mut arrays: Vec<(usize, usize, bool)> = Vec::new();
    for s in shapes() {
        let a = (s.rows, s.cols, s.dsp_packing);
        if !arrays.contains(&a) && spec.dsp_packing.is_none_or(|p| p == s.dsp_packing) {
            arrays.push(a);
        }
    }
    let results: Vec<(DesignSpec, vitfpga_sim::Figures, Resources)> = arrays
        .into_par_iter()
        .filter_map(|(r, c, pack)| {
            let s = DesignSpec { rows: Some(r), cols: Some(c), dsp_packing: Some(pack), ..spec.clone() };
            let cfg = vitfpga_compiler::resolve(qm, device, &s).ok()?;
            if !cfg.logic_over_caps(device).is_empty() {
                return None;
            }
            let compiled = compile(qm, device, &s, CompileOptions { timing_only: true, ..Default::default() }).ok()?;
            let p = &compiled.program;
            let f = vitfpga_sim::figures(p, &vitfpga_sim::timing::run(p));
            Some((s, f, vitfpga_compiler::resources::total(&vitfpga_compiler::resources::estimate(p))))
        })
        .collect();
    let n = results.len();
    results
        .into_iter()
        .min_by(|a, b| {
            b.1.fps
                .total_cmp(&a.1.fps)
                .then(a.2.lut.cmp(&b.2.lut))
                .then(a.2.dsp.cmp(&b.2.dsp))
                .then((a.0.rows, a.0.cols, a.0.dsp_packing).cmp(&(b.0.rows, b.0.cols, b.0.dsp_packing)))
        })
        .map(|(s, f, _)| (s, f, n))
}

/// One hardware point of the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub rows: usize,
    pub cols: usize,
    pub dsp_packing: bool,
    pub softmax_units: usize,
}

/// The inputs accuracy is measured with.
pub struct AccuracyData<'a> {
    pub graph: &'a vitfpga_graph::Graph,
    pub weights: &'a Weights,
    pub calibration: &'a Calibration,
    pub images: &'a Images,
    pub labels: Option<&'a [i64]>,
    /// The float reference on `images` (`vitfpga_quant::float_traces_of`), computed on the first
    /// measurement (a search whose accuracies are all cached never runs it).
    pub floats: &'a std::sync::OnceLock<Vec<vitfpga_reference::FloatTrace>>,
    /// False when weights or images are synthetic: scores are then a proxy.
    pub measured: bool,
}

/// Quantise at one precision and measure it.
pub fn quantize_and_measure(
    data: &AccuracyData,
    p: Precision,
) -> Result<(QuantizedModel, Accuracy), vitfpga_quant::QuantError> {
    let qm = quantize(data, p)?;
    let acc = measure(data, &qm)?;
    Ok((qm, acc))
}

/// The integer model for one precision (what the hardware side needs).
pub fn quantize(data: &AccuracyData, p: Precision) -> Result<QuantizedModel, vitfpga_quant::QuantError> {
    vitfpga_quant::quantize(data.graph, data.weights, data.calibration, &p.quant_config())
}

/// The accuracy of one quantised model with the golden model.
pub fn measure(data: &AccuracyData, qm: &QuantizedModel) -> Result<Accuracy, vitfpga_quant::QuantError> {
    let floats = data.floats.get_or_init(|| vitfpga_quant::float_traces_of(data.graph, data.weights, data.images));
    let r = vitfpga_quant::evaluate_against(qm, data.images, data.labels, floats)
        .map_err(|e| vitfpga_quant::QuantError::Toml { origin: "golden".into(), message: e.to_string() })?;
    // Without the user's weights and images, top-1 figures on synthetic data mean nothing; the
    // proxy is the mean per-layer SQNR (dB) of the integer model against the float reference.
    let proxy = {
        let v: Vec<f64> = r.layers.iter().map(|l| l.sqnr_db).filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    Ok(Accuracy {
        score: if data.measured { r.int_top1.unwrap_or(r.top1_agreement) } else { proxy },
        top1: r.int_top1,
        top1_agreement: r.top1_agreement,
        logit_sqnr_db: r.logit_sqnr_db,
        basis: if data.measured { "measured" } else { "proxy" }.into(),
    })
}

/// Accuracies kept on disk per precision assignment: one JSON file per set of inputs, named by a
/// digest of everything an accuracy depends on (the caller's `key`). A missing or unreadable file
/// is an empty cache; `save` writes a temporary file and renames it into place.
pub struct AccuracyCache {
    file: Option<std::path::PathBuf>,
    entries: BTreeMap<String, Accuracy>,
    dirty: bool,
}

impl AccuracyCache {
    /// No cache: every accuracy is measured.
    pub fn disabled() -> Self {
        AccuracyCache { file: None, entries: BTreeMap::new(), dirty: false }
    }

    pub fn open(dir: &std::path::Path, key: &str) -> Self {
        let file = dir.join(format!("accuracy-{key}.json"));
        let entries = std::fs::read(&file).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        AccuracyCache { file: Some(file), entries, dirty: false }
    }

    pub fn get(&self, p: &Precision) -> Option<Accuracy> {
        self.entries.get(&p.label()).cloned()
    }

    pub fn insert(&mut self, p: &Precision, a: Accuracy) {
        self.entries.insert(p.label(), a);
        self.dirty = true;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn save(&self) -> std::io::Result<()> {
        let Some(file) = &self.file else { return Ok(()) };
        if !self.dirty {
            return Ok(());
        }
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = file.with_extension(format!("json.tmp{}", std::process::id()));
        std::fs::write(&tmp, serde_json::to_vec_pretty(&self.entries).expect("accuracies serialise"))?;
        std::fs::rename(&tmp, file)
    }
}

/// Cycle-model figures per shape for one (attention weight bits, MLP weight bits, MLP activation
/// bits), shared by the precisions that differ only in the attention layers' activation bits:
/// their programs differ only in output-width fields the cycle model does not read (test
/// `attention_activation_bits_leave_the_timing_unchanged`; the MLP's do not: fc1's GELU table
/// has 2^bits entries in the constant stream).
/// Every precision still compiles each shape itself (resources and the fit check are its own).
pub struct TimingCache {
    figures: Vec<std::sync::OnceLock<vitfpga_sim::Figures>>,
}

impl Default for TimingCache {
    fn default() -> Self {
        TimingCache { figures: shapes().iter().map(|_| std::sync::OnceLock::new()).collect() }
    }
}

/// Every array shape for one quantised model: exact FPS from the cycle model, the whole core's
/// estimated resources (as `build` reports them);
/// designs over the device's caps are counted by the resource they exceed.
pub fn evaluate_hardware(
    qm: &QuantizedModel,
    p: Precision,
    acc: &Accuracy,
    device: &Device,
    clock_mhz: f64,
    timings: &TimingCache,
) -> (Vec<Candidate>, BTreeMap<String, usize>) {
    let results: Vec<Result<Candidate, String>> = shapes()
        .into_par_iter()
        .enumerate()
        .filter_map(|(i, sh)| {
            let (r, c, pack) = (sh.rows, sh.cols, sh.dsp_packing);
            let spec = DesignSpec {
                rows: Some(r),
                cols: Some(c),
                dsp_packing: Some(pack),
                softmax_units: Some(sh.softmax_units),
                clock_mhz: Some(clock_mhz),
                ..Default::default()
            };
            // A datapath over the caps is refused before compiling (the compiler would refuse it
            // too, after lowering and allocation).
            if let Ok(cfg) = vitfpga_compiler::resolve(qm, device, &spec) {
                if let Some((name, ..)) = cfg.logic_over_caps(device).first() {
                    return Some(Err(name.to_string()));
                }
            }
            match compile(qm, device, &spec, CompileOptions { timing_only: true, ..Default::default() }) {
                Ok(compiled) => {
                    let prog = &compiled.program;
                    let f =
                        timings.figures[i].get_or_init(|| vitfpga_sim::figures(prog, &vitfpga_sim::timing::run(prog)));
                    let cfg = &prog.config;
                    Some(Ok(Candidate {
                        precision: p,
                        bits: p.label(),
                        array: format!("{r}x{c}"),
                        rows: r,
                        cols: c,
                        dsp_packing: pack,
                        dsp_cascade: cfg.dsp_cascade,
                        softmax_units: cfg.softmax_units,
                        layernorm_units: cfg.layernorm_units,
                        layernorm_lanes: cfg.layernorm_lanes,
                        cycles_per_frame: f.cycles_per_frame,
                        fps: f.fps,
                        mac_utilization: f.mac_utilization,
                        stream_stall_cycles: f.stream_stall_cycles,
                        // The whole core as `build` and `report` estimate it (logic and buffers):
                        // one model, one figure.
                        resources: vitfpga_compiler::resources::total(&vitfpga_compiler::resources::estimate(prog)),
                        accuracy: acc.clone(),
                    }))
                }
                Err(CompileError::DoesNotFit { message, .. }) => {
                    Some(Err(message.split_whitespace().next().unwrap_or("?").to_string()))
                }
                // Shapes the design rules refuse (packing without multiplying weights, ...).
                Err(_) => None,
            }
        })
        .collect();
    let mut ok = Vec::new();
    let mut rejected = BTreeMap::new();
    for r in results {
        match r {
            Ok(c) => ok.push(c),
            Err(k) => *rejected.entry(k).or_insert(0) += 1,
        }
    }
    (ok, rejected)
}

/// VAQF's objective over evaluated candidates: the most accurate that meets `target_fps`, ties to
/// fewer LUTs, then fewer DSPs, then the faster; plus the Pareto front and, when nothing meets the
/// target, the best frame rate reached and what limits it.
pub fn choose(
    mut all: Vec<Candidate>,
    rejected: BTreeMap<String, usize>,
    target_fps: f64,
    device: &Device,
) -> SearchResult {
    // Deterministic order whatever the thread count.
    all.sort_by_key(|a| (a.precision, a.rows, a.cols, a.dsp_packing, a.softmax_units));
    let better = |a: &Candidate, b: &Candidate| {
        b.accuracy
            .score
            .total_cmp(&a.accuracy.score)
            .then(a.resources.lut.cmp(&b.resources.lut))
            .then(a.resources.dsp.cmp(&b.resources.dsp))
            .then(b.fps.total_cmp(&a.fps))
    };
    let chosen = all.iter().filter(|c| c.fps >= target_fps).min_by(|a, b| better(a, b)).cloned();
    let dominates = |a: &Candidate, b: &Candidate| {
        let ge = a.fps >= b.fps
            && a.accuracy.score >= b.accuracy.score
            && a.resources.lut <= b.resources.lut
            && a.resources.dsp <= b.resources.dsp;
        let gt = a.fps > b.fps
            || a.accuracy.score > b.accuracy.score
            || a.resources.lut < b.resources.lut
            || a.resources.dsp < b.resources.dsp;
        ge && gt
    };
    let pareto: Vec<Candidate> = all.iter().filter(|c| !all.iter().any(|o| dominates(o, c))).cloned().collect();
    // Precisions the front cannot tell apart (the same FPS, score, LUT and DSP: the quantities
    // dominance compares, with the same array and row units) are one design: keep the first in
    // precision order.
    let same = |a: &Candidate, b: &Candidate| {
        a.fps == b.fps
            && a.accuracy.score == b.accuracy.score
            && (a.resources.lut, a.resources.dsp) == (b.resources.lut, b.resources.dsp)
            && (a.rows, a.cols, a.dsp_packing, a.softmax_units, a.layernorm_units, a.layernorm_lanes)
                == (b.rows, b.cols, b.dsp_packing, b.softmax_units, b.layernorm_units, b.layernorm_lanes)
    };
    let mut kept: Vec<Candidate> = Vec::new();
    for c in pareto {
        if !kept.iter().any(|k| same(k, &c)) {
            kept.push(c);
        }
    }
    let mut pareto = kept;
    pareto.sort_by(|a, b| b.fps.total_cmp(&a.fps).then(better(a, b)));
    let fastest = all.iter().max_by(|a, b| a.fps.total_cmp(&b.fps).then(better(b, a)));
    let best_fps = fastest.map_or(0.0, |c| c.fps);
    let limit = match fastest {
        None => {
            let over: Vec<String> = rejected.iter().map(|(k, n)| format!("{n} over the {k} cap")).collect();
            format!(
                "no design fits {}: of the candidates, {}",
                device.name,
                if over.is_empty() { "none compiled".to_string() } else { over.join(", ") }
            )
        }
        Some(c) => {
            // Every cap that refused candidates, with how many (which of them refused the arrays
            // larger than the fastest is not tracked: low precisions move the binding cap).
            let over: Vec<String> = rejected.iter().map(|(k, n)| format!("{n} over the {k} cap")).collect();
            // DRAM bandwidth is named when the fastest design waits on the constant stream for
            // more than 5 % of its frame.
            let stall = c.stream_stall_cycles as f64 / c.cycles_per_frame.max(1) as f64;
            let bandwidth = if stall > 0.05 {
                format!(
                    "; DRAM bandwidth stalls it {:.0} % of the frame (the constant stream; {:.1} GB/s DDR)",
                    stall * 100.0,
                    device.ddr_bandwidth_gbps
                )
            } else {
                String::new()
            };
            format!(
                "the fastest design that fits is {} {}{}{} at {:.1} FPS (MAC utilization {:.2}){bandwidth}; {}",
                c.bits,
                c.array,
                if c.dsp_packing { " packed" } else { "" },
                if c.dsp_cascade { " on DSP cascades" } else { "" },
                c.fps,
                c.mac_utilization,
                if over.is_empty() {
                    "no candidate was over the device's caps".to_string()
                } else {
                    format!("candidates refused: {}", over.join(", "))
                }
            )
        }
    };
    SearchResult {
        target_fps,
        feasible: chosen.is_some(),
        chosen,
        pareto,
        candidates_evaluated: all.len() + rejected.values().sum::<usize>(),
        rejected_over_caps: rejected,
        best_fps,
        limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_precision_has_its_own_label() {
        let p = precisions();
        assert_eq!(p.len(), 144);
        let labels: std::collections::BTreeSet<String> = p.iter().map(Precision::label).collect();
        assert_eq!(labels.len(), p.len(), "the cache is keyed by label");
        let mixed = Precision { w_attention: 4, w_mlp: 2, a_attention: 8, a_mlp: 6 };
        assert_eq!(mixed.label(), "W4/2A8/6");
        assert_eq!(mixed.a_bits(), 8);
    }

    #[test]
    fn cached_accuracies_read_back_bit_for_bit() {
        let dir = std::env::temp_dir().join(format!("vitfpga-cache-test-{}", std::process::id()));
        let p = Precision { w_attention: 8, w_mlp: 4, a_attention: 6, a_mlp: 6 };
        let a = Accuracy {
            score: 0.9944444444444445,
            top1: Some(0.9833333333333333),
            top1_agreement: 1.0 / 3.0,
            logit_sqnr_db: 23.456789012345678,
            basis: "measured".into(),
        };
        let mut c = AccuracyCache::open(&dir, "k");
        assert!(c.get(&p).is_none());
        c.insert(&p, a.clone());
        c.save().unwrap();
        let back = AccuracyCache::open(&dir, "k").get(&p).unwrap();
        assert_eq!(back, a);
        assert!(AccuracyCache::open(&dir, "other").is_empty(), "another input set starts empty");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
