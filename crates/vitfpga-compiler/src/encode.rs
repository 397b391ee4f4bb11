//! The binary program the accelerator fetches: a header then the load, exec and store
//! queues, each instruction 64 little-endian 32-bit fields (256 bytes). Field slots are named
//! here once; the RTL generator emits them as Verilog localparams, so both sides agree.

use crate::program::{Buffer, Epilogue, ExecOp, LoadOp, Out, Program, RequantParams, Stationary, Wait, INSTR_BYTES};
use crate::stream;

pub const FIELDS: usize = (INSTR_BYTES / 4) as usize;

/// Opcodes (field 0).
pub mod op {
    pub const LOAD_SPAD: u32 = 1;
    pub const LOAD_STREAM: u32 = 2;
    pub const GEMM: u32 = 3;
    pub const SOFTMAX: u32 = 4;
    pub const LAYERNORM: u32 = 5;
    pub const EMBED: u32 = 6;
    pub const STORE: u32 = 7;
    /// Every opcode by name, for the RTL generator and the host header.
    pub const ALL: [(&str, u32); 7] = [
        ("LOAD_SPAD", LOAD_SPAD),
        ("LOAD_STREAM", LOAD_STREAM),
        ("GEMM", GEMM),
        ("SOFTMAX", SOFTMAX),
        ("LAYERNORM", LAYERNORM),
        ("EMBED", EMBED),
        ("STORE", STORE),
    ];
}

/// Field slots. Header: H_LOADS (n_load | n_store << 16), H_EXECS.
pub mod f {
    pub const OPCODE: usize = 0;
    pub const WAIT_LOAD: usize = 1;
    pub const WAIT_EXEC: usize = 2;
    pub const WAIT_STORE: usize = 3;
    /// Row-engine completions (see `Wait::rows`), shared by every opcode.
    pub const WAIT_ROWS: usize = 4;
    pub const H_LOADS_STORES: usize = 0;
    pub const H_EXECS: usize = 1;
    // Loads and stores.
    pub const DRAM_LO: usize = 5;
    pub const DRAM_HI: usize = 6;
    pub const WORD: usize = 7;
    pub const WORDS: usize = 8;
    pub const BEATS: usize = 9;
    pub const SRC_SBUF: usize = 10;
    // GEMM.
    pub const G_M: usize = 5;
    pub const G_A_WORD: usize = 6;
    pub const G_A_ROW_WORDS: usize = 7;
    pub const G_A_SEG_LEN: usize = 8;
    pub const G_A_SEG_WORDS: usize = 9;
    pub const G_KT_PER_SEG: usize = 10;
    pub const G_KT: usize = 11;
    pub const G_NT_PER_SEG: usize = 12;
    pub const G_NT: usize = 13;
    pub const G_N_SEG_LEN: usize = 14;
    /// 0 stream, 1 rows, 2 cols.
    pub const G_B_KIND: usize = 15;
    pub const G_W_BITS: usize = 16;
    pub const G_B_WORD: usize = 17;
    pub const G_B_ROW_WORDS: usize = 18;
    pub const G_B_SEG_LEN: usize = 19;
    pub const G_B_VALID: usize = 20;
    pub const G_ROWS_PER_WORD: usize = 21;
    pub const G_TILE_WORDS: usize = 22;
    pub const G_ROW_BYTES: usize = 23;
    /// Bit 0 requant (else scores), 1 stream params, 2 table, 3 residual, 4 swap, 5 wide out;
    /// bits 8.. the output's first C-lane slice (`Requant::out_slice`).
    pub const G_EPI: usize = 24;
    pub const G_OUT_BITS: usize = 25;
    pub const G_CONST_M: usize = 26;
    pub const G_CONST_SHIFT: usize = 27;
    pub const G_SBUF_WORD: usize = 28;
    pub const G_OUT_WORD: usize = 29;
    pub const G_OUT_ROW_WORDS: usize = 30;
    pub const G_OUT_SEG_WORDS: usize = 31;
    pub const G_RES_WORD: usize = 32;
    pub const G_RES_ROW_WORDS: usize = 33;
    pub const G_RES_MA: usize = 34;
    pub const G_RES_MB: usize = 35;
    pub const G_RES_SHIFT: usize = 36;
    pub const G_RES_BITS: usize = 37;
    pub const G_PARAM_WORDS: usize = 38;
    pub const G_TABLE_ENTRIES: usize = 39;
    pub const G_B_SEG_WORDS: usize = 40;
    // Softmax.
    pub const S_SBUF_WORD: usize = 5;
    pub const S_ROWS: usize = 6;
    pub const S_LEN: usize = 7;
    pub const S_BEATS: usize = 8;
    pub const S_M: usize = 9;
    pub const S_SHIFT: usize = 10;
    pub const S_OUT_WORD: usize = 11;
    pub const S_OUT_ROW_WORDS: usize = 12;
    // LayerNorm.
    pub const L_ROWS: usize = 5;
    pub const L_SRC_WORD: usize = 6;
    pub const L_SRC_ROW_WORDS: usize = 7;
    pub const L_DIM: usize = 8;
    pub const L_BEATS: usize = 9;
    pub const L_OUT_WORD: usize = 10;
    pub const L_OUT_ROW_WORDS: usize = 11;
    pub const L_EPS_LO: usize = 12;
    pub const L_EPS_HI: usize = 13;
    pub const L_SHIFT: usize = 14;
    /// 1: the units keep their gamma/beta (`LayerNorm::keep_params`), none are streamed.
    pub const L_KEEP_PARAMS: usize = 15;
    // Embed.
    pub const E_TOKENS: usize = 5;
    pub const E_SRC_WORD: usize = 6;
    pub const E_SRC_ROW_WORDS: usize = 7;
    pub const E_DIM: usize = 8;
    pub const E_OUT_WORD: usize = 9;
    pub const E_OUT_ROW_WORDS: usize = 10;
    pub const E_M: usize = 11;
    pub const E_SHIFT: usize = 12;
    pub const E_OUT_BITS: usize = 13;
    pub const E_ROW_WORDS: usize = 14;
    pub const E_POPS_PER_WORD: usize = 15;
    /// Slots the load and store queues use (the RTL keeps only these on chip).
    pub const LS_SLOTS: usize = SRC_SBUF + 1;
    /// Slots the exec queue uses.
    pub const EXEC_SLOTS: usize = G_B_SEG_WORDS + 1;
    /// Of those, slots the core's decoders never read, so synthesis drops their instruction-memory
    /// bits: G_ROW_BYTES (the RTL's weight unpacking fixes the row bytes per weight width; the
    /// field stays in the format for the simulator and the disassembler).
    pub const EXEC_UNREAD_SLOTS: usize = 1;
}

/// Every field slot by name, for the RTL generator.
pub fn field_names() -> Vec<(&'static str, usize)> {
    use f::*;
    vec![
        ("OPCODE", OPCODE),
        ("WAIT_LOAD", WAIT_LOAD),
        ("WAIT_EXEC", WAIT_EXEC),
        ("WAIT_STORE", WAIT_STORE),
        ("WAIT_ROWS", WAIT_ROWS),
        ("H_LOADS_STORES", H_LOADS_STORES),
        ("H_EXECS", H_EXECS),
        ("DRAM_LO", DRAM_LO),
        ("DRAM_HI", DRAM_HI),
        ("WORD", WORD),
        ("WORDS", WORDS),
        ("BEATS", BEATS),
        ("SRC_SBUF", SRC_SBUF),
        ("G_M", G_M),
        ("G_A_WORD", G_A_WORD),
        ("G_A_ROW_WORDS", G_A_ROW_WORDS),
        ("G_A_SEG_LEN", G_A_SEG_LEN),
        ("G_A_SEG_WORDS", G_A_SEG_WORDS),
        ("G_KT_PER_SEG", G_KT_PER_SEG),
        ("G_KT", G_KT),
        ("G_NT_PER_SEG", G_NT_PER_SEG),
        ("G_NT", G_NT),
        ("G_N_SEG_LEN", G_N_SEG_LEN),
        ("G_B_KIND", G_B_KIND),
        ("G_W_BITS", G_W_BITS),
        ("G_B_WORD", G_B_WORD),
        ("G_B_ROW_WORDS", G_B_ROW_WORDS),
        ("G_B_SEG_LEN", G_B_SEG_LEN),
        ("G_B_VALID", G_B_VALID),
        ("G_ROWS_PER_WORD", G_ROWS_PER_WORD),
        ("G_TILE_WORDS", G_TILE_WORDS),
        ("G_ROW_BYTES", G_ROW_BYTES),
        ("G_EPI", G_EPI),
        ("G_OUT_BITS", G_OUT_BITS),
        ("G_CONST_M", G_CONST_M),
        ("G_CONST_SHIFT", G_CONST_SHIFT),
        ("G_SBUF_WORD", G_SBUF_WORD),
        ("G_OUT_WORD", G_OUT_WORD),
        ("G_OUT_ROW_WORDS", G_OUT_ROW_WORDS),
        ("G_OUT_SEG_WORDS", G_OUT_SEG_WORDS),
        ("G_RES_WORD", G_RES_WORD),
        ("G_RES_ROW_WORDS", G_RES_ROW_WORDS),
        ("G_RES_MA", G_RES_MA),
        ("G_RES_MB", G_RES_MB),
        ("G_RES_SHIFT", G_RES_SHIFT),
        ("G_RES_BITS", G_RES_BITS),
        ("G_PARAM_WORDS", G_PARAM_WORDS),
        ("G_TABLE_ENTRIES", G_TABLE_ENTRIES),
        ("G_B_SEG_WORDS", G_B_SEG_WORDS),
        ("S_SBUF_WORD", S_SBUF_WORD),
        ("S_ROWS", S_ROWS),
        ("S_LEN", S_LEN),
        ("S_BEATS", S_BEATS),
        ("S_M", S_M),
        ("S_SHIFT", S_SHIFT),
        ("S_OUT_WORD", S_OUT_WORD),
        ("S_OUT_ROW_WORDS", S_OUT_ROW_WORDS),
        ("L_ROWS", L_ROWS),
        ("L_SRC_WORD", L_SRC_WORD),
        ("L_SRC_ROW_WORDS", L_SRC_ROW_WORDS),
        ("L_DIM", L_DIM),
        ("L_BEATS", L_BEATS),
        ("L_OUT_WORD", L_OUT_WORD),
        ("L_OUT_ROW_WORDS", L_OUT_ROW_WORDS),
        ("L_EPS_LO", L_EPS_LO),
        ("L_EPS_HI", L_EPS_HI),
        ("L_SHIFT", L_SHIFT),
        ("L_KEEP_PARAMS", L_KEEP_PARAMS),
        ("E_TOKENS", E_TOKENS),
        ("E_SRC_WORD", E_SRC_WORD),
        ("E_SRC_ROW_WORDS", E_SRC_ROW_WORDS),
        ("E_DIM", E_DIM),
        ("E_OUT_WORD", E_OUT_WORD),
        ("E_OUT_ROW_WORDS", E_OUT_ROW_WORDS),
        ("E_M", E_M),
        ("E_SHIFT", E_SHIFT),
        ("E_OUT_BITS", E_OUT_BITS),
        ("E_ROW_WORDS", E_ROW_WORDS),
        ("E_POPS_PER_WORD", E_POPS_PER_WORD),
    ]
}

struct Word([u32; FIELDS]);

impl Word {
    fn new(opcode: u32, w: &Wait) -> Self {
        let mut f = [0u32; FIELDS];
        f[f::OPCODE] = opcode;
        f[f::WAIT_LOAD] = w.load;
        f[f::WAIT_EXEC] = w.exec;
        f[f::WAIT_STORE] = w.store;
        f[f::WAIT_ROWS] = w.rows;
        Word(f)
    }
    fn set(&mut self, slot: usize, v: u64) -> &mut Self {
        assert!(v <= u32::MAX as u64, "field {slot} value {v} does not fit 32 bits");
        self.0[slot] = v as u32;
        self
    }
    fn dram(&mut self, a: u64) -> &mut Self {
        self.0[f::DRAM_LO] = a as u32;
        self.0[f::DRAM_HI] = (a >> 32) as u32;
        self
    }
    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.0.iter().flat_map(|v| v.to_le_bytes())
    }
}

/// Beats one buffer word occupies in DRAM (words are padded to whole beats).
pub fn beats_per_word(p: &Program, b: Buffer) -> u64 {
    let bytes = match b {
        Buffer::Spad => p.config.lanes,
        Buffer::Sbuf => p.config.cols * 4,
    };
    bytes.div_ceil(p.config.bus_bytes) as u64
}

/// Pops of one embedding record: per scratchpad word of a row, `lanes` i64 values.
pub fn embed_pops_per_word(p: &Program) -> usize {
    (p.config.lanes * stream::POS_BYTES).div_ceil(p.config.stream_word_bytes)
}

pub fn encode(p: &Program) -> Vec<u8> {
    let c = &p.config;
    let mut words = Vec::with_capacity(1 + p.instructions());
    let mut h = Word([0; FIELDS]);
    h.set(f::H_LOADS_STORES, p.load.len() as u64 | (p.store.len() as u64) << 16);
    h.set(f::H_EXECS, p.exec.len() as u64);
    words.push(h);
    for l in &p.load {
        words.push(match l.op {
            LoadOp::Spad { dram, word, words: n } => {
                let mut w = Word::new(op::LOAD_SPAD, &l.wait);
                w.dram(dram).set(f::WORD, word as u64).set(f::WORDS, n as u64);
                w.set(f::BEATS, n as u64 * beats_per_word(p, Buffer::Spad));
                w
            }
            LoadOp::Stream { dram, bytes } => {
                let mut w = Word::new(op::LOAD_STREAM, &l.wait);
                w.dram(dram).set(f::BEATS, bytes / c.bus_bytes as u64);
                w
            }
        });
    }
    for e in &p.exec {
        let mut w;
        match &e.op {
            ExecOp::Gemm(g) => {
                w = Word::new(op::GEMM, &e.wait);
                w.set(f::G_M, g.m as u64)
                    .set(f::G_A_WORD, g.a.word as u64)
                    .set(f::G_A_ROW_WORDS, g.a.row_words as u64)
                    .set(f::G_A_SEG_LEN, g.a.seg_len as u64)
                    .set(f::G_A_SEG_WORDS, g.a.seg_words as u64)
                    .set(f::G_KT_PER_SEG, g.k_tiles_per_seg(c.rows) as u64)
                    .set(f::G_KT, g.k_tiles(c.rows) as u64)
                    .set(f::G_NT_PER_SEG, g.n_tiles_per_seg(c.cols) as u64)
                    .set(f::G_NT, g.n_tiles(c.cols) as u64)
                    .set(f::G_N_SEG_LEN, g.n_seg_len as u64);
                match &g.b {
                    Stationary::Stream { w_bits } => {
                        w.set(f::G_B_KIND, 0)
                            .set(f::G_W_BITS, *w_bits as u64)
                            .set(f::G_ROWS_PER_WORD, stream::rows_per_word(c, *w_bits) as u64)
                            .set(f::G_TILE_WORDS, stream::tile_words(c, *w_bits) as u64)
                            .set(f::G_ROW_BYTES, c.weight_row_bytes(*w_bits) as u64);
                    }
                    Stationary::SpadRows { view, valid } | Stationary::SpadCols { view, valid } => {
                        let kind = if matches!(g.b, Stationary::SpadRows { .. }) { 1 } else { 2 };
                        w.set(f::G_B_KIND, kind)
                            .set(f::G_B_WORD, view.word as u64)
                            .set(f::G_B_ROW_WORDS, view.row_words as u64)
                            .set(f::G_B_SEG_LEN, view.seg_len as u64)
                            .set(f::G_B_SEG_WORDS, view.seg_words as u64)
                            .set(f::G_B_VALID, *valid as u64);
                    }
                }
                let mut epi = 0u64;
                match &g.epilogue {
                    Epilogue::Scores { sbuf_word } => {
                        w.set(f::G_SBUF_WORD, *sbuf_word as u64);
                    }
                    Epilogue::Requant(r) => {
                        epi |= 1;
                        match r.params {
                            RequantParams::Stream => {
                                epi |= 2;
                                w.set(f::G_PARAM_WORDS, stream::words(c, c.cols * stream::PARAM_BYTES) as u64);
                            }
                            RequantParams::Const(m) => {
                                w.set(f::G_CONST_M, m.m as u64).set(f::G_CONST_SHIFT, m.shift as u64);
                            }
                        }
                        if r.table {
                            epi |= 4;
                            w.set(f::G_TABLE_ENTRIES, 1 << r.out_bits);
                        }
                        if let Some(res) = &r.residual {
                            epi |= 8 | if res.swap { 16 } else { 0 };
                            w.set(f::G_RES_WORD, res.view.word as u64)
                                .set(f::G_RES_ROW_WORDS, res.view.row_words as u64)
                                .set(f::G_RES_MA, res.ma as u64)
                                .set(f::G_RES_MB, res.mb as u64)
                                .set(f::G_RES_SHIFT, res.shift as u64)
                                .set(f::G_RES_BITS, res.out_bits as u64);
                        }
                        match &r.out {
                            Out::Spad(v) => {
                                epi |= (r.out_slice as u64) << 8;
                                w.set(f::G_OUT_WORD, v.word as u64)
                                    .set(f::G_OUT_ROW_WORDS, v.row_words as u64)
                                    .set(f::G_OUT_SEG_WORDS, v.seg_words as u64);
                            }
                            Out::Sbuf { word } => {
                                epi |= 32;
                                w.set(f::G_SBUF_WORD, *word as u64);
                            }
                        }
                        w.set(f::G_OUT_BITS, r.out_bits as u64);
                    }
                }
                w.set(f::G_EPI, epi);
            }
            ExecOp::Softmax(s) => {
                w = Word::new(op::SOFTMAX, &e.wait);
                w.set(f::S_SBUF_WORD, s.sbuf_word as u64)
                    .set(f::S_ROWS, s.rows as u64)
                    .set(f::S_LEN, s.len as u64)
                    .set(f::S_BEATS, (s.len as usize).div_ceil(c.cols) as u64)
                    .set(f::S_M, s.to_exp2.m as u64)
                    .set(f::S_SHIFT, s.to_exp2.shift as u64)
                    .set(f::S_OUT_WORD, s.out.word as u64)
                    .set(f::S_OUT_ROW_WORDS, s.out.row_words as u64);
            }
            ExecOp::LayerNorm(l) => {
                w = Word::new(op::LAYERNORM, &e.wait);
                w.set(f::L_ROWS, l.rows as u64)
                    .set(f::L_SRC_WORD, l.src.word as u64)
                    .set(f::L_SRC_ROW_WORDS, l.src.row_words as u64)
                    .set(f::L_DIM, l.src.seg_len as u64)
                    .set(f::L_BEATS, (l.src.seg_len as usize).div_ceil(c.layernorm_lanes) as u64)
                    .set(f::L_OUT_WORD, l.out.word as u64)
                    .set(f::L_OUT_ROW_WORDS, l.out.row_words as u64)
                    .set(f::L_EPS_LO, l.eps_q & 0xffff_ffff)
                    .set(f::L_EPS_HI, l.eps_q >> 32)
                    .set(f::L_SHIFT, l.shift as u64)
                    .set(f::L_KEEP_PARAMS, l.keep_params as u64);
            }
            ExecOp::Embed(em) => {
                w = Word::new(op::EMBED, &e.wait);
                w.set(f::E_TOKENS, em.tokens as u64)
                    .set(f::E_SRC_WORD, em.src.word as u64)
                    .set(f::E_SRC_ROW_WORDS, em.src.row_words as u64)
                    .set(f::E_DIM, em.out.seg_len as u64)
                    .set(f::E_OUT_WORD, em.out.word as u64)
                    .set(f::E_OUT_ROW_WORDS, em.out.row_words as u64)
                    .set(f::E_M, em.mult.m as u64)
                    .set(f::E_SHIFT, em.mult.shift as u64)
                    .set(f::E_OUT_BITS, em.out_bits as u64)
                    .set(f::E_ROW_WORDS, em.out.seg_words as u64)
                    .set(f::E_POPS_PER_WORD, embed_pops_per_word(p) as u64);
            }
        }
        words.push(w);
    }
    for s in &p.store {
        let mut w = Word::new(op::STORE, &s.wait);
        w.dram(s.dram)
            .set(f::WORD, s.word as u64)
            .set(f::WORDS, s.words as u64)
            .set(f::BEATS, s.words as u64 * beats_per_word(p, s.src))
            .set(f::SRC_SBUF, (s.src == Buffer::Sbuf) as u64);
        words.push(w);
    }
    words.iter().flat_map(|w| w.bytes().collect::<Vec<_>>()).collect()
}

#[cfg(test)]
mod slot_tests {
    use super::*;

    /// The RTL keeps `LS_SLOTS` slots of a load or store and `EXEC_SLOTS` of an exec instruction
    /// (of the `FIELDS` in DRAM).
    const _: () = assert!(f::EXEC_SLOTS <= FIELDS);
    #[test]
    fn every_field_lies_in_the_slots_kept_on_chip() {
        let max = field_names().iter().map(|&(_, k)| k).max().unwrap();
        assert_eq!(max + 1, f::EXEC_SLOTS);
        for k in [
            f::OPCODE,
            f::WAIT_LOAD,
            f::WAIT_EXEC,
            f::WAIT_STORE,
            f::WAIT_ROWS,
            f::DRAM_LO,
            f::DRAM_HI,
            f::WORD,
            f::WORDS,
            f::BEATS,
            f::SRC_SBUF,
        ] {
            assert!(k < f::LS_SLOTS);
        }
    }
}
