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
pub fn check(
    design: &Design,
    stim: &[Vec<Value>],
    expect: &Expect,
    lanes: &LaneFormat,
    sims: &[Simulator],
) -> Vec<f64> {
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

/// One expected output beat of a row unit: cycle, lanes (zeros past `count`), count, last.
pub type RowBeat = (usize, Vec<i64>, usize, bool);

/// Expected outputs of a row unit (ports: in_ready, data, out_valid, out_last, out_count) over
/// `cycles`: ready everywhere except the `busy` ranges and the reset cycle, valid only on `beats`.
pub fn row_unit_expect(cycles: usize, beats: Vec<RowBeat>, busy: Vec<(usize, usize)>, out_bits: u32) -> Expect {
    let mut expect: Expect =
        (0..cycles).map(|_| vec![Some(Value::from_u64(1)), None, Some(Value::from_u64(0)), None, None]).collect();
    expect[0][0] = None; // reset cycle
    for (from, to) in busy {
        for e in &mut expect[from..to] {
            e[0] = Some(Value::from_u64(0));
        }
    }
    for (cy, lanes, count, last) in beats {
        expect[cy][1] = Some(Value::from_lanes(&lanes, out_bits));
        expect[cy][2] = Some(Value::from_u64(1));
        expect[cy][3] = Some(Value::from_u64(last as u64));
        expect[cy][4] = Some(Value::from_u64(count as u64));
    }
    expect
}

/// Lane formats of a row unit's outputs, for mismatch reports.
pub fn row_unit_lanes(out_bits: u32, lanes: usize) -> LaneFormat {
    vec![(1, 1, false), (out_bits, lanes, true), (1, 1, false), (1, 1, false), (8, 1, false)]
}

/// Drives a row unit (softmax, LayerNorm) through rows with bubbles inside them and records,
/// from the unit's own cycle model, where every output beat and every busy cycle must fall.
pub struct RowRun {
    timing: vitfpga_hw::units::RowTiming,
    idle: Vec<Value>,
    pub stim: Vec<Vec<Value>>,
    beats: Vec<RowBeat>,
    busy: Vec<(usize, usize)>,
    /// The last row's first output beat and beats (an overlapped unit's next row waits for it).
    prev: Option<(usize, usize)>,
    pub elements: usize,
}

impl RowRun {
    /// Starts with one `reset` cycle; `idle` is the input vector of a cycle with nothing to do.
    pub fn new(timing: vitfpga_hw::units::RowTiming, reset: Vec<Value>, idle: Vec<Value>) -> Self {
        RowRun { timing, idle, stim: vec![reset], beats: vec![], busy: vec![], prev: None, elements: 0 }
    }

    pub fn idle(&self) -> Vec<Value> {
        self.idle.clone()
    }

    /// One row of `len` values whose golden result is `result`. `beat(rng, b, count, last)` builds
    /// the input vector of beat `b` (`count` valid lanes). Afterwards the run waits, from the
    /// cycle model, until the unit is ready again, plus a random gap.
    pub fn row(
        &mut self,
        r: &mut ChaCha8Rng,
        len: usize,
        result: &[i8],
        mut beat: impl FnMut(&mut ChaCha8Rng, usize, usize, bool) -> Vec<Value>,
    ) {
        let (l, n) = (self.timing.lanes, self.timing.beats(len));
        for b in 0..n {
            while r.gen_range(0..6) == 0 {
                self.stim.push(self.idle());
            }
            let v = beat(r, b, (len - b * l).min(l), b + 1 == n);
            self.stim.push(v);
        }
        let t = self.stim.len() - 1;
        let first = self.timing.first_output(t, len, self.prev);
        for b in 0..n {
            let count = (len - b * l).min(l);
            let lanes: Vec<i64> = (0..l).map(|k| if k < count { result[b * l + k] as i64 } else { 0 }).collect();
            self.beats.push((first + b, lanes, count, b + 1 == n));
        }
        self.prev = Some((first, n));
        let ready = self.timing.ready(t, len, first);
        self.busy.push((t + 1, ready));
        let gap = r.gen_range(0..3);
        while self.stim.len() < ready + gap {
            self.stim.push(self.idle());
        }
        self.elements += len;
    }

    /// Idle until the last output beat has left (a unit's parameters may change only then).
    pub fn drain(&mut self) {
        if let Some(&(last, ..)) = self.beats.last() {
            while self.stim.len() <= last + 1 {
                self.stim.push(self.idle());
            }
        }
    }

    /// Stimulus and expectations, padded until the last output beat has left.
    pub fn finish(mut self, out_bits: u32) -> (Vec<Vec<Value>>, Expect) {
        let end = self.beats.last().expect("at least one row").0 + 3;
        while self.stim.len() < end {
            self.stim.push(self.idle());
        }
        let expect = row_unit_expect(end, self.beats, self.busy, out_bits);
        (self.stim, expect)
    }
}
