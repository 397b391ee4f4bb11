//! The harness itself: a small registered design with a narrow and a wide port, run in both
//! simulators, against the cycle convention documented in the crate.

use vitfpga_cosim::{gates, simulate, Design, Port, SimOptions, Simulator, Value};

const SRC: &str = r#"
module acc_wide (
    input  wire         clk,
    input  wire [7:0]   a,
    input  wire [99:0]  b,
    output wire [7:0]   sum_comb,
    output reg  [15:0]  total,
    output reg  [99:0]  b_q
);
    assign sum_comb = a + b[7:0];
    always @(posedge clk) begin
        total <= total + {8'd0, a};
        b_q <= ~b;
    end
    initial begin total = 16'd0; b_q = 100'd0; end
endmodule
"#;

fn design() -> Design {
    Design {
        top: "acc_wide".into(),
        sources: vec![("acc_wide.v".into(), SRC.into())],
        inputs: vec![Port::new("a", 8), Port::new("b", 100)],
        outputs: vec![Port::new("sum_comb", 8), Port::new("total", 16), Port::new("b_q", 100)],
        clock: Some("clk".into()),
    }
}

#[test]
fn both_simulators_follow_the_cycle_convention() {
    let d = design();
    let n = 200;
    let stim: Vec<Vec<Value>> = (0..n)
        .map(|i| {
            let b: Vec<i64> = vec![i * 31 % 256, 0x55, i, 7];
            vec![Value::from_u64((i * 7 % 256) as u64), Value::from_lanes(&b, 25)]
        })
        .collect();
    for sim in [Simulator::Verilator, Simulator::Icarus] {
        let run = simulate(&d, &stim, sim, &SimOptions::default()).unwrap();
        let mut total: u64 = 0;
        for i in 0..n as usize {
            let a = stim[i][0].0[0];
            let b0 = stim[i][1].lanes(8, 1, false)[0] as u64;
            assert_eq!(run.outputs[i][0].0[0], (a + b0) & 0xff, "{sim:?} comb at {i}");
            assert_eq!(run.outputs[i][1].0[0], total, "{sim:?} register at {i}");
            if i > 0 {
                let prev = &stim[i - 1][1];
                for bit in 0..100 {
                    assert_eq!(run.outputs[i][2].bit(bit), !prev.bit(bit), "{sim:?} wide at {i}");
                }
            }
            total = (total + a) & 0xffff;
        }
    }
}

#[test]
fn gates_pass_on_clean_code_and_fail_on_width_bugs() {
    let d = design();
    gates::lint_verilator(&d).unwrap();
    gates::check_yosys(&d).unwrap();
    gates::compile_icarus(&d).unwrap();
    let mut bad = design();
    bad.sources[0].1 = SRC.replace("assign sum_comb = a + b[7:0];", "assign sum_comb = a + b[8:0];");
    let e = gates::lint_verilator(&bad).unwrap_err().to_string();
    assert!(e.contains("WIDTH"), "{e}");
    let mut latch = design();
    latch.sources[0].1 = SRC.replace(
        "assign sum_comb = a + b[7:0];",
        "reg [7:0] l; always @(*) if (a[0]) l = b[7:0]; assign sum_comb = l;",
    );
    assert!(gates::check_yosys(&latch).is_err());
}

#[test]
fn vcd_window_is_dumped_on_request() {
    let d = design();
    let stim: Vec<Vec<Value>> = (0..50).map(|i| vec![Value::from_u64(i), Value::from_u64(i)]).collect();
    let vcd = std::env::temp_dir().join(format!("vitfpga-harness-{}.vcd", std::process::id()));
    simulate(&d, &stim, Simulator::Verilator, &SimOptions { vcd: Some((vcd.clone(), 10, 20)) }).unwrap();
    let text = std::fs::read_to_string(&vcd).unwrap();
    assert!(text.contains("$enddefinitions") && text.contains("#20") && !text.contains("#50"), "window 10..20 only");
    let _ = std::fs::remove_file(vcd);
}
