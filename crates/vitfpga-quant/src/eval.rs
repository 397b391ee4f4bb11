//! Accuracy of the integer model against the float reference on the same weights.

use rayon::prelude::*;
use serde::Serialize;
use vitfpga_golden::{Golden, QuantizedModel};
use vitfpga_model::Images;
use vitfpga_reference::FloatTrace;

#[derive(Clone, Debug, Serialize)]
pub struct LayerSqnr {
    pub name: String,
    pub op: String,
    /// 10 log10(sum f^2 / sum (f - dequant(q))^2) over all evaluated images.
    pub sqnr_db: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    pub images: usize,
    pub float_top1: Option<f64>,
    pub int_top1: Option<f64>,
    /// Fraction of images whose integer top-1 class equals the float top-1 class.
    pub top1_agreement: f64,
    pub logit_sqnr_db: f64,
    pub layers: Vec<LayerSqnr>,
}

/// Index of the largest value; ties go to the lowest index (as in the hardware comparator).
pub fn argmax<T: PartialOrd + Copy>(v: &[T]) -> usize {
    let mut best = 0;
    for i in 1..v.len() {
        if v[i] > v[best] {
            best = i;
        }
    }
    best
}

fn db(signal: f64, noise: f64) -> f64 {
    if noise == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (signal / noise).log10()
    }
}

/// Per image: float top-1, integer top-1, and per node (signal, noise) energies.
type ImageResult = (usize, usize, Vec<(f64, f64)>);

pub fn evaluate(
    qm: &QuantizedModel,
    images: &Images,
    labels: Option<&[i64]>,
) -> Result<EvalReport, vitfpga_golden::InvalidModel> {
    evaluate_against(qm, images, labels, &float_traces(qm, images))
}

/// The float reference's trace of every image (the same for every precision of one model, so a
/// search computes it once).
pub fn float_traces(qm: &QuantizedModel, images: &Images) -> Vec<FloatTrace> {
    float_traces_of(&qm.graph, &qm.float_weights, images)
}

/// `float_traces` from the graph and float weights alone (no quantised model needed).
pub fn float_traces_of(g: &vitfpga_graph::Graph, w: &vitfpga_model::Weights, images: &Images) -> Vec<FloatTrace> {
    (0..images.n).into_par_iter().map(|i| vitfpga_reference::run(g, w, images.image(i))).collect()
}

/// `evaluate` with the float traces given (`float_traces` of the same images and weights).
pub fn evaluate_against(
    qm: &QuantizedModel,
    images: &Images,
    labels: Option<&[i64]>,
    floats: &[FloatTrace],
) -> Result<EvalReport, vitfpga_golden::InvalidModel> {
    assert_eq!(floats.len(), images.n, "one float trace per image");
    let golden = Golden::new(qm)?;
    let g = &qm.graph;
    let order = g.topo_order().expect("acyclic");
    let per_image: Vec<ImageResult> = (0..images.n)
        .into_par_iter()
        .map(|i| {
            let ft = &floats[i];
            let it = golden.trace(images.image(i));
            let energies = order
                .iter()
                .zip(ft.nodes.iter().zip(&it.nodes))
                .map(|(&id, ((_, f), (name, q)))| {
                    let tq = qm.params[name].out();
                    let feats = *g.node(id).shape.last().unwrap();
                    let q = q.to_i64();
                    // One scale per feature, looked up once (not per element).
                    let scales: Vec<f64> = (0..feats).map(|c| tq.scale_of(c, feats)).collect();
                    let (mut s, mut n) = (0f64, 0f64);
                    for (fr, qr) in f.chunks(feats).zip(q.chunks(feats)) {
                        for ((&fv, &qv), &sc) in fr.iter().zip(qr).zip(&scales) {
                            let (fv, d) = (fv as f64, qv as f64 * sc);
                            s += fv * fv;
                            n += (fv - d) * (fv - d);
                        }
                    }
                    (s, n)
                })
                .collect();
            (argmax(ft.logits()), argmax(&it.logits()), energies)
        })
        .collect();
    let n = images.n.max(1) as f64;
    let agree = per_image.iter().filter(|(f, q, _)| f == q).count() as f64 / n;
    let acc = |pick: fn(&ImageResult) -> usize| {
        labels.map(|l| per_image.iter().zip(l).filter(|(p, &y)| pick(p) as i64 == y).count() as f64 / n)
    };
    let layers: Vec<LayerSqnr> = order
        .iter()
        .enumerate()
        .map(|(j, &id)| {
            let (s, e) = per_image.iter().fold((0.0, 0.0), |(a, b), p| (a + p.2[j].0, b + p.2[j].1));
            LayerSqnr { name: g.node(id).name.clone(), op: g.node(id).kind.mnemonic().into(), sqnr_db: db(s, e) }
        })
        .collect();
    Ok(EvalReport {
        images: images.n,
        float_top1: acc(|p| p.0),
        int_top1: acc(|p| p.1),
        top1_agreement: agree,
        logit_sqnr_db: layers.last().map_or(f64::NAN, |l| l.sqnr_db),
        layers,
    })
}
