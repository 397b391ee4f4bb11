//! Requantizer, residual adder and lookup unit against the golden kernels, and the buffer against
//! a memory model: >= 1000 random vectors each with extremes and bubbles, every output at exactly
//! the unit's latency.

use rand::Rng;
use vitfpga_cosim::{Simulator, Value};
use vitfpga_golden::arith::Multiplier;
use vitfpga_golden::kernels::requantize::{add_rescale, lookup, requantize};
use vitfpga_hw::units::buffer::{Buffer, RamStyle};
use vitfpga_hw::units::lut::LookupUnit;
use vitfpga_hw::units::requant::Requantizer;
use vitfpga_hw::units::residual::ResidualAdder;
use vitfpga_sim_tests::{check, operand, rng, Expect};

const V: &[Simulator] = &[Simulator::Verilator];
const BOTH: &[Simulator] = &[Simulator::Verilator, Simulator::Icarus];

/// Place each (cycle, outputs) at cycle + latency; all other cycles expect valid = 0.
fn expect_at(n: usize, latency: usize, outs: Vec<(usize, Value)>) -> Expect {
    let mut e: Expect = vec![vec![None, Some(Value::from_u64(0))]; n + latency + 2];
    for (t, v) in outs {
        e[t + latency] = vec![Some(v), Some(Value::from_u64(1))];
    }
    e
}

fn pad(stim: &mut Vec<Vec<Value>>, to: usize) {
    let width = stim[0].len();
    while stim.len() < to {
        stim.push(vec![Value::from_u64(0); width]);
    }
}

fn prove_requant(lanes: usize, acc_bits: u32, out_bits: u32, sims: &[Simulator]) {
    let u = Requantizer::new(lanes, acc_bits, out_bits).unwrap();
    let mut r = rng(lanes as u64 * 131 + acc_bits as u64 * 7 + out_bits as u64);
    let (mut stim, mut outs) = (vec![], vec![]);
    for t in 0..1200 {
        let mode = (t / 100 % 4) as u8; // blocks of minimum / maximum / random operands
        let acc: Vec<i64> = (0..lanes).map(|_| operand(&mut r, acc_bits, if mode == 3 { 0 } else { mode })).collect();
        let bias: Vec<i64> = (0..lanes)
            .map(|_| {
                if r.gen_bool(0.1) {
                    let m = r.gen_range(1..3);
                    operand(&mut r, 32, m)
                } else {
                    operand(&mut r, 20, 0)
                }
            })
            .collect();
        let mult: Vec<Multiplier> = (0..lanes)
            .map(|_| Multiplier {
                m: if r.gen_bool(0.05) { 32767 } else { r.gen_range(0..32768) },
                // Shifts around and past the product's width (the RTL narrows there) and the ends.
                shift: match r.gen_range(0..20) {
                    0 => r.gen_range(0..2) * 62,
                    1..=4 => r.gen_range(40..=62),
                    _ => r.gen_range(0..40),
                },
            })
            .collect();
        let valid = r.gen_range(0..8) != 0;
        if valid {
            let acc32: Vec<i32> = acc.iter().map(|&v| v as i32).collect();
            let bias32: Vec<i32> = bias.iter().map(|&v| v as i32).collect();
            let y: Vec<i64> = requantize(&acc32, &bias32, &mult, out_bits).into_iter().map(i64::from).collect();
            outs.push((t, Value::from_lanes(&y, out_bits)));
        }
        stim.push(vec![
            Value::from_lanes(&acc, acc_bits),
            Value::from_lanes(&bias, 32),
            Value::from_lanes(&mult.iter().map(|m| m.m as i64).collect::<Vec<_>>(), 16),
            Value::from_lanes(&mult.iter().map(|m| m.shift as i64).collect::<Vec<_>>(), 6),
            Value::from_u64(valid as u64),
        ]);
    }
    let expect = expect_at(stim.len(), u.latency(), outs);
    pad(&mut stim, expect.len());
    check(&u.rtl().design(), &stim, &expect, &vec![(out_bits, lanes, true), (1, 1, false)], sims);
}

#[test]
fn requantizer_equals_golden() {
    prove_requant(4, 26, 8, BOTH);
    prove_requant(3, 32, 8, V);
    prove_requant(5, 20, 4, V);
    prove_requant(2, 28, 16, V);
    prove_requant(1, 12, 2, V);
}

fn prove_residual(lanes: usize, a_bits: u32, b_bits: u32, out_bits: u32, sims: &[Simulator]) {
    let u = ResidualAdder::new(lanes, a_bits, b_bits, out_bits).unwrap();
    let mut r = rng(lanes as u64 * 17 + a_bits as u64 * 5 + b_bits as u64 * 3 + out_bits as u64);
    let (mut stim, mut outs) = (vec![], vec![]);
    for t in 0..1200 {
        let mode = (t / 100 % 4) as u8;
        let a: Vec<i8> = (0..lanes).map(|_| operand(&mut r, a_bits, if mode == 3 { 0 } else { mode }) as i8).collect();
        let b: Vec<i8> =
            (0..lanes).map(|_| operand(&mut r, b_bits, if mode == 3 { 0 } else { 3 - mode.min(2) }) as i8).collect();
        let (ma, mb) = (r.gen_range(0..32768), if r.gen_bool(0.05) { 32767 } else { r.gen_range(0..32768) });
        // Shifts around and past the sum's width (the RTL narrows there) and the end.
        let shift = match r.gen_range(0..20) {
            0 => 62,
            1..=4 => r.gen_range(18..=62),
            _ => r.gen_range(0..24),
        };
        let valid = r.gen_range(0..8) != 0;
        if valid {
            let y: Vec<i64> = add_rescale(&a, &b, ma, mb, shift, out_bits).into_iter().map(i64::from).collect();
            outs.push((t, Value::from_lanes(&y, out_bits)));
        }
        let wide = |v: &[i8]| v.iter().map(|&x| x as i64).collect::<Vec<_>>();
        stim.push(vec![
            Value::from_lanes(&wide(&a), a_bits),
            Value::from_lanes(&wide(&b), b_bits),
            Value::from_u64(ma as u64),
            Value::from_u64(mb as u64),
            Value::from_u64(shift as u64),
            Value::from_u64(valid as u64),
        ]);
    }
    let expect = expect_at(stim.len(), u.latency(), outs);
    pad(&mut stim, expect.len());
    check(&u.rtl().design(), &stim, &expect, &vec![(out_bits, lanes, true), (1, 1, false)], sims);
}

#[test]
fn residual_adder_equals_golden() {
    prove_residual(4, 8, 8, 8, BOTH);
    prove_residual(3, 4, 8, 6, V);
    prove_residual(7, 2, 3, 2, V);
}

fn prove_lut(lanes: usize, in_bits: u32, out_bits: u32, sims: &[Simulator]) {
    let u = LookupUnit::new(lanes, in_bits, out_bits).unwrap();
    let mut r = rng(lanes as u64 * 11 + in_bits as u64 * 13 + out_bits as u64);
    let (mut stim, mut outs) = (vec![], vec![]);
    let idle_x = Value::from_lanes(&vec![0; lanes], in_bits);
    for round in 0..2 {
        // Load a fresh table, then look up through it.
        let table: Vec<i8> = (0..1usize << in_bits).map(|_| operand(&mut r, out_bits, 0) as i8).collect();
        for (i, &v) in table.iter().enumerate() {
            stim.push(vec![
                Value::from_u64(1),
                Value::from_u64(i as u64),
                Value::from_lanes(&[v as i64], out_bits),
                idle_x.clone(),
                Value::from_u64(0),
            ]);
        }
        for t in 0..600 {
            let mode = if t < 20 { 1 + (t % 2) as u8 } else { 0 };
            let x: Vec<i8> = (0..lanes).map(|_| operand(&mut r, in_bits, mode) as i8).collect();
            let valid = r.gen_range(0..8) != 0 || round == 0 && t < 20;
            if valid {
                let y: Vec<i64> = lookup(&x, &table, in_bits).into_iter().map(i64::from).collect();
                outs.push((stim.len(), Value::from_lanes(&y, out_bits)));
            }
            let xs: Vec<i64> = x.iter().map(|&v| v as i64).collect();
            stim.push(vec![
                Value::from_u64(0),
                Value::from_u64(0),
                Value::from_u64(0),
                Value::from_lanes(&xs, in_bits),
                Value::from_u64(valid as u64),
            ]);
        }
    }
    let expect = expect_at(stim.len(), u.latency(), outs);
    pad(&mut stim, expect.len());
    check(&u.rtl().design(), &stim, &expect, &vec![(out_bits, lanes, true), (1, 1, false)], sims);
}

#[test]
fn lookup_unit_equals_golden() {
    prove_lut(4, 8, 8, BOTH);
    prove_lut(3, 4, 6, V);
    prove_lut(5, 2, 2, V);
}

fn prove_buffer(width: u32, depth: usize, style: RamStyle, sims: &[Simulator]) {
    let u = Buffer::new(width, depth, style).unwrap();
    let mut r = rng(width as u64 * 3 + depth as u64);
    let mut mem = vec![Value::from_u64(0); depth];
    let mut rdata = Value::from_u64(0);
    let (mut stim, mut expect): (Vec<Vec<Value>>, Expect) = (vec![], vec![]);
    let lanes = width.div_ceil(16) as usize;
    for _ in 0..1500 {
        let (we, re) = (r.gen_bool(0.5), r.gen_bool(0.6));
        let (wa, ra) = (r.gen_range(0..depth), if r.gen_bool(0.2) { 0 } else { r.gen_range(0..depth) });
        let wd = Value::from_lanes(&(0..lanes).map(|_| r.gen_range(0..65536)).collect::<Vec<i64>>(), 16);
        let wd = Value::from_hex(&wd.to_hex(width), width).unwrap();
        stim.push(vec![
            Value::from_u64(we as u64),
            Value::from_u64(wa as u64),
            wd.clone(),
            Value::from_u64(re as u64),
            Value::from_u64(ra as u64),
        ]);
        // Output in this cycle: what the last read returned.
        expect.push(vec![Some(rdata.clone())]);
        // Rising edge: read-before-write on the same address.
        if re {
            rdata = mem[ra].clone();
        }
        if we {
            mem[wa] = wd;
        }
    }
    check(
        &u.rtl().design(),
        &stim,
        &expect,
        &vec![(width, 1, false)].into_iter().map(|(w, n, s)| if w > 63 { (16, lanes, s) } else { (w, n, s) }).collect(),
        sims,
    );
}

#[test]
fn buffer_behaves_as_memory() {
    prove_buffer(64, 64, RamStyle::Block, BOTH);
    prove_buffer(72, 100, RamStyle::Ultra, V);
    prove_buffer(9, 16, RamStyle::Distributed, V);
}
