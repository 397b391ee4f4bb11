//! The host's C header (`host/vitfpga_program.h`, `vitfpga_compiler::header`) against the tool: a C
//! program compiled with the system's C compiler packs an image with the header's
//! `vitfpga_image_offset` and reads the logits with `vitfpga_logit`; the image bytes equal the
//! compiler's (`pack_image`) and the logits equal the simulator's and the golden model's. Two
//! designs: square lanes, and a packed 5x4 array whose scratchpad word (20 lanes) splits patches.

use std::path::{Path, PathBuf};
use std::process::Command;

use vitfpga_compiler::{compile, CompileOptions, DesignSpec};
use vitfpga_device::Device;
use vitfpga_golden::Golden;
use vitfpga_model::{load_images, ModelConfig, Weights};
use vitfpga_quant::{quantize_model, QuantConfig};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn check(rows: usize, cols: usize, pack: bool) {
    let dir = root().join("fixtures/digits");
    let cfg = ModelConfig::from_file(&dir.join("model.toml")).unwrap();
    let w = Weights::load_safetensors(&dir.join("weights.safetensors"), &cfg).unwrap();
    let calib = load_images(&dir.join("calib_images.npy"), &cfg).unwrap();
    let test = load_images(&dir.join("test_images.npy"), &cfg).unwrap();
    let qm = quantize_model(&cfg, &w, &calib, &QuantConfig::uniform(8, 8)).unwrap();
    let spec = DesignSpec { rows: Some(rows), cols: Some(cols), dsp_packing: Some(pack), ..Default::default() };
    let c = compile(
        &qm,
        &Device::resolve("zcu102").unwrap(),
        &spec,
        CompileOptions { allow_overfill: true, ..Default::default() },
    )
    .unwrap();
    let p = &c.program;

    // The tool's side: image bytes, a simulated frame, its logits; the golden logits.
    let golden = Golden::new(&qm).unwrap();
    let img = test.image(3).to_vec();
    let q = golden.quantize_input(&img);
    let g = &golden.model.graph;
    let shape = g.node(g.find("input").unwrap()).shape.clone();
    let patch = g.model.patch_size;
    let packed = vitfpga_compiler::image::pack_image(p, &q, &shape, patch);
    let patches = vitfpga_golden::run::patchify(&q, &shape, patch);
    let dram = vitfpga_compiler::image::dram_image(p, &c.constants, &packed);
    let run = vitfpga_sim::simulate(p, dram, false);
    let logits = run.logits(p);
    assert_eq!(logits, golden.run(&img), "the simulator's logits are the golden model's");
    let r = &p.dram.logits;
    let logit_bytes = &run.dram[r.addr as usize..(r.addr + r.bytes) as usize];

    // The host's side, in C.
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    std::fs::write(t.join("vitfpga_program.h"), vitfpga_compiler::header::c_header(p)).unwrap();
    std::fs::write(t.join("patches.bin"), patches.iter().map(|&v| v as u8).collect::<Vec<_>>()).unwrap();
    std::fs::write(t.join("logits.bin"), logit_bytes).unwrap();
    let main = format!(
        r#"#include <stdio.h>
#include "vitfpga_program.h"
_Static_assert(VITFPGA_DRAM_IMAGE_ADDR == {img_addr}ull, "image address");
_Static_assert(VITFPGA_DRAM_LOGITS_ADDR == {logits_addr}ull, "logits address");
_Static_assert(VITFPGA_N_EXEC == {n_exec}u, "exec instructions");
_Static_assert(VITFPGA_OP_GEMM == {gemm}u, "GEMM opcode");
_Static_assert(VITFPGA_F_G_EPI == {epi}u, "epilogue field");
static uint8_t image[VITFPGA_DRAM_IMAGE_BYTES];
static uint8_t logits[VITFPGA_DRAM_LOGITS_BYTES];
int main(void) {{
    FILE *f = fopen("patches.bin", "rb");
    if (!f) return 2;
    for (uint32_t p = 0; p < VITFPGA_IMAGE_PATCHES; p++)
        for (uint32_t e = 0; e < VITFPGA_IMAGE_PATCH_ELEMS; e++) {{
            int c = fgetc(f);
            if (c == EOF) return 3;
            image[vitfpga_image_offset(p, e)] = (uint8_t)c;
        }}
    fclose(f);
    f = fopen("image.bin", "wb");
    if (!f || fwrite(image, 1, sizeof image, f) != sizeof image) return 4;
    fclose(f);
    f = fopen("logits.bin", "rb");
    if (!f || fread(logits, 1, sizeof logits, f) != sizeof logits) return 5;
    fclose(f);
    for (uint32_t k = 0; k < VITFPGA_LOGITS_CLASSES; k++) printf("%ld\n", (long)vitfpga_logit(logits, k));
    return 0;
}}
"#,
        img_addr = p.dram.image.addr,
        logits_addr = p.dram.logits.addr,
        n_exec = p.exec.len(),
        gemm = vitfpga_compiler::encode::op::GEMM,
        epi = vitfpga_compiler::encode::f::G_EPI,
    );
    std::fs::write(t.join("main.c"), main).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let built = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-o", "host", "main.c"])
        .current_dir(t)
        .output()
        .unwrap_or_else(|e| panic!("the C compiler `{cc}` (set CC to choose another) could not run: {e}"));
    assert!(built.status.success(), "{}", String::from_utf8_lossy(&built.stderr));
    let ran = Command::new(t.join("host")).current_dir(t).output().unwrap();
    assert!(ran.status.success(), "host program: {:?}", ran.status);
    assert_eq!(std::fs::read(t.join("image.bin")).unwrap(), packed, "{rows}x{cols}: image bytes");
    let c_logits: Vec<i64> = String::from_utf8(ran.stdout).unwrap().lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(c_logits, logits, "{rows}x{cols}: logits read through the header");
}

#[test]
fn c_header_packs_the_image_and_reads_the_logits_as_the_tool_does() {
    check(8, 8, false);
    check(5, 4, true);
}
