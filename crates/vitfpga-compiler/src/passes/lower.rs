//! lower: the graph to fused unit operations on token-major tensors (bias + requantise + GELU
//! and the residual add into GEMM epilogues, attention split per head).
//!
//! A GEMM whose result feeds a LayerNorm (proj and fc2 with their residual adds) is split into two
//! row blocks with the LayerNorm of the first block between them: the row engine normalises rows
//! `0..h` while the array computes rows `h..`. The GEMMs that read the LayerNorm's result start on
//! rows `0..h` while its second block is normalised (fc1 in two row blocks; for attention, the
//! first heads' Q, K and V of those rows, as many as cover it), so little of a LayerNorm is exposed.
//!
//! Attention is ordered so that the row engine's softmax of head h runs while the array computes
//! head h+1's Q/K/V projections and scores and head h-1's context: per head, a Q GEMM and a K-and-V
//! GEMM (output segments of the fused QKV Linear), the scores, the softmax, then the previous
//! head's context. The last head's scores, softmax and context run in the projection's two row
//! blocks, its second context block after the projection's first (the row engine normalises the
//! second half meanwhile). The contexts are packed densely where a head fills whole C-lane slices,
//! so the projection reads full k-tiles.

use std::collections::HashMap;

use vitfpga_golden::NodeParams;
use vitfpga_graph::{NodeId, OpKind};

use crate::plan::{BRef, EpiRef, Op, Plan, TRef, TensorId};
use crate::program::Buffer;
use crate::CompileError;

/// If the op just emitted is the GEMM that computes all `rows` rows of `src` (a LayerNorm's
/// input), take it back as two row blocks `0..h` and `h..rows`. Only where each block keeps the
/// array busy: a tile's weights shift in over R cycles while the previous tile streams its M rows,
/// so on a cascade array (the next fill starts as a tile's first row enters) a tile takes
/// `max(M, R + 1)` cycles and blocks need R + 2 rows; the fabric array's two banks wait for the
/// tile before last to drain (about R more), so there blocks need 2R.
fn split_producer(plan: &mut Plan, src: TRef, rows: usize) -> Option<(Op, Op, usize)> {
    let h = block_split(plan, rows)?;
    match plan.ops.last() {
        Some(Op::Gemm { m, row0: 0, epi: EpiRef::Requant { out, wide: false, .. }, .. })
            if *m == rows && out.t == src.t => {}
        _ => return None,
    }
    let Some(Op::Gemm { label, a, b, n_segs, n_seg_len, epi, .. }) = plan.ops.pop() else { unreachable!() };
    let block = |row0: usize, m: usize| Op::Gemm {
        label: label.clone(),
        m,
        row0,
        a,
        b: b.clone(),
        n_segs,
        n_seg_len,
        epi: epi.clone(),
    };
    Some((block(0, h), block(h, rows - h), h))
}

/// Heads between a head's softmax and its context GEMM in the exec queue.
const CONTEXT_LAG: usize = 1;

/// Where `rows` rows split into two row blocks that each keep the array busy (the second block's
/// first row), if they can: the blocks are `rows - rows / 2` and `rows / 2` rows.
fn block_split(plan: &Plan, rows: usize) -> Option<usize> {
    let r = plan.cfg.rows.max(1);
    let fill = if plan.cfg.dsp_cascade { r + 2 } else { 2 * r };
    (rows / 2 >= fill).then_some(rows - rows / 2)
}

/// Heads whose Q, K and V of rows `0..h0` (each part `ceil(K/R)` k-tiles by `ceil(dh/C)` n-tiles of
/// `h0` rows, in two GEMMs of about `2R` cycles of fill and drain each) cover the row
/// engine's second LayerNorm block (rows `h0..m`, one per `max(beats, cycles_per_row / units)`).
fn heads_to_cover(plan: &Plan, h0: usize, m: usize, dh: usize, heads: usize) -> usize {
    let c = &plan.cfg;
    let Some(Op::LayerNorm { src, .. }) = plan.ops.last() else { return 0 };
    let dim = plan.tensors[src.t].view.seg_len as usize * src.segs;
    let ln = c.layernorm_unit(8).timing();
    let per_row = ln.beats(dim).max(ln.cycles_per_row(dim).div_ceil(c.layernorm_units.max(1)));
    let ln_block = (m - h0) * per_row + ln.last_output_delay(dim);
    // Per head: 3 parts of tiles, in 2 GEMMs (Q; K and V) of fill and drain each.
    let per_head = 3 * h0 * dim.div_ceil(c.rows) * dh.div_ceil(c.cols) + 2 * 2 * c.rows;
    ln_block.div_ceil(per_head).min(heads)
}

/// If the op just emitted is the second row block of a LayerNorm that writes `a` (all `m` rows
/// of it), the row where that block starts: a GEMM reading `a` can compute the rows before it
/// while the row engine normalises the rest.
fn split_point(plan: &Plan, a: TRef, m: usize) -> Option<usize> {
    match plan.ops.last() {
        Some(Op::LayerNorm { dst, row0, rows, .. }) if *dst == a.t && *row0 > 0 && row0 + rows == m => Some(*row0),
        _ => None,
    }
}

pub fn run(plan: &mut Plan) -> Result<(), CompileError> {
    let model = plan.model;
    let g = &model.graph;
    let order = g.topo_order().map_err(|e| CompileError::Unsupported(e.to_string()))?;
    let params = |id: NodeId| &model.params[&g.node(id).name];
    let consumers = |id: NodeId| -> Vec<NodeId> {
        order.iter().copied().filter(|&c| g.inputs(c).contains(&id)).collect::<Vec<_>>()
    };
    // Node -> (tensor, rows) holding its value; fused nodes map to their fusion's tensor.
    let mut val: HashMap<NodeId, (TRef, usize)> = HashMap::new();
    // The fused QKV GEMM of each attention block (with its token count), emitted per head by the
    // scores node into per-head Q, K and V tensors.
    let mut qkv_gemm: HashMap<NodeId, (Op, usize)> = HashMap::new();
    let unsupported = |id: NodeId, why: &str| {
        CompileError::Unsupported(format!("node '{}' ({}): {why}", g.node(id).name, g.node(id).kind.mnemonic()))
    };
    for &id in &order {
        if val.contains_key(&id) {
            continue;
        }
        let node = g.node(id);
        let name = node.name.clone();
        match &node.kind {
            OpKind::Input { .. } => {}
            OpKind::Patchify { .. } => {
                // The host writes the image patch-major (`[patches, C*P*P]`, a pure reordering).
                let (rows, k) = (node.shape[0], node.shape[1]);
                let t = plan.add_tensor(&name, None, Buffer::Spad, rows, 1, k);
                plan.ops.push(Op::LoadImage { t });
                val.insert(id, (plan.whole(t), rows));
            }
            OpKind::Linear { out_features, .. } => {
                let NodeParams::Linear { w_bits, mult, out, .. } = params(id) else { unreachable!() };
                let (a, m) = val[&g.inputs(id)[0]];
                let users = consumers(id);
                let single = if users.len() == 1 { Some(users[0]) } else { None };
                let fused_gelu = single.filter(|&u| g.node(u).kind == OpKind::Gelu);
                let fused_add = single.filter(|&u| g.node(u).kind == OpKind::Add);
                let is_output = id == g.output();
                let (n_segs, n_seg_len) = match users.first().map(|&u| &g.node(u).kind) {
                    Some(OpKind::AttnScores { heads, head_dim }) => (3 * heads, *head_dim),
                    _ => (1, *out_features),
                };
                let mut out_bits = out.bits;
                let mut table_node = None;
                let mut residual = None;
                let mut holder = id;
                if let Some(gid) = fused_gelu {
                    table_node = Some(g.node(gid).name.clone());
                    holder = gid;
                } else if let Some(aid) = fused_add {
                    let NodeParams::Add { ma, mb, shift, out: aout } = params(aid) else { unreachable!() };
                    let ins = g.inputs(aid);
                    let swap = ins[0] == id;
                    let other = if swap { ins[1] } else { ins[0] };
                    let (res, _) =
                        val.get(&other).copied().ok_or_else(|| unsupported(aid, "residual not computed yet"))?;
                    residual = Some((res, *ma, *mb, *shift, aout.bits, swap));
                    holder = aid;
                    out_bits = out.bits;
                }
                let hname = g.node(holder).name.clone();
                let wide = is_output && out.bits > 8;
                // Rows `row0 .. row0 + m` of the GEMM (a row block, or all of it).
                let gemm = |out: TRef, row0: usize, m: usize| Op::Gemm {
                    label: hname.clone(),
                    m,
                    row0,
                    a,
                    b: BRef::Stream { node: name.clone(), w_bits: *w_bits, seg0: 0, seg_stride: 1 },
                    n_segs,
                    n_seg_len,
                    epi: EpiRef::Requant {
                        stream_node: Some(name.clone()),
                        mult: mult[0],
                        out_bits,
                        table_node: table_node.clone(),
                        residual,
                        out,
                        out_feature0: 0,
                        wide,
                    },
                };
                if n_segs > 1 {
                    // Q, K and V of each head get their own tensors (see `AttnScores`): each is
                    // live for a head or two, not the whole attention.
                    qkv_gemm.insert(id, (gemm(TRef { t: usize::MAX, seg0: 0, segs: 0 }, 0, m), m));
                    continue;
                }
                let t = if wide {
                    plan.add_tensor(&hname, None, Buffer::Sbuf, m, 1, *out_features)
                } else {
                    plan.add_tensor(&hname, None, Buffer::Spad, m, n_segs, n_seg_len)
                };
                let out_ref = plan.whole(t);
                match split_point(plan, a, m) {
                    // The LayerNorm of its input ran in two row blocks and the second is still on
                    // the row engine: compute the first block's rows meanwhile.
                    Some(h) if !wide => plan.ops.extend([gemm(out_ref, 0, h), gemm(out_ref, h, m - h)]),
                    _ => plan.ops.push(gemm(out_ref, 0, m)),
                }
                val.insert(id, (out_ref, m));
                val.insert(holder, (out_ref, m));
                if is_output {
                    plan.ops.push(Op::Store { t, logits: true });
                }
            }
            OpKind::ClassPosEmbed { tokens, dim } => {
                let (src, _) = val[&g.inputs(id)[0]];
                let t = plan.add_tensor(&name, None, Buffer::Spad, *tokens, 1, *dim);
                plan.ops.push(Op::Embed { label: name.clone(), node: name.clone(), src: src.t, dst: t });
                val.insert(id, (plan.whole(t), *tokens));
            }
            OpKind::LayerNorm { dim, .. } => {
                let (src, rows) = val[&g.inputs(id)[0]];
                if src.segs != 1 {
                    return Err(unsupported(id, "LayerNorm of a segmented tensor"));
                }
                let t = plan.add_tensor(&name, None, Buffer::Spad, rows, 1, *dim);
                let ln = |row0: usize, rows: usize| Op::LayerNorm {
                    label: name.clone(),
                    node: name.clone(),
                    src,
                    row0,
                    rows,
                    dst: t,
                };
                match split_producer(plan, src, rows) {
                    // G[rows 0..h], LN[0..h], G[h..], LN[h..]: the row engine normalises the first
                    // block while the array computes the second.
                    Some((first, second, h)) => {
                        // If the op before computes only rows h.. of G's input (the last head's
                        // context, whose softmax ran in the same two blocks), it moves after G's
                        // first block, which does not need it: the row engine finishes that
                        // softmax block meanwhile.
                        let Op::Gemm { a: first_a, .. } = &first else { unreachable!() };
                        let tail = match plan.ops.last() {
                            Some(Op::Gemm {
                                row0, m, b: BRef::Rows { .. }, epi: EpiRef::Requant { out, .. }, ..
                            }) if *row0 == h && row0 + m == rows && out.t == first_a.t => plan.ops.pop(),
                            _ => None,
                        };
                        plan.ops.extend([first, ln(0, h)]);
                        plan.ops.extend(tail);
                        plan.ops.extend([second, ln(h, rows - h)]);
                    }
                    None => plan.ops.push(ln(0, rows)),
                }
                val.insert(id, (plan.whole(t), rows));
            }
            OpKind::SelectClass => {
                // The class token is row 0: the consumer reads one row of the same tensor.
                let (src, _) = val[&g.inputs(id)[0]];
                val.insert(id, (src, 1));
            }
            OpKind::AttnScores { heads, head_dim } => {
                let (heads, dh) = (*heads, *head_dim);
                let qkv_id = g.inputs(id)[0];
                let qkv_name = g.node(qkv_id).name.clone();
                let (whole_qkv, t_rows) =
                    qkv_gemm.remove(&qkv_id).ok_or_else(|| unsupported(id, "scores not fed by a Linear"))?;
                // Output segments `s, s + heads, ..` (`segs` of them: Q, or K and V, of one head) of
                // the fused QKV GEMM, into `dst`: rows `row0 .. row0 + m` of it.
                let qkv_part =
                    |(part, s, segs): (&str, usize, usize), h: usize, dst: TensorId, row0: usize, m: usize| {
                        let Op::Gemm { label, a, b: BRef::Stream { node, w_bits, .. }, n_seg_len, epi, .. } =
                            whole_qkv.clone()
                        else {
                            unreachable!("the QKV GEMM streams its weights")
                        };
                        let EpiRef::Requant { stream_node, mult, out_bits, table_node, residual, wide, .. } = epi
                        else {
                            unreachable!("the QKV GEMM requantises")
                        };
                        Op::Gemm {
                            label: format!("{label}[h{h}.{part}]"),
                            m,
                            row0,
                            a,
                            b: BRef::Stream { node, w_bits, seg0: s, seg_stride: heads },
                            n_segs: segs,
                            n_seg_len,
                            epi: EpiRef::Requant {
                                stream_node,
                                mult,
                                out_bits,
                                table_node,
                                residual,
                                out: TRef { t: dst, seg0: 0, segs },
                                out_feature0: 0,
                                wide,
                            },
                        }
                    };
                let NodeParams::AttnScores { out: sq } = params(id) else { unreachable!() };
                let sm = *consumers(id).first().ok_or_else(|| unsupported(id, "scores without softmax"))?;
                let ctx = *consumers(sm).first().ok_or_else(|| unsupported(sm, "softmax without context"))?;
                let NodeParams::Softmax { to_exp2, out: pq } = params(sm) else { unreachable!() };
                let NodeParams::AttnContext { mult, out: cq, .. } = params(ctx) else { unreachable!() };
                let (sname, pname, cname) = (name.clone(), g.node(sm).name.clone(), g.node(ctx).name.clone());
                // The heads' contexts side by side, as the projection reads them: densely packed
                // (head h at feature h * dh) where a head starts on a C-lane slice of a word, so
                // the projection's k-tiles are full (DeiT-B on 96 rows: 8 k-tiles, not 12 of 64
                // rows each); otherwise one word-aligned segment per head.
                let dense = dh.is_multiple_of(plan.cfg.cols);
                let c = if dense {
                    plan.add_tensor(&cname, None, Buffer::Spad, t_rows, 1, heads * dh)
                } else {
                    plan.add_tensor(&cname, None, Buffer::Spad, t_rows, heads, dh)
                };
                // Head h's output: (segment, first feature in it).
                let place = |h: usize| if dense { (0, h * dh) } else { (h, 0) };
                let context = |h: usize, p: TRef, v: TRef, row0: usize, m: usize| Op::Gemm {
                    label: format!("{cname}[h{h}]"),
                    m,
                    row0,
                    a: p,
                    b: BRef::Rows { src: v, valid: t_rows },
                    n_segs: 1,
                    n_seg_len: dh,
                    epi: EpiRef::Requant {
                        stream_node: None,
                        mult: *mult,
                        out_bits: cq.bits,
                        table_node: None,
                        residual: None,
                        out: TRef { t: c, seg0: place(h).0, segs: 1 },
                        out_feature0: place(h).1,
                        wide: false,
                    },
                };
                let last_split = block_split(plan, t_rows);
                let blocks = |h: usize| match last_split {
                    Some(b) if h + 1 == heads => vec![(0, b), (b, t_rows - b)],
                    _ => vec![(0, t_rows)],
                };
                let mut p_refs = Vec::with_capacity(heads);
                let mut next_ctx = 0;
                let mut v_refs = Vec::with_capacity(heads);
                // Per head, Q in one GEMM and tensor, K and V in another (one GEMM instruction less
                // per head; both are read through the filler's port, so they share a bank: Q, read
                // by the issuer, would need a second copy of them).
                let parts = |h: usize| [("q", h, 1), ("kv", heads + h, 2)];
                // Per head and part, its tensor (segment i: columns `(s + i * heads) * dh ..` of
                // the QKV node's output).
                let mut qkv_t = vec![[0usize; 2]; heads];
                for (h, ts) in qkv_t.iter_mut().enumerate() {
                    for (i, (part, s, segs)) in parts(h).into_iter().enumerate() {
                        let t = plan.add_tensor(&qkv_name, None, Buffer::Spad, t_rows, segs, dh);
                        plan.tensors[t].name = format!("{qkv_name}[h{h}.{part}]");
                        plan.tensors[t].features = (s * dh, segs * dh);
                        plan.tensors[t].seg_stride = heads * dh;
                        ts[i] = t;
                    }
                }
                // If the LayerNorm before ran in two row blocks and the second is still on the row
                // engine, the first heads' Q, K and V of the rows before it come first, enough
                // of them to cover that block (see `heads_to_cover`).
                let Op::Gemm { a: qkv_a, .. } = &whole_qkv else { unreachable!() };
                let split = split_point(plan, *qkv_a, t_rows);
                let early = split.map_or(0, |h0| heads_to_cover(plan, h0, t_rows, dh, heads));
                for (h, ts) in qkv_t.iter().enumerate().take(early) {
                    for (i, part) in parts(h).into_iter().enumerate() {
                        plan.ops.push(qkv_part(part, h, ts[i], 0, split.unwrap_or(0)));
                    }
                }
                for h in 0..heads {
                    for (i, part) in parts(h).into_iter().enumerate() {
                        let row0 = if h < early { split.unwrap_or(0) } else { 0 };
                        plan.ops.push(qkv_part(part, h, qkv_t[h][i], row0, t_rows - row0));
                    }
                    let [q_t, kv_t] = qkv_t[h];
                    // Q, K, V of head h.
                    let qkv_h =
                        [plan.whole(q_t), TRef { t: kv_t, seg0: 0, segs: 1 }, TRef { t: kv_t, seg0: 1, segs: 1 }];
                    v_refs.push(qkv_h[2]);
                    let p_t = plan.add_tensor(&pname, Some(h), Buffer::Spad, t_rows, 1, t_rows);
                    // The last head's scores and softmax in the row blocks of the projection
                    // after it (see `block_split`): nothing else is left to overlap that softmax,
                    // so the projection's first block runs while the second block is normalised
                    // (the LayerNorm lowering moves the second context block after it).
                    for (i, (r0, n)) in blocks(h).into_iter().enumerate() {
                        let s_t = plan.add_tensor(&sname, Some(h), Buffer::Sbuf, n, 1, t_rows);
                        plan.tensors[s_t].row0 = r0;
                        plan.ops.push(Op::Gemm {
                            label: format!("{sname}[h{h}]"),
                            m: n,
                            row0: r0,
                            a: qkv_h[0],
                            b: BRef::Cols { src: qkv_h[1], valid: t_rows },
                            n_segs: 1,
                            n_seg_len: t_rows,
                            epi: EpiRef::Scores { t: s_t },
                        });
                        if i > 0 {
                            // The row engine takes the second block once the first is done: the
                            // contexts still pending run meanwhile.
                            while next_ctx < h {
                                plan.ops.push(context(next_ctx, p_refs[next_ctx], v_refs[next_ctx], 0, t_rows));
                                next_ctx += 1;
                            }
                        }
                        plan.ops.push(Op::Softmax {
                            label: format!("{pname}[h{h}]"),
                            src: s_t,
                            dst: p_t,
                            row0: r0,
                            len: t_rows,
                            z_bits: sq.bits,
                            to_exp2: *to_exp2,
                            out_bits: pq.bits,
                        });
                    }
                    p_refs.push(plan.whole(p_t));
                    // Head h's context waits until head h + CONTEXT_LAG's softmax is on the row
                    // engine, so the array has work while the row engine normalises.
                    while next_ctx + CONTEXT_LAG <= h {
                        plan.ops.push(context(next_ctx, p_refs[next_ctx], v_refs[next_ctx], 0, t_rows));
                        next_ctx += 1;
                    }
                }
                for h in next_ctx..heads {
                    for (r0, n) in blocks(h) {
                        plan.ops.push(context(h, p_refs[h], v_refs[h], r0, n));
                    }
                }
                for n in [id, sm, ctx] {
                    val.insert(n, (plan.whole(c), t_rows));
                }
            }
            OpKind::Softmax { .. } | OpKind::AttnContext { .. } | OpKind::Gelu | OpKind::Add => {
                return Err(unsupported(id, "only supported fused into attention or a Linear epilogue"));
            }
        }
    }
    Ok(())
}
