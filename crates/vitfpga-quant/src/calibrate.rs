//! Calibration: run the float reference over images and record each tensor's clipping range.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rayon::prelude::*;
use vitfpga_graph::{Graph, LayerType, OpKind};
use vitfpga_model::{Images, ModelConfig, Weights};

use crate::{CalibMethod, QuantError};

/// Clipping range (largest |x| to represent) per node, per section of its last axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    pub ranges: BTreeMap<String, Vec<f64>>,
}

/// How many equal sections of the last axis get their own scale: q, k and v differ in range.
pub fn sections(t: LayerType) -> usize {
    if t == LayerType::Qkv {
        3
    } else {
        1
    }
}

fn needs_range(kind: &OpKind) -> bool {
    !matches!(kind, OpKind::Softmax { .. } | OpKind::AttnScores { .. } | OpKind::Patchify { .. } | OpKind::SelectClass)
}

fn section_stat(v: &[f32], features: usize, sec: usize, n_sec: usize, method: CalibMethod, pct: f64) -> f64 {
    let w = features / n_sec;
    let mut vals: Vec<f32> =
        v.chunks(features).flat_map(|row| row[sec * w..(sec + 1) * w].iter().map(|x| x.abs())).collect();
    match method {
        CalibMethod::Minmax => vals.iter().fold(0f32, |a, &b| a.max(b)) as f64,
        CalibMethod::Percentile => {
            let idx = (((pct / 100.0) * (vals.len() - 1) as f64).round() as usize).min(vals.len() - 1);
            let (_, x, _) = vals.select_nth_unstable_by(idx, |a, b| a.total_cmp(b));
            *x as f64
        }
    }
}

/// Per-image statistics reduced in image order, so the result does not depend on threads.
pub fn calibrate(
    g: &Graph,
    w: &Weights,
    images: &Images,
    method: CalibMethod,
    pct: f64,
) -> Result<Calibration, QuantError> {
    calibrate_with_progress(g, w, images, method, pct, &|| {})
}

/// [`calibrate`], calling `on_image` as each image's float forward pass finishes (from the
/// worker threads, in no particular order): the CLI's progress bar.
pub fn calibrate_with_progress(
    g: &Graph,
    w: &Weights,
    images: &Images,
    method: CalibMethod,
    pct: f64,
    on_image: &(dyn Fn() + Sync),
) -> Result<Calibration, QuantError> {
    if images.n == 0 {
        return Err(QuantError::NoCalibration);
    }
    let order = g.topo_order().expect("acyclic");
    let per_image: Vec<Vec<Vec<f64>>> = (0..images.n)
        .into_par_iter()
        .map(|i| {
            let tr = vitfpga_reference::run(g, w, images.image(i));
            on_image();
            order
                .iter()
                .zip(&tr.nodes)
                .map(|(&id, (_, v))| {
                    let n = g.node(id);
                    if !needs_range(&n.kind) {
                        return vec![];
                    }
                    let s = sections(n.layer_type);
                    let f = *n.shape.last().unwrap();
                    (0..s).map(|k| section_stat(v, f, k, s, method, pct)).collect()
                })
                .collect()
        })
        .collect();
    let mut ranges = BTreeMap::new();
    for (j, &id) in order.iter().enumerate() {
        let n = g.node(id);
        if !needs_range(&n.kind) {
            continue;
        }
        let s = sections(n.layer_type);
        let r: Vec<f64> = (0..s)
            .map(|k| {
                let it = per_image.iter().map(|img| img[j][k]);
                match method {
                    CalibMethod::Minmax => it.fold(0.0, f64::max),
                    CalibMethod::Percentile => it.sum::<f64>() / images.n as f64,
                }
            })
            .collect();
        ranges.insert(n.name.clone(), r);
    }
    Ok(Calibration { ranges })
}

/// Deterministic stand-in calibration images (uniform in [-1, 1]) for models without data,
/// used for hardware and throughput work only; their accuracy figures mean nothing.
pub fn synthetic_images(cfg: &ModelConfig, n: usize, seed: u64) -> Images {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let data = (0..n * cfg.image_len()).map(|_| rng.gen_range(-1f32..1.0)).collect();
    Images { n, image_len: cfg.image_len(), data }
}
