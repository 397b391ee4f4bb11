//! Same inputs, same bytes: every file `quantize`, `build`, `report`, `search` and `emit-unit`
//! write is byte-identical across runs and across thread counts (rayon runs the golden model,
//! calibration and the search in parallel; none of that may leak into the output).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/digits").join(name).display().to_string()
}

/// Runs every writing command into `dir` with `threads` rayon threads.
fn run_all(dir: &Path, threads: &str) {
    let (model, weights, calib) = (fixture("model.toml"), fixture("weights.safetensors"), fixture("calib_images.npy"));
    let vq = dir.join("m.vq").display().to_string();
    let sub = |name: &str| dir.join(name).display().to_string();
    let commands: Vec<Vec<String>> = vec![
        vec!["quantize", "--model", &model, "--weights", &weights, "--calib", &calib, "--w-bits", "6", "--out", &vq],
        vec!["build", "--quantized", &vq, "--array", "8x8", "--out", &sub("build")],
        vec![
            "build",
            "--quantized",
            &vq,
            "--array",
            "4x6",
            "--dsp-packing",
            "--dump-intermediates",
            "--out",
            &sub("build-dump"),
        ],
        vec!["report", "--quantized", &vq, "--device", "kv260", "--out", &sub("report")],
        vec![
            "search",
            "--model",
            &model,
            "--weights",
            &weights,
            "--calib",
            &calib,
            "--target-fps",
            "5000",
            "--no-cache",
            "--out",
            &sub("search"),
        ],
        vec!["emit-unit", "softmax", "--out", &sub("unit")],
    ]
    .into_iter()
    .map(|v| v.into_iter().map(String::from).collect())
    .collect();
    for args in &commands {
        let o = Command::new(env!("CARGO_BIN_EXE_vitfpga"))
            .args(args)
            .arg("--quiet")
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .expect("run vitfpga");
        assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    }
}

fn files(root: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.strip_prefix(root).unwrap().to_path_buf(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

#[test]
fn outputs_are_byte_identical_across_runs_and_thread_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let runs = [("a", "1"), ("b", "2"), ("c", "2")];
    for (name, threads) in runs {
        std::fs::create_dir(tmp.path().join(name)).unwrap();
        run_all(&tmp.path().join(name), threads);
    }
    let first = files(&tmp.path().join("a"));
    // Every kind of output is there: Verilog, program, DRAM image, reports, search results.
    for f in [
        "m.vq",
        "build/rtl/vitfpga_accel.v",
        "build/program.bin",
        "build/dram.bin",
        "build/summary.json",
        "build/report.json",
        "build-dump/dram.bin",
        "report/report.html",
        "search/search.json",
        "search/design.toml",
    ] {
        assert!(first.contains_key(Path::new(f)), "{f} was not written");
    }
    for (name, _) in &runs[1..] {
        let other = files(&tmp.path().join(name));
        assert_eq!(first.keys().collect::<Vec<_>>(), other.keys().collect::<Vec<_>>(), "run {name} wrote other files");
        for (path, bytes) in &first {
            assert!(other[path] == *bytes, "{} differs between run a (1 thread) and run {name}", path.display());
        }
    }
}
