//! `report.md`: the shared document (`doc`) as Markdown; charts are left to report.html, each
//! sits beside a table with the same figures.

use std::fmt::Write;

use crate::doc::{document, Block};
use crate::Report;

pub fn render(r: &Report) -> String {
    let mut s = String::new();
    for b in document(r) {
        match b {
            Block::Heading(level, text) => {
                let _ = writeln!(s, "{} {text}\n", "#".repeat(level as usize));
            }
            Block::Paragraph(text) => {
                let _ = writeln!(s, "{text}\n");
            }
            Block::Note(text) => {
                let _ = writeln!(s, "> {text}\n");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(s, "- {i}");
                }
                s.push('\n');
            }
            Block::Table { head, rows } => {
                let _ = writeln!(s, "| {} |", head.join(" | "));
                let _ = writeln!(s, "|{}", "---|".repeat(head.len()));
                for row in rows {
                    let _ = writeln!(s, "| {} |", row.join(" | "));
                }
                s.push('\n');
            }
            Block::Chart(_) => {}
        }
    }
    let trimmed = s.trim_end().len();
    s.truncate(trimmed);
    s.push('\n');
    s
}
