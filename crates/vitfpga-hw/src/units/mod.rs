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
/// pipeline is `out_pipe` deep, and the next row is accepted once the last beat has been read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowTiming {
    pub lanes: usize,
    pub fixed: usize,
    pub out_pipe: usize,
    /// The unit reads the row once more between loading it and the output pass (softmax: the
    /// exponentials; LayerNorm no longer does: its variance accumulates while the row loads).
    pub middle_pass: bool,
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

    /// Cycles from the last input beat of a row until the unit accepts the next row.
    pub fn ready_delay(&self, len: usize) -> usize {
        self.first_output_delay(len) + self.beats(len) - self.out_pipe
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
