//! The worked examples of docs/arithmetic.md, computed by the kernels themselves, so the written
//! specification and the golden model cannot drift apart.

use vitfpga_golden::arith::{isqrt, Multiplier};
use vitfpga_golden::kernels::layernorm::{layernorm_row, LayerNormParams};
use vitfpga_golden::kernels::requantize::{add_rescale, requantize};
use vitfpga_golden::kernels::softmax::softmax_row;

#[test]
fn multiplier_examples() {
    for (r, m, s) in [(0.5, 16384, 15), (7.5, 30720, 12), (0.0123, 25795, 21), (1.5, 24576, 14), (1e-15, 4612, 62)] {
        assert_eq!(Multiplier::from_real(r), Multiplier { m, shift: s }, "{r}");
    }
    assert_eq!(Multiplier::from_real(1e9), Multiplier { m: 32767, shift: 0 });
    assert_eq!(Multiplier::from_real(1e-20), Multiplier { m: 0, shift: 62 });
}

#[test]
fn linear_example() {
    // x = [100, -128, 7, 55], w = [-3, 127, 64, -128], bias 1000
    let acc: i32 = [100 * -3, -128 * 127, 7 * 64, 55 * -128].iter().sum();
    assert_eq!(acc, -23148);
    let m = Multiplier::from_real(0.00123);
    assert_eq!(m, Multiplier { m: 20636, shift: 24 });
    assert_eq!(requantize(&[acc], &[1000], &[m], 8), vec![-27]);
    assert_eq!(requantize(&[acc], &[1000], &[Multiplier::from_real(0.0123)], 8), vec![-128]);
    // binary: acc 276, bias clamped to 511, M = (26214, 19) -> 39
    assert_eq!(Multiplier::from_real(0.05), Multiplier { m: 26214, shift: 19 });
    assert_eq!(requantize(&[276], &[511], &[Multiplier::from_real(0.05)], 8), vec![39]);
}

#[test]
fn softmax_example() {
    let m = Multiplier::from_real(0.01 * std::f64::consts::LOG2_E * 1024.0);
    assert_eq!(m, Multiplier { m: 30256, shift: 11 });
    let mut p = [0i8; 4];
    softmax_row(&[300, 100, 0, -250], m, 8, &mut p);
    assert_eq!(p, [108, 15, 5, 0]);
}

#[test]
fn layernorm_example() {
    // D = 4, s_x = 0.05, s_y = 0.03125, gamma = [1, 0.5, -0.75, 2], beta = [0.125, 0, -0.25, 0.0625]
    assert_eq!(isqrt(39201), 197);
    let p = LayerNormParams {
        eps_q: 1,
        gamma: vec![8192, 4096, -6144, 16384],
        beta: vec![4194304, 0, -8388608, 2097152],
        shift: 20,
        out_bits: 8,
    };
    let mut y = [0i8; 4];
    layernorm_row(&[100, -30, 70, 20], &p, &mut y);
    assert_eq!(y, [43, -23, -23, -24]);
    // The precision note: [0, 0, 0, 1] gives n = 6144 (n is wider than 8 bits, so the formula is
    // followed step by step here).
    let (d, x) = (4i64, [0i64, 0, 0, 1]);
    let s: i64 = x.iter().sum();
    let c: Vec<i64> = x.iter().map(|v| d * v - s).collect();
    let v: i64 = c.iter().map(|c| c * c).sum();
    let r = isqrt((v / d + 1) as u64).max(1) as i64;
    assert_eq!(r, 2);
    assert_eq!(vitfpga_golden::arith::rshift_round(c[3] * ((1i64 << 40) / r), 28), 6144);
}

#[test]
fn context_and_add_examples() {
    let m = Multiplier::from_real(0.01953125);
    assert_eq!(m, Multiplier { m: 20480, shift: 20 });
    assert_eq!(m.apply(100 * 50 + 20 * -30 + 7 * 12), 88);
    assert_eq!(add_rescale(&[100, 127], &[-50, 127], 27307, 10923, 15, 8), vec![67, 127]);
}
