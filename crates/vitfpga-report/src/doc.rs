//! The report's content, once: a list of blocks (headings, paragraphs, lists, tables, charts)
//! that `markdown` and `html` both render, so report.md and report.html say the same things in the
//! same order. Text may use `**bold**` and `` `code` ``, which both renderers understand. Charts are
//! drawn in HTML; Markdown shows the table beside each chart instead.

use crate::{Published, Report};

/// One block of the report.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A heading: level 1 (the title) or 2 (a section).
    Heading(u8, String),
    Paragraph(String),
    /// A call-out: a caveat or a note on the figures.
    Note(String),
    List(Vec<String>),
    Table {
        head: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// A chart (HTML only).
    Chart(Chart),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chart {
    CyclesPerLayer,
    Resources,
    Roofline,
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("—".to_string(), |v| v.to_string())
}

/// Thousands separators for counts.
/// A resource count: `190,748` for whole counts, one decimal for half block RAMs (`12.5`).
pub fn amount(v: f64) -> String {
    if v.fract() == 0.0 && v >= 0.0 {
        n(v as u64)
    } else {
        format!("{v:.1}")
    }
}

pub fn n(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The field's table: this design, then the published ones (labelled as such).
pub fn table_rows(r: &Report) -> Vec<[String; 12]> {
    let t = &r.table;
    let mut rows = vec![[
        t.model.clone(),
        t.bits.clone(),
        t.device.clone(),
        format!("{:.0}", t.mhz),
        n(t.lut),
        n(t.ff),
        n(t.dsp),
        format!("{:.1}", t.bram36),
        format!("{:.1}", t.fps),
        format!("{:.0}", t.gops),
        format!("{:.3}", t.gops_per_dsp),
        format!("this design (simulated; resources: {})", t.resources_from),
    ]];
    for p in &r.published {
        rows.push(published_row(p));
    }
    rows
}

fn published_row(p: &Published) -> [String; 12] {
    [
        opt(p.model.clone()),
        opt(p.bits.clone()),
        opt(p.device.clone()),
        opt(p.mhz.map(|v| format!("{v:.0}"))),
        opt(p.lut.map(n)),
        opt(p.ff.map(n)),
        opt(p.dsp.map(n)),
        opt(p.bram.map(|v| format!("{v:.1}"))),
        opt(p.fps.map(|v| format!("{v:.1}"))),
        opt(p.gops.map(|v| format!("{v:.0}"))),
        opt(p.gops_per_dsp.map(|v| format!("{v:.3}"))),
        format!("published: {} ({}){}", p.name, p.source, p.note.as_ref().map_or(String::new(), |n| format!("; {n}"))),
    ]
}

/// One sentence with a synthesis run's figures (Markdown and HTML say the same).
pub fn yosys_sentence(y: &crate::Synthesis) -> String {
    format!(
        "Yosys ({}, {:.0} s): LUT {} (of which distributed RAM {}, shift registers {}), FF {}, DSP {}, BRAM36 {:.1}, URAM {}.",
        y.tool,
        y.seconds,
        n(y.resources.lut),
        n(y.lutram),
        n(y.srl),
        n(y.resources.ff),
        n(y.resources.dsp),
        y.resources.bram36(),
        y.resources.uram
    )
}

pub const TABLE_HEAD: [&str; 12] =
    ["Model", "W/A bits", "Device", "MHz", "LUT", "FF", "DSP", "BRAM36", "FPS", "GOPS", "GOPS/DSP", "Source"];

fn table(head: &[&str], rows: Vec<Vec<String>>) -> Block {
    Block::Table { head: head.iter().map(|h| h.to_string()).collect(), rows }
}

/// The report as blocks, in order: title, the field's table, design, resources, throughput,
/// roofline.
pub fn document(r: &Report) -> Vec<Block> {
    let d = &r.design;
    let t = &r.throughput;
    let mut v = vec![
        Block::Heading(1, format!("vitfpga report: {} {} on {}", r.model, r.bits, r.device.name)),
        Block::Note(format!("{} Target clock {} MHz.", r.clock_note, r.clock_mhz)),
        table(&TABLE_HEAD, table_rows(r).into_iter().map(|r| r.to_vec()).collect()),
        Block::Paragraph(
            "Published rows are the papers' own figures (collected in crates/vitfpga-report/published.toml), not \
             reproduced by vitfpga; their models, precisions and clocks differ."
                .into(),
        ),
        Block::Heading(2, "Design".into()),
        Block::List(vec![
            format!(
                "array {}{}: {}-bit activations times {}-bit stationary operands (the widest any GEMM uses; the \
                 layers' own precision is {})",
                d.array,
                match (d.dsp_packing, d.dsp_cascade) {
                    (false, false) => "",
                    (true, false) => " DSP-packed",
                    (false, true) => " in DSP48E2 cascades",
                    (true, true) => " DSP-packed in DSP48E2 cascades",
                },
                d.a_bits,
                d.w_bits,
                r.bits
            ),
            format!(
                "row units: {} softmax ({} lanes), {} LayerNorm ({} lanes)",
                d.softmax_units,
                d.array.split('x').nth(1).unwrap_or("?"),
                d.layernorm_units,
                d.layernorm_lanes
            ),
            format!("on-chip buffers {:.2} MB; AXI port {} bytes per beat", d.buffer_bytes as f64 / 1e6, d.bus_bytes),
            format!(
                "device {} ({}), {}, DDR {:.1} GB/s",
                r.device.name, r.device.part, r.device.dsp_type, r.device.ddr_gbps
            ),
        ]),
        Block::Heading(2, "Resources".into()),
    ];
    v.extend(r.caveats.iter().map(|c| Block::Note(c.clone())));
    v.push(Block::Chart(Chart::Resources));
    v.push(table(
        &["resource", "estimate", "Yosys", "device", "% of device (estimate)", "cap"],
        r.utilization
            .iter()
            .map(|u| {
                let pct =
                    if u.available > 0.0 { format!("{:.1} %", u.estimate / u.available * 100.0) } else { "—".into() };
                vec![
                    u.resource.clone(),
                    amount(u.estimate),
                    opt(u.yosys.map(amount)),
                    amount(u.available),
                    pct,
                    format!("{:.0} %", u.cap * 100.0),
                ]
            })
            .collect(),
    ));
    v.push(Block::Paragraph(format!(
        "Estimate by part (unit models calibrated against Yosys `synth_xilinx -family {}`; buffers as block RAM at \
         their sizes; docs/hardware.md says how the whole core compares):",
        r.device.model_family
    )));
    v.push(table(
        &["part", "LUT", "FF", "DSP", "BRAM36", "URAM"],
        r.estimate
            .iter()
            .map(|p| {
                let x = &p.resources;
                vec![p.name.clone(), n(x.lut), n(x.ff), n(x.dsp), format!("{:.1}", x.bram36()), n(x.uram)]
            })
            .collect(),
    ));
    if let Some(y) = &r.yosys {
        v.push(Block::Paragraph(yosys_sentence(y)));
    }
    v.push(Block::Heading(2, "Throughput (cycle-accurate simulator)".into()));
    v.push(table(
        &["cycles/frame", "FPS", "latency", "GOPS", "GOPS/DSP", "MAC utilization", "DRAM bytes/frame", "DDR demand"],
        vec![vec![
            n(t.cycles_per_frame),
            format!("**{:.2}**", t.fps),
            format!("{:.2} ms", t.latency_ms),
            format!("{:.1}", t.gops),
            format!("{:.3}", t.gops_per_dsp),
            format!("**{:.3}**", t.mac_utilization),
            format!("{} read, {} written", n(t.dram_read_bytes), n(t.dram_write_bytes)),
            format!("{:.2} of {:.1} GB/s (AXI port {:.1})", t.ddr_demand_gbps, t.ddr_available_gbps, t.axi_port_gbps),
        ]],
    ));
    v.push(Block::Paragraph(format!(
        "Exec-engine cycles by kind of work, in execution order (stream stalls inside them: {}):",
        n(t.stream_stall_cycles)
    )));
    v.push(table(
        &["kind", "cycles", "share"],
        t.kinds_in_order()
            .into_iter()
            .map(|k| {
                let c = t.by_kind[k];
                vec![k.to_string(), n(c), format!("{:.1} %", c as f64 / t.cycles_per_frame.max(1) as f64 * 100.0)]
            })
            .collect(),
    ));
    if !t.row_engine.is_empty() {
        let parts: Vec<String> = t.row_engine.iter().map(|(k, c)| format!("{k} {}", n(*c))).collect();
        v.push(Block::Paragraph(format!("Row engine busy (beside the array): {} cycles.", parts.join(", "))));
    }
    v.push(Block::Paragraph("Cycles per layer:".into()));
    v.push(Block::Chart(Chart::CyclesPerLayer));
    v.push(table(
        &["layer", "cycles", "largest part"],
        t.by_layer
            .iter()
            .map(|l| {
                let top =
                    l.by_kind.iter().max_by_key(|(_, c)| **c).map_or(String::new(), |(k, c)| format!("{k} {}", n(*c)));
                vec![l.layer.clone(), n(l.cycles), top]
            })
            .collect(),
    ));
    let rf = &r.roofline;
    v.push(Block::Heading(2, "Roofline".into()));
    v.push(Block::Chart(Chart::Roofline));
    v.push(Block::Paragraph(format!(
        "Peak {:.0} GOPS ({} MACs/cycle), memory roof {:.1} GB/s, operational intensity {:.0} ops/byte: attainable \
         {:.0} GOPS ({}-bound); achieved {:.0} GOPS ({:.0} % of attainable).",
        rf.peak_gops,
        t.peak_macs_per_cycle,
        rf.bandwidth_gbps,
        rf.intensity,
        rf.attainable_gops,
        rf.bound,
        rf.achieved_gops,
        rf.achieved_gops / rf.attainable_gops.max(1e-9) * 100.0
    )));
    v
}
