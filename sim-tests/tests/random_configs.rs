//! Property test of the whole accelerator: random small ViTs (dims, heads, depth, patching, MLP
//! ratio, classes), random bits (weights 1..=8, activations 2..=8), random arrays (rows and
//! columns 2..=12, fabric or DSP-cascade, packed or not), row units, bus width and program kind
//! (intermediates stored or the production program). Each case is compiled, run in Verilator
//! and compared with the golden model bit for bit and with the cycle model cycle for cycle.
//!
//! CI runs `CI_CASES` cases of seed 0. More, or other seeds, on request:
//! `VITFPGA_RANDOM_CASES=40 VITFPGA_RANDOM_SEED=7 cargo test --release -p vitfpga-sim-tests
//! --test random_configs -- --nocapture`. Each case prints its model TOML and design, so a
//! failure reproduces with `vitfpga verify --model case.toml ...` or by its (seed, case).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vitfpga_compiler::{compile, CompileOptions, DesignSpec};
use vitfpga_device::Device;
use vitfpga_golden::Golden;
use vitfpga_model::{ModelConfig, Weights};
use vitfpga_quant::{quantize_model, synthetic_images, QuantConfig};

/// Cases in CI: each builds a whole core in Verilator (about 15 s here).
const CI_CASES: u64 = 4;

struct Case {
    toml: String,
    w_bits: u32,
    a_bits: u32,
    spec: DesignSpec,
    dump: bool,
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v} is not a number")))
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, v: &[T]) -> T {
    v[rng.gen_range(0..v.len())]
}

fn case(seed: u64, n: u64) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ n);
    let heads = rng.gen_range(1..=4usize);
    let head_dim = pick(&mut rng, &[4usize, 6, 8, 10, 12, 16]);
    let patch = rng.gen_range(2..=4usize);
    let grid = rng.gen_range(2..=4usize);
    let toml = format!(
        "name = 'random{seed}_{n}'\nimg_size = {}\npatch_size = {patch}\nin_chans = {}\nembed_dim = {}\n\
         depth = {}\nnum_heads = {heads}\nmlp_ratio = {}\nnum_classes = {}\n",
        patch * grid,
        pick(&mut rng, &[1usize, 3]),
        heads * head_dim,
        rng.gen_range(1..=2usize),
        pick(&mut rng, &[1.0f64, 1.5, 2.0, 4.0]),
        rng.gen_range(2..=10usize),
    );
    let w_bits = pick(&mut rng, &[1u32, 2, 3, 4, 5, 6, 8]);
    let a_bits = rng.gen_range(2..=8u32);
    let row_units = rng.gen_bool(0.5);
    let (rows, cols) = (rng.gen_range(2..=12usize), rng.gen_range(2..=12usize));
    // LayerNorm lanes must divide the scratchpad word (lcm(rows, cols) elements).
    let lanes = vitfpga_compiler::config::lcm(rows, cols);
    let ln_lanes: Vec<usize> = [1usize, 2, 4].into_iter().filter(|l| lanes % l == 0).collect();
    let spec = DesignSpec {
        rows: Some(rows),
        cols: Some(cols),
        dsp_packing: Some(rng.gen_bool(0.5)),
        // Binary weights have no multiplier to put in a DSP: the fabric array.
        dsp_cascade: Some(w_bits > 1 && rng.gen_bool(0.6)),
        bus_bytes: Some(pick(&mut rng, &[8usize, 16, 32])),
        softmax_units: Some(rng.gen_range(1..=2)),
        layernorm_units: row_units.then(|| rng.gen_range(1..=3)),
        layernorm_lanes: row_units.then(|| pick(&mut rng, &ln_lanes)),
        ..Default::default()
    };
    Case { toml, w_bits, a_bits, spec, dump: rng.gen_bool(0.7) }
}

fn describe(c: &Case) -> String {
    let s = &c.spec;
    format!(
        "W{}A{} {}x{}{}{} bus {} B, {} softmax, LayerNorm {:?} x {:?} lanes, {}\n{}",
        c.w_bits,
        c.a_bits,
        s.rows.unwrap(),
        s.cols.unwrap(),
        if s.dsp_packing == Some(true) { " packed" } else { "" },
        if s.dsp_cascade == Some(true) { " cascade" } else { " fabric" },
        s.bus_bytes.unwrap(),
        s.softmax_units.unwrap(),
        s.layernorm_units,
        s.layernorm_lanes,
        if c.dump { "intermediates stored" } else { "production program" },
        c.toml
    )
}

fn run(seed: u64, n: u64) {
    let c = case(seed, n);
    eprintln!("case ({seed}, {n}): {}", describe(&c));
    let cfg = ModelConfig::from_toml_str(&c.toml, "random").unwrap();
    let w = Weights::synthetic(&cfg, seed ^ n);
    let calib = synthetic_images(&cfg, 2, n);
    let qm = quantize_model(&cfg, &w, &calib, &QuantConfig::uniform(c.w_bits, c.a_bits)).unwrap();
    let dev = Device::resolve("zcu102").unwrap();
    let compiled = compile(
        &qm,
        &dev,
        &c.spec,
        CompileOptions { dump_intermediates: c.dump, allow_overfill: true, ..Default::default() },
    )
    .unwrap_or_else(|e| panic!("case ({seed}, {n}) does not compile: {e}\n{}", describe(&c)));
    let src = vec![("vitfpga_accel.v".to_string(), vitfpga_compiler::rtl::verilog(&compiled.program))];
    let golden = Golden::new(&qm).unwrap();
    let image = synthetic_images(&cfg, 1, 1000 + n);
    let r = vitfpga_sim::verify::verify_image(&compiled, &src, &golden, &golden.quantize_input(image.image(0)))
        .unwrap_or_else(|e| panic!("case ({seed}, {n}) did not run: {e}\n{}", describe(&c)));
    assert!(r.bit_exact, "case ({seed}, {n}) is not bit-exact: {:?}\n{}", r.mismatches, describe(&c));
    assert_eq!(r.rtl_cycles, r.sim_cycles, "case ({seed}, {n}): RTL cycles vs cycle model\n{}", describe(&c));
    if c.dump {
        assert!(r.tensors_compared > 5, "case ({seed}, {n}) compared only {} tensors", r.tensors_compared);
    }
    eprintln!(
        "case ({seed}, {n}): bit-exact over {} tensors, {} cycles = cycle model (build {:.1} s, run {:.2} s)",
        r.tensors_compared, r.rtl_cycles, r.rtl_build_seconds, r.rtl_seconds
    );
}

#[test]
fn random_small_configurations_are_bit_and_cycle_exact() {
    let seed = env_u64("VITFPGA_RANDOM_SEED").unwrap_or(0);
    let cases = env_u64("VITFPGA_RANDOM_CASES").unwrap_or(CI_CASES);
    for n in 0..cases {
        run(seed, n);
    }
}

/// The generator covers what the test claims: over 200 cases every kind of array, binary and
/// multi-bit weights, both program kinds, and every case compiles (no Verilator here).
#[test]
fn generator_covers_the_space_and_every_case_compiles() {
    let dev = Device::resolve("zcu102").unwrap();
    let (mut cascade, mut packed, mut binary, mut dump, mut odd) = (0, 0, 0, 0, 0);
    for n in 0..200 {
        let c = case(0, n);
        cascade += (c.spec.dsp_cascade == Some(true)) as u32;
        packed += (c.spec.dsp_packing == Some(true)) as u32;
        binary += (c.w_bits == 1) as u32;
        dump += c.dump as u32;
        odd += (c.spec.rows.unwrap() % 2 == 1 && c.spec.cols.unwrap() % 2 == 1) as u32;
        let cfg = ModelConfig::from_toml_str(&c.toml, "random").unwrap();
        let w = Weights::synthetic(&cfg, n);
        let calib = synthetic_images(&cfg, 1, n);
        let qm = quantize_model(&cfg, &w, &calib, &QuantConfig::uniform(c.w_bits, c.a_bits)).unwrap();
        let opts = CompileOptions {
            dump_intermediates: c.dump,
            allow_overfill: true,
            timing_only: true,
            ..Default::default()
        };
        if let Err(e) = compile(&qm, &dev, &c.spec, opts) {
            panic!("case (0, {n}) does not compile: {e}\n{}", describe(&c));
        }
    }
    for (what, k) in [("cascade", cascade), ("packed", packed), ("binary", binary), ("stored", dump), ("odd", odd)] {
        assert!(k >= 10 && k <= 190, "{k} of 200 cases are {what}");
    }
}
