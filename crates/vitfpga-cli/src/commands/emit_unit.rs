use std::path::PathBuf;

use vitfpga_hw::units::buffer::{Buffer, RamStyle};
use vitfpga_hw::units::layernorm::LayerNormUnit;
use vitfpga_hw::units::lut::LookupUnit;
use vitfpga_hw::units::requant::Requantizer;
use vitfpga_hw::units::residual::ResidualAdder;
use vitfpga_hw::units::softmax::SoftmaxUnit;
use vitfpga_hw::units::systolic::SystolicArray;
use vitfpga_hw::Rtl;

use crate::error::CliError;
use crate::output::Output;

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Unit {
    /// Weight-stationary systolic array (--rows --cols --a-bits --w-bits --max-k --dsp-packing)
    Systolic,
    /// Per-channel requantizer with fused bias (--lanes --acc-bits --out-bits)
    Requantizer,
    /// Residual add with rescale (--lanes --a-bits --b-bits --out-bits)
    Residual,
    /// Table lookup used for GELU (--lanes --in-bits --out-bits)
    Gelu,
    /// Integer softmax over rows (--lanes --z-bits --out-bits --max-len)
    Softmax,
    /// Integer LayerNorm over rows (--lanes --in-bits --out-bits --max-len)
    Layernorm,
    /// On-chip buffer (--width --depth --style)
    Buffer,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Style {
    Block,
    Ultra,
    Distributed,
}

#[derive(clap::Args)]
pub struct Args {
    /// Which unit to generate
    unit: Unit,
    #[arg(long, default_value_t = 8)]
    rows: usize,
    #[arg(long, default_value_t = 8)]
    cols: usize,
    #[arg(long, default_value_t = 8)]
    a_bits: u32,
    #[arg(long, default_value_t = 8)]
    w_bits: u32,
    #[arg(long, default_value_t = 8)]
    b_bits: u32,
    /// Largest reduction length the array must accumulate without overflow
    #[arg(long, default_value_t = 768)]
    max_k: usize,
    /// Pack two MACs sharing an activation into one DSP48E2
    #[arg(long)]
    dsp_packing: bool,
    #[arg(long, default_value_t = 8)]
    lanes: usize,
    #[arg(long, default_value_t = 26)]
    acc_bits: u32,
    #[arg(long, default_value_t = 8)]
    in_bits: u32,
    #[arg(long, default_value_t = 8)]
    out_bits: u32,
    /// Width of softmax input scores
    #[arg(long, default_value_t = 26)]
    z_bits: u32,
    /// Longest row (softmax, layernorm)
    #[arg(long, default_value_t = 197)]
    max_len: usize,
    #[arg(long, default_value_t = 64)]
    width: u32,
    #[arg(long, default_value_t = 1024)]
    depth: usize,
    #[arg(long, value_enum, default_value_t = Style::Block)]
    style: Style,
    /// Output directory
    #[arg(long)]
    out: PathBuf,
}

fn to_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("unit parameters serialise")
}

pub fn run(a: Args, out: Output) -> Result<(), CliError> {
    let hw = |e: vitfpga_hw::HwError| CliError::Usage(e.to_string());
    let (rtl, params, timing): (Rtl, serde_json::Value, serde_json::Value) = match a.unit {
        Unit::Systolic => {
            let u = SystolicArray::new(a.rows, a.cols, a.a_bits, a.w_bits, a.max_k, a.dsp_packing).map_err(hw)?;
            let t = serde_json::json!({"latency": u.latency(), "initiation_interval": u.initiation_interval(),
                "weight_load_cycles": u.weight_load_cycles(), "bank_reuse_delay": u.bank_reuse_delay(), "dsp48e2": u.dsp_count()});
            (u.rtl(), to_json(&u), t)
        }
        Unit::Requantizer => {
            let u = Requantizer::new(a.lanes, a.acc_bits, a.out_bits).map_err(hw)?;
            let t = serde_json::json!({"latency": u.latency(), "initiation_interval": u.initiation_interval()});
            (u.rtl(), to_json(&u), t)
        }
        Unit::Residual => {
            let u = ResidualAdder::new(a.lanes, a.a_bits, a.b_bits, a.out_bits).map_err(hw)?;
            let t = serde_json::json!({"latency": u.latency(), "initiation_interval": u.initiation_interval()});
            (u.rtl(), to_json(&u), t)
        }
        Unit::Gelu => {
            let u = LookupUnit::new(a.lanes, a.in_bits, a.out_bits).map_err(hw)?;
            let t = serde_json::json!({"latency": u.latency(), "initiation_interval": u.initiation_interval(), "table_load_cycles": u.table_load_cycles()});
            (u.rtl(), to_json(&u), t)
        }
        Unit::Softmax => {
            let u = SoftmaxUnit::new(a.lanes, a.z_bits, a.out_bits, a.max_len).map_err(hw)?;
            let n = a.max_len;
            let r = u.timing();
            let t = serde_json::json!({"first_output_delay_max_row": r.first_output_delay(n), "ready_delay_max_row": r.ready_delay(n), "cycles_per_max_row": r.cycles_per_row(n)});
            (u.rtl(), to_json(&u), t)
        }
        Unit::Layernorm => {
            let u = LayerNormUnit::new(a.lanes, a.in_bits, a.out_bits, a.max_len).map_err(hw)?;
            let n = a.max_len;
            let r = u.timing();
            let t = serde_json::json!({"first_output_delay_max_row": r.first_output_delay(n), "ready_delay_max_row": r.ready_delay(n), "cycles_per_max_row": r.cycles_per_row(n)});
            (u.rtl(), to_json(&u), t)
        }
        Unit::Buffer => {
            let style = match a.style {
                Style::Block => RamStyle::Block,
                Style::Ultra => RamStyle::Ultra,
                Style::Distributed => RamStyle::Distributed,
            };
            let u = Buffer::new(a.width, a.depth, style).map_err(hw)?;
            let t = serde_json::json!({"read_latency": u.read_latency()});
            (u.rtl(), to_json(&u), t)
        }
    };
    let path = a.out.join(rtl.file_name());
    crate::output::write_file(&path, &rtl.text)?;
    let ports: Vec<serde_json::Value> = rtl
        .inputs
        .iter()
        .map(|p| serde_json::json!({"name": p.name, "dir": "in", "width": p.width}))
        .chain(rtl.outputs.iter().map(|p| serde_json::json!({"name": p.name, "dir": "out", "width": p.width})))
        .collect();
    let json = serde_json::json!({
        "top": rtl.top,
        "files": [path.display().to_string()],
        "unit": params,
        "timing": timing,
        "ports": ports,
    });
    out.result(&json, || format!("wrote {} (top module {})\ntiming: {timing}\n", path.display(), rtl.top));
    Ok(())
}
