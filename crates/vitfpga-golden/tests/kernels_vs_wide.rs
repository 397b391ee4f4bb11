//! Every integer kernel against a plain i128 re-statement of its formula, over random shapes,
//! bit widths and extreme operands (-2^(b-1), all-maximum). Equal, no overflow, no panic.

use proptest::prelude::*;
use vitfpga_golden::arith::{range, Multiplier};
use vitfpga_golden::kernels::gemm::gemm_reference;
use vitfpga_golden::kernels::requantize::{add_rescale, lookup, requantize};
use vitfpga_golden::kernels::softmax::{softmax_row, EXP_C1, EXP_C2, EXP_FRAC, EXP_MAX_SHIFT, EXP_ONE, SM_INV_BITS};
use vitfpga_golden::run::{attn_context, attn_scores};

fn rr(v: i128, s: u32) -> i128 {
    if s == 0 {
        v
    } else {
        (v + (1i128 << (s - 1))) >> s
    }
}
fn clamp(v: i128, bits: u32) -> i128 {
    v.clamp(-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1)
}

/// Values in the signed `bits` range: 0 random, 1 all minimum, 2 all maximum, 3 alternating.
fn values(bits: u32, len: usize, seed: u64, mode: u8) -> Vec<i8> {
    let (lo, hi) = range(bits);
    let mut s = seed | 1;
    (0..len)
        .map(|i| match mode {
            1 => lo as i8,
            2 => hi as i8,
            3 => {
                if i % 2 == 0 {
                    lo as i8
                } else {
                    hi as i8
                }
            }
            _ => {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (lo + (s % (hi - lo + 1) as u64) as i64) as i8
            }
        })
        .collect()
}

fn softmax_wide(z: &[i32], m: Multiplier, out_bits: u32) -> Vec<i8> {
    let zmax = *z.iter().max().unwrap() as i128;
    let e: Vec<i128> = z
        .iter()
        .map(|&v| {
            let w = -rr((v as i128 - zmax) * m.m as i128, m.shift);
            let q = w >> EXP_FRAC;
            if q > EXP_MAX_SHIFT as i128 {
                return 0;
            }
            let r = w & ((1 << EXP_FRAC) - 1);
            let f = (1i128 << EXP_ONE) - ((r * (EXP_C1 as i128 - ((r * EXP_C2 as i128) >> EXP_FRAC))) >> EXP_FRAC);
            f >> q
        })
        .collect();
    let sum: i128 = e.iter().sum();
    let inv = (1i128 << SM_INV_BITS) / sum;
    e.iter().map(|&x| rr(x * inv, SM_INV_BITS - (out_bits - 1)).min((1 << (out_bits - 1)) - 1) as i8).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn requantize_equals_wide(n in 1usize..64, rows in 1usize..8, bits in 2u32..=16, seed: u64,
                              m in 0i32..32768, shift in 0u32..=62, acc_mode in 0u8..3) {
        let acc: Vec<i32> = (0..rows * n).map(|i| match acc_mode {
            0 => i32::MIN, 1 => i32::MAX, _ => (seed.wrapping_mul(i as u64 + 1) >> 16) as i32 }).collect();
        let bias: Vec<i32> = (0..n).map(|i| ((seed >> (i % 40)) as i32) >> 2).collect();
        let mult: Vec<Multiplier> = (0..n).map(|i| Multiplier { m: (m + i as i32) % 32768, shift }).collect();
        let got = requantize(&acc, &bias, &mult, bits);
        for (idx, g) in got.iter().enumerate() {
            let j = idx % n;
            let want = clamp(rr((acc[idx] as i128 + bias[j] as i128) * mult[j].m as i128, shift), bits);
            prop_assert_eq!(*g as i128, want);
        }
    }

    #[test]
    fn add_rescale_equals_wide(len in 1usize..300, bits in 2u32..=8, out_bits in 2u32..=8, seed: u64,
                               ma in 0i32..32768, mb in 0i32..32768, shift in 0u32..=62, ma_mode in 0u8..4, mb_mode in 0u8..4) {
        let a = values(bits, len, seed, ma_mode);
        let b = values(bits, len, seed ^ 3, mb_mode);
        let got = add_rescale(&a, &b, ma, mb, shift, out_bits);
        for i in 0..len {
            let want = clamp(rr(a[i] as i128 * ma as i128 + b[i] as i128 * mb as i128, shift), out_bits);
            prop_assert_eq!(got[i] as i128, want);
        }
    }

    #[test]
    fn lookup_indexes_by_code(bits in 2u32..=8, seed: u64, mode in 0u8..4) {
        let table: Vec<i8> = (0..1usize << bits).map(|i| (i as i64 * 37 % 255 - 127) as i8).collect();
        let x = values(bits, 100, seed, mode);
        let got = lookup(&x, &table, bits);
        for i in 0..x.len() {
            prop_assert_eq!(got[i], table[(x[i] as i32 + (1 << (bits - 1))) as usize]);
        }
    }

    #[test]
    fn softmax_equals_wide(len in 1usize..700, out_bits in 2u32..=8, seed: u64, m in 0i32..32768,
                           shift in 0u32..=62, mode in 0u8..4) {
        let mut s = seed | 1;
        let z: Vec<i32> = (0..len).map(|i| { s ^= s << 13; s ^= s >> 7; s ^= s << 17; match mode {
            0 => s as i32, 1 if i % 2 == 0 => i32::MIN, 1 => i32::MAX, 2 => (s % 2000) as i32 - 1000, _ => i32::MAX } }).collect();
        let mult = Multiplier { m, shift };
        let mut got = vec![0i8; len];
        softmax_row(&z, mult, out_bits, &mut got);
        prop_assert_eq!(got, softmax_wide(&z, mult, out_bits));
    }

    #[test]
    fn attention_products_equal_naive(heads in 1usize..4, dh in 1usize..20, t in 1usize..30, bits in 2u32..=8,
                                      pbits in 2u32..=8, seed: u64, mode in 0u8..4, m in 0i32..32768, shift in 0u32..30) {
        let d = heads * dh;
        let qkv = values(bits, t * 3 * d, seed, mode);
        let z = attn_scores(&qkv, heads, dh);
        for h in 0..heads {
            let q: Vec<i8> = (0..t).flat_map(|i| qkv[i * 3 * d + h * dh..i * 3 * d + h * dh + dh].to_vec()).collect();
            let k: Vec<i8> = (0..t).flat_map(|i| qkv[i * 3 * d + d + h * dh..i * 3 * d + d + h * dh + dh].to_vec()).collect();
            let want = gemm_reference(&q, &k, t, t, dh);
            for (g, w) in z[h * t * t..(h + 1) * t * t].iter().zip(&want) {
                prop_assert_eq!(*g as i64, *w);
            }
        }
        let p: Vec<i8> = values(pbits, heads * t * t, seed ^ 9, mode).iter().map(|&v| (v as i16).abs().min(127) as i8).collect();
        let mult = Multiplier { m, shift };
        let y = attn_context(&p, &qkv, heads, dh, mult, 8);
        for h in 0..heads {
            for i in 0..t {
                for c in 0..dh {
                    let acc: i128 = (0..t).map(|j| p[h * t * t + i * t + j] as i128 * qkv[j * 3 * d + 2 * d + h * dh + c] as i128).sum();
                    prop_assert_eq!(y[i * d + h * dh + c] as i128, clamp(rr(acc * m as i128, shift), 8));
                }
            }
        }
    }
}
