//! Requantisation epilogues: per-channel GEMM requantise (bias fused), residual add with
//! rescale, and table lookup (GELU).

use crate::arith::{clamp_bits, rshift_round, Multiplier};

/// `y[m][n] = clamp_bits(M[n].apply(acc[m][n] + bias[n]))`, `acc: [rows, n]`.
pub fn requantize(acc: &[i32], bias: &[i32], mult: &[Multiplier], bits: u32) -> Vec<i32> {
    let n = bias.len();
    assert_eq!(mult.len(), n);
    acc.chunks(n)
        .flat_map(|row| {
            row.iter()
                .zip(bias)
                .zip(mult)
                .map(move |((&a, &b), &m)| clamp_bits(m.apply(a as i64 + b as i64), bits) as i32)
        })
        .collect()
}

/// Residual add with one rounding: `clamp_bits(rshift_round(a*ma + b*mb, shift))`.
pub fn add_rescale(a: &[i8], b: &[i8], ma: i32, mb: i32, shift: u32, bits: u32) -> Vec<i8> {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| clamp_bits(rshift_round(x as i64 * ma as i64 + y as i64 * mb as i64, shift), bits) as i8)
        .collect()
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
