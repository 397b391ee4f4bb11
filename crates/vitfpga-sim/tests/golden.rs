//! The simulator's values equal the golden model's: every intermediate tensor and the logits,
//! on several array shapes, bit widths and models.

use std::path::{Path, PathBuf};

use vitfpga_compiler::{compile, image, CompileOptions, DesignSpec};
use vitfpga_device::Device;
use vitfpga_golden::{Golden, QuantizedModel};
use vitfpga_model::{load_images, ModelConfig, Weights};
use vitfpga_quant::{quantize_model, synthetic_images, QuantConfig};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/digits")
}

fn digits(w_bits: u32, a_bits: u32) -> (QuantizedModel, Vec<f32>, usize) {
    let dir = fixture();
    let cfg = ModelConfig::from_file(&dir.join("model.toml")).unwrap();
    let w = Weights::load_safetensors(&dir.join("weights.safetensors"), &cfg).unwrap();
    let calib = load_images(&dir.join("calib_images.npy"), &cfg).unwrap();
    let test = load_images(&dir.join("test_images.npy"), &cfg).unwrap();
    let qm = quantize_model(&cfg, &w, &calib, &QuantConfig::uniform(w_bits, a_bits)).unwrap();
    (qm, test.data, test.image_len)
}

fn synthetic(toml: &str, w_bits: u32, a_bits: u32) -> (QuantizedModel, Vec<f32>, usize) {
    let cfg = ModelConfig::from_toml_str(toml, "test").unwrap();
    let w = Weights::synthetic(&cfg, 7);
    let calib = synthetic_images(&cfg, 4, 1);
    let qm = quantize_model(&cfg, &w, &calib, &QuantConfig::uniform(w_bits, a_bits)).unwrap();
    let test = synthetic_images(&cfg, 2, 99);
    (qm, test.data, test.image_len)
}

fn spec(r: usize, c: usize, pack: bool) -> DesignSpec {
    DesignSpec { rows: Some(r), cols: Some(c), dsp_packing: Some(pack), bus_bytes: Some(16), ..Default::default() }
}

/// Compile, simulate `images` images, compare every captured tensor and the logits.
fn check(qm: &QuantizedModel, images: &[f32], image_len: usize, n: usize, spec: &DesignSpec) {
    let dev = Device::resolve("zcu102").unwrap();
    // Correctness, not fit: a design over the caps is checked too.
    let c = compile(qm, &dev, spec, CompileOptions { allow_overfill: true, ..Default::default() }).unwrap();
    let golden = Golden::new(qm).unwrap();
    let g = &qm.graph;
    let input = g.node(g.find("input").unwrap());
    let patch = g.model.patch_size;
    for i in 0..n {
        let img = &images[i * image_len..(i + 1) * image_len];
        let q = golden.quantize_input(img);
        let trace = golden.trace_quantized(q.clone());
        let packed = image::pack_image(&c.program, &q, &input.shape, patch);
        let run = vitfpga_sim::simulate(&c.program, image::dram_image(&c.program, &c.constants, &packed), true);
        for (&t, vals) in &run.tensors {
            let desc = &c.program.tensors[t];
            let expect = vitfpga_sim::verify::golden_values(&c, &golden, &trace, t);
            if *vals != expect {
                let bad = vals.iter().zip(&expect).position(|(a, b)| a != b).unwrap();
                panic!(
                    "image {i}: tensor {} differs from golden '{}' at element {bad} ({} vs {}) [{}x{} array]",
                    desc.name,
                    desc.node,
                    vals[bad],
                    expect[bad],
                    spec.rows.unwrap_or(0),
                    spec.cols.unwrap_or(0)
                );
            }
        }
        assert_eq!(
            run.tensors.len(),
            c.program.exec.iter().map(|e| e.tensor).collect::<std::collections::BTreeSet<_>>().len()
        );
        assert_eq!(run.logits(&c.program), trace.logits(), "image {i} logits");
        eprintln!(
            "image {i}: {} tensors equal, logits {:?}, {} cycles",
            run.tensors.len(),
            &trace.logits()[..3],
            run.timeline.cycles
        );
    }
}

#[test]
fn a_corrupted_weight_is_caught() {
    let (qm, imgs, len) = digits(8, 8);
    let dev = Device::resolve("zcu102").unwrap();
    let c = compile(&qm, &dev, &spec(16, 16, false), CompileOptions::default()).unwrap();
    let golden = Golden::new(&qm).unwrap();
    let q = golden.quantize_input(&imgs[..len]);
    let g = &qm.graph;
    let packed = image::pack_image(&c.program, &q, &g.node(g.find("input").unwrap()).shape, g.model.patch_size);
    let mut dram = image::dram_image(&c.program, &c.constants, &packed);
    // Array row 0 (shifted last) of the first weight tile of the patch embedding, after its
    // 8 parameter words (rows past K = 4 are padding and rightly ignored).
    let at = c.program.dram.constants.addr as usize + c.program.config.stream_word_bytes * (8 + 15) + 3;
    dram[at] ^= 0x11;
    let run = vitfpga_sim::simulate(&c.program, dram, true);
    let pe = c.program.exec[0].tensor as usize;
    let trace = golden.trace_quantized(q);
    let gold = trace.get(&c.program.tensors[pe].node).unwrap().to_i64();
    assert_ne!(run.tensors[&pe], gold);
}

#[test]
fn digits_w8a8_square_array() {
    let (qm, imgs, len) = digits(8, 8);
    check(&qm, &imgs, len, 3, &spec(16, 16, false));
}

#[test]
fn digits_w4a8_odd_nonsquare_packed() {
    let (qm, imgs, len) = digits(4, 8);
    check(&qm, &imgs, len, 2, &spec(3, 5, true));
    check(&qm, &imgs, len, 1, &spec(7, 12, false));
}

#[test]
fn odd_dims_embed40_heads5_binary_weights() {
    let toml = "name='odd'\nimg_size=24\npatch_size=8\nin_chans=3\nembed_dim=40\ndepth=2\nnum_heads=5\nmlp_ratio=1.5\nnum_classes=7\n";
    let (qm, imgs, len) = synthetic(toml, 1, 6);
    check(&qm, &imgs, len, 1, &spec(8, 12, false));
    let (qm, imgs, len) = synthetic(toml, 3, 5);
    check(&qm, &imgs, len, 1, &spec(5, 4, true));
}

#[test]
fn two_layer_224_16() {
    let toml =
        "name='vit224'\nimg_size=224\npatch_size=16\nin_chans=3\nembed_dim=64\ndepth=2\nnum_heads=2\nnum_classes=10\n";
    let (qm, imgs, len) = synthetic(toml, 8, 8);
    check(&qm, &imgs, len, 1, &spec(16, 32, true));
}

/// The search's timing-only compile gives the same program and the same cycles as a full one.
#[test]
fn timing_only_compile_has_the_same_program_and_cycles() {
    let (qm, _, _) = digits(4, 8);
    let dev = Device::resolve("zcu102").unwrap();
    for s in [spec(8, 8, false), spec(3, 5, true)] {
        let full = compile(&qm, &dev, &s, CompileOptions { allow_overfill: true, ..Default::default() }).unwrap();
        let fast =
            compile(&qm, &dev, &s, CompileOptions { timing_only: true, allow_overfill: true, ..Default::default() })
                .unwrap();
        // The same program, DRAM layout (constant-stream size) included; no stream bytes kept.
        assert_eq!(full.program, fast.program);
        assert_eq!(full.constants.len() as u64, full.program.dram.constants.bytes);
        assert!(fast.constants.is_empty(), "the stream is only measured");
        let (a, b) = (vitfpga_sim::timing::run(&full.program), vitfpga_sim::timing::run(&fast.program));
        assert_eq!((a.cycles, a.exec.clone()), (b.cycles, b.exec.clone()));
    }
}
