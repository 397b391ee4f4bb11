//! `vitfpga search`: the most accurate design that meets a target frame rate on a device.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use vitfpga_device::Device;
use vitfpga_model::{load_images, load_labels, Weights};
use vitfpga_quant::{calibrate, synthetic_images, QuantConfig};
use vitfpga_search::{AccuracyCache, AccuracyData, Candidate, SearchResult};

use vitfpga_report::doc::n as thousands;

use crate::error::CliError;
use crate::output::Output;

#[derive(clap::Args)]
pub struct Args {
    /// Preset name or model TOML path
    #[arg(long)]
    model: String,
    /// timm-style safetensors; without it, synthetic weights and a proxy accuracy
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Calibration images (.npy float32 [N,C,H,W]); also the accuracy images unless --images is given
    #[arg(long)]
    calib: Option<PathBuf>,
    /// Images to measure accuracy on (default: the calibration images)
    #[arg(long)]
    images: Option<PathBuf>,
    /// Labels of the accuracy images: top-1 accuracy instead of agreement with the float model
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Seed of the synthetic weights and images used where none are given (default 0); refused
    /// when both --weights and --calib are given
    #[arg(long)]
    seed: Option<u64>,
    #[arg(long, default_value = "zcu102", help = super::design::device_help())]
    device: String,
    /// Frame rate the design must reach
    #[arg(long, allow_negative_numbers = true)]
    target_fps: f64,
    /// Clock in MHz, in (0, 1000] (default: the device's)
    #[arg(long, allow_negative_numbers = true)]
    clock_mhz: Option<f64>,
    /// Write search.json, pareto.md, pareto.svg, and for a feasible target design.toml and
    /// quant.toml, into this directory. Like `build --out`, it is replaced whole, and only if it
    /// holds nothing but an earlier output (listed in `.vitfpga-manifest`) unless --force
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace --out even if it holds files vitfpga did not write (they are deleted)
    #[arg(long, requires = "out")]
    force: bool,
    /// Keep measured accuracies here, per precision and set of inputs (default: $VITFPGA_CACHE,
    /// else $XDG_CACHE_HOME/vitfpga, else ~/.cache/vitfpga)
    #[arg(long)]
    cache: Option<PathBuf>,
    /// Measure every accuracy afresh and keep nothing
    #[arg(long)]
    no_cache: bool,
}

pub fn run(a: Args, out: Output) -> Result<(), CliError> {
    if !(a.target_fps.is_finite() && a.target_fps > 0.0) {
        return Err(CliError::Usage(format!("--target-fps {} must be a positive number", a.target_fps)));
    }
    if let Some(dir) = &a.out {
        crate::output::check_replaceable(dir, a.force)?;
    }
    if a.seed.is_some() && a.weights.is_some() && a.calib.is_some() {
        return Err(CliError::Usage(
            "--seed seeds synthetic weights and images; with both --weights and --calib given it does not apply".into(),
        ));
    }
    let seed = a.seed.unwrap_or(0);
    let device = Device::resolve(&a.device)?;
    let clock = a.clock_mhz.unwrap_or(device.default_clock_mhz);
    vitfpga_compiler::DesignSpec { clock_mhz: Some(clock), ..Default::default() }.validate()?;
    let cfg = vitfpga_model::ModelConfig::resolve(&a.model)?;
    let graph = vitfpga_graph::build_vit(&cfg)?;
    let weights = match &a.weights {
        Some(p) => Weights::load_safetensors(p, &cfg)?,
        None => Weights::synthetic(&cfg, seed),
    };
    let calib = match &a.calib {
        Some(p) => load_images(p, &cfg)?,
        None => synthetic_images(&cfg, 2, seed),
    };
    let images = match &a.images {
        Some(p) => load_images(p, &cfg)?,
        None => calib.clone(),
    };
    let labels = a.labels.as_deref().map(load_labels).transpose()?;
    if let Some(l) = &labels {
        if l.len() != images.n {
            return Err(CliError::Usage(format!("{} labels for {} images", l.len(), images.n)));
        }
    }
    let base = QuantConfig::uniform(8, 8);
    let calibration = calibrate(&graph, &weights, &calib, base.model.calibration, base.model.percentile)?;
    // The float reference once, when the first accuracy is measured: the same for every precision.
    let floats = std::sync::OnceLock::new();
    let data = AccuracyData {
        graph: &graph,
        weights: &weights,
        calibration: &calibration,
        images: &images,
        labels: labels.as_deref(),
        floats: &floats,
        measured: a.weights.is_some() && (a.images.is_some() || a.calib.is_some()),
    };
    let mut cache = match (a.no_cache, cache_dir(&a)) {
        (false, Some(dir)) => AccuracyCache::open(&dir, &inputs_digest(&a)?),
        _ => AccuracyCache::disabled(),
    };
    let precisions = vitfpga_search::precisions();
    let mut timings: BTreeMap<(u32, u32, u32), vitfpga_search::TimingCache> = BTreeMap::new();
    let mut all: Vec<Candidate> = Vec::new();
    let mut rejected: BTreeMap<String, usize> = BTreeMap::new();
    let bar = out.progress(precisions.len() as u64, "precisions");
    // Wall time of the two halves: quantisation + golden accuracy, compiles + cycle model.
    let (mut t_accuracy, mut t_hardware, mut t_quantize) = (0.0f64, 0.0f64, 0.0f64);
    for p in &precisions {
        bar.set_message(p.label());
        let t = std::time::Instant::now();
        let qm = vitfpga_search::quantize(&data, *p)?;
        t_quantize += t.elapsed().as_secs_f64();
        let acc = match cache.get(p) {
            Some(acc) => acc,
            None => {
                let acc = vitfpga_search::measure(&data, &qm)?;
                cache.insert(p, acc.clone());
                acc
            }
        };
        t_accuracy += t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let timing = timings.entry((p.w_attention, p.w_mlp, p.a_mlp)).or_default();
        let (ok, rej) = vitfpga_search::evaluate_hardware(&qm, *p, &acc, &device, clock, timing);
        t_hardware += t.elapsed().as_secs_f64();
        all.extend(ok);
        for (k, n) in rej {
            *rejected.entry(k).or_insert(0) += n;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if let Err(e) = cache.save() {
        let dir = cache_dir(&a).map(|d| d.display().to_string()).unwrap_or_default();
        out.warn(format!("could not keep the accuracies in the cache {dir}: {e}"));
    }
    let r = vitfpga_search::choose(all, rejected, a.target_fps, &device);
    if let Some(dir) = &a.out {
        write_outputs(dir, &r, clock, a.force)?;
    }
    let per_minute = r.candidates_evaluated as f64 / t_hardware.max(1e-9) * 60.0;
    let mut v = json(&r);
    // Timings vary run to run: on stdout only, never in search.json.
    v["seconds"] = serde_json::json!({ "accuracy": t_accuracy, "quantize": t_quantize, "hardware": t_hardware });
    v["hardware_candidates_per_minute"] = serde_json::json!(per_minute);
    out.result(&v, || {
        summary(&r, &a.model, &device)
            + &format!(
                "time: accuracy {t_accuracy:.1} s ({} precisions; quantisation {t_quantize:.1} s of it), hardware {t_hardware:.1} s ({} candidates/min)\n",
                precisions.len(),
                thousands(per_minute as u64)
            )
    });
    Ok(())
}

fn candidate_json(c: &Candidate) -> serde_json::Value {
    serde_json::json!({
        "w_bits": { "attention": c.precision.w_attention, "mlp": c.precision.w_mlp },
        "a_bits": { "attention": c.precision.a_attention, "mlp": c.precision.a_mlp, "other": c.precision.a_bits() },
        "bits": c.bits,
        "array": c.array,
        "dsp_packing": c.dsp_packing,
        "softmax_units": c.softmax_units,
        "layernorm_units": c.layernorm_units,
        "layernorm_lanes": c.layernorm_lanes,
        "fps": c.fps,
        "cycles_per_frame": c.cycles_per_frame,
        "mac_utilization": c.mac_utilization,
        "resources": { "lut": c.resources.lut, "ff": c.resources.ff, "dsp": c.resources.dsp, "bram36": c.resources.bram36() },
        "accuracy": {
            "metric": c.accuracy.metric(),
            "unit": c.accuracy.unit(),
            "value": c.accuracy.score,
            "basis": c.accuracy.basis,
            "top1": c.accuracy.top1,
            // Agreement with the float model means something only on real weights and images.
            "top1_agreement": (c.accuracy.basis == "measured").then_some(c.accuracy.top1_agreement),
            "logit_sqnr_db": c.accuracy.logit_sqnr_db,
        },
    })
}

fn json(r: &SearchResult) -> serde_json::Value {
    serde_json::json!({
        "target_fps": r.target_fps,
        "feasible": r.feasible,
        "chosen": r.chosen.as_ref().map(candidate_json),
        "pareto": r.pareto.iter().map(candidate_json).collect::<Vec<_>>(),
        "candidates_evaluated": r.candidates_evaluated,
        "rejected_over_caps": r.rejected_over_caps,
        "best_fps": r.best_fps,
        "limit": r.limit,
        "accuracy_basis": r.pareto.first().map(|c| c.accuracy.basis.clone()),
        "resources_note": "logic estimate: calibrated unit models and the controller model (docs/hardware.md, \"Whole core\"); block RAM checked by the compiler",
    })
}

fn summary(r: &SearchResult, model: &str, device: &Device) -> String {
    let mut t = format!(
        "{model} on {}: target {:.1} FPS, {} candidates\n",
        device.name,
        r.target_fps,
        thousands(r.candidates_evaluated as u64)
    );
    t += &match &r.chosen {
        Some(c) => format!(
            "chosen: {} on {}{} ({} softmax, {} LayerNorm x {} lanes): {:.1} FPS, {}, {} LUT, {} DSP\n",
            c.bits,
            c.array,
            if c.dsp_packing { " packed" } else { "" },
            c.softmax_units,
            c.layernorm_units,
            c.layernorm_lanes,
            c.fps,
            c.accuracy.describe(),
            thousands(c.resources.lut),
            thousands(c.resources.dsp)
        ),
        None => format!("infeasible: best {:.1} FPS; {}\n", r.best_fps, r.limit),
    };
    t + &format!("Pareto front: {} designs\n", r.pareto.len())
}

/// search.json, pareto.md, pareto.svg, and for the chosen design design.toml + quant.toml.
fn write_outputs(dir: &std::path::Path, r: &SearchResult, clock: f64, force: bool) -> Result<(), CliError> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = Vec::new();
    let mut write = |name: &str, text: String| files.push((name.into(), text.into_bytes()));
    write("search.json", serde_json::to_string_pretty(&json(r)).expect("serialisable"));
    let metric = r.pareto.first().map(|c| c.accuracy.clone());
    let outcome = match &r.chosen {
        Some(_) => {
            "**Bold** with ★ is the chosen design (the most accurate that meets the target; ties to fewer LUTs)."
                .to_string()
        }
        None => format!("**No design meets the target**: best {:.1} FPS; {}.", r.best_fps, r.limit),
    };
    let mut md = format!(
        "# Pareto front: target {:.1} FPS\n\n\
         Designs no other design beats on frame rate, accuracy, LUTs and DSPs at once, fastest first. \
         {outcome}\n\n\
         - bits: `W<weights>A<activations>`, `a/b` where the attention and MLP groups differ (docs/guide.md, \
         \"Mixed precision\")\n\
         - array: systolic rows x columns; packed: two MACs per DSP48E2\n\
         - softmax: softmax units; LayerNorm: units x lanes\n\
         - FPS: frames per second by the cycle model (equal to the RTL's); MAC util: useful share of the array's MACs\n\
         - accuracy: {}\n\
         - LUT, DSP: the whole core's estimate, as `vitfpga build` reports it (docs/hardware.md)\n\n\
         | | bits | array | packed | softmax | LayerNorm | FPS | accuracy | LUT | DSP | MAC util |\n\
         |---|---|---|---|---|---|---|---|---|---|---|\n",
        r.target_fps,
        match metric.as_ref().map(|a| a.metric()) {
            Some("top1_accuracy") => "top-1 accuracy on the labelled images, in %",
            Some("top1_agreement") => "top-1 agreement with the float model on the images, in %",
            _ => "mean per-layer SQNR against the float model in dB (a proxy: synthetic weights or images)",
        }
    );
    for c in &r.pareto {
        let chosen = r.chosen.as_ref() == Some(c);
        let b = |t: String| if chosen { format!("**{t}**") } else { t };
        let acc = match c.accuracy.metric() {
            "mean_layer_sqnr" => format!("{:.2} dB", c.accuracy.score),
            _ => format!("{:.2} %", c.accuracy.score * 100.0),
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} x {} | {} | {} | {} | {} | {:.3} |\n",
            if chosen { "★" } else { "" },
            b(c.bits.clone()),
            b(c.array.clone()),
            if c.dsp_packing { "yes" } else { "no" },
            c.softmax_units,
            c.layernorm_units,
            c.layernorm_lanes,
            b(format!("{:.1}", c.fps)),
            b(acc),
            thousands(c.resources.lut),
            thousands(c.resources.dsp),
            c.mac_utilization
        ));
    }
    write("pareto.md", md);
    write("pareto.svg", pareto_svg(r));
    if let Some(c) = &r.chosen {
        let spec = c.design_spec(clock);
        write("design.toml", toml::to_string(&spec).expect("design specs serialise"));
        write("quant.toml", toml::to_string(&c.precision.quant_config()).expect("quant configs serialise"));
    }
    // One unit, as `build` writes: an earlier search's design.toml never outlives its search.
    crate::output::write_dir(dir, &files, force)
}

/// FPS against accuracy for the Pareto front, the chosen design ringed, the target as a line.
fn pareto_svg(r: &SearchResult) -> String {
    let (w, h, l, t) = (640.0, 360.0, 60.0, 20.0);
    let fps_max = r.pareto.iter().map(|c| c.fps).fold(r.target_fps, f64::max) * 1.1;
    let accs: BTreeSet<u64> = r.pareto.iter().map(|c| (c.accuracy.score * 1e6) as u64).collect();
    let (amin, amax) =
        (accs.first().copied().unwrap_or(0) as f64 / 1e6, accs.last().copied().unwrap_or(1_000_000) as f64 / 1e6);
    let span = (amax - amin).max(1e-3);
    let x = |fps: f64| l + fps / fps_max * (w - l - 20.0);
    let y = |acc: f64| t + (1.0 - (acc - amin) / span) * (h - t - 40.0);
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11"><title>Pareto front: FPS vs accuracy</title>"#
    );
    s.push_str(&format!(
        r##"<line x1="{0:.1}" x2="{0:.1}" y1="{t}" y2="{1}" stroke="#e15759" stroke-dasharray="4,3"/><text x="{2:.1}" y="{3}">target {4:.1} FPS</text>"##,
        x(r.target_fps),
        h - 40.0,
        x(r.target_fps) + 4.0,
        t + 10.0,
        r.target_fps
    ));
    for c in &r.pareto {
        s.push_str(&format!(
            r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="#4e79a7"><title>{} {} {:.1} FPS {:.4}</title></circle>"##,
            x(c.fps),
            y(c.accuracy.score),
            c.bits,
            c.array,
            c.fps,
            c.accuracy.score
        ));
    }
    if let Some(c) = &r.chosen {
        s.push_str(&format!(
            r##"<circle cx="{:.1}" cy="{:.1}" r="8" fill="none" stroke="#e15759" stroke-width="2"/>"##,
            x(c.fps),
            y(c.accuracy.score)
        ));
    }
    s.push_str(&format!(
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">frames per second</text><text x="14" y="{:.1}" transform="rotate(-90 14 {:.1})" text-anchor="middle">{} ({amin:.3}..{amax:.3})</text></svg>"#,
        l + (w - l) / 2.0,
        h - 10.0,
        h / 2.0,
        h / 2.0,
        r.pareto.first().map_or("accuracy", |c| match c.accuracy.metric() {
            "top1_accuracy" => "top-1 accuracy (fraction)",
            "top1_agreement" => "top-1 agreement with float (fraction)",
            _ => "mean layer SQNR, dB (proxy)",
        })
    ));
    s
}

fn cache_dir(a: &Args) -> Option<PathBuf> {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    a.cache
        .clone()
        .or_else(|| env("VITFPGA_CACHE"))
        .or_else(|| env("XDG_CACHE_HOME").map(|d| d.join("vitfpga")))
        .or_else(|| env("HOME").map(|d| d.join(".cache").join("vitfpga")))
}

/// A digest of everything an accuracy depends on besides the precision: the tool version, the
/// model, the weights, the calibration and evaluation images and the labels (file contents, or
/// the seed of synthetic ones).
fn inputs_digest(a: &Args) -> Result<String, CliError> {
    let mut h = Sha256::new();
    h.update(format!("vitfpga {} accuracy v1\n", env!("CARGO_PKG_VERSION")));
    let file = |h: &mut Sha256, tag: &str, path: Option<&std::path::Path>| -> Result<(), CliError> {
        h.update(tag.as_bytes());
        match path {
            Some(p) => {
                let bytes = std::fs::read(p).map_err(CliError::read(p))?;
                h.update((bytes.len() as u64).to_le_bytes());
                h.update(&bytes);
            }
            None => h.update(format!("synthetic seed {}", a.seed.unwrap_or(0))),
        }
        Ok(())
    };
    let model_path = std::path::Path::new(&a.model);
    if model_path.is_file() {
        file(&mut h, "model", Some(model_path))?;
    } else {
        h.update(format!("preset {}", a.model));
    }
    file(&mut h, "weights", a.weights.as_deref())?;
    file(&mut h, "calib", a.calib.as_deref())?;
    file(&mut h, "images", a.images.as_deref().or(a.calib.as_deref()))?;
    match &a.labels {
        Some(p) => file(&mut h, "labels", Some(p))?,
        None => h.update("no labels"),
    }
    Ok(h.finalize().iter().take(16).map(|b| format!("{b:02x}")).collect())
}
