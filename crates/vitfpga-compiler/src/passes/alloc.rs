//! alloc: place every tensor in a bank of the scratchpad or score buffer (the bank of its
//! writer port and its set of reader ports; first fit within the bank, freed after its last use,
//! a row instruction's operands only once the row engine is done with them) and size both memories.
//!
//! Banks exist so that each on-chip memory has one writer and one reader (block RAM): a bank is
//! kept once per port that reads it (`vitfpga_hw::units::banked`).

use std::collections::BTreeMap;

use crate::config::Bank;
use crate::plan::{BRef, EpiRef, Op, Plan, TensorId};
use crate::program::{port, Buffer};
use crate::CompileError;

/// Which port of which buffer an op uses for a tensor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    Write(usize),
    Read(usize),
}

/// Every (tensor, access) of an op, as the RTL performs it.
fn accesses(plan: &Plan, op: &Op) -> Vec<(TensorId, Access)> {
    use Access::*;
    let in_sbuf = |t: TensorId| plan.tensors[t].buffer == Buffer::Sbuf;
    let store = |t: TensorId| if in_sbuf(t) { port::SBUF_R_STORE } else { port::SPAD_R_STORE };
    match op {
        Op::LoadImage { t } => vec![(*t, Write(port::SPAD_W_MAIN))],
        Op::Gemm { a, b, epi, .. } => {
            let mut v = vec![(a.t, Read(port::SPAD_R_ISSUE))];
            if let BRef::Rows { src, .. } | BRef::Cols { src, .. } = b {
                v.push((src.t, Read(port::SPAD_R_FILL)));
            }
            match epi {
                EpiRef::Scores { t } => v.push((*t, Write(port::SBUF_W_SCORES))),
                EpiRef::Requant { residual, out, .. } => {
                    if let Some((res, ..)) = residual {
                        v.push((res.t, Read(port::SPAD_R_RESIDUAL)));
                    }
                    let w = if in_sbuf(out.t) { port::SBUF_W_WIDE } else { port::SPAD_W_MAIN };
                    v.push((out.t, Write(w)));
                }
            }
            v
        }
        Op::Softmax { src, dst, .. } => vec![(*src, Read(port::SBUF_R_ROWS)), (*dst, Write(port::SPAD_W_ROWS))],
        Op::LayerNorm { src, dst, .. } => vec![(src.t, Read(port::SPAD_R_ROWS)), (*dst, Write(port::SPAD_W_ROWS))],
        Op::Embed { src, dst, .. } => vec![(*src, Read(port::SPAD_R_ISSUE)), (*dst, Write(port::SPAD_W_MAIN))],
        Op::Store { t, .. } => vec![(*t, Read(store(*t)))],
    }
}

pub fn run(plan: &mut Plan) -> Result<(), CompileError> {
    let n = plan.tensors.len();
    let (mut first, mut last) = (vec![usize::MAX; n], vec![0usize; n]);
    let mut writer: Vec<Option<usize>> = vec![None; n];
    let mut readers = vec![0u32; n];
    for (i, op) in plan.ops.iter().enumerate() {
        let until = crate::plan::row_engine_done(&plan.ops, i);
        for (t, access) in accesses(plan, op) {
            first[t] = first[t].min(i);
            // A softmax or LayerNorm keeps its operands busy until the row engine finishes it,
            // which the program observes no earlier than `until`.
            last[t] = last[t].max(until);
            match access {
                Access::Read(r) => readers[t] |= 1 << r,
                Access::Write(w) => match writer[t] {
                    Some(prev) if prev != w => {
                        return Err(CompileError::Unsupported(format!(
                            "tensor {} is written through two ports ({prev} and {w})",
                            plan.tensors[t].name
                        )))
                    }
                    _ => writer[t] = Some(w),
                },
            }
        }
    }
    for buffer in [Buffer::Spad, Buffer::Sbuf] {
        // Tensors by bank (writer, readers), in a fixed order so that placement is deterministic.
        let mut groups: BTreeMap<(usize, u32), Vec<TensorId>> = BTreeMap::new();
        for t in (0..n).filter(|&t| plan.tensors[t].buffer == buffer && first[t] != usize::MAX) {
            let w = writer[t].ok_or_else(|| {
                CompileError::Unsupported(format!("tensor {} is read but never written", plan.tensors[t].name))
            })?;
            groups.entry((w, readers[t])).or_default().push(t);
        }
        let mut banks = Vec::new();
        let mut base = 0usize;
        for ((w, r), members) in groups {
            let words = first_fit(plan, &members, &first, &last, base);
            banks.push(Bank { base, words, writer: w, readers: r });
            base += words;
        }
        match buffer {
            Buffer::Spad => {
                plan.cfg.spad_words = base.max(1);
                plan.cfg.spad_banks = banks;
            }
            Buffer::Sbuf => {
                plan.cfg.sbuf_words = base.max(1);
                plan.cfg.sbuf_banks = banks;
            }
        }
    }
    Ok(())
}

/// Place `members` (tensor ids, ascending) from word `base` on, each from the op that first
/// touches it until its last use; returns the words the bank needs.
fn first_fit(plan: &mut Plan, members: &[TensorId], first: &[usize], last: &[usize], base: usize) -> usize {
    // Live blocks: (start word, words, tensor).
    let mut live: Vec<(usize, usize, usize)> = Vec::new();
    let mut peak = 0usize;
    // Tensors by the op that first touches them, then in creation order (deterministic).
    let mut born: Vec<(usize, TensorId)> = members.iter().map(|&t| (first[t], t)).collect();
    born.sort_unstable();
    for (i, t) in born {
        // Free what died before this op; a tensor dying at op i may not share with one
        // born at op i (the op reads the one and writes the other).
        live.retain(|&(_, _, u)| last[u] >= i);
        let words = plan.words(t);
        live.sort();
        let mut at = 0;
        for &(s, w, _) in &live {
            if at + words <= s {
                break;
            }
            at = at.max(s + w);
        }
        live.push((at, words, t));
        plan.tensors[t].view.word = (base + at) as u32;
        peak = peak.max(at + words);
    }
    peak
}
