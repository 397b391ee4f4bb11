//! The integer kernels. Each is a pure function of integers; docs/arithmetic.md states the
//! same formulas, and the RTL units must equal these functions bit for bit.

pub mod gemm;
pub mod layernorm;
pub mod requantize;
pub mod softmax;
