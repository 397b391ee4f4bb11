/// Every failure a command can report; each message names the problem and the input.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Model(#[from] vitfpga_model::ModelError),
    #[error(transparent)]
    Quant(#[from] vitfpga_quant::QuantError),
    #[error(transparent)]
    File(#[from] vitfpga_golden::FileError),
    #[error(transparent)]
    Invalid(#[from] vitfpga_golden::InvalidModel),
    #[error("{0}")]
    Graph(#[from] vitfpga_graph::GraphError),
    #[error(transparent)]
    Compile(#[from] vitfpga_compiler::CompileError),
    #[error(transparent)]
    Device(#[from] vitfpga_device::DeviceError),
    #[error(transparent)]
    Cosim(#[from] vitfpga_cosim::CosimError),
    #[error("{0}")]
    Usage(String),
    /// A file operation failed: `op` says which ("read", "write", "create", "replace"), `path`
    /// is the path the user gave (never a hidden temporary).
    #[error("cannot {op} {path}: {source}")]
    Io { op: &'static str, path: String, source: std::io::Error },
}

impl CliError {
    /// A failed read of `path`.
    pub fn read(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
        move |source| CliError::Io { op: "read", path: path.display().to_string(), source }
    }
}
