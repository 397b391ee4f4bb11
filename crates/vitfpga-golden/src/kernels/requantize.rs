//! Requantisation epilogues: per-channel GEMM requantise (bias fused), residual add with
//! rescale, and table lookup (GELU).

use crate::arith::Multiplier;

/// `y[m][n] = clamp_bits(M[n].apply(acc[m][n] + bias[n]))`, `acc: [rows, n]`.
pub fn requantize(acc: &[i32], bias: &[i32], mult: &[Multiplier], bits: u32) -> Vec<i32> {
    requantize_into(acc, bias, mult, bits)
}

/// The same, for outputs of at most 8 bits.
pub fn requantize_i8(acc: &[i32], bias: &[i32], mult: &[Multiplier], bits: u32) -> Vec<i8> {
    assert!(bits <= 8);
    requantize_into(acc, bias, mult, bits)
}

/// Narrowing of a saturated value to the output element type.
pub trait Narrow: Copy + Default + Send {
    fn narrow(v: i64) -> Self;
}
impl Narrow for i8 {
    #[inline(always)]
    fn narrow(v: i64) -> Self {
        v as i8
    }
}
impl Narrow for i32 {
    #[inline(always)]
    fn narrow(v: i64) -> Self {
        v as i32
    }
}

/// Per-channel requantisation prepared once per layer call: `rshift_round(v*m, s)` is
/// `(v*m + rnd) >> s` with `rnd = 2^(s-1)` (0 when s = 0), identical for every s.
pub struct RequantPlan {
    bias: Vec<i64>,
    m: Vec<i64>,
    rnd: Vec<i64>,
    shift: Vec<u64>,
    lo: i64,
    hi: i64,
    wide: bool,
}

impl RequantPlan {
    pub fn new(bias: &[i32], mult: &[Multiplier], bits: u32) -> Self {
        assert_eq!(bias.len(), mult.len());
        let (lo, hi) = crate::arith::range(bits);
        RequantPlan {
            bias: bias.iter().map(|&b| b as i64).collect(),
            m: mult.iter().map(|m| m.m as i64).collect(),
            rnd: mult.iter().map(|m| if m.shift == 0 { 0 } else { 1i64 << (m.shift - 1) }).collect(),
            shift: mult.iter().map(|m| m.shift as u64).collect(),
            lo,
            hi,
            wide: super::avx512(),
        }
    }

    /// One output row: `out[j] = clamp(((acc[j] + bias[j]) * m[j] + rnd[j]) >> shift[j])`.
    pub fn row<T: Narrow>(&self, acc: &[i32], out: &mut [T]) {
        #[cfg(target_arch = "x86_64")]
        if self.wide {
            // SAFETY: the features were detected at run time.
            unsafe { requant_row_avx512(out, acc, self) };
            return;
        }
        requant_row(out, acc, self)
    }
}

#[inline(always)]
fn requant_row<T: Narrow>(o: &mut [T], row: &[i32], c: &RequantPlan) {
    for j in 0..o.len() {
        let v = (row[j] as i64 + c.bias[j]) * c.m[j] + c.rnd[j];
        o[j] = T::narrow((v >> c.shift[j]).clamp(c.lo, c.hi));
    }
}

/// The same loop compiled for AVX-512 (vpmullq, vpsravq), chosen at run time; same integers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
unsafe fn requant_row_avx512<T: Narrow>(o: &mut [T], row: &[i32], c: &RequantPlan) {
    requant_row(o, row, c)
}

fn requantize_into<T: Narrow>(acc: &[i32], bias: &[i32], mult: &[Multiplier], bits: u32) -> Vec<T> {
    use rayon::prelude::*;
    let n = bias.len();
    let plan = RequantPlan::new(bias, mult, bits);
    let mut out = vec![T::default(); acc.len()];
    out.par_chunks_mut(n).zip(acc.par_chunks(n)).for_each(|(o, row)| plan.row(row, o));
    out
}

/// Residual add with one rounding: `clamp_bits(rshift_round(a*ma + b*mb, shift))`.
pub fn add_rescale(a: &[i8], b: &[i8], ma: i32, mb: i32, shift: u32, bits: u32) -> Vec<i8> {
    use rayon::prelude::*;
    let mut out = vec![0i8; a.len()];
    let wide = super::avx512();
    out.par_chunks_mut(4096).zip(a.par_chunks(4096).zip(b.par_chunks(4096))).for_each(|(o, (ac, bc))| {
        #[cfg(target_arch = "x86_64")]
        if wide {
            // SAFETY: the features were detected at run time.
            unsafe { add_chunk_avx512(o, ac, bc, ma, mb, shift, bits) };
            return;
        }
        add_chunk(o, ac, bc, ma, mb, shift, bits)
    });
    out
}

/// `rshift_round(v, s) = (v + rnd) >> s` with `rnd = 2^(s-1)` (0 for s = 0), then saturate.
#[inline(always)]
fn add_chunk(o: &mut [i8], a: &[i8], b: &[i8], ma: i32, mb: i32, shift: u32, bits: u32) {
    let (lo, hi) = crate::arith::range(bits);
    let rnd = if shift == 0 { 0 } else { 1i64 << (shift - 1) };
    for ((o, &x), &y) in o.iter_mut().zip(a).zip(b) {
        *o = ((x as i64 * ma as i64 + y as i64 * mb as i64 + rnd) >> shift).clamp(lo, hi) as i8;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
unsafe fn add_chunk_avx512(o: &mut [i8], a: &[i8], b: &[i8], ma: i32, mb: i32, shift: u32, bits: u32) {
    add_chunk(o, a, b, ma, mb, shift, bits)
}

/// Table lookup indexed by `q + 2^(in_bits-1)`.
pub fn lookup(x: &[i8], table: &[i8], in_bits: u32) -> Vec<i8> {
    use rayon::prelude::*;
    let off = 1i32 << (in_bits - 1);
    let mut out = vec![0i8; x.len()];
    out.par_chunks_mut(8192).zip(x.par_chunks(8192)).for_each(|(o, xs)| {
        for (o, &q) in o.iter_mut().zip(xs) {
            *o = table[(q as i32 + off) as usize];
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requantize_rounds_and_saturates() {
        let m = Multiplier { m: 1 << 14, shift: 15 }; // x 0.5
        assert_eq!(requantize(&[3, -3, 1000, -1000], &[0, 0, 0, 0], &[m; 4], 8), vec![2, -1, 127, -128]);
        assert_eq!(requantize(&[3, 3], &[1, -4], &[m; 2], 4), vec![2, 0]);
    }

    #[test]
    fn add_rescale_matches_formula() {
        let y = add_rescale(&[127, -128, 5], &[127, -128, -5], 1 << 14, 1 << 14, 15, 8);
        assert_eq!(y, vec![127, -128, 0]);
    }
}
