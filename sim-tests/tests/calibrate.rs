//! Resource calibration data: every unit synthesised with Yosys `synth_xilinx` over a sweep of
//! parameters, written to `hw/calibration/<family>.csv` (the data the resource models are fitted
//! to and validated against). Twenty minutes of synthesis: run by hand,
//! `cargo test --release -p vitfpga-sim-tests --test calibrate calibrate_xcup -- --ignored --nocapture`;
//! `VITFPGA_CALIBRATE_UNITS=buffer,lut` redoes only those units and keeps the other rows.

use std::fmt::Write as _;
use std::time::Instant;

use vitfpga_cosim::gates;
use vitfpga_hw::units::banked::BankedBuffer;
use vitfpga_hw::units::buffer::{Buffer, RamStyle};
use vitfpga_hw::units::layernorm::LayerNormUnit;
use vitfpga_hw::units::lut::LookupUnit;
use vitfpga_hw::units::requant::Requantizer;
use vitfpga_hw::units::residual::ResidualAdder;
use vitfpga_hw::units::softmax::SoftmaxUnit;
use vitfpga_hw::units::systolic::SystolicArray;
use vitfpga_hw::verilog::Rtl;

/// (unit, parameters as `k=v;...`, RTL)
fn sweep() -> Vec<(&'static str, String, Rtl)> {
    let mut v = vec![];
    for (r, c) in [(2, 2), (4, 4), (4, 8), (8, 4), (8, 8), (6, 10), (12, 12), (16, 16)] {
        for (a, w, p) in [(8, 8, false), (8, 8, true), (8, 4, false), (8, 4, true), (8, 1, false), (4, 4, false)] {
            let arr = SystolicArray::new(r, c, a, w, 768, p).unwrap();
            v.push(("systolic", format!("rows={r};cols={c};a={a};w={w};pack={}", p as u8), arr.rtl()));
        }
    }
    for l in [4, 8, 16, 32] {
        v.push(("requant", format!("lanes={l};acc=32;out=16"), Requantizer::new(l, 32, 16).unwrap().rtl()));
        v.push(("lut", format!("lanes={l};in=8;out=8"), LookupUnit::new(l, 8, 8).unwrap().rtl()));
        v.push(("residual", format!("lanes={l};bits=8"), ResidualAdder::new(l, 8, 8, 8).unwrap().rtl()));
    }
    for (l, n) in [(4, 64), (8, 64), (8, 256), (16, 256), (16, 197), (32, 256)] {
        v.push(("softmax", format!("lanes={l};z=22;out=8;max_len={n}"), SoftmaxUnit::new(l, 22, 8, n).unwrap().rtl()));
    }
    for (l, n) in [(4, 64), (8, 64), (8, 256), (16, 768), (16, 256), (32, 768), (8, 768)] {
        v.push((
            "layernorm",
            format!("lanes={l};x=8;out=8;max_len={n}"),
            LayerNormUnit::new(l, 8, 8, n).unwrap().rtl(),
        ));
    }
    for (w, d) in [(64, 512), (64, 1024), (72, 512), (128, 2048), (256, 4096), (512, 300), (8, 16384), (36, 1024)] {
        v.push(("buffer", format!("width={w};depth={d}"), Buffer::new(w, d, RamStyle::Block).unwrap().rtl()));
    }
    // Buffer-bank copies (lane write enables): scratchpad words of 8-bit lanes, score-buffer
    // words of 32-bit lanes.
    for (l, lw, d) in [
        (4, 8, 1802),
        (8, 8, 816),
        (16, 8, 600),
        (32, 8, 2000),
        (64, 8, 4728),
        (64, 8, 11820),
        (4, 32, 170),
        (16, 32, 1200),
        (32, 32, 2758),
        (8, 8, 40),
        (8, 8, 64),
        (8, 8, 96),
        (8, 8, 128),
        (32, 32, 100),
    ] {
        v.push(("bank", format!("lanes={l};lane_bits={lw};depth={d}"), BankedBuffer::copy_rtl(l, lw, d)));
    }
    v
}

#[test]
#[ignore]
fn calibrate_xcup() {
    calibrate("xcup");
}

/// 7-series (PYNQ-Z2's XC7Z020, DSP48E1): `cargo test --release -p vitfpga-sim-tests --test calibrate
/// calibrate_xc7 -- --ignored`.
#[test]
#[ignore]
fn calibrate_xc7() {
    calibrate("xc7");
}

fn calibrate(family: &str) {
    let mut csv = String::from("unit,params,lut,ff,dsp,bram18,uram,lutram,srl,carry,seconds\n");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../hw/calibration").join(format!("{family}.csv"));
    let only: Option<Vec<String>> =
        std::env::var("VITFPGA_CALIBRATE_UNITS").ok().map(|v| v.split(',').map(str::to_string).collect());
    if let Some(units) = &only {
        // Keep the existing rows of the other units.
        let old = std::fs::read_to_string(&out).unwrap_or_default();
        for line in old.lines().skip(1) {
            if !units.iter().any(|u| line.starts_with(&format!("{u},"))) {
                writeln!(csv, "{line}").unwrap();
            }
        }
    }
    for (unit, params, rtl) in sweep() {
        if only.as_ref().is_some_and(|u| !u.iter().any(|x| x == unit)) {
            continue;
        }
        let t = Instant::now();
        let c = gates::synth_xilinx(&rtl.design(), family).unwrap_or_else(|e| panic!("{unit} {params}: {e}"));
        let s = t.elapsed().as_secs_f64();
        let g = |k: &str| c.get(k).copied().unwrap_or(0);
        let row = format!(
            "{unit},{params},{},{},{},{},{},{},{},{},{s:.1}",
            g("lut"),
            g("ff"),
            g("dsp"),
            g("bram18"),
            g("uram"),
            g("lutram"),
            g("srl"),
            g("carry")
        );
        println!("{row}");
        writeln!(csv, "{row}").unwrap();
        // Written after every row, so a long sweep keeps what it has.
        std::fs::write(&out, &csv).unwrap();
    }
}
