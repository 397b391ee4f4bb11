//! The `vitfpga` binary end to end: good paths print what they promise; bad input gets a
//! readable error and exit code 1, never a panic (101).

mod common;

use std::path::{Path, PathBuf};

use common::{digits_model_args, fails, fixture, vitfpga};
use vitfpga_model::{ModelConfig, Weights};

fn ok_json(args: &[&str]) -> serde_json::Value {
    let o = vitfpga(args);
    assert!(o.status.success(), "{args:?} failed: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

const TINY: &str = "name = \"tiny\"\nimg_size = 8\npatch_size = 4\nin_chans = 1\nembed_dim = 8\ndepth = 1\nnum_heads = 2\nnum_classes = 3\n";

fn write_npy_f32(path: &Path, shape: &[u64], data: &[f32]) {
    use npyz::WriterBuilder;
    let mut f = std::fs::File::create(path).unwrap();
    let mut w = npyz::WriteOptions::<f32>::new().default_dtype().shape(shape).writer(&mut f).begin_nd().unwrap();
    w.extend(data.iter().copied()).unwrap();
    w.finish().unwrap();
}

struct Tiny {
    _dir: tempfile::TempDir,
    toml: PathBuf,
    weights: Vec<u8>,
    root: PathBuf,
}

fn tiny() -> Tiny {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("tiny.toml");
    std::fs::write(&toml, TINY).unwrap();
    let cfg = ModelConfig::from_toml_str(TINY, "tiny").unwrap();
    let weights = Weights::synthetic(&cfg, 5).to_safetensors_bytes();
    let root = dir.path().to_path_buf();
    Tiny { _dir: dir, toml, weights, root }
}

#[test]
fn info_totals_for_every_preset() {
    for (p, macs, params) in [
        ("deit-tiny", 1.26e9, 5.7e6),
        ("deit-small", 4.6e9, 22e6),
        ("deit-base", 17.6e9, 86e6),
        ("vit-base-16", 17.6e9, 86e6),
        ("vit-large-16", 61.6e9, 304e6),
    ] {
        let v = ok_json(&["info", "--model", p, "--json"]);
        let m = v["macs"].as_u64().unwrap() as f64;
        let n = v["params"].as_u64().unwrap() as f64;
        assert!((m - macs).abs() / macs < 0.01 && (n - params).abs() / params < 0.01, "{p}: {m} {n}");
        assert!(v["ops"].as_array().unwrap().len() > 10);
    }
}

#[test]
fn quantize_then_eval_digits() {
    let dir = tempfile::tempdir().unwrap();
    let vq = dir.path().join("d.vq");
    let vq_s = vq.display().to_string();
    ok_json(&[
        "quantize",
        "--model",
        &fixture("model.toml"),
        "--weights",
        &fixture("weights.safetensors"),
        "--calib",
        &fixture("calib_images.npy"),
        "--w-bits",
        "8",
        "--a-bits",
        "8",
        "--out",
        &vq_s,
        "--json",
    ]);
    let v = ok_json(&[
        "eval",
        "--quantized",
        &vq_s,
        "--images",
        &fixture("test_images.npy"),
        "--labels",
        &fixture("test_labels.npy"),
        "--json",
    ]);
    assert_eq!(v["images"], 360);
    let (f, i) = (v["float_top1"].as_f64().unwrap(), v["int_top1"].as_f64().unwrap());
    assert!(i >= f - 0.01, "{v}");
    assert!(v["top1_agreement"].as_f64().unwrap() > 0.98);
    let layers = v["layers"].as_array().unwrap();
    assert!(layers.iter().any(|l| l["name"] == "blocks.0.attn.softmax" && l["sqnr_db"].as_f64().unwrap() > 10.0));
}

#[test]
fn quant_toml_overrides_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q.toml");
    std::fs::write(&q, "[model]\nw_bits = 8\na_bits = 8\n[layer_type.mlp]\nw_bits = 2\n").unwrap();
    let base = [
        "eval",
        "--model",
        &fixture("model.toml"),
        "--weights",
        &fixture("weights.safetensors"),
        "--calib",
        &fixture("calib_images.npy"),
        "--images",
        &fixture("test_images.npy"),
        "--json",
    ];
    let w8 = ok_json(&base);
    let mut args = base.to_vec();
    let qs = q.display().to_string();
    args.extend(["--quant", &qs]);
    let w2 = ok_json(&args);
    let sq = |v: &serde_json::Value, n: &str| {
        v["layers"].as_array().unwrap().iter().find(|l| l["name"] == n).unwrap()["sqnr_db"].as_f64().unwrap()
    };
    assert!(sq(&w2, "blocks.0.mlp.fc1") < sq(&w8, "blocks.0.mlp.fc1") - 3.0);
    assert!((sq(&w2, "blocks.0.attn.qkv") - sq(&w8, "blocks.0.attn.qkv")).abs() < 1e-9);
}

#[test]
fn bad_model_descriptions() {
    let t = tiny();
    let p = t.root.join("bad.toml");
    for (text, needle) in [
        ("img_size = [", "malformed model TOML"),
        ("img_size = \"224\"\npatch_size = 16\nembed_dim = 8\ndepth = 1\nnum_heads = 2", "malformed model TOML"),
        (
            "img_size = 224\npatch_size = 16\nembed_dim = 10\ndepth = 1\nnum_heads = 4",
            "num_heads 4 must divide embed_dim 10",
        ),
        ("img_size = 224\npatch_size = 16\nembed_dim = 8\ndepth = 10000\nnum_heads = 2", "depth = 10000 exceeds"),
    ] {
        std::fs::write(&p, text).unwrap();
        let e = fails(&["info", "--model", &p.display().to_string()]);
        assert!(e.contains(needle), "{e}");
    }
    let e = fails(&["info", "--model", "deit-huge"]);
    assert!(e.contains("unknown model 'deit-huge'"), "{e}");
}

#[test]
fn bad_bits() {
    let t = tiny();
    let out = t.root.join("x.vq").display().to_string();
    let m = t.toml.display().to_string();
    for (flag, v, needle) in [
        ("--w-bits", "9", "model.w_bits = 9"),
        ("--w-bits", "0", "model.w_bits = 0"),
        ("--a-bits", "9", "model.a_bits = 9"),
        ("--a-bits", "1", "model.a_bits = 1"),
    ] {
        let e = fails(&["quantize", "--model", &m, flag, v, "--out", &out]);
        assert!(e.contains(needle), "{e}");
    }
    assert!(!Path::new(&out).exists(), "no output after a failure");
}

#[test]
fn bad_weights() {
    let t = tiny();
    let m = t.toml.display().to_string();
    let out = t.root.join("x.vq").display().to_string();
    let cfg = ModelConfig::from_toml_str(TINY, "tiny").unwrap();
    let w = t.root.join("w.safetensors");
    let ws = w.display().to_string();
    let q = |bytes: &[u8]| {
        std::fs::write(&w, bytes).unwrap();
        fails(&["quantize", "--model", &m, "--weights", &ws, "--out", &out])
    };
    // truncated, corrupted, empty
    assert!(q(&t.weights[..t.weights.len() / 2]).contains("not a valid safetensors file"));
    let mut bad = t.weights.clone();
    bad[9] ^= 0x55;
    bad[20] = b'}';
    assert!(q(&bad).contains("not a valid safetensors file"));
    assert!(q(b"").contains("not a valid safetensors file"));
    // missing tensor
    let mut weights = Weights::synthetic(&cfg, 1);
    weights.tensors.remove("blocks.0.mlp.fc2.bias");
    let e = q(&weights.to_safetensors_bytes());
    assert!(e.contains("missing tensor 'blocks.0.mlp.fc2.bias'") && e.contains("[8]"), "{e}");
    // wrong shape
    let mut weights = Weights::synthetic(&cfg, 1);
    weights.tensors.insert("head.weight".into(), vitfpga_model::Tensor::new(vec![4, 8], vec![0.0; 32]));
    let e = q(&weights.to_safetensors_bytes());
    assert!(e.contains("'head.weight' has shape [4, 8], expected [3, 8]"), "{e}");
    let e = fails(&["quantize", "--model", &m, "--weights", "/nonexistent/w.safetensors", "--out", &out]);
    assert!(e.contains("/nonexistent/w.safetensors"), "{e}");
    assert!(!Path::new(&out).exists());
}

#[test]
fn bad_images_and_quantized_files() {
    let t = tiny();
    let m = t.toml.display().to_string();
    let img = t.root.join("x.npy");
    write_npy_f32(&img, &[2, 1, 8, 7], &[0.0; 112]);
    let e = fails(&["eval", "--model", &m, "--images", &img.display().to_string()]);
    assert!(e.contains("[2, 1, 8, 7]") && e.contains("expected [N, 1, 8, 8]"), "{e}");
    write_npy_f32(&img, &[2, 1, 8, 8], &[0.0; 128]);
    let bytes = std::fs::read(&img).unwrap();
    std::fs::write(&img, &bytes[..bytes.len() - 10]).unwrap();
    fails(&["eval", "--model", &m, "--images", &img.display().to_string()]);

    // a .vq that is truncated, corrupted or not one at all
    let vq = t.root.join("m.vq");
    let vqs = vq.display().to_string();
    let o = vitfpga(&["quantize", "--model", &m, "--out", &vqs]);
    assert!(o.status.success());
    write_npy_f32(&img, &[2, 1, 8, 8], &[0.0; 128]);
    let good = std::fs::read(&vq).unwrap();
    let eval = || fails(&["eval", "--quantized", &vqs, "--images", &img.display().to_string()]);
    std::fs::write(&vq, &good[..good.len() - 3]).unwrap();
    assert!(eval().contains("truncated or corrupted"));
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    bad[mid] ^= 1;
    std::fs::write(&vq, &bad).unwrap();
    assert!(eval().contains("truncated or corrupted"));
    std::fs::write(&vq, b"hello").unwrap();
    assert!(eval().contains("not a vitfpga quantized model"));
    let mut old = good.clone();
    old[8] = 99;
    std::fs::write(&vq, &old).unwrap();
    assert!(eval().contains("format version 99"));
}

#[test]
fn emit_unit_writes_deterministic_verilog() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    for unit in ["systolic", "requantizer", "residual", "gelu", "softmax", "layernorm", "buffer"] {
        let v = ok_json(&["emit-unit", unit, "--out", &out, "--json"]);
        let top = v["top"].as_str().unwrap();
        let file = v["files"][0].as_str().unwrap();
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.contains(&format!("module {top} (")), "{unit}");
        assert!(!text.contains('$') || !text.contains(&format!("{top}$")), "no name$i ports");
        let again = ok_json(&["emit-unit", unit, "--out", &out, "--json"]);
        assert_eq!(
            std::fs::read_to_string(again["files"][0].as_str().unwrap()).unwrap(),
            text,
            "{unit} not deterministic"
        );
    }
    let v = ok_json(&["emit-unit", "systolic", "--array", "4x6", "--dsp-packing", "--out", &out, "--json"]);
    assert_eq!(v["timing"]["latency"], 4 + 3 - 1);
    assert_eq!(v["timing"]["dsp48e2"], 12);
    let e = fails(&["emit-unit", "systolic", "--w-bits", "1", "--dsp-packing", "--out", &out]);
    assert!(e.contains("binary"), "{e}");
    let e = fails(&["emit-unit", "softmax", "--out-bits", "9", "--out", &out]);
    assert!(e.contains("out_bits"), "{e}");
}

#[test]
fn build_writes_a_deterministic_design_and_disasm_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = vec![];
    for run in 0..2 {
        let out = dir.path().join(format!("d{run}"));
        let mut args = digits_model_args();
        args.insert(0, "build".into());
        args.extend(["--array", "8x8", "--out", out.to_str().unwrap(), "--json"].map(String::from));
        let v = ok_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(v["array"], "8x8");
        assert!(v["cycles_per_frame"].as_u64().unwrap() > 10_000);
        for f in [
            "rtl/vitfpga_accel.v",
            "host/vitfpga_program.h",
            "program.bin",
            "program.txt",
            "dram.bin",
            "constraints/zcu102.xdc",
            "vivado/create_project.tcl",
            "yosys/synth.ys",
            "summary.json",
            "report.md",
            "report.json",
            "report.html",
        ] {
            assert!(out.join(f).is_file(), "{f} missing");
        }
        // The estimate is the report's total; without --synth there are no Yosys figures.
        let est = &v["resources"]["estimate"];
        for k in ["lut", "ff", "dsp", "bram36", "uram"] {
            assert!(est[k].is_number(), "resources.estimate.{k}");
        }
        assert!(v["resources"]["yosys"].is_null());
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
        assert_eq!(report["estimate_total"]["dsp"], est["dsp"]);
        assert_eq!(report["table"]["fps"], v["fps"]);
        outs.push(out);
    }
    for f in [
        "rtl/vitfpga_accel.v",
        "host/vitfpga_program.h",
        "program.bin",
        "dram.bin",
        "summary.json",
        "report.md",
        "report.json",
        "report.html",
    ] {
        assert_eq!(std::fs::read(outs[0].join(f)).unwrap(), std::fs::read(outs[1].join(f)).unwrap(), "{f} differs");
    }
    let tcl = std::fs::read_to_string(outs[0].join("vivado/create_project.tcl")).unwrap();
    assert!(tcl.contains("-part xczu9eg-ffvb1156-2-e") && tcl.contains("zcu102.xdc"));
    let xdc = std::fs::read_to_string(outs[0].join("constraints/zcu102.xdc")).unwrap();
    assert!(xdc.contains("create_clock -period 5.000"));
    let o = vitfpga(&["disasm", outs[0].join("program.bin").to_str().unwrap()]);
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("gemm") && text.contains("softmax") && text.contains("layernorm") && text.contains("; head"));
    // A damaged program is refused with the file named.
    let bad = dir.path().join("bad.bin");
    let mut bytes = std::fs::read(outs[0].join("program.bin")).unwrap();
    let n = bytes.len();
    bytes[n / 2] ^= 1;
    std::fs::write(&bad, bytes).unwrap();
    assert!(fails(&["disasm", bad.to_str().unwrap()]).contains("checksum"));
}

#[test]
fn report_states_the_figures_the_field_reports() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = digits_model_args();
    args.insert(0, "report".into());
    // 4 rows: the 17-token GEMMs run in row blocks (layers interleave in the exec queue).
    args.extend(["--array", "4x8", "--out", dir.path().to_str().unwrap(), "--json"].map(String::from));
    let r = ok_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let t = &r["throughput"];
    let (fps, cycles) = (t["fps"].as_f64().unwrap(), t["cycles_per_frame"].as_f64().unwrap());
    assert!((fps - 200e6 / cycles).abs() / fps < 1e-9);
    assert!((t["latency_ms"].as_f64().unwrap() - 1e3 / fps).abs() < 1e-6);
    let gops_per_dsp = t["gops"].as_f64().unwrap() / r["estimate_total"]["dsp"].as_f64().unwrap();
    assert!((t["gops_per_dsp"].as_f64().unwrap() - gops_per_dsp).abs() < 1e-9);
    // Cycles per kind add up to the frame; every block has its layer.
    let sum: u64 = t["by_kind"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(sum, cycles as u64);
    let layers: Vec<&str> = t["by_layer"].as_array().unwrap().iter().map(|l| l["layer"].as_str().unwrap()).collect();
    assert_eq!(layers.first(), Some(&"embedding"));
    assert_eq!(layers.last(), Some(&"head"));
    assert!(layers.contains(&"block 0"));
    let distinct: std::collections::BTreeSet<&&str> = layers.iter().collect();
    assert_eq!(distinct.len(), layers.len(), "one row per layer: {layers:?}");
    assert!(r["roofline"]["bound"] == "compute" || r["roofline"]["bound"] == "memory");
    assert!(r["clock_note"].as_str().unwrap().contains("target clock"));
    assert!(r["published"].as_array().unwrap().len() >= 5);
    let md = std::fs::read_to_string(dir.path().join("report.md")).unwrap();
    assert!(md.contains("| Model | W/A bits | Device | MHz | LUT | FF | DSP | BRAM36 | FPS | GOPS | GOPS/DSP |"));
    assert!(md.contains("| W8A8 | zcu102 | 200 |") && md.contains("published: VAQF"));
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert_eq!(html.matches("<svg ").count(), 3);
    assert_eq!(html.matches("</svg>").count(), 3);
    // Self-contained: no scripts, nothing fetched (the only URLs are the SVG namespace).
    assert!(!html.contains("<script"));
    assert_eq!(html.matches("http").count(), html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count());
}

#[test]
fn simulate_reports_cycles_utilization_and_fps() {
    let mut args = digits_model_args();
    args.extend(["--array", "16x16", "--json"].map(String::from));
    args.insert(0, "simulate".into());
    let v = ok_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let cycles = v["cycles_per_frame"].as_f64().unwrap();
    let util = v["mac_utilization"].as_f64().unwrap();
    let fps = v["fps"].as_f64().unwrap();
    assert!(util > 0.05 && util <= 1.0, "{util}");
    assert!((fps - 200e6 / cycles).abs() / fps < 1e-9, "fps follows cycles at the device clock");
    // MACs: the graph's own count.
    let info = ok_json(&["info", "--model", &fixture("model.toml"), "--json"]);
    assert_eq!(v["macs"], info["macs"]);
}

#[test]
fn bad_designs_get_clear_errors() {
    let mut base = digits_model_args();
    base.insert(0, "simulate".into());
    let with = |extra: &[&str]| {
        let mut a: Vec<String> = base.clone();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |a: Vec<String>| fails(&a.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(run(with(&["--array", "16by16"])).contains("RxC"));
    assert!(run(with(&["--array", "1x16"])).contains("2..=128"));
    assert!(run(with(&["--array", "17x19"])).contains("lcm"));
    assert!(run(with(&["--device", "zcu999"])).contains("unknown device"));
    assert!(run(with(&["--clock-mhz=0"])).contains("clock"));
    assert!(run(with(&["--softmax-units", "0"])).contains("softmax_units"));
    let e = run(with(&["--array", "4x4", "--dsp-packing", "--device", "pynq-z2"]));
    assert!(e.contains("27-bit port of a DSP48E2") && e.contains("DSP48E1"), "{e}");
    let e = run(with(&["--array", "8x8", "--layernorm-lanes", "3"]));
    assert!(e.contains("layernorm_lanes 3 must divide") && e.contains("= 8"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let design = dir.path().join("d.toml");
    std::fs::write(&design, "rows = 8\ncols = \"many\"\n").unwrap();
    assert!(run(with(&["--design", design.to_str().unwrap()])).contains("malformed design file"));
    // Every unit's DSPs count: an array with eight 64-lane softmax units is over a ZCU102's cap,
    // named per unit; --allow-overfill makes it a warning.
    let big = ["--array", "64x64", "--dsp-packing", "--softmax-units", "8"];
    let e = run(with(&big));
    assert!(e.contains("DSP") && e.contains("softmax units 2560") && e.contains("by "), "{e}");
    let mut args = with(&big);
    args.extend(["--allow-overfill".to_string(), "--json".to_string()]);
    let o = vitfpga(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning: the design does not fit zcu102"));
    // A board with almost no block RAM cannot hold the buffers.
    let small = dir.path().join("small.toml");
    let zcu =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../constraints/zcu102.toml")).unwrap();
    std::fs::write(&small, zcu.replace("name = \"zcu102\"", "name = \"small\"").replace("bram36 = 912", "bram36 = 2"))
        .unwrap();
    let e = run(with(&["--array", "8x8", "--device", small.to_str().unwrap()]));
    assert!(e.contains("does not fit small") && e.contains("MB"), "{e}");
}

#[test]
fn verify_digits_on_the_rtl() {
    // Needs Verilator (scripts/test.sh installs it).
    let mut args = digits_model_args();
    args.insert(0, "verify".into());
    args.extend(
        [
            "--array",
            "4x4",
            "--images",
            &fixture("test_images.npy"),
            "--labels",
            &fixture("test_labels.npy"),
            "--limit",
            "2",
            "--json",
        ]
        .map(String::from),
    );
    let v = ok_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(v["bit_exact"], true, "{v}");
    assert_eq!(v["images"], 2);
    assert_eq!(v["mismatches"], 0);
    assert_eq!(v["rtl_cycles"], v["sim_cycles"]);
    assert_eq!(v["rtl_top1"], v["golden_top1"]);
}

// The HTML report in headless Chromium: tests/new_user.rs, item 11 (runs in CI; scripts/test.sh
// installs Chromium).

/// The search on the digits fixture: measured accuracies, a chosen design that meets the target,
/// a design TOML `build --design` accepts, and the same answer for one and two threads.
#[test]
fn search_meets_the_target_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let mut outs = vec![];
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("s{threads}"));
        let mut args = digits_model_args();
        args.insert(0, "search".into());
        args.extend(
            [
                "--images",
                &fixture("test_images.npy"),
                "--labels",
                &fixture("test_labels.npy"),
                "--target-fps",
                "3000",
                "--out",
                out.to_str().unwrap(),
                // The first run measures and keeps the accuracies, the second reads them back:
                // the answer must not change.
                "--cache",
                dir.path().join("cache").to_str().unwrap(),
                "--json",
            ]
            .map(String::from),
        );
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_vitfpga"))
            .args(&args)
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["feasible"], true);
        let c = &v["chosen"];
        assert!(c["fps"].as_f64().unwrap() >= 3000.0);
        assert_eq!(c["accuracy"]["basis"], "measured");
        assert!(c["accuracy"]["value"].as_f64().unwrap() > 0.9, "{c}");
        for k in ["w_bits", "a_bits", "array", "resources"] {
            assert!(!c[k].is_null(), "chosen.{k}");
        }
        assert!(v["candidates_evaluated"].as_u64().unwrap() > 1000);
        assert!(!v["pareto"].as_array().unwrap().is_empty());
        let cached = std::fs::read_dir(dir.path().join("cache")).unwrap().count();
        assert_eq!(cached, 1, "one accuracy file per set of inputs");
        outs.push(out);
    }
    for f in ["search.json", "pareto.md", "design.toml", "quant.toml"] {
        assert_eq!(std::fs::read(outs[0].join(f)).unwrap(), std::fs::read(outs[1].join(f)).unwrap(), "{f} differs");
    }
    // The chosen design builds as written.
    let mut args = digits_model_args();
    args.retain(|a| a != "--w-bits");
    let design = outs[0].join("design.toml");
    let quant = outs[0].join("quant.toml");
    args.insert(0, "simulate".into());
    args.extend(["--design", design.to_str().unwrap(), "--quant", quant.to_str().unwrap(), "--json"].map(String::from));
    let v = ok_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(v["fps"].as_f64().unwrap() >= 3000.0);
    // An unreachable target says how far it gets and why.
    let mut args = digits_model_args();
    args.insert(0, "search".into());
    args.extend(["--target-fps", "1e9", "--no-cache", "--json"].map(String::from));
    let v = ok_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(v["feasible"], false);
    assert!(v["best_fps"].as_f64().unwrap() > 0.0 && v["limit"].as_str().unwrap().contains("cap"));
}

/// `vitfpga doctor` finds the tools the test command installs and reports their versions.
#[test]
fn doctor_reports_the_tools() {
    let v = ok_json(&["doctor", "--json"]);
    assert_eq!(v["ok"], true, "{v}");
    let tools = v["tools"].as_array().unwrap();
    let verilator = tools.iter().find(|t| t["tool"] == "verilator").unwrap();
    assert!(verilator["version"].as_str().unwrap().contains("Verilator"), "{verilator}");
    assert!(tools.iter().any(|t| t["tool"] == "yosys" && t["found"] == true));
}

/// `--json` and `--quiet` are global: every command takes both. Under `--json` stdout is one JSON
/// document; under `--quiet` a successful run prints nothing on stderr, and on stdout only the data
/// a command exists to print (info's table, disasm's listing).
#[test]
fn every_command_takes_json_and_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n).display().to_string();
    let vq = p("d.vq");
    let model = digits_model_args();
    let model: Vec<&str> = model.iter().map(String::as_str).collect();
    let quantize: Vec<&str> =
        ["quantize"].into_iter().chain(model.iter().copied()).chain(["--out", vq.as_str()]).collect();
    assert!(vitfpga(&quantize).status.success());
    let (images, labels) = (fixture("test_images.npy"), fixture("test_labels.npy"));
    let (build, program, unit) = (p("build"), p("build/program.bin"), p("unit"));
    let commands: Vec<(Vec<&str>, bool)> = vec![
        (vec!["info", "--model", "deit-tiny"], true),
        (quantize.clone(), false),
        (vec!["eval", "--quantized", &vq, "--images", &images, "--labels", &labels], false),
        (["bench", "--runs", "1"].into_iter().chain(model.iter().copied()).collect(), false),
        (vec!["emit-unit", "gelu", "--out", &unit], false),
        (vec!["simulate", "--quantized", &vq], false),
        (vec!["build", "--quantized", &vq, "--out", &build], false),
        (vec!["disasm", &program], true),
        (vec!["report", "--quantized", &vq, "--out", &build], false),
        (vec!["verify", "--quantized", &vq, "--images", &images, "--limit", "1", "--logits-only"], false),
        (["search", "--target-fps", "5000", "--no-cache"].into_iter().chain(model.iter().copied()).collect(), false),
        (vec!["doctor"], false),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (args, prints_data) in &commands {
        seen.insert(args[0]);
        let json_args: Vec<&str> = args.iter().copied().chain(["--json"]).collect();
        let o = vitfpga(&json_args);
        assert!(o.status.success(), "{json_args:?}: {}", String::from_utf8_lossy(&o.stderr));
        serde_json::from_slice::<serde_json::Value>(&o.stdout)
            .unwrap_or_else(|e| panic!("{json_args:?}: stdout is not one JSON document: {e}"));
        // The flags may come before the subcommand too.
        let quiet_args: Vec<&str> = ["--quiet"].into_iter().chain(args.iter().copied()).collect();
        let o = vitfpga(&quiet_args);
        assert!(o.status.success(), "{quiet_args:?}: {}", String::from_utf8_lossy(&o.stderr));
        assert!(o.stderr.is_empty(), "{quiet_args:?} wrote to stderr: {}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(!o.stdout.is_empty(), *prints_data, "{quiet_args:?} stdout: {}", String::from_utf8_lossy(&o.stdout));
    }
    // Every subcommand is covered (the help lists them; `help` itself is clap's).
    let help = String::from_utf8_lossy(&vitfpga(&["--help"]).stdout).to_string();
    let listed: std::collections::BTreeSet<&str> = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert_eq!(listed, seen, "commands not covered by this test");
}
