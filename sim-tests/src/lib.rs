//! Shared machinery of the co-simulation tests: run a design in Verilator (and Icarus), compare
//! every cycle with the expected outputs, and on the first mismatch report the cycle, the port,
//! the expected and actual lanes, and dump a VCD of the window around it.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vitfpga_cosim::{simulate, Design, SimOptions, Simulator, Value};

/// Expected value of one output port in one cycle; `None` = don't care.
pub type Expect = Vec<Vec<Option<Value>>>;

/// How to print an output port's lanes in a mismatch report: (lane bits, lanes, signed).
pub type LaneFormat = Vec<(u32, usize, bool)>;

pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// A random signed value of `bits` bits; `mode` 1 = minimum, 2 = maximum, else uniform.
pub fn operand(rng: &mut ChaCha8Rng, bits: u32, mode: u8) -> i64 {
    let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
    match mode {
        1 => lo,
        2 => hi,
        _ => rng.gen_range(lo..=hi),
    }
}

/// Run `stim` and check every cycle against `expect`. Panics with a precise report on mismatch.
pub fn check(design: &Design, stim: &[Vec<Value>], expect: &Expect, lanes: &LaneFormat, sims: &[Simulator]) -> Vec<f64> {
    let mut seconds = vec![];
    for &sim in sims {
        let run = simulate(design, stim, sim, &SimOptions::default()).unwrap_or_else(|e| panic!("{sim:?}: {e}"));
        seconds.push(run.sim_seconds);
        for (cycle, (got, want)) in run.outputs.iter().zip(expect).enumerate() {
            for (p, (g, w)) in got.iter().zip(want).enumerate() {
                let Some(w) = w else { continue };
                let port = &design.outputs[p];
                let (lb, n, signed) = lanes[p];
                if g.lanes(lb, n, signed) != w.lanes(lb, n, signed) {
                    let vcd = std::env::temp_dir().join(format!("{}-mismatch-{cycle}.vcd", design.top));
                    let from = cycle.saturating_sub(32);
                    let opts = SimOptions { vcd: Some((vcd.clone(), from, cycle + 4)) };
                    let dumped = simulate(design, stim, Simulator::Verilator, &opts).is_ok();
                    panic!(
                        "{sim:?}: {} mismatch at cycle {cycle}, port {}\n  input    {:?}\n  expected {:?}\n  got      {:?}\n  {}",
                        design.top,
                        port.name,
                        stim.get(cycle).map(|v| v.iter().map(|x| x.to_hex(64)).collect::<Vec<_>>()),
                        w.lanes(lb, n, signed),
                        g.lanes(lb, n, signed),
                        if dumped { format!("VCD of cycles {from}..{}: {}", cycle + 4, vcd.display()) } else { "VCD dump failed".into() }
                    );
                }
            }
        }
    }
    seconds
}
