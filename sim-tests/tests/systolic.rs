//! The weight-stationary systolic array against the golden GEMM kernel: bit-exact results, and
//! each result exactly `latency()` cycles after its input (the unit's cycle model), with weight
//! tiles reloaded into one bank while the other streams, random bubbles and extreme operands.

use vitfpga_cosim::{Simulator, Value};
use vitfpga_golden::kernels::gemm::gemm_reference;
use vitfpga_hw::units::systolic::SystolicArray;
use vitfpga_sim_tests::{check, operand, rng, Expect};

struct Job {
    /// `[rows][cols]`
    w: Vec<Vec<i8>>,
    /// `[m][rows]`
    x: Vec<Vec<i8>>,
}

fn jobs(arr: &SystolicArray, seed: u64, vectors: usize) -> Vec<Job> {
    let mut r = rng(seed);
    let (rows, cols) = (arr.rows, arr.cols);
    let wv = |r: &mut rand_chacha::ChaCha8Rng, mode| -> i8 {
        if arr.w_bits == 1 {
            if mode == 1 || (mode == 0 && r.gen_bool(0.5)) {
                -1
            } else {
                1
            }
        } else {
            operand(r, arr.w_bits, mode) as i8
        }
    };
    use rand::Rng;
    // Extreme tiles first (all minimum, all maximum, mixed), then random ones.
    let mut out = vec![];
    for (xm, wm, m) in [(1u8, 1u8, 8usize), (2, 2, 8), (1, 2, 8), (2, 1, 8)] {
        out.push(Job {
            w: (0..rows).map(|_| (0..cols).map(|_| wv(&mut r, wm)).collect()).collect(),
            x: (0..m).map(|_| (0..rows).map(|_| operand(&mut r, arr.a_bits, xm) as i8).collect()).collect(),
        });
    }
    let mut left = vectors;
    while left > 0 {
        let m = r.gen_range(1..=left.min(300));
        left -= m;
        out.push(Job {
            w: (0..rows).map(|_| (0..cols).map(|_| wv(&mut r, 0)).collect()).collect(),
            x: (0..m).map(|_| (0..rows).map(|_| operand(&mut r, arr.a_bits, 0) as i8).collect()).collect(),
        });
    }
    out
}

/// Idle cycles until three after the last result, and the expected output of every cycle: each
/// result at its cycle with `y_valid`, `y_valid = 0` everywhere else.
fn drain_and_expect(arr: &SystolicArray, stim: &mut Vec<Vec<Value>>, outs: Vec<(usize, Vec<i64>)>, t: usize) -> Expect {
    let end = outs.last().map_or(t, |o| o.0) + 3;
    let ports = arr.inputs().len();
    while stim.len() < end {
        stim.push(vec![Value::from_u64(0); ports]);
    }
    let mut expect: Expect = vec![vec![None, Some(Value::from_u64(0))]; end];
    for (cy, y) in outs {
        expect[cy] = vec![Some(Value::from_lanes(&y, arr.acc_bits)), Some(Value::from_u64(1))];
    }
    expect
}

/// Cycle-by-cycle stimulus obeying the unit's contract (tile load before use, bank reuse delay),
/// and the expected output of every cycle.
fn schedule(arr: &SystolicArray, jobs: &[Job], seed: u64) -> (Vec<Vec<Value>>, Expect, usize) {
    use rand::Rng;
    let mut r = rng(seed ^ 0xb0b);
    let (rows, cols) = (arr.rows, arr.cols);
    let mut stim = vec![];
    let mut outs: Vec<(usize, Vec<i64>)> = vec![];
    let mut loaded = [usize::MAX; 2]; // job whose weights are complete in each bank
    let mut busy_until = [0usize; 2];
    let (mut next_load, mut rows_sent) = (0usize, 0usize);
    let (mut stream_job, mut stream_m) = (0usize, 0usize);
    let mut vectors_done = 0;
    let mut t = 0;
    while stream_job < jobs.len() {
        // Weight side: shift the next job's tile into its bank when the bank is free.
        let (mut w_shift, mut w_bank, mut w_lanes) = (0u64, 0u64, vec![0i64; cols]);
        if next_load < jobs.len() && next_load < stream_job + 2 {
            let b = next_load % 2;
            if t >= busy_until[b] && (next_load < 2 || stream_job > next_load - 2) {
                let row = rows - 1 - rows_sent;
                w_shift = 1;
                w_bank = b as u64;
                w_lanes = jobs[next_load].w[row].iter().map(|&w| arr.encode_weight(w)).collect();
                rows_sent += 1;
                if rows_sent == rows {
                    loaded[b] = next_load;
                    next_load += 1;
                    rows_sent = 0;
                }
            }
        }
        // Activation side: stream the current job once its tile was complete before this cycle.
        let b = stream_job % 2;
        let ready = loaded[b] == stream_job && !(w_shift == 1 && rows_sent == 0 && next_load == stream_job + 1);
        let (mut a_valid, mut a_lanes) = (0u64, vec![0i64; rows]);
        if ready && r.gen_range(0..10) != 0 {
            let x = &jobs[stream_job].x[stream_m];
            a_valid = 1;
            a_lanes = x.iter().map(|&v| v as i64).collect();
            outs.push((t + arr.latency(), tile_result(&jobs[stream_job], x)));
            stream_m += 1;
            vectors_done += 1;
            if stream_m == jobs[stream_job].x.len() {
                busy_until[b] = t + arr.bank_reuse_delay();
                stream_job += 1;
                stream_m = 0;
            }
        } else if !ready {
            // idle activation lanes still carry a value: make it noise, it must not matter
            a_lanes = (0..rows).map(|_| operand(&mut r, arr.a_bits, 0)).collect();
        }
        stim.push(vec![
            Value::from_lanes(&a_lanes, arr.a_bits),
            Value::from_u64(a_valid),
            Value::from_u64(b as u64),
            Value::from_u64(w_shift),
            Value::from_u64(w_bank),
            Value::from_lanes(&w_lanes, arr.w_bits),
        ]);
        t += 1;
    }
    let expect = drain_and_expect(arr, &mut stim, outs, t);
    (stim, expect, vectors_done)
}

/// One cycle of a cascade array's inputs, in port order.
fn cascade_inputs(arr: &SystolicArray, a: &[i64], a_valid: u64, a_first: u64, w_shift: u64, w: &[i64]) -> Vec<Value> {
    vec![
        Value::from_lanes(a, arr.a_bits),
        Value::from_u64(a_valid),
        Value::from_u64(a_first),
        Value::from_u64(w_shift),
        Value::from_lanes(w, arr.w_bits),
    ]
}

/// The golden result of vector `x` against a job's weight tile.
fn tile_result(job: &Job, x: &[i8]) -> Vec<i64> {
    let (rows, cols) = (job.w.len(), job.w[0].len());
    let wt: Vec<i8> = (0..cols).flat_map(|c| (0..rows).map(move |k| (c, k))).map(|(c, k)| job.w[k][c]).collect();
    gemm_reference(x, &wt, 1, cols, rows)
}

/// DSP-cascade arrays (shadow/active weights): tile j+1's first shift comes as early as the
/// contract allows, `swap_delay() - 1` cycles after tile j's first vector entered (0: in the same
/// cycle; or a few cycles later at random), each tile's first vector carries `a_first`, and vectors stream with random
/// bubbles; the expected output of every cycle.
/// `early`: cycles before the contract's earliest shift (0 obeys it; the tightness test breaks it).
fn schedule_cascade(arr: &SystolicArray, jobs: &[Job], seed: u64, early: usize) -> (Vec<Vec<Value>>, Expect, usize) {
    use rand::Rng;
    let mut r = rng(seed ^ 0xca5);
    let (rows, cols) = (arr.rows, arr.cols);
    let mut stim = vec![];
    let mut outs: Vec<(usize, Vec<i64>)> = vec![];
    let (mut next_load, mut rows_sent, mut load_from) = (0usize, 0usize, 0usize);
    let (mut stream_job, mut stream_m) = (0usize, 0usize);
    let mut loaded = 0usize; // jobs whose tile is complete in the shadow (or active)
    let mut vectors_done = 0;
    let mut t = 0;
    while stream_job < jobs.len() {
        // Weight side: the next tile shifts into the shadow once the previous tile was swapped
        // into every PE.
        let (mut w_shift, mut w_lanes) = (0u64, vec![0i64; cols]);
        // `load_from` is the earliest shift of tile `next_load`, set when tile `next_load - 1`
        // streams its first vector (tile `next_load` cannot load before that).
        if next_load < jobs.len() && t >= load_from {
            let row = rows - 1 - rows_sent;
            w_shift = 1;
            w_lanes = jobs[next_load].w[row].iter().map(|&w| arr.encode_weight(w)).collect();
            rows_sent += 1;
            if rows_sent == rows {
                loaded = next_load + 1;
                next_load += 1;
                rows_sent = 0;
                load_from = usize::MAX; // set when the tile just loaded starts streaming
            }
        }
        // Activation side: stream the current job once its tile was complete before this cycle.
        let ready = loaded > stream_job && !(w_shift == 1 && loaded == stream_job + 1 && rows_sent == 0);
        let (mut a_valid, mut a_first) = (0u64, 0u64);
        let a_lanes: Vec<i64>;
        if ready && r.gen_range(0..10) != 0 {
            let x = &jobs[stream_job].x[stream_m];
            a_valid = 1;
            if stream_m == 0 {
                a_first = 1;
                // The earliest legal first shift of the next tile, sometimes a little later.
                let slack = if early > 0 || r.gen_bool(0.7) { 0 } else { r.gen_range(1..4) };
                load_from = t + arr.swap_delay() - 1 + slack - early;
            }
            a_lanes = x.iter().map(|&v| v as i64).collect();
            outs.push((t + arr.latency(), tile_result(&jobs[stream_job], x)));
            stream_m += 1;
            vectors_done += 1;
            if stream_m == jobs[stream_job].x.len() {
                stream_job += 1;
                stream_m = 0;
            }
        } else {
            // idle activation lanes still carry a value: make it noise, it must not matter
            a_lanes = (0..rows).map(|_| operand(&mut r, arr.a_bits, 0)).collect();
        }
        stim.push(cascade_inputs(arr, &a_lanes, a_valid, a_first, w_shift, &w_lanes));
        t += 1;
    }
    let expect = drain_and_expect(arr, &mut stim, outs, t);
    (stim, expect, vectors_done)
}

fn prove_cascade(rows: usize, cols: usize, a_bits: u32, w_bits: u32, packing: bool, sims: &[Simulator]) {
    let arr = SystolicArray::new(rows, cols, a_bits, w_bits, 768, packing).unwrap().with_dsp_cascade(true).unwrap();
    let seed = (rows * 1000 + cols * 10 + a_bits as usize * 3 + w_bits as usize) as u64 + 77 + packing as u64;
    let js = jobs(&arr, seed, 1000);
    let (stim, expect, n) = schedule_cascade(&arr, &js, seed, 0);
    assert!(n >= 1000);
    let rtl = arr.rtl();
    let lanes = vec![(arr.acc_bits, arr.cols, true), (1, 1, false)];
    check(&rtl.design(), &stim, &expect, &lanes, sims);
}

/// A fixed schedule without bubbles: tile j+1's R weight rows shift in back to back from
/// `swap_delay() - 1 - early` cycles after tile j's first vector enters (0: in that very cycle, the
/// earliest the contract allows), and each tile's vectors follow as soon as its fill is complete.
fn schedule_cascade_tight(arr: &SystolicArray, jobs: &[Job], early: usize) -> (Vec<Vec<Value>>, Expect) {
    let (rows, cols) = (arr.rows, arr.cols);
    let mut w_at: Vec<(usize, Vec<i64>)> = vec![]; // (cycle, weight row) of every shift
    let mut a_at: Vec<(usize, usize, usize)> = vec![]; // (cycle, job, m) of every vector
    let (mut fill, mut first) = (0usize, 0usize);
    for (j, job) in jobs.iter().enumerate() {
        for k in 0..rows {
            let row = rows - 1 - k;
            w_at.push((fill + k, job.w[row].iter().map(|&w| arr.encode_weight(w)).collect()));
        }
        // (With `early`, a cycle more after each fill, so that fills never overlap each other.)
        first = if j == 0 { fill + rows + early } else { (first + jobs[j - 1].x.len()).max(fill + rows + early) };
        for m in 0..job.x.len() {
            a_at.push((first + m, j, m));
        }
        fill = first + arr.swap_delay() - 1 - early;
    }
    let end = a_at.last().unwrap().0 + 1;
    let mut stim = vec![];
    let mut outs = vec![];
    let (mut wi, mut ai) = (0, 0);
    for t in 0..end {
        let (mut w_shift, mut w_lanes) = (0u64, vec![0i64; cols]);
        if wi < w_at.len() && w_at[wi].0 == t {
            (w_shift, w_lanes) = (1, w_at[wi].1.clone());
            wi += 1;
        }
        let (mut a_valid, mut a_first, mut a_lanes) = (0u64, 0u64, vec![0i64; rows]);
        if ai < a_at.len() && a_at[ai].0 == t {
            let (_, j, m) = a_at[ai];
            let x = &jobs[j].x[m];
            (a_valid, a_first) = (1, (m == 0) as u64);
            a_lanes = x.iter().map(|&v| v as i64).collect();
            outs.push((t + arr.latency(), tile_result(&jobs[j], x)));
            ai += 1;
        }
        stim.push(cascade_inputs(arr, &a_lanes, a_valid, a_first, w_shift, &w_lanes));
    }
    let expect = drain_and_expect(arr, &mut stim, outs, end);
    (stim, expect)
}

/// The next tile's first shift in the cycle the previous tile's first vector enters is exact (short
/// tiles, so every fill overlaps the swap wave); one cycle earlier must corrupt results: the test
/// can fail. Unpacked and packed.
#[test]
fn cascade_swap_delay_is_tight() {
    for packing in [false, true] {
        let arr = SystolicArray::new(6, 4, 8, 8, 768, packing).unwrap().with_dsp_cascade(true).unwrap();
        // Tiles of 2 to 8 vectors: shorter and longer than the 6 rows a fill takes.
        let mut js = jobs(&arr, 5, 4000);
        for (i, j) in js.iter_mut().enumerate() {
            j.x.truncate(2 + i % 7);
        }
        let lanes = vec![(arr.acc_bits, arr.cols, true), (1, 1, false)];
        let design = arr.rtl().design();
        let (stim, expect) = schedule_cascade_tight(&arr, &js, 0);
        check(&design, &stim, &expect, &lanes, V);
        let (stim, expect) = schedule_cascade_tight(&arr, &js, 1);
        let early = std::panic::catch_unwind(|| check(&design, &stim, &expect, &lanes, V));
        assert!(early.is_err(), "shifting the next tile in one cycle early went unnoticed (packing {packing})");
    }
}

#[test]
fn cascade_arrays() {
    prove_cascade(4, 4, 8, 8, false, V);
    prove_cascade(3, 5, 8, 4, false, V);
    prove_cascade(7, 12, 8, 8, false, V);
    prove_cascade(6, 2, 2, 2, false, V);
    prove_cascade(16, 8, 4, 8, false, V);
}

/// Packed cascades: segments of 7 rows at a8 w8 (one, two and five segments, a short last one),
/// an odd column count (the last column paired with a zero weight), low widths (one segment).
#[test]
fn packed_cascade_arrays() {
    prove_cascade(4, 4, 8, 8, true, V);
    prove_cascade(7, 5, 8, 8, true, V);
    prove_cascade(8, 6, 8, 8, true, V);
    prove_cascade(33, 4, 8, 8, true, V);
    prove_cascade(16, 7, 8, 4, true, V);
    prove_cascade(5, 3, 3, 2, true, V);
}

#[test]
fn cascade_icarus_agrees() {
    prove_cascade(4, 6, 8, 8, false, &[Simulator::Icarus]);
    prove_cascade(15, 5, 8, 8, true, &[Simulator::Icarus]);
}

fn prove(rows: usize, cols: usize, a_bits: u32, w_bits: u32, packing: bool, sims: &[Simulator]) {
    let arr = SystolicArray::new(rows, cols, a_bits, w_bits, 768, packing).unwrap();
    let seed = (rows * 1000 + cols * 10 + a_bits as usize * 3 + w_bits as usize) as u64 + packing as u64;
    let js = jobs(&arr, seed, 1000);
    let (stim, expect, n) = schedule(&arr, &js, seed);
    assert!(n >= 1000);
    let rtl = arr.rtl();
    let lanes = vec![(arr.acc_bits, arr.cols, true), (1, 1, false)];
    check(&rtl.design(), &stim, &expect, &lanes, sims);
}

const V: &[Simulator] = &[Simulator::Verilator];

#[test]
fn odd_3x5_all_bit_widths() {
    for (a, w) in [(8, 8), (8, 4), (8, 2), (8, 1), (4, 4), (3, 3), (2, 2), (2, 8), (4, 1)] {
        prove(3, 5, a, w, false, V);
    }
}

#[test]
fn odd_7x12_unpacked_and_packed() {
    prove(7, 12, 8, 8, false, V);
    prove(7, 12, 8, 8, true, V);
    prove(7, 12, 8, 3, true, V);
    prove(7, 12, 2, 2, true, V);
}

#[test]
fn odd_column_count_packed_keeps_a_single_pe() {
    prove(3, 5, 8, 8, true, V);
    prove(4, 3, 6, 7, true, V);
}

#[test]
fn square_arrays() {
    prove(2, 2, 8, 8, false, V);
    prove(8, 8, 8, 4, true, V);
    prove(16, 16, 8, 8, false, V);
}

#[test]
fn icarus_agrees() {
    prove(3, 5, 8, 4, false, &[Simulator::Icarus]);
    prove(4, 6, 8, 8, true, &[Simulator::Icarus]);
    prove(3, 4, 5, 1, false, &[Simulator::Icarus]);
}

/// Figures for the issue note: Verilator build time and simulated cycles per second, 16x16 and
/// 32x32 arrays at a8 w8, 100k cycles of streaming.
/// `cargo test --release -p vitfpga-sim-tests --test systolic -- --ignored --nocapture`
#[test]
#[ignore]
fn verilator_speed_16x16_32x32() {
    use rand::Rng;
    for n in [16usize, 32] {
        let arr = SystolicArray::new(n, n, 8, 8, 768, false).unwrap();
        let mut r = rng(n as u64);
        let cycles = 100_000;
        let stim: Vec<Vec<Value>> = (0..cycles)
            .map(|t| {
                let a: Vec<i64> = (0..n).map(|_| r.gen_range(-128..128)).collect();
                let w: Vec<i64> = (0..n).map(|_| r.gen_range(-128..128)).collect();
                vec![
                    Value::from_lanes(&a, 8),
                    Value::from_u64(1),
                    Value::from_u64((t / 1000 % 2) as u64),
                    Value::from_u64((t % 1000 < n) as u64),
                    Value::from_u64(((t / 1000 + 1) % 2) as u64),
                    Value::from_lanes(&w, 8),
                ]
            })
            .collect();
        // A fresh cache directory so the build is really timed.
        let cache = std::env::temp_dir().join(format!("vitfpga-speed-{}", std::process::id()));
        std::env::set_var("VITFPGA_COSIM_CACHE", &cache);
        let run =
            vitfpga_cosim::simulate(&arr.rtl().design(), &stim, Simulator::Verilator, &Default::default()).unwrap();
        println!(
            "{n}x{n}: Verilator build {:.1} s, {} cycles in {:.2} s = {:.0} cycles/s (includes vector file I/O)",
            run.build_seconds,
            cycles,
            run.sim_seconds,
            cycles as f64 / run.sim_seconds
        );
        let _ = std::fs::remove_dir_all(&cache);
    }
}

/// The largest size the issue names, run by hand (Verilator build takes minutes):
/// `cargo test --release -p vitfpga-sim-tests --test systolic large_64x64 -- --ignored`
#[test]
#[ignore]
fn large_64x64() {
    prove(64, 64, 8, 8, false, V);
    prove(64, 64, 8, 4, true, V);
}
