//! The search shares one cycle-model run per shape among precisions that differ only in the
//! attention layers' activation bits (`TimingCache`). This proves that sharing exact: their programs
//! time identically. (The MLP's activation bits do change the timing: the GELU table streamed
//! into fc1's epilogue has 2^bits entries.)

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
    for (w_attention, w_mlp, a_mlp) in [(8, 8, 8), (8, 8, 6), (4, 2, 4), (1, 8, 8)] {
        let group: Vec<Precision> = precisions()
            .into_iter()
            .filter(|p| (p.w_attention, p.w_mlp, p.a_mlp) == (w_attention, w_mlp, a_mlp))
            .collect();
        assert_eq!(group.len(), 3);
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
