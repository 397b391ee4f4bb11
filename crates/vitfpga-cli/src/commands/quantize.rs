use std::path::PathBuf;

use crate::error::CliError;
use crate::output::Output;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: super::ModelArgs,
    /// Output .vq file (written atomically)
    #[arg(long)]
    out: PathBuf,
}

pub fn run(a: Args, out: Output) -> Result<(), CliError> {
    if let Some(parent) = a.out.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::output::check_dir_path(parent)?;
    }
    a.model.validate()?;
    if a.out.is_dir() {
        return Err(CliError::Usage(format!("--out {} is a directory; give the .vq file to write", a.out.display())));
    }
    let qm = a.model.quantize(&out)?;
    // Parent folders are created, as every command that writes does.
    crate::output::write_file(&a.out, qm.to_bytes())?;
    let size = std::fs::metadata(&a.out).map(|m| m.len()).unwrap_or(0);
    let json = serde_json::json!({
        "out": a.out.display().to_string(),
        "bytes": size,
        "model": qm.graph.model.name,
        "nodes": qm.params.len(),
    });
    out.result(&json, || {
        format!(
            "wrote {} ({} bytes): {} quantized, {} nodes\n",
            a.out.display(),
            vitfpga_report::doc::n(size),
            qm.graph.model.name,
            qm.params.len()
        )
    });
    Ok(())
}
