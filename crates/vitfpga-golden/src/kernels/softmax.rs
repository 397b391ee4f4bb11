//! Integer softmax (docs/arithmetic.md, Softmax): subtract the row maximum, convert to a
//! base-2 exponent with one multiplier, split into integer and fraction, a quadratic for
//! 2^-fraction and a shift for 2^-integer, one reciprocal of the row sum.

use crate::arith::Multiplier;

/// Fraction bits of the base-2 exponent.
pub const EXP_FRAC: u32 = 10;
/// `2^-x` on `[0, 1)` is `2^EXP_ONE * (1 - C1 x + C2 x^2)` in fixed point (max rel. error 0.28 %).
pub const EXP_ONE: u32 = 15;
pub const EXP_C1: i64 = 21951;
pub const EXP_C2: i64 = 5567;
/// Past this many halvings every term is 0.
pub const EXP_MAX_SHIFT: i64 = 31;
/// Reciprocal precision: `inv = floor(2^SM_INV_BITS / sum)`.
pub const SM_INV_BITS: u32 = 40;

/// `2^EXP_ONE * 2^-(w / 2^EXP_FRAC)` for `w >= 0`, in `[0, 2^EXP_ONE]`.
#[inline]
pub fn exp2_neg(w: i64) -> i64 {
    let q = w >> EXP_FRAC;
    if q > EXP_MAX_SHIFT {
        return 0;
    }
    let r = w & ((1 << EXP_FRAC) - 1);
    let frac = (1i64 << EXP_ONE) - ((r * (EXP_C1 - ((r * EXP_C2) >> EXP_FRAC))) >> EXP_FRAC);
    frac >> q
}

/// One row of scores (QK^T accumulators) to probabilities with scale `2^-(out_bits-1)`.
/// `to_exp2` converts score units to base-2 exponent units with EXP_FRAC fraction bits:
/// real value `s_z * log2(e) * 2^EXP_FRAC`.
pub fn softmax_row(z: &[i32], to_exp2: Multiplier, out_bits: u32, out: &mut [i8]) {
    #[cfg(target_arch = "x86_64")]
    if super::avx512() {
        // SAFETY: the features were detected at run time.
        unsafe { softmax_row_avx512(z, to_exp2, out_bits, out) };
        return;
    }
    softmax_row_body(z, to_exp2, out_bits, out)
}

/// The row loop written branch-free (selects instead of early returns) so that it vectorises;
/// every step is the formula of `exp2_neg` and `rshift_round`, so the integers are the same.
#[inline(always)]
fn softmax_row_body(z: &[i32], to_exp2: Multiplier, out_bits: u32, out: &mut [i8]) {
    let zmax = *z.iter().max().expect("softmax of an empty row") as i64;
    let (m, s) = (to_exp2.m as i64, to_exp2.shift as i64);
    let rnd = if s == 0 { 0 } else { 1i64 << (s - 1) };
    let mut e = vec![0i64; z.len()];
    for (ej, &zj) in e.iter_mut().zip(z) {
        // u <= 0, so w = -rshift_round(u * m, s) >= 0 is the exponent's magnitude.
        let w = -(((zj as i64 - zmax) * m + rnd) >> s);
        let q = w >> EXP_FRAC;
        let r = w & ((1 << EXP_FRAC) - 1);
        let frac = (1i64 << EXP_ONE) - ((r * (EXP_C1 - ((r * EXP_C2) >> EXP_FRAC))) >> EXP_FRAC);
        *ej = if q > EXP_MAX_SHIFT { 0 } else { frac >> q.min(EXP_MAX_SHIFT) };
    }
    let sum: i64 = e.iter().sum();
    let inv = (1i64 << SM_INV_BITS) / sum;
    let pmax = (1i64 << (out_bits - 1)) - 1;
    let sh = SM_INV_BITS - (out_bits - 1);
    let rnd2 = 1i64 << (sh - 1);
    for (o, &ej) in out.iter_mut().zip(&e) {
        *o = ((ej * inv + rnd2) >> sh).min(pmax) as i8;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq,avx512vl,avx512bw")]
unsafe fn softmax_row_avx512(z: &[i32], to_exp2: Multiplier, out_bits: u32, out: &mut [i8]) {
    softmax_row_body(z, to_exp2, out_bits, out)
}

pub fn softmax(z: &[i32], len: usize, to_exp2: Multiplier, out_bits: u32) -> Vec<i8> {
    use rayon::prelude::*;
    let mut out = vec![0i8; z.len()];
    out.par_chunks_mut(len).zip(z.par_chunks(len)).for_each(|(o, zr)| softmax_row(zr, to_exp2, out_bits, o));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn exp2_is_accurate_and_monotone() {
        let mut prev = i64::MAX;
        for w in 0..(40 << EXP_FRAC) {
            let e = exp2_neg(w);
            assert!(e <= prev, "not monotone at {w}");
            prev = e;
            let exact = (2f64).powf(EXP_ONE as f64 - w as f64 / (1 << EXP_FRAC) as f64);
            assert!((e as f64 - exact).abs() <= exact * 0.003 + 1.0, "{w}: {e} vs {exact}");
        }
        assert_eq!(exp2_neg(0), 1 << EXP_ONE);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn rows_stay_in_range_and_keep_the_argmax(len in 1usize..1200, out_bits in 2u32..=8, seed: u64,
                                                m in 1i32..32767, shift in 0u32..40, spread in 0u8..3) {
            let mut s = seed | 1;
            let z: Vec<i32> = (0..len).map(|_| {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                match spread { 0 => i32::MIN + (s % 7) as i32, 1 => i32::MAX - (s % 7) as i32, _ => s as i32 }
            }).collect();
            let mut out = vec![0i8; len];
            softmax_row(&z, Multiplier { m, shift }, out_bits, &mut out);
            let pmax = (1i64 << (out_bits - 1)) - 1;
            prop_assert!(out.iter().all(|&p| p >= 0 && p as i64 <= pmax));
            // The largest score's probability is the largest.
            let imax = (0..len).max_by_key(|&i| (z[i], std::cmp::Reverse(i))).unwrap();
            prop_assert_eq!(out[imax], *out.iter().max().unwrap());
        }
    }

    #[test]
    fn close_to_float_softmax() {
        let z: Vec<i32> = vec![0, 100, 200, 300, -50, 250];
        let s_z = 0.01f64;
        let m = Multiplier::from_real(s_z * std::f64::consts::LOG2_E * (1 << EXP_FRAC) as f64);
        let mut out = vec![0i8; z.len()];
        softmax_row(&z, m, 8, &mut out);
        let ex: Vec<f64> = z.iter().map(|&v| (v as f64 * s_z).exp()).collect();
        let tot: f64 = ex.iter().sum();
        for (o, e) in out.iter().zip(&ex) {
            assert!((*o as f64 / 128.0 - e / tot).abs() <= 1.0 / 128.0, "{out:?}");
        }
    }
}
