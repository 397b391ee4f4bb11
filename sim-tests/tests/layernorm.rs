//! The LayerNorm unit against the golden `layernorm_row`: rows of every length, extreme and
//! random inputs (including constant rows, where only eps keeps the root above zero), random
//! gamma/beta/shift/eps; every output beat and every in_ready cycle at the cycle model's place.

use rand::Rng;
use vitfpga_cosim::{Simulator, Value};
use vitfpga_golden::kernels::layernorm::{layernorm_row, LayerNormParams};
use vitfpga_hw::units::layernorm::LayerNormUnit;
use vitfpga_sim_tests::{check, operand, rng, row_unit_lanes, RowRun};

fn prove(u: &LayerNormUnit, rows: usize, sims: &[Simulator]) -> usize {
    let mut r = rng(u.lanes as u64 * 5 + u.x_bits as u64 * 11 + u.max_len as u64);
    let l = u.lanes;
    let idle = |rst: u64| {
        vec![
            Value::from_u64(rst),
            Value::from_u64(0),
            Value::from_u64(0),
            Value::from_u64(0),
            Value::from_u64(0),
            Value::from_lanes(&vec![0; l], u.x_bits),
            Value::from_u64(0),
            Value::from_u64(0),
            Value::from_u64(0),
            Value::from_u64(0),
            Value::from_u64(0),
        ]
    };
    let mut run = RowRun::new(u.timing(), idle(1), idle(0));
    let mut gamma: Vec<i32> = vec![];
    let mut beta: Vec<i64> = vec![];
    for row in 0..rows {
        if row % 10 == 0 {
            // New per-channel parameters, written while no row is in the unit.
            run.drain();
            gamma = (0..u.max_len)
                .map(|i| if i % 7 == 0 { 32767 * if i % 2 == 0 { 1 } else { -1 } } else { r.gen_range(-32767..=32767) })
                .collect();
            beta = (0..u.max_len).map(|_| r.gen_range(-(1i64 << 40)..(1i64 << 40))).collect();
            for ch in 0..u.max_len {
                let mut v = idle(0);
                v[1] = Value::from_u64(1);
                v[2] = Value::from_u64(ch as u64);
                v[3] = Value::from_lanes(&[gamma[ch] as i64], 16);
                v[4] = Value::from_lanes(&[beta[ch]], 64);
                run.stim.push(v);
            }
        }
        let len = match row {
            0 => 1,
            1 => u.max_len,
            2 => l,
            3 => l + 1,
            _ => r.gen_range(1..=u.max_len),
        };
        let mode = row % 6;
        let x: Vec<i8> = (0..len)
            .map(|i| match mode {
                0 => operand(&mut r, u.x_bits, 1) as i8,
                1 => operand(&mut r, u.x_bits, if i % 2 == 0 { 1 } else { 2 }) as i8,
                2 => operand(&mut r, u.x_bits, 2) as i8,
                _ => operand(&mut r, u.x_bits, 0) as i8,
            })
            .collect();
        let eps_q: u64 = match row % 4 {
            0 => 1,
            1 => r.gen_range(1..1000),
            2 => r.gen_range(1..(1u64 << 30)),
            _ => r.gen_range(1..(1u64 << 62)),
        };
        let shift: u32 = r.gen_range(0..=40);
        let p = LayerNormParams {
            eps_q,
            gamma: gamma[..len].to_vec(),
            beta: beta[..len].to_vec(),
            shift,
            out_bits: u.out_bits,
        };
        let mut y = vec![0i8; len];
        layernorm_row(&x, &p, &mut y);
        run.row(&mut r, len, &y, |r, b, count, last| {
            let lanes: Vec<i64> =
                (0..l).map(|k| x.get(b * l + k).map_or(operand(r, u.x_bits, 0), |&v| v as i64)).collect();
            let mut v = idle(0);
            v[5] = Value::from_lanes(&lanes, u.x_bits);
            v[6] = Value::from_u64(1);
            v[7] = Value::from_u64(last as u64);
            v[8] = Value::from_u64(count as u64);
            v[9] = Value::from_u64(eps_q);
            v[10] = Value::from_u64(shift as u64);
            v
        });
    }
    let elements = run.elements;
    let (stim, expect) = run.finish(u.out_bits);
    check(&u.rtl().design(), &stim, &expect, &row_unit_lanes(u.out_bits, l), sims);
    elements
}

#[test]
fn layernorm_unit_equals_golden() {
    let n = prove(&LayerNormUnit::new(4, 8, 8, 64).unwrap(), 40, &[Simulator::Verilator, Simulator::Icarus]);
    assert!(n >= 1000, "{n} elements");
    prove(&LayerNormUnit::new(3, 4, 6, 40).unwrap(), 30, &[Simulator::Verilator]);
    prove(&LayerNormUnit::new(1, 2, 2, 9).unwrap(), 40, &[Simulator::Verilator]);
}

/// One lane and long rows: a row's output pass (up to 300 beats) outlasts the next short row's
/// load and constants, so that row's output pass waits for it (`RowTiming::first_output`).
#[test]
fn short_row_waits_for_the_long_one_before() {
    prove(&LayerNormUnit::new(1, 8, 8, 300).unwrap(), 24, &[Simulator::Verilator]);
}

#[test]
fn vit_dim_768_with_16_lanes() {
    prove(&LayerNormUnit::new(16, 8, 8, 768).unwrap(), 6, &[Simulator::Verilator, Simulator::Icarus]);
}
