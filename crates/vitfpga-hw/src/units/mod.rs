//! One file per unit: parameters, RTL generator, cycle model.

pub mod banked;
pub mod buffer;
pub mod layernorm;
pub mod lut;
pub mod requant;
pub mod residual;
pub mod softmax;
pub mod systolic;

use vitfpga_cosim::Port;

use crate::resources::{linear, Family, Resources};

/// Timing shared by the row units (softmax, LayerNorm). A row of `len` values arrives as
/// `ceil(len / lanes)` beats. After the last input beat the unit needs one cycle per beat plus
/// `fixed` cycles before the first output beat, then streams one beat per cycle; its output
/// pipeline is `out_pipe` deep. The next row is accepted once the last beat has been read, or,
/// in a unit whose output pass overlaps the next row's load, once the first has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowTiming {
    pub lanes: usize,
    pub fixed: usize,
    pub out_pipe: usize,
    /// The unit reads the row once more between loading it and the output pass (softmax: the
    /// exponentials; LayerNorm no longer does: its variance accumulates while the row loads).
    pub middle_pass: bool,
    /// The output pass reads its own copy of the row, so the next row loads meanwhile
    /// (LayerNorm). Its output pass then starts `fixed - out_pipe` after its last input beat, or
    /// when the previous row's output pass has read its last beat, whichever is later (only a
    /// shorter row can catch up: rows of one instruction never wait).
    pub overlapped: bool,
}

impl RowTiming {
    pub fn beats(&self, len: usize) -> usize {
        len.div_ceil(self.lanes)
    }

    /// Cycles from the last input beat of a row to its first output beat.
    pub fn first_output_delay(&self, len: usize) -> usize {
        (if self.middle_pass { self.beats(len) } else { 0 }) + self.fixed
    }

    /// Cycles from the last input beat of a row to its last output beat.
    pub fn last_output_delay(&self, len: usize) -> usize {
        self.first_output_delay(len) + self.beats(len) - 1
    }

    /// Cycles from the last input beat of a row until the unit accepts the next row (when no
    /// earlier output pass holds it up: see `overlapped`).
    pub fn ready_delay(&self, len: usize) -> usize {
        if self.overlapped {
            self.first_output_delay(len) - self.out_pipe
        } else {
            self.first_output_delay(len) + self.beats(len) - self.out_pipe
        }
    }

    /// The cycle of a row's first output beat, given the cycle of its last input beat and the
    /// previous row's (first output beat, beats), if any.
    pub fn first_output(&self, last_in: usize, len: usize, prev: Option<(usize, usize)>) -> usize {
        let own = last_in + self.first_output_delay(len);
        match prev {
            Some((first, beats)) if self.overlapped => own.max(first + beats),
            _ => own,
        }
    }

    /// The cycle the unit accepts the next row, given this row's first output beat and the cycle
    /// of its last input beat.
    pub fn ready(&self, last_in: usize, len: usize, first_output: usize) -> usize {
        if self.overlapped {
            first_output - self.out_pipe
        } else {
            last_in + self.ready_delay(len)
        }
    }

    /// Cycles per row when rows follow each other without gaps: load, then busy.
    pub fn cycles_per_row(&self, len: usize) -> usize {
        self.beats(len) + self.ready_delay(len) - 1
    }
}

/// The output side every row unit shares: ready for a new row, result beats with their count.
pub(crate) fn row_unit_outputs(lanes: usize, out_bits: u32) -> Vec<Port> {
    vec![
        Port::new("in_ready", 1),
        Port::new("y_out", lanes as u32 * out_bits),
        Port::new("out_valid", 1),
        Port::new("out_last", 1),
        Port::new("out_count", 8),
    ]
}

/// Whether Yosys `synth_xilinx` puts a simple dual-port memory of `width` x `depth` bits in block
/// RAM rather than distributed RAM: past the 64 entries of a LUT RAM primitive and at 4 kbit or
/// more (the row units' calibration rows: 256 x 64 and 128 x 128 and 128 x 64 go to block RAM;
/// 64 x 256, 128 x 16 and everything smaller stay in LUTs).
pub(crate) fn maps_to_block_ram(width: u64, depth: u64) -> bool {
    depth >= 128 && width * depth >= 4096
}

/// Resources of a row unit (softmax, LayerNorm): LUT and FF linear in lanes, row-memory beats
/// and lanes with wide products (`coef` fitted per unit by tools/fit_resources.py), `dsp` exact.
pub(crate) fn row_unit_resources(
    lanes: usize,
    max_len: usize,
    wide: bool,
    lut: &[[f64; 4]; 2],
    ff: &[[f64; 4]; 2],
    family: Family,
    dsp: u64,
) -> Resources {
    let l = lanes as f64;
    let f = [l, max_len.div_ceil(lanes) as f64, l * wide as u8 as f64, 1.0];
    Resources { lut: linear(&lut[family.idx()], &f), ff: linear(&ff[family.idx()], &f), dsp, bram18: 0, uram: 0 }
}
