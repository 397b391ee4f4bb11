//! Bad input, every kind the commands read: malformed and adversarial model TOML, corrupted and
//! truncated safetensors, `.npy` and program files, bad quantisation and design flags, unknown
//! devices, unwritable outputs. Each case must end with a clear `error: ...` and exit 1 (or clap's 2
//! for a command line it rejects), never a panic (101), never a hang.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/digits").join(name).display().to_string()
}

const DIGITS: &str = "name = \"digits-vit\"\nimg_size = 8\npatch_size = 2\nin_chans = 1\nembed_dim = 64\ndepth = 3\n\
num_heads = 4\nmlp_ratio = 2.0\nnum_classes = 10\nln_eps = 1e-6\n";

/// Run with a time limit; (exit code, stderr).
fn run(args: &[String]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vitfpga"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vitfpga");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
            return (status.code(), err);
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("{args:?} hung (over 120 s)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

struct Corpus {
    dir: tempfile::TempDir,
    cases: Vec<(String, Vec<String>)>,
}

impl Corpus {
    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let p: PathBuf = self.dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p.display().to_string()
    }
    fn case(&mut self, what: impl Into<String>, args: &[&str]) {
        self.cases.push((what.into(), args.iter().map(|s| s.to_string()).collect()));
    }
}

/// `vitfpga eval` of the digits model, weights and calibration, with `extra` arguments.
fn eval_digits(extra: &[&str]) -> Vec<String> {
    let (m, w, x) = (fixture("model.toml"), fixture("weights.safetensors"), fixture("calib_images.npy"));
    ["eval", "--model", &m, "--weights", &w, "--calib", &x].iter().chain(extra).map(|s| s.to_string()).collect()
}

fn npy_header(descr: &str, shape: &str) -> Vec<u8> {
    let mut h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut v = b"\x93NUMPY\x01\x00".to_vec();
    v.extend_from_slice(&(h.len() as u16).to_le_bytes());
    v.extend_from_slice(h.as_bytes());
    v
}

#[test]
fn every_bad_input_gets_a_clear_error() {
    let mut c = Corpus { dir: tempfile::tempdir().unwrap(), cases: Vec::new() };
    let out = c.dir.path().join("out").display().to_string();

    // Model TOML: each field wrong in type, sign, size; broken structure.
    let fields =
        ["img_size", "patch_size", "in_chans", "embed_dim", "depth", "num_heads", "mlp_ratio", "num_classes", "ln_eps"];
    for f in fields {
        for bad in ["-1", "0", "\"eight\"", "1e30", "99999999999", "[1, 2]"] {
            let text: String = DIGITS
                .lines()
                .map(|l| if l.starts_with(&format!("{f} =")) { format!("{f} = {bad}") } else { l.to_string() })
                .collect::<Vec<_>>()
                .join("\n");
            if text == DIGITS.trim_end() {
                continue;
            }
            let p = c.file(&format!("m_{f}_{}.toml", c.cases.len()), text.as_bytes());
            c.case(format!("model {f} = {bad}"), &["info", "--model", &p]);
        }
        let text: String = DIGITS.lines().filter(|l| !l.starts_with(&format!("{f} ="))).collect::<Vec<_>>().join("\n");
        // in_chans, num_classes, mlp_ratio and ln_eps have timm's defaults.
        if !["mlp_ratio", "ln_eps", "in_chans", "num_classes"].contains(&f) {
            let p = c.file(&format!("m_no_{f}.toml"), text.as_bytes());
            c.case(format!("model without {f}"), &["info", "--model", &p]);
        }
    }
    for (what, text) in [
        ("heads not dividing dim", DIGITS.replace("num_heads = 4", "num_heads = 5")),
        ("patch not dividing image", DIGITS.replace("patch_size = 2", "patch_size = 3")),
        (
            "10 000 layers of 16 384",
            DIGITS.replace("depth = 3", "depth = 10000").replace("embed_dim = 64", "embed_dim = 16384"),
        ),
        (
            "4096-pixel image in 1-pixel patches",
            DIGITS.replace("img_size = 8", "img_size = 4096").replace("patch_size = 2", "patch_size = 1"),
        ),
        ("unknown field", format!("{DIGITS}colour = \"red\"\n")),
        ("not TOML", "name = \"x\nimg_size = = 3".to_string()),
        ("empty", String::new()),
        ("nan eps", DIGITS.replace("ln_eps = 1e-6", "ln_eps = nan")),
        ("inf ratio", DIGITS.replace("mlp_ratio = 2.0", "mlp_ratio = inf")),
    ] {
        let p = c.file(&format!("m_{}.toml", c.cases.len()), text.as_bytes());
        c.case(format!("model: {what}"), &["info", "--model", &p]);
        c.case(format!("model: {what} (simulate)"), &["simulate", "--model", &p]);
    }
    let garbage = c.file("garbage.toml", &[0xff, 0xfe, 0x00, 0x13, 0x37]);
    c.case("model: binary garbage", &["info", "--model", &garbage]);
    c.case("model: no such file or preset", &["info", "--model", "/nonexistent/model.toml"]);
    c.case("model: unknown preset", &["simulate", "--model", "deit-huge"]);

    // Safetensors: truncated, garbage header, wrong tensors.
    let st = std::fs::read(fixture("weights.safetensors")).unwrap();
    for cut in [0, 4, 8, 16, 100, st.len() / 2, st.len() - 1] {
        let p = c.file(&format!("w_cut{cut}.safetensors"), &st[..cut]);
        c.case(
            format!("weights truncated to {cut} bytes"),
            &["simulate", "--model", &fixture("model.toml"), "--weights", &p],
        );
    }
    let mut bad_header = st.clone();
    bad_header[8..16].copy_from_slice(b"{{{{{{{{");
    let p = c.file("w_badheader.safetensors", &bad_header);
    c.case("weights: garbage JSON header", &["simulate", "--model", &fixture("model.toml"), "--weights", &p]);
    let mut huge_len = st.clone();
    huge_len[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    let p = c.file("w_hugelen.safetensors", &huge_len);
    c.case("weights: header length 2^64-1", &["simulate", "--model", &fixture("model.toml"), "--weights", &p]);
    let tiny_model = c.file("tiny.toml", DIGITS.replace("embed_dim = 64", "embed_dim = 32").as_bytes());
    c.case(
        "weights of another model (shapes)",
        &["simulate", "--model", &tiny_model, "--weights", &fixture("weights.safetensors")],
    );
    c.case(
        "weights: missing file",
        &["simulate", "--model", &fixture("model.toml"), "--weights", "/nonexistent.safetensors"],
    );

    // .npy: truncated, wrong magic, dtype, shape.
    let npy = std::fs::read(fixture("calib_images.npy")).unwrap();
    for cut in [0, 6, 10, 60, npy.len() - 3] {
        let p = c.file(&format!("x_cut{cut}.npy"), &npy[..cut]);
        c.case(
            format!("calib .npy truncated to {cut}"),
            &["simulate", "--model", &fixture("model.toml"), "--calib", &p],
        );
    }
    let mut magic = npy.clone();
    magic[1] = b'X';
    let p = c.file("x_magic.npy", &magic);
    c.case("calib .npy wrong magic", &["simulate", "--model", &fixture("model.toml"), "--calib", &p]);
    for (descr, shape, n) in [
        ("<i4", "(2, 1, 8, 8)", 128 * 4),
        ("<f8", "(2, 1, 8, 8)", 128 * 8),
        ("<f4", "(2, 3, 8, 8)", 2 * 3 * 64 * 4),
        ("<f4", "(2, 1, 16, 16)", 2 * 256 * 4),
        ("<f4", "(2, 1, 8, 8)", 10),
        ("<f4", "(4000000000, 1, 8, 8)", 64),
        ("<f4", "()", 4),
        (">f4", "(2, 1, 8, 8)", 128 * 4),
    ] {
        let mut v = npy_header(descr, shape);
        v.extend(std::iter::repeat_n(0u8, n));
        let p = c.file(&format!("x_{}.npy", c.cases.len()), &v);
        c.cases.push((format!("images {descr} {shape} ({n} data bytes)"), eval_digits(&["--images", &p])));
    }
    let mut labels = npy_header("<i8", "(3,)");
    labels.extend(std::iter::repeat_n(0u8, 24));
    let p = c.file("labels_short.npy", &labels);
    let images = fixture("test_images.npy");
    c.cases.push(("labels: wrong count".into(), eval_digits(&["--images", &images, "--labels", &p])));

    // Quantisation and design flags.
    for (flag, v) in [
        ("--w-bits", "0"),
        ("--w-bits", "9"),
        ("--a-bits", "1"),
        ("--a-bits", "17"),
        ("--array", "0x4"),
        ("--array", "4x0"),
        ("--array", "300x300"),
        ("--array", "4by4"),
        ("--array", "-4x4"),
        ("--clock-mhz", "0"),
        ("--clock-mhz", "-5"),
        ("--clock-mhz", "nan"),
        ("--clock-mhz", "1e9"),
        ("--softmax-units", "0"),
        ("--softmax-units", "1000"),
        ("--layernorm-units", "0"),
        // 7 divides no scratchpad word of any array the default may choose (their sides are 2^a 3^b).
        ("--layernorm-lanes", "7"),
        ("--layernorm-lanes", "0"),
        ("--device", "zcu999"),
        ("--device", "/nonexistent/device.toml"),
    ] {
        c.case(format!("simulate {flag} {v}"), &["simulate", "--model", &fixture("model.toml"), flag, v]);
    }
    c.case(
        "simulate --array 8x8 --layernorm-lanes 3",
        &["simulate", "--model", &fixture("model.toml"), "--array", "8x8", "--layernorm-lanes", "3"],
    );
    c.case("array over every cap", &["simulate", "--model", "deit-base", "--array", "128x128"]);
    c.case(
        "packing on DSP48E1",
        &["simulate", "--model", &fixture("model.toml"), "--device", "pynq-z2", "--dsp-packing"],
    );
    let q = c.file("q_bad.toml", b"[model]\nw_bits = 12\n");
    c.case("quant TOML: bits out of range", &["simulate", "--model", &fixture("model.toml"), "--quant", &q]);
    let q = c.file("q_type.toml", b"[model]\nw_bits = \"eight\"\n");
    c.case("quant TOML: wrong type", &["simulate", "--model", &fixture("model.toml"), "--quant", &q]);
    let q = c.file("q_unknown.toml", b"[layer_type.nonsense]\nw_bits = 4\n");
    c.case("quant TOML: unknown layer type", &["simulate", "--model", &fixture("model.toml"), "--quant", &q]);
    let d = c.file("d_bad.toml", b"rows = \"many\"\n");
    c.case("design TOML: wrong type", &["simulate", "--model", &fixture("model.toml"), "--design", &d]);
    let d = c.file("d_neg.toml", b"rows = -3\ncols = 4\n");
    c.case("design TOML: negative rows", &["simulate", "--model", &fixture("model.toml"), "--design", &d]);
    for (what, text) in [
        ("device TOML: garbage", "lut = = 3"),
        ("device TOML: zero resources", "name = \"x\"\npart = \"p\"\nfamily = \"xcup\"\nlut = 0\nff = 0\ndsp = 0\ndsp_type = \"DSP48E2\"\nbram36 = 0\nuram = 0\nddr_channels = 1\nddr_bandwidth_gbps = 1.0\ndefault_clock_mhz = 100.0\n"),
    ] {
        let p = c.file(&format!("dev_{}.toml", c.cases.len()), text.as_bytes());
        c.case(what, &["simulate", "--model", &fixture("model.toml"), "--device", &p]);
    }
    c.case("search: target 0", &["search", "--model", &fixture("model.toml"), "--target-fps", "0", "--no-cache"]);
    c.case("search: target nan", &["search", "--model", &fixture("model.toml"), "--target-fps", "nan", "--no-cache"]);

    // Outputs that cannot be written; program files that are not programs.
    let a_file = c.file("a_file", b"x");
    c.case(
        "build into a path under a file",
        &["build", "--model", &fixture("model.toml"), "--out", &format!("{a_file}/sub")],
    );
    c.case("build into /proc", &["build", "--model", &fixture("model.toml"), "--out", "/proc/vitfpga-out"]);
    c.case("quantize into /proc", &["quantize", "--model", &fixture("model.toml"), "--out", "/proc/x.vq"]);
    let prog = c.file("p_bad.bin", b"VITFPGAP\x03\x00\x00\x00garbage");
    c.case("disasm: corrupted program", &["disasm", &prog]);
    let prog = c.file("p_magic.bin", b"NOTAPROGRAM.....");
    c.case("disasm: wrong magic", &["disasm", &prog]);
    let prog = c.file("p_empty.bin", b"");
    c.case("disasm: empty file", &["disasm", &prog]);
    let vq = c.file("m_bad.vq", b"VITFPGAQ\x01\x00\x00\x00\x00\x00\x00\x00junk");
    c.case("eval: corrupted .vq", &["eval", "--quantized", &vq, "--images", &fixture("test_images.npy")]);
    c.case("emit-unit: bad parameters", &["emit-unit", "systolic", "--array", "0x4", "--out", &out]);

    assert!(c.cases.len() >= 100, "{} cases", c.cases.len());
    let mut bad = Vec::new();
    for (what, args) in &c.cases {
        let (code, err) = run(args);
        let clear = err.lines().any(|l| l.starts_with("error: ") || l.starts_with("error:"));
        if !matches!(code, Some(1) | Some(2)) || !clear || err.contains("panicked") {
            bad.push(format!("{what}: exit {code:?}: {}", err.lines().take(3).collect::<Vec<_>>().join(" | ")));
        }
    }
    assert!(bad.is_empty(), "{} of {} cases without a clear error:\n{}", bad.len(), c.cases.len(), bad.join("\n"));
    // Nothing half-written by a refused build.
    assert!(!Path::new(&out).exists());
}
