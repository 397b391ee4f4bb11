//! The cycle model: when every instruction starts and ends. Data never changes timing, so this
//! runs without values (the fast mode). Every rule here is what the RTL controller does; the
//! rules are written down in docs/architecture.md ("Timing").

use serde::{Deserialize, Serialize};
use vitfpga_compiler::encode;
use vitfpga_compiler::program::{Buffer, Epilogue, ExecOp, Gemm, LoadOp, Program, RequantParams, Stationary};
use vitfpga_compiler::stream as records;
use vitfpga_hw::units::{lut::LookupUnit, requant::Requantizer, residual::ResidualAdder, RowTiming};

use crate::stream::StreamTiming;

/// Pipeline of the embedding unit: read source, multiply-add, round/saturate and write.
pub const EMBED_PIPE: u64 = 3;

/// Start and end cycle (inclusive) of one instruction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: u64,
    pub end: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Timeline {
    /// Cycles from start to done: the last completion plus one.
    pub cycles: u64,
    /// Program fetch: the engines start the cycle after its last beat.
    pub fetch_end: u64,
    pub load: Vec<Span>,
    pub exec: Vec<Span>,
    pub store: Vec<Span>,
    /// Row-engine instructions (softmax, LayerNorm) in issue order: from the exec engine's
    /// start cycle to the last output write.
    pub rows: Vec<Span>,
    /// Cycles the exec engine waited on the constant stream (inside instructions).
    pub stream_stall_cycles: u64,
    /// Per exec instruction: cycles its start was held back by the row engine alone (a `rows`
    /// wait, or the row engine still busy when a row instruction is handed over).
    pub row_waits: Vec<u64>,
    /// GEMM tiles the cycle model did not step one by one (`Ctx::gemm`'s periodic skip): a
    /// measure of the model's own work, not of the hardware.
    #[serde(skip)]
    pub tiles_skipped: u64,
}

struct Ctx<'p> {
    p: &'p Program,
    stream: StreamTiming,
    stall: u64,
    tiles_skipped: u64,
    /// Skip repeated n-tiles (see `gemm`); off only to test that skipping changes nothing.
    periodic: bool,
}

/// The state at the start of an n-tile, for `Ctx::gemm`'s periodic skip.
struct Period {
    base: u64,
    rel: [i128; 3],
    stream: StreamTiming,
    stall: u64,
}

pub fn run(p: &Program) -> Timeline {
    run_with(p, true)
}

/// `run` stepping every tile of every GEMM (`periodic: false`), for tests of the skip.
pub fn run_every_tile(p: &Program) -> Timeline {
    run_with(p, false)
}

fn run_with(p: &Program, periodic: bool) -> Timeline {
    let c = &p.config;
    let lat = c.dram_latency as u64;
    let bus = c.bus_bytes as u64;
    // Program fetch: the header beat is requested in cycle 0 and returns (rvalid) in cycle
    // L-1; the other N-1 beats are requested one per cycle from cycle L.
    let n = (p.dram.program.bytes / bus).max(1);
    let fetch_end = if n == 1 { lat - 1 } else { 2 * lat + n - 3 };
    // The instruction memories are synchronous: the engines start two cycles after the last beat.
    let t0 = fetch_end + 2;

    // Load queue: one request per cycle; an instruction is complete in the cycle its last
    // beat returns. Only the stream's requests depend on the exec queue (FIFO credit).
    let mut load = Vec::new();
    let mut next_issue = t0;
    let mut stream = None;
    for l in &p.load {
        assert_eq!(l.wait, Default::default(), "load instructions do not wait");
        match l.op {
            LoadOp::Spad { words, .. } => {
                let beats = words as u64 * encode::beats_per_word(p, Buffer::Spad);
                load.push(Span { start: next_issue, end: next_issue + beats - 1 + lat - 1 });
                next_issue += beats;
            }
            LoadOp::Stream { .. } => {
                assert!(stream.is_none(), "one constant stream per program");
                stream = Some((load.len(), next_issue));
                load.push(Span { start: next_issue, end: 0 });
            }
        }
    }
    let (stream_idx, stream_start) = stream.expect("a program streams its constants");
    let total_beats = (p.dram.constants.bytes / bus) as usize;
    let mut ctx = Ctx {
        p,
        stream: StreamTiming::new(stream_start, c.dram_latency, c.stream_fifo_beats, c.beats_per_word(), total_beats),
        stall: 0,
        tiles_skipped: 0,
        periodic,
    };

    let mut exec: Vec<Span> = Vec::with_capacity(p.exec.len());
    let mut store: Vec<Span> = Vec::with_capacity(p.store.len());
    let mut si = 0;
    let mut store_free = t0;
    // A store starts once its producer is done and the previous store has issued its last
    // beat; it reads one word per beat group, issues beat k in cycle start + 1 + k and is
    // complete when the last write response returns.
    let mut run_stores =
        |exec: &Vec<Span>, rows: &Vec<Span>, store: &mut Vec<Span>, upto_exec: usize, si: &mut usize| {
            while *si < p.store.len() && p.store[*si].wait.exec as usize <= upto_exec {
                let s = &p.store[*si];
                let mut ready = if s.wait.exec == 0 { t0 } else { exec[s.wait.exec as usize - 1].end + 1 };
                if s.wait.rows > 0 {
                    ready = ready.max(rows[s.wait.rows as usize - 1].end + 1);
                }
                let start = ready.max(store_free);
                let beats = s.words as u64 * encode::beats_per_word(p, s.src);
                store.push(Span { start, end: start + beats + lat - 1 });
                store_free = start + beats + 1;
                *si += 1;
            }
        };
    // The row engine: the cycle it can take the next instruction.
    let mut rows: Vec<Span> = Vec::new();
    let mut row_free = t0;
    let mut row_waits: Vec<u64> = Vec::with_capacity(p.exec.len());
    run_stores(&exec, &rows, &mut store, 0, &mut si);
    for (i, e) in p.exec.iter().enumerate() {
        let mut start = exec.last().map_or(t0, |s: &Span| s.end + 1);
        if e.wait.load > 0 {
            start = start.max(load[e.wait.load as usize - 1].end + 1);
        }
        if e.wait.store > 0 {
            start = start.max(store[e.wait.store as usize - 1].end + 1);
        }
        let without_rows = start;
        if e.wait.rows > 0 {
            start = start.max(rows[e.wait.rows as usize - 1].end + 1);
        }
        if matches!(e.op, ExecOp::Softmax(_) | ExecOp::LayerNorm(_)) {
            start = start.max(row_free);
        }
        row_waits.push(start - without_rows);
        // The start cycle decodes; the body begins the cycle after.
        let body = start + 1;
        let end = match &e.op {
            ExecOp::Gemm(g) => ctx.gemm(g, body),
            ExecOp::Softmax(s) => {
                // Detached: the exec engine hands the instruction over and retires it in the
                // body's first cycle; the row engine runs it from there.
                let unit = c.softmax_unit(s.z_bits, s.out_bits).timing();
                let done = row_op(&unit, c.softmax_units, s.rows as u64, s.len as usize, body);
                rows.push(Span { start, end: done });
                row_free = done + 1;
                body
            }
            ExecOp::LayerNorm(l) => {
                let unit = c.layernorm_unit(l.out_bits).timing();
                // Parameters: one channel per cycle into every unit at once, unless the units
                // keep the previous row block's (then the rows start in the body's first cycle).
                let per_word = c.stream_word_bytes / records::LN_PARAM_BYTES;
                let t =
                    if l.keep_params { body - 1 } else { ctx.one_per_cycle(l.src.seg_len as usize, per_word, body) };
                let done = row_op(&unit, c.layernorm_units, l.rows as u64, l.src.seg_len as usize, t + 1);
                rows.push(Span { start, end: done });
                row_free = done + 1;
                // Detached once the parameters are in: the exec engine retires it the cycle after
                // the last one and the row engine reads the rows through its own port.
                t + 1
            }
            ExecOp::Embed(em) => {
                let words = (em.out.seg_len as usize).div_ceil(c.lanes);
                let pops = em.tokens as usize * words * encode::embed_pops_per_word(p);
                ctx.one_per_cycle(pops, 1, body) + EMBED_PIPE
            }
        };
        exec.push(Span { start, end });
        run_stores(&exec, &rows, &mut store, i + 1, &mut si);
    }
    assert_eq!(si, p.store.len(), "every store waits on an exec instruction");
    assert_eq!(
        ctx.stream.words_popped() * c.stream_word_bytes,
        p.dram.constants.bytes as usize,
        "the exec queue must consume the whole constant stream"
    );
    load[stream_idx].end = ctx.stream.last_arrival() - 1;
    let cycles = load.iter().chain(&exec).chain(&store).chain(&rows).map(|s| s.end).max().unwrap_or(fetch_end) + 1;
    Timeline {
        cycles,
        fetch_end,
        load,
        exec,
        store,
        rows,
        stream_stall_cycles: ctx.stall,
        row_waits,
        tiles_skipped: ctx.tiles_skipped,
    }
}

/// Rows dealt round-robin over `units` row units fed by one read port: row r's beats are read
/// in cycles x_r ..= x_r+B-1 and enter the unit one cycle later; x_r >= x_{r-1} + B, and a
/// row starts only in a cycle its unit shows in_ready (`RowTiming::ready` after the unit's
/// previous row, whose output pass may in turn have waited for the one before:
/// `RowTiming::first_output`). Outputs are written the cycle after they leave the unit. Returns
/// the last write cycle.
pub fn row_op(unit: &RowTiming, units: usize, rows: u64, len: usize, start: u64) -> u64 {
    let b = unit.beats(len) as u64;
    // Per unit: the cycle it shows in_ready again, and its last row's (first output, beats).
    let mut ready = vec![start; units];
    let mut prev: Vec<Option<(usize, usize)>> = vec![None; units];
    let (mut x, mut last_write) = (start, start);
    for r in 0..rows as usize {
        let u = r % units;
        if r > 0 {
            x += b;
        }
        x = x.max(ready[u]);
        let last_in = (x + b) as usize;
        let first = unit.first_output(last_in, len, prev[u]);
        ready[u] = unit.ready(last_in, len, first) as u64;
        prev[u] = Some((first, b as usize));
        last_write = last_write.max((first + b as usize) as u64);
    }
    last_write
}

impl Ctx<'_> {
    /// `items` consumed one per cycle from `start`, `per_word` per stream word (a word is popped
    /// in the cycle its first item is used, as soon as it is available). Returns the last cycle.
    fn one_per_cycle(&mut self, items: usize, per_word: usize, start: u64) -> u64 {
        let mut t = start;
        for i in 0..items {
            t = match (i % per_word == 0, i == 0) {
                (true, true) => self.pop(start),
                (true, false) => self.pop(t + 1),
                (false, _) => t + 1,
            };
        }
        t
    }

    fn pop(&mut self, earliest: u64) -> u64 {
        let t = self.stream.pop(earliest);
        self.stall += t - earliest;
        t
    }

    /// Tiles n-major, k-minor: fill a bank, then issue M activation rows (see module docs).
    fn gemm(&mut self, g: &Gemm, start: u64) -> u64 {
        let c = &self.p.config;
        let array = c.array();
        let lat = array.latency() as u64;
        let reuse = array.bank_reuse_delay() as u64;
        let m = g.m as u64;
        let (kt_n, nt_n) = (g.k_tiles(c.rows), g.n_tiles(c.cols));
        let mut t = start;
        // Epilogue depth from the array output to the write: the accumulate stage, then for
        // requantising GEMMs a fixed requantiser (3) + table-or-bypass (1) + residual-or-bypass
        // (2) pipeline, so every requantising GEMM has the same depth.
        let mut epi = 1u64;
        if let Epilogue::Requant(r) = &g.epilogue {
            epi += Requantizer { lanes: c.cols, acc_bits: c.acc_bits, out_bits: r.out_bits }.latency() as u64
                + LookupUnit { lanes: c.cols, in_bits: 8, out_bits: 8 }.latency() as u64
                + ResidualAdder { lanes: c.cols, a_bits: 8, b_bits: 8, out_bits: 8 }.latency() as u64;
            if r.table {
                // One table entry per cycle through the LUT's write port.
                t = self.one_per_cycle(1 << r.out_bits, c.stream_word_bytes, start) + 1;
            }
        }
        let stream_params = matches!(&g.epilogue, Epilogue::Requant(r) if r.params == RequantParams::Stream);
        let param_words = records::words(c, c.cols * records::PARAM_BYTES);
        let (mut fe_prev, mut is_prev, mut ie_prev): (Option<u64>, Option<u64>, Option<u64>) = (None, None, None);
        // Issue end of the tile before the previous one (the fabric array's bank-reuse rule).
        let mut ie_before: Option<u64> = None;
        // Every n-tile issues the same tiles. Once the state at the start of an n-tile (tile
        // times relative to the last fill, the stream FIFO) is the previous one's shifted by
        // `dt` cycles, every later n-tile repeats it `dt` later: the rest is added in one step.
        // Exact, not an approximation (test `periodic_skip_changes_no_cycle`); it turns a
        // 4x4 array's DeiT-B timing from millions of tile steps into a few per GEMM.
        let mut period: Option<Period> = None;
        for nt in 0..nt_n {
            if let (Some(fe), Some(is), Some(ie), true) = (fe_prev, is_prev, ie_prev, self.periodic) {
                let before = ie_before.map_or(i128::MIN, |b| b as i128 - fe as i128);
                let now = Period {
                    base: fe,
                    rel: [is as i128 - fe as i128, ie as i128 - fe as i128, before],
                    stream: self.stream.clone(),
                    stall: self.stall,
                };
                if let Some(p) = &period {
                    let dt = now.base - p.base;
                    let words = self.stream.words_popped() - p.stream.words_popped();
                    let dt_stream = if words == 0 { 0 } else { dt };
                    if now.rel == p.rel && (words == 0 || self.stream.is_shift_of(&p.stream, words, dt_stream)) {
                        let periods = (nt_n - nt) as u64;
                        self.stream.skip_periods(periods, words, dt_stream);
                        self.stall += periods * (self.stall - p.stall);
                        self.tiles_skipped += periods * kt_n as u64;
                        ie_prev = Some(ie + periods * dt);
                        break;
                    }
                }
                period = Some(now);
            }
            for kt in 0..kt_n {
                let mut f = t.max(fe_prev.map_or(0, |x| x + 1));
                if array.dsp_cascade {
                    // One shadow bank: tile i loads once tile i-1's first vector has swapped it
                    // into every PE (`swap_delay` after that vector's read).
                    if let Some(p) = is_prev {
                        f = f.max(p + array.swap_delay() as u64);
                    }
                } else if let Some(b) = ie_before {
                    // Two banks: tile i reuses tile i-2's once its last vector has passed.
                    f = f.max(b + 1 + reuse);
                }
                let fe = match &g.b {
                    Stationary::Stream { w_bits } => {
                        let mut s = f;
                        let mut first = true;
                        let mut next = |ctx: &mut Self, s: &mut u64| {
                            *s = ctx.pop(if first { f } else { *s + 1 });
                            first = false;
                        };
                        if kt == 0 && stream_params {
                            for _ in 0..param_words {
                                next(self, &mut s);
                            }
                        }
                        let rpw = records::rows_per_word(c, *w_bits);
                        let words = records::tile_words(c, *w_bits);
                        for w in 0..words {
                            next(self, &mut s);
                            let rows_in_word = rpw.min(c.rows - w * rpw) as u64;
                            s += rows_in_word - 1;
                        }
                        s
                    }
                    Stationary::SpadRows { .. } => f + c.rows as u64,
                    Stationary::SpadCols { .. } => f + c.cols as u64 + c.rows as u64,
                };
                let mut is = fe + 1;
                if let Some(p) = ie_prev {
                    is = is.max(p + 1);
                }
                if let Some(p) = is_prev {
                    is = is.max(p + 2);
                }
                let ie = is + m - 1;
                fe_prev = Some(fe);
                is_prev = Some(is);
                ie_before = ie_prev;
                ie_prev = Some(ie);
            }
        }
        // The last row's result leaves the array LAT cycles after entering it (one cycle after
        // its read), then passes the epilogue.
        ie_prev.expect("a GEMM has tiles") + 1 + lat + epi
    }
}
