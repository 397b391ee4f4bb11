//! Design flags shared by `build`, `simulate` and `verify`, and compiling a model with them.

use std::path::PathBuf;

use vitfpga_compiler::{compile, CompileOptions, Compiled, DesignSpec};
use vitfpga_device::Device;
use vitfpga_golden::QuantizedModel;

use crate::error::CliError;
use crate::output::Output;

/// `--device`'s help: the built-in boards by name.
pub fn device_help() -> String {
    format!("Built-in board ({}; any case) or a device TOML path", vitfpga_device::names().join(", "))
}

#[derive(clap::Args, Clone, Debug)]
pub struct DesignArgs {
    #[arg(long, default_value = "zcu102", help = device_help())]
    pub device: String,
    /// Systolic array RxC, sides in 2..=128 (default: the fastest that fits the device's caps, by
    /// the cycle model, ties to fewer LUTs; with and without DSP packing unless --dsp-packing)
    #[arg(long)]
    pub array: Option<String>,
    /// Clock in MHz, in (0, 1000] (default: the device's)
    #[arg(long, allow_negative_numbers = true)]
    pub clock_mhz: Option<f64>,
    /// Pack two MACs into each DSP48E2
    #[arg(long)]
    pub dsp_packing: bool,
    /// The array on DSP48E2 cascades: partial sums and weights in the DSPs, one DSP48E2 per PE
    /// (two MACs with --dsp-packing), no fabric adders (the default on DSP48E2 devices with
    /// multiplying weights; not for binary weights)
    #[arg(long, conflicts_with = "no_dsp_cascade")]
    pub dsp_cascade: bool,
    /// The array's partial sums in fabric adders (the array before DSP cascades)
    #[arg(long)]
    pub no_dsp_cascade: bool,
    /// Parallel softmax row units, 1..=64 (default: up to 8, from what the caps leave)
    #[arg(long)]
    pub softmax_units: Option<usize>,
    /// Parallel LayerNorm row units, 1..=64 (default: the fewest cycles per row within the caps)
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
    /// A .vq file from `vitfpga quantize` (or give --model and friends to quantize on the spot).
    /// It is already quantized: --model, --weights, --calib, --seed, --w-bits, --a-bits and --quant
    /// do not apply to it and are refused
    #[arg(long, conflicts_with_all = ["model", "weights", "calib", "seed", "w_bits", "a_bits", "quant"])]
    pub quantized: Option<PathBuf>,
    #[command(flatten)]
    pub model: super::ModelArgs,
}

impl Source {
    /// The checks `load` makes before its expensive work (reading weights, calibrating).
    pub fn validate(&self) -> Result<(), CliError> {
        match &self.quantized {
            Some(p) if !p.is_file() => Err(CliError::Usage(format!("--quantized {}: no such file", p.display()))),
            Some(_) => Ok(()),
            None => self.model.validate().map(|_| ()),
        }
    }

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
                let text = std::fs::read_to_string(p).map_err(CliError::read(p))?;
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
        if self.dsp_cascade {
            spec.dsp_cascade = Some(true);
        }
        if self.no_dsp_cascade {
            spec.dsp_cascade = Some(false);
        }
        spec.clock_mhz = self.clock_mhz.or(spec.clock_mhz);
        spec.softmax_units = self.softmax_units.or(spec.softmax_units);
        spec.layernorm_units = self.layernorm_units.or(spec.layernorm_units);
        spec.layernorm_lanes = self.layernorm_lanes.or(spec.layernorm_lanes);
        Ok(spec)
    }

    /// Every design flag checked without the model: the device, the array, ranges. Commands call
    /// it before calibrating, so a typo fails at once.
    pub fn validate(&self) -> Result<(), CliError> {
        let device = Device::resolve(&self.device)?;
        let spec = self.spec()?;
        spec.validate()?;
        // As the compiler decides it: the family's resource model (Versal is estimated as xcup).
        let family =
            vitfpga_hw::resources::Family::from_name(&device.family).unwrap_or(vitfpga_hw::resources::Family::Xcup);
        if spec.dsp_cascade == Some(true) && device.dsp_type != vitfpga_device::DspType::DSP48E2 {
            return Err(CliError::Usage(format!(
                "--dsp-cascade instantiates DSP48E2 (UltraScale+); {} ({}) has {:?}",
                device.name, device.part, device.dsp_type
            )));
        }
        if spec.dsp_packing == Some(true) && !family.packs_two_macs() {
            return Err(CliError::Usage(format!(
                "--dsp-packing needs the 27-bit port of a DSP48E2; {} ({}) has {:?}",
                device.name, device.part, device.dsp_type
            )));
        }
        Ok(())
    }

    pub fn compile(&self, qm: &QuantizedModel, opts: CompileOptions, out: &Output) -> Result<Compiled, CliError> {
        let device = Device::resolve(&self.device)?;
        // `resolve` (inside `fastest_design` and `compile`) validates the spec.
        let mut spec = self.spec()?;
        if spec.rows.is_none() {
            // No array given: the fastest that fits, by the cycle model (the same figures
            // `simulate` prints); when none fits, the compiler's choice and its fit error.
            if let Some((fastest, f, n)) = vitfpga_search::fastest_design(qm, &device, &spec) {
                out.note(format!(
                    "no --array given; {}x{}{} is the fastest of {n} array shapes that fit {} ({:.2} FPS simulated)",
                    fastest.rows.unwrap_or(0),
                    fastest.cols.unwrap_or(0),
                    if fastest.dsp_packing == Some(true) { " DSP-packed" } else { "" },
                    device.name,
                    f.fps
                ));
                spec = fastest;
            }
        }
        let c = compile(qm, &device, &spec, CompileOptions { allow_overfill: self.allow_overfill, ..opts })?;
        for w in &c.warnings {
            out.warn(w);
        }
        Ok(c)
    }
}
