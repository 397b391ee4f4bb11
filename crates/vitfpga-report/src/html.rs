//! `report.html`: one self-contained file (inline CSS and SVG, no scripts, nothing fetched).

use std::fmt::Write;

use crate::markdown::{n, table_rows, yosys_sentence, TABLE_HEAD};
use crate::{svg, Report};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = String::from("<table><thead><tr>");
    for h in head {
        let _ = write!(s, "<th>{}</th>", esc(h));
    }
    s.push_str("</tr></thead><tbody>");
    for r in rows {
        s.push_str("<tr>");
        for c in r {
            let _ = write!(s, "<td>{}</td>", esc(c));
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
    s
}

pub fn render(r: &Report) -> String {
    let t = &r.throughput;
    let title = format!("vitfpga report: {} {} on {}", r.model, r.bits, r.device.name);
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
         body{{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0;font-size:13px}}\
         th,td{{border:1px solid #ccc;padding:3px 8px;text-align:right}}\
         th{{background:#f3f3f3}} td:first-child,th:first-child{{text-align:left}}\
         .note{{background:#fff7e0;border-left:4px solid #e0a800;padding:6px 10px}}\
         figure{{margin:1.5em 0}}</style></head><body>\n",
        esc(&title)
    );
    let _ = writeln!(s, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(s, "<p class=\"note\">{} Target clock {} MHz.</p>", esc(&r.clock_note), r.clock_mhz);
    let rows: Vec<Vec<String>> = table_rows(r).into_iter().map(|r| r.to_vec()).collect();
    s.push_str(&table(&TABLE_HEAD, &rows));
    s.push_str(
        "<p>Published rows are the papers' own figures, not reproduced by vitfpga; their models, precisions and \
         clocks differ.</p>\n",
    );
    let _ = writeln!(
        s,
        "<h2>Throughput</h2><p>{} cycles per frame, <b>{:.2} FPS</b>, latency {:.2} ms, {:.1} GOPS, {:.3} GOPS/DSP, \
         MAC utilization <b>{:.3}</b>; DRAM {} bytes read and {} written per frame, {:.2} GB/s of {:.1} GB/s.</p>",
        n(t.cycles_per_frame),
        t.fps,
        t.latency_ms,
        t.gops,
        t.gops_per_dsp,
        t.mac_utilization,
        n(t.dram_read_bytes),
        n(t.dram_write_bytes),
        t.ddr_demand_gbps,
        t.ddr_available_gbps
    );
    let _ = writeln!(s, "<figure>{}</figure>", svg::cycles_per_layer(r));
    let kinds: Vec<Vec<String>> = t
        .by_kind
        .iter()
        .map(|(k, v)| vec![k.clone(), n(*v), format!("{:.1} %", *v as f64 / t.cycles_per_frame as f64 * 100.0)])
        .collect();
    s.push_str(&table(&["exec-engine work", "cycles", "share"], &kinds));
    s.push_str("<h2>Resources</h2>\n");
    for c in &r.caveats {
        let _ = writeln!(s, "<p class=\"note\">{}</p>", esc(c));
    }
    let _ = writeln!(s, "<figure>{}</figure>", svg::resources(r));
    let parts: Vec<Vec<String>> = r
        .estimate
        .iter()
        .map(|p| {
            let x = &p.resources;
            vec![p.name.clone(), n(x.lut), n(x.ff), n(x.dsp), format!("{:.1}", x.bram36()), x.uram.to_string()]
        })
        .collect();
    s.push_str(&table(&["estimate by part", "LUT", "FF", "DSP", "BRAM36", "URAM"], &parts));
    if let Some(y) = &r.yosys {
        let _ = writeln!(s, "<p>{}</p>", esc(&yosys_sentence(y)));
    }
    s.push_str("<h2>Roofline</h2>\n");
    let _ = writeln!(s, "<figure>{}</figure>", svg::roofline(r));
    s.push_str("</body></html>\n");
    s
}
