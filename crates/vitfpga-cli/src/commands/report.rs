//! `vitfpga report`: the design report (report.md, report.json, report.html) for a model on a
//! device, without writing the RTL; `vitfpga build` writes the same files into its output.

use std::path::PathBuf;
use std::time::Instant;

use vitfpga_compiler::{CompileOptions, Compiled};
use vitfpga_device::Device;
use vitfpga_golden::{NodeParams, QuantizedModel};
use vitfpga_report::{Report, Synthesis};

use crate::error::CliError;
use crate::output::Output;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::design::Source,
    #[command(flatten)]
    design: super::design::DesignArgs,
    /// Directory for report.md, report.json and report.html
    #[arg(long)]
    out: PathBuf,
    /// Also synthesise the core and put the tool's figures beside the estimate
    #[arg(long, value_enum)]
    synth: Option<SynthTool>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SynthTool {
    /// Yosys `synth_xilinx -family <device family> -flatten`
    Yosys,
}

pub fn run(a: Args, out: Output) -> Result<(), CliError> {
    // Every flag checked before calibrating.
    crate::output::check_dir_path(&a.out)?;
    a.source.validate()?;
    a.design.validate()?;
    let qm = a.source.load(&out)?;
    let c = a.design.compile(&qm, CompileOptions::default(), &out)?;
    let device = Device::resolve(&a.design.device)?;
    let yosys = match a.synth {
        Some(SynthTool::Yosys) => Some(synthesise(&c, &device)?),
        None => None,
    };
    let r = report(&qm, &c, &device, yosys);
    let files = files(&r);
    // Each file is replaced atomically; the directory is the user's and may hold other files.
    for (name, text) in &files {
        crate::output::write_file(&a.out.join(name), text)?;
    }
    out.result(&r, || {
        format!(
            "wrote {}/report.{{md,json,html}}: {} on {}, {:.2} FPS, MAC utilization {:.3}, {} DSPs estimated\n",
            a.out.display(),
            r.model,
            r.device.name,
            r.throughput.fps,
            r.throughput.mac_utilization,
            r.estimate_total.dsp
        )
    });
    Ok(())
}

/// Precision label of the model, in the notation `vitfpga search` uses (docs/guide.md, "Mixed
/// precision"): `W<w>A<a>`, and where the attention and MLP groups differ `W<attention>/<mlp>`
/// and `A<attention>/<mlp>`; a group whose layers differ among themselves shows a range `4-8`.
/// Weight bits are the group's Linear layers'; activation bits are the outputs of the group's
/// layers. Patch embedding, head, LayerNorm and residuals are outside both groups.
pub fn bits_label(qm: &QuantizedModel) -> String {
    use std::collections::BTreeSet;
    use vitfpga_graph::LayerGroup;
    let g = &qm.graph;
    let mut w: [BTreeSet<u32>; 2] = Default::default();
    let mut a: [BTreeSet<u32>; 2] = Default::default();
    for (name, p) in &qm.params {
        let Some(id) = g.find(name) else { continue };
        let node = g.node(id);
        // Scores are wide integer sums, not quantised activations.
        if node.layer_type == vitfpga_graph::LayerType::AttnScores {
            continue;
        }
        let i = match node.layer_type.group() {
            LayerGroup::Attention => 0,
            LayerGroup::Mlp => 1,
            _ => continue,
        };
        if let NodeParams::Linear { w_bits, .. } = p {
            w[i].insert(*w_bits);
        }
        a[i].insert(p.out().bits);
    }
    let set = |s: &BTreeSet<u32>| match (s.first(), s.last()) {
        (Some(lo), Some(hi)) if lo == hi => lo.to_string(),
        (Some(lo), Some(hi)) => format!("{lo}-{hi}"),
        _ => "8".to_string(),
    };
    let pair = |s: &[BTreeSet<u32>; 2]| {
        let (x, y) = (set(&s[0]), set(&s[1]));
        if x == y {
            x
        } else {
            format!("{x}/{y}")
        }
    };
    format!("W{}A{}", pair(&w), pair(&a))
}

pub fn report(qm: &QuantizedModel, c: &Compiled, device: &Device, yosys: Option<Synthesis>) -> Report {
    let p = &c.program;
    let t = vitfpga_sim::timing::run(p);
    let f = vitfpga_sim::figures(p, &t);
    vitfpga_report::build(p, &t, &f, device, &bits_label(qm), yosys)
}

/// The report's three files.
pub fn files(r: &Report) -> Vec<(&'static str, String)> {
    vec![
        ("report.md", vitfpga_report::markdown::render(r)),
        ("report.json", serde_json::to_string_pretty(r).expect("serialisable")),
        ("report.html", vitfpga_report::html::render(r)),
    ]
}

/// Yosys on the whole core for the device's family.
pub fn synthesise(c: &Compiled, device: &Device) -> Result<Synthesis, CliError> {
    if device.family == "versal" {
        return Err(CliError::Usage(format!(
            "--synth yosys: Yosys has no flow for {} ({}, Versal); use vivado/create_project.tcl",
            device.name, device.part
        )));
    }
    let design = vitfpga_cosim::Design {
        top: "vitfpga_accel".into(),
        sources: vec![("vitfpga_accel.v".into(), vitfpga_compiler::rtl::verilog(&c.program))],
        inputs: vec![],
        outputs: vec![],
        clock: None,
    };
    let t0 = Instant::now();
    let cells = vitfpga_cosim::gates::synth_xilinx(&design, &device.family)?;
    let get = |k: &str| cells.get(k).copied().unwrap_or(0);
    Ok(Synthesis {
        tool: format!("yosys synth_xilinx -family {}", device.family),
        resources: vitfpga_hw::resources::Resources {
            // Every LUT site, as the estimate counts them (and Vivado's "CLB LUTs"): logic,
            // distributed RAM and shift registers.
            lut: get("lut") + get("lutram") + get("srl"),
            ff: get("ff"),
            dsp: get("dsp"),
            bram18: get("bram18"),
            uram: get("uram"),
        },
        lutram: get("lutram"),
        srl: get("srl"),
        seconds: t0.elapsed().as_secs_f64(),
    })
}
