//! The report's three charts as inline SVG (no scripts, no external files): cycles per layer,
//! resources against the device, and the roofline.

use std::fmt::Write;

use crate::Report;

/// Sixteen distinguishable colours (Tableau 10, then six more): a ViT report has 13 kinds of work.
const PALETTE: [&str; 16] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    "#17becf", "#1f3b73", "#bcbd22", "#d62728", "#7f7f7f", "#8c564b",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Stacked horizontal bars: one per layer, one colour per kind of work, stacked in execution
/// order. The legend lists every kind with its share of the frame, so a kind too small to see as
/// a bar still says how small it is.
pub fn cycles_per_layer(r: &Report) -> String {
    let t = &r.throughput;
    let layers = &t.by_layer;
    let kinds = t.kinds_in_order();
    let colour = |k: &str| PALETTE[kinds.iter().position(|x| *x == k).unwrap_or(kinds.len()) % PALETTE.len()];
    let max = layers.iter().map(|l| l.cycles).max().unwrap_or(1).max(1) as f64;
    let (left, bar_w, row_h, top) = (110.0, 560.0, 22.0, 30.0);
    let per_row = 3;
    let legend_rows = kinds.len().div_ceil(per_row);
    let height = top + layers.len() as f64 * row_h + 30.0 + legend_rows as f64 * 18.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{height:.0}" font-family="sans-serif" font-size="12" role="img"><title>Exec-engine cycles per layer</title>"#
    );
    let _ =
        write!(s, r#"<text x="{left}" y="18" font-weight="bold">Exec-engine cycles per layer (max {max:.0})</text>"#);
    for (i, l) in layers.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let _ = write!(s, r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#, left - 6.0, y + 14.0, esc(&l.layer));
        let mut x = left;
        for k in &kinds {
            let Some(v) = l.by_kind.get(*k) else { continue };
            let w = *v as f64 / max * bar_w;
            let _ = write!(
                s,
                r#"<rect class="bar" data-kind="{}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{:.1}" fill="{}"><title>{} {}: {v} cycles</title></rect>"#,
                esc(k),
                row_h - 4.0,
                colour(k),
                esc(&l.layer),
                esc(k)
            );
            x += w;
        }
    }
    let ly = top + layers.len() as f64 * row_h + 16.0;
    let frame = t.cycles_per_frame.max(1) as f64;
    for (i, k) in kinds.iter().enumerate() {
        let (x, y) = (left + (i % per_row) as f64 * 200.0, ly + (i / per_row) as f64 * 18.0);
        let share = t.by_kind.get(*k).copied().unwrap_or(0) as f64 / frame * 100.0;
        let _ = write!(
            s,
            r#"<rect class="legend" data-kind="{}" x="{x:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{y:.1}">{} ({share:.1} %)</text>"#,
            esc(k),
            y - 10.0,
            colour(k),
            x + 16.0,
            esc(k)
        );
    }
    s.push_str("</svg>");
    s
}

/// Bars per resource as a share of the device: estimate, Yosys when it ran, and the cap.
pub fn resources(r: &Report) -> String {
    let (left, width, row_h, top) = (80.0, 520.0, 34.0, 30.0);
    let height = top + r.utilization.len() as f64 * row_h + 40.0;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{height:.0}" font-family="sans-serif" font-size="12" role="img"><title>Resources against the device</title>"#
    );
    let _ = write!(
        s,
        r#"<text x="{left}" y="18" font-weight="bold">Resources, % of {} (dashed: cap)</text>"#,
        esc(&r.device.name)
    );
    for (i, u) in r.utilization.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let pct = |v: f64| if u.available > 0.0 { v / u.available * 100.0 } else { 0.0 };
        let _ = write!(s, r#"<text x="{}" y="{:.1}" text-anchor="end">{}</text>"#, left - 6.0, y + 12.0, u.resource);
        let bar = |s: &mut String, v: f64, dy: f64, fill: &str, label: &str| {
            let p = pct(v);
            let w = (p.min(150.0) / 150.0) * width;
            let _ = write!(
                s,
                r#"<rect x="{left}" y="{:.1}" width="{w:.1}" height="12" fill="{fill}"><title>{label}: {v:.0} ({p:.1} %)</title></rect><text x="{:.1}" y="{:.1}">{p:.1} %</text>"#,
                y + dy,
                left + w + 4.0,
                y + dy + 10.0
            );
        };
        if u.available > 0.0 {
            bar(&mut s, u.estimate, 0.0, "#4e79a7", "estimate");
            if let Some(v) = u.yosys {
                bar(&mut s, v, 14.0, "#f28e2b", "yosys");
            }
            let cx = left + (u.cap * 100.0 / 150.0) * width;
            let _ = write!(
                s,
                r##"<line x1="{cx:.1}" x2="{cx:.1}" y1="{:.1}" y2="{:.1}" stroke="#333" stroke-dasharray="3,2"/>"##,
                y - 2.0,
                y + 28.0
            );
        } else {
            let _ = write!(s, r#"<text x="{left}" y="{:.1}">none on this device</text>"#, y + 12.0);
        }
    }
    let ly = top + r.utilization.len() as f64 * row_h + 14.0;
    let _ = write!(
        s,
        r##"<rect x="{left}" y="{:.1}" width="12" height="12" fill="#4e79a7"/><text x="{:.1}" y="{ly:.1}">estimate</text>"##,
        ly - 10.0,
        left + 16.0
    );
    if r.yosys.is_some() {
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{:.1}" width="12" height="12" fill="#f28e2b"/><text x="{:.1}" y="{ly:.1}">Yosys</text>"##,
            left + 100.0,
            ly - 10.0,
            left + 116.0
        );
    }
    s.push_str("</svg>");
    s
}

/// Log-log roofline: the bandwidth slope, the compute roof and the design's point.
pub fn roofline(r: &Report) -> String {
    let rf = &r.roofline;
    let (left, top, w, h) = (70.0, 30.0, 600.0, 300.0);
    // Axes span decades around the ridge point and the design.
    let ridge = rf.peak_gops / rf.bandwidth_gbps.max(1e-9);
    let xmin = 10f64.powf((ridge.min(rf.intensity) / 10.0).max(1e-3).log10().floor());
    let xmax = 10f64.powf((ridge.max(rf.intensity) * 10.0).log10().ceil());
    let ymax = 10f64.powf((rf.peak_gops * 2.0).log10().ceil());
    let ymin = 10f64.powf((rf.bandwidth_gbps * xmin).min(rf.achieved_gops.max(1e-3)).log10().floor());
    let px = |x: f64| left + (x.log10() - xmin.log10()) / (xmax.log10() - xmin.log10()) * w;
    let py = |y: f64| top + h - (y.log10() - ymin.log10()) / (ymax.log10() - ymin.log10()) * h;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{:.0}" font-family="sans-serif" font-size="12" role="img"><title>Roofline</title>"#,
        top + h + 50.0
    );
    let _ = write!(s, r#"<text x="{left}" y="18" font-weight="bold">Roofline (log-log)</text>"#);
    let _ = write!(s, r##"<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#999"/>"##);
    // Decade ticks.
    let mut x = xmin;
    while x <= xmax * 1.0001 {
        let _ = write!(
            s,
            r##"<line x1="{0:.1}" x2="{0:.1}" y1="{1}" y2="{2}" stroke="#eee"/><text x="{0:.1}" y="{3:.1}" text-anchor="middle">{4}</text>"##,
            px(x),
            top,
            top + h,
            top + h + 16.0,
            x
        );
        x *= 10.0;
    }
    let mut y = ymin;
    while y <= ymax * 1.0001 {
        let _ = write!(
            s,
            r##"<line x1="{0}" x2="{1}" y1="{2:.1}" y2="{2:.1}" stroke="#eee"/><text x="{3}" y="{4:.1}" text-anchor="end">{5}</text>"##,
            left,
            left + w,
            py(y),
            left - 4.0,
            py(y) + 4.0,
            y
        );
        y *= 10.0;
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">operations per DRAM byte</text><text x="16" y="{:.1}" transform="rotate(-90 16 {:.1})" text-anchor="middle">GOPS</text>"#,
        left + w / 2.0,
        top + h + 36.0,
        top + h / 2.0,
        top + h / 2.0
    );
    // Roof: bandwidth slope up to the ridge, then flat.
    let x0 = xmin.max(ymin / rf.bandwidth_gbps);
    let _ = write!(
        s,
        r##"<polyline points="{:.1},{:.1} {:.1},{:.1} {:.1},{:.1}" fill="none" stroke="#333" stroke-width="2"/>"##,
        px(x0),
        py(rf.bandwidth_gbps * x0),
        px(ridge),
        py(rf.peak_gops),
        px(xmax),
        py(rf.peak_gops)
    );
    // The bandwidth label runs along the slope, just above it; the peak label sits above the
    // flat roof, right-aligned: neither crosses the line.
    let (ax, ay, bx, by) = (px(x0), py(rf.bandwidth_gbps * x0), px(ridge), py(rf.peak_gops));
    let angle = (by - ay).atan2(bx - ax).to_degrees();
    let (mx, my) = ((ax + bx) / 2.0, (ay + by) / 2.0);
    let _ = write!(
        s,
        r#"<text class="roof-label" x="{:.1}" y="{:.1}" text-anchor="end">peak {:.0} GOPS</text><text class="roof-label" x="{mx:.1}" y="{:.1}" text-anchor="middle" transform="rotate({angle:.1} {mx:.1} {my:.1})">{:.1} GB/s</text>"#,
        px(xmax) - 6.0,
        py(rf.peak_gops) - 6.0,
        rf.peak_gops,
        my - 6.0,
        rf.bandwidth_gbps
    );
    // The design's label below its point (under the roof), to the right where it fits.
    let (dx, dy) = (px(rf.intensity), py(rf.achieved_gops.max(ymin)));
    let label = format!("this design: {:.0} GOPS at {:.0} ops/B ({}-bound)", rf.achieved_gops, rf.intensity, rf.bound);
    // Right of the point where it fits; else as far right as the frame allows, but never left of
    // the ridge, where the sloped roof would cross it (12 px sans-serif: about 6.5 px a character).
    let tw = 6.5 * label.len() as f64;
    let lx = if dx + 8.0 + tw <= left + w { dx + 8.0 } else { (left + w - tw).max(bx + 4.0) };
    let anchor = "start";
    let _ = write!(
        s,
        r##"<circle cx="{dx:.1}" cy="{dy:.1}" r="5" fill="#e15759"><title>{:.0} ops/B, {:.0} GOPS</title></circle><text x="{lx:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"##,
        rf.intensity,
        rf.achieved_gops,
        (dy + 18.0).min(top + h - 4.0),
        esc(&label)
    );
    s.push_str("</svg>");
    s
}
