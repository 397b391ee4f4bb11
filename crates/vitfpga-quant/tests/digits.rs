//! The trained digits fixture (fixtures/digits): integer accuracy against float.

use std::path::{Path, PathBuf};

use vitfpga_model::{load_images, load_labels, ModelConfig, Weights};
use vitfpga_quant::{evaluate, quantize_model, QuantConfig};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/digits")
}

fn run(w_bits: u32, a_bits: u32) -> vitfpga_quant::EvalReport {
    let dir = fixture();
    let cfg = ModelConfig::from_file(&dir.join("model.toml")).unwrap();
    let w = Weights::load_safetensors(&dir.join("weights.safetensors"), &cfg).unwrap();
    let calib = load_images(&dir.join("calib_images.npy"), &cfg).unwrap();
    let test = load_images(&dir.join("test_images.npy"), &cfg).unwrap();
    let labels = load_labels(&dir.join("test_labels.npy")).unwrap();
    let qm = quantize_model(&cfg, &w, &calib, &QuantConfig::uniform(w_bits, a_bits)).unwrap();
    let r = evaluate(&qm, &test, Some(&labels)).unwrap();
    eprintln!(
        "W{w_bits}A{a_bits}: float {:.4} int {:.4} agreement {:.4} logit SQNR {:.1} dB",
        r.float_top1.unwrap(),
        r.int_top1.unwrap(),
        r.top1_agreement,
        r.logit_sqnr_db
    );
    r
}

#[test]
fn w8a8_within_one_point_of_float() {
    let r = run(8, 8);
    assert!(r.float_top1.unwrap() > 0.97);
    assert!(r.int_top1.unwrap() >= r.float_top1.unwrap() - 0.01, "{r:?}");
}

#[test]
fn w4a8_within_three_points_of_float() {
    let r = run(4, 8);
    assert!(r.int_top1.unwrap() >= r.float_top1.unwrap() - 0.03, "{r:?}");
}

#[test]
fn quantization_is_deterministic() {
    let dir = fixture();
    let cfg = ModelConfig::from_file(&dir.join("model.toml")).unwrap();
    let w = Weights::load_safetensors(&dir.join("weights.safetensors"), &cfg).unwrap();
    let calib = load_images(&dir.join("calib_images.npy"), &cfg).unwrap();
    let q = QuantConfig::uniform(6, 6);
    let a = quantize_model(&cfg, &w, &calib, &q).unwrap().to_bytes();
    let b = quantize_model(&cfg, &w, &calib, &q).unwrap().to_bytes();
    assert_eq!(a, b);
}

#[test]
fn minmax_ranges_cover_percentile_ranges() {
    use vitfpga_quant::{calibrate, CalibMethod};
    let dir = fixture();
    let cfg = ModelConfig::from_file(&dir.join("model.toml")).unwrap();
    let w = Weights::load_safetensors(&dir.join("weights.safetensors"), &cfg).unwrap();
    let calib = load_images(&dir.join("calib_images.npy"), &cfg).unwrap();
    let g = vitfpga_graph::build_vit(&cfg).unwrap();
    let mm = calibrate(&g, &w, &calib, CalibMethod::Minmax, 100.0).unwrap();
    let pc = calibrate(&g, &w, &calib, CalibMethod::Percentile, 99.0).unwrap();
    assert_eq!(mm.ranges.keys().collect::<Vec<_>>(), pc.ranges.keys().collect::<Vec<_>>());
    let mut strictly = 0;
    for (k, v) in &mm.ranges {
        for (a, b) in v.iter().zip(&pc.ranges[k]) {
            assert!(a >= b, "{k}: minmax {a} < percentile {b}");
            strictly += (a > b) as usize;
        }
    }
    assert!(strictly > 10, "percentile clipping should clip most tensors");
    // qkv has one range per section (q, k, v)
    assert_eq!(mm.ranges["blocks.0.attn.qkv"].len(), 3);
    let r = evaluate(
        &quantize_model(
            &cfg,
            &w,
            &calib,
            &QuantConfig::from_toml_str("[model]\ncalibration = \"minmax\"", "q").unwrap(),
        )
        .unwrap(),
        &load_images(&dir.join("test_images.npy"), &cfg).unwrap(),
        None,
    )
    .unwrap();
    assert!(r.top1_agreement > 0.95);
}

#[test]
fn vq_round_trip_runs_identically() {
    let dir = fixture();
    let cfg = ModelConfig::from_file(&dir.join("model.toml")).unwrap();
    let w = Weights::load_safetensors(&dir.join("weights.safetensors"), &cfg).unwrap();
    let calib = load_images(&dir.join("calib_images.npy"), &cfg).unwrap();
    let qm = quantize_model(&cfg, &w, &calib, &QuantConfig::uniform(1, 8)).unwrap();
    let back = vitfpga_golden::QuantizedModel::from_bytes(&qm.to_bytes(), Path::new("m.vq")).unwrap();
    let (a, b) = (vitfpga_golden::Golden::new(&qm).unwrap(), vitfpga_golden::Golden::new(&back).unwrap());
    for i in 0..calib.n {
        assert_eq!(a.trace(calib.image(i)).nodes, b.trace(calib.image(i)).nodes);
    }
}

/// A checksum-valid `.vq` whose parameters were tampered with is rejected, never executed.
#[test]
fn tampered_parameters_are_rejected() {
    use vitfpga_golden::{Golden, NodeParams};
    let dir = fixture();
    let cfg = ModelConfig::from_file(&dir.join("model.toml")).unwrap();
    let w = Weights::load_safetensors(&dir.join("weights.safetensors"), &cfg).unwrap();
    let calib = load_images(&dir.join("calib_images.npy"), &cfg).unwrap();
    let good = quantize_model(&cfg, &w, &calib, &QuantConfig::uniform(8, 8)).unwrap();
    type Tamper = Box<dyn Fn(&mut NodeParams)>;
    let tamper: Vec<(&str, Tamper)> = vec![
        (
            "blocks.0.mlp.gelu",
            Box::new(|p| {
                if let NodeParams::Gelu { in_bits, table, .. } = p {
                    *in_bits = 2;
                    table.truncate(4)
                }
            }),
        ),
        (
            "blocks.0.add1",
            Box::new(|p| {
                if let NodeParams::Add { ma, .. } = p {
                    *ma = 1 << 20
                }
            }),
        ),
        (
            "blocks.0.mlp.fc1",
            Box::new(|p| {
                if let NodeParams::Linear { bias, .. } = p {
                    bias[0] = i32::MAX
                }
            }),
        ),
        (
            "blocks.0.mlp.fc1",
            Box::new(|p| {
                if let NodeParams::Linear { w_bits, .. } = p {
                    *w_bits = 2
                }
            }),
        ),
        (
            "blocks.0.mlp.fc1",
            Box::new(|p| {
                if let NodeParams::Linear { weights, .. } = p {
                    weights.pop();
                }
            }),
        ),
        (
            "blocks.0.norm1",
            Box::new(|p| {
                if let NodeParams::LayerNorm { p, .. } = p {
                    p.eps_q = u64::MAX
                }
            }),
        ),
        (
            "blocks.0.norm1",
            Box::new(|p| {
                if let NodeParams::LayerNorm { p, .. } = p {
                    p.beta[0] = i64::MAX
                }
            }),
        ),
        (
            "blocks.0.attn.softmax",
            Box::new(|p| {
                if let NodeParams::Softmax { to_exp2, .. } = p {
                    to_exp2.m = -1
                }
            }),
        ),
        (
            "embed",
            Box::new(|p| {
                if let NodeParams::ClassPosEmbed { pos, .. } = p {
                    pos[3] = i64::MAX
                }
            }),
        ),
    ];
    for (node, f) in tamper {
        let mut bad = good.clone();
        f(bad.params.get_mut(node).unwrap());
        let e = Golden::new(&bad).err().unwrap_or_else(|| panic!("tampered {node} accepted"));
        assert_eq!(e.node, node);
    }
    let mut bad = good.clone();
    bad.graph.model.depth = 2;
    assert!(Golden::new(&bad).is_err());
    let mut bad = good.clone();
    bad.params.remove("head");
    assert!(Golden::new(&bad).is_err());
}
