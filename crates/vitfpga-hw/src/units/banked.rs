//! Banked buffer: a memory with several write and read ports built only from one-writer,
//! one-reader block RAMs (`hw/vf_bank.v`), so that no port ever waits for another.
//!
//! The compiler places every tensor in the bank of its writer and its set of readers (`Bank`);
//! each bank is a contiguous range of the buffer's word addresses and is kept as one copy per
//! reader, every copy written by the bank's one writer. A port's access goes to the bank whose
//! range holds its address. Cost: a bank's words once per reader, against a single memory with
//! all ports, which synthesis can only build from registers and multiplexers (docs/hardware.md,
//! "Whole core").

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

use crate::resources::{bank_copy, Resources};
use vitfpga_cosim::Port;

use crate::verilog::{leaf, Param, Rtl};

/// One bank: words `[base, base + words)`, written by port `writer`, read by the ports whose
/// bits are set in `readers`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bank {
    pub base: usize,
    pub words: usize,
    pub writer: usize,
    pub readers: u32,
}

impl Bank {
    pub fn is_read_by(&self, reader: usize) -> bool {
        self.readers >> reader & 1 == 1
    }
    pub fn copies(&self) -> u32 {
        self.readers.count_ones()
    }
}

/// A banked buffer module: `writers` write ports (`w<k>_we/addr/data/en`), `readers` read ports
/// (`r<k>_re/addr` in, `r<k>_q` out one cycle later, held until the port's next read).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankedBuffer {
    pub module: String,
    pub lanes: usize,
    pub lane_bits: usize,
    pub writers: usize,
    pub readers: usize,
    pub banks: Vec<Bank>,
}

fn addr_bits(words: usize) -> usize {
    (usize::BITS - words.max(2).saturating_sub(1).leading_zeros()) as usize
}

impl BankedBuffer {
    /// Block RAM (or distributed RAM, for the smallest banks) of every copy.
    pub fn resources(&self) -> Resources {
        let width = (self.lanes * self.lane_bits) as u64;
        self.banks.iter().map(|b| bank_copy(width, b.words as u64) * b.copies() as u64).sum()
    }

    /// Words held on chip, counting every copy.
    pub fn stored_words(&self) -> usize {
        self.banks.iter().map(|b| b.words * b.copies() as usize).sum()
    }

    /// The module text (without the `vf_bank` leaf, see `leaf_text`).
    pub fn verilog(&self) -> String {
        let w = self.lanes * self.lane_bits;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "// Banked buffer (crates/vitfpga-hw/src/units/banked.rs): {} banks, {} copies of one writer and one reader.",
            self.banks.len(),
            self.banks.iter().map(|b| b.copies()).sum::<u32>()
        );
        let _ = writeln!(s, "module {} (", self.module);
        let _ = writeln!(s, "    input  wire clk,");
        for k in 0..self.writers {
            let _ = writeln!(
                s,
                "    input  wire w{k}_we, input wire [31:0] w{k}_addr, input wire [{}:0] w{k}_data, input wire [{}:0] w{k}_en,",
                w - 1,
                self.lanes - 1
            );
        }
        for k in 0..self.readers {
            let comma = if k + 1 == self.readers { "" } else { "," };
            let _ = writeln!(
                s,
                "    input  wire r{k}_re, input wire [31:0] r{k}_addr, output wire [{}:0] r{k}_q{comma}",
                w - 1
            );
        }
        let _ = writeln!(s, ");");
        let in_bank = |port: &str, b: &Bank| {
            if b.base == 0 {
                // (An unsigned `>= 0` is a constant, which lint rejects.)
                format!("({port}_addr < 32'd{})", b.words)
            } else {
                format!("({port}_addr >= 32'd{} && {port}_addr < 32'd{})", b.base, b.base + b.words)
            }
        };
        for (i, b) in self.banks.iter().enumerate() {
            let aw = addr_bits(b.words);
            let _ = writeln!(
                s,
                "    // bank {i}: words {}..{}, written by port {}, read by ports {:?}",
                b.base,
                b.base + b.words,
                b.writer,
                (0..self.readers).filter(|&r| b.is_read_by(r)).collect::<Vec<_>>()
            );
            let _ = writeln!(s, "    wire b{i}_we = w{}_we && {};", b.writer, in_bank(&format!("w{}", b.writer), b));
            // Addresses within the bank: the low `aw` bits of (address - base), i.e. the low bits
            // of both (the base modulo 2^aw, so the literal fits its width).
            let base_lo = b.base % (1usize << aw);
            let _ =
                writeln!(s, "    wire [{}:0] b{i}_waddr = w{}_addr[{}:0] - {aw}'d{base_lo};", aw - 1, b.writer, aw - 1);
            for r in (0..self.readers).filter(|&r| b.is_read_by(r)) {
                let _ = writeln!(s, "    wire b{i}_r{r}_hit = {};", in_bank(&format!("r{r}"), b));
                let _ = writeln!(s, "    wire [{}:0] b{i}_r{r}_q;", w - 1);
                let _ = writeln!(
                    s,
                    "    vf_bank #(.LANES({}), .LW({}), .DEPTH({}), .AW({aw})) u_b{i}_r{r} (.clk(clk), .we(b{i}_we), \
                     .waddr(b{i}_waddr), .wdata(w{}_data), .wen(w{}_en), .re(r{r}_re && b{i}_r{r}_hit), \
                     .raddr(r{r}_addr[{}:0] - {aw}'d{base_lo}), .rdata(b{i}_r{r}_q));",
                    self.lanes,
                    self.lane_bits,
                    b.words,
                    b.writer,
                    b.writer,
                    aw - 1,
                );
            }
        }
        // Read side: remember which copy the port read last, and show that copy's data.
        for r in 0..self.readers {
            let mine: Vec<usize> = (0..self.banks.len()).filter(|&i| self.banks[i].is_read_by(r)).collect();
            match mine.len() {
                0 => {
                    let _ = writeln!(s, "    assign r{r}_q = {w}'d0;");
                }
                1 => {
                    let _ = writeln!(s, "    assign r{r}_q = b{}_r{r}_q;", mine[0]);
                }
                n => {
                    let sw = addr_bits(n);
                    let _ = writeln!(s, "    reg [{}:0] r{r}_sel = {sw}'d0;", sw - 1);
                    let _ = write!(s, "    always @(posedge clk) if (r{r}_re) r{r}_sel <= ");
                    for (k, &i) in mine.iter().enumerate().take(n - 1) {
                        let _ = write!(s, "b{i}_r{r}_hit ? {sw}'d{k} : ");
                    }
                    let _ = writeln!(s, "{sw}'d{};", n - 1);
                    let _ = write!(s, "    assign r{r}_q = ");
                    for (k, &i) in mine.iter().enumerate().take(n - 1) {
                        let _ = write!(s, "r{r}_sel == {sw}'d{k} ? b{i}_r{r}_q : ");
                    }
                    let _ = writeln!(s, "b{}_r{r}_q;", mine[n - 1]);
                }
            }
        }
        // A write outside its writer's banks is a compiler error: stop the simulation.
        let _ = writeln!(s, "`ifndef SYNTHESIS");
        for k in 0..self.writers {
            let covered: Vec<String> =
                self.banks.iter().filter(|b| b.writer == k).map(|b| in_bank(&format!("w{k}"), b)).collect();
            let covered = if covered.is_empty() { "1'b0".to_string() } else { covered.join(" || ") };
            let _ = writeln!(
                s,
                "    always @(posedge clk) if (w{k}_we && !({covered})) begin\n        \
                 $display(\"{}: write port {k} hit word %0d, in none of its banks\", w{k}_addr);\n        $finish;\n    end",
                self.module
            );
        }
        let _ = writeln!(s, "`endif");
        let _ = writeln!(s, "endmodule");
        s
    }

    pub fn leaf_text() -> &'static str {
        leaf::BANK.1
    }

    /// One copy on its own (`vf_bank`), for calibration against Yosys.
    pub fn copy_rtl(lanes: usize, lane_bits: usize, depth: usize) -> Rtl {
        let aw = addr_bits(depth) as u32;
        let w = (lanes * lane_bits) as u32;
        Rtl::shell(
            format!("vitfpga_bank_l{lanes}x{lane_bits}_d{depth}"),
            &format!("One buffer-bank copy: {depth} words of {lanes} lanes x {lane_bits} bits, lane write enables."),
            leaf::BANK.0,
            &[
                ("LANES", Param::Int(lanes as i64)),
                ("LW", Param::Int(lane_bits as i64)),
                ("DEPTH", Param::Int(depth as i64)),
                ("AW", Param::Int(aw as i64)),
            ],
            vec![
                Port::new("we", 1),
                Port::new("waddr", aw),
                Port::new("wdata", w),
                Port::new("wen", lanes as u32),
                Port::new("re", 1),
                Port::new("raddr", aw),
            ],
            vec![Port::new("rdata", w)],
            &[leaf::BANK],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_banks() -> BankedBuffer {
        BankedBuffer {
            module: "vf_spad".into(),
            lanes: 4,
            lane_bits: 8,
            writers: 2,
            readers: 4,
            banks: vec![
                Bank { base: 0, words: 100, writer: 0, readers: 0b0111 },
                Bank { base: 100, words: 30, writer: 1, readers: 0b1001 },
            ],
        }
    }

    #[test]
    fn copies_and_block_ram_count_every_reader() {
        let b = two_banks();
        assert_eq!(b.stored_words(), 100 * 3 + 30 * 2);
        // 32 bits x 100 words: one RAMB18 per copy; 30 words: distributed RAM.
        assert_eq!(b.resources().bram18, 3);
        assert_eq!(b.resources().lut, 2 * 8);
    }

    #[test]
    fn verilog_has_one_copy_per_bank_and_reader() {
        let v = two_banks().verilog();
        assert_eq!(v.matches("vf_bank #(").count(), 5);
        assert!(v.contains("u_b1_r3"));
        assert!(!v.contains("u_b1_r1"));
        // Port 0 reads both banks, so it selects; port 1 reads one, so it does not.
        assert!(v.contains("reg [0:0] r0_sel"));
        assert!(v.contains("assign r1_q = b0_r1_q;"));
    }
}
