#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| vitfpga_fuzz::model_toml(data));
