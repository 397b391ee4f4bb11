//! dump: store every intermediate tensor to DRAM right after it is computed (verification
//! builds, so the RTL's intermediates can be compared with the golden model's).

use crate::plan::{Op, Plan};

pub fn run(plan: &mut Plan) {
    if !plan.dump {
        return;
    }
    let mut ops = Vec::with_capacity(plan.ops.len() * 2);
    for op in std::mem::take(&mut plan.ops) {
        let written = match &op {
            Op::LoadImage { .. } | Op::Store { .. } => None,
            other => other.reads_writes().1,
        };
        ops.push(op);
        if let Some(t) = written {
            // A tensor written by several ops (per-head context) is stored after its last one.
            ops.retain(|o| !matches!(o, Op::Store { t: s, logits: false } if *s == t));
            ops.push(Op::Store { t, logits: false });
        }
    }
    // The logits store stays last.
    plan.ops = ops;
}
