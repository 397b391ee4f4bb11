//! A build killed with SIGKILL at any moment leaves either no output directory or a complete
//! one (the previous build's, or the new one): never a directory that looks complete and is not.
//! The next build clears what the killed one left behind.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/digits").join(name).display().to_string()
}

const FILES: [&str; 11] = [
    "rtl/vitfpga_accel.v",
    "program.bin",
    "program.txt",
    "dram.bin",
    "summary.json",
    "constraints/zcu102.xdc",
    "vivado/create_project.tcl",
    "yosys/synth.ys",
    "report.md",
    "report.json",
    "report.html",
];

fn build(out: &Path, array: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vitfpga"));
    c.args(["build", "--model", &fixture("model.toml"), "--weights", &fixture("weights.safetensors")])
        .args(["--calib", &fixture("calib_images.npy"), "--array", array, "--dump-intermediates", "--quiet", "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// The array of the complete build at `out`, or None if there is no directory; panics on a
/// directory that is there but incomplete or inconsistent.
fn check(out: &Path) -> Option<String> {
    if !out.exists() {
        return None;
    }
    for f in FILES {
        assert!(out.join(f).is_file(), "{} lacks {f}", out.display());
    }
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).expect("summary.json is whole");
    let program = vitfpga_compiler::Program::load(&out.join("program.bin")).expect("program.bin is whole");
    let array = format!("{}x{}", program.config.rows, program.config.cols);
    assert_eq!(summary["config"]["rows"], program.config.rows, "summary and program are from one build");
    let dram = std::fs::metadata(out.join("dram.bin")).unwrap().len();
    assert_eq!(dram, program.dram.total_bytes, "dram.bin is whole");
    Some(array)
}

#[test]
fn a_killed_build_never_leaves_a_half_written_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let fresh = tmp.path().join("fresh");
    // One full build to time it and to have an old output to replace.
    let t0 = Instant::now();
    assert!(build(&out, "4x4").status().unwrap().success());
    let full = t0.elapsed();
    assert_eq!(check(&out).as_deref(), Some("4x4"));
    let steps = 16u32;
    let (mut old_seen, mut new_seen) = (0, 0);
    for i in 0..steps {
        // Spread the kills over the whole run, and a little past it.
        let delay = full * (i + 1) / steps + Duration::from_millis(3 * i as u64);
        for (dir, array) in [(&out, "8x8"), (&fresh, "8x8")] {
            let mut child = build(dir, array).spawn().unwrap();
            std::thread::sleep(delay);
            let _ = child.kill();
            let _ = child.wait();
            match check(dir).as_deref() {
                Some("4x4") => old_seen += 1,
                Some("8x8") => new_seen += 1,
                Some(other) => panic!("unexpected array {other}"),
                None => assert!(dir == &fresh, "the old output was lost"),
            }
        }
        // Put the old output back for the next kill.
        if check(&out).as_deref() == Some("8x8") {
            assert!(build(&out, "4x4").status().unwrap().success());
        }
    }
    eprintln!("{steps} kills: old output kept {old_seen} times, new output complete {new_seen} times");
    // A completed build clears every leftover of the killed ones.
    assert!(build(&out, "8x8").status().unwrap().success());
    assert!(build(&fresh, "8x8").status().unwrap().success());
    let names: Vec<String> =
        std::fs::read_dir(tmp.path()).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into()).collect();
    assert_eq!(names.len(), 2, "leftovers: {names:?}");
}
