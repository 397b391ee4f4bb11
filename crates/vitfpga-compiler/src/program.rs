//! The program: what the compiler hands to the simulator and the RTL. Three in-order queues
//! (load, exec, store, as in VTA) whose instructions wait on each other's completion counts,
//! the DRAM layout, and where every tensor lives on chip. Serializable and versioned.

use serde::{Deserialize, Serialize};
use vitfpga_golden::arith::Multiplier;

use crate::config::AccelConfig;

/// Bumped whenever the meaning of a field changes.
pub const PROGRAM_VERSION: u32 = 6;
/// Magic bytes of `program.bin`.
pub const PROGRAM_MAGIC: &[u8; 8] = b"VITFPGAP";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub version: u32,
    pub model: String,
    pub config: AccelConfig,
    pub load: Vec<Load>,
    pub exec: Vec<Exec>,
    pub store: Vec<Store>,
    pub dram: DramLayout,
    /// Every on-chip tensor, in creation order (for disassembly and for reading results).
    pub tensors: Vec<TensorDesc>,
}

/// An instruction may start only when the other queues have completed at least this many of
/// their instructions. `rows` counts row-engine instructions (softmax, LayerNorm) that have
/// finished: a softmax retires from the exec queue as soon as the row engine takes it, so whatever
/// depends on its result waits here.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wait {
    pub load: u32,
    pub exec: u32,
    pub store: u32,
    pub rows: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Load {
    pub wait: Wait,
    pub op: LoadOp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LoadOp {
    /// Contiguous DRAM bytes into consecutive scratchpad words (`words * lanes` bytes).
    Spad { dram: u64, word: u32, words: u32 },
    /// Contiguous DRAM bytes into the constant-stream FIFO (weights, per-channel parameters,
    /// tables), which the exec queue consumes in exactly this order.
    Stream { dram: u64, bytes: u64 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Store {
    pub wait: Wait,
    pub src: Buffer,
    pub word: u32,
    pub words: u32,
    pub dram: u64,
}

/// The ports of the scratchpad and the score buffer, numbered as in the RTL (`vf_spad`,
/// `vf_sbuf`). Every tensor lives in a bank with one writer and a copy per reader
/// (`vitfpga_hw::units::banked`); `alloc` decides which from the ops that touch it.
pub mod port {
    /// Scratchpad writers: loads, GEMM results, the embedding.
    pub const SPAD_W_MAIN: usize = 0;
    /// Scratchpad writers: softmax and LayerNorm results (the row engine).
    pub const SPAD_W_ROWS: usize = 1;
    /// Scratchpad readers: GEMM A operand, embedding source.
    pub const SPAD_R_ISSUE: usize = 0;
    /// Scratchpad readers: GEMM B operand held in the scratchpad (rows or columns).
    pub const SPAD_R_FILL: usize = 1;
    /// Scratchpad readers: the residual operand of a GEMM epilogue.
    pub const SPAD_R_RESIDUAL: usize = 2;
    /// Scratchpad readers: stores to DRAM.
    pub const SPAD_R_STORE: usize = 3;
    /// Scratchpad readers: LayerNorm rows (the row engine's own port, so that a LayerNorm runs
    /// beside a GEMM).
    pub const SPAD_R_ROWS: usize = 4;
    pub const SPAD_WRITERS: usize = 2;
    pub const SPAD_READERS: usize = 5;
    /// Score-buffer writers: raw scores (epilogue stage 1), wide results (stage 7).
    pub const SBUF_W_SCORES: usize = 0;
    pub const SBUF_W_WIDE: usize = 1;
    /// Score-buffer readers: softmax rows, stores to DRAM.
    pub const SBUF_R_ROWS: usize = 0;
    pub const SBUF_R_STORE: usize = 1;
    pub const SBUF_WRITERS: usize = 2;
    pub const SBUF_READERS: usize = 2;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Buffer {
    /// Scratchpad: words of `lanes` 8-bit elements.
    Spad,
    /// Score buffer: words of `cols` 32-bit elements.
    Sbuf,
}

impl Buffer {
    /// The name the disassembly uses (`spad`, `sbuf`).
    pub fn name(self) -> &'static str {
        match self {
            Buffer::Spad => "spad",
            Buffer::Sbuf => "sbuf",
        }
    }
}

/// A token-major tensor region in the scratchpad: row `r`, segment `s` starts at word
/// `word + r * row_words + s * seg_words`; a segment holds `seg_len` features.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub word: u32,
    pub row_words: u32,
    pub segs: u32,
    pub seg_len: u32,
    pub seg_words: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exec {
    pub wait: Wait,
    pub op: ExecOp,
    /// Index (in `Program::tensors`) of the tensor this instruction writes.
    pub tensor: u32,
    /// The graph node (and head) whose value this instruction completes, for traces.
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ExecOp {
    Gemm(Gemm),
    Softmax(Softmax),
    LayerNorm(LayerNorm),
    Embed(Embed),
}

/// `out[m, n] = epilogue(sum_k a[m, k] * b[k, n])` on the systolic array. Tiles run n-tile
/// outer, k-tile inner; partial sums live in the accumulator buffer between k-tiles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Gemm {
    /// Rows streamed through every tile.
    pub m: u32,
    /// Activations: every segment of `a` is a run of k-tiles (`ceil(seg_len / rows)` each).
    pub a: View,
    pub b: Stationary,
    /// Output features as segments of `n_seg_len` (`ceil(n_seg_len / cols)` n-tiles each).
    pub n_segs: u32,
    pub n_seg_len: u32,
    pub epilogue: Epilogue,
}

/// Where each tile's stationary operand comes from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Stationary {
    /// Weights from the constant stream, packed at `w_bits` (1 = binary, bit 1 = +1).
    Stream { w_bits: u32 },
    /// Rows of an on-chip tensor: k = token (`valid` of them), n = feature (`P V`).
    SpadRows { view: View, valid: u32 },
    /// An on-chip tensor transposed through the transposer: n = token (`valid` of them),
    /// k = feature (`Q K^T`).
    SpadCols { view: View, valid: u32 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Epilogue {
    /// Raw accumulators into the score buffer at `word + n_tile * m + row`.
    Scores {
        sbuf_word: u32,
    },
    Requant(Requant),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Requant {
    /// Per-channel bias and multiplier from the stream (each n-tile), or one multiplier.
    pub params: RequantParams,
    pub out_bits: u32,
    /// GELU (or any) table from the stream at the start of the GEMM, indexed by `y + 2^(bits-1)`.
    pub table: bool,
    pub residual: Option<Residual>,
    pub out: Out,
    /// The C-lane slice of the output word where n-tile 0 lands (`Out::Spad`): n-tile j goes to
    /// slice `out_slice + j` of the row, counting on into the next words, so per-head results can
    /// be packed densely (head h's features at `h * head_dim`) instead of one segment per head.
    pub out_slice: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum RequantParams {
    Stream,
    Const(Multiplier),
}

/// `clamp(rshift_round(x * ma + y * mb, shift))`, `x` the other input read from the scratchpad,
/// `y` the requantised GEMM output (`swap`: the GEMM output is the left operand instead).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Residual {
    pub view: View,
    pub ma: i32,
    pub mb: i32,
    pub shift: u32,
    pub out_bits: u32,
    pub swap: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Out {
    Spad(View),
    /// Wide results (logits) to the score buffer, one 32-bit lane per feature.
    Sbuf {
        word: u32,
    },
}

/// Row softmax of scores in the score buffer (row `r` = words `word + t * rows + r`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Softmax {
    pub sbuf_word: u32,
    pub rows: u32,
    pub len: u32,
    pub z_bits: u32,
    pub to_exp2: Multiplier,
    pub out_bits: u32,
    pub out: View,
}

/// LayerNorm of `rows` rows; gamma/beta come from the stream, one channel per cycle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerNorm {
    pub rows: u32,
    /// The LayerNorm units still hold this op's gamma/beta (the previous LayerNorm on the row
    /// engine was the other row block of the same node): none come through the stream.
    pub keep_params: bool,
    pub src: View,
    pub out: View,
    pub eps_q: u64,
    pub shift: u32,
    pub out_bits: u32,
}

/// Class token and position embedding: `out[0] = cls` (stream), `out[t] = clamp(rshift_round(
/// src[t-1] * m + pos[t-1], shift))` with `pos` 64-bit values from the stream.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Embed {
    pub tokens: u32,
    pub src: View,
    pub out: View,
    pub mult: Multiplier,
    pub out_bits: u32,
}

/// DRAM map (byte addresses). The host writes the program, constants and image; reads logits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DramLayout {
    pub program: Region,
    pub constants: Region,
    pub image: Region,
    pub logits: Region,
    /// Intermediates stored for verification: (tensor index, region).
    pub dumps: Vec<(u32, Region)>,
    pub total_bytes: u64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub addr: u64,
    pub bytes: u64,
}

/// An on-chip tensor and the golden-model value it holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TensorDesc {
    pub name: String,
    /// Golden node whose output this is (a column slice for per-head tensors).
    pub node: String,
    /// `(first feature, features)` of the node output this tensor holds; `head` for scores
    /// and probabilities, which the golden model stores as `[heads, T, T]`.
    pub features: (usize, usize),
    /// Features from one segment's first feature to the next one's (per-head K and V of the
    /// fused QKV output); 0: the segments are consecutive.
    #[serde(default)]
    pub seg_stride: usize,
    pub head: Option<usize>,
    pub buffer: Buffer,
    /// `rows` rows of the node's value from row `row0` (a row block of one head's scores).
    #[serde(default)]
    pub row0: usize,
    pub rows: usize,
    pub view: View,
}

impl Gemm {
    pub fn k_tiles_per_seg(&self, rows: usize) -> usize {
        (self.a.seg_len as usize).div_ceil(rows)
    }
    pub fn k_tiles(&self, rows: usize) -> usize {
        self.a.segs as usize * self.k_tiles_per_seg(rows)
    }
    pub fn n_tiles_per_seg(&self, cols: usize) -> usize {
        (self.n_seg_len as usize).div_ceil(cols)
    }
    pub fn n_tiles(&self, cols: usize) -> usize {
        self.n_segs as usize * self.n_tiles_per_seg(cols)
    }
    /// Multiply-accumulates the model needs (padding excluded).
    pub fn useful_macs(&self) -> u64 {
        self.m as u64 * (self.a.segs as u64 * self.a.seg_len as u64) * (self.n_segs as u64 * self.n_seg_len as u64)
    }
}

/// Bytes each instruction occupies in the DRAM program region.
pub const INSTR_BYTES: u64 = 256;

impl Program {
    pub fn instructions(&self) -> usize {
        self.load.len() + self.exec.len() + self.store.len()
    }
}
