//! One file per unit: parameters, RTL generator, cycle model.

pub mod buffer;
pub mod layernorm;
pub mod lut;
pub mod requant;
pub mod residual;
pub mod softmax;
pub mod systolic;
