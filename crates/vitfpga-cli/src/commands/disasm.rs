//! `vitfpga disasm program.bin`: the program as text.

use std::path::PathBuf;

use crate::error::CliError;
use crate::output::Output;

#[derive(clap::Args)]
pub struct Args {
    /// A program.bin written by `vitfpga build`
    program: PathBuf,
}

pub fn run(a: Args, out: Output) -> Result<(), CliError> {
    let p = vitfpga_compiler::Program::load(&a.program)?;
    out.data(&p, || vitfpga_compiler::disasm::disasm(&p));
    Ok(())
}
