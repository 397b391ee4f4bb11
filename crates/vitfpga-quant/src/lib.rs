//! Quantisation stage: float model + calibration images -> [`vitfpga_golden::QuantizedModel`],
//! and the accuracy of the result against the float reference ([`evaluate`]).

mod calibrate;
mod config;
mod error;
mod eval;
mod ptq;

pub use calibrate::{calibrate, calibrate_with_progress, synthetic_images, Calibration};
pub use config::{CalibMethod, LayerQuant, QuantConfig, Resolved};
pub use error::QuantError;
pub use eval::{argmax, evaluate, evaluate_against, float_traces, float_traces_of, EvalReport, LayerSqnr};
pub use ptq::{quantize, quantize_model, quantize_model_with_progress, LOGIT_BITS};
