//! schedule: the fused operations as three in-order queues (load, exec, store) with the
//! completion counts each instruction waits for (a softmax runs detached on the row engine:
//! whatever touches its operands waits for its completion).

use crate::plan::{BRef, EpiRef, Op, Plan};
use crate::program::{
    Buffer, Embed, Epilogue, Exec, ExecOp, Gemm, LayerNorm, Load, LoadOp, Out, Program, Requant, RequantParams,
    Residual, Softmax, Stationary, Store, Wait, PROGRAM_VERSION,
};
use crate::CompileError;

pub fn run(plan: &mut Plan) -> Result<(), CompileError> {
    let dram = plan.dram.clone().expect("layout runs before schedule");
    let mut load = Vec::new();
    let mut exec: Vec<Exec> = Vec::new();
    let mut store: Vec<Store> = Vec::new();
    // Scratchpad words each issued store reads (to order later overwrites after it).
    let mut store_reads: Vec<(Buffer, u32, u32)> = Vec::new();
    let mut dumps = dram.dumps.iter();
    type Region = (Buffer, u32, u32);
    let overlap = |a: Region, b: Region| a.0 == b.0 && a.1 < b.1 + b.2 && b.1 < a.1 + a.2;
    // Row-engine instructions issued so far, and the regions each detached one reads and writes.
    let mut rows_issued = 0u32;
    let mut detached: Vec<(u32, Vec<Region>, Region)> = Vec::new();
    for op in &plan.ops {
        let region = |t: usize| -> Region {
            let d = &plan.tensors[t];
            (d.buffer, d.view.word, plan.words(t) as u32)
        };
        let (op_reads, op_write) = op.reads_writes();
        // Completions of detached softmaxes this op must see: it reads what one writes, or
        // writes what one reads or writes.
        let rows_wait = |reads: &[usize], write: Option<usize>| -> u32 {
            detached
                .iter()
                .filter(|(_, dr, dw)| {
                    reads.iter().any(|&t| overlap(region(t), *dw))
                        || write.is_some_and(|t| overlap(region(t), *dw) || dr.iter().any(|&r| overlap(region(t), r)))
                })
                .map(|(k, ..)| k + 1)
                .max()
                .unwrap_or(0)
        };
        let rows = rows_wait(&op_reads, op_write);
        let exec_wait = |written: usize, first: bool| {
            let w = region(written);
            let store_n = store_reads.iter().rposition(|&r| overlap(r, w)).map_or(0, |i| i as u32 + 1);
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
            Op::Gemm { label, m, a, b, n_segs, n_seg_len, epi } => {
                let b = match b {
                    BRef::Stream { w_bits, .. } => Stationary::Stream { w_bits: *w_bits },
                    BRef::Rows { src, valid } => Stationary::SpadRows { view: plan.view(*src), valid: *valid as u32 },
                    BRef::Cols { src, valid } => Stationary::SpadCols { view: plan.view(*src), valid: *valid as u32 },
                };
                let (epilogue, written) = match epi {
                    EpiRef::Scores { t } => (Epilogue::Scores { sbuf_word: plan.tensors[*t].view.word }, *t),
                    EpiRef::Requant { stream_node, mult, out_bits, table_node, residual, out, wide } => {
                        let params =
                            if stream_node.is_some() { RequantParams::Stream } else { RequantParams::Const(*mult) };
                        let residual = residual.map(|(r, ma, mb, shift, out_bits, swap)| Residual {
                            view: plan.view(r),
                            ma,
                            mb,
                            shift,
                            out_bits,
                            swap,
                        });
                        let o = if *wide {
                            Out::Sbuf { word: plan.tensors[out.t].view.word }
                        } else {
                            Out::Spad(plan.view(*out))
                        };
                        let r = Requant { params, out_bits: *out_bits, table: table_node.is_some(), residual, out: o };
                        (Epilogue::Requant(r), out.t)
                    }
                };
                let g = Gemm {
                    m: *m as u32,
                    a: plan.view(*a),
                    b,
                    n_segs: *n_segs as u32,
                    n_seg_len: *n_seg_len as u32,
                    epilogue,
                };
                Exec {
                    wait: exec_wait(written, first),
                    op: ExecOp::Gemm(g),
                    tensor: written as u32,
                    label: label.clone(),
                }
            }
            Op::Softmax { label, src, dst, len, z_bits, to_exp2, out_bits } => {
                detached.push((rows_issued, vec![region(*src)], region(*dst)));
                rows_issued += 1;
                let s = Softmax {
                    sbuf_word: plan.tensors[*src].view.word,
                    rows: plan.tensors[*src].rows as u32,
                    len: *len as u32,
                    z_bits: *z_bits,
                    to_exp2: *to_exp2,
                    out_bits: *out_bits,
                    out: plan.view(plan.whole(*dst)),
                };
                Exec { wait: exec_wait(*dst, first), op: ExecOp::Softmax(s), tensor: *dst as u32, label: label.clone() }
            }
            Op::LayerNorm { label, node, src, rows, dst } => {
                rows_issued += 1;
                let Some(vitfpga_golden::NodeParams::LayerNorm { p, .. }) = plan.model.params.get(node) else {
                    unreachable!("layout checked the parameters")
                };
                let l = LayerNorm {
                    rows: *rows as u32,
                    src: plan.view(*src),
                    out: plan.view(plan.whole(*dst)),
                    eps_q: p.eps_q,
                    shift: p.shift,
                    out_bits: p.out_bits,
                };
                Exec {
                    wait: exec_wait(*dst, first),
                    op: ExecOp::LayerNorm(l),
                    tensor: *dst as u32,
                    label: label.clone(),
                }
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
                Exec { wait: exec_wait(*dst, first), op: ExecOp::Embed(e), tensor: *dst as u32, label: label.clone() }
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
