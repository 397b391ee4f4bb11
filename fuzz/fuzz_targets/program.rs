#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| vitfpga_fuzz::program(data));
