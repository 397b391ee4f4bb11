//! Design-level resource estimate of a compiled program's core: the datapath units (each unit's
//! calibrated model, crates/vitfpga-hw), the on-chip buffers at the sizes `alloc` chose, and the
//! controller. Buffers are costed as block RAM at their width x depth (`bram18_for`, exact
//! against Yosys for the buffer unit); see docs/hardware.md for how the whole core compares with
//! Yosys, whose 0.23 flow maps the core's multi-ported buffers to distributed RAM instead.

use serde::{Deserialize, Serialize};
use vitfpga_hw::resources::{bram18_for, Resources};

use crate::program::{ExecOp, Program};

/// One line of the estimate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Part {
    pub name: String,
    pub resources: Resources,
}

/// Every part of the core with its estimated resources.
pub fn estimate(p: &Program) -> Vec<Part> {
    let c = &p.config;
    let mut parts: Vec<Part> =
        c.unit_resources().into_iter().map(|(name, resources)| Part { name: name.to_string(), resources }).collect();
    let max_m = p
        .exec
        .iter()
        .filter_map(|e| match &e.op {
            ExecOp::Gemm(g) => Some(g.m as u64),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    // The core keeps only the slots each queue uses (encode::f::LS_SLOTS, EXEC_SLOTS), less the
    // exec slots no decoder reads.
    use crate::encode::f::{EXEC_SLOTS, EXEC_UNREAD_SLOTS, LS_SLOTS};
    let (ls_bits, exec_bits) = ((LS_SLOTS * 32) as u64, ((EXEC_SLOTS - EXEC_UNREAD_SLOTS) * 32) as u64);
    // Yosys keeps memories of at most 64 words in distributed RAM (as `bank_copy`).
    let memory = |width: u64, depth: u64| {
        if depth <= 64 {
            Resources { lut: width.div_ceil(4), ..Default::default() }
        } else {
            Resources { bram18: bram18_for(width, depth), ..Default::default() }
        }
    };
    let [spad, sbuf] = crate::rtl::buffers(p);
    let buffers = [
        ("scratchpad", spad.resources()),
        ("score buffer", sbuf.resources()),
        ("accumulator buffer", memory(c.cols as u64 * c.acc_bits as u64, max_m)),
        (
            "constant-stream FIFO",
            memory(c.stream_word_bytes as u64 * 8, (c.stream_fifo_beats / c.beats_per_word()) as u64),
        ),
        (
            "instruction memories",
            memory(ls_bits, p.load.len().max(1) as u64)
                + memory(exec_bits, p.exec.len().max(1) as u64)
                + memory(ls_bits, p.store.len().max(1) as u64),
        ),
    ];
    parts.extend(buffers.into_iter().map(|(name, resources)| Part { name: name.into(), resources }));
    parts.push(Part { name: "controller".into(), resources: c.controller() });
    parts
}

/// The sum of `estimate`.
pub fn total(parts: &[Part]) -> Resources {
    parts.iter().map(|p| p.resources).sum()
}

/// Bytes of on-chip buffer the program uses (scratchpad, score buffer, stream FIFO).
pub fn buffer_bytes(p: &Program) -> u64 {
    p.config.buffer_bytes() as u64
}
