//! Scalar integer primitives of the specification (docs/arithmetic.md, section 1).

use serde::{Deserialize, Serialize};

/// Multipliers are unsigned 15-bit so that they fit a DSP48E2's 18-bit signed port.
pub const MULT_BITS: u32 = 15;
/// Largest right shift a requantiser applies.
pub const MAX_SHIFT: u32 = 62;

/// `v / 2^s` rounded half towards +infinity: `(v + 2^(s-1)) >> s` with an arithmetic shift.
#[inline]
pub fn rshift_round(v: i64, s: u32) -> i64 {
    if s == 0 {
        v
    } else {
        (v + (1i64 << (s - 1))) >> s
    }
}

/// Saturate to the signed range of `bits` bits.
#[inline]
pub fn clamp_bits(v: i64, bits: u32) -> i64 {
    let hi = (1i64 << (bits - 1)) - 1;
    v.clamp(-hi - 1, hi)
}

/// Signed range of `bits` bits.
pub fn range(bits: u32) -> (i64, i64) {
    (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
}

/// A real factor `r ~= m / 2^shift` with `0 <= m < 2^15`. Chosen once at quantisation time
/// (the only place float is used); applied at inference with integers only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Multiplier {
    pub m: i32,
    pub shift: u32,
}

impl Multiplier {
    /// The largest shift (<= 62) for which `round(r * 2^shift) < 2^15`; factors too large to
    /// represent saturate to `m = 2^15 - 1, shift = 0`.
    pub fn from_real(r: f64) -> Multiplier {
        assert!(r.is_finite() && r >= 0.0, "multiplier must be finite and non-negative, got {r}");
        let limit = ((1i64 << MULT_BITS) - 1) as f64;
        if r == 0.0 {
            return Multiplier { m: 0, shift: 0 };
        }
        for shift in (0..=MAX_SHIFT).rev() {
            let m = (r * (2f64).powi(shift as i32)).round();
            if m <= limit {
                return Multiplier { m: m as i32, shift };
            }
        }
        Multiplier { m: limit as i32, shift: 0 }
    }

    /// The representable range: `0 <= m < 2^15`, `shift <= 62`.
    pub fn is_valid(self) -> bool {
        (0..1 << MULT_BITS).contains(&self.m) && self.shift <= MAX_SHIFT
    }

    /// Like [`Multiplier::from_real`], but `None` when `r` cannot be represented to within
    /// 1 % (too large for 15 bits at shift 0, or so small that it rounds to nothing).
    pub fn try_from_real(r: f64) -> Option<Multiplier> {
        let m = Self::from_real(r);
        let ok = r == 0.0 || ((m.real() - r).abs() <= 0.01 * r);
        ok.then_some(m)
    }

    /// `rshift_round(v * m, shift)`.
    #[inline]
    pub fn apply(self, v: i64) -> i64 {
        rshift_round(v * self.m as i64, self.shift)
    }

    pub fn real(self) -> f64 {
        self.m as f64 / (2f64).powi(self.shift as i32)
    }
}

/// Round `r * 2^shift` to a signed integer multiplier with a shift shared by several factors.
pub fn fixed(r: f64, shift: u32) -> i64 {
    (r * (2f64).powi(shift as i32)).round() as i64
}

/// Floor square root of a u64, exact (bit-by-bit restoring method, as the hardware does it).
pub fn isqrt(v: u64) -> u64 {
    let mut rem = v;
    let mut root = 0u64;
    let mut bit = 1u64 << 62;
    while bit > v {
        bit >>= 2;
    }
    while bit != 0 {
        if rem >= root + bit {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
}

/// Accumulator width of a dot product of `k` terms of `a_bits` x `w_bits` signed operands
/// plus a bias clamped to [`bias_bound`]: no sum can overflow it.
pub fn acc_bits(a_bits: u32, w_bits: u32, k: usize) -> u32 {
    let log2k = usize::BITS - (k.max(1) - 1).leading_zeros();
    a_bits + w_bits + log2k
}

/// Largest magnitude of a product sum, `k * 2^(a+w-2)`; biases are clamped to it so that
/// sum + bias stays inside [`acc_bits`].
pub fn bias_bound(a_bits: u32, w_bits: u32, k: usize) -> i64 {
    (k as i64) << (a_bits + w_bits - 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_half_up() {
        assert_eq!(rshift_round(5, 1), 3);
        assert_eq!(rshift_round(-5, 1), -2);
        assert_eq!(rshift_round(-6, 2), -1);
        assert_eq!(rshift_round(6, 2), 2);
        assert_eq!(rshift_round(7, 0), 7);
    }

    #[test]
    fn isqrt_is_floor_sqrt() {
        for v in (0..100_000u64).chain([u64::MAX, u64::MAX - 1, 1 << 62, (1 << 62) - 1, 999_999_999_999]) {
            let r = isqrt(v);
            assert!(r.checked_mul(r).is_some_and(|s| s <= v), "{v}");
            assert!((r + 1).checked_mul(r + 1).is_none_or(|s| s > v), "{v}");
        }
    }

    #[test]
    fn multiplier_precision() {
        for r in [1e-9, 3.3e-5, 0.0123, 0.5, 0.999, 1.0, 7.5, 1234.5] {
            let m = Multiplier::from_real(r);
            assert!(m.m < 1 << MULT_BITS);
            assert!((m.real() - r).abs() / r < 1e-4, "{r}: {m:?}");
        }
        assert_eq!(Multiplier::from_real(1e9), Multiplier { m: 32767, shift: 0 });
    }

    #[test]
    fn acc_width_covers_extremes() {
        for (a, w, k) in [(8, 8, 4096), (8, 1, 768), (2, 2, 1), (4, 3, 3072)] {
            let worst = bias_bound(a, w, k) * 2;
            let bits = acc_bits(a, w, k);
            assert!(worst <= 1i64 << (bits - 1), "{a} {w} {k}");
        }
        assert_eq!(acc_bits(8, 8, 4096), 28);
    }
}
