//! Replays the committed fuzz inputs through the fuzz target bodies on stable Rust: the named seeds
//! and past findings (`fuzz/seeds/<target>/`) and the minimised corpus the fuzzing runs kept
//! (`fuzz/corpus/<target>/`). A panic here is a regression. The long runs are `scripts/fuzz.sh`.

#[path = "../../../fuzz/src/lib.rs"]
mod targets;

use std::path::Path;

#[test]
fn every_corpus_input_is_handled_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut total = 0;
    for (name, target) in targets::TARGETS {
        let mut inputs: Vec<_> = ["seeds", "corpus"]
            .iter()
            .flat_map(|d| {
                let dir = root.join(d).join(name);
                std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten()
            })
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "no corpus for fuzz target {name}");
        for p in &inputs {
            let data = std::fs::read(p).unwrap();
            let r = std::panic::catch_unwind(|| target(&data));
            assert!(r.is_ok(), "fuzz target {name} panicked on {}", p.display());
        }
        eprintln!("{name}: {} inputs", inputs.len());
        total += inputs.len();
    }
    eprintln!("{total} corpus inputs replayed");
}

/// The seeds are valid inputs: a body that rejected them would fuzz only the error paths.
#[test]
fn the_seed_inputs_are_accepted() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/seeds");
    let cfg = vitfpga_model::ModelConfig::from_toml_str(
        &std::fs::read_to_string(root.join("model_toml/tiny.toml")).unwrap(),
        "tiny.toml",
    )
    .unwrap();
    let bytes = std::fs::read(root.join("safetensors/tiny_f32.safetensors")).unwrap();
    vitfpga_model::Weights::from_safetensors_bytes(&bytes, Path::new("tiny_f32"), &cfg).unwrap();
    let bytes = std::fs::read(root.join("npy/images.npy")).unwrap();
    assert_eq!(vitfpga_model::images_from_npy_bytes(&bytes, Path::new("images.npy"), &cfg).unwrap().n, 2);
    let bytes = std::fs::read(root.join("program/tiny.bin")).unwrap();
    vitfpga_compiler::Program::from_bytes(&bytes, "tiny.bin").unwrap();
}
