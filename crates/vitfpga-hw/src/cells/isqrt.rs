//! `vf_isqrt`: floor square root of a 64-bit value, one result bit per cycle, in rust-hdl.
//! Exactly `vitfpga_golden::arith::isqrt`: start in cycle s -> `done` and `root` in cycle s + 33.
//!
//! Written to the safe subset of shared/reference/rust-hdl.md: every operand of a comparison or
//! arithmetic is a sized `Constant` or a signal, no products, only unsigned `Bits`, and every
//! narrowing is an explicit `get_bits`.

use rust_hdl::prelude::*;

#[derive(LogicBlock)]
pub struct IsqrtCell {
    pub clk: Signal<In, Clock>,
    pub start: Signal<In, Bit>,
    pub v: Signal<In, Bits<64>>,
    pub done: Signal<Out, Bit>,
    pub root: Signal<Out, Bits<32>>,
    rem: DFF<Bits<64>>,
    res: DFF<Bits<64>>,
    bitv: DFF<Bits<64>>,
    cnt: DFF<Bits<6>>,
    done_r: DFF<Bit>,
    trial: Signal<Local, Bits<64>>,
    zero64: Constant<Bits<64>>,
    top_bit: Constant<Bits<64>>,
    iterations: Constant<Bits<6>>,
    one6: Constant<Bits<6>>,
    zero6: Constant<Bits<6>>,
}

impl Default for IsqrtCell {
    fn default() -> Self {
        IsqrtCell {
            clk: Default::default(),
            start: Default::default(),
            v: Default::default(),
            done: Default::default(),
            root: Default::default(),
            rem: Default::default(),
            res: Default::default(),
            bitv: Default::default(),
            cnt: Default::default(),
            done_r: Default::default(),
            trial: Default::default(),
            zero64: Constant::new(0u64.into()),
            top_bit: Constant::new((1u64 << 62).into()),
            iterations: Constant::new(32u64.into()),
            one6: Constant::new(1u64.into()),
            zero6: Constant::new(0u64.into()),
        }
    }
}

impl Logic for IsqrtCell {
    #[hdl_gen]
    fn update(&mut self) {
        dff_setup!(self, clk, rem, res, bitv, cnt, done_r);
        self.trial.next = self.res.q.val() + self.bitv.q.val();
        self.done_r.d.next = false;
        if self.start.val() {
            self.rem.d.next = self.v.val();
            self.res.d.next = self.zero64.val();
            self.bitv.d.next = self.top_bit.val();
            self.cnt.d.next = self.iterations.val();
        } else if self.cnt.q.val() != self.zero6.val() {
            if self.rem.q.val() >= self.trial.val() {
                self.rem.d.next = self.rem.q.val() - self.trial.val();
                self.res.d.next = (self.res.q.val() >> 1) + self.bitv.q.val();
            } else {
                self.res.d.next = self.res.q.val() >> 1;
            }
            self.bitv.d.next = self.bitv.q.val() >> 2;
            self.cnt.d.next = self.cnt.q.val() - self.one6.val();
            self.done_r.d.next = self.cnt.q.val() == self.one6.val();
        }
        self.done.next = self.done_r.q.val();
        self.root.next = self.res.q.val().get_bits::<32>(0);
    }
}

/// Module name of the cell in emitted files.
pub const MODULE: &str = "vf_isqrt";

/// The cell's Verilog from rust-hdl, with its modules renamed from `top` to `vf_isqrt`.
pub fn verilog() -> String {
    let mut cell = IsqrtCell::default();
    cell.connect_all();
    super::rename_top(&generate_verilog(&cell), MODULE, file!())
}

#[cfg(test)]
mod tests {
    #[test]
    fn emission_is_deterministic_and_renamed() {
        let a = super::verilog();
        assert_eq!(a, super::verilog());
        assert!(a.contains("module vf_isqrt(clk,start,v,done,root);"), "{a}");
        assert!(!a.contains("module top"));
    }
}
