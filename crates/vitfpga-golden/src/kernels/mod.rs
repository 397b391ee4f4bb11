//! The integer kernels. Each is a pure function of integers; docs/arithmetic.md states the
//! same formulas, and the RTL units must equal these functions bit for bit.

pub mod gemm;
pub mod layernorm;
pub mod requantize;
pub mod softmax;

/// AVX-512 (F, DQ, VL, BW) present: the element-wise loops compiled for it are chosen at run
/// time (detected once). The loops are the same Rust in both versions, so the integers are too.
pub(crate) fn avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static WIDE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *WIDE.get_or_init(|| {
            std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512dq")
                && std::is_x86_feature_detected!("avx512vl")
                && std::is_x86_feature_detected!("avx512bw")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}
