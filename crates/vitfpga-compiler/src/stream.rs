//! The constant stream's record formats, shared by the compiler (which writes them into DRAM
//! in consumption order) and the simulator (which pops them). Every record starts on a stream
//! word; the exec queue pops at most one word per cycle.

use vitfpga_golden::arith::Multiplier;

use crate::config::AccelConfig;

/// Bytes of one channel's requantisation parameters: bias i32, m u16, shift u8, pad.
pub const PARAM_BYTES: usize = 8;
/// Bytes of one LayerNorm channel: gamma i32, beta i64, pad.
pub const LN_PARAM_BYTES: usize = 16;
/// Bytes of one position-embedding value (i64).
pub const POS_BYTES: usize = 8;

/// Stream words a record of `bytes` occupies.
pub fn words(cfg: &AccelConfig, bytes: usize) -> usize {
    bytes.div_ceil(cfg.stream_word_bytes).max(1)
}

/// Weight rows per stream word at `w_bits`.
pub fn rows_per_word(cfg: &AccelConfig, w_bits: u32) -> usize {
    cfg.stream_word_bytes / cfg.weight_row_bytes(w_bits)
}

/// Stream words of one weight tile (`rows` rows, the last row shifted first).
pub fn tile_words(cfg: &AccelConfig, w_bits: u32) -> usize {
    cfg.rows.div_ceil(rows_per_word(cfg, w_bits))
}

/// Appends records, each padded to a whole stream word.
/// The constant stream as it is written: records padded to whole stream words. Without `keep`,
/// only the length advances (timing-only compiles: the stream's shape is all the timing needs).
pub struct StreamWriter {
    pub word_bytes: usize,
    pub bytes: Vec<u8>,
    pub len: usize,
    pub keep: bool,
}

impl StreamWriter {
    pub fn new(word_bytes: usize, keep: bool) -> Self {
        StreamWriter { word_bytes, bytes: Vec::new(), len: 0, keep }
    }

    pub fn record(&mut self, data: &[u8]) {
        let start = self.len;
        self.len += data.len();
        self.len += (self.word_bytes - self.len % self.word_bytes) % self.word_bytes;
        if data.is_empty() {
            self.len += self.word_bytes;
        }
        if self.keep {
            self.bytes.extend_from_slice(data);
            self.bytes.resize(self.len, 0);
            debug_assert_eq!(self.bytes.len() - start, self.len - start);
        }
    }

    /// A record of `n` bytes whose contents do not matter (only with `keep` off).
    pub fn skip(&mut self, n: usize) {
        debug_assert!(!self.keep);
        self.len += n;
        self.len += (self.word_bytes - self.len % self.word_bytes) % self.word_bytes;
        if n == 0 {
            self.len += self.word_bytes;
        }
    }
}

/// `values` (one per column) packed at `w_bits`, lane 0 in the least significant bits;
/// binary weights store +1 as 1 and -1 as 0.
pub fn pack_row(values: &[i8], w_bits: u32) -> Vec<u8> {
    let mut out = vec![0u8; (values.len() * w_bits as usize).div_ceil(8)];
    for (i, &v) in values.iter().enumerate() {
        let code = if w_bits == 1 { (v > 0) as u8 } else { (v as u8) & ((1u16 << w_bits) - 1) as u8 };
        for b in 0..w_bits as usize {
            let bit = i * w_bits as usize + b;
            out[bit / 8] |= ((code >> b) & 1) << (bit % 8);
        }
    }
    out
}

pub fn unpack_row(bytes: &[u8], cols: usize, w_bits: u32) -> Vec<i8> {
    (0..cols)
        .map(|i| {
            let mut code = 0u16;
            for b in 0..w_bits as usize {
                let bit = i * w_bits as usize + b;
                code |= (((bytes[bit / 8] >> (bit % 8)) & 1) as u16) << b;
            }
            if w_bits == 1 {
                if code == 1 {
                    1
                } else {
                    -1
                }
            } else {
                // Sign-extend.
                ((code << (16 - w_bits)) as i16 >> (16 - w_bits)) as i8
            }
        })
        .collect()
}

/// One tile: `rows[r]` is array row r (C weights); rows are stored last first, as shifted.
pub fn tile_record(cfg: &AccelConfig, rows: &[Vec<i8>], w_bits: u32) -> Vec<u8> {
    let rb = cfg.weight_row_bytes(w_bits);
    let rpw = rows_per_word(cfg, w_bits);
    let mut out = vec![0u8; tile_words(cfg, w_bits) * cfg.stream_word_bytes];
    for (i, row) in rows.iter().rev().enumerate() {
        let at = (i / rpw) * cfg.stream_word_bytes + (i % rpw) * rb;
        out[at..at + rb].copy_from_slice(&pack_row(row, w_bits));
    }
    out
}

/// Array row `r` of a tile record.
pub fn tile_row(cfg: &AccelConfig, record: &[u8], r: usize, w_bits: u32) -> Vec<i8> {
    let rb = cfg.weight_row_bytes(w_bits);
    let rpw = rows_per_word(cfg, w_bits);
    let i = cfg.rows - 1 - r;
    let at = (i / rpw) * cfg.stream_word_bytes + (i % rpw) * rb;
    unpack_row(&record[at..at + rb], cfg.cols, w_bits)
}

pub fn param_record(bias: &[i32], mult: &[Multiplier]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bias.len() * PARAM_BYTES);
    for (b, m) in bias.iter().zip(mult) {
        out.extend_from_slice(&b.to_le_bytes());
        out.extend_from_slice(&(m.m as u16).to_le_bytes());
        out.push(m.shift as u8);
        out.push(0);
    }
    out
}

pub fn read_param(record: &[u8], c: usize) -> (i32, Multiplier) {
    let p = &record[c * PARAM_BYTES..];
    let bias = i32::from_le_bytes(p[0..4].try_into().unwrap());
    let m = u16::from_le_bytes(p[4..6].try_into().unwrap()) as i32;
    (bias, Multiplier { m, shift: p[6] as u32 })
}

pub fn ln_record(gamma: &[i32], beta: &[i64]) -> Vec<u8> {
    let mut out = Vec::with_capacity(gamma.len() * LN_PARAM_BYTES);
    for (g, b) in gamma.iter().zip(beta) {
        out.extend_from_slice(&g.to_le_bytes());
        out.extend_from_slice(&b.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
    }
    out
}

pub fn read_ln(record: &[u8], c: usize) -> (i32, i64) {
    let p = &record[c * LN_PARAM_BYTES..];
    (i32::from_le_bytes(p[0..4].try_into().unwrap()), i64::from_le_bytes(p[4..12].try_into().unwrap()))
}

pub fn i64_record(v: &[i64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn read_i64(record: &[u8], i: usize) -> i64 {
    i64::from_le_bytes(record[i * 8..i * 8 + 8].try_into().unwrap())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_at_every_width() {
        for w in 1..=8u32 {
            let (lo, hi) = if w == 1 { (-1, 1) } else { (-(1i32 << (w - 1)), (1 << (w - 1)) - 1) };
            let vals: Vec<i8> = (0..13)
                .map(|i| (lo + (i * 7) % (hi - lo + 1)) as i8)
                .map(|v| if w == 1 && v == 0 { 1 } else { v })
                .collect();
            assert_eq!(unpack_row(&pack_row(&vals, w), vals.len(), w), vals, "w_bits {w}");
        }
    }
}
