//! The softmax unit against the golden `softmax_row`: rows of every length up to the maximum,
//! extreme and random scores, random multipliers, bubbles inside rows; every output beat and
//! every in_ready cycle exactly where the unit's cycle model puts them.

use rand::Rng;
use vitfpga_cosim::{Simulator, Value};
use vitfpga_golden::arith::Multiplier;
use vitfpga_golden::kernels::softmax::softmax_row;
use vitfpga_hw::units::softmax::SoftmaxUnit;
use vitfpga_sim_tests::{check, operand, rng, row_unit_lanes, RowRun};

fn prove(u: &SoftmaxUnit, rows: usize, sims: &[Simulator]) -> usize {
    let mut r = rng(u.lanes as u64 * 7 + u.z_bits as u64 * 3 + u.max_len as u64);
    let l = u.lanes;
    let idle = |rst: u64| {
        vec![
            Value::from_u64(rst),
            Value::from_lanes(&vec![0; l], u.z_bits),
            Value::from_u64(0),
            Value::from_u64(0),
            Value::from_u64(0),
            Value::from_u64(0),
            Value::from_u64(0),
        ]
    };
    let mut run = RowRun::new(u.timing(), idle(1), idle(0));
    for row in 0..rows {
        let len = match row {
            0 => 1,
            1 => u.max_len,
            2 => l,
            3 => l + 1,
            _ => r.gen_range(1..=u.max_len),
        };
        let mode = row % 5;
        let z: Vec<i32> = (0..len)
            .map(|_| match mode {
                0 => operand(&mut r, u.z_bits, 2) as i32,
                1 => {
                    let m = r.gen_range(1..3);
                    operand(&mut r, u.z_bits, m) as i32
                }
                2 => r.gen_range(-300..300),
                _ => operand(&mut r, u.z_bits, 0) as i32,
            })
            .collect();
        let mult = Multiplier { m: if mode == 3 { 32767 } else { r.gen_range(0..32768) }, shift: r.gen_range(4..40) };
        let mut p = vec![0i8; len];
        softmax_row(&z, mult, u.out_bits, &mut p);
        run.row(&mut r, len, &p, |r, b, count, last| {
            let lanes: Vec<i64> =
                (0..l).map(|k| z.get(b * l + k).map_or(operand(r, u.z_bits, 0), |&v| v as i64)).collect();
            vec![
                Value::from_u64(0),
                Value::from_lanes(&lanes, u.z_bits),
                Value::from_u64(1),
                Value::from_u64(last as u64),
                Value::from_u64(count as u64),
                Value::from_u64(mult.m as u64),
                Value::from_u64(mult.shift as u64),
            ]
        });
    }
    let elements = run.elements;
    let (stim, expect) = run.finish(u.out_bits);
    check(&u.rtl().design(), &stim, &expect, &row_unit_lanes(u.out_bits, l), sims);
    elements
}

#[test]
fn softmax_unit_equals_golden() {
    let n = prove(&SoftmaxUnit::new(4, 26, 8, 64).unwrap(), 40, &[Simulator::Verilator, Simulator::Icarus]);
    assert!(n >= 1000, "{n} elements");
    prove(&SoftmaxUnit::new(3, 32, 8, 50).unwrap(), 40, &[Simulator::Verilator]);
    prove(&SoftmaxUnit::new(5, 12, 4, 23).unwrap(), 60, &[Simulator::Verilator]);
    prove(&SoftmaxUnit::new(1, 18, 2, 9).unwrap(), 60, &[Simulator::Verilator]);
}

#[test]
fn vit_row_length_197() {
    prove(&SoftmaxUnit::new(16, 22, 8, 197).unwrap(), 12, &[Simulator::Verilator, Simulator::Icarus]);
}
