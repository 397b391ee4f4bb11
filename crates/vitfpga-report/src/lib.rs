//! The design report: what a compiled design costs (resource estimate, and Yosys's figures when
//! synthesis ran) and what it delivers (the cycle-accurate simulator's throughput), in the form
//! the field reports them. One plain `Report` value, rendered as Markdown (`markdown`), JSON
//! (serde) and self-contained HTML with SVG charts (`html`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use vitfpga_compiler::program::{ExecOp, Program};
use vitfpga_compiler::resources::{self, Part};
use vitfpga_device::Device;
use vitfpga_hw::resources::Resources;
use vitfpga_sim::timing::Timeline;
use vitfpga_sim::Figures;

pub mod doc;
pub mod html;
pub mod markdown;
mod svg;

/// Said wherever a frame rate is: nobody has closed timing at this clock.
pub const CLOCK_NOTE: &str = "Frame rates are at the target clock; no place-and-route has closed timing at it.";

/// What the estimate does not yet capture, measured (docs/hardware.md, "Whole core").
pub const BUFFER_CAVEAT: &str = "The scratchpad and score buffer are banked: a copy of each bank per port that \
    reads it, every copy a one-writer, one-reader block RAM (counted per copy, calibrated against Yosys). The \
    controller line is a model fitted to whole-core Yosys runs (docs/hardware.md, \"Whole core\", with its error on \
    held-out cores); run --synth yosys for this core's own figures.";

/// Figures from a real synthesis run of the emitted RTL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Synthesis {
    pub tool: String,
    pub resources: Resources,
    /// Of `resources.lut`: distributed-RAM cells (RAM32M, RAM64M, ...).
    pub lutram: u64,
    /// Of `resources.lut`: shift-register cells (SRL16E, SRLC32E).
    #[serde(default)]
    pub srl: u64,
    pub seconds: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceSummary {
    pub name: String,
    pub part: String,
    pub dsp_type: String,
    pub available: Resources,
    /// Share of each resource a design may use (FINN's defaults unless the device file says otherwise).
    pub caps: BTreeMap<String, f64>,
    pub ddr_gbps: f64,
    /// The Yosys family the resource models are calibrated for (Versal: UltraScale+'s, no Yosys flow).
    pub model_family: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DesignSummary {
    pub array: String,
    pub dsp_packing: bool,
    /// Partial sums in DSP48E2 cascades (hw/vf_systolic_cascade.v).
    #[serde(default)]
    pub dsp_cascade: bool,
    pub a_bits: u32,
    pub w_bits: u32,
    pub softmax_units: usize,
    pub layernorm_units: usize,
    pub layernorm_lanes: usize,
    pub buffer_bytes: u64,
    pub bus_bytes: usize,
}

/// One resource against the device: estimate, synthesis, what the device has and its cap.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Utilization {
    pub resource: String,
    pub estimate: f64,
    pub yosys: Option<f64>,
    pub available: f64,
    pub cap: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerCycles {
    pub layer: String,
    pub cycles: u64,
    pub by_kind: BTreeMap<String, u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Throughput {
    pub cycles_per_frame: u64,
    pub fps: f64,
    pub latency_ms: f64,
    pub gops: f64,
    pub gops_per_dsp: f64,
    pub mac_utilization: f64,
    pub macs: u64,
    pub peak_macs_per_cycle: usize,
    pub dram_read_bytes: u64,
    pub dram_write_bytes: u64,
    /// DDR traffic per second at this frame rate, against what the device's memory offers and
    /// what the core's AXI port can move at the clock.
    pub ddr_demand_gbps: f64,
    pub ddr_available_gbps: f64,
    pub axi_port_gbps: f64,
    pub stream_stall_cycles: u64,
    /// Exec-engine cycles by kind of work (a wait for the row engine counts as `softmax (exposed)`
    /// or `layernorm (exposed)`, after the row instruction waited for);
    /// the row engine's busy cycles are in `row_engine`.
    pub by_kind: BTreeMap<String, u64>,
    /// The kinds of `by_kind` in the order the exec engine first runs them (`fetch + tail` last):
    /// the order of tables, stacked bars and the legend.
    #[serde(default)]
    pub kind_order: Vec<String>,
    pub row_engine: BTreeMap<String, u64>,
    pub by_layer: Vec<LayerCycles>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Roofline {
    pub peak_gops: f64,
    pub bandwidth_gbps: f64,
    /// Operations (2 per MAC) per byte of DRAM traffic.
    pub intensity: f64,
    pub attainable_gops: f64,
    pub achieved_gops: f64,
    pub bound: String,
}

/// A published design, from `published.toml` (the paper's own figures, not reproduced).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Published {
    pub name: String,
    pub source: String,
    pub device: Option<String>,
    pub model: Option<String>,
    pub bits: Option<String>,
    pub mhz: Option<f64>,
    pub lut: Option<u64>,
    pub ff: Option<u64>,
    pub dsp: Option<u64>,
    pub bram: Option<f64>,
    pub fps: Option<f64>,
    pub gops: Option<f64>,
    pub gops_per_dsp: Option<f64>,
    pub note: Option<String>,
}

/// The field's table row: Model | W/A bits | Device | MHz | LUT | FF | DSP | BRAM | FPS | GOPS | GOPS/DSP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TableRow {
    pub model: String,
    pub bits: String,
    pub device: String,
    pub mhz: f64,
    pub lut: u64,
    pub ff: u64,
    pub dsp: u64,
    pub bram36: f64,
    pub fps: f64,
    pub gops: f64,
    pub gops_per_dsp: f64,
    /// Where LUT/FF/DSP/BRAM come from: "estimate" or the synthesis tool.
    pub resources_from: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub model: String,
    pub bits: String,
    pub clock_mhz: f64,
    pub clock_note: String,
    pub caveats: Vec<String>,
    pub device: DeviceSummary,
    pub design: DesignSummary,
    pub estimate: Vec<Part>,
    pub estimate_total: Resources,
    pub yosys: Option<Synthesis>,
    pub utilization: Vec<Utilization>,
    pub throughput: Throughput,
    pub roofline: Roofline,
    pub table: TableRow,
    pub published: Vec<Published>,
}

impl Throughput {
    /// The kinds of work in execution order (`kind_order`), then any it does not list.
    pub fn kinds_in_order(&self) -> Vec<&str> {
        let mut v: Vec<&str> =
            self.kind_order.iter().map(String::as_str).filter(|k| self.by_kind.contains_key(*k)).collect();
        for k in self.by_kind.keys() {
            if !v.contains(&k.as_str()) {
                v.push(k);
            }
        }
        v
    }
}

#[derive(Deserialize)]
struct PublishedFile {
    design: Vec<Published>,
}

/// The published designs shipped with vitfpga (`crates/vitfpga-report/published.toml`).
pub fn published() -> Vec<Published> {
    let f: PublishedFile = toml::from_str(include_str!("../published.toml")).expect("published.toml parses");
    f.design
}

/// The report of a compiled program. `bits` labels the model's precision (e.g. "W8A8").
pub fn build(p: &Program, t: &Timeline, f: &Figures, device: &Device, bits: &str, yosys: Option<Synthesis>) -> Report {
    let c = &p.config;
    let estimate = resources::estimate(p);
    let total = resources::total(&estimate);
    let available =
        Resources { lut: device.lut, ff: device.ff, dsp: device.dsp, bram18: device.bram36 * 2, uram: device.uram };
    let caps: BTreeMap<String, f64> = [
        ("lut", device.caps.lut),
        ("ff", device.caps.ff),
        ("dsp", device.caps.dsp),
        ("bram", device.caps.bram),
        ("uram", device.caps.uram),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let y = yosys.as_ref().map(|s| s.resources);
    let row = |name: &str, get: fn(&Resources) -> f64, cap: f64| Utilization {
        resource: name.into(),
        estimate: get(&total),
        yosys: y.as_ref().map(get),
        available: get(&available),
        cap,
    };
    let utilization = vec![
        row("LUT", |r| r.lut as f64, device.caps.lut),
        row("FF", |r| r.ff as f64, device.caps.ff),
        row("DSP", |r| r.dsp as f64, device.caps.dsp),
        row("BRAM36", |r| r.bram36(), device.caps.bram),
        row("URAM", |r| r.uram as f64, device.caps.uram),
    ];

    let seconds = f.cycles_per_frame as f64 / (c.clock_mhz * 1e6);
    let dsp_used = y.map_or(total.dsp, |r| r.dsp).max(1);
    let ddr_demand = (f.dram_read_bytes + f.dram_write_bytes) as f64 * f.fps / 1e9;
    let (by_kind, kind_order, by_layer) = cycles_by_layer(p, t);
    let throughput = Throughput {
        cycles_per_frame: f.cycles_per_frame,
        fps: f.fps,
        latency_ms: seconds * 1e3,
        gops: f.gops,
        gops_per_dsp: f.gops / dsp_used as f64,
        mac_utilization: f.mac_utilization,
        macs: f.macs,
        peak_macs_per_cycle: f.peak_macs_per_cycle,
        dram_read_bytes: f.dram_read_bytes,
        dram_write_bytes: f.dram_write_bytes,
        ddr_demand_gbps: ddr_demand,
        ddr_available_gbps: device.ddr_bandwidth_gbps,
        axi_port_gbps: c.bus_bytes as f64 * c.clock_mhz * 1e6 / 1e9,
        stream_stall_cycles: f.stream_stall_cycles,
        by_kind,
        kind_order,
        row_engine: f.row_cycles.clone(),
        by_layer,
    };
    let peak_gops = 2.0 * f.peak_macs_per_cycle as f64 * c.clock_mhz * 1e6 / 1e9;
    let bandwidth = device.ddr_bandwidth_gbps.min(throughput.axi_port_gbps);
    let intensity = 2.0 * f.macs as f64 / (f.dram_read_bytes + f.dram_write_bytes).max(1) as f64;
    let attainable = peak_gops.min(bandwidth * intensity);
    let roofline = Roofline {
        peak_gops,
        bandwidth_gbps: bandwidth,
        intensity,
        attainable_gops: attainable,
        achieved_gops: f.gops,
        bound: if bandwidth * intensity < peak_gops { "memory" } else { "compute" }.into(),
    };
    let res = y.unwrap_or(total);
    let table = TableRow {
        model: p.model.clone(),
        bits: bits.into(),
        device: device.name.clone(),
        mhz: c.clock_mhz,
        lut: res.lut,
        ff: res.ff,
        dsp: res.dsp,
        bram36: res.bram36(),
        fps: f.fps,
        gops: f.gops,
        gops_per_dsp: throughput.gops_per_dsp,
        resources_from: yosys.as_ref().map_or("estimate".to_string(), |s| s.tool.clone()),
    };
    Report {
        model: p.model.clone(),
        bits: bits.into(),
        clock_mhz: c.clock_mhz,
        clock_note: CLOCK_NOTE.into(),
        caveats: {
            let mut v = vec![BUFFER_CAVEAT.to_string()];
            if c.family == vitfpga_hw::resources::Family::Xc7 {
                v.push(
                    "7-series: the unit models are calibrated against Yosys -family xc7 (hw/calibration/xc7.csv; \
                     no two-MAC packing on DSP48E1); the controller model is fitted to UltraScale+ whole cores \
                     and overestimates the 7-series ones (the 4x4 digits core: +7.9 % LUT, +8.3 % FF; \
                     docs/hardware.md, \"Whole core\")."
                        .into(),
                );
            }
            if device.family == "versal" {
                v.push("Versal: Yosys has no flow for it; resources are estimated with the UltraScale+ models.".into());
            }
            v
        },
        device: DeviceSummary {
            name: device.name.clone(),
            part: device.part.clone(),
            dsp_type: format!("{:?}", device.dsp_type),
            available,
            caps,
            ddr_gbps: device.ddr_bandwidth_gbps,
            model_family: c.family.name().to_string(),
        },
        design: DesignSummary {
            array: format!("{}x{}", c.rows, c.cols),
            dsp_packing: c.dsp_packing,
            dsp_cascade: c.dsp_cascade,
            a_bits: c.a_bits,
            w_bits: c.w_bits,
            softmax_units: c.softmax_units,
            layernorm_units: c.layernorm_units,
            layernorm_lanes: c.layernorm_lanes,
            buffer_bytes: resources::buffer_bytes(p),
            bus_bytes: c.bus_bytes,
        },
        estimate,
        estimate_total: total,
        yosys,
        utilization,
        throughput,
        roofline,
        table,
        published: published(),
    }
}

/// The layer an instruction belongs to ("embedding", "block N", "head") and its kind of work,
/// from the label the compiler gives it (the graph node it computes).
pub fn layer_and_kind(label: &str) -> (String, String) {
    let base = label.split('[').next().unwrap_or(label);
    let (layer, op) = match base.strip_prefix("blocks.") {
        Some(rest) => {
            let (n, op) = rest.split_once('.').unwrap_or((rest, ""));
            (format!("block {n}"), op)
        }
        None if base == "patch_embed.proj" || base == "embed" => ("embedding".to_string(), base),
        None => ("head".to_string(), base),
    };
    let kind = match op {
        "norm1" | "norm2" | "norm" => "layernorm",
        "attn.qkv" => "qkv",
        "attn.scores" => "scores",
        "attn.softmax" => "softmax",
        "attn.context" => "context",
        "add1" => "proj + residual",
        "mlp.gelu" => "fc1 + gelu",
        "add2" => "fc2 + residual",
        "patch_embed.proj" => "patch embedding",
        "embed" => "class + position",
        "head" => "head",
        other => other,
    };
    (layer, kind.to_string())
}

/// Exec-engine cycles per layer and kind: each instruction is charged from the end of the one
/// before it to its own end, so waits land on the instruction that waited (a wait for the row
/// engine is `softmax (exposed)` or `layernorm (exposed)`). What follows the last instruction (stores draining) is `tail`.
fn cycles_by_layer(p: &Program, t: &Timeline) -> (BTreeMap<String, u64>, Vec<String>, Vec<LayerCycles>) {
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut layers: Vec<LayerCycles> = Vec::new();
    let mut prev_end = t.fetch_end;
    // Row-engine instructions in issue order (their spans are `t.rows`).
    let row_kinds: Vec<&str> = p
        .exec
        .iter()
        .filter_map(|e| match e.op {
            ExecOp::Softmax(_) => Some("softmax"),
            ExecOp::LayerNorm(_) => Some("layernorm"),
            _ => None,
        })
        .collect();
    let mut rows_before = 0usize;
    for ((e, s), &row_wait) in p.exec.iter().zip(&t.exec).zip(&t.row_waits) {
        let (layer, kind) = layer_and_kind(&e.label);
        let waited = s.start.saturating_sub(prev_end + 1);
        let own = s.end - prev_end - waited;
        // Waiting on the row engine is row work not hidden behind the array, charged to the row
        // instruction that ended last among those it waited for: the one whose result it reads
        // (`wait.rows`) or, for a row instruction, the one still on the row engine.
        let is_row = matches!(e.op, ExecOp::Softmax(_) | ExecOp::LayerNorm(_));
        let waited_for =
            [(e.wait.rows as usize).checked_sub(1), if is_row { rows_before.checked_sub(1) } else { None }]
                .into_iter()
                .flatten()
                .max_by_key(|&i| t.rows.get(i).map_or(0, |r| r.end));
        rows_before += is_row as usize;
        let on_rows = row_wait.min(waited);
        let mut charge = vec![(kind.clone(), own)];
        if on_rows > 0 {
            let what = waited_for.and_then(|i| row_kinds.get(i)).copied().unwrap_or("softmax");
            charge.push((format!("{what} (exposed)"), on_rows));
        }
        if waited > on_rows {
            charge.push((kind.clone(), waited - on_rows));
        }
        // One entry per layer, in order of first appearance: row blocks interleave the end of
        // a block with the start of the next (the next block's first LayerNorm between the
        // halves of fc2), which must not split a layer into several rows.
        let at = match layers.iter().position(|l| l.layer == layer) {
            Some(i) => i,
            None => {
                layers.push(LayerCycles { layer, cycles: 0, by_kind: BTreeMap::new() });
                layers.len() - 1
            }
        };
        let l = &mut layers[at];
        for (k, v) in charge {
            if !order.contains(&k) {
                order.push(k.clone());
            }
            *by_kind.entry(k.clone()).or_default() += v;
            *l.by_kind.entry(k).or_default() += v;
            l.cycles += v;
        }
        prev_end = s.end;
    }
    let tail = t.cycles.saturating_sub(prev_end + 1);
    *by_kind.entry("fetch + tail".into()).or_default() += t.fetch_end + 1 + tail;
    order.push("fetch + tail".into());
    (by_kind, order, layers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_map_to_layers_and_kinds() {
        assert_eq!(layer_and_kind("blocks.11.attn.qkv[h3.k]"), ("block 11".into(), "qkv".into()));
        assert_eq!(layer_and_kind("blocks.0.mlp.gelu"), ("block 0".into(), "fc1 + gelu".into()));
        assert_eq!(layer_and_kind("patch_embed.proj"), ("embedding".into(), "patch embedding".into()));
        assert_eq!(layer_and_kind("head"), ("head".into(), "head".into()));
        assert_eq!(layer_and_kind("norm"), ("head".into(), "layernorm".into()));
    }

    #[test]
    fn published_designs_parse() {
        let p = published();
        assert!(p.len() >= 5);
        assert!(p.iter().any(|d| d.name == "VAQF" && d.fps == Some(24.0)));
    }
}
