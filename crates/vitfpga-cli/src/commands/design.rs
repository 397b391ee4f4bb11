//! Design flags shared by `build`, `simulate` and `verify`, and compiling a model with them.

use std::path::PathBuf;

use vitfpga_compiler::{compile, CompileOptions, Compiled, DesignSpec};
use vitfpga_device::Device;
use vitfpga_golden::QuantizedModel;

use crate::error::CliError;
use crate::output::Output;

#[derive(clap::Args, Clone, Debug)]
pub struct DesignArgs {
    /// Built-in board name (zcu102) or a device TOML path
    #[arg(long, default_value = "zcu102")]
    pub device: String,
    /// Systolic array RxC (default: the largest that fits the device's DSPs)
    #[arg(long)]
    pub array: Option<String>,
    /// Clock in MHz (default: the device's)
    #[arg(long)]
    pub clock_mhz: Option<f64>,
    /// Pack two MACs into each DSP48E2
    #[arg(long)]
    pub dsp_packing: bool,
    /// Parallel softmax / LayerNorm row units
    #[arg(long)]
    pub softmax_units: Option<usize>,
    #[arg(long)]
    pub layernorm_units: Option<usize>,
    /// Lanes per LayerNorm unit (a divisor of lcm(rows, cols); default: fastest that fits)
    #[arg(long)]
    pub layernorm_lanes: Option<usize>,
    /// Design TOML (same fields); flags override it
    #[arg(long)]
    pub design: Option<PathBuf>,
    /// Over the device's caps is a warning instead of an error (exploration)
    #[arg(long)]
    pub allow_overfill: bool,
}

/// The quantised model: a .vq file, or a model quantised on the spot.
#[derive(clap::Args, Clone, Debug)]
pub struct Source {
    /// A .vq file from `vitfpga quantize` (or give --model and friends to quantize on the spot)
    #[arg(long, conflicts_with = "model")]
    pub quantized: Option<PathBuf>,
    #[command(flatten)]
    pub model: super::ModelArgs,
}

impl Source {
    pub fn load(&self, out: &Output) -> Result<QuantizedModel, CliError> {
        match &self.quantized {
            Some(p) => Ok(QuantizedModel::load(p)?),
            None => self.model.quantize(out),
        }
    }
}

impl DesignArgs {
    pub fn spec(&self) -> Result<DesignSpec, CliError> {
        let mut spec = match &self.design {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|source| CliError::Io { path: p.display().to_string(), source })?;
                DesignSpec::from_toml_str(&text, &p.display().to_string())?
            }
            None => DesignSpec::default(),
        };
        if let Some(a) = &self.array {
            let (r, c) = DesignSpec::parse_array(a)?;
            spec.rows = Some(r);
            spec.cols = Some(c);
        }
        if self.dsp_packing {
            spec.dsp_packing = Some(true);
        }
        spec.clock_mhz = self.clock_mhz.or(spec.clock_mhz);
        spec.softmax_units = self.softmax_units.or(spec.softmax_units);
        spec.layernorm_units = self.layernorm_units.or(spec.layernorm_units);
        spec.layernorm_lanes = self.layernorm_lanes.or(spec.layernorm_lanes);
        Ok(spec)
    }

    pub fn compile(&self, qm: &QuantizedModel, opts: CompileOptions, out: &Output) -> Result<Compiled, CliError> {
        let device = Device::resolve(&self.device)?;
        let c = compile(qm, &device, &self.spec()?, CompileOptions { allow_overfill: self.allow_overfill, ..opts })?;
        for w in &c.warnings {
            out.warn(w);
        }
        Ok(c)
    }
}
