//! The accelerator's Verilog for a configuration: `vf_accel` with this config's parameters and
//! the encoder's field slots (one record drives the generator and the program format).

use crate::encode::{field_names, op};
use vitfpga_hw::units::banked::BankedBuffer;

use crate::program::{port, Program};

/// Verilog localparams for every instruction field slot and opcode.
pub fn isa_localparams() -> String {
    let mut s = String::from("    // Instruction format (crates/vitfpga-compiler/src/encode.rs).\n");
    for (name, slot) in field_names() {
        s.push_str(&format!("    localparam integer F_{name} = {slot};\n"));
    }
    // Bits of an instruction the core keeps on chip, per queue (the used slots only).
    s.push_str(&format!("    localparam integer IW_LS = {};\n", crate::encode::f::LS_SLOTS * 32));
    s.push_str(&format!("    localparam integer IW_X = {};\n", crate::encode::f::EXEC_SLOTS * 32));
    for (name, v) in op::ALL {
        s.push_str(&format!("    localparam [31:0] OP_{name} = 32'd{v};\n"));
    }
    s
}

/// Parameters of the core for this program's configuration.
pub fn params(p: &Program) -> Vec<(&'static str, i64)> {
    let c = &p.config;
    let max_m = p
        .exec
        .iter()
        .filter_map(|e| match &e.op {
            crate::program::ExecOp::Gemm(g) => Some(g.m as i64),
            _ => None,
        })
        .max()
        .unwrap_or(1);
    let beats = |b| crate::encode::beats_per_word(p, b) as i64;
    vec![
        ("R", c.rows as i64),
        ("C", c.cols as i64),
        ("V", c.lanes as i64),
        ("A_BITS", c.a_bits as i64),
        ("W_BITS", c.w_bits as i64),
        ("ACC_BITS", c.acc_bits as i64),
        ("PACK", c.dsp_packing as i64),
        ("CASCADE", c.dsp_cascade as i64),
        ("SPAD_WORDS", c.spad_words as i64),
        ("SBUF_WORDS", c.sbuf_words as i64),
        ("ACC_DEPTH", max_m),
        ("BUS", c.bus_bytes as i64),
        ("BPW", c.beats_per_word() as i64),
        ("FIFO_WORDS", (c.stream_fifo_beats / c.beats_per_word()) as i64),
        ("SPAD_BEATS", beats(crate::program::Buffer::Spad)),
        ("SBUF_BEATS", beats(crate::program::Buffer::Sbuf)),
        ("IMEM_L", p.load.len().max(1) as i64),
        ("IMEM_E", p.exec.len().max(1) as i64),
        ("IMEM_S", p.store.len().max(1) as i64),
        ("SM_UNITS", c.softmax_units as i64),
        ("SM_Z", c.softmax_z_bits as i64),
        ("SM_OUT", c.softmax_out_bits as i64),
        ("SM_MAX", c.softmax_max_len as i64),
        ("LN_UNITS", c.layernorm_units as i64),
        ("LN_L", c.layernorm_lanes as i64),
        ("LN_OUT", c.layernorm_out_bits as i64),
        ("LN_MAX", c.layernorm_max_len as i64),
    ]
}

/// The scratchpad (`vf_spad`) and score buffer (`vf_sbuf`) as banked by `alloc`.
pub fn buffers(p: &Program) -> [BankedBuffer; 2] {
    let c = &p.config;
    [
        BankedBuffer {
            module: "vf_spad".into(),
            lanes: c.lanes,
            lane_bits: 8,
            writers: port::SPAD_WRITERS,
            readers: port::SPAD_READERS,
            banks: c.spad_banks.clone(),
        },
        BankedBuffer {
            module: "vf_sbuf".into(),
            lanes: c.cols,
            lane_bits: 32,
            writers: port::SBUF_WRITERS,
            readers: port::SBUF_READERS,
            banks: c.sbuf_banks.clone(),
        },
    ]
}

/// `vitfpga_accel.v`: the whole core for this program's configuration.
pub fn verilog(p: &Program) -> String {
    vitfpga_hw::accel::verilog(&params(p), &isa_localparams(), &buffers(p))
}
