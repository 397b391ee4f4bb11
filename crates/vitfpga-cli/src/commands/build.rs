//! `vitfpga build`: compile a model for a device and write the design directory:
//! `rtl/vitfpga_accel.v`, `program.bin` (+ `program.txt`), `dram.bin` (program and constants at
//! their addresses; the host writes the image), `constraints/clock.xdc` and `summary.json`.

use std::path::{Path, PathBuf};

use vitfpga_compiler::CompileOptions;

use crate::error::CliError;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    source: super::design::Source,
    #[command(flatten)]
    design: super::design::DesignArgs,
    /// Output directory (replaced as a whole, never left half-written)
    #[arg(long)]
    out: PathBuf,
    /// Store every intermediate tensor to DRAM (verification builds)
    #[arg(long)]
    dump_intermediates: bool,
    /// Print the summary as JSON
    #[arg(long)]
    json: bool,
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), CliError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|source| CliError::Io { path: d.display().to_string(), source })?;
    }
    std::fs::write(path, bytes).map_err(|source| CliError::Io { path: path.display().to_string(), source })
}

pub fn run(a: Args) -> Result<(), CliError> {
    let qm = a.source.load(a.json)?;
    let c = a.design.compile(&qm, CompileOptions { dump_intermediates: a.dump_intermediates })?;
    let p = &c.program;
    let timeline = vitfpga_sim::timing::run(p);
    let f = vitfpga_sim::figures(p, &timeline);
    // Build everything in a sibling temporary directory, then move it into place.
    let parent = a.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|source| CliError::Io { path: parent.display().to_string(), source })?;
    let name = a.out.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "build".into());
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| -> Result<(), CliError> {
        write(&tmp.join("rtl").join("vitfpga_accel.v"), vitfpga_compiler::rtl::verilog(p))?;
        write(&tmp.join("program.bin"), p.to_bytes())?;
        write(&tmp.join("program.txt"), vitfpga_compiler::disasm::disasm(p))?;
        let blank = vec![0u8; p.dram.image.bytes as usize];
        write(&tmp.join("dram.bin"), vitfpga_compiler::image::dram_image(p, &c.constants, &blank))?;
        let period = 1000.0 / p.config.clock_mhz;
        write(
            &tmp.join("constraints").join("clock.xdc"),
            format!("create_clock -period {period:.3} -name clk [get_ports clk]\n"),
        )?;
        let summary = serde_json::json!({
            "model": p.model,
            "config": p.config,
            "dram": p.dram,
            "instructions": { "load": p.load.len(), "exec": p.exec.len(), "store": p.store.len() },
            "cycles_per_frame": f.cycles_per_frame,
            "mac_utilization": f.mac_utilization,
            "fps": f.fps,
            "gops": f.gops,
            "dsp": p.config.dsp_count(),
        });
        write(&tmp.join("summary.json"), serde_json::to_string_pretty(&summary).expect("serialisable"))?;
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if a.out.exists() {
        std::fs::remove_dir_all(&a.out).map_err(|source| CliError::Io { path: a.out.display().to_string(), source })?;
    }
    std::fs::rename(&tmp, &a.out).map_err(|source| CliError::Io { path: a.out.display().to_string(), source })?;
    if a.json {
        super::print_json(&serde_json::json!({
            "out": a.out.display().to_string(),
            "cycles_per_frame": f.cycles_per_frame, "mac_utilization": f.mac_utilization, "fps": f.fps,
            "array": format!("{}x{}", p.config.rows, p.config.cols), "dsp": p.config.dsp_count(),
        }));
    } else {
        println!(
            "wrote {}: {} on {} ({}x{} array{}, {} DSPs), {} instructions; simulated {} cycles/frame, {:.2} FPS at {} MHz, MAC utilization {:.3}",
            a.out.display(),
            p.model,
            p.config.device,
            p.config.rows,
            p.config.cols,
            if p.config.dsp_packing { ", DSP-packed" } else { "" },
            p.config.dsp_count(),
            p.instructions(),
            f.cycles_per_frame,
            f.fps,
            p.config.clock_mhz,
            f.mac_utilization
        );
    }
    Ok(())
}
