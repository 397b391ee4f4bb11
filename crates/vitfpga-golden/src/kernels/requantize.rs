//! Requantisation epilogues: per-channel GEMM requantise (bias fused), residual add with
//! rescale, and table lookup (GELU).

use crate::arith::{clamp_bits, rshift_round, Multiplier};

/// `y[m][n] = clamp_bits(M[n].apply(acc[m][n] + bias[n]))`, `acc: [rows, n]`.
pub fn requantize(acc: &[i32], bias: &[i32], mult: &[Multiplier], bits: u32) -> Vec<i32> {
    requantize_into(acc, bias, mult, bits, |v| v as i32)
}

/// The same, for outputs of at most 8 bits.
pub fn requantize_i8(acc: &[i32], bias: &[i32], mult: &[Multiplier], bits: u32) -> Vec<i8> {
    assert!(bits <= 8);
    requantize_into(acc, bias, mult, bits, |v| v as i8)
}

fn requantize_into<T: Copy + Default + Send>(
    acc: &[i32],
    bias: &[i32],
    mult: &[Multiplier],
    bits: u32,
    narrow: impl Fn(i64) -> T + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    let n = bias.len();
    assert_eq!(mult.len(), n);
    let mut out = vec![T::default(); acc.len()];
    out.par_chunks_mut(n).zip(acc.par_chunks(n)).for_each(|(o, row)| {
        for j in 0..n {
            o[j] = narrow(clamp_bits(mult[j].apply(row[j] as i64 + bias[j] as i64), bits));
        }
    });
    out
}

/// Residual add with one rounding: `clamp_bits(rshift_round(a*ma + b*mb, shift))`.
pub fn add_rescale(a: &[i8], b: &[i8], ma: i32, mb: i32, shift: u32, bits: u32) -> Vec<i8> {
    use rayon::prelude::*;
    let mut out = vec![0i8; a.len()];
    out.par_chunks_mut(4096).zip(a.par_chunks(4096).zip(b.par_chunks(4096))).for_each(|(o, (ac, bc))| {
        for ((o, &x), &y) in o.iter_mut().zip(ac).zip(bc) {
            *o = clamp_bits(rshift_round(x as i64 * ma as i64 + y as i64 * mb as i64, shift), bits) as i8;
        }
    });
    out
}

/// Table lookup indexed by `q + 2^(in_bits-1)`.
pub fn lookup(x: &[i8], table: &[i8], in_bits: u32) -> Vec<i8> {
    let off = 1i32 << (in_bits - 1);
    x.iter().map(|&q| table[(q as i32 + off) as usize]).collect()
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
