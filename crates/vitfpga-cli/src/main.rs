//! `vitfpga`: quantized Vision Transformer -> verified FPGA accelerator.

mod commands;
mod error;
mod output;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "vitfpga",
    version,
    about = "Turn a quantized Vision Transformer into a verified FPGA accelerator",
    long_about = "Turn a quantized Vision Transformer into a verified FPGA accelerator.\n\n\
A model is a preset (deit-tiny, deit-small, deit-base, vit-base-16, vit-large-16) or a TOML file with\n\
timm's field names. Typical flow:\n  \
vitfpga info --model deit-tiny\n  \
vitfpga quantize --model m.toml --weights w.safetensors --calib calib.npy --w-bits 8 --a-bits 8 --out m.vq\n  \
vitfpga eval --quantized m.vq --images test.npy --labels labels.npy"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    out: output::Output,
}

#[derive(Subcommand)]
enum Command {
    /// Print the operator graph with shapes, MACs and parameters
    Info(commands::info::Args),
    /// Quantize a model to the integer-only golden model (.vq file)
    Quantize(commands::quantize::Args),
    /// Compare integer and float inference: top-1, agreement, per-layer SQNR
    Eval(commands::eval::Args),
    /// Time the golden model: GMAC/s and images/s
    Bench(commands::bench::Args),
    /// Write one hardware unit's Verilog (systolic array, requantizer, softmax, ...)
    EmitUnit(commands::emit_unit::Args),
    /// Cycle-accurate simulation of one frame: cycles, MAC utilization, FPS
    Simulate(commands::simulate::Args),
    /// Compile a model into an accelerator: RTL, program, DRAM image, summary
    Build(commands::build::Args),
    /// Run images on the generated RTL (Verilator): bit-exact with the golden model, cycle-exact with the simulator
    ///
    /// The first run of a design builds its Verilator simulator (a minute or more for a large
    /// core) and caches it ($VITFPGA_COSIM_CACHE, else the system temp dir), so later runs of the
    /// same design start in seconds. Each phase (Verilator build or cache hit, co-simulation) is
    /// reported by a line on stderr.
    Verify(commands::verify::Args),
    /// Print a program.bin as text
    Disasm(commands::disasm::Args),
    /// Resource estimate and throughput as report.md / report.json / report.html
    Report(commands::report::Args),
    /// The most accurate design (weight/activation bits, array) that meets a target frame rate
    Search(commands::search::Args),
    /// Check the external tools (Verilator, Yosys, Icarus, Vivado) and their versions
    Doctor(commands::doctor::Args),
}

fn main() {
    // A closed stdout (`vitfpga info | head`) ends the program quietly, as Unix tools do, rather
    // than panicking in println!: restore the default SIGPIPE action that Rust's runtime ignores.
    #[cfg(unix)]
    // SAFETY: called first thing, before any other thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info(a) => commands::info::run(a, cli.out),
        Command::Quantize(a) => commands::quantize::run(a, cli.out),
        Command::Eval(a) => commands::eval::run(a, cli.out),
        Command::Bench(a) => commands::bench::run(a, cli.out),
        Command::EmitUnit(a) => commands::emit_unit::run(a, cli.out),
        Command::Simulate(a) => commands::simulate::run(a, cli.out),
        Command::Disasm(a) => commands::disasm::run(a, cli.out),
        Command::Build(a) => commands::build::run(a, cli.out),
        Command::Verify(a) => commands::verify::run(a, cli.out),
        Command::Report(a) => commands::report::run(a, cli.out),
        Command::Search(a) => commands::search::run(a, cli.out),
        Command::Doctor(a) => commands::doctor::run(a, cli.out),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
