//! `vitfpga disasm`: a program as text, one instruction per line.

use std::fmt::Write;

use crate::program::{Epilogue, ExecOp, LoadOp, Out, Program, RequantParams, Stationary, View, Wait};

fn view(v: &View) -> String {
    format!("@{}[row {}w, {}x{}]", v.word, v.row_words, v.segs, v.seg_len)
}

fn wait(w: &Wait) -> String {
    let mut parts = Vec::new();
    for (n, c) in [("load", w.load), ("exec", w.exec), ("store", w.store), ("rows", w.rows)] {
        if c > 0 {
            parts.push(format!("{n}>={c}"));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("  wait {}", parts.join(","))
    }
}

pub fn disasm(p: &Program) -> String {
    let c = &p.config;
    let mut s = String::new();
    let _ = writeln!(s, "; vitfpga program v{} for '{}' on {}", p.version, p.model, c.device);
    let _ = writeln!(
        s,
        "; array {}x{} a{} w{} acc{}{}  lanes {}  spad {} words  sbuf {} words  softmax x{}  layernorm x{}",
        c.rows,
        c.cols,
        c.a_bits,
        c.w_bits,
        c.acc_bits,
        match (c.dsp_packing, c.dsp_cascade) {
            (false, false) => "",
            (true, false) => " packed",
            (false, true) => " cascade",
            (true, true) => " packed cascade",
        },
        c.lanes,
        c.spad_words,
        c.sbuf_words,
        c.softmax_units,
        c.layernorm_units
    );
    let _ = writeln!(
        s,
        "; dram: bus {} B/beat, latency {}, stream word {} B, fifo {} beats; {:.1} MB total, constants {:.1} MB",
        c.bus_bytes,
        c.dram_latency,
        c.stream_word_bytes,
        c.stream_fifo_beats,
        p.dram.total_bytes as f64 / 1e6,
        p.dram.constants.bytes as f64 / 1e6
    );
    let _ = writeln!(s, "\n.load");
    for (i, l) in p.load.iter().enumerate() {
        let _ = match &l.op {
            LoadOp::Spad { dram, word, words } => {
                writeln!(s, "L{i:<5} load.spad   dram 0x{dram:x} -> spad @{word} x{words}{}", wait(&l.wait))
            }
            LoadOp::Stream { dram, bytes } => {
                writeln!(s, "L{i:<5} load.stream dram 0x{dram:x} {bytes} B{}", wait(&l.wait))
            }
        };
    }
    let _ = writeln!(s, "\n.exec");
    for (i, e) in p.exec.iter().enumerate() {
        let body = match &e.op {
            ExecOp::Gemm(g) => {
                let b = match &g.b {
                    Stationary::Stream { w_bits } => format!("stream w{w_bits}"),
                    Stationary::SpadRows { view: v, valid } => format!("rows {} valid {valid}", view(v)),
                    Stationary::SpadCols { view: v, valid } => format!("cols^T {} valid {valid}", view(v)),
                };
                let epi = match &g.epilogue {
                    Epilogue::Scores { sbuf_word } => format!("scores -> sbuf @{sbuf_word}"),
                    Epilogue::Requant(r) => {
                        let mut t = match r.params {
                            RequantParams::Stream => format!("requant{} stream", r.out_bits),
                            RequantParams::Const(m) => format!("requant{} m={} s={}", r.out_bits, m.m, m.shift),
                        };
                        if r.table {
                            t += " +table";
                        }
                        if let Some(res) = &r.residual {
                            let _ = write!(
                                t,
                                " +residual {} ma={} mb={} s={} o{}{}",
                                view(&res.view),
                                res.ma,
                                res.mb,
                                res.shift,
                                res.out_bits,
                                if res.swap { " swap" } else { "" }
                            );
                        }
                        match &r.out {
                            Out::Spad(v) if r.out_slice > 0 => {
                                t + &format!(" -> spad {} slice {}", view(v), r.out_slice)
                            }
                            Out::Spad(v) => t + &format!(" -> spad {}", view(v)),
                            Out::Sbuf { word } => t + &format!(" -> sbuf @{word}"),
                        }
                    }
                };
                format!(
                    "gemm        m {} a {} ({} k-tiles) b {} n {}x{} ({} n-tiles) {}",
                    g.m,
                    view(&g.a),
                    g.k_tiles(c.rows),
                    b,
                    g.n_segs,
                    g.n_seg_len,
                    g.n_tiles(c.cols),
                    epi
                )
            }
            ExecOp::Softmax(sm) => format!(
                "softmax     sbuf @{} rows {} len {} z{} m={} s={} o{} -> spad {}",
                sm.sbuf_word,
                sm.rows,
                sm.len,
                sm.z_bits,
                sm.to_exp2.m,
                sm.to_exp2.shift,
                sm.out_bits,
                view(&sm.out)
            ),
            ExecOp::LayerNorm(l) => format!(
                "layernorm   rows {} {} -> {} eps_q {} s={} o{}{}",
                l.rows,
                view(&l.src),
                view(&l.out),
                l.eps_q,
                l.shift,
                l.out_bits,
                if l.keep_params { " keep-params" } else { "" }
            ),
            ExecOp::Embed(em) => format!(
                "embed       tokens {} {} -> {} m={} s={} o{}",
                em.tokens,
                view(&em.src),
                view(&em.out),
                em.mult.m,
                em.mult.shift,
                em.out_bits
            ),
        };
        let _ = writeln!(s, "E{i:<5} {body}{}  ; {}", wait(&e.wait), e.label);
    }
    let _ = writeln!(s, "\n.store");
    for (i, st) in p.store.iter().enumerate() {
        let _ = writeln!(
            s,
            "S{i:<5} store       {} @{} x{} -> dram 0x{:x}{}",
            st.src.name(),
            st.word,
            st.words,
            st.dram,
            wait(&st.wait)
        );
    }
    s
}
