//! `vitfpga disasm program.bin`: the program as text.

use std::path::PathBuf;

use crate::error::CliError;

#[derive(clap::Args)]
pub struct Args {
    /// A program.bin written by `vitfpga build`
    program: PathBuf,
}

pub fn run(a: Args) -> Result<(), CliError> {
    let p = vitfpga_compiler::Program::load(&a.program)?;
    print!("{}", vitfpga_compiler::disasm::disasm(&p));
    Ok(())
}
