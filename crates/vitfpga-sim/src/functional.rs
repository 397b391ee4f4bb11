//! The values: every instruction applied to the on-chip memories exactly as the datapath
//! computes it (tiles, padding lanes, stream records), using the golden model's arithmetic.

use std::collections::BTreeMap;

use vitfpga_compiler::program::{
    Buffer, Embed, Epilogue, ExecOp, Gemm, LayerNorm, LoadOp, Out, Program, RequantParams, Softmax, Stationary, View,
};
use vitfpga_compiler::stream as records;
use vitfpga_golden::arith::{clamp_bits, rshift_round};
use vitfpga_golden::kernels::gemm::{gemm, Packed};
use vitfpga_golden::kernels::layernorm::{layernorm_row, LayerNormParams};
use vitfpga_golden::kernels::softmax::softmax_row;

pub struct Machine<'p> {
    pub p: &'p Program,
    pub dram: Vec<u8>,
    pub spad: Vec<i8>,
    pub sbuf: Vec<i32>,
    /// Byte offset of the next stream record in DRAM.
    cursor: usize,
    /// Snapshots of tensors after each instruction that wrote them (when capturing).
    pub captured: BTreeMap<usize, Vec<i64>>,
    /// The LayerNorm units' parameter memories (gamma, beta per channel): loaded by a
    /// LayerNorm from the stream, reused by one with `keep_params` (zero before any load).
    ln_params: (Vec<i32>, Vec<i64>),
}

impl<'p> Machine<'p> {
    pub fn new(p: &'p Program, dram: Vec<u8>) -> Self {
        let c = &p.config;
        Machine {
            p,
            dram,
            spad: vec![0; c.spad_words * c.lanes],
            sbuf: vec![0; c.sbuf_words * c.cols],
            cursor: p.dram.constants.addr as usize,
            captured: BTreeMap::new(),
            ln_params: (Vec::new(), Vec::new()),
        }
    }

    /// The next stream record of `bytes` (records start on stream words).
    fn record(&mut self, bytes: usize) -> Vec<u8> {
        let wb = self.p.config.stream_word_bytes;
        let at = self.cursor;
        self.cursor += records::words(&self.p.config, bytes) * wb;
        let end = self.p.dram.constants.addr as usize + self.p.dram.constants.bytes as usize;
        assert!(self.cursor <= end, "read past the end of the constant stream");
        self.dram[at..at + bytes].to_vec()
    }

    pub fn stream_consumed(&self) -> bool {
        self.cursor == (self.p.dram.constants.addr + self.p.dram.constants.bytes) as usize
    }

    /// Run the whole program: loads, then exec instructions in order with each store right
    /// after the instruction it waits for (the queues' waits make this order exact).
    pub fn run(&mut self, capture: bool) {
        for l in &self.p.load {
            if let LoadOp::Spad { dram, word, words } = l.op {
                // Each word occupies whole beats in DRAM.
                let lanes = self.p.config.lanes;
                let stride = vitfpga_compiler::image::dram_word_bytes(self.p, Buffer::Spad);
                for w in 0..words as usize {
                    for i in 0..lanes {
                        self.spad[(word as usize + w) * lanes + i] = self.dram[dram as usize + w * stride + i] as i8;
                    }
                }
            }
        }
        let mut si = 0;
        self.stores(&mut si, 0);
        for (i, e) in self.p.exec.iter().enumerate() {
            match &e.op {
                ExecOp::Gemm(g) => self.gemm(g),
                ExecOp::Softmax(s) => self.softmax(s),
                ExecOp::LayerNorm(l) => self.layernorm(l),
                ExecOp::Embed(em) => self.embed(em),
            }
            if capture {
                let t = e.tensor as usize;
                let v = self.read_tensor(t);
                self.captured.insert(t, v);
            }
            self.stores(&mut si, i + 1);
        }
    }

    fn stores(&mut self, si: &mut usize, done: usize) {
        let c = &self.p.config;
        while *si < self.p.store.len() && self.p.store[*si].wait.exec as usize <= done {
            let s = &self.p.store[*si];
            let d = s.dram as usize;
            let stride = vitfpga_compiler::image::dram_word_bytes(self.p, s.src);
            for w in 0..s.words as usize {
                let at = d + w * stride;
                let word = s.word as usize + w;
                match s.src {
                    Buffer::Spad => {
                        for i in 0..c.lanes {
                            self.dram[at + i] = self.spad[word * c.lanes + i] as u8;
                        }
                    }
                    Buffer::Sbuf => {
                        for i in 0..c.cols {
                            self.dram[at + 4 * i..at + 4 * i + 4]
                                .copy_from_slice(&self.sbuf[word * c.cols + i].to_le_bytes());
                        }
                    }
                }
            }
            *si += 1;
        }
    }

    /// Dense `[rows, features]` values of a tensor as it sits in its buffer now.
    pub fn read_tensor(&self, t: usize) -> Vec<i64> {
        let desc = &self.p.tensors[t];
        let c = &self.p.config;
        let words = desc.rows * desc.view.row_words as usize;
        let raw: Vec<u8> = match desc.buffer {
            Buffer::Spad => {
                let a = desc.view.word as usize * c.lanes;
                self.spad[a..a + words * c.lanes].iter().map(|&v| v as u8).collect()
            }
            Buffer::Sbuf => {
                let a = desc.view.word as usize * c.cols;
                self.sbuf[a..a + words * c.cols].iter().flat_map(|v| v.to_le_bytes()).collect()
            }
        };
        vitfpga_compiler::image::unpack_tensor(self.p, desc, &raw)
    }

    fn spad_at(&self, v: &View, row: usize, seg: usize, f: usize) -> usize {
        let lanes = self.p.config.lanes;
        (v.word as usize + row * v.row_words as usize + seg * v.seg_words as usize + f / lanes) * lanes + f % lanes
    }

    fn gemm(&mut self, g: &Gemm) {
        let c = self.p.config.clone();
        let (r_, c_) = (c.rows, c.cols);
        let m = g.m as usize;
        let (ktps, kt_n) = (g.k_tiles_per_seg(r_), g.k_tiles(r_));
        let (ntps, nt_n) = (g.n_tiles_per_seg(c_), g.n_tiles(c_));
        let kp = kt_n * r_;
        // A: [m, kp], lanes past a segment's length masked to zero by the streamer.
        let mut a = vec![0i8; m * kp];
        for row in 0..m {
            for kt in 0..kt_n {
                let (s, j) = (kt / ktps, kt % ktps);
                for r in 0..r_ {
                    let local = j * r_ + r;
                    if local < g.a.seg_len as usize {
                        a[row * kp + kt * r_ + r] = self.spad[self.spad_at(&g.a, row, s, local)];
                    }
                }
            }
        }
        let lhs = Packed::lhs(&a, m, kp);
        let mut table = Vec::new();
        if let Epilogue::Requant(rq) = &g.epilogue {
            if rq.table {
                table = self.record(1 << rq.out_bits).into_iter().map(|b| b as i8).collect();
            }
        }
        let stream_params = matches!(&g.epilogue, Epilogue::Requant(r) if r.params == RequantParams::Stream);
        for nt in 0..nt_n {
            let (ns, nj) = (nt / ntps, nt % ntps);
            let params = if stream_params { Some(self.record(c_ * records::PARAM_BYTES)) } else { None };
            // B tile column-major as the kernel wants: [c_ rows of n][kp].
            let mut bt = vec![0i8; c_ * kp];
            for kt in 0..kt_n {
                let kj = kt % ktps;
                // On-chip stationary operands are one segment (a head's slice), as the filler reads them.
                match &g.b {
                    Stationary::Stream { w_bits } => {
                        let rec = self.record(records::tile_words(&c, *w_bits) * c.stream_word_bytes);
                        for r in 0..r_ {
                            let row = records::tile_row(&c, &rec, r, *w_bits);
                            for (col, &w) in row.iter().enumerate() {
                                bt[col * kp + kt * r_ + r] = w;
                            }
                        }
                    }
                    Stationary::SpadRows { view, valid } => {
                        // Weight row r = token kt*R + r (masked past `valid`), lanes = features.
                        for r in 0..r_ {
                            let token = kj * r_ + r;
                            if token >= *valid as usize {
                                continue;
                            }
                            for col in 0..c_ {
                                let f = nj * c_ + col;
                                if f < view.seg_len as usize {
                                    bt[col * kp + kt * r_ + r] = self.spad[self.spad_at(view, token, 0, f)];
                                }
                            }
                        }
                    }
                    Stationary::SpadCols { view, valid } => {
                        // Column col = token nj*C + col; row r = feature kt*R + r (masked).
                        for col in 0..c_ {
                            let token = nj * c_ + col;
                            if token >= *valid as usize {
                                continue;
                            }
                            for r in 0..r_ {
                                let f = kj * r_ + r;
                                if f < view.seg_len as usize {
                                    bt[col * kp + kt * r_ + r] = self.spad[self.spad_at(view, token, 0, f)];
                                }
                            }
                        }
                    }
                }
            }
            let acc = gemm(&lhs, &Packed::rhs(&bt, c_, kp));
            // Epilogue per row and column; columns past the segment are not written.
            for row in 0..m {
                for col in 0..c_ {
                    let local = nj * c_ + col;
                    if local >= g.n_seg_len as usize {
                        continue;
                    }
                    let v = acc[row * c_ + col] as i64;
                    match &g.epilogue {
                        Epilogue::Scores { sbuf_word } => {
                            self.sbuf[(*sbuf_word as usize + nt * m + row) * c_ + col] = v as i32;
                        }
                        Epilogue::Requant(rq) => {
                            let mut y = match (&rq.params, &params) {
                                (RequantParams::Stream, Some(rec)) => {
                                    let (b, mult) = records::read_param(rec, col);
                                    clamp_bits(mult.apply(v + b as i64), rq.out_bits)
                                }
                                (RequantParams::Const(mult), _) => clamp_bits(mult.apply(v), rq.out_bits),
                                _ => unreachable!(),
                            };
                            if rq.table {
                                y = table[(y + (1 << (rq.out_bits - 1))) as usize] as i64;
                            }
                            if let Some(res) = &rq.residual {
                                // A fused residual follows a one-segment Linear: segment 0.
                                let x = self.spad[self.spad_at(&res.view, row, 0, local)] as i64;
                                let (l, r) = if res.swap { (y, x) } else { (x, y) };
                                y = clamp_bits(
                                    rshift_round(l * res.ma as i64 + r * res.mb as i64, res.shift),
                                    res.out_bits,
                                );
                            }
                            match &rq.out {
                                Out::Spad(view) => {
                                    let f = rq.out_slice as usize * c_ + local;
                                    let at = self.spad_at(view, row, ns, f);
                                    self.spad[at] = y as i8;
                                }
                                Out::Sbuf { word } => {
                                    self.sbuf[(*word as usize + nt * m + row) * c_ + col] = y as i32;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    fn softmax(&mut self, s: &Softmax) {
        let (c_, rows, len) = (self.p.config.cols, s.rows as usize, s.len as usize);
        let mut z = vec![0i32; len];
        let mut out = vec![0i8; len];
        for r in 0..rows {
            for (j, zj) in z.iter_mut().enumerate() {
                *zj = self.sbuf[(s.sbuf_word as usize + (j / c_) * rows + r) * c_ + j % c_];
            }
            softmax_row(&z, s.to_exp2, s.out_bits, &mut out);
            for (j, &o) in out.iter().enumerate() {
                let at = self.spad_at(&s.out, r, 0, j);
                self.spad[at] = o;
            }
        }
    }

    fn layernorm(&mut self, l: &LayerNorm) {
        let d = l.src.seg_len as usize;
        if !l.keep_params {
            let rec = self.record(d * records::LN_PARAM_BYTES);
            self.ln_params = (0..d).map(|ch| records::read_ln(&rec, ch)).unzip();
        }
        let (mut gamma, mut beta) = self.ln_params.clone();
        gamma.resize(d, 0);
        beta.resize(d, 0);
        let p = LayerNormParams { eps_q: l.eps_q, gamma, beta, shift: l.shift, out_bits: l.out_bits };
        let mut x = vec![0i8; d];
        let mut y = vec![0i8; d];
        for r in 0..l.rows as usize {
            for (f, xf) in x.iter_mut().enumerate() {
                *xf = self.spad[self.spad_at(&l.src, r, 0, f)];
            }
            layernorm_row(&x, &p, &mut y);
            for (f, &yf) in y.iter().enumerate() {
                let at = self.spad_at(&l.out, r, 0, f);
                self.spad[at] = yf;
            }
        }
    }

    fn embed(&mut self, e: &Embed) {
        let d = e.out.seg_len as usize;
        let lanes = self.p.config.lanes;
        // One record of `lanes` i64 values per scratchpad word of each row; token 0 is the
        // class row (the value itself), tokens 1.. the position terms.
        for t in 0..e.tokens as usize {
            for w in 0..d.div_ceil(lanes) {
                let rec = self.record(lanes * records::POS_BYTES);
                for l in 0..lanes.min(d - w * lanes) {
                    let f = w * lanes + l;
                    let v = records::read_i64(&rec, l);
                    let y = if t == 0 {
                        v
                    } else {
                        let x = self.spad[self.spad_at(&e.src, t - 1, 0, f)] as i64;
                        clamp_bits(rshift_round(x * e.mult.m as i64 + v, e.mult.shift), e.out_bits)
                    };
                    let at = self.spad_at(&e.out, t, 0, f);
                    self.spad[at] = y as i8;
                }
            }
        }
    }
}
