use std::path::PathBuf;

use vitfpga_model::{load_images, load_labels};

use crate::error::CliError;
use crate::output::Output;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::design::Source,
    /// Images, .npy float32 [N,C,H,W] (or [N,H,W] for one channel), normalised
    #[arg(long)]
    images: PathBuf,
    /// Labels, .npy int [N]
    #[arg(long)]
    labels: Option<PathBuf>,
}

pub fn run(a: Args, out: Output) -> Result<(), CliError> {
    a.source.validate()?;
    let qm = a.source.load(&out)?;
    let images = load_images(&a.images, &qm.graph.model)?;
    let labels = a.labels.as_deref().map(load_labels).transpose()?;
    if let Some(l) = &labels {
        if l.len() != images.n {
            return Err(CliError::Usage(format!("{} labels for {} images", l.len(), images.n)));
        }
    }
    let r = vitfpga_quant::evaluate(&qm, &images, labels.as_deref())?;
    let json = serde_json::json!({
            "images": r.images,
            "float_top1": r.float_top1,
            "int_top1": r.int_top1,
            "top1_agreement": r.top1_agreement,
            "logit_sqnr_db": r.logit_sqnr_db,
            "layers": r.layers.iter().map(|l| serde_json::json!({
                "name": l.name, "op": l.op,
                // JSON has no infinity: an exact layer reports null.
                "sqnr_db": if l.sqnr_db.is_finite() { Some(l.sqnr_db) } else { None },
            })).collect::<Vec<_>>(),
    });
    out.result(&json, || {
        let mut t = format!("{:<24} {:<14} {:>10}\n", "node", "op", "SQNR dB");
        for l in &r.layers {
            t += &format!("{:<24} {:<14} {:>10.2}\n", l.name, l.op, l.sqnr_db);
        }
        t += &format!("images: {}\n", r.images);
        if let (Some(f), Some(i)) = (r.float_top1, r.int_top1) {
            t += &format!("top-1: float {:.2} %, integer {:.2} %\n", f * 100.0, i * 100.0);
        }
        t += &format!("top-1 agreement integer vs float: {:.2} %\n", r.top1_agreement * 100.0);
        t + &format!("logit SQNR: {:.2} dB\n", r.logit_sqnr_db)
    });
    Ok(())
}
