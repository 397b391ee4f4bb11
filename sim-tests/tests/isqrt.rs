//! The rust-hdl isqrt cell in Verilator and Icarus against the golden `isqrt`: extremes, perfect
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
