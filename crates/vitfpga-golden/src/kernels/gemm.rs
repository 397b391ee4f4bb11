//! Integer GEMM in dot-product form, `acc[m][n] = sum_k x[m][k] * w[n][k]`, exact in i32.
//!
//! Operands are signed integers of at most 8 bits held as i16 so that AVX2's `vpmaddwd`
//! (16 x i16*i16 -> 8 x i32 pair sums) does the work; an i16 product pair never overflows
//! i32, and the quantiser guarantees the full sum fits (`arith::acc_bits <= 32`). Where the CPU
//! has AVX-512 VNNI, `vpdpwssd` (the same pair sums, non-saturating, 512 bits) does it in one
//! instruction. The portable fallback computes exactly the same integers, so results never
//! depend on the CPU.

use rayon::prelude::*;

/// Micro-tile: MR rows of `x` against NR rows of `w`, 12 accumulators in AVX2 registers.
const MR: usize = 3;
const NR: usize = 4;
/// K is padded to a multiple of this (one 512-bit vector of i16).
const KV: usize = 32;
/// Rows of `x` one rayon task owns, and columns of `w` swept per cache block.
const M_BLOCK: usize = MR * 16;
const N_BLOCK: usize = NR * 16;

/// Row-major i16 operand, rows padded with zeros to a multiple of `row_multiple`, K to 16.
#[derive(Clone, Debug)]
pub struct Packed {
    pub rows: usize,
    pub k: usize,
    kp: usize,
    padded_rows: usize,
    data: Vec<i16>,
}

impl Packed {
    /// Contiguous rows: a straight widening copy (this runs once per GEMM call).
    fn from_rows(x: &[i8], rows: usize, k: usize, row_multiple: usize) -> Self {
        assert_eq!(x.len(), rows * k);
        let kp = k.div_ceil(KV) * KV;
        let padded_rows = rows.div_ceil(row_multiple) * row_multiple;
        let mut data = vec![0i16; padded_rows * kp];
        for (dst, src) in data.chunks_mut(kp).zip(x.chunks(k.max(1))) {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = s as i16;
            }
        }
        Packed { rows, k, kp, padded_rows, data }
    }

    /// Pack a left operand (activations), `[rows, k]` row-major.
    pub fn lhs(x: &[i8], rows: usize, k: usize) -> Self {
        Self::from_rows(x, rows, k, MR)
    }

    /// Pack a right operand given as its rows (weights `[n, k]`, one output channel a row).
    pub fn rhs(w: &[i8], n: usize, k: usize) -> Self {
        Self::from_rows(w, n, k, NR)
    }

    fn row(&self, r: usize) -> &[i16] {
        &self.data[r * self.kp..(r + 1) * self.kp]
    }
}

/// `acc[m][n]` for packed operands, row-major `[x.rows, w.rows]`.
pub fn gemm(x: &Packed, w: &Packed) -> Vec<i32> {
    assert_eq!(x.k, w.k, "inner dimensions differ");
    let (m, n) = (x.rows, w.rows);
    let mut out = vec![0i32; x.padded_rows * w.padded_rows];
    let np = w.padded_rows;
    let isa = Isa::detect();
    out.par_chunks_mut(M_BLOCK * np).enumerate().for_each(|(bi, chunk)| {
        let r0 = bi * M_BLOCK;
        let rows = chunk.len() / np;
        for c0 in (0..np).step_by(N_BLOCK) {
            let c1 = (c0 + N_BLOCK).min(np);
            for i in (0..rows).step_by(MR) {
                for j in (c0..c1).step_by(NR) {
                    let xs = [x.row(r0 + i), x.row(r0 + i + 1), x.row(r0 + i + 2)];
                    let ws = [w.row(j), w.row(j + 1), w.row(j + 2), w.row(j + 3)];
                    let tile = micro(&xs, &ws, isa);
                    for a in 0..MR {
                        chunk[(i + a) * np + j..(i + a) * np + j + NR].copy_from_slice(&tile[a]);
                    }
                }
            }
        }
    });
    // Drop the padding rows and columns.
    if np == n {
        out.truncate(m * n);
        return out;
    }
    let mut dense = Vec::with_capacity(m * n);
    for r in 0..m {
        dense.extend_from_slice(&out[r * np..r * np + n]);
    }
    dense
}

/// Convenience: pack and multiply i8 operands (`x: [m,k]`, `w: [n,k]`).
pub fn gemm_i8(x: &[i8], w: &[i8], m: usize, n: usize, k: usize) -> Vec<i32> {
    gemm(&Packed::lhs(x, m, k), &Packed::rhs(w, n, k))
}

/// The plain wide-integer reference the fast kernel is tested against.
pub fn gemm_reference(x: &[i8], w: &[i8], m: usize, n: usize, k: usize) -> Vec<i64> {
    let mut out = vec![0i64; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|c| x[i * k + c] as i64 * w[j * k + c] as i64).sum();
        }
    }
    out
}

/// Which micro-kernel this CPU runs; all three give identical integers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isa {
    Portable,
    Avx2,
    Avx512Vnni,
}

impl Isa {
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512vnni") {
                return Isa::Avx512Vnni;
            }
            if std::is_x86_feature_detected!("avx2") {
                return Isa::Avx2;
            }
        }
        Isa::Portable
    }
}

#[inline]
fn micro(xs: &[&[i16]; MR], ws: &[&[i16]; NR], isa: Isa) -> [[i32; NR]; MR] {
    // SAFETY: the ISA was detected at run time; all rows have the same length, a multiple of 32.
    #[cfg(target_arch = "x86_64")]
    match isa {
        Isa::Avx512Vnni => return unsafe { micro_avx512vnni(xs, ws) },
        Isa::Avx2 => return unsafe { micro_avx2(xs, ws) },
        Isa::Portable => {}
    }
    let _ = isa;
    micro_portable(xs, ws)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vnni")]
unsafe fn micro_avx512vnni(xs: &[&[i16]; MR], ws: &[&[i16]; NR]) -> [[i32; NR]; MR] {
    use std::arch::x86_64::*;
    let kp = xs[0].len();
    let mut acc = [[_mm512_setzero_si512(); NR]; MR];
    let mut k = 0;
    while k < kp {
        let xv = [
            _mm512_loadu_si512(xs[0].as_ptr().add(k) as *const _),
            _mm512_loadu_si512(xs[1].as_ptr().add(k) as *const _),
            _mm512_loadu_si512(xs[2].as_ptr().add(k) as *const _),
        ];
        for b in 0..NR {
            let wv = _mm512_loadu_si512(ws[b].as_ptr().add(k) as *const _);
            for a in 0..MR {
                acc[a][b] = _mm512_dpwssd_epi32(acc[a][b], xv[a], wv);
            }
        }
        k += 32;
    }
    let mut t = [[0i32; NR]; MR];
    for a in 0..MR {
        for b in 0..NR {
            t[a][b] = _mm512_reduce_add_epi32(acc[a][b]);
        }
    }
    t
}

fn micro_portable(xs: &[&[i16]; MR], ws: &[&[i16]; NR]) -> [[i32; NR]; MR] {
    let mut t = [[0i32; NR]; MR];
    for a in 0..MR {
        for b in 0..NR {
            t[a][b] = xs[a].iter().zip(ws[b]).map(|(&p, &q)| p as i32 * q as i32).sum();
        }
    }
    t
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn micro_avx2(xs: &[&[i16]; MR], ws: &[&[i16]; NR]) -> [[i32; NR]; MR] {
    use std::arch::x86_64::*;
    let kp = xs[0].len();
    let mut acc = [[_mm256_setzero_si256(); NR]; MR];
    let mut k = 0;
    while k < kp {
        let xv = [
            _mm256_loadu_si256(xs[0].as_ptr().add(k) as *const __m256i),
            _mm256_loadu_si256(xs[1].as_ptr().add(k) as *const __m256i),
            _mm256_loadu_si256(xs[2].as_ptr().add(k) as *const __m256i),
        ];
        for b in 0..NR {
            let wv = _mm256_loadu_si256(ws[b].as_ptr().add(k) as *const __m256i);
            for a in 0..MR {
                acc[a][b] = _mm256_add_epi32(acc[a][b], _mm256_madd_epi16(xv[a], wv));
            }
        }
        k += 16;
    }
    let mut t = [[0i32; NR]; MR];
    for a in 0..MR {
        // Horizontal sums of four accumulators at once.
        let h01 = _mm256_hadd_epi32(acc[a][0], acc[a][1]);
        let h23 = _mm256_hadd_epi32(acc[a][2], acc[a][3]);
        let h = _mm256_hadd_epi32(h01, h23);
        let s = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
        _mm_storeu_si128(t[a].as_mut_ptr() as *mut __m128i, s);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn operand(bits: u32, len: usize, seed: u64, extreme: u8) -> Vec<i8> {
        let (lo, hi) = crate::arith::range(bits);
        let mut s = seed.wrapping_mul(0x9E3779B97F4A7C15) | 1;
        (0..len)
            .map(|_| match extreme {
                1 => lo as i8,
                2 => hi as i8,
                _ => {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    (lo + (s % (hi - lo + 1) as u64) as i64) as i8
                }
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn equals_wide_reference(m in 1usize..40, n in 1usize..40, k in 1usize..300,
                                 a_bits in 1u32..=8, w_bits in 1u32..=8, seed: u64,
                                 xe in 0u8..3, we in 0u8..3) {
            let a_bits = a_bits.max(2);
            let x = operand(a_bits, m * k, seed, xe);
            let w = operand(w_bits.max(1), n * k, seed ^ 77, we);
            let fast = gemm_i8(&x, &w, m, n, k);
            let slow = gemm_reference(&x, &w, m, n, k);
            let bound = crate::arith::bias_bound(a_bits, w_bits.max(1), k);
            for (f, s) in fast.iter().zip(&slow) {
                prop_assert_eq!(*f as i64, *s);
                prop_assert!(s.abs() <= bound);
            }
        }
    }

    #[test]
    fn extremes_at_k_4096() {
        // -128 * -128 summed 4096 times is the largest 8x8-bit sum: 2^26.
        for (xe, we) in [(1, 1), (1, 2), (2, 2), (2, 1), (0, 1)] {
            let (m, n, k) = (5, 7, 4096);
            let x = operand(8, m * k, 3, xe);
            let w = operand(8, n * k, 4, we);
            let fast = gemm_i8(&x, &w, m, n, k);
            let slow = gemm_reference(&x, &w, m, n, k);
            assert!(fast.iter().zip(&slow).all(|(f, s)| *f as i64 == *s));
        }
    }

    #[test]
    fn every_isa_gives_the_same_integers() {
        let k = 160;
        let rows: Vec<Vec<i16>> =
            (0..7).map(|r| (0..k).map(|c| ((r * 31 + c * 17) % 255) as i16 - 128).collect()).collect();
        let xs = [&rows[0][..], &rows[1][..], &rows[2][..]];
        let ws = [&rows[3][..], &rows[4][..], &rows[5][..], &rows[6][..]];
        let want = micro_portable(&xs, &ws);
        let best = Isa::detect();
        for isa in [Isa::Portable, Isa::Avx2, Isa::Avx512Vnni] {
            // Only the ISAs this CPU has (detection order: VNNI implies AVX2 here).
            if isa == Isa::Portable || best == Isa::Avx512Vnni || (best == Isa::Avx2 && isa == Isa::Avx2) {
                assert_eq!(micro(&xs, &ws, isa), want, "{isa:?}");
            }
        }
        eprintln!("this CPU runs the {best:?} micro-kernel");
    }
}
