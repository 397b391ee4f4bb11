//! The rust-hdl cells (isqrt, dividers) in Verilator and Icarus against the golden `isqrt`: extremes, perfect
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

fn prove_divider(module: &str, text: String, n: u32, d: u32) {
    let design = Design {
        top: module.into(),
        sources: vec![(format!("{module}.v"), text)],
        inputs: vec![Port::new("start", 1), Port::new("num", n), Port::new("den", d)],
        outputs: vec![Port::new("done", 1), Port::new("quo", n)],
        clock: Some("clk".into()),
    };
    let mut r = rng(n as u64 * 100 + d as u64);
    let num_max: u128 = (1u128 << n) - 1;
    let den_max: u64 = (1u64 << (d - 1)) - 1; // the divisor port's top bit must be 0
    let mut cases: Vec<(u128, u64)> = vec![
        (0, 1),
        (num_max, 1),
        (num_max, den_max),
        (1 << (n - 1), 1),
        (1 << 40, 32768),
        (den_max as u128, den_max),
        (den_max as u128 - 1, den_max),
    ];
    while cases.len() < 1000 {
        let nb = r.gen_range(1..=n);
        let db = r.gen_range(1..d);
        let num = (r.gen::<u128>() & num_max) >> (n - nb);
        let den = ((r.gen::<u64>() & den_max) >> (d - 1 - db)).max(1);
        cases.push((num, den));
    }
    let (mut stim, mut expect): (Vec<Vec<Value>>, Expect) = (vec![], vec![]);
    let wide = |v: u128| Value(vec![v as u64, (v >> 64) as u64]);
    for &(num, den) in &cases {
        stim.push(vec![Value::from_u64(1), wide(num), Value::from_u64(den)]);
        expect.push(vec![Some(Value::from_u64(0)), None]);
        for i in 1..=n + 1 {
            stim.push(vec![
                Value::from_u64(0),
                wide(r.gen::<u128>() & num_max),
                Value::from_u64(r.gen::<u64>() & den_max),
            ]);
            expect.push(if i == n + 1 {
                vec![Some(Value::from_u64(1)), Some(wide(num / den as u128))]
            } else {
                vec![Some(Value::from_u64(0)), None]
            });
        }
    }
    check(&design, &stim, &expect, &vec![(1, 1, false), (n, 1, false)], &[Simulator::Verilator, Simulator::Icarus]);
    vitfpga_cosim::gates::lint_verilator(&design).unwrap();
    vitfpga_cosim::gates::check_yosys(&design).unwrap();
}

#[test]
fn divider_cells_equal_integer_division() {
    use vitfpga_hw::cells::divider::Divu41x33;
    prove_divider(Divu41x33::MODULE, Divu41x33::verilog(), 41, 33);
}
