//! Helpers shared by the CLI's integration tests: run the binary, expect a clean failure, find a
//! fixture.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

pub fn vitfpga(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vitfpga")).args(args).output().expect("run vitfpga")
}

/// Runs a command that must fail cleanly (exit 1, an `error:` line, no panic); its stderr.
pub fn fails(args: &[&str]) -> String {
    fails_with(vitfpga(args), args)
}

/// The same check on a command already run.
pub fn fails_with(o: Output, args: &[&str]) -> String {
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert_eq!(o.status.code(), Some(1), "{args:?} should exit 1; stderr: {err}");
    assert!(err.lines().any(|l| l.starts_with("error: ")) && !err.contains("panicked"), "{err}");
    err
}

/// A file of the digits fixture.
pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/digits").join(name).display().to_string()
}

/// The digits model with its weights and calibration images, as command-line arguments.
pub fn digits_model_args() -> Vec<String> {
    vec![
        "--model".into(),
        fixture("model.toml"),
        "--weights".into(),
        fixture("weights.safetensors"),
        "--calib".into(),
        fixture("calib_images.npy"),
    ]
}
