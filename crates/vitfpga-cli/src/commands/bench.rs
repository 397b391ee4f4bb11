use std::time::Instant;

use vitfpga_golden::Golden;

use crate::error::CliError;
use crate::output::Output;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    model: super::ModelArgs,
    /// Timed inferences (the median is reported)
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

pub fn run(a: Args, out: Output) -> Result<(), CliError> {
    if a.runs == 0 {
        return Err(CliError::Usage("--runs must be at least 1".into()));
    }
    let t0 = Instant::now();
    let qm = a.model.quantize(&Output { quiet: true, ..out })?;
    let quantize_s = t0.elapsed().as_secs_f64();
    let g = Golden::new(&qm)?;
    let macs = vitfpga_graph::passes::cost::summarize(&qm.graph).macs;
    let images = vitfpga_quant::synthetic_images(&qm.graph.model, a.runs, 1);
    let _ = g.run(images.image(0)); // warm caches and the thread pool
    let times: Vec<f64> = (0..a.runs)
        .map(|i| {
            let t = Instant::now();
            std::hint::black_box(g.run(images.image(i)));
            t.elapsed().as_secs_f64()
        })
        .collect();
    let med = median(times.clone());
    let json = serde_json::json!({
        "model": qm.graph.model.name,
        "threads": rayon_threads(),
        "runs": a.runs,
        "macs": macs,
        "median_s_per_image": med,
        "images_per_s": 1.0 / med,
        "gmac_per_s": macs as f64 / med / 1e9,
        "min_s": times.iter().cloned().fold(f64::INFINITY, f64::min),
        "max_s": times.iter().cloned().fold(0.0, f64::max),
        "quantize_s": quantize_s,
    });
    out.result(&json, || {
        format!(
            "{}: golden model median {:.3} s/image ({:.2} images/s, {:.1} GMAC/s) over {} run{} on {} threads; quantization took {:.1} s\n",
            qm.graph.model.name, med, 1.0 / med, macs as f64 / med / 1e9, a.runs, if a.runs == 1 { "" } else { "s" },
            rayon_threads(), quantize_s
        )
    });
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or(usize::MAX))
}
