//! The cycle model: when every instruction starts and ends. Data never changes timing, so this
//! runs without values (the fast mode). Every rule here is what the RTL controller does; the
//! rules are written down in docs/architecture.md ("Timing").

use serde::{Deserialize, Serialize};
use vitfpga_compiler::program::{Epilogue, ExecOp, Gemm, LoadOp, Program, RequantParams, Stationary, INSTR_BYTES};
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
    /// Cycles the exec engine waited on the constant stream (inside instructions).
    pub stream_stall_cycles: u64,
}

struct Ctx<'p> {
    p: &'p Program,
    stream: StreamTiming,
    stall: u64,
}

pub fn run(p: &Program) -> Timeline {
    let c = &p.config;
    let lat = c.dram_latency as u64;
    let bus = c.bus_bytes as u64;
    // Program fetch: one beat requested per cycle from cycle 0.
    let fetch_beats = (p.instructions() as u64 * INSTR_BYTES).div_ceil(bus).max(1);
    let fetch_end = fetch_beats - 1 + lat;
    let t0 = fetch_end + 1;

    // Load queue. Only the stream's completion depends on the exec queue's pops, and nothing
    // waits on it, so its span is closed at the end.
    let mut load = Vec::new();
    let mut next_issue = t0;
    let mut stream = None;
    for l in &p.load {
        assert_eq!(l.wait, Default::default(), "load instructions do not wait");
        match l.op {
            LoadOp::Spad { words, .. } => {
                let beats = (words as u64 * c.lanes as u64).div_ceil(bus).max(1);
                load.push(Span { start: next_issue, end: next_issue + beats - 1 + lat });
                next_issue += beats;
            }
            LoadOp::Stream { bytes, .. } => {
                let beats = (bytes / bus) as usize;
                stream = Some((load.len(), next_issue));
                load.push(Span { start: next_issue, end: 0 });
                next_issue = u64::MAX; // nothing follows the stream
                let _ = beats;
            }
        }
    }
    let (stream_idx, stream_start) = stream.expect("a program streams its constants");
    let total_beats = (p.dram.constants.bytes / bus) as usize;
    let mut ctx = Ctx {
        p,
        stream: StreamTiming::new(stream_start, c.dram_latency, c.stream_fifo_beats, c.beats_per_word(), total_beats),
        stall: 0,
    };

    let mut exec: Vec<Span> = Vec::with_capacity(p.exec.len());
    let mut store: Vec<Span> = Vec::with_capacity(p.store.len());
    let mut si = 0;
    let mut store_free = t0;
    // Stores run as soon as their producer is done; exec instructions may wait on stores.
    let mut run_stores = |exec: &Vec<Span>, store: &mut Vec<Span>, upto_exec: usize, si: &mut usize| {
        while *si < p.store.len() && p.store[*si].wait.exec as usize <= upto_exec {
            let s = &p.store[*si];
            let ready = if s.wait.exec == 0 { t0 } else { exec[s.wait.exec as usize - 1].end + 1 };
            let start = ready.max(store_free);
            let word_bytes = match s.src {
                vitfpga_compiler::program::Buffer::Spad => c.lanes as u64,
                vitfpga_compiler::program::Buffer::Sbuf => c.cols as u64 * 4,
            };
            let beats = (s.words as u64 * word_bytes).div_ceil(bus).max(1);
            // Words are read from cycle `start`; beat j leaves at start + 1 + j; the write
            // response of the last beat returns `latency` cycles later.
            store.push(Span { start, end: start + beats + lat });
            store_free = start + beats + 1;
            *si += 1;
        }
    };
    run_stores(&exec, &mut store, 0, &mut si);
    for (i, e) in p.exec.iter().enumerate() {
        let mut start = exec.last().map_or(t0, |s: &Span| s.end + 1);
        if e.wait.load > 0 {
            start = start.max(load[e.wait.load as usize - 1].end + 1);
        }
        if e.wait.store > 0 {
            start = start.max(store[e.wait.store as usize - 1].end + 1);
        }
        let end = match &e.op {
            ExecOp::Gemm(g) => ctx.gemm(g, start),
            ExecOp::Softmax(s) => {
                let unit = c.softmax_unit(s.z_bits, s.out_bits).timing();
                row_op(&unit, c.softmax_units, s.rows as u64, s.len as usize, start)
            }
            ExecOp::LayerNorm(l) => {
                let unit = c.layernorm_unit(l.out_bits).timing();
                // Parameters: one channel per cycle into every unit at once.
                let per_word = c.stream_word_bytes / records::LN_PARAM_BYTES;
                let dim = (l.src.seg_len) as usize;
                let mut t = start;
                let mut first = true;
                for ch in 0..dim {
                    t = if ch % per_word == 0 { ctx.pop(if first { start } else { t + 1 }) } else { t + 1 };
                    first = false;
                }
                row_op(&unit, c.layernorm_units, l.rows as u64, dim, t + 1)
            }
            ExecOp::Embed(em) => {
                let d = em.out.seg_len as usize;
                let mut t = start;
                let mut first = true;
                let mut pops = records::words(c, d);
                pops += (em.tokens as usize - 1) * records::words(c, d * records::POS_BYTES);
                for _ in 0..pops {
                    t = ctx.pop(if first { start } else { t + 1 });
                    first = false;
                }
                t + EMBED_PIPE
            }
        };
        exec.push(Span { start, end });
        run_stores(&exec, &mut store, i + 1, &mut si);
    }
    assert_eq!(si, p.store.len(), "every store waits on an exec instruction");
    assert_eq!(
        ctx.stream.words_popped() * c.stream_word_bytes,
        p.dram.constants.bytes as usize,
        "the exec queue must consume the whole constant stream"
    );
    load[stream_idx].end = ctx.stream.last_arrival();
    let cycles = load.iter().chain(&exec).chain(&store).map(|s| s.end).max().unwrap_or(fetch_end) + 1;
    Timeline { cycles, fetch_end, load, exec, store, stream_stall_cycles: ctx.stall }
}

/// Rows dealt round-robin over `units` row units fed by one read port: row r's beats enter in
/// cycles x_r+1 ..= x_r+B; x_r >= x_{r-1} + B, and a unit takes its next row's first beat
/// once it is ready again (`ready_delay` after the last beat of its previous row). Outputs are
/// written the cycle after they leave the unit. Returns the last write cycle.
pub fn row_op(unit: &RowTiming, units: usize, rows: u64, len: usize, start: u64) -> u64 {
    let b = unit.beats(len) as u64;
    let mut x: Vec<u64> = Vec::with_capacity(rows as usize);
    for r in 0..rows as usize {
        let mut t = if r == 0 { start } else { x[r - 1] + b };
        if r >= units {
            let last_in = x[r - units] + b;
            t = t.max(last_in + unit.ready_delay(len) as u64 - 1);
        }
        x.push(t);
    }
    let last_in = x[rows as usize - 1] + b;
    last_in + unit.last_output_delay(len) as u64 + 1
}

impl Ctx<'_> {
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
        let mut epi = 1u64; // accumulator add
        if let Epilogue::Requant(r) = &g.epilogue {
            epi += Requantizer { lanes: c.cols, acc_bits: c.acc_bits, out_bits: r.out_bits }.latency() as u64;
            if r.table {
                epi += LookupUnit { lanes: c.cols, in_bits: r.out_bits, out_bits: 8 }.latency() as u64;
                for w in 0..records::words(c, 1 << r.out_bits) {
                    t = self.pop(if w == 0 { start } else { t + 1 });
                }
                t += 1;
            }
            if r.residual.is_some() {
                epi += ResidualAdder { lanes: c.cols, a_bits: 8, b_bits: 8, out_bits: 8 }.latency() as u64;
            }
        }
        let stream_params = matches!(&g.epilogue, Epilogue::Requant(r) if r.params == RequantParams::Stream);
        let param_words = records::words(c, c.cols * records::PARAM_BYTES);
        let (mut fe_prev, mut is_prev, mut ie_prev): (Option<u64>, Option<u64>, Option<u64>) = (None, None, None);
        let mut ie_hist: Vec<u64> = Vec::with_capacity(nt_n * kt_n);
        for nt in 0..nt_n {
            for kt in 0..kt_n {
                let i = nt * kt_n + kt;
                let mut f = t.max(fe_prev.map_or(0, |x| x + 1));
                if i >= 2 {
                    f = f.max(ie_hist[i - 2] + 1 + reuse);
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
                ie_prev = Some(ie);
                ie_hist.push(ie);
            }
        }
        // The last row's result leaves the array LAT cycles after entering it (one cycle after
        // its read), then passes the epilogue.
        ie_prev.expect("a GEMM has tiles") + 1 + lat + epi
    }
}
