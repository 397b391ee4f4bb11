//! `vf_axil_regs`: the accelerator's AXI4-Lite control/status register block, in rust-hdl.
//!
//! | offset | name | access | meaning |
//! |---|---|---|---|
//! | 0x00 | CONTROL | W | bit 0 = 1 starts the accelerator (one-cycle `start` pulse the cycle after the write) |
//! | 0x04 | STATUS | R | bit 0 busy (from the core), bit 1 done (set by `core_done`, cleared by start) |
//! | 0x08 / 0x0C | CYCLES_LO / HI | R | cycles the core was busy since the last start (64-bit) |
//! | 0x10 / 0x14 | PROGRAM_BASE_LO / HI | RW | DRAM byte address of the DRAM image (`dram.bin`, the program first): every fetch, load and store address of the program is an offset from it (byte strobes honoured) |
//! | 0x18 | VERSION | R | 0x5646_0001 ("VF", register map version 1) |
//!
//! Writes to read-only or unmapped offsets and reads of unmapped offsets answer SLVERR.
//! Timing: a write is accepted in the cycle both AWVALID and WVALID are high and no response is
//! pending (AWREADY = WREADY = that condition); BVALID rises the next cycle and stays until
//! BREADY. A read is accepted when ARVALID is high and no read data is pending; RVALID and RDATA
//! follow the next cycle and stay until RREADY.

use rust_hdl::prelude::*;

pub const MODULE: &str = "vf_axil_regs";
pub const VERSION: u32 = 0x5646_0001;
pub mod offset {
    pub const CONTROL: u8 = 0x00;
    pub const STATUS: u8 = 0x04;
    pub const CYCLES_LO: u8 = 0x08;
    pub const CYCLES_HI: u8 = 0x0C;
    pub const PROGRAM_BASE_LO: u8 = 0x10;
    pub const PROGRAM_BASE_HI: u8 = 0x14;
    pub const VERSION: u8 = 0x18;
}
pub const OKAY: u8 = 0;
pub const SLVERR: u8 = 2;

#[derive(LogicBlock)]
pub struct AxiLiteRegs {
    pub clk: Signal<In, Clock>,
    pub rst: Signal<In, Bit>,
    pub s_awaddr: Signal<In, Bits<8>>,
    pub s_awvalid: Signal<In, Bit>,
    pub s_awready: Signal<Out, Bit>,
    pub s_wdata: Signal<In, Bits<32>>,
    pub s_wstrb: Signal<In, Bits<4>>,
    pub s_wvalid: Signal<In, Bit>,
    pub s_wready: Signal<Out, Bit>,
    pub s_bresp: Signal<Out, Bits<2>>,
    pub s_bvalid: Signal<Out, Bit>,
    pub s_bready: Signal<In, Bit>,
    pub s_araddr: Signal<In, Bits<8>>,
    pub s_arvalid: Signal<In, Bit>,
    pub s_arready: Signal<Out, Bit>,
    pub s_rdata: Signal<Out, Bits<32>>,
    pub s_rresp: Signal<Out, Bits<2>>,
    pub s_rvalid: Signal<Out, Bit>,
    pub s_rready: Signal<In, Bit>,
    pub core_busy: Signal<In, Bit>,
    pub core_done: Signal<In, Bit>,
    pub start: Signal<Out, Bit>,
    pub program_base_lo: Signal<Out, Bits<32>>,
    pub program_base_hi: Signal<Out, Bits<32>>,
    bvalid: DFF<Bit>,
    bresp: DFF<Bits<2>>,
    rvalid: DFF<Bit>,
    rdata: DFF<Bits<32>>,
    rresp: DFF<Bits<2>>,
    start_r: DFF<Bit>,
    done_r: DFF<Bit>,
    cycles: DFF<Bits<64>>,
    pbase_lo: DFF<Bits<32>>,
    pbase_hi: DFF<Bits<32>>,
    wr: Signal<Local, Bit>,
    rd: Signal<Local, Bit>,
    mask: Signal<Local, Bits<32>>,
    status: Signal<Local, Bits<32>>,
    a_control: Constant<Bits<8>>,
    a_status: Constant<Bits<8>>,
    a_cycles_lo: Constant<Bits<8>>,
    a_cycles_hi: Constant<Bits<8>>,
    a_pbase_lo: Constant<Bits<8>>,
    a_pbase_hi: Constant<Bits<8>>,
    a_version: Constant<Bits<8>>,
    version: Constant<Bits<32>>,
    okay: Constant<Bits<2>>,
    slverr: Constant<Bits<2>>,
    byte0: Constant<Bits<32>>,
    byte1: Constant<Bits<32>>,
    byte2: Constant<Bits<32>>,
    byte3: Constant<Bits<32>>,
    zero32: Constant<Bits<32>>,
    busy_bit: Constant<Bits<32>>,
    done_bit: Constant<Bits<32>>,
    zero64: Constant<Bits<64>>,
    one64: Constant<Bits<64>>,
}

fn c<const N: usize>(v: u64) -> Constant<Bits<N>> {
    Constant::new(v.into())
}

impl Default for AxiLiteRegs {
    fn default() -> Self {
        AxiLiteRegs {
            clk: Default::default(),
            rst: Default::default(),
            s_awaddr: Default::default(),
            s_awvalid: Default::default(),
            s_awready: Default::default(),
            s_wdata: Default::default(),
            s_wstrb: Default::default(),
            s_wvalid: Default::default(),
            s_wready: Default::default(),
            s_bresp: Default::default(),
            s_bvalid: Default::default(),
            s_bready: Default::default(),
            s_araddr: Default::default(),
            s_arvalid: Default::default(),
            s_arready: Default::default(),
            s_rdata: Default::default(),
            s_rresp: Default::default(),
            s_rvalid: Default::default(),
            s_rready: Default::default(),
            core_busy: Default::default(),
            core_done: Default::default(),
            start: Default::default(),
            program_base_lo: Default::default(),
            program_base_hi: Default::default(),
            bvalid: Default::default(),
            bresp: Default::default(),
            rvalid: Default::default(),
            rdata: Default::default(),
            rresp: Default::default(),
            start_r: Default::default(),
            done_r: Default::default(),
            cycles: Default::default(),
            pbase_lo: Default::default(),
            pbase_hi: Default::default(),
            wr: Default::default(),
            rd: Default::default(),
            mask: Default::default(),
            status: Default::default(),
            a_control: c(offset::CONTROL as u64),
            a_status: c(offset::STATUS as u64),
            a_cycles_lo: c(offset::CYCLES_LO as u64),
            a_cycles_hi: c(offset::CYCLES_HI as u64),
            a_pbase_lo: c(offset::PROGRAM_BASE_LO as u64),
            a_pbase_hi: c(offset::PROGRAM_BASE_HI as u64),
            a_version: c(offset::VERSION as u64),
            version: c(VERSION as u64),
            okay: c(OKAY as u64),
            slverr: c(SLVERR as u64),
            byte0: c(0x0000_00ff),
            byte1: c(0x0000_ff00),
            byte2: c(0x00ff_0000),
            byte3: c(0xff00_0000),
            zero32: c(0),
            busy_bit: c(1),
            done_bit: c(2),
            zero64: c(0),
            one64: c(1),
        }
    }
}

impl Logic for AxiLiteRegs {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, bvalid, bresp, rvalid, rdata, rresp, start_r, done_r, cycles, pbase_lo, pbase_hi);
        // Byte-enable mask from the write strobes.
        self.mask.next = self.zero32.val();
        if self.s_wstrb.val().get_bit(0) {
            self.mask.next = self.byte0.val();
        }
        if self.s_wstrb.val().get_bit(1) {
            self.mask.next = self.mask.val() | self.byte1.val();
        }
        if self.s_wstrb.val().get_bit(2) {
            self.mask.next = self.mask.val() | self.byte2.val();
        }
        if self.s_wstrb.val().get_bit(3) {
            self.mask.next = self.mask.val() | self.byte3.val();
        }
        // Write channel: address and data together, one response outstanding at most.
        self.wr.next = self.s_awvalid.val() & self.s_wvalid.val() & !self.bvalid.q.val();
        self.s_awready.next = self.wr.val();
        self.s_wready.next = self.wr.val();
        if self.bvalid.q.val() & self.s_bready.val() {
            self.bvalid.d.next = false;
        }
        self.start_r.d.next = false;
        if self.wr.val() {
            self.bvalid.d.next = true;
            self.bresp.d.next = self.slverr.val();
            if self.s_awaddr.val() == self.a_control.val() {
                self.bresp.d.next = self.okay.val();
                if self.s_wdata.val().get_bit(0) & self.s_wstrb.val().get_bit(0) {
                    self.start_r.d.next = true;
                }
            }
            if self.s_awaddr.val() == self.a_pbase_lo.val() {
                self.bresp.d.next = self.okay.val();
                self.pbase_lo.d.next =
                    (self.pbase_lo.q.val() & !self.mask.val()) | (self.s_wdata.val() & self.mask.val());
            }
            if self.s_awaddr.val() == self.a_pbase_hi.val() {
                self.bresp.d.next = self.okay.val();
                self.pbase_hi.d.next =
                    (self.pbase_hi.q.val() & !self.mask.val()) | (self.s_wdata.val() & self.mask.val());
            }
        }
        // Core status: done is sticky until the next start; the cycle counter restarts with it.
        if self.core_done.val() {
            self.done_r.d.next = true;
        }
        if self.core_busy.val() {
            self.cycles.d.next = self.cycles.q.val() + self.one64.val();
        }
        if self.start_r.q.val() {
            self.done_r.d.next = false;
            self.cycles.d.next = self.zero64.val();
        }
        self.status.next = self.zero32.val();
        if self.core_busy.val() {
            self.status.next = self.busy_bit.val();
        }
        if self.done_r.q.val() {
            self.status.next = self.status.val() | self.done_bit.val();
        }
        // Read channel.
        self.rd.next = self.s_arvalid.val() & !self.rvalid.q.val();
        self.s_arready.next = self.rd.val();
        if self.rvalid.q.val() & self.s_rready.val() {
            self.rvalid.d.next = false;
        }
        if self.rd.val() {
            self.rvalid.d.next = true;
            self.rresp.d.next = self.okay.val();
            self.rdata.d.next = self.zero32.val();
            if self.s_araddr.val() == self.a_status.val() {
                self.rdata.d.next = self.status.val();
            } else if self.s_araddr.val() == self.a_cycles_lo.val() {
                self.rdata.d.next = self.cycles.q.val().get_bits::<32>(0);
            } else if self.s_araddr.val() == self.a_cycles_hi.val() {
                self.rdata.d.next = self.cycles.q.val().get_bits::<32>(32);
            } else if self.s_araddr.val() == self.a_pbase_lo.val() {
                self.rdata.d.next = self.pbase_lo.q.val();
            } else if self.s_araddr.val() == self.a_pbase_hi.val() {
                self.rdata.d.next = self.pbase_hi.q.val();
            } else if self.s_araddr.val() == self.a_version.val() {
                self.rdata.d.next = self.version.val();
            } else {
                self.rresp.d.next = self.slverr.val();
            }
        }
        if self.rst.val() {
            self.bvalid.d.next = false;
            self.rvalid.d.next = false;
            self.start_r.d.next = false;
            self.done_r.d.next = false;
            self.cycles.d.next = self.zero64.val();
            self.pbase_lo.d.next = self.zero32.val();
            self.pbase_hi.d.next = self.zero32.val();
        }
        self.s_bvalid.next = self.bvalid.q.val();
        self.s_bresp.next = self.bresp.q.val();
        self.s_rvalid.next = self.rvalid.q.val();
        self.s_rdata.next = self.rdata.q.val();
        self.s_rresp.next = self.rresp.q.val();
        self.start.next = self.start_r.q.val();
        self.program_base_lo.next = self.pbase_lo.q.val();
        self.program_base_hi.next = self.pbase_hi.q.val();
    }
}

/// The block's Verilog from rust-hdl, modules renamed to `vf_axil_regs`.
pub fn verilog() -> String {
    let mut cell = AxiLiteRegs::default();
    cell.connect_all();
    super::rename_top(&generate_verilog(&cell), MODULE, file!())
}
