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
    /// Weight-stationary systolic array (--array --a-bits --w-bits --max-k --dsp-packing --dsp-cascade)
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
    /// Block RAM (RAMB18/36)
    Block,
    /// UltraRAM (UltraScale+)
    Ultra,
    /// LUT RAM
    Distributed,
}

#[derive(clap::Args)]
pub struct Args {
    /// Which unit to generate
    unit: Unit,
    /// Systolic array shape RxC: rows (the reduction K of a tile) by columns (default 8x8)
    #[arg(long)]
    array: Option<String>,
    /// Activation bits, 2..=8 (systolic; residual: the first operand) (default 8)
    #[arg(long)]
    a_bits: Option<u32>,
    /// Stationary weight bits, 1..=8 (systolic) (default 8)
    #[arg(long)]
    w_bits: Option<u32>,
    /// Bits of the residual's second operand (default 8)
    #[arg(long)]
    b_bits: Option<u32>,
    /// Largest reduction length the array must accumulate without overflow (default 768)
    #[arg(long)]
    max_k: Option<usize>,
    /// Pack two MACs sharing an activation into one DSP48E2 (systolic)
    #[arg(long)]
    dsp_packing: bool,
    /// The array on instantiated DSP48E2 cascades (systolic; UltraScale+)
    #[arg(long)]
    dsp_cascade: bool,
    /// Parallel lanes (requantizer, residual, gelu, softmax, layernorm) (default 8)
    #[arg(long)]
    lanes: Option<usize>,
    /// Accumulator bits the requantizer reads (default 26)
    #[arg(long)]
    acc_bits: Option<u32>,
    /// Input bits of the GELU table and of LayerNorm (default 8)
    #[arg(long)]
    in_bits: Option<u32>,
    /// Output bits (requantizer, residual, gelu, softmax, layernorm) (default 8)
    #[arg(long)]
    out_bits: Option<u32>,
    /// Width of softmax input scores (default 26)
    #[arg(long)]
    z_bits: Option<u32>,
    /// Longest row (softmax, layernorm) (default 197)
    #[arg(long)]
    max_len: Option<usize>,
    /// Buffer word width in bits (default 64)
    #[arg(long)]
    width: Option<u32>,
    /// Buffer depth in words (default 1024)
    #[arg(long)]
    depth: Option<usize>,
    /// Buffer memory style (default block)
    #[arg(long, value_enum)]
    style: Option<Style>,
    /// Output directory (the unit's .v file is written into it; other files are kept)
    #[arg(long)]
    out: PathBuf,
}

impl Unit {
    /// The flags each unit reads; any other parameter flag is refused.
    fn flags(self) -> &'static [&'static str] {
        match self {
            Unit::Systolic => &["--array", "--a-bits", "--w-bits", "--max-k", "--dsp-packing", "--dsp-cascade"],
            Unit::Requantizer => &["--lanes", "--acc-bits", "--out-bits"],
            Unit::Residual => &["--lanes", "--a-bits", "--b-bits", "--out-bits"],
            Unit::Gelu => &["--lanes", "--in-bits", "--out-bits"],
            Unit::Softmax => &["--lanes", "--z-bits", "--out-bits", "--max-len"],
            Unit::Layernorm => &["--lanes", "--in-bits", "--out-bits", "--max-len"],
            Unit::Buffer => &["--width", "--depth", "--style"],
        }
    }
}

impl Args {
    /// Refuse a parameter flag the chosen unit does not read, rather than ignore it.
    fn check_flags(&self) -> Result<(), CliError> {
        let given = [
            ("--array", self.array.is_some()),
            ("--a-bits", self.a_bits.is_some()),
            ("--w-bits", self.w_bits.is_some()),
            ("--b-bits", self.b_bits.is_some()),
            ("--max-k", self.max_k.is_some()),
            ("--dsp-packing", self.dsp_packing),
            ("--dsp-cascade", self.dsp_cascade),
            ("--lanes", self.lanes.is_some()),
            ("--acc-bits", self.acc_bits.is_some()),
            ("--in-bits", self.in_bits.is_some()),
            ("--out-bits", self.out_bits.is_some()),
            ("--z-bits", self.z_bits.is_some()),
            ("--max-len", self.max_len.is_some()),
            ("--width", self.width.is_some()),
            ("--depth", self.depth.is_some()),
            ("--style", self.style.is_some()),
        ];
        let takes = self.unit.flags();
        let unused: Vec<&str> = given.iter().filter(|(f, set)| *set && !takes.contains(f)).map(|(f, _)| *f).collect();
        if unused.is_empty() {
            return Ok(());
        }
        let unit = clap::ValueEnum::to_possible_value(&self.unit).map(|v| v.get_name().to_string()).unwrap_or_default();
        Err(CliError::Usage(format!(
            "emit-unit {unit} does not take {}; it takes {}",
            unused.join(", "),
            takes.join(", ")
        )))
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("unit parameters serialise")
}

pub fn run(a: Args, out: Output) -> Result<(), CliError> {
    a.check_flags()?;
    crate::output::check_dir_path(&a.out)?;
    let hw = |e: vitfpga_hw::HwError| CliError::Usage(e.to_string());
    let (rows, cols) = match &a.array {
        Some(s) => vitfpga_compiler::DesignSpec::parse_array(s)?,
        None => (8, 8),
    };
    let (a_bits, w_bits, b_bits) = (a.a_bits.unwrap_or(8), a.w_bits.unwrap_or(8), a.b_bits.unwrap_or(8));
    let (max_k, lanes, acc_bits) = (a.max_k.unwrap_or(768), a.lanes.unwrap_or(8), a.acc_bits.unwrap_or(26));
    let (in_bits, out_bits, z_bits) = (a.in_bits.unwrap_or(8), a.out_bits.unwrap_or(8), a.z_bits.unwrap_or(26));
    let max_len = a.max_len.unwrap_or(197);
    let (rtl, params, timing): (Rtl, serde_json::Value, serde_json::Value) = match a.unit {
        Unit::Systolic => {
            let u = SystolicArray::new(rows, cols, a_bits, w_bits, max_k, a.dsp_packing)
                .and_then(|u| u.with_dsp_cascade(a.dsp_cascade))
                .map_err(hw)?;
            // Fabric arrays reuse a bank after `bank_reuse_delay`; cascades load the next tile's
            // first row `swap_delay` cycles after a tile's first vector.
            let reload =
                if u.dsp_cascade { ("swap_delay", u.swap_delay()) } else { ("bank_reuse_delay", u.bank_reuse_delay()) };
            let mut t = serde_json::json!({"latency": u.latency(), "initiation_interval": u.initiation_interval(),
                "weight_load_cycles": u.weight_load_cycles(), "dsp48e2": u.dsp_count()});
            t[reload.0] = reload.1.into();
            (u.rtl(), to_json(&u), t)
        }
        Unit::Requantizer => {
            let u = Requantizer::new(lanes, acc_bits, out_bits).map_err(hw)?;
            let t = serde_json::json!({"latency": u.latency(), "initiation_interval": u.initiation_interval()});
            (u.rtl(), to_json(&u), t)
        }
        Unit::Residual => {
            let u = ResidualAdder::new(lanes, a_bits, b_bits, out_bits).map_err(hw)?;
            let t = serde_json::json!({"latency": u.latency(), "initiation_interval": u.initiation_interval()});
            (u.rtl(), to_json(&u), t)
        }
        Unit::Gelu => {
            let u = LookupUnit::new(lanes, in_bits, out_bits).map_err(hw)?;
            let t = serde_json::json!({"latency": u.latency(), "initiation_interval": u.initiation_interval(), "table_load_cycles": u.table_load_cycles()});
            (u.rtl(), to_json(&u), t)
        }
        Unit::Softmax => {
            let u = SoftmaxUnit::new(lanes, z_bits, out_bits, max_len).map_err(hw)?;
            let n = max_len;
            let r = u.timing();
            let t = serde_json::json!({"first_output_delay_max_row": r.first_output_delay(n), "ready_delay_max_row": r.ready_delay(n), "cycles_per_max_row": r.cycles_per_row(n)});
            (u.rtl(), to_json(&u), t)
        }
        Unit::Layernorm => {
            let u = LayerNormUnit::new(lanes, in_bits, out_bits, max_len).map_err(hw)?;
            let n = max_len;
            let r = u.timing();
            let t = serde_json::json!({"first_output_delay_max_row": r.first_output_delay(n), "ready_delay_max_row": r.ready_delay(n), "cycles_per_max_row": r.cycles_per_row(n)});
            (u.rtl(), to_json(&u), t)
        }
        Unit::Buffer => {
            let style = match a.style.unwrap_or(Style::Block) {
                Style::Block => RamStyle::Block,
                Style::Ultra => RamStyle::Ultra,
                Style::Distributed => RamStyle::Distributed,
            };
            let u = Buffer::new(a.width.unwrap_or(64), a.depth.unwrap_or(1024), style).map_err(hw)?;
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
