//! End-to-end checks of one image: the RTL (in Verilator) against the golden model, value for
//! value, and against the cycle model, cycle for cycle.

use serde::Serialize;
use vitfpga_compiler::image::{self, unpack_stored};
use vitfpga_compiler::Compiled;
use vitfpga_golden::{Golden, Trace};

/// The golden values a program tensor holds, dense `[rows, features]`.
pub fn golden_values(c: &Compiled, golden: &Golden, trace: &Trace, tensor: usize) -> Vec<i64> {
    let desc = &c.program.tensors[tensor];
    let g = &golden.model.graph;
    let gold = trace.get(&desc.node).expect("every program tensor names a graph node").to_i64();
    let width = desc.view.segs as usize * desc.view.seg_len as usize;
    let shape = &g.node(g.find(&desc.node).expect("node exists")).shape;
    let rows = desc.row0..desc.row0 + desc.rows;
    match desc.head {
        // The golden model stores scores and probabilities as `[heads, T, T]`.
        Some(h) => gold[(h * shape[1] + rows.start) * width..(h * shape[1] + rows.end) * width].to_vec(),
        None => {
            let full = gold.len() / shape[0];
            let (f0, seg_len) = (desc.features.0, desc.view.seg_len as usize);
            let stride = if desc.seg_stride == 0 { seg_len } else { desc.seg_stride };
            let segs = desc.view.segs as usize;
            let gold = &gold;
            rows.flat_map(|r| {
                (0..segs).flat_map(move |s| {
                    let at = r * full + f0 + s * stride;
                    gold[at..at + seg_len].iter().copied()
                })
            })
            .collect()
        }
    }
}

/// A tensor that differs, with its first differing element.
#[derive(Clone, Debug, Serialize)]
pub struct Mismatch {
    pub tensor: String,
    pub element: usize,
    pub expected: i64,
    pub actual: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ImageResult {
    pub bit_exact: bool,
    pub mismatches: Vec<Mismatch>,
    /// Intermediate tensors compared (stored by the dump pass) plus the logits.
    pub tensors_compared: usize,
    pub rtl_cycles: u64,
    pub sim_cycles: u64,
    pub rtl_logits: Vec<i64>,
    pub golden_logits: Vec<i64>,
    pub rtl_build_seconds: f64,
    pub rtl_seconds: f64,
    /// Wall time of the cycle model for this program.
    pub sim_seconds: f64,
}

/// Run one image (already quantised, `[C, H, W]`) on the RTL and compare.
pub fn verify_image(
    c: &Compiled,
    rtl_sources: &[(String, String)],
    golden: &Golden,
    q_image: &[i8],
) -> Result<ImageResult, vitfpga_cosim::CosimError> {
    verify_image_at(c, rtl_sources, golden, q_image, 0)
}

/// `verify_image` with the DRAM image placed at byte `base` of the testbench's memory (the
/// PROGRAM_BASE register): every load, store and fetch address is an offset from it.
pub fn verify_image_at(
    c: &Compiled,
    rtl_sources: &[(String, String)],
    golden: &Golden,
    q_image: &[i8],
    base: u64,
) -> Result<ImageResult, vitfpga_cosim::CosimError> {
    let p = &c.program;
    let g = &golden.model.graph;
    let input = g.node(g.find("input").expect("a ViT has an input"));
    let packed = image::pack_image(p, q_image, &input.shape, g.model.patch_size);
    let dram = image::dram_image(p, &c.constants, &packed);
    let t_sim = std::time::Instant::now();
    let timeline = crate::timing::run(p);
    let sim_seconds = t_sim.elapsed().as_secs_f64();
    // Debugging aid: VITFPGA_SIM_TRACE=FILE writes the cycle model's spans in the RTL trace's format.
    if let Some(path) = std::env::var_os("VITFPGA_SIM_TRACE") {
        let mut t = String::new();
        for (i, s) in timeline.exec.iter().enumerate() {
            t += &format!("X {i} start {}\nX {i} end {}\n", s.start, s.end);
        }
        for (i, s) in timeline.load.iter().enumerate() {
            t += &format!("L {i} start {}\nL {i} end {}\n", s.start, s.end);
        }
        for (i, s) in timeline.store.iter().enumerate() {
            t += &format!("S {i} start {}\nS {i} end {}\n", s.start, s.end);
        }
        let _ = std::fs::write(path, t);
    }
    // A generous bound: ten times the predicted cycles.
    let max_cycles = timeline.cycles * 10 + 100_000;
    assert_eq!(p.dram.program.addr, 0, "the program is the DRAM image's first region");
    let mem = [vec![0u8; base as usize], dram].concat();
    let mut run = vitfpga_cosim::accel::run(rtl_sources, &mem, p.config.dram_latency, max_cycles, base, None)?;
    run.dram.drain(..base as usize);
    let trace = golden.trace_quantized(q_image.to_vec());
    let mut mismatches = Vec::new();
    let mut compare = |name: &str, actual: &[i64], expected: &[i64]| {
        if let Some(i) = actual.iter().zip(expected).position(|(a, e)| a != e) {
            if std::env::var_os("VITFPGA_DEBUG_MISMATCH").is_some() {
                let bad: Vec<usize> =
                    (0..actual.len().min(expected.len())).filter(|&j| actual[j] != expected[j]).collect();
                eprintln!("{name}: {} wrong of {}: {:?}", bad.len(), actual.len(), &bad[..bad.len().min(60)]);
            }
            mismatches.push(Mismatch { tensor: name.into(), element: i, expected: expected[i], actual: actual[i] });
        } else if actual.len() != expected.len() {
            mismatches.push(Mismatch {
                tensor: name.into(),
                element: actual.len().min(expected.len()),
                expected: 0,
                actual: 0,
            });
        }
    };
    for (t, region) in &p.dram.dumps {
        let desc = &p.tensors[*t as usize];
        let actual = unpack_stored(p, desc, &run.dram[region.addr as usize..(region.addr + region.bytes) as usize]);
        compare(&desc.name, &actual, &golden_values(c, golden, &trace, *t as usize));
    }
    let rtl_logits = crate::read_logits(p, &run.dram);
    let golden_logits = trace.logits();
    compare("logits", &rtl_logits, &golden_logits);
    Ok(ImageResult {
        bit_exact: mismatches.is_empty(),
        mismatches,
        tensors_compared: p.dram.dumps.len() + 1,
        rtl_cycles: run.cycles,
        sim_cycles: timeline.cycles,
        rtl_logits,
        golden_logits,
        rtl_build_seconds: run.build_seconds,
        rtl_seconds: run.sim_seconds,
        sim_seconds,
    })
}
