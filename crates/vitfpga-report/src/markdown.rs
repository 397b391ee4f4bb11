//! `report.md`.

use std::fmt::Write;

use crate::{Published, Report};

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("—".to_string(), |v| v.to_string())
}

/// Thousands separators for counts.
pub(crate) fn n(v: u64) -> String {
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
pub(crate) fn table_rows(r: &Report) -> Vec<[String; 12]> {
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
pub(crate) fn yosys_sentence(y: &crate::Synthesis) -> String {
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

pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let d = &r.design;
    let t = &r.throughput;
    let _ = writeln!(s, "# vitfpga report: {} {} on {}\n", r.model, r.bits, r.device.name);
    let _ = writeln!(s, "> {} Target clock {} MHz.\n", r.clock_note, r.clock_mhz);
    let _ = writeln!(s, "| {} |", TABLE_HEAD.join(" | "));
    let _ = writeln!(s, "|{}", "---|".repeat(TABLE_HEAD.len()));
    for row in table_rows(r) {
        let _ = writeln!(s, "| {} |", row.join(" | "));
    }
    let _ = writeln!(
        s,
        "\nPublished rows are the papers' own figures (collected in crates/vitfpga-report/published.toml), not \
         reproduced by vitfpga; their models, precisions and clocks differ.\n"
    );
    let _ = writeln!(s, "## Design\n");
    let _ = writeln!(
        s,
        "- array {}{}, activations {} bits, stationary operand {} bits\n- row units: {} softmax ({} lanes), {} \
         LayerNorm ({} lanes)\n- on-chip buffers {:.2} MB; AXI port {} bytes per beat\n- device {} ({}), {}, DDR \
         {:.1} GB/s",
        d.array,
        if d.dsp_packing { " DSP-packed" } else { "" },
        d.a_bits,
        d.w_bits,
        d.softmax_units,
        d.array.split('x').nth(1).unwrap_or("?"),
        d.layernorm_units,
        d.layernorm_lanes,
        d.buffer_bytes as f64 / 1e6,
        d.bus_bytes,
        r.device.name,
        r.device.part,
        r.device.dsp_type,
        r.device.ddr_gbps
    );
    let _ = writeln!(s, "\n## Resources\n");
    for c in &r.caveats {
        let _ = writeln!(s, "> {c}\n");
    }
    let _ = writeln!(s, "| resource | estimate | Yosys | device | % of device (estimate) | cap |");
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for u in &r.utilization {
        let pct = if u.available > 0.0 { format!("{:.1} %", u.estimate / u.available * 100.0) } else { "—".into() };
        let _ = writeln!(
            s,
            "| {} | {:.1} | {} | {:.0} | {} | {:.0} % |",
            u.resource,
            u.estimate,
            opt(u.yosys.map(|v| format!("{v:.1}"))),
            u.available,
            pct,
            u.cap * 100.0
        );
    }
    let _ = writeln!(
        s,
        "\nEstimate by part (unit models calibrated against Yosys `synth_xilinx -family {}`; buffers as block \
         RAM at their sizes; docs/hardware.md says how the whole core compares):\n",
        r.device.model_family
    );
    let _ = writeln!(s, "| part | LUT | FF | DSP | BRAM36 | URAM |");
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for p in &r.estimate {
        let x = &p.resources;
        let _ =
            writeln!(s, "| {} | {} | {} | {} | {:.1} | {} |", p.name, n(x.lut), n(x.ff), n(x.dsp), x.bram36(), x.uram);
    }
    if let Some(y) = &r.yosys {
        let _ = writeln!(s, "\n{}", yosys_sentence(y));
    }
    let _ = writeln!(s, "\n## Throughput (cycle-accurate simulator)\n");
    let _ = writeln!(
        s,
        "| cycles/frame | FPS | latency | GOPS | GOPS/DSP | MAC utilization | DRAM bytes/frame | DDR demand |\n\
         |---|---|---|---|---|---|---|---|\n| {} | {:.2} | {:.2} ms | {:.1} | {:.3} | {:.3} | {} read, {} written | \
         {:.2} of {:.1} GB/s (AXI port {:.1}) |",
        n(t.cycles_per_frame),
        t.fps,
        t.latency_ms,
        t.gops,
        t.gops_per_dsp,
        t.mac_utilization,
        n(t.dram_read_bytes),
        n(t.dram_write_bytes),
        t.ddr_demand_gbps,
        t.ddr_available_gbps,
        t.axi_port_gbps
    );
    let _ = writeln!(
        s,
        "\nExec-engine cycles by kind of work (stream stalls inside them: {}):\n",
        n(t.stream_stall_cycles)
    );
    let _ = writeln!(s, "| kind | cycles | share |");
    let _ = writeln!(s, "|---|---|---|");
    for (k, v) in &t.by_kind {
        let _ = writeln!(s, "| {k} | {} | {:.1} % |", n(*v), *v as f64 / t.cycles_per_frame as f64 * 100.0);
    }
    if !t.row_engine.is_empty() {
        let parts: Vec<String> = t.row_engine.iter().map(|(k, v)| format!("{k} {}", n(*v))).collect();
        let _ = writeln!(s, "\nRow engine busy (beside the array): {} cycles.", parts.join(", "));
    }
    let _ = writeln!(s, "\nCycles per layer:\n");
    let _ = writeln!(s, "| layer | cycles | largest part |");
    let _ = writeln!(s, "|---|---|---|");
    for l in &t.by_layer {
        let top = l.by_kind.iter().max_by_key(|(_, v)| **v).map_or(String::new(), |(k, v)| format!("{k} {}", n(*v)));
        let _ = writeln!(s, "| {} | {} | {} |", l.layer, n(l.cycles), top);
    }
    let rf = &r.roofline;
    let _ = writeln!(
        s,
        "\n## Roofline\n\nPeak {:.0} GOPS ({} MACs/cycle), memory roof {:.1} GB/s, operational intensity {:.0} ops/byte: \
         attainable {:.0} GOPS ({}-bound); achieved {:.0} GOPS ({:.0} % of attainable).",
        rf.peak_gops,
        t.peak_macs_per_cycle,
        rf.bandwidth_gbps,
        rf.intensity,
        rf.attainable_gops,
        rf.bound,
        rf.achieved_gops,
        rf.achieved_gops / rf.attainable_gops.max(1e-9) * 100.0
    );
    s
}
