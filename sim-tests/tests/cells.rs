//! The rust-hdl cells (isqrt, reciprocals) in Verilator and Icarus against the golden `isqrt`: extremes, perfect
//! squares and their neighbours, random values of every magnitude; result exactly 33 cycles after
//! start.

use rand::Rng;
use vitfpga_cosim::{Design, Port, Simulator, Value};
use vitfpga_golden::arith::isqrt;
use vitfpga_sim_tests::{check, rng, Expect};

#[test]
fn isqrt_cell_equals_golden() {
    let design = Design {
        top: vitfpga_hw::cells::isqrt::MODULE.into(),
        sources: vec![("vf_isqrt.v".into(), vitfpga_hw::cells::isqrt::verilog())],
        inputs: vec![Port::new("start", 1), Port::new("v", 64)],
        outputs: vec![Port::new("done", 1), Port::new("root", 32)],
        clock: Some("clk".into()),
    };
    let mut r = rng(64);
    let mut values: Vec<u64> = vec![0, 1, 2, 3, 4, u64::MAX, u64::MAX - 1, 1 << 62, (1 << 62) - 1, 1 << 63];
    for k in [2u64, 3, 255, 65535, 4294967295, 3037000499] {
        values.extend([k * k - 1, k * k, k * k + 1]);
    }
    while values.len() < 1000 {
        let bits = r.gen_range(1..=64);
        values.push(r.gen::<u64>() >> (64 - bits));
    }
    let (mut stim, mut expect): (Vec<Vec<Value>>, Expect) = (vec![], vec![]);
    for &v in &values {
        // start, then 33 idle cycles; done and the root in the last one
        stim.push(vec![Value::from_u64(1), Value::from_u64(v)]);
        expect.push(vec![Some(Value::from_u64(0)), None]);
        for i in 1..=33 {
            stim.push(vec![Value::from_u64(0), Value::from_u64(r.gen())]);
            expect.push(if i == 33 {
                vec![Some(Value::from_u64(1)), Some(Value::from_u64(isqrt(v)))]
            } else {
                vec![Some(Value::from_u64(0)), None]
            });
        }
    }
    check(&design, &stim, &expect, &vec![(1, 1, false), (32, 1, false)], &[Simulator::Verilator, Simulator::Icarus]);
    vitfpga_cosim::gates::lint_verilator(&design).unwrap();
    vitfpga_cosim::gates::check_yosys(&design).unwrap();
}

/// `floor(2^40 / den)` for every divisor class the cell admits: its bound, 2^32 - 1, the quotients'
/// digit boundaries (den near powers of two and near 2^40 / 4^k), and random divisors of every
/// magnitude; `done` and the quotient exactly STEPS + 1 cycles after start, inputs scrambled while
/// it runs.
fn prove_reciprocal(module: &str, text: String, steps: u32, min_den_log2: u32) {
    let design = Design {
        top: module.into(),
        sources: vec![(format!("{module}.v"), text)],
        inputs: vec![Port::new("start", 1), Port::new("den", 34)],
        outputs: vec![Port::new("done", 1), Port::new("quo", 41)],
        clock: Some("clk".into()),
    };
    let mut r = rng(1000 + min_den_log2 as u64);
    let (lo, hi) = (1u64 << min_den_log2, (1u64 << 32) - 1);
    let mut dens: Vec<u64> = vec![lo, lo + 1, lo + 2, lo + 3, hi, hi - 1, 3 << 30, (1 << 31) + 1];
    for k in min_den_log2..32 {
        dens.extend([(1u64 << k) - 1, 1 << k, (1 << k) + 1]);
    }
    for k in 0..21 {
        let q = (1u64 << 40) >> (2 * k);
        dens.extend([q / 3, q / 3 + 1, q / 2, q - 1, q, q + 1]);
    }
    dens.retain(|d| (lo..=hi).contains(d));
    while dens.len() < 1500 {
        let bits = r.gen_range(min_den_log2 + 1..=32);
        dens.push((r.gen::<u64>() >> (64 - bits)).max(lo));
    }
    let (mut stim, mut expect): (Vec<Vec<Value>>, Expect) = (vec![], vec![]);
    for &den in &dens {
        stim.push(vec![Value::from_u64(1), Value::from_u64(den)]);
        expect.push(vec![Some(Value::from_u64(0)), None]);
        for i in 1..=steps + 1 {
            stim.push(vec![Value::from_u64(0), Value::from_u64(r.gen::<u64>() & ((1 << 34) - 1))]);
            expect.push(if i == steps + 1 {
                vec![Some(Value::from_u64(1)), Some(Value::from_u64((1u64 << 40) / den))]
            } else {
                vec![Some(Value::from_u64(0)), None]
            });
        }
    }
    check(&design, &stim, &expect, &vec![(1, 1, false), (41, 1, false)], &[Simulator::Verilator, Simulator::Icarus]);
    vitfpga_cosim::gates::lint_verilator(&design).unwrap();
    vitfpga_cosim::gates::check_yosys(&design).unwrap();
}

#[test]
fn reciprocal_cells_equal_integer_division() {
    use vitfpga_hw::cells::reciprocal::{Recip40, Recip40Min15};
    prove_reciprocal(Recip40::MODULE, Recip40::verilog(), Recip40::STEPS as u32, Recip40::MIN_DEN_LOG2);
    prove_reciprocal(
        Recip40Min15::MODULE,
        Recip40Min15::verilog(),
        Recip40Min15::STEPS as u32,
        Recip40Min15::MIN_DEN_LOG2,
    );
}
