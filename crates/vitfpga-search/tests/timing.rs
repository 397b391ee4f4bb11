//! The search shares one cycle-model run per shape among precisions with the same
//! `Precision::timing_key` (`TimingCache`): they differ only in the attention layers' activation
//! bits, with the wider activation width unchanged. This proves that sharing exact: their programs
//! time identically. (The MLP's activation bits change the timing: the GELU table streamed into
//! fc1's epilogue has 2^bits entries; so does the wider width, the LayerNorm input's: its row
//! constants take `x_bits + clog2(D + 1)` cycles. The second test shows the key needs it.)

use std::path::Path;

use vitfpga_compiler::{compile, CompileOptions, DesignSpec};
use vitfpga_device::Device;
use vitfpga_model::{load_images, ModelConfig, Weights};
use vitfpga_search::{precisions, Precision};

#[test]
fn attention_activation_bits_leave_the_timing_unchanged() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/digits");
    let cfg = ModelConfig::from_file(&dir.join("model.toml")).unwrap();
    let w = Weights::load_safetensors(&dir.join("weights.safetensors"), &cfg).unwrap();
    let calib = load_images(&dir.join("calib_images.npy"), &cfg).unwrap();
    let graph = vitfpga_graph::build_vit(&cfg).unwrap();
    let base = vitfpga_quant::QuantConfig::uniform(8, 8);
    let calibration =
        vitfpga_quant::calibrate(&graph, &w, &calib, base.model.calibration, base.model.percentile).unwrap();
    let dev = Device::resolve("zcu102").unwrap();
    let shapes = [(8, 8, false, 1), (16, 8, false, 2), (16, 32, true, 4), (5, 7, false, 1)];
    for key in [(8, 8, 8, 8), (8, 8, 6, 6), (4, 2, 6, 6), (1, 8, 8, 8)] {
        let group: Vec<Precision> = precisions().into_iter().filter(|p| p.timing_key() == key).collect();
        assert!(group.len() >= 2, "{key:?}: {} precisions share nothing", group.len());
        for &(r, c, pack, sm) in &shapes {
            let spec = DesignSpec {
                rows: Some(r),
                cols: Some(c),
                dsp_packing: Some(pack),
                softmax_units: Some(sm),
                ..Default::default()
            };
            let mut first = None;
            for p in &group {
                let qm = vitfpga_quant::quantize(&graph, &w, &calibration, &p.quant_config()).unwrap();
                let opts = CompileOptions { timing_only: true, allow_overfill: true, ..Default::default() };
                let prog = compile(&qm, &dev, &spec, opts).unwrap().program;
                let t = vitfpga_sim::timing::run(&prog);
                let key = (t.cycles, t.exec.clone(), prog.config.spad_banks.clone(), prog.config.sbuf_banks.clone());
                match &first {
                    None => first = Some((p.label(), key)),
                    Some((l, k)) => assert_eq!(&key, k, "{} and {l} differ on {r}x{c}", p.label()),
                }
            }
        }
    }
}

/// The wider activation width (the LayerNorm input's) is part of the key: W8A6 and W8A8/6 differ
/// only in the attention's activation bits, but their LayerNorms take 6- and 8-bit rows.
#[test]
fn the_layernorm_input_width_changes_the_timing() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/digits");
    let cfg = ModelConfig::from_file(&dir.join("model.toml")).unwrap();
    let w = Weights::load_safetensors(&dir.join("weights.safetensors"), &cfg).unwrap();
    let calib = load_images(&dir.join("calib_images.npy"), &cfg).unwrap();
    let graph = vitfpga_graph::build_vit(&cfg).unwrap();
    let base = vitfpga_quant::QuantConfig::uniform(8, 8);
    let calibration =
        vitfpga_quant::calibrate(&graph, &w, &calib, base.model.calibration, base.model.percentile).unwrap();
    let dev = Device::resolve("zcu102").unwrap();
    let spec = DesignSpec { rows: Some(8), cols: Some(8), dsp_packing: Some(false), ..Default::default() };
    let cycles = |p: Precision| {
        let qm = vitfpga_quant::quantize(&graph, &w, &calibration, &p.quant_config()).unwrap();
        let opts = CompileOptions { timing_only: true, allow_overfill: true, ..Default::default() };
        vitfpga_sim::timing::run(&compile(&qm, &dev, &spec, opts).unwrap().program).cycles
    };
    let a6 = Precision { w_attention: 8, w_mlp: 8, a_attention: 6, a_mlp: 6 };
    let a86 = Precision { a_attention: 8, ..a6 };
    assert_ne!(a6.timing_key(), a86.timing_key());
    assert_ne!(cycles(a6), cycles(a86), "the keys differ, so should the timing");
}
