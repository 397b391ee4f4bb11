//! schedule: the fused operations as three in-order queues (load, exec, store) with the
//! completion counts each instruction waits for (softmax and LayerNorm run detached on the row
//! engine: whatever touches their operands waits for their completion; row blocks are tracked
//! row-precisely, so the GEMM of one block does not wait for the LayerNorm of the other).

use crate::plan::{BRef, EpiRef, Op, Plan};
use crate::program::{
    Buffer, Embed, Epilogue, Exec, ExecOp, Gemm, LayerNorm, Load, LoadOp, Out, Program, Requant, RequantParams,
    Residual, Softmax, Stationary, Store, View, Wait, PROGRAM_VERSION,
};
use crate::CompileError;

/// Words of a buffer: (buffer, first word, words).
type Region = (Buffer, u32, u32);

fn overlap(a: Region, b: Region) -> bool {
    a.0 == b.0 && a.1 < b.1 + b.2 && b.1 < a.1 + a.2
}

/// The words a whole tensor occupies.
fn whole_region(plan: &Plan, t: usize) -> Region {
    let d = &plan.tensors[t];
    (d.buffer, d.view.word, plan.words(t) as u32)
}

/// The regions an op reads and the one it writes, row-precise for row blocks (a GEMM's A operand,
/// residual and output; a LayerNorm's source and destination), whole tensors otherwise.
fn regions(plan: &Plan, op: &Op) -> (Vec<Region>, Option<Region>) {
    let whole = |t: usize| whole_region(plan, t);
    let rows = |t: usize, row0: usize, n: usize| -> Region {
        let d = &plan.tensors[t];
        let rw = d.view.row_words as usize;
        (d.buffer, d.view.word + (row0 * rw) as u32, (n * rw) as u32)
    };
    match op {
        Op::Gemm { m, row0, a, b, epi, .. } => {
            let mut r = vec![rows(a.t, *row0, *m)];
            if let BRef::Rows { src, .. } | BRef::Cols { src, .. } = b {
                r.push(whole(src.t));
            }
            let w = match epi {
                EpiRef::Scores { t } => whole(*t),
                EpiRef::Requant { residual, out, .. } => {
                    if let Some((res, ..)) = residual {
                        r.push(rows(res.t, *row0, *m));
                    }
                    if plan.tensors[out.t].buffer == Buffer::Spad {
                        rows(out.t, *row0, *m)
                    } else {
                        whole(out.t)
                    }
                }
            };
            (r, Some(w))
        }
        Op::LayerNorm { src, row0, rows: n, dst, .. } => (vec![rows(src.t, *row0, *n)], Some(rows(*dst, *row0, *n))),
        Op::Softmax { src, dst, row0, .. } => (vec![whole(*src)], Some(rows(*dst, *row0, plan.tensors[*src].rows))),
        other => {
            let (r, w) = other.reads_writes();
            (r.into_iter().map(whole).collect(), w.map(whole))
        }
    }
}

pub fn run(plan: &mut Plan) -> Result<(), CompileError> {
    let dram = plan.dram.clone().expect("layout runs before schedule");
    let mut load = Vec::new();
    let mut exec: Vec<Exec> = Vec::new();
    let mut store: Vec<Store> = Vec::new();
    // Scratchpad words each issued store reads (to order later overwrites after it).
    let mut store_reads: Vec<Region> = Vec::new();
    let mut dumps = dram.dumps.iter();
    // Row-engine instructions issued so far (entry k is row instruction k), with the regions each
    // (detached) one reads and writes.
    let mut detached: Vec<(Vec<Region>, Region)> = Vec::new();
    // Row instructions each queue has already seen complete (it waited for them, or for a later
    // one: the row engine runs them in order): none of its later instructions can need them.
    let (mut exec_seen, mut store_seen) = (0usize, 0usize);
    for (i, op) in plan.ops.iter().enumerate() {
        let region = |t: usize| whole_region(plan, t);
        let (op_reads, op_write) = regions(plan, op);
        // Completions of detached row instructions this op must see: it reads what one writes,
        // or writes what one reads or writes.
        let seen = if matches!(op, Op::Store { .. }) { store_seen } else { exec_seen };
        let rows = (seen..detached.len())
            .rev()
            .find(|&k| {
                let (dr, dw) = &detached[k];
                op_reads.iter().any(|&r| overlap(r, *dw))
                    || op_write.is_some_and(|w| overlap(w, *dw) || dr.iter().any(|&r| overlap(w, r)))
            })
            .map_or(0, |k| k as u32 + 1);
        match op {
            Op::Store { .. } => store_seen = store_seen.max(rows as usize),
            // A row instruction starts once the row engine is idle: every earlier one is done.
            Op::Softmax { .. } | Op::LayerNorm { .. } => exec_seen = detached.len(),
            _ => exec_seen = exec_seen.max(rows as usize),
        }
        let exec_wait = |first: bool| {
            let store_n =
                op_write.and_then(|w| store_reads.iter().rposition(|&r| overlap(r, w))).map_or(0, |i| i as u32 + 1);
            Wait { load: first as u32, exec: 0, store: store_n, rows }
        };
        let first = exec.is_empty();
        let instr = match op {
            Op::LoadImage { t } => {
                let (_, word, words) = region(*t);
                load.push(Load { wait: Wait::default(), op: LoadOp::Spad { dram: dram.image.addr, word, words } });
                continue;
            }
            Op::Store { t, logits } => {
                let (src, word, words) = region(*t);
                let dst = if *logits {
                    dram.logits.addr
                } else {
                    dumps.next().expect("layout made a region for every dump").1.addr
                };
                store.push(Store {
                    wait: Wait { load: 0, exec: exec.len() as u32, store: 0, rows },
                    src,
                    word,
                    words,
                    dram: dst,
                });
                store_reads.push((src, word, words));
                continue;
            }
            Op::Gemm { label, m, row0, a, b, n_segs, n_seg_len, epi } => {
                let b = match b {
                    BRef::Stream { w_bits, .. } => Stationary::Stream { w_bits: *w_bits },
                    BRef::Rows { src, valid } => Stationary::SpadRows { view: plan.view(*src), valid: *valid as u32 },
                    BRef::Cols { src, valid } => Stationary::SpadCols { view: plan.view(*src), valid: *valid as u32 },
                };
                let (epilogue, written) = match epi {
                    EpiRef::Scores { t } => (Epilogue::Scores { sbuf_word: plan.tensors[*t].view.word }, *t),
                    EpiRef::Requant { stream_node, mult, out_bits, table_node, residual, out, out_feature0, wide } => {
                        let params =
                            if stream_node.is_some() { RequantParams::Stream } else { RequantParams::Const(*mult) };
                        let residual = residual.map(|(r, ma, mb, shift, out_bits, swap)| Residual {
                            view: plan.view_from_row(r, *row0),
                            ma,
                            mb,
                            shift,
                            out_bits,
                            swap,
                        });
                        // A packed output starts `out_feature0 / lanes` words in, at a C-lane slice.
                        let (lanes, cols) = (plan.cfg.lanes, plan.cfg.cols);
                        assert!(out_feature0.is_multiple_of(cols), "lower packs outputs on slice boundaries");
                        let (o, out_slice) = if *wide {
                            (Out::Sbuf { word: plan.tensors[out.t].view.word }, 0)
                        } else {
                            let v = plan.view_from_row(*out, *row0);
                            let word = v.word + (out_feature0 / lanes) as u32;
                            (Out::Spad(View { word, ..v }), ((out_feature0 % lanes) / cols) as u32)
                        };
                        let r = Requant {
                            params,
                            out_bits: *out_bits,
                            table: table_node.is_some(),
                            residual,
                            out: o,
                            out_slice,
                        };
                        (Epilogue::Requant(r), out.t)
                    }
                };
                let g = Gemm {
                    m: *m as u32,
                    a: plan.view_from_row(*a, *row0),
                    b,
                    n_segs: *n_segs as u32,
                    n_seg_len: *n_seg_len as u32,
                    epilogue,
                };
                Exec { wait: exec_wait(first), op: ExecOp::Gemm(g), tensor: written as u32, label: label.clone() }
            }
            Op::Softmax { label, src, dst, row0, len, z_bits, to_exp2, out_bits } => {
                detached.push((op_reads.clone(), op_write.expect("a softmax writes")));
                let s = Softmax {
                    sbuf_word: plan.tensors[*src].view.word,
                    rows: plan.tensors[*src].rows as u32,
                    len: *len as u32,
                    z_bits: *z_bits,
                    to_exp2: *to_exp2,
                    out_bits: *out_bits,
                    out: plan.view_from_row(plan.whole(*dst), *row0),
                };
                Exec { wait: exec_wait(first), op: ExecOp::Softmax(s), tensor: *dst as u32, label: label.clone() }
            }
            Op::LayerNorm { label, node, src, row0, rows, dst } => {
                // Detached like a softmax, once the exec engine has streamed its parameters in.
                detached.push((op_reads.clone(), op_write.expect("a LayerNorm writes")));
                let Some(vitfpga_golden::NodeParams::LayerNorm { p, .. }) = plan.model.params.get(node) else {
                    unreachable!("layout checked the parameters")
                };
                let l = LayerNorm {
                    rows: *rows as u32,
                    keep_params: crate::plan::keeps_layernorm_params(&plan.ops, i),
                    src: plan.view_from_row(*src, *row0),
                    out: plan.view_from_row(plan.whole(*dst), *row0),
                    eps_q: p.eps_q,
                    shift: p.shift,
                    out_bits: p.out_bits,
                };
                Exec { wait: exec_wait(first), op: ExecOp::LayerNorm(l), tensor: *dst as u32, label: label.clone() }
            }
            Op::Embed { label, node, src, dst } => {
                let Some(vitfpga_golden::NodeParams::ClassPosEmbed { mult, out, .. }) = plan.model.params.get(node)
                else {
                    unreachable!("layout checked the parameters")
                };
                let e = Embed {
                    tokens: plan.tensors[*dst].rows as u32,
                    src: plan.view(plan.whole(*src)),
                    out: plan.view(plan.whole(*dst)),
                    mult: *mult,
                    out_bits: out.bits,
                };
                Exec { wait: exec_wait(first), op: ExecOp::Embed(e), tensor: *dst as u32, label: label.clone() }
            }
        };
        exec.push(instr);
    }
    load.push(Load {
        wait: Wait::default(),
        op: LoadOp::Stream { dram: dram.constants.addr, bytes: dram.constants.bytes },
    });
    plan.program = Some(Program {
        version: PROGRAM_VERSION,
        model: plan.model.graph.model.name.clone(),
        config: plan.cfg.clone(),
        load,
        exec,
        store,
        dram,
        tensors: plan.tensors.clone(),
    });
    Ok(())
}
