//! Integer GEMM in dot-product form, `acc[m][n] = sum_k x[m][k] * w[n][k]`, exact in i32.
//!
//! Operands are signed integers of at most 8 bits held as i16 so that AVX2's `vpmaddwd`
//! (16 x i16*i16 -> 8 x i32 pair sums) does the work; an i16 product pair never overflows
//! i32, and the quantiser guarantees the full sum fits (`arith::acc_bits <= 32`). With AVX-512
//! VNNI the operands are instead kept as bytes and `vpdpbusd` multiplies
//! unsigned by signed bytes, four per 32-bit lane: the left operand is offset by +128 into u8 and
//! the offset is removed exactly with the right operand's row sums,
//! `sum x*w = sum (x+128)*w - 128 * sum w`. Every path computes exactly the same integers, so
//! results never depend on the CPU.

use rayon::prelude::*;

/// Micro-tile: MR rows of `x` against NR rows of `w`, 12 accumulators in AVX2 registers.
const MR: usize = 3;
const NR: usize = 4;
/// K is padded to a multiple of this (one 512-bit vector of i16).
const KV: usize = 32;
/// Rows of `x` one rayon task owns, and columns of `w` swept per cache block.
const M_BLOCK: usize = MR * 16;
const N_BLOCK: usize = NR * 16;

/// Bytes per VNNI step (one 512-bit vector of u8/i8); the byte layout pads K to this.
const KB: usize = 64;

/// A packed operand, rows padded with zeros to a multiple of the micro-tile. Either i16 values
/// (AVX2 / portable paths; K padded to 32) or bytes (VNNI path; K padded to 64; left operands
/// offset by +128, right operands with their row sums).
#[derive(Clone, Debug)]
pub struct Packed {
    pub rows: usize,
    pub k: usize,
    kp: usize,
    padded_rows: usize,
    isa: Isa,
    data: Vec<i16>,
    bytes: Vec<u8>,
    row_sums: Vec<i32>,
}

impl Packed {
    /// Contiguous rows: one widening (or offsetting) copy per GEMM call.
    fn from_rows(x: &[i8], rows: usize, k: usize, row_multiple: usize, lhs: bool) -> Self {
        assert_eq!(x.len(), rows * k);
        let isa = Isa::detect();
        let padded_rows = rows.div_ceil(row_multiple) * row_multiple;
        let src_rows = x.chunks(k.max(1));
        if isa == Isa::Avx512Vnni {
            let kp = k.div_ceil(KB) * KB;
            let mut bytes = vec![0u8; padded_rows * kp];
            let mut row_sums = vec![0i32; padded_rows];
            for ((dst, src), sum) in bytes.chunks_mut(kp).zip(src_rows).zip(row_sums.iter_mut()) {
                if lhs {
                    for (d, &s) in dst.iter_mut().zip(src) {
                        *d = (s as i16 + 128) as u8;
                    }
                } else {
                    for (d, &s) in dst.iter_mut().zip(src) {
                        *d = s as u8;
                    }
                    *sum = src.iter().map(|&v| v as i32).sum();
                }
            }
            return Packed { rows, k, kp, padded_rows, isa, data: vec![], bytes, row_sums };
        }
        let kp = k.div_ceil(KV) * KV;
        let mut data = vec![0i16; padded_rows * kp];
        for (dst, src) in data.chunks_mut(kp).zip(src_rows) {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = s as i16;
            }
        }
        Packed { rows, k, kp, padded_rows, isa, data, bytes: vec![], row_sums: vec![] }
    }

    /// Pack a left operand (activations), `[rows, k]` row-major.
    pub fn lhs(x: &[i8], rows: usize, k: usize) -> Self {
        Self::from_rows(x, rows, k, MR, true)
    }

    /// Pack a right operand given as its rows (weights `[n, k]`, one output channel a row).
    pub fn rhs(w: &[i8], n: usize, k: usize) -> Self {
        Self::from_rows(w, n, k, NR, false)
    }

    fn row(&self, r: usize) -> &[i16] {
        &self.data[r * self.kp..(r + 1) * self.kp]
    }

    fn row_bytes(&self, r: usize) -> &[u8] {
        &self.bytes[r * self.kp..(r + 1) * self.kp]
    }
}

/// `acc[m][n]` for packed operands, row-major `[x.rows, w.rows]`.
pub fn gemm(x: &Packed, w: &Packed) -> Vec<i32> {
    assert_eq!(x.k, w.k, "inner dimensions differ");
    let (m, n) = (x.rows, w.rows);
    let mut out = vec![0i32; x.padded_rows * w.padded_rows];
    let np = w.padded_rows;
    let isa = x.isa;
    assert_eq!(isa, w.isa, "operands packed for different kernels");
    out.par_chunks_mut(M_BLOCK * np).enumerate().for_each(|(bi, chunk)| {
        let r0 = bi * M_BLOCK;
        let rows = chunk.len() / np;
        for c0 in (0..np).step_by(N_BLOCK) {
            let c1 = (c0 + N_BLOCK).min(np);
            for i in (0..rows).step_by(MR) {
                for j in (c0..c1).step_by(NR) {
                    let tile = if isa == Isa::Avx512Vnni {
                        let xs = [x.row_bytes(r0 + i), x.row_bytes(r0 + i + 1), x.row_bytes(r0 + i + 2)];
                        let ws = [w.row_bytes(j), w.row_bytes(j + 1), w.row_bytes(j + 2), w.row_bytes(j + 3)];
                        let mut t = micro_bytes(&xs, &ws);
                        for row in t.iter_mut() {
                            for (b, v) in row.iter_mut().enumerate() {
                                *v -= 128 * w.row_sums[j + b];
                            }
                        }
                        t
                    } else {
                        let xs = [x.row(r0 + i), x.row(r0 + i + 1), x.row(r0 + i + 2)];
                        let ws = [w.row(j), w.row(j + 1), w.row(j + 2), w.row(j + 3)];
                        micro(&xs, &ws, isa)
                    };
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
        static ISA: std::sync::OnceLock<Isa> = std::sync::OnceLock::new();
        *ISA.get_or_init(Self::probe)
    }

    fn probe() -> Isa {
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
    // SAFETY: AVX2 was detected at run time (VNNI implies it); rows share one length, a
    // multiple of 32. (The VNNI path packs bytes and runs `micro_bytes` instead.)
    #[cfg(target_arch = "x86_64")]
    if isa != Isa::Portable {
        return unsafe { micro_avx2(xs, ws) };
    }
    let _ = isa;
    micro_portable(xs, ws)
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

/// u8 x s8 tile (left operand offset by +128): the VNNI kernel, or the same sums in plain Rust.
#[inline]
fn micro_bytes(xs: &[&[u8]; MR], ws: &[&[u8]; NR]) -> [[i32; NR]; MR] {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: byte packing is only chosen when AVX-512 VNNI was detected; rows share one
        // length, a multiple of 64.
        unsafe { micro_dpbusd(xs, ws) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    micro_bytes_portable(xs, ws)
}

#[allow(dead_code)]
fn micro_bytes_portable(xs: &[&[u8]; MR], ws: &[&[u8]; NR]) -> [[i32; NR]; MR] {
    let mut t = [[0i32; NR]; MR];
    for a in 0..MR {
        for b in 0..NR {
            t[a][b] = xs[a].iter().zip(ws[b]).map(|(&p, &q)| p as i32 * q as i8 as i32).sum();
        }
    }
    t
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx2")]
unsafe fn micro_dpbusd(xs: &[&[u8]; MR], ws: &[&[u8]; NR]) -> [[i32; NR]; MR] {
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
                acc[a][b] = _mm512_dpbusd_epi32(acc[a][b], xv[a], wv);
            }
        }
        k += KB;
    }
    let mut t = [[0i32; NR]; MR];
    for a in 0..MR {
        // Fold each 512-bit accumulator to 256 bits, then sum four at once with hadds.
        let h: [__m256i; NR] = std::array::from_fn(|b| {
            _mm256_add_epi32(_mm512_castsi512_si256(acc[a][b]), _mm512_extracti64x4_epi64(acc[a][b], 1))
        });
        let h01 = _mm256_hadd_epi32(h[0], h[1]);
        let h23 = _mm256_hadd_epi32(h[2], h[3]);
        let hh = _mm256_hadd_epi32(h01, h23);
        let s = _mm_add_epi32(_mm256_castsi256_si128(hh), _mm256_extracti128_si256(hh, 1));
        _mm_storeu_si128(t[a].as_mut_ptr() as *mut __m128i, s);
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
        let k = 192;
        let rows: Vec<Vec<i16>> =
            (0..7).map(|r| (0..k).map(|c| ((r * 31 + c * 17) % 256) as i16 - 128).collect()).collect();
        let xs = [&rows[0][..], &rows[1][..], &rows[2][..]];
        let ws = [&rows[3][..], &rows[4][..], &rows[5][..], &rows[6][..]];
        let want = micro_portable(&xs, &ws);
        // i16 paths
        assert_eq!(micro(&xs, &ws, Isa::Portable), want);
        let best = Isa::detect();
        if best != Isa::Portable {
            assert_eq!(micro(&xs, &ws, Isa::Avx2), want);
        }
        // byte paths: left operand offset by +128, corrected with the right operand's row sums
        let xb: Vec<Vec<u8>> = rows[..3].iter().map(|r| r.iter().map(|&v| (v + 128) as u8).collect()).collect();
        let wb: Vec<Vec<u8>> = rows[3..].iter().map(|r| r.iter().map(|&v| v as i8 as u8).collect()).collect();
        let sums: Vec<i32> = rows[3..].iter().map(|r| r.iter().map(|&v| v as i32).sum()).collect();
        let xs8 = [&xb[0][..], &xb[1][..], &xb[2][..]];
        let ws8 = [&wb[0][..], &wb[1][..], &wb[2][..], &wb[3][..]];
        let fix = |t: [[i32; NR]; MR]| t.map(|row| std::array::from_fn(|b| row[b] - 128 * sums[b]));
        assert_eq!(fix(micro_bytes_portable(&xs8, &ws8)), want);
        if best == Isa::Avx512Vnni {
            assert_eq!(fix(micro_bytes(&xs8, &ws8)), want);
        }
        eprintln!("this CPU runs the {best:?} kernel");
    }
}
