//! Fuzz target bodies, one per reader of user input. The cargo-fuzz binaries in `fuzz_targets/`
//! call them, and the stable test `crates/vitfpga-cli/tests/fuzz_corpus.rs` replays the committed
//! inputs (`fuzz/seeds/<target>/`: named seeds and past findings; `fuzz/corpus/<target>/`: the
//! minimised corpus) through them on every CI run.
//!
//! Each body takes arbitrary bytes and must return: an error is a pass; a panic, a hang or an
//! unbounded allocation (libFuzzer's `-rss_limit_mb`) is a finding. Where a reader's output
//! feeds a later stage (a model TOML the graph builder, a design TOML the compiler, a decoded
//! program the disassembler), the body runs that stage too, because that is where a value the
//! loader let through would panic.

use std::path::Path;
use std::sync::OnceLock;

use vitfpga_compiler::{compile, CompileOptions, DesignSpec, Program};
use vitfpga_device::Device;
use vitfpga_golden::QuantizedModel;
use vitfpga_model::{expected_tensors, ModelConfig, Weights};
use vitfpga_quant::{quantize_model, synthetic_images, QuantConfig};

/// Every target, by the name of its cargo-fuzz binary and corpus directory.
pub const TARGETS: &[(&str, fn(&[u8]))] = &[
    ("model_toml", model_toml),
    ("quant_toml", quant_toml),
    ("design_toml", design_toml),
    ("safetensors", safetensors),
    ("npy", npy),
    ("program", program),
];

/// A 2-block model small enough that compiling it takes a millisecond.
const TINY: &str =
    "img_size = 8\npatch_size = 4\nin_chans = 1\nembed_dim = 16\ndepth = 2\nnum_heads = 2\nnum_classes = 10\n";

fn tiny() -> &'static ModelConfig {
    static CFG: OnceLock<ModelConfig> = OnceLock::new();
    CFG.get_or_init(|| ModelConfig::from_toml_str(TINY, "tiny.toml").expect("the tiny model is valid"))
}

fn tiny_quantized() -> &'static QuantizedModel {
    static QM: OnceLock<QuantizedModel> = OnceLock::new();
    QM.get_or_init(|| {
        let cfg = tiny();
        let calib = synthetic_images(cfg, 2, 0);
        quantize_model(cfg, &Weights::synthetic(cfg, 0), &calib, &QuantConfig::uniform(8, 8)).expect("quantizes")
    })
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// Model TOML (`--model m.toml`), then the graph and the tensor list it implies.
pub fn model_toml(data: &[u8]) {
    let Some(t) = text(data) else { return };
    if let Ok(cfg) = ModelConfig::from_toml_str(t, "fuzz.toml") {
        let _ = vitfpga_graph::build_vit(&cfg);
        let _ = expected_tensors(&cfg);
    }
}

/// Quantization TOML (`--quant q.toml`), checked against the tiny model's layer names.
pub fn quant_toml(data: &[u8]) {
    let Some(t) = text(data) else { return };
    if let Ok(q) = QuantConfig::from_toml_str(t, "fuzz.toml") {
        if q.check_bits().is_ok() {
            if let Ok(g) = vitfpga_graph::build_vit(tiny()) {
                let _ = q.check_names(&g);
                let _ = q.describe(&g);
            }
        }
    }
}

/// Design TOML (`--design d.toml`) compiled for the tiny model on the ZCU102, and the same
/// bytes as a device TOML (`--device board.toml`).
pub fn design_toml(data: &[u8]) {
    let Some(t) = text(data) else { return };
    if let Ok(spec) = DesignSpec::from_toml_str(t, "fuzz.toml") {
        let device = Device::resolve("zcu102").expect("built-in device");
        let opts = CompileOptions { timing_only: true, ..Default::default() };
        let _ = compile(tiny_quantized(), &device, &spec, opts);
    }
    let _ = Device::from_toml_str(t, "fuzz.toml");
}

/// timm-style safetensors (`--weights`) for the tiny model.
pub fn safetensors(data: &[u8]) {
    let _ = Weights::from_safetensors_bytes(data, Path::new("fuzz.safetensors"), tiny());
}

/// `.npy` images (`--calib`, `--images`) and labels (`--labels`).
pub fn npy(data: &[u8]) {
    let _ = vitfpga_model::images_from_npy_bytes(data, Path::new("fuzz.npy"), tiny());
    let _ = vitfpga_model::labels_from_npy_bytes(data, Path::new("fuzz.npy"));
}

/// `program.bin` (`vitfpga disasm`), disassembled when it decodes. The bytes are tried as they
/// are and as a payload under a valid header and checksum, so the fuzzer reaches the decoder
/// instead of stopping at the CRC.
pub fn program(data: &[u8]) {
    if let Ok(p) = Program::from_bytes(data, "fuzz.bin") {
        let _ = vitfpga_compiler::disasm::disasm(&p);
    }
    let mut framed = Vec::with_capacity(data.len() + 16);
    framed.extend_from_slice(vitfpga_compiler::program::PROGRAM_MAGIC);
    framed.extend_from_slice(&vitfpga_compiler::program::PROGRAM_VERSION.to_le_bytes());
    framed.extend_from_slice(&crc32fast::hash(data).to_le_bytes());
    framed.extend_from_slice(data);
    if let Ok(p) = Program::from_bytes(&framed, "fuzz.bin") {
        let _ = vitfpga_compiler::disasm::disasm(&p);
    }
}
