//! The cycle-accurate simulator: a vitfpga program on a model of the micro-architecture.
//! [`timing`] decides every instruction's start and end cycle (no data needed: the fast mode);
//! [`functional`] computes every value the datapath writes. Both read the same program and the
//! same DRAM image the RTL testbench loads.

pub mod functional;
mod stream;
pub mod timing;
pub mod verify;

use std::collections::BTreeMap;

use serde::Serialize;
use vitfpga_compiler::image::unpack_stored;
use vitfpga_compiler::program::{ExecOp, Program};

pub use timing::{Span, Timeline};

/// Figures of one frame.
#[derive(Clone, Debug, Serialize)]
pub struct Figures {
    pub cycles_per_frame: u64,
    pub clock_mhz: f64,
    pub fps: f64,
    /// Model MACs (padding excluded) per frame.
    pub macs: u64,
    pub peak_macs_per_cycle: usize,
    /// Achieved / peak MACs per cycle.
    pub mac_utilization: f64,
    pub gops: f64,
    /// Bytes read from DRAM per frame (program, constants, image) and written (results).
    pub dram_read_bytes: u64,
    pub dram_write_bytes: u64,
    pub stream_stall_cycles: u64,
    /// Cycles the exec engine spent in each kind of instruction (a detached softmax: the two
    /// cycles of handing it to the row engine; a LayerNorm: handing it over and its parameters).
    pub exec_cycles: BTreeMap<String, u64>,
    /// Cycles the row engine spent in each kind of instruction (both run beside the array).
    pub row_cycles: BTreeMap<String, u64>,
    /// Cycles the exec engine stood waiting for the row engine (softmax or LayerNorm results not
    /// ready, or the row engine still busy when the next row instruction comes).
    pub row_wait_cycles: u64,
}

pub fn figures(p: &Program, t: &Timeline) -> Figures {
    let c = &p.config;
    let macs: u64 = p
        .exec
        .iter()
        .map(|e| match &e.op {
            ExecOp::Gemm(g) => g.useful_macs(),
            _ => 0,
        })
        .sum();
    let mut exec_cycles = BTreeMap::new();
    for (e, s) in p.exec.iter().zip(&t.exec) {
        let k = match &e.op {
            ExecOp::Gemm(_) => "gemm",
            ExecOp::Softmax(_) => "softmax",
            ExecOp::LayerNorm(_) => "layernorm",
            ExecOp::Embed(_) => "embed",
        };
        *exec_cycles.entry(k.to_string()).or_insert(0) += s.end - s.start + 1;
    }
    let mut row_cycles = BTreeMap::new();
    let row_ops = p.exec.iter().filter(|e| matches!(e.op, ExecOp::Softmax(_) | ExecOp::LayerNorm(_)));
    for (e, s) in row_ops.zip(&t.rows) {
        let k = if matches!(e.op, ExecOp::Softmax(_)) { "softmax" } else { "layernorm" };
        *row_cycles.entry(k.to_string()).or_insert(0) += s.end - s.start + 1;
    }
    let row_wait_cycles = t.row_waits.iter().sum();
    let peak = c.peak_macs_per_cycle();
    let cycles = t.cycles;
    let seconds = cycles as f64 / (c.clock_mhz * 1e6);
    Figures {
        cycles_per_frame: cycles,
        clock_mhz: c.clock_mhz,
        fps: 1.0 / seconds,
        macs,
        peak_macs_per_cycle: peak,
        mac_utilization: macs as f64 / (cycles as f64 * peak as f64),
        gops: 2.0 * macs as f64 / seconds / 1e9,
        dram_read_bytes: p.dram.program.bytes + p.dram.constants.bytes + p.dram.image.bytes,
        dram_write_bytes: p.store.iter().map(|s| s.words as u64 * word_bytes(p, s.src)).sum(),
        stream_stall_cycles: t.stream_stall_cycles,
        exec_cycles,
        row_cycles,
        row_wait_cycles,
    }
}

fn word_bytes(p: &Program, b: vitfpga_compiler::program::Buffer) -> u64 {
    vitfpga_compiler::image::dram_word_bytes(p, b) as u64
}

/// One frame, values and cycles.
pub struct Run {
    pub timeline: Timeline,
    /// DRAM after the run.
    pub dram: Vec<u8>,
    /// Every tensor's value right after the instruction that last wrote it, by tensor index.
    pub tensors: BTreeMap<usize, Vec<i64>>,
}

impl Run {
    /// The logits as stored in DRAM.
    pub fn logits(&self, p: &Program) -> Vec<i64> {
        read_logits(p, &self.dram)
    }
}

/// The logits region of a DRAM image, decoded (features of row 0).
pub fn read_logits(p: &Program, dram: &[u8]) -> Vec<i64> {
    // The head GEMM is the last exec instruction; the logits store reads its tensor.
    let t = &p.tensors[p.exec.last().expect("a program has instructions").tensor as usize];
    let r = &p.dram.logits;
    unpack_stored(p, t, &dram[r.addr as usize..(r.addr + r.bytes) as usize])
}

/// Run the program on a DRAM image holding its constants and image.
pub fn simulate(p: &Program, dram: Vec<u8>, capture: bool) -> Run {
    let timeline = timing::run(p);
    let mut m = functional::Machine::new(p, dram);
    m.run(capture);
    assert!(m.stream_consumed(), "the program must consume its whole constant stream");
    Run { timeline, dram: m.dram, tensors: m.captured }
}
