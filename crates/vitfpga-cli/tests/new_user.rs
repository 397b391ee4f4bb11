//! Defects found by trying the tool as a new user would (issue 17), one test per item: outputs
//! that never delete the user's files, errors that name the user's path and the operation, quiet
//! broken pipes, flags that are refused rather than ignored, one search space with `build`, early
//! validation, and reports that say the same thing in every format.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{digits_model_args as digits, fails, fails_with, fixture, vitfpga};

fn vitfpga_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vitfpga")).current_dir(dir).args(args).output().expect("run vitfpga")
}

fn ok(o: Output, what: &str) -> (String, String) {
    let (out, err) = (String::from_utf8_lossy(&o.stdout).to_string(), String::from_utf8_lossy(&o.stderr).to_string());
    assert!(o.status.success(), "{what} failed: {err}");
    (out, err)
}

fn args<'a>(head: &[&'a str], model: &'a [String], tail: &[&'a str]) -> Vec<&'a str> {
    head.iter().copied().chain(model.iter().map(String::as_str)).chain(tail.iter().copied()).collect()
}

/// Item 1: `build --out` never deletes what the tool did not write: a folder of the user's is
/// refused (its files intact), a plain file is never turned into a folder, an earlier build is
/// replaced, and `--force` is the explicit way over a user's folder.
#[test]
fn item_1_build_never_deletes_the_users_files() {
    let dir = tempfile::tempdir().unwrap();
    let m = digits();
    let mine = dir.path().join("mine");
    std::fs::create_dir_all(mine.join("sub")).unwrap();
    std::fs::write(mine.join("notes.txt"), "keep").unwrap();
    std::fs::write(mine.join("sub/data.txt"), "keep").unwrap();
    let out = mine.display().to_string();
    let a = args(&["build"], &m, &["--array", "8x8", "--out", &out]);
    let err = fails(&a);
    assert!(err.contains("notes.txt") && err.contains("sub/data.txt") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(mine.join("sub/data.txt")).unwrap(), "keep");
    let file = dir.path().join("plain");
    std::fs::write(&file, "mine").unwrap();
    let f = file.display().to_string();
    let err = fails(&args(&["build"], &m, &["--array", "8x8", "--out", &f, "--force"]));
    assert!(err.contains("is a file"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine");
    // An earlier build is replaced; after the user adds a file to it, it is not.
    let b = dir.path().join("build").display().to_string();
    ok(vitfpga(&args(&["build"], &m, &["--array", "8x8", "--out", &b])), "first build");
    ok(vitfpga(&args(&["build"], &m, &["--array", "8x4", "--out", &b])), "rebuild");
    std::fs::write(Path::new(&b).join("vivado/utilization.rpt"), "vivado's").unwrap();
    let err = fails(&args(&["build"], &m, &["--array", "8x8", "--out", &b]));
    assert!(err.contains("vivado/utilization.rpt"), "{err}");
    // An empty folder someone made inside a build (Vivado's project) is not the tool's either.
    ok(vitfpga(&args(&["build"], &m, &["--array", "8x8", "--out", &b, "--force"])), "forced rebuild");
    std::fs::create_dir_all(Path::new(&b).join("vivado/project")).unwrap();
    let err = fails(&args(&["build"], &m, &["--array", "8x8", "--out", &b]));
    assert!(err.contains("vivado/project/"), "{err}");
    // A rebuild keeps the directory's permissions.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::remove_dir_all(Path::new(&b).join("vivado/project")).unwrap();
        std::fs::set_permissions(&b, std::fs::Permissions::from_mode(0o750)).unwrap();
        ok(vitfpga(&args(&["build"], &m, &["--array", "8x8", "--out", &b])), "rebuild");
        assert_eq!(std::fs::metadata(&b).unwrap().permissions().mode() & 0o777, 0o750);
    }
    // --force replaces the user's folder, as asked.
    ok(vitfpga(&args(&["build"], &m, &["--array", "8x8", "--out", &out, "--force"])), "forced build");
    assert!(!mine.join("notes.txt").exists() && mine.join("summary.json").is_file());
}

/// Item 2: errors name the user's path and say what failed (create, write), never the hidden
/// temporary; `--out .` (the current directory, which a swap would pull from under the shell) is
/// refused with a clear message; a file on the way is named before any work; `quantize` creates
/// missing parent folders as `build` does.
#[test]
fn item_2_errors_name_the_users_path_and_the_operation() {
    let m = digits();
    let err = fails(&args(&["build"], &m, &["--array", "8x8", "--out", "/proc/vitfpga-out"]));
    assert!(err.contains("cannot create /proc/vitfpga-out") && !err.contains(".tmp-"), "{err}");
    let err = fails(&args(&["quantize"], &m, &["--out", "/proc/x.vq"]));
    assert!(err.contains("cannot write /proc/x.vq") && !err.contains(".tmp"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let here = dir.path().join("here");
    std::fs::create_dir(&here).unwrap();
    let a = args(&["build"], &m, &["--array", "8x8", "--out", "."]);
    let err = fails_with(vitfpga_in(&here, &a), &a);
    assert!(err.contains("--out . is the current directory") && !err.contains("cannot read"), "{err}");
    assert_eq!(std::fs::read_dir(&here).unwrap().count(), 0, "nothing written");
    let pf = dir.path().join("pf");
    std::fs::write(&pf, "a file").unwrap();
    let sub = pf.join("sub").display().to_string();
    for cmd in [&["build"][..], &["report"], &["search", "--target-fps", "10", "--no-cache"]] {
        let a = args(cmd, &m, &["--out", &sub]);
        let err = fails(&a);
        assert!(err.contains("is a file, not a directory") && !err.contains("calibrating"), "{a:?}: {err}");
    }
    let err = fails(&args(&["quantize"], &m, &["--out", &pf.join("x.vq").display().to_string()]));
    assert!(err.contains("is a file, not a directory") && !err.contains("calibrating"), "{err}");
    let vq = dir.path().join("missing/dir/x.vq");
    ok(vitfpga(&args(&["quantize"], &m, &["--out", vq.to_str().unwrap()])), "quantize into new folders");
    assert!(vq.is_file());
}

/// Item 3: a closed stdout ends the command quietly (no panic, no exit 101).
#[test]
fn item_3_a_closed_pipe_is_not_a_panic() {
    for a in [vec!["info", "--model", "deit-base"], vec!["info", "--model", "deit-base", "--json"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vitfpga"))
            .args(&a)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read one byte, then close the pipe, as `| head -c1` does.
        let mut one = [0u8; 1];
        child.stdout.take().unwrap().read_exact(&mut one).unwrap();
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!err.contains("panicked") && o.status.code() != Some(101), "{a:?}: {:?} {err}", o.status);
    }
}

/// Item 4: options that cannot apply are refused with the reason, not ignored.
#[test]
fn item_4_options_that_cannot_apply_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let vq = dir.path().join("m.vq").display().to_string();
    ok(vitfpga(&args(&["quantize"], &digits(), &["--out", &vq])), "quantize");
    for extra in [&["--w-bits", "4"][..], &["--seed", "3"], &["--calib", &fixture("calib_images.npy")]] {
        let a: Vec<&str> = ["simulate", "--quantized", &vq].iter().copied().chain(extra.iter().copied()).collect();
        let o = vitfpga(&a);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{a:?}: {err}");
        assert!(err.contains("--quantized") && err.contains("cannot be used with"), "{err}");
    }
    for cmd in [&["simulate"][..], &["search", "--target-fps", "10", "--no-cache"]] {
        let err = fails(&args(cmd, &digits(), &["--seed", "3"]));
        assert!(err.contains("--seed") && err.contains("does not apply"), "{cmd:?}: {err}");
    }
    let images = fixture("test_images.npy");
    let o = vitfpga(&["eval", "--quantized", &vq, "--images", &images, "--w-bits", "2"]);
    assert_eq!(o.status.code(), Some(2), "eval --quantized --w-bits: {}", String::from_utf8_lossy(&o.stderr));
    let out = dir.path().join("unit").display().to_string();
    let err = fails(&["emit-unit", "softmax", "--array", "16x16", "--out", &out]);
    assert!(err.contains("does not take --array") && err.contains("--max-len"), "{err}");
    let err = fails(&["emit-unit", "buffer", "--lanes", "4", "--out", &out]);
    assert!(err.contains("does not take --lanes"), "{err}");
}

/// Item 5: `emit-unit` takes `--array RxC` like every other command.
#[test]
fn item_5_emit_unit_takes_array() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().display().to_string();
    let (json, _) = ok(vitfpga(&["emit-unit", "systolic", "--array", "16x8", "--out", &out, "--json"]), "emit-unit");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!((v["unit"]["rows"].as_u64(), v["unit"]["cols"].as_u64()), (Some(16), Some(8)), "{v}");
}

/// Item 6: the search sees every array `build` could choose (the digits model on a PYNQ-Z2 fits
/// only arrays with a side of 4), and an unreachable target is explained in prose.
#[test]
fn item_6_the_search_space_includes_builds_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache").display().to_string();
    let m = digits();
    let (json, _) = ok(
        vitfpga(&args(&["search"], &m, &["--device", "pynq-z2", "--target-fps", "100", "--cache", &cache, "--json"])),
        "search on pynq-z2",
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["feasible"], true, "{v}");
    let (json, _) = ok(
        vitfpga(&args(&["search"], &m, &["--device", "pynq-z2", "--target-fps", "1e9", "--cache", &cache, "--json"])),
        "unreachable search",
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let limit = v["limit"].as_str().unwrap();
    assert!(v["feasible"] == false && !limit.contains('{') && limit.contains("FPS"), "{limit}");
    // No design at all: a tiny device file.
    let dev = dir.path().join("tiny.toml");
    let pynq = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../constraints/pynq-z2.toml"));
    {
        let text = pynq.unwrap();
        // The board's LUT count (its first `lut =` line; the later one is the cap's share).
        let small = text.replacen("lut = 53200", "lut = 2000", 1);
        assert_ne!(small, text);
        std::fs::write(&dev, small).unwrap();
        let (json, _) = ok(
            vitfpga(&args(
                &["search"],
                &m,
                &["--device", dev.to_str().unwrap(), "--target-fps", "1", "--cache", &cache, "--json"],
            )),
            "search on a device nothing fits",
        );
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let limit = v["limit"].as_str().unwrap();
        assert!(
            limit.starts_with("no design fits") && limit.contains("over the LUT cap") && !limit.contains('{'),
            "{limit}"
        );
    }
}

/// Item 7: every flag is checked before calibration (no "calibrating" note first); board names
/// ignore case; a bad layer group lists the valid ones; a negative clock is a range error.
#[test]
fn item_7_flags_are_validated_before_the_expensive_work() {
    for (extra, expect) in [
        (&["--device", "zcu120"][..], "unknown device 'zcu120'"),
        (&["--array", "0x4"], "rows and columns must lie in 2..=128"),
        (&["--array", "8x8", "--layernorm-lanes", "5"], "layernorm_lanes 5 must divide"),
        (&["--clock-mhz", "-5"], "must lie in (0, 1000]"),
        (&["--array", "1x4"], "rows and columns must lie in 2..=128"),
        (&["--layernorm-lanes", "5"], "layernorm_lanes 5 divides the scratchpad word"),
        (&["--device", "pynq-z2", "--dsp-packing"], "--dsp-packing needs the 27-bit port"),
    ] {
        for cmd in ["build", "simulate", "report"] {
            let mut a = vec![cmd, "--model", "vit-large-16", "--out", "/tmp/vitfpga-never-written"];
            if cmd == "simulate" {
                a.truncate(3);
            }
            a.extend(extra);
            let err = fails(&a);
            assert!(err.contains(expect) && !err.contains("calibrating"), "{a:?}: {err}");
        }
    }
    assert!(!Path::new("/tmp/vitfpga-never-written").exists());
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q.toml");
    std::fs::write(&q, "[layer_type.mpl]\nw_bits = 4\n").unwrap();
    let err = fails(&["simulate", "--model", "vit-large-16", "--quant", q.to_str().unwrap()]);
    assert!(err.contains("[layer_type.mpl]") && err.contains("attention, mlp") && err.contains("fc1"), "{err}");
    assert!(!err.contains("calibrating"), "{err}");
    let (out, _) = ok(vitfpga(&args(&["simulate"], &digits(), &["--device", "ZCU102", "--array", "8x8"])), "ZCU102");
    assert!(out.contains("zcu102"), "{out}");
}

/// Item 8: without `--array` the design is the fastest by the cycle model among the arrays that
/// fit, and `--help` says so.
#[test]
fn item_8_the_default_array_is_the_fastest_that_fits() {
    let m = digits();
    let fps = |extra: &[&str]| -> f64 {
        let (out, _) = ok(vitfpga(&args(&["simulate"], &m, &[extra, &["--json"]].concat())), "simulate");
        serde_json::from_str::<serde_json::Value>(&out).unwrap()["fps"].as_f64().unwrap()
    };
    let best = fps(&[]);
    let mut compared = 0;
    for a in ["8x8", "16x16", "64x16", "16x32", "32x32"] {
        for pack in [false, true] {
            let mut e = vec!["--array", a];
            if pack {
                e.push("--dsp-packing");
            }
            let o = vitfpga(&args(&["simulate"], &m, &[&e[..], &["--json"]].concat()));
            if o.status.success() {
                let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                assert!(v["fps"].as_f64().unwrap() <= best, "{a} packed={pack} beats the default {best}");
                compared += 1;
            }
        }
    }
    // All ten fit a ZCU102 (the digits model is small): none may be skipped silently.
    assert_eq!(compared, 10);
    let (_, err) = ok(vitfpga(&args(&["simulate"], &m, &[])), "simulate");
    assert!(err.contains("is the fastest of"), "{err}");
    let (help, _) = ok(vitfpga(&["build", "--help"]), "help");
    assert!(help.contains("the fastest that fits") && !help.contains("largest that fits"), "{help}");
}

/// Items 9 and 12: the search names its accuracy metric and unit; pareto.md has a legend, marks
/// the chosen design, has no rows that differ only in the bits label, shows the row units, and
/// its LUT figure for the chosen design is the one `build` reports for it.
#[test]
fn items_9_and_12_search_outputs_name_their_quantities() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache").display().to_string();
    let out = dir.path().join("s").display().to_string();
    let m = digits();
    let (json, _) = ok(
        vitfpga(&args(&["search"], &m, &["--target-fps", "2000", "--cache", &cache, "--out", &out, "--json"])),
        "search",
    );
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let acc = &v["chosen"]["accuracy"];
    assert_eq!((acc["metric"].as_str(), acc["unit"].as_str()), (Some("top1_agreement"), Some("fraction")), "{acc}");
    let (text, _) = ok(vitfpga(&args(&["search"], &m, &["--target-fps", "2000", "--cache", &cache])), "search text");
    assert!(text.contains("% top-1 agreement with float"), "{text}");
    // The proxy (synthetic weights) is in dB and says so.
    let (text, _) =
        ok(vitfpga(&["search", "--model", &fixture("model.toml"), "--target-fps", "100", "--cache", &cache]), "proxy");
    assert!(text.contains("dB mean layer SQNR (proxy)"), "{text}");
    let md = std::fs::read_to_string(Path::new(&out).join("pareto.md")).unwrap();
    assert!(md.contains("- accuracy: top-1 agreement") && md.contains("★"), "{md}");
    // An infeasible search into the same folder replaces it whole: no stale design.toml, and
    // pareto.md says nothing met the target. Kept aside first for the build check below.
    let kept = dir.path().join("kept");
    std::fs::create_dir(&kept).unwrap();
    for f in ["design.toml", "quant.toml"] {
        std::fs::copy(Path::new(&out).join(f), kept.join(f)).unwrap();
    }
    ok(vitfpga(&args(&["search"], &m, &["--target-fps", "1e9", "--cache", &cache, "--out", &out])), "infeasible");
    assert!(!Path::new(&out).join("design.toml").exists(), "a stale design.toml outlived its search");
    let md_inf = std::fs::read_to_string(Path::new(&out).join("pareto.md")).unwrap();
    assert!(md_inf.contains("No design meets the target") && !md_inf.contains("★"), "{md_inf}");
    assert!(md.contains("| softmax | LayerNorm |"), "{md}");
    let rows: Vec<Vec<&str>> = md
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| |") && !l.contains("---"))
        .map(|l| l.split('|').map(str::trim).collect())
        .collect();
    for (i, a) in rows.iter().enumerate() {
        for b in &rows[i + 1..] {
            let strip = |r: &Vec<&str>| {
                r.iter().enumerate().filter(|(j, _)| *j != 2).map(|(_, c)| c.replace("**", "")).collect::<Vec<_>>()
            };
            assert_ne!(strip(a), strip(b), "rows differ only in bits:\n{a:?}\n{b:?}");
        }
    }
    // One model, one figure: build the chosen design and compare LUTs.
    let s = kept.as_path();
    let b = dir.path().join("b").display().to_string();
    let (json, _) = ok(
        vitfpga(&args(
            &["build"],
            &m,
            &[
                "--design",
                s.join("design.toml").to_str().unwrap(),
                "--quant",
                s.join("quant.toml").to_str().unwrap(),
                "--out",
                &b,
                "--json",
            ],
        )),
        "build the chosen design",
    );
    let built: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(built["resources"]["estimate"]["lut"], v["chosen"]["resources"]["lut"]);
}

/// Item 10: one notation for mixed precision: the report's title uses the search's label, and
/// the Design line says which widths the array multiplies at.
#[test]
fn item_10_mixed_precision_is_labelled_as_the_search_labels_it() {
    let dir = tempfile::tempdir().unwrap();
    let q = dir.path().join("q.toml");
    std::fs::write(
        &q,
        "[model]\nw_bits = 8\na_bits = 6\n[layer_type.attention]\nw_bits = 4\na_bits = 6\n[layer_type.mlp]\nw_bits = 8\na_bits = 4\n",
    )
    .unwrap();
    let out = dir.path().join("r").display().to_string();
    let m = vec!["--model".to_string(), fixture("model.toml"), "--quant".into(), q.display().to_string()];
    ok(vitfpga(&args(&["report"], &m, &["--array", "8x8", "--out", &out])), "report");
    let md = std::fs::read_to_string(Path::new(&out).join("report.md")).unwrap();
    assert!(md.starts_with("# vitfpga report: digits-vit W4/8A6/4 on zcu102"), "{}", md.lines().next().unwrap());
    assert!(md.contains("6-bit activations times 8-bit stationary operands"), "{md}");
}

/// Item 11: the HTML report renders, in headless Chromium, the same sections and tables as the
/// Markdown report, in the same order, with the per-layer bars stacked in execution order and a
/// legend entry per kind.
#[test]
fn item_11_the_html_report_says_what_the_markdown_says() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    ok(vitfpga(&args(&["report"], &digits(), &["--array", "8x8", "--out", out.to_str().unwrap()])), "report");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let dom = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("file://{}", out.join("report.html").display()))
        .output()
        .expect("chromium is installed (scripts/test.sh installs it)");
    assert!(dom.status.success(), "{}", String::from_utf8_lossy(&dom.stderr));
    let dom = String::from_utf8_lossy(&dom.stdout).to_string();
    let md_heads: Vec<&str> = md.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    let html_heads: Vec<String> =
        dom.split("<h2>").skip(1).map(|s| s.split("</h2>").next().unwrap().to_string()).collect();
    assert_eq!(md_heads, html_heads);
    assert_eq!(
        md.lines().filter(|l| l.starts_with("|---")).count(),
        dom.matches("<table>").count(),
        "one table for each"
    );
    for l in md.lines().filter(|l| l.starts_with("| ") && !l.contains("---")) {
        let first = l.split('|').nth(1).unwrap().trim().replace("**", "");
        assert!(dom.contains(&format!("<td>{first}</td>")) || dom.contains(&format!("<th>{first}</th>")), "{first}");
    }
    // Bars of a layer are stacked in the order of the kinds table (execution order).
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let order: Vec<&str> =
        report["throughput"]["kind_order"].as_array().unwrap().iter().map(|k| k.as_str().unwrap()).collect();
    let legend: Vec<&str> =
        dom.split("class=\"legend\" data-kind=\"").skip(1).map(|s| s.split('"').next().unwrap()).collect();
    assert_eq!(legend, order);
    let block0: Vec<&str> = dom
        .split("class=\"bar\" data-kind=\"")
        .skip(1)
        .filter(|s| s.contains("<title>block 0 "))
        .map(|s| s.split('"').next().unwrap())
        .collect();
    let positions: Vec<usize> = block0.iter().map(|k| order.iter().position(|o| o == k).unwrap()).collect();
    let sorted = {
        let mut p = positions.clone();
        p.sort();
        p
    };
    assert_eq!(positions, sorted, "{block0:?}");
    // And it renders: a screenshot of a page, not a blank one.
    let png = dir.path().join("report.png");
    let o = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--window-size=1000,2400"])
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", out.join("report.html").display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::metadata(&png).unwrap().len() > 20_000, "a rendered page, not a blank one");
}

/// Item 13: `verify` says what each long phase is doing, a line each, off a terminal too; and its
/// help says the Verilator build is cached.
#[test]
fn item_13_verify_reports_its_phases() {
    let (help, _) = ok(vitfpga(&["verify", "--help"]), "help");
    assert!(help.contains("caches it"), "{help}");
    // The design of cli.rs's verify test, so the two share one cached Verilator build.
    let images = fixture("test_images.npy");
    let labels = fixture("test_labels.npy");
    let (_, err) = ok(
        vitfpga(&args(
            &["verify"],
            &digits(),
            &["--array", "4x4", "--images", &images, "--labels", &labels, "--limit", "1"],
        )),
        "verify",
    );
    assert!(err.contains("note: Verilator: "), "{err}");
    assert!(err.contains("note: co-simulating 1 image on the RTL"), "{err}");
}

/// Item 14: help on every flag, boards listed, counts formatted alike, one spelling, and a
/// mixed-precision .vq smaller than the W8 one.
#[test]
fn item_14_help_and_formatting() {
    let (help, _) = ok(vitfpga(&["build", "--help"]), "help");
    for board in ["zcu102", "pynq-z2", "vck190"] {
        assert!(help.contains(board), "--device help lists {board}");
    }
    // Help sits after the flag on its line (short help) or on the next line (long help).
    let flag_has_help = |help: &str, flag: &str| {
        let mut lines =
            help.lines().skip_while(|l| !l.trim_start().starts_with(&format!("{flag} ")) && l.trim() != flag);
        let Some(line) = lines.next() else { return false };
        let rest = line.trim_start().trim_start_matches(flag).trim_start();
        let rest = if rest.starts_with('<') { rest.split_once('>').map_or("", |(_, r)| r) } else { rest };
        !rest.trim().is_empty()
            || lines.next().is_some_and(|next| !next.trim().is_empty() && !next.trim_start().starts_with('-'))
    };
    assert!(flag_has_help(&help, "--layernorm-units"), "{help}");
    let (help, _) = ok(vitfpga(&["emit-unit", "--help"]), "help");
    for f in ["--array", "--a-bits", "--lanes", "--max-len", "--depth", "--style", "--z-bits"] {
        assert!(flag_has_help(&help, f), "emit-unit {f}: {help}");
    }
    let (help, _) = ok(vitfpga(&["search", "--help"]), "help");
    assert!(flag_has_help(&help, "--seed"), "{help}");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b");
    ok(vitfpga(&args(&["build"], &digits(), &["--array", "8x8", "--out", out.to_str().unwrap()])), "build");
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    let lut = md.lines().find(|l| l.starts_with("| LUT |")).unwrap();
    assert!(!lut.contains(".0 |") && lut.contains(','), "{lut}");
    let (text, _) = ok(vitfpga(&["disasm", out.join("program.bin").to_str().unwrap()]), "disasm");
    assert!(!text.contains("Sbuf") && text.contains("sbuf"), "one spelling");
    let (text, _) = ok(vitfpga(&["bench", "--model", &fixture("model.toml"), "--runs", "1"]), "bench");
    assert!(text.contains("over 1 run on"), "{text}");
    // Low-bit weights are packed in the .vq.
    let size = |bits: &str| {
        let p = dir.path().join(format!("w{bits}.vq"));
        ok(vitfpga(&args(&["quantize"], &digits(), &["--w-bits", bits, "--out", p.to_str().unwrap()])), "quantize");
        std::fs::metadata(&p).unwrap().len()
    };
    let (w8, w4) = (size("8"), size("4"));
    let weights = 3 * (64 * 192 + 64 * 64 + 2 * 64 * 128) as u64;
    assert!(w8 - w4 >= weights / 2 - 64, "W4 .vq {w4} bytes vs W8 {w8}: low-bit weights not packed");
}
