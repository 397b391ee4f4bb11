//! The rust-hdl AXI4-Lite register block against a cycle-level reference model of its documented
//! behaviour, driven by a randomised master (independent AW/W timing, delayed BREADY/RREADY,
//! byte strobes, unmapped and read-only addresses) and a core that runs and finishes.

use rand::Rng;
use vitfpga_cosim::{Design, Port, Simulator, Value};
use vitfpga_hw::cells::axil_regs::{offset, MODULE, OKAY, SLVERR, VERSION};
use vitfpga_sim_tests::{check, rng, Expect};

#[derive(Default, Clone)]
struct Model {
    bvalid: bool,
    bresp: u8,
    rvalid: bool,
    rdata: u32,
    rresp: u8,
    start: bool,
    done: bool,
    cycles: u64,
    pbase: [u32; 2],
}

#[derive(Default, Clone, Copy)]
struct In {
    rst: bool,
    awaddr: u8,
    awvalid: bool,
    wdata: u32,
    wstrb: u8,
    wvalid: bool,
    bready: bool,
    araddr: u8,
    arvalid: bool,
    rready: bool,
    busy: bool,
    done: bool,
}

impl Model {
    /// Outputs in this cycle: awready/wready, arready, then the registered outputs.
    fn outputs(&self, i: &In) -> Vec<u64> {
        let wr = i.awvalid && i.wvalid && !self.bvalid;
        let rd = i.arvalid && !self.rvalid;
        vec![
            wr as u64,
            wr as u64,
            self.bresp as u64,
            self.bvalid as u64,
            rd as u64,
            self.rdata as u64,
            self.rresp as u64,
            self.rvalid as u64,
            self.start as u64,
            self.pbase[0] as u64,
            self.pbase[1] as u64,
        ]
    }

    fn step(&mut self, i: &In) {
        let mut n = self.clone();
        let mask: u32 = (0..4).filter(|b| i.wstrb >> b & 1 == 1).map(|b| 0xffu32 << (8 * b)).sum();
        let wr = i.awvalid && i.wvalid && !self.bvalid;
        if self.bvalid && i.bready {
            n.bvalid = false;
        }
        n.start = false;
        if wr {
            n.bvalid = true;
            n.bresp = SLVERR;
            match i.awaddr {
                offset::CONTROL => {
                    n.bresp = OKAY;
                    n.start = i.wdata & 1 == 1 && i.wstrb & 1 == 1;
                }
                offset::PROGRAM_BASE_LO | offset::PROGRAM_BASE_HI => {
                    let k = (i.awaddr == offset::PROGRAM_BASE_HI) as usize;
                    n.bresp = OKAY;
                    n.pbase[k] = (self.pbase[k] & !mask) | (i.wdata & mask);
                }
                _ => {}
            }
        }
        if i.done {
            n.done = true;
        }
        if i.busy {
            n.cycles = self.cycles.wrapping_add(1);
        }
        if self.start {
            n.done = false;
            n.cycles = 0;
        }
        let status = i.busy as u32 | (self.done as u32) << 1;
        let rd = i.arvalid && !self.rvalid;
        if self.rvalid && i.rready {
            n.rvalid = false;
        }
        if rd {
            n.rvalid = true;
            n.rresp = OKAY;
            n.rdata = match i.araddr {
                offset::STATUS => status,
                offset::CYCLES_LO => self.cycles as u32,
                offset::CYCLES_HI => (self.cycles >> 32) as u32,
                offset::PROGRAM_BASE_LO => self.pbase[0],
                offset::PROGRAM_BASE_HI => self.pbase[1],
                offset::VERSION => VERSION,
                _ => {
                    n.rresp = SLVERR;
                    0
                }
            };
        }
        if i.rst {
            n.bvalid = false;
            n.rvalid = false;
            n.start = false;
            n.done = false;
            n.cycles = 0;
            n.pbase = [0, 0];
        }
        *self = n;
    }
}

#[test]
fn axi_lite_register_block_follows_its_model() {
    let design = Design {
        top: MODULE.into(),
        sources: vec![("vf_axil_regs.v".into(), vitfpga_hw::cells::axil_regs::verilog())],
        inputs: [
            "rst",
            "s_awaddr",
            "s_awvalid",
            "s_wdata",
            "s_wstrb",
            "s_wvalid",
            "s_bready",
            "s_araddr",
            "s_arvalid",
            "s_rready",
            "core_busy",
            "core_done",
        ]
        .iter()
        .zip([1, 8, 1, 32, 4, 1, 1, 8, 1, 1, 1, 1])
        .map(|(n, w)| Port::new(n, w))
        .collect(),
        outputs: [
            "s_awready",
            "s_wready",
            "s_bresp",
            "s_bvalid",
            "s_arready",
            "s_rdata",
            "s_rresp",
            "s_rvalid",
            "start",
            "program_base_lo",
            "program_base_hi",
        ]
        .iter()
        .zip([1, 1, 2, 1, 1, 32, 2, 1, 1, 32, 32])
        .map(|(n, w)| Port::new(n, w))
        .collect(),
        clock: Some("clk".into()),
    };
    let addrs = [0x00u8, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x40, 0xFF];
    let mut r = rng(4242);
    let mut m = Model::default();
    let (mut stim, mut expect): (Vec<Vec<Value>>, Expect) = (vec![], vec![]);
    // Master state: a write (aw pending, w pending, waiting for b) and a read in flight.
    let (mut aw_pending, mut w_pending, mut b_wait) = (false, false, 0u32);
    let (mut ar_pending, mut r_wait) = (false, 0u32);
    let mut cur = In::default();
    let mut busy_left = 0u32;
    let (mut writes, mut reads) = (0, 0);
    for t in 0..20_000 {
        let mut i = In { rst: t == 0 || t == 10_000, ..Default::default() };
        // New write transaction.
        if !aw_pending && !w_pending && !m.bvalid && r.gen_bool(0.3) {
            cur.awaddr = addrs[r.gen_range(0..addrs.len())];
            cur.wdata = if r.gen_bool(0.5) { r.gen() } else { r.gen_range(0..4) };
            cur.wstrb = r.gen_range(0..16);
            aw_pending = true;
            w_pending = true;
            b_wait = r.gen_range(0..4);
        }
        // New read transaction.
        if !ar_pending && !m.rvalid && r.gen_bool(0.3) {
            cur.araddr = addrs[r.gen_range(0..addrs.len())];
            ar_pending = true;
            r_wait = r.gen_range(0..4);
        }
        // Valid signals may rise independently; once up they stay until the handshake.
        i.awaddr = cur.awaddr;
        i.wdata = cur.wdata;
        i.wstrb = cur.wstrb;
        i.araddr = cur.araddr;
        i.awvalid = aw_pending && (cur.awvalid || r.gen_bool(0.6));
        i.wvalid = w_pending && (cur.wvalid || r.gen_bool(0.6));
        i.arvalid = ar_pending && (cur.arvalid || r.gen_bool(0.7));
        i.bready = m.bvalid && b_wait == 0;
        i.rready = m.rvalid && r_wait == 0;
        if m.bvalid && b_wait > 0 {
            b_wait -= 1;
        }
        if m.rvalid && r_wait > 0 {
            r_wait -= 1;
        }
        // The core: busy for a while after each start, then a done pulse.
        if m.start {
            busy_left = r.gen_range(1..200);
        }
        i.busy = busy_left > 0;
        if busy_left > 0 {
            busy_left -= 1;
            i.done = busy_left == 0;
        }
        let out = m.outputs(&i);
        let wr = out[0] == 1;
        let rd = out[4] == 1;
        if wr {
            aw_pending = false;
            w_pending = false;
            writes += 1;
        }
        if rd {
            ar_pending = false;
            reads += 1;
        }
        cur.awvalid = i.awvalid && !wr;
        cur.wvalid = i.wvalid && !wr;
        cur.arvalid = i.arvalid && !rd;
        if i.rst {
            aw_pending = false;
            w_pending = false;
            ar_pending = false;
            cur.awvalid = false;
            cur.wvalid = false;
            cur.arvalid = false;
        }
        stim.push(
            [
                i.rst as u64,
                i.awaddr as u64,
                i.awvalid as u64,
                i.wdata as u64,
                i.wstrb as u64,
                i.wvalid as u64,
                i.bready as u64,
                i.araddr as u64,
                i.arvalid as u64,
                i.rready as u64,
                i.busy as u64,
                i.done as u64,
            ]
            .iter()
            .map(|&v| Value::from_u64(v))
            .collect(),
        );
        let mut e: Vec<Option<Value>> = out.iter().map(|&v| Some(Value::from_u64(v))).collect();
        if t == 0 {
            e = vec![None; e.len()]; // before the first reset edge
        }
        expect.push(e);
        m.step(&i);
    }
    assert!(writes > 1000 && reads > 1000, "{writes} writes, {reads} reads");
    let lanes = design.outputs.iter().map(|p| (p.width, 1, false)).collect();
    check(&design, &stim, &expect, &lanes, &[Simulator::Verilator, Simulator::Icarus]);
    vitfpga_cosim::gates::lint_verilator(&design).unwrap();
    vitfpga_cosim::gates::check_yosys(&design).unwrap();
}
