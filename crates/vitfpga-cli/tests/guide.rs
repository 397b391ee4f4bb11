//! Runs docs/guide.md, so the guide cannot rot. In order, in a scratch directory (with `fixtures/`
//! linked in):
//! - every `$ ` line of a ```console block runs; `vitfpga` is this build's binary. A line
//!   followed by an `error: ...` line must fail with exit 1 and print that message (up to its
//!   `...`); every other must succeed. `cd DIR && ...` runs the rest in DIR. `vivado` runs where it is installed; elsewhere
//!   the script it is given must exist.
//! - a ```toml file=NAME block is written to NAME before the commands after it.
//! - the ```python block runs where `timm` imports; elsewhere the files it writes
//!   (`deit_tiny.safetensors`, `calib.npy`) are made here with the same layout, synthetic values.
//! - ```console slow blocks (a Yosys run of a whole core) run only under VITFPGA_GUIDE_SLOW=1:
//!   `VITFPGA_GUIDE_SLOW=1 cargo test --release -p vitfpga-cli --test guide` runs the whole guide.
//! - ```sh blocks are the install steps, which CI itself performs; they are not run here.

use std::path::{Path, PathBuf};
use std::process::Command;

enum Step {
    /// `expect_error`: the start of the error message the guide shows (up to its `...`).
    Run {
        line: String,
        expect_error: Option<String>,
        slow: bool,
    },
    File {
        name: String,
        text: String,
    },
    Python {
        text: String,
    },
}

fn parse(guide: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    let mut lines = guide.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(info) = line.strip_prefix("```") else { continue };
        let info = info.trim().to_string();
        let mut body = Vec::new();
        for l in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push(l.to_string());
        }
        if let Some(rest) = info.strip_prefix("console") {
            let slow = rest.trim() == "slow";
            for (i, l) in body.iter().enumerate() {
                if let Some(cmd) = l.strip_prefix("$ ") {
                    let expect_error = body
                        .get(i + 1)
                        .filter(|n| n.starts_with("error:"))
                        .map(|n| n.split("...").next().unwrap_or_default().trim_end().to_string());
                    steps.push(Step::Run { line: cmd.to_string(), expect_error, slow });
                }
            }
        } else if let Some(name) = info.strip_prefix("toml file=") {
            steps.push(Step::File { name: name.trim().to_string(), text: body.join("\n") + "\n" });
        } else if info == "python" {
            steps.push(Step::Python { text: body.join("\n") + "\n" });
        }
    }
    steps
}

fn has(tool: &str, args: &[&str]) -> bool {
    Command::new(tool).args(args).output().is_ok_and(|o| o.status.success())
}

/// What the python block writes, with synthetic values: timm-layout DeiT-Tiny weights and 16
/// calibration images.
fn python_stand_in(dir: &Path) {
    let cfg = vitfpga_model::ModelConfig::resolve("deit-tiny").unwrap();
    let w = vitfpga_model::Weights::synthetic(&cfg, 7);
    let bytes: Vec<(String, Vec<u8>, Vec<usize>)> = w
        .tensors
        .iter()
        .map(|(k, t)| (k.clone(), t.data.iter().flat_map(|x| x.to_le_bytes()).collect(), t.shape.clone()))
        .collect();
    let views: Vec<(String, safetensors::tensor::TensorView)> = bytes
        .iter()
        .map(|(k, b, s)| {
            (k.clone(), safetensors::tensor::TensorView::new(safetensors::Dtype::F32, s.clone(), b).unwrap())
        })
        .collect();
    safetensors::serialize_to_file(views, &None, &dir.join("deit_tiny.safetensors")).unwrap();
    let images = vitfpga_quant::synthetic_images(&cfg, 16, 3);
    use npyz::WriterBuilder;
    let mut f = std::fs::File::create(dir.join("calib.npy")).unwrap();
    let mut npy =
        npyz::WriteOptions::<f32>::new().default_dtype().shape(&[16, 3, 224, 224]).writer(&mut f).begin_nd().unwrap();
    npy.extend(images.data.iter().copied()).unwrap();
    npy.finish().unwrap();
}

fn run_line(line: &str, dir: &Path, expect_error: Option<&str>) {
    let mut cwd = dir.to_path_buf();
    for part in line.split(" && ") {
        let words: Vec<&str> = part.split_whitespace().collect();
        match words[0] {
            "cd" => cwd = cwd.join(words[1]),
            "vitfpga" => {
                let o =
                    Command::new(env!("CARGO_BIN_EXE_vitfpga")).args(&words[1..]).current_dir(&cwd).output().unwrap();
                let err = String::from_utf8_lossy(&o.stderr);
                assert!(!err.contains("panicked"), "{line}: {err}");
                if let Some(message) = expect_error {
                    assert_eq!(o.status.code(), Some(1), "{line} should fail with exit 1: {err}");
                    assert!(err.contains(message), "{line}: the guide shows `{message}`, the tool said: {err}");
                } else {
                    assert!(o.status.success(), "{line} failed ({:?}): {err}", o.status.code());
                }
                eprintln!("ok: {line}");
            }
            "vivado" => {
                let script = words.iter().skip_while(|w| **w != "-source").nth(1).expect("vivado -source FILE");
                assert!(cwd.join(script).is_file(), "{line}: {script} was not written");
                if has("vivado", &["-version"]) {
                    let s = Command::new("vivado").args(&words[1..]).current_dir(&cwd).status().unwrap();
                    assert!(s.success(), "{line}");
                    eprintln!("ok: {line}");
                } else {
                    eprintln!("checked (no vivado here): {line}");
                }
            }
            other => panic!("the guide runs `{other}`, which this test does not know how to run"),
        }
    }
}

#[test]
fn every_command_in_the_user_guide_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let guide = std::fs::read_to_string(root.join("docs/guide.md")).unwrap();
    let steps = parse(&guide);
    let runs = steps.iter().filter(|s| matches!(s, Step::Run { .. })).count();
    assert!(runs >= 15, "the guide has only {runs} commands: did the parser break?");
    let slow = std::env::var("VITFPGA_GUIDE_SLOW").is_ok_and(|v| v == "1");
    let tmp = tempfile::tempdir().unwrap();
    let dir: PathBuf = tmp.path().to_path_buf();
    std::os::unix::fs::symlink(root.join("fixtures").canonicalize().unwrap(), dir.join("fixtures")).unwrap();
    for step in &steps {
        match step {
            Step::File { name, text } => std::fs::write(dir.join(name), text).unwrap(),
            Step::Python { text } => {
                if has("python3", &["-c", "import timm, safetensors"]) {
                    std::fs::write(dir.join("export.py"), text).unwrap();
                    let s = Command::new("python3").arg("export.py").current_dir(&dir).status().unwrap();
                    assert!(s.success(), "the guide's python block failed");
                } else {
                    eprintln!("no timm here: writing the python block's files with synthetic values");
                    python_stand_in(&dir);
                }
            }
            Step::Run { line, slow: true, .. } if !slow => {
                eprintln!("skipped (slow; VITFPGA_GUIDE_SLOW=1 runs it): {line}")
            }
            Step::Run { line, expect_error, .. } => run_line(line, &dir, expect_error.as_deref()),
        }
    }
}
