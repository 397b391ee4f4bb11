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

/// Weight bits of the attention and MLP Linear layers and the activation bits of every layer
/// (patch embedding and head keep 8-bit weights).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Precision {
    pub w_attention: u32,
    pub w_mlp: u32,
    pub a_bits: u32,
}

impl Precision {
    pub fn label(&self) -> String {
        if self.w_attention == self.w_mlp {
            format!("W{}A{}", self.w_attention, self.a_bits)
        } else {
            format!("W{}/{}A{}", self.w_attention, self.w_mlp, self.a_bits)
        }
    }

    pub fn quant_config(&self) -> QuantConfig {
        let mut q = QuantConfig::uniform(8, self.a_bits);
        q.layer_type.insert("attention".into(), LayerQuant { w_bits: Some(self.w_attention), a_bits: None });
        q.layer_type.insert("mlp".into(), LayerQuant { w_bits: Some(self.w_mlp), a_bits: None });
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub precision: Precision,
    pub bits: String,
    pub array: String,
    pub rows: usize,
    pub cols: usize,
    pub dsp_packing: bool,
    pub softmax_units: usize,
    pub layernorm_units: usize,
    pub layernorm_lanes: usize,
    pub cycles_per_frame: u64,
    pub fps: f64,
    pub mac_utilization: f64,
    /// Datapath estimate (calibrated unit models).
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

/// The precisions explored: weight bits {8, 4, 2, 1} for attention and MLP, activations {8, 6, 4}.
pub fn precisions() -> Vec<Precision> {
    let mut v = Vec::new();
    for a_bits in [8, 6, 4] {
        for w_attention in [8, 4, 2, 1] {
            for w_mlp in [8, 4, 2, 1] {
                v.push(Precision { w_attention, w_mlp, a_bits });
            }
        }
    }
    v
}

/// Array shapes explored (scratchpad words of at most 256 elements), each with and without packing.
pub fn arrays() -> Vec<(usize, usize, bool)> {
    const DIMS: [usize; 6] = [8, 16, 32, 48, 64, 96];
    let mut v = Vec::new();
    for r in DIMS {
        for c in DIMS {
            if vitfpga_compiler::config::lcm(r, c) <= vitfpga_compiler::config::MAX_LANES {
                v.push((r, c, false));
                v.push((r, c, true));
            }
        }
    }
    v
}

/// The inputs accuracy is measured with.
pub struct AccuracyData<'a> {
    pub graph: &'a vitfpga_graph::Graph,
    pub weights: &'a Weights,
    pub calibration: &'a Calibration,
    pub images: &'a Images,
    pub labels: Option<&'a [i64]>,
    /// The float reference on `images` (`vitfpga_quant::float_traces`), computed once.
    pub floats: &'a [vitfpga_reference::FloatTrace],
    /// False when weights or images are synthetic: scores are then a proxy.
    pub measured: bool,
}

/// Quantise at one precision and measure it.
pub fn quantize_and_measure(
    data: &AccuracyData,
    p: Precision,
) -> Result<(QuantizedModel, Accuracy), vitfpga_quant::QuantError> {
    let qm = vitfpga_quant::quantize(data.graph, data.weights, data.calibration, &p.quant_config())?;
    let r = vitfpga_quant::evaluate_against(&qm, data.images, data.labels, data.floats)
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
    let acc = Accuracy {
        score: if data.measured { r.int_top1.unwrap_or(r.top1_agreement) } else { proxy },
        top1: r.int_top1,
        top1_agreement: r.top1_agreement,
        logit_sqnr_db: r.logit_sqnr_db,
        basis: if data.measured { "measured" } else { "proxy" }.into(),
    };
    Ok((qm, acc))
}

/// Every array shape for one quantised model: exact FPS from the cycle model, datapath resources;
/// designs over the device's caps are counted by the resource they exceed.
pub fn evaluate_hardware(
    qm: &QuantizedModel,
    p: Precision,
    acc: &Accuracy,
    device: &Device,
    clock_mhz: f64,
) -> (Vec<Candidate>, BTreeMap<String, usize>) {
    let results: Vec<Result<Candidate, String>> = arrays()
        .into_par_iter()
        .filter_map(|(r, c, pack)| {
            let spec = DesignSpec {
                rows: Some(r),
                cols: Some(c),
                dsp_packing: Some(pack),
                clock_mhz: Some(clock_mhz),
                ..Default::default()
            };
            match compile(qm, device, &spec, CompileOptions { timing_only: true, ..Default::default() }) {
                Ok(compiled) => {
                    let prog = &compiled.program;
                    let t = vitfpga_sim::timing::run(prog);
                    let f = vitfpga_sim::figures(prog, &t);
                    let cfg = &prog.config;
                    Some(Ok(Candidate {
                        precision: p,
                        bits: p.label(),
                        array: format!("{r}x{c}"),
                        rows: r,
                        cols: c,
                        dsp_packing: pack,
                        softmax_units: cfg.softmax_units,
                        layernorm_units: cfg.layernorm_units,
                        layernorm_lanes: cfg.layernorm_lanes,
                        cycles_per_frame: f.cycles_per_frame,
                        fps: f.fps,
                        mac_utilization: f.mac_utilization,
                        resources: cfg.datapath(),
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
    all.sort_by_key(|a| (a.precision, a.rows, a.cols, a.dsp_packing));
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
    let mut pareto: Vec<Candidate> = all.iter().filter(|c| !all.iter().any(|o| dominates(o, c))).cloned().collect();
    pareto.sort_by(|a, b| b.fps.total_cmp(&a.fps).then(better(a, b)));
    let fastest = all.iter().max_by(|a, b| a.fps.total_cmp(&b.fps).then(better(b, a)));
    let best_fps = fastest.map_or(0.0, |c| c.fps);
    let limit = match fastest {
        None => format!("no candidate fits {} (over caps: {rejected:?})", device.name),
        Some(c) => {
            let over = rejected.iter().max_by_key(|(_, n)| **n).map(|(k, _)| k.clone()).unwrap_or_default();
            format!(
                "the fastest design that fits is {} {}{} at {:.1} FPS (MAC utilization {:.2}); larger arrays exceed \
                 the device's {} cap",
                c.bits,
                c.array,
                if c.dsp_packing { " packed" } else { "" },
                c.fps,
                c.mac_utilization,
                if over.is_empty() { "?".to_string() } else { over }
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
