//! `report.html`: the shared document (`doc`) as one self-contained file (inline CSS and SVG, no
//! scripts, nothing fetched).

use std::fmt::Write;

use crate::doc::{document, Block, Chart};
use crate::{svg, Report};

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Escaped text with the document's inline marks: `**bold**` and `` `code` ``.
fn inline(s: &str) -> String {
    let mut out = String::new();
    for (i, part) in esc(s).split("**").enumerate() {
        if i % 2 == 1 {
            let _ = write!(out, "<b>{part}</b>");
        } else {
            for (j, p) in part.split('`').enumerate() {
                if j % 2 == 1 {
                    let _ = write!(out, "<code>{p}</code>");
                } else {
                    out.push_str(p);
                }
            }
        }
    }
    out
}

pub fn render(r: &Report) -> String {
    let blocks = document(r);
    let title = match blocks.first() {
        Some(Block::Heading(_, t)) => t.clone(),
        _ => "vitfpga report".into(),
    };
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
    for b in &blocks {
        match b {
            Block::Heading(level, text) => {
                let _ = writeln!(s, "<h{level}>{}</h{level}>", inline(text));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(s, "<p>{}</p>", inline(text));
            }
            Block::Note(text) => {
                let _ = writeln!(s, "<p class=\"note\">{}</p>", inline(text));
            }
            Block::List(items) => {
                s.push_str("<ul>");
                for i in items {
                    let _ = write!(s, "<li>{}</li>", inline(i));
                }
                s.push_str("</ul>\n");
            }
            Block::Table { head, rows } => {
                s.push_str("<table><thead><tr>");
                for h in head {
                    let _ = write!(s, "<th>{}</th>", inline(h));
                }
                s.push_str("</tr></thead><tbody>");
                for row in rows {
                    s.push_str("<tr>");
                    for c in row {
                        let _ = write!(s, "<td>{}</td>", inline(c));
                    }
                    s.push_str("</tr>");
                }
                s.push_str("</tbody></table>\n");
            }
            Block::Chart(c) => {
                let svg = match c {
                    Chart::CyclesPerLayer => svg::cycles_per_layer(r),
                    Chart::Resources => svg::resources(r),
                    Chart::Roofline => svg::roofline(r),
                };
                let _ = writeln!(s, "<figure>{svg}</figure>");
            }
        }
    }
    s.push_str("</body></html>\n");
    s
}
