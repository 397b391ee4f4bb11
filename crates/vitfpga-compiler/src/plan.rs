//! The compiler's working state, handed from pass to pass: logical tensors and fused unit
//! operations, then their placement, the DRAM map and finally the program.

use vitfpga_golden::arith::Multiplier;
use vitfpga_golden::QuantizedModel;

use crate::config::AccelConfig;
use crate::program::{Buffer, DramLayout, Program, TensorDesc, View};

pub type TensorId = usize;

/// Segments `seg0 .. seg0 + segs` of a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TRef {
    pub t: TensorId,
    pub seg0: usize,
    pub segs: usize,
}

#[derive(Clone, Debug, PartialEq)]
pub enum BRef {
    /// Weights from the constant stream: output segments `seg0 + s * seg_stride` of the node, for
    /// `s` in `0..n_segs`.
    Stream {
        node: String,
        w_bits: u32,
        seg0: usize,
        seg_stride: usize,
    },
    Rows {
        src: TRef,
        valid: usize,
    },
    Cols {
        src: TRef,
        valid: usize,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum EpiRef {
    Scores {
        t: TensorId,
    },
    Requant {
        /// Per-channel parameters of this Linear node from the stream, or one multiplier.
        stream_node: Option<String>,
        mult: Multiplier,
        out_bits: u32,
        table_node: Option<String>,
        residual: Option<(TRef, i32, i32, u32, u32, bool)>,
        out: TRef,
        /// First feature written, within the output's (single) segment: a multiple of the array's
        /// columns (see `Requant::out_slice`); 0 for a whole output.
        out_feature0: usize,
        wide: bool,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    LoadImage {
        t: TensorId,
    },
    /// Rows `row0 .. row0 + m` of the A operand, the residual and the output (a row block: see
    /// `lower`, which splits a GEMM feeding a LayerNorm so the LayerNorm of one block runs beside
    /// the GEMM of the next).
    Gemm {
        label: String,
        m: usize,
        row0: usize,
        a: TRef,
        b: BRef,
        n_segs: usize,
        n_seg_len: usize,
        epi: EpiRef,
    },
    /// Every row of the score-buffer tensor `src` into rows `row0 ..` of `dst`.
    Softmax {
        label: String,
        src: TensorId,
        dst: TensorId,
        row0: usize,
        len: usize,
        z_bits: u32,
        to_exp2: Multiplier,
        out_bits: u32,
    },
    /// Rows `row0 .. row0 + rows` of `src` into the same rows of `dst`.
    LayerNorm {
        label: String,
        node: String,
        src: TRef,
        row0: usize,
        rows: usize,
        dst: TensorId,
    },
    Embed {
        label: String,
        node: String,
        src: TensorId,
        dst: TensorId,
    },
    Store {
        t: TensorId,
        logits: bool,
    },
}

impl Op {
    /// Tensors this op reads and the one it writes.
    pub fn reads_writes(&self) -> (Vec<TensorId>, Option<TensorId>) {
        match self {
            Op::LoadImage { t } => (vec![], Some(*t)),
            Op::Gemm { a, b, epi, .. } => {
                let mut r = vec![a.t];
                if let BRef::Rows { src, .. } | BRef::Cols { src, .. } = b {
                    r.push(src.t);
                }
                let w = match epi {
                    EpiRef::Scores { t } => *t,
                    EpiRef::Requant { residual, out, .. } => {
                        if let Some((res, ..)) = residual {
                            r.push(res.t);
                        }
                        out.t
                    }
                };
                (r, Some(w))
            }
            Op::Softmax { src, dst, .. } => (vec![*src], Some(*dst)),
            Op::LayerNorm { src, dst, .. } => (vec![src.t], Some(*dst)),
            Op::Embed { src, dst, .. } => (vec![*src], Some(*dst)),
            Op::Store { t, .. } => (vec![*t], None),
        }
    }
}

/// Whether the LayerNorm `ops[i]` finds its gamma/beta already in the units: the LayerNorm before
/// it on the row engine (ops run there in program order) is a row block of the same node.
pub fn keeps_layernorm_params(ops: &[Op], i: usize) -> bool {
    let Op::LayerNorm { node, .. } = &ops[i] else { return false };
    matches!(ops[..i].iter().rev().find(|o| matches!(o, Op::LayerNorm { .. })),
        Some(Op::LayerNorm { node: prev, .. }) if prev == node)
}

/// The op index by which a detached op (a softmax or LayerNorm: it leaves the exec queue as soon
/// as the row engine takes it, a LayerNorm once its parameters are in) is known to be finished:
/// the first later exec op that reads its result or uses the row engine again (stores of dumps
/// wait too, but do not hold up the exec queue). Any other op: its own index.
pub fn row_engine_done(ops: &[Op], i: usize) -> usize {
    // Rows of `dst` the detached op writes (softmax: its source's row count is not known here,
    // so from `row0` on; a later GEMM block that reads only rows before it does not wait).
    let (dst, from, to) = match &ops[i] {
        Op::Softmax { dst, row0, .. } => (*dst, *row0, usize::MAX),
        Op::LayerNorm { dst, row0, rows, .. } => (*dst, *row0, row0 + rows),
        _ => return i,
    };
    let reads_result = |o: &Op| match o {
        Op::Store { .. } => false,
        // A GEMM row block reads rows `row0 .. row0 + m` of its A operand (its B operand and
        // residual, if they are `dst`, whole).
        Op::Gemm { a, row0, m, b, epi, .. } => {
            let a_rows = a.t == dst && *row0 < to && from < row0 + m;
            let b_reads = matches!(b, BRef::Rows { src, .. } | BRef::Cols { src, .. } if src.t == dst);
            let residual_reads = matches!(epi, EpiRef::Requant { residual: Some((r, ..)), .. } if r.t == dst);
            a_rows || b_reads || residual_reads
        }
        _ => o.reads_writes().0.contains(&dst),
    };
    ops.iter()
        .enumerate()
        .skip(i + 1)
        .find(|(_, o)| matches!(o, Op::Softmax { .. } | Op::LayerNorm { .. }) || reads_result(o))
        .map_or(ops.len(), |(j, _)| j)
}

pub struct Plan<'m> {
    pub model: &'m QuantizedModel,
    pub cfg: AccelConfig,
    /// `view.word` is filled in by the `alloc` pass.
    pub tensors: Vec<TensorDesc>,
    pub ops: Vec<Op>,
    /// Store every intermediate to DRAM (for RTL verification).
    pub dump: bool,
    /// Zero weight tiles of the right size (see `CompileOptions::timing_only`).
    pub timing_only: bool,
    pub dram: Option<DramLayout>,
    /// The constant stream's bytes (`dram.constants`).
    pub constants: Vec<u8>,
    pub program: Option<Program>,
}

impl Plan<'_> {
    /// A tensor of `rows` x (`segs` segments of `seg_len`), each segment padded to whole words,
    /// holding the value of graph node `node` (one head of it when `head` is given).
    pub fn add_tensor(
        &mut self,
        node: &str,
        head: Option<usize>,
        buffer: Buffer,
        rows: usize,
        segs: usize,
        seg_len: usize,
    ) -> TensorId {
        let per_word = match buffer {
            Buffer::Spad => self.cfg.lanes,
            Buffer::Sbuf => self.cfg.cols,
        };
        let seg_words = seg_len.div_ceil(per_word);
        let view = View {
            word: 0,
            row_words: (segs * seg_words) as u32,
            segs: segs as u32,
            seg_len: seg_len as u32,
            seg_words: seg_words as u32,
        };
        let name = match head {
            Some(h) => format!("{node}[h{h}]"),
            None => node.to_string(),
        };
        let features = (0, segs * seg_len);
        self.tensors.push(TensorDesc {
            name,
            node: node.into(),
            features,
            seg_stride: 0,
            head,
            buffer,
            row0: 0,
            rows,
            view,
        });
        self.tensors.len() - 1
    }

    pub fn whole(&self, t: TensorId) -> TRef {
        TRef { t, seg0: 0, segs: self.tensors[t].view.segs as usize }
    }

    /// Words a tensor occupies. Score-buffer tensors are `n_tiles * rows` words.
    pub fn words(&self, t: TensorId) -> usize {
        let d = &self.tensors[t];
        d.rows * d.view.row_words as usize
    }

    /// The placed view of a tensor reference.
    pub fn view(&self, r: TRef) -> View {
        let v = self.tensors[r.t].view;
        View { word: v.word + r.seg0 as u32 * v.seg_words, segs: r.segs as u32, ..v }
    }

    /// The placed view of a tensor reference from row `row0` on (token-major: rows are
    /// `row_words` apart, so a row block is the same view moved down).
    pub fn view_from_row(&self, r: TRef, row0: usize) -> View {
        let v = self.view(r);
        View { word: v.word + (row0 * v.row_words as usize) as u32, ..v }
    }
}
