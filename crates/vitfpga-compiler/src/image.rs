//! What the host writes into DRAM before it starts the accelerator: the constants and the
//! image, patch-major with rows padded to scratchpad words; and how it reads results back.

use crate::program::{Buffer, Program, TensorDesc};

/// The quantised image `[C, H, W]` as the accelerator reads it: `[patches, C*P*P]` (each patch
/// flattened `(c, y, x)` like timm's conv weight), rows padded to whole scratchpad words.
pub fn pack_image(program: &Program, chw: &[i8], shape: &[usize], patch: usize) -> Vec<u8> {
    let patches = vitfpga_golden::run::patchify(chw, shape, patch);
    let t = &program.tensors[0];
    let lanes = program.config.lanes;
    let k = t.view.seg_len as usize;
    let stride = dram_word_bytes(program, Buffer::Spad);
    let row_words = t.view.row_words as usize;
    let mut out = vec![0u8; t.rows * row_words * stride];
    for (r, row) in patches.chunks(k).enumerate() {
        for (i, &v) in row.iter().enumerate() {
            out[(r * row_words + i / lanes) * stride + i % lanes] = v as u8;
        }
    }
    out
}

/// Bytes a buffer word occupies in DRAM: padded to whole beats.
pub fn dram_word_bytes(program: &Program, b: Buffer) -> usize {
    crate::encode::beats_per_word(program, b) as usize * program.config.bus_bytes
}

/// The initial DRAM: the encoded program, the constants and the image at their regions.
pub fn dram_image(program: &Program, constants: &[u8], image: &[u8]) -> Vec<u8> {
    let d = &program.dram;
    let mut mem = vec![0u8; d.total_bytes as usize];
    let code = crate::encode::encode(program);
    assert_eq!(code.len() as u64, d.program.bytes, "the program region holds the encoded program");
    mem[d.program.addr as usize..][..code.len()].copy_from_slice(&code);
    mem[d.constants.addr as usize..][..constants.len()].copy_from_slice(constants);
    mem[d.image.addr as usize..][..image.len()].copy_from_slice(image);
    mem
}

/// A stored tensor's values, dense `[rows, features]`, from its DRAM region (words padded
/// to whole beats).
pub fn unpack_stored(program: &Program, t: &TensorDesc, region: &[u8]) -> Vec<i64> {
    let stride = dram_word_bytes(program, t.buffer);
    let raw_bytes = match t.buffer {
        Buffer::Spad => program.config.lanes,
        Buffer::Sbuf => program.config.cols * 4,
    };
    let raw: Vec<u8> = region.chunks(stride).flat_map(|w| w[..raw_bytes].to_vec()).collect();
    unpack_tensor(program, t, &raw)
}

/// A tensor's values, dense `[rows, features]`, from its raw buffer words.
pub fn unpack_tensor(program: &Program, t: &TensorDesc, raw: &[u8]) -> Vec<i64> {
    let v = t.view;
    let cfg = &program.config;
    let len = v.seg_len as usize;
    let mut out = Vec::with_capacity(t.rows * v.segs as usize * len);
    for r in 0..t.rows {
        for s in 0..v.segs as usize {
            for f in 0..len {
                out.push(match t.buffer {
                    Buffer::Spad => {
                        let word = r * v.row_words as usize + s * v.seg_words as usize + f / cfg.lanes;
                        raw[word * cfg.lanes + f % cfg.lanes] as i8 as i64
                    }
                    Buffer::Sbuf => {
                        // Score-buffer tensors are tile-major: word = tile * rows + row.
                        let word = (f / cfg.cols) * t.rows + r;
                        let at = (word * cfg.cols + f % cfg.cols) * 4;
                        i32::from_le_bytes(raw[at..at + 4].try_into().unwrap()) as i64
                    }
                });
            }
        }
    }
    out
}
