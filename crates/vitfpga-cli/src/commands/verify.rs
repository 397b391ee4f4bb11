//! `vitfpga verify`: run images on the generated RTL in Verilator and compare every stored
//! intermediate and the logits with the golden model, and the cycle count with the simulator.

use std::path::PathBuf;

use vitfpga_compiler::CompileOptions;
use vitfpga_golden::Golden;
use vitfpga_model::{load_images, load_labels};

use crate::error::CliError;
use crate::output::Output;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::design::Source,
    #[command(flatten)]
    design: super::design::DesignArgs,
    /// Images, .npy float32 [N,C,H,W] (or [N,H,W] for one channel), normalised; without it, one
    /// synthetic image (proves the hardware; says nothing about accuracy)
    #[arg(long)]
    images: Option<PathBuf>,
    /// Labels, .npy int [N]
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Verify only the first N images
    #[arg(long)]
    limit: Option<usize>,
    /// Compare only the logits (no intermediate stores: the production program)
    #[arg(long)]
    logits_only: bool,
}

pub fn run(a: Args, out: Output) -> Result<(), CliError> {
    // Every flag checked before calibrating.
    a.source.validate()?;
    a.design.validate()?;
    let qm = a.source.load(&out)?;
    let images = match &a.images {
        Some(p) => load_images(p, &qm.graph.model)?,
        None => {
            out.note("no --images given; verifying on one synthetic image");
            vitfpga_quant::synthetic_images(&qm.graph.model, 1, 1)
        }
    };
    if a.labels.is_some() && a.images.is_none() {
        return Err(CliError::Usage("--labels needs the --images they label".into()));
    }
    let labels = a.labels.as_deref().map(load_labels).transpose()?;
    if let Some(l) = &labels {
        if l.len() != images.n {
            return Err(CliError::Usage(format!("{} labels for {} images", l.len(), images.n)));
        }
    }
    let n = a.limit.unwrap_or(images.n).min(images.n);
    let c = a.design.compile(&qm, CompileOptions { dump_intermediates: !a.logits_only, ..Default::default() }, &out)?;
    let golden = Golden::new(&qm)?;
    let sources = vec![("vitfpga_accel.v".to_string(), vitfpga_compiler::rtl::verilog(&c.program))];
    let (mut mismatches, mut rtl_correct, mut gold_correct) = (0usize, 0usize, 0usize);
    let mut rtl_cycles = Vec::new();
    let mut details = Vec::new();
    let (mut build_s, mut sim_s, mut model_s) = (0.0, 0.0, 0.0);
    let mut sim_cycles = 0;
    // Say what the long phases are doing, a line each (on stderr, also off a terminal).
    let cache = vitfpga_cosim::cache_dir();
    if vitfpga_cosim::accel::is_built(&sources) {
        out.note(format!("Verilator: this core's simulator is cached in {}", cache.display()));
    } else {
        out.note(format!(
            "Verilator: building this core's simulator (once per design, a minute or more for a large core; cached in {})",
            cache.display()
        ));
        let t = vitfpga_cosim::accel::build(&sources)?;
        out.note(format!("Verilator: built in {t:.0} s"));
        build_s += t;
    }
    out.note(format!(
        "co-simulating {n} image{} on the RTL, comparing {} with the golden model",
        if n == 1 { "" } else { "s" },
        if a.logits_only { "the logits" } else { "every stored tensor" }
    ));
    let bar = out.progress(n as u64, "co-simulating");
    for i in 0..n {
        let q = golden.quantize_input(images.image(i));
        let r = vitfpga_sim::verify::verify_image(&c, &sources, &golden, &q)?;
        build_s += r.rtl_build_seconds;
        sim_s += r.rtl_seconds;
        model_s += r.sim_seconds;
        sim_cycles = r.sim_cycles;
        if !r.bit_exact || r.rtl_cycles != r.sim_cycles {
            mismatches += 1;
        }
        if let Some(l) = &labels {
            let top = |v: &[i64]| vitfpga_quant::argmax(v);
            rtl_correct += (top(&r.rtl_logits) == l[i] as usize) as usize;
            gold_correct += (top(&r.golden_logits) == l[i] as usize) as usize;
        }
        bar.inc(1);
        if !out.json && !out.quiet {
            bar.suspend(|| {
                println!(
                    "image {i}: {} ({} tensors compared), RTL {} cycles, simulator {} cycles{}",
                    if r.bit_exact { "bit-exact" } else { "MISMATCH" },
                    r.tensors_compared,
                    r.rtl_cycles,
                    r.sim_cycles,
                    r.mismatches
                        .first()
                        .map(|m| format!(
                            "; first: {} element {} expected {} got {}",
                            m.tensor, m.element, m.expected, m.actual
                        ))
                        .unwrap_or_default()
                )
            });
        }
        rtl_cycles.push(r.rtl_cycles);
        details.push(r);
    }
    bar.finish_and_clear();
    let bit_exact = details.iter().all(|r| r.bit_exact);
    let cycles_equal = details.iter().all(|r| r.rtl_cycles == r.sim_cycles);
    let mut v = serde_json::json!({
        "bit_exact": bit_exact,
        "cycle_exact": cycles_equal,
        "images": n,
        "mismatches": mismatches,
        "rtl_cycles": rtl_cycles.first().copied(),
        "sim_cycles": sim_cycles,
        "rtl_cycles_per_image": rtl_cycles,
        "rtl_build_seconds": build_s,
        "rtl_seconds": sim_s,
        "sim_seconds": model_s,
        "intermediates_compared": !a.logits_only,
        "first_mismatches": details.iter().filter_map(|r| r.mismatches.first()).take(5).collect::<Vec<_>>(),
    });
    if labels.is_some() {
        v["rtl_top1"] = serde_json::json!(rtl_correct as f64 / n as f64);
        v["golden_top1"] = serde_json::json!(gold_correct as f64 / n as f64);
    }
    out.result(&v, || {
        let mut t = format!(
            "{n} image{}: {}, {}\n",
            if n == 1 { "" } else { "s" },
            if bit_exact { "all bit-exact" } else { "MISMATCHES" },
            if cycles_equal { "RTL cycles = simulator cycles" } else { "CYCLE COUNTS DIFFER" }
        );
        if labels.is_some() {
            t += &format!(
                "top-1: RTL {:.2} %, golden {:.2} %\n",
                100.0 * rtl_correct as f64 / n as f64,
                100.0 * gold_correct as f64 / n as f64
            );
        }
        t + &format!("Verilator build {build_s:.1} s, RTL simulation {sim_s:.1} s, cycle model {model_s:.3} s\n")
    });
    if !bit_exact || !cycles_equal {
        return Err(CliError::Usage(
            "verification failed: the RTL differs from the golden model or the simulator".into(),
        ));
    }
    Ok(())
}
