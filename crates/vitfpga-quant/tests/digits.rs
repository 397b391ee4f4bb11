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
