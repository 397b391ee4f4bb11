//! Integer LayerNorm (docs/arithmetic.md, LayerNorm): centre with `D*x - sum` (no division),
//! mean square by one exact division, floor integer square root, one reciprocal per row,
//! then a per-channel signed affine requantise.

use crate::arith::{clamp_bits, isqrt, rshift_round};

/// Reciprocal precision: `inv = floor(2^LN_INV_BITS / R)`.
pub const LN_INV_BITS: u32 = 40;
/// Fraction bits of the normalised value `n_i`.
pub const LN_FRAC: u32 = 12;

/// Parameters of one LayerNorm, all integers (see `quant` for how they are derived).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LayerNormParams {
    /// `round(eps * D^2 / s_x^2)`, at least 1 so that the square root is never 0.
    pub eps_q: u64,
    /// Per-channel `round(gamma / (2^LN_FRAC * s_y) * 2^shift)`, |g| < 2^15.
    pub gamma: Vec<i32>,
    /// Per-channel `round(beta / s_y * 2^shift)`.
    pub beta: Vec<i64>,
    pub shift: u32,
    pub out_bits: u32,
}

/// Normalise one row of `D` integers.
pub fn layernorm_row(x: &[i8], p: &LayerNormParams, out: &mut [i8]) {
    let d = x.len() as i64;
    let sum: i64 = x.iter().map(|&v| v as i64).sum();
    // c_i = D * (x_i - mean), exactly.
    let centred = x.iter().map(|&v| d * v as i64 - sum);
    let v: u64 = centred.clone().map(|c| (c * c) as u64).sum();
    let q = v / d as u64 + p.eps_q;
    let r = isqrt(q).max(1);
    let inv = (1i64 << LN_INV_BITS) / r as i64;
    for (i, c) in centred.enumerate() {
        let n = rshift_round(c * inv, LN_INV_BITS - LN_FRAC);
        let y = rshift_round(n * p.gamma[i] as i64 + p.beta[i], p.shift);
        out[i] = clamp_bits(y, p.out_bits) as i8;
    }
}

pub fn layernorm(x: &[i8], p: &LayerNormParams) -> Vec<i8> {
    use rayon::prelude::*;
    let d = p.gamma.len();
    let mut out = vec![0i8; x.len()];
    out.par_chunks_mut(d).zip(x.par_chunks(d)).for_each(|(or, xr)| layernorm_row(xr, p, or));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The same formulas in i128 with no shortcuts: the kernel must never overflow.
    fn reference(x: &[i8], p: &LayerNormParams) -> Vec<i8> {
        let d = x.len() as i128;
        let sum: i128 = x.iter().map(|&v| v as i128).sum();
        let c: Vec<i128> = x.iter().map(|&v| d * v as i128 - sum).collect();
        let v: i128 = c.iter().map(|c| c * c).sum();
        let q = v / d + p.eps_q as i128;
        let r = (isqrt(q as u64) as i128).max(1);
        let inv = (1i128 << LN_INV_BITS) / r;
        let rr = |v: i128, s: u32| if s == 0 { v } else { (v + (1i128 << (s - 1))) >> s };
        c.iter()
            .enumerate()
            .map(|(i, &ci)| {
                let n = rr(ci * inv, LN_INV_BITS - LN_FRAC);
                let y = rr(n * p.gamma[i] as i128 + p.beta[i] as i128, p.shift);
                y.clamp(-(1 << (p.out_bits - 1)), (1 << (p.out_bits - 1)) - 1) as i8
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn equals_wide_reference(d in 1usize..1100, bits in 2u32..=8, out_bits in 2u32..=8, seed: u64,
                                 mode in 0u8..4, eps_q in 1u64..100_000, shift in 0u32..30) {
            let (lo, hi) = crate::arith::range(bits);
            let mut s = seed | 1;
            let x: Vec<i8> = (0..d).map(|i| match mode {
                0 => lo as i8,
                1 => hi as i8,
                2 => if i % 2 == 0 { lo as i8 } else { hi as i8 },
                _ => { s ^= s << 13; s ^= s >> 7; s ^= s << 17; (lo + (s % (hi - lo + 1) as u64) as i64) as i8 }
            }).collect();
            let gamma: Vec<i32> = (0..d).map(|i| ((i as i32 * 7919) % 65535) - 32767).collect();
            let beta: Vec<i64> = (0..d).map(|i| (i as i64 * 104729) % (1 << 20) - (1 << 19)).collect();
            let p = LayerNormParams { eps_q, gamma, beta, shift, out_bits };
            prop_assert_eq!(layernorm(&x, &p), reference(&x, &p));
        }
    }

    #[test]
    fn widest_row_full_scale() {
        // D = 16384 (the model bound), alternating extremes: the largest variance there is.
        let d = 16384;
        let x: Vec<i8> = (0..d).map(|i| if i % 2 == 0 { -128 } else { 127 }).collect();
        let p = LayerNormParams { eps_q: 1, gamma: vec![32767; d], beta: vec![0; d], shift: 20, out_bits: 8 };
        assert_eq!(layernorm(&x, &p), reference(&x, &p));
    }
}
