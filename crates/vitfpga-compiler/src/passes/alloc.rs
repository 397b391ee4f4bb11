//! alloc: place every tensor in the scratchpad or score buffer (first fit, freed after its
//! last use, a softmax's operands only once the row engine is done with them) and size both
//! memories.

use crate::plan::Plan;
use crate::program::Buffer;
use crate::CompileError;

pub fn run(plan: &mut Plan) -> Result<(), CompileError> {
    let n = plan.tensors.len();
    let (mut first, mut last) = (vec![usize::MAX; n], vec![0usize; n]);
    for (i, op) in plan.ops.iter().enumerate() {
        let (reads, write) = op.reads_writes();
        let until = crate::plan::row_engine_done(&plan.ops, i);
        for t in reads.into_iter().chain(write) {
            first[t] = first[t].min(i);
            // A softmax keeps its operands busy until the row engine finishes it, which the
            // program observes no earlier than `until`.
            last[t] = last[t].max(until);
        }
    }
    for buffer in [Buffer::Spad, Buffer::Sbuf] {
        // Live blocks: (start word, words, tensor).
        let mut live: Vec<(usize, usize, usize)> = Vec::new();
        let mut peak = 0usize;
        for i in 0..plan.ops.len() {
            // Tensors first written by op i, in creation order (deterministic).
            let born: Vec<usize> = (0..n).filter(|&t| plan.tensors[t].buffer == buffer && first[t] == i).collect();
            for t in born {
                // Free what died before this op; a tensor dying at op i may not share with
                // one born at op i (the op reads the one and writes the other).
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
                plan.tensors[t].view.word = at as u32;
                peak = peak.max(at + words);
            }
        }
        match buffer {
            Buffer::Spad => plan.cfg.spad_words = peak.max(1),
            Buffer::Sbuf => plan.cfg.sbuf_words = peak.max(1),
        }
    }
    Ok(())
}
