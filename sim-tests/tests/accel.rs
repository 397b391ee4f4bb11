//! The whole accelerator in Verilator against the golden model (every stored intermediate and
//! the logits, bit for bit) and against the cycle model (total cycles, exactly), on array shapes
//! square, non-square and odd, with and without DSP packing, 1- to 8-bit weights, and three
//! models: the trained digits fixture, odd dimensions (embed 40 in 5 heads), 224/16 patching.

use std::path::{Path, PathBuf};

use vitfpga_compiler::{compile, CompileOptions, Compiled, DesignSpec};
use vitfpga_device::Device;
use vitfpga_golden::{Golden, QuantizedModel};
use vitfpga_model::{load_images, load_labels, ModelConfig, Weights};
use vitfpga_quant::{argmax, quantize_model, synthetic_images, QuantConfig};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn digits(w_bits: u32, a_bits: u32) -> (QuantizedModel, Vec<Vec<f32>>, Vec<i64>) {
    let dir = root().join("fixtures/digits");
    let cfg = ModelConfig::from_file(&dir.join("model.toml")).unwrap();
    let w = Weights::load_safetensors(&dir.join("weights.safetensors"), &cfg).unwrap();
    let calib = load_images(&dir.join("calib_images.npy"), &cfg).unwrap();
    let test = load_images(&dir.join("test_images.npy"), &cfg).unwrap();
    let labels = load_labels(&dir.join("test_labels.npy")).unwrap();
    let qm = quantize_model(&cfg, &w, &calib, &QuantConfig::uniform(w_bits, a_bits)).unwrap();
    let imgs = (0..test.n).map(|i| test.image(i).to_vec()).collect();
    (qm, imgs, labels)
}

fn synthetic(file: &str, w_bits: u32, a_bits: u32) -> (QuantizedModel, Vec<Vec<f32>>) {
    let cfg = ModelConfig::from_file(&root().join("fixtures/models").join(file)).unwrap();
    let w = Weights::synthetic(&cfg, 3);
    let calib = synthetic_images(&cfg, 2, 1);
    let qm = quantize_model(&cfg, &w, &calib, &QuantConfig::uniform(w_bits, a_bits)).unwrap();
    let test = synthetic_images(&cfg, 2, 77);
    (qm, (0..test.n).map(|i| test.image(i).to_vec()).collect())
}

/// The fabric array (partial sums in LUT adders); the cascade tests ask for `dsp_cascade`.
fn spec(r: usize, c: usize, pack: bool) -> DesignSpec {
    DesignSpec {
        rows: Some(r),
        cols: Some(c),
        dsp_packing: Some(pack),
        dsp_cascade: Some(false),
        bus_bytes: Some(16),
        ..Default::default()
    }
}

fn build(qm: &QuantizedModel, spec: &DesignSpec, dump: bool) -> (Compiled, Vec<(String, String)>) {
    let dev = Device::resolve("zcu102").unwrap();
    // Correctness, not fit: a design over the caps is verified too.
    let c = compile(
        qm,
        &dev,
        spec,
        CompileOptions { dump_intermediates: dump, allow_overfill: true, ..Default::default() },
    )
    .unwrap();
    let src = vec![("vitfpga_accel.v".to_string(), vitfpga_compiler::rtl::verilog(&c.program))];
    (c, src)
}

/// Verify `images`; returns the RTL logits of each.
fn verify(qm: &QuantizedModel, spec: &DesignSpec, dump: bool, images: &[Vec<f32>]) -> Vec<Vec<i64>> {
    verify_at(qm, spec, dump, images, 0)
}

/// `verify` with the DRAM image at byte `base` of the testbench's memory (PROGRAM_BASE).
fn verify_at(qm: &QuantizedModel, spec: &DesignSpec, dump: bool, images: &[Vec<f32>], base: u64) -> Vec<Vec<i64>> {
    let (c, src) = build(qm, spec, dump);
    let golden = Golden::new(qm).unwrap();
    let mut out = vec![];
    for (i, img) in images.iter().enumerate() {
        let q = golden.quantize_input(img);
        let r = vitfpga_sim::verify::verify_image_at(&c, &src, &golden, &q, base).unwrap();
        assert!(r.bit_exact, "image {i} on {}x{}: {:?}", spec.rows.unwrap(), spec.cols.unwrap(), r.mismatches);
        assert_eq!(r.rtl_cycles, r.sim_cycles, "image {i}: RTL cycles vs simulator cycles");
        if dump {
            assert!(r.tensors_compared > 10, "the verification build stores the intermediates");
        }
        eprintln!(
            "{}x{}{}: image {i} bit-exact over {} tensors, {} cycles (build {:.1} s, run {:.2} s)",
            spec.rows.unwrap(),
            spec.cols.unwrap(),
            if spec.dsp_packing == Some(true) {
                " packed"
            } else if spec.dsp_cascade == Some(true) {
                " cascade"
            } else {
                ""
            },
            r.tensors_compared,
            r.rtl_cycles,
            r.rtl_build_seconds,
            r.rtl_seconds
        );
        out.push(r.rtl_logits);
    }
    out
}

#[test]
fn digits_w8a8_8x8_twenty_images_top1_equals_golden() {
    let (qm, imgs, labels) = digits(8, 8);
    let golden = Golden::new(&qm).unwrap();
    let logits = verify(&qm, &spec(8, 8, false), true, &imgs[..20]);
    let (mut rtl_ok, mut gold_ok) = (0, 0);
    for (i, l) in logits.iter().enumerate() {
        let g = golden.run(&imgs[i]);
        assert_eq!(argmax(l), argmax(&g));
        rtl_ok += (argmax(l) as i64 == labels[i]) as usize;
        gold_ok += (argmax(&g) as i64 == labels[i]) as usize;
    }
    assert_eq!(rtl_ok, gold_ok);
    assert!(rtl_ok >= 18, "top-1 on 20 digits: {rtl_ok}");
}

#[test]
fn digits_w4a8_odd_3x5_packed() {
    let (qm, imgs, _) = digits(4, 8);
    verify(&qm, &spec(3, 5, true), true, &imgs[..2]);
}

#[test]
fn digits_w8a8_nonsquare_7x12() {
    // Row units narrower than the array and not a power of two: 3 LayerNorm units of 4 lanes
    // (rows dealt round-robin), 2 softmax units.
    let (qm, imgs, _) = digits(8, 8);
    let spec =
        DesignSpec { softmax_units: Some(2), layernorm_units: Some(3), layernorm_lanes: Some(4), ..spec(7, 12, false) };
    verify(&qm, &spec, true, &imgs[20..21]);
}

#[test]
fn digits_production_program_16x16_packed() {
    // Without intermediate stores: the logits and the cycle count of the program users run. One
    // row unit of each kind: rows follow each other on the same unit (in_ready handshake). The
    // DRAM image not at address 0: every fetch, load and store adds PROGRAM_BASE.
    let (qm, imgs, _) = digits(8, 8);
    let spec = DesignSpec { softmax_units: Some(1), layernorm_units: Some(1), ..spec(16, 16, true) };
    verify_at(&qm, &spec, false, &imgs[21..23], 0x20_3000);
}

#[test]
fn odd40_binary_weights_8x12() {
    let (qm, imgs) = synthetic("odd40.toml", 1, 6);
    verify(&qm, &spec(8, 12, false), true, &imgs[..1]);
}

#[test]
fn odd40_w3a5_5x4_packed() {
    let (qm, imgs) = synthetic("odd40.toml", 3, 5);
    verify(&qm, &spec(5, 4, true), true, &imgs[..1]);
}

#[test]
fn vit224_two_layers_16x32_packed() {
    let (qm, imgs) = synthetic("vit224-2layer.toml", 8, 8);
    verify(&qm, &spec(16, 32, true), true, &imgs[..1]);
}

/// DSP-cascade arrays (one DSP48E2 per PE or column pair, shadow/active weights, latency + 2): an
/// odd shape whose lanes do not divide the width, a low-bit odd model, packed 197-token GEMMs and a
/// packed array of three segments.
#[test]
fn digits_w8a8_cascade_nonsquare_7x12() {
    let (qm, imgs, _) = digits(8, 8);
    let spec = DesignSpec { dsp_cascade: Some(true), softmax_units: Some(2), ..spec(7, 12, false) };
    verify(&qm, &spec, true, &imgs[23..24]);
}

#[test]
fn odd40_w3a5_cascade_5x4() {
    let (qm, imgs) = synthetic("odd40.toml", 3, 5);
    verify(&qm, &DesignSpec { dsp_cascade: Some(true), ..spec(5, 4, false) }, true, &imgs[..1]);
}

#[test]
fn vit224_two_layers_packed_cascade_16x16() {
    let (qm, imgs) = synthetic("vit224-2layer.toml", 8, 8);
    verify(&qm, &DesignSpec { dsp_cascade: Some(true), ..spec(16, 16, true) }, false, &imgs[..1]);
}

/// Packed cascades in several segments (R = 17: 7 + 7 + 3 rows at w8) on an odd column count.
#[test]
fn digits_w8a8_packed_cascade_17x6() {
    let (qm, imgs, _) = digits(8, 8);
    verify(&qm, &DesignSpec { dsp_cascade: Some(true), ..spec(17, 6, true) }, true, &imgs[24..25]);
}

#[test]
fn cascade_core_lints_and_compiles_in_icarus() {
    let (qm, _, _) = digits(8, 8);
    let (_, src) = build(&qm, &DesignSpec { dsp_cascade: Some(true), ..spec(4, 6, false) }, false);
    let d = vitfpga_cosim::Design {
        top: "vitfpga_accel".into(),
        sources: src,
        inputs: vec![],
        outputs: vec![],
        clock: None,
    };
    vitfpga_cosim::gates::lint_verilator_waiving(&d, &["WIDTH", "UNUSEDSIGNAL"]).unwrap_or_else(|e| panic!("{e}"));
    vitfpga_cosim::gates::compile_icarus(&d).unwrap_or_else(|e| panic!("{e}"));
}

fn core_design() -> vitfpga_cosim::Design {
    let (qm, _, _) = digits(8, 8);
    let (_, src) = build(&qm, &spec(8, 8, false), true);
    vitfpga_cosim::Design { top: "vitfpga_accel".into(), sources: src, inputs: vec![], outputs: vec![], clock: None }
}

#[test]
fn core_lints_and_compiles_in_icarus() {
    let d = core_design();
    // Instruction fields are 32-bit and narrowed where used (WIDTH); fields carry bits a given
    // instruction kind does not read (UNUSEDSIGNAL).
    vitfpga_cosim::gates::lint_verilator_waiving(&d, &["WIDTH", "UNUSEDSIGNAL"]).unwrap_or_else(|e| panic!("{e}"));
    vitfpga_cosim::gates::compile_icarus(&d).unwrap_or_else(|e| panic!("{e}"));
}

/// Yosys elaboration of the whole core takes minutes: run by hand.
#[test]
#[ignore]
fn core_yosys_structure_is_clean() {
    vitfpga_cosim::gates::check_yosys(&core_design()).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn emitted_core_is_deterministic() {
    let (qm, _, _) = digits(8, 8);
    let a = build(&qm, &spec(3, 5, true), false).1;
    let b = build(&qm, &spec(3, 5, true), false).1;
    assert_eq!(a, b);
}
