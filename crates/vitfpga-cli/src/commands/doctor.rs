//! `vitfpga doctor`: the external tools vitfpga runs, found or not, with their versions and what
//! each is needed for. Exits non-zero when a tool the core flow needs (Verilator) is missing.

use std::process::Command;

use crate::error::CliError;
use crate::output::Output;

#[derive(clap::Args)]
pub struct Args {}

/// (tool, version arguments, needed by, required for the core flow)
const TOOLS: [(&str, &[&str], &str, bool); 4] = [
    ("verilator", &["--version"], "vitfpga verify, the co-simulation tests", true),
    ("yosys", &["-V"], "build/report --synth yosys, calibration, the synthesis gates in the tests", false),
    ("iverilog", &["-V"], "the Icarus compile gate in the tests", false),
    ("vivado", &["-version"], "running the generated vivado/create_project.tcl (optional)", false),
];

fn version(tool: &str, args: &[&str]) -> Option<String> {
    let o = Command::new(tool).args(args).output().ok()?;
    let text = if o.stdout.is_empty() { o.stderr } else { o.stdout };
    String::from_utf8_lossy(&text).lines().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_string())
}

pub fn run(_: Args, out: Output) -> Result<(), CliError> {
    let rows: Vec<(&str, Option<String>, &str, bool)> =
        TOOLS.iter().map(|&(t, args, why, req)| (t, version(t, args), why, req)).collect();
    let v: Vec<serde_json::Value> = rows
        .iter()
        .map(|(t, v, why, req)| serde_json::json!({ "tool": t, "found": v.is_some(), "version": v, "needed_for": why, "required": req }))
        .collect();
    let json = serde_json::json!({ "tools": v, "ok": rows.iter().all(|r| r.1.is_some() || !r.3) });
    out.result(&json, || {
        rows.iter()
            .map(|(t, v, why, req)| match v {
                Some(v) => format!("ok       {t:<10} {v}\n"),
                None => format!("{} {t:<10} not found; needed for {why}\n", if *req { "MISSING " } else { "missing " }),
            })
            .collect()
    });
    match rows.iter().find(|r| r.1.is_none() && r.3) {
        Some((t, ..)) => Err(CliError::Usage(format!(
            "{t} is not installed (on Debian: apt-get install {t}; scripts/test.sh installs it)"
        ))),
        None => Ok(()),
    }
}
