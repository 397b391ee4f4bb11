use std::path::PathBuf;

use crate::error::CliError;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: super::ModelArgs,
    /// Output .vq file (written atomically)
    #[arg(long)]
    out: PathBuf,
    /// Print a JSON summary
    #[arg(long)]
    json: bool,
}

pub fn run(a: Args) -> Result<(), CliError> {
    let qm = a.model.quantize(a.json)?;
    qm.save(&a.out)?;
    let size = std::fs::metadata(&a.out).map(|m| m.len()).unwrap_or(0);
    if a.json {
        super::print_json(&serde_json::json!({
            "out": a.out.display().to_string(),
            "bytes": size,
            "model": qm.graph.model.name,
            "nodes": qm.params.len(),
        }));
    } else {
        println!(
            "wrote {} ({} bytes): {} quantized, {} nodes",
            a.out.display(),
            size,
            qm.graph.model.name,
            qm.params.len()
        );
    }
    Ok(())
}
