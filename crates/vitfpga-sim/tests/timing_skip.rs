//! The cycle model's periodic skip (`timing::run`) gives exactly the timeline of stepping every
//! tile (`timing::run_every_tile`): every span, stall and wait, on fabric, packed and cascade
//! arrays, streamed and scratchpad weights, binary to 8-bit weights, stream-bound buses, and
//! DeiT shapes where the skip does nearly all the work.

use vitfpga_compiler::{compile, CompileOptions, DesignSpec};
use vitfpga_device::Device;
use vitfpga_golden::QuantizedModel;
use vitfpga_model::{ModelConfig, Weights};
use vitfpga_quant::{quantize_model, synthetic_images, QuantConfig};
use vitfpga_sim::timing;

fn model(cfg: &ModelConfig, w_bits: u32, a_bits: u32) -> QuantizedModel {
    let w = Weights::synthetic(cfg, 3);
    let calib = synthetic_images(cfg, 1, 1);
    quantize_model(cfg, &w, &calib, &QuantConfig::uniform(w_bits, a_bits)).unwrap()
}

fn spec(r: usize, c: usize, pack: bool, cascade: bool, bus: usize, softmax: usize) -> DesignSpec {
    DesignSpec {
        rows: Some(r),
        cols: Some(c),
        dsp_packing: Some(pack),
        dsp_cascade: Some(cascade),
        bus_bytes: Some(bus),
        softmax_units: Some(softmax),
        ..Default::default()
    }
}

/// Returns the tiles skipped, so callers can show the skip was exercised.
fn same_timeline(qm: &QuantizedModel, s: &DesignSpec) -> u64 {
    let dev = Device::resolve("zcu102").unwrap();
    let opts = CompileOptions { timing_only: true, allow_overfill: true, ..Default::default() };
    let p = compile(qm, &dev, s, opts).unwrap().program;
    let (fast, slow) = (timing::run(&p), timing::run_every_tile(&p));
    let key = |t: &timing::Timeline| {
        (
            t.cycles,
            t.fetch_end,
            t.load.clone(),
            t.exec.clone(),
            t.store.clone(),
            t.rows.clone(),
            t.stream_stall_cycles,
            t.row_waits.clone(),
        )
    };
    assert!(
        key(&fast) == key(&slow),
        "{}x{}: periodic skip changed the timeline ({} vs {} cycles)",
        p.config.rows,
        p.config.cols,
        fast.cycles,
        slow.cycles
    );
    assert_eq!(slow.tiles_skipped, 0);
    fast.tiles_skipped
}

#[test]
fn periodic_skip_changes_no_cycle_on_small_models() {
    let toml = "name='t'\nimg_size=32\npatch_size=4\nin_chans=3\nembed_dim=48\ndepth=2\nnum_heads=3\nmlp_ratio=4.0\nnum_classes=10\n";
    let cfg = ModelConfig::from_toml_str(toml, "test").unwrap();
    let mut skipped = 0;
    for (w, a) in [(8, 8), (4, 8), (2, 6), (1, 8)] {
        let qm = model(&cfg, w, a);
        for s in [
            spec(4, 4, false, false, 16, 1),
            spec(3, 5, true, false, 8, 2),
            spec(8, 8, true, true, 16, 1),
            spec(7, 12, false, true, 8, 4),
            spec(16, 8, true, true, 32, 1),
            spec(4, 16, false, false, 64, 8),
        ] {
            if w == 1 && s.dsp_cascade == Some(true) {
                continue; // binary weights keep the fabric array
            }
            skipped += same_timeline(&qm, &s);
        }
    }
    assert!(skipped > 0, "no n-tile was skipped: the test exercises nothing");
}

#[test]
fn periodic_skip_changes_no_cycle_on_deit_tiny() {
    let cfg = ModelConfig::resolve("deit-tiny").unwrap();
    let qm = model(&cfg, 8, 8);
    let mut skipped = 0;
    for s in [spec(4, 4, false, false, 16, 1), spec(16, 16, true, true, 16, 1), spec(32, 8, true, false, 8, 2)] {
        skipped += same_timeline(&qm, &s);
    }
    assert!(skipped > 10_000, "{skipped} tiles skipped");
}
