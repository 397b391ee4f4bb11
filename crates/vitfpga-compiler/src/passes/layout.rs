//! layout: the DRAM map and the constant stream (weights packed at w_bits, per-channel
//! parameters, tables), written in exactly the order the exec queue consumes them.

use vitfpga_golden::NodeParams;

use crate::plan::{BRef, EpiRef, Op, Plan};
use crate::program::{Buffer, DramLayout, Region, INSTR_BYTES};
use crate::stream::{self, StreamWriter};
use crate::CompileError;

const ALIGN: u64 = 4096;

pub fn run(plan: &mut Plan) -> Result<(), CompileError> {
    let cfg = plan.cfg.clone();
    let params = &plan.model.params;
    let mut w = StreamWriter::new(cfg.stream_word_bytes, !plan.timing_only);
    for (i, op) in plan.ops.iter().enumerate() {
        match op {
            Op::Gemm { a, b: BRef::Stream { node, w_bits, seg0, seg_stride }, n_segs, n_seg_len, epi, .. } => {
                let Some(NodeParams::Linear { weights, bias, mult, .. }) = params.get(node) else {
                    return Err(CompileError::Unsupported(format!("no Linear parameters for '{node}'")));
                };
                let a_desc = &plan.tensors[a.t];
                let (a_seg_len, k_segs) = (a_desc.view.seg_len as usize, a.segs);
                let k_in = k_segs * a_seg_len;
                let ktps = a_seg_len.div_ceil(cfg.rows);
                let ntps = n_seg_len.div_ceil(cfg.cols);
                if let EpiRef::Requant { table_node: Some(t), .. } = epi {
                    let Some(NodeParams::Gelu { table, .. }) = params.get(t) else {
                        return Err(CompileError::Unsupported(format!("no table for '{t}'")));
                    };
                    w.record(&table.iter().map(|&v| v as u8).collect::<Vec<_>>());
                }
                // Output feature of column c of n-tile nt, if any.
                let feature = |nt: usize, c: usize| {
                    let (s, j) = (nt / ntps, nt % ntps);
                    let local = j * cfg.cols + c;
                    (local < *n_seg_len).then_some((seg0 + s * seg_stride) * n_seg_len + local)
                };
                if plan.timing_only {
                    // Only the stream's shape matters: per n-tile a parameter record, then the
                    // k-tiles, each padded to whole words (so one skip covers them all).
                    let words = |bytes: usize| bytes.div_ceil(cfg.stream_word_bytes).max(1);
                    let per_nt = words(cfg.cols * stream::PARAM_BYTES)
                        + k_segs * ktps * words(stream::tile_words(&cfg, *w_bits) * cfg.stream_word_bytes);
                    if n_segs * ntps > 0 {
                        w.skip(n_segs * ntps * per_nt * cfg.stream_word_bytes);
                    }
                    continue;
                }
                for nt in 0..n_segs * ntps {
                    let (mut bs, mut ms) = (Vec::new(), Vec::new());
                    for c in 0..cfg.cols {
                        match feature(nt, c) {
                            Some(f) => {
                                bs.push(bias[f]);
                                ms.push(mult[f]);
                            }
                            None => {
                                bs.push(0);
                                ms.push(vitfpga_golden::arith::Multiplier { m: 0, shift: 0 });
                            }
                        }
                    }
                    w.record(&stream::param_record(&bs, &ms));
                    for kt in 0..k_segs * ktps {
                        let (s, j) = (kt / ktps, kt % ktps);
                        let rows: Vec<Vec<i8>> = (0..cfg.rows)
                            .map(|r| {
                                let local = j * cfg.rows + r;
                                (0..cfg.cols)
                                    .map(|c| match feature(nt, c) {
                                        Some(f) if local < a_seg_len => weights[f * k_in + s * a_seg_len + local],
                                        // Padding: zero, or +1 for binary weights whose codes
                                        // cannot say 0 (their activations are masked to 0).
                                        _ => {
                                            if *w_bits == 1 {
                                                1
                                            } else {
                                                0
                                            }
                                        }
                                    })
                                    .collect()
                            })
                            .collect();
                        w.record(&stream::tile_record(&cfg, &rows, *w_bits));
                    }
                }
            }
            // A second row block of the same LayerNorm reuses the units' parameters.
            Op::LayerNorm { .. } if crate::plan::keeps_layernorm_params(&plan.ops, i) => {}
            Op::LayerNorm { node, .. } => {
                let Some(NodeParams::LayerNorm { p, .. }) = params.get(node) else {
                    return Err(CompileError::Unsupported(format!("no LayerNorm parameters for '{node}'")));
                };
                w.record(&stream::ln_record(&p.gamma, &p.beta));
            }
            Op::Embed { node, .. } => {
                let Some(NodeParams::ClassPosEmbed { cls_row, pos, .. }) = params.get(node) else {
                    return Err(CompileError::Unsupported(format!("no embedding parameters for '{node}'")));
                };
                // Token 0 carries the class row, tokens 1.. the position terms, all as i64,
                // one record per scratchpad word of the row (`lanes` values, zero padded).
                let d = cls_row.len();
                let cls: Vec<i64> = cls_row.iter().map(|&v| v as i64).collect();
                for row in std::iter::once(&cls[..]).chain(pos.chunks(d)) {
                    for chunk in row.chunks(cfg.lanes) {
                        let mut vals = chunk.to_vec();
                        vals.resize(cfg.lanes, 0);
                        w.record(&stream::i64_record(&vals));
                    }
                }
            }
            _ => {}
        }
    }
    let constants_len = w.len as u64;
    plan.constants = w.bytes;

    // Buffer words are padded to whole DRAM beats.
    let word_bytes = |b: Buffer| {
        let raw = match b {
            Buffer::Spad => cfg.lanes,
            Buffer::Sbuf => cfg.cols * 4,
        };
        (raw.div_ceil(cfg.bus_bytes) * cfg.bus_bytes) as u64
    };
    let mut at = 0u64;
    let mut region = |bytes: u64| {
        let r = Region { addr: at, bytes };
        at = (at + bytes).div_ceil(ALIGN) * ALIGN;
        r
    };
    // Header, the image load and the constant stream, then one instruction per other op.
    let instrs = 1 + 2 + plan.ops.iter().filter(|o| !matches!(o, Op::LoadImage { .. })).count() as u64;
    let program = region(instrs * INSTR_BYTES);
    let constants = region(constants_len);
    let (mut image, mut logits, mut dumps) = (Region::default(), Region::default(), Vec::new());
    for op in &plan.ops {
        match op {
            Op::LoadImage { t } => image = region(plan.words(*t) as u64 * word_bytes(Buffer::Spad)),
            Op::Store { t, logits: true } => {
                logits = region(plan.words(*t) as u64 * word_bytes(plan.tensors[*t].buffer))
            }
            Op::Store { t, logits: false } => {
                dumps.push((*t as u32, region(plan.words(*t) as u64 * word_bytes(plan.tensors[*t].buffer))))
            }
            _ => {}
        }
    }
    plan.dram = Some(DramLayout { program, constants, image, logits, dumps, total_bytes: at });
    Ok(())
}
