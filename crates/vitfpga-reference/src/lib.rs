//! Float32 reference: the same graph the golden model runs, in float, with timm's semantics.
//!
//! It is the accuracy baseline and the source of calibration statistics. Every reduction has
//! a fixed order and transcendental functions come from the pure-Rust `libm`, so results do
//! not depend on thread count or platform maths libraries.

use rayon::prelude::*;
use vitfpga_graph::{Graph, OpKind};
use vitfpga_model::Weights;

/// Every node's float output for one image, in topological order.
#[derive(Clone, Debug)]
pub struct FloatTrace {
    pub nodes: Vec<(String, Vec<f32>)>,
}

impl FloatTrace {
    pub fn get(&self, name: &str) -> Option<&[f32]> {
        self.nodes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
    }
    pub fn logits(&self) -> &[f32] {
        &self.nodes.last().expect("a trace has nodes").1
    }
}

/// Fixed-order dot product with eight partial sums (vectorisable without reassociation).
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let mut s = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
    for (x, y) in ar.iter().zip(br) {
        s += x * y;
    }
    s
}

/// `y[m][n] = x[m] . w[n] (+ bias[n])`, rows in parallel.
pub fn linear(x: &[f32], w: &[f32], bias: Option<&[f32]>, k: usize, n: usize) -> Vec<f32> {
    let mut y = vec![0f32; x.len() / k * n];
    y.par_chunks_mut(n).zip(x.par_chunks(k)).for_each(|(yr, xr)| {
        for (j, v) in yr.iter_mut().enumerate() {
            *v = dot(xr, &w[j * k..(j + 1) * k]) + bias.map_or(0.0, |b| b[j]);
        }
    });
    y
}

pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + libm::erff(x * std::f32::consts::FRAC_1_SQRT_2))
}

fn layernorm(x: &[f32], gamma: &[f32], beta: &[f32], eps: f64) -> Vec<f32> {
    let d = gamma.len();
    let mut y = vec![0f32; x.len()];
    for (xr, yr) in x.chunks(d).zip(y.chunks_mut(d)) {
        let mean = xr.iter().map(|&v| v as f64).sum::<f64>() / d as f64;
        let var = xr.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / d as f64;
        let inv = 1.0 / (var + eps).sqrt();
        for i in 0..d {
            yr[i] = ((xr[i] as f64 - mean) * inv) as f32 * gamma[i] + beta[i];
        }
    }
    y
}

fn softmax_rows(z: &mut [f32], len: usize) {
    z.par_chunks_mut(len).for_each(|r| {
        let m = r.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut s = 0f32;
        for v in r.iter_mut() {
            *v = libm::expf(*v - m);
            s += *v;
        }
        for v in r.iter_mut() {
            *v /= s;
        }
    });
}

/// Run one image `[C, H, W]` through the graph in float.
pub fn run(g: &Graph, w: &Weights, image: &[f32]) -> FloatTrace {
    let order = g.topo_order().expect("a built graph is acyclic");
    let mut vals: Vec<Option<Vec<f32>>> = vec![None; g.dag.node_count()];
    let mut nodes = Vec::with_capacity(order.len());
    for id in order {
        let node = g.node(id);
        let ins: Vec<&Vec<f32>> = g.inputs(id).iter().map(|i| vals[i.index()].as_ref().unwrap()).collect();
        let p = |suffix: &str| &w.get(&format!("{}.{suffix}", node.name)).data;
        let out = match &node.kind {
            OpKind::Input { .. } => image.to_vec(),
            OpKind::Patchify { patch_size } => {
                let shape = &g.node(g.inputs(id)[0]).shape;
                patchify_f32(ins[0], shape, *patch_size)
            }
            OpKind::Linear { in_features, out_features } => {
                linear(ins[0], p("weight"), Some(p("bias")), *in_features, *out_features)
            }
            OpKind::ClassPosEmbed { dim, .. } => {
                let cls = &w.get("cls_token").data;
                let pos = &w.get("pos_embed").data;
                let mut y: Vec<f32> = cls.iter().zip(&pos[..*dim]).map(|(c, p)| c + p).collect();
                y.extend(ins[0].iter().zip(&pos[*dim..]).map(|(x, p)| x + p));
                y
            }
            OpKind::LayerNorm { eps, .. } => layernorm(ins[0], p("weight"), p("bias"), *eps),
            OpKind::AttnScores { heads, head_dim } => {
                let (d, dh) = (heads * head_dim, *head_dim);
                let t = ins[0].len() / (3 * d);
                let scale = 1.0 / (dh as f32).sqrt();
                let qkv = ins[0];
                let mut z = vec![0f32; heads * t * t];
                z.par_chunks_mut(t).enumerate().for_each(|(row, zr)| {
                    let (h, i) = (row / t, row % t);
                    let q = &qkv[i * 3 * d + h * dh..i * 3 * d + h * dh + dh];
                    for (j, v) in zr.iter_mut().enumerate() {
                        let k = &qkv[j * 3 * d + d + h * dh..j * 3 * d + d + h * dh + dh];
                        *v = dot(q, k) * scale;
                    }
                });
                z
            }
            OpKind::Softmax { len } => {
                let mut z = ins[0].clone();
                softmax_rows(&mut z, *len);
                z
            }
            OpKind::AttnContext { heads, head_dim } => {
                let (d, dh) = (heads * head_dim, *head_dim);
                let (pr, qkv) = (ins[0], ins[1]);
                let t = qkv.len() / (3 * d);
                let mut y = vec![0f32; t * d];
                y.par_chunks_mut(d).enumerate().for_each(|(i, yr)| {
                    for h in 0..*heads {
                        let prow = &pr[(h * t + i) * t..(h * t + i + 1) * t];
                        for c in 0..dh {
                            let mut s = 0f32;
                            for j in 0..t {
                                s += prow[j] * qkv[j * 3 * d + 2 * d + h * dh + c];
                            }
                            yr[h * dh + c] = s;
                        }
                    }
                });
                y
            }
            OpKind::Gelu => ins[0].iter().map(|&v| gelu(v)).collect(),
            OpKind::Add => ins[0].iter().zip(ins[1].iter()).map(|(a, b)| a + b).collect(),
            OpKind::SelectClass => ins[0][..node.shape[1]].to_vec(),
        };
        nodes.push((node.name.clone(), out.clone()));
        vals[id.index()] = Some(out);
    }
    FloatTrace { nodes }
}

/// `[C,H,W] -> [patches, C*P*P]`, the layout of timm's patch-embedding conv weight.
pub fn patchify_f32(img: &[f32], shape: &[usize], p: usize) -> Vec<f32> {
    let (c, h, w) = (shape[0], shape[1], shape[2]);
    let mut out = Vec::with_capacity(img.len());
    for py in 0..h / p {
        for px in 0..w / p {
            for ch in 0..c {
                for i in 0..p {
                    let row = (ch * h + py * p + i) * w + px * p;
                    out.extend_from_slice(&img[row..row + p]);
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use vitfpga_model::{load_images, ModelConfig};

    /// The trained digits fixture: our float path reproduces PyTorch's logits.
    #[test]
    fn matches_pytorch_on_digits_fixture() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/digits");
        let cfg = ModelConfig::from_file(&dir.join("model.toml")).unwrap();
        let w = Weights::load_safetensors(&dir.join("weights.safetensors"), &cfg).unwrap();
        let g = vitfpga_graph::build_vit(&cfg).unwrap();
        let imgs = load_images(&dir.join("test_images.npy"), &cfg).unwrap();
        let f = std::fs::File::open(dir.join("float_logits_test.npy")).unwrap();
        let torch: Vec<f32> = npyz::NpyFile::new(std::io::BufReader::new(f)).unwrap().into_vec().unwrap();
        let mut worst = 0f32;
        for i in 0..imgs.n {
            let tr = run(&g, &w, imgs.image(i));
            for (a, b) in tr.logits().iter().zip(&torch[i * 10..(i + 1) * 10]) {
                worst = worst.max((a - b).abs());
            }
        }
        assert!(worst < 1e-3, "max |logit difference| vs PyTorch = {worst}");
    }
}
