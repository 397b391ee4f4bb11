//! `vf_divu_41_33`: an unsigned restoring divider, one quotient bit per cycle, in rust-hdl.
//! `quo = floor(num / den)` for `0 < den < 2^(D-1)` (the divisor port's top bit must be 0, which
//! lets the remainder live in D bits): start in cycle s -> `done` and `quo` in cycle s + N + 1. The
//! softmax unit divides 2^40 by its row sum (< 2^31), LayerNorm 2^40 by its root (< 2^32). (The
//! 64/17 cell that divided LayerNorm's variance sum by the row length went with the two-pass
//! LayerNorm, issue 16.)
//!
//! Widths are literal per cell (a macro stamps them) because rust-hdl emits const-generic
//! operands literally; every operand is a sized signal or `Constant`.

use rust_hdl::prelude::*;

macro_rules! divider_cell {
    ($name:ident, $module:literal, $n:tt, $d:tt, $msb:tt) => {
        #[derive(LogicBlock)]
        pub struct $name {
            pub clk: Signal<In, Clock>,
            pub start: Signal<In, Bit>,
            pub num: Signal<In, Bits<$n>>,
            pub den: Signal<In, Bits<$d>>,
            pub done: Signal<Out, Bit>,
            pub quo: Signal<Out, Bits<$n>>,
            rem: DFF<Bits<$d>>,
            den_q: DFF<Bits<$d>>,
            num_q: DFF<Bits<$n>>,
            quo_q: DFF<Bits<$n>>,
            cnt: DFF<Bits<7>>,
            done_r: DFF<Bit>,
            r2: Signal<Local, Bits<$d>>,
            ge: Signal<Local, Bit>,
            zero_n: Constant<Bits<$n>>,
            one_n: Constant<Bits<$n>>,
            zero_d: Constant<Bits<$d>>,
            one_d: Constant<Bits<$d>>,
            iterations: Constant<Bits<7>>,
            one7: Constant<Bits<7>>,
            zero7: Constant<Bits<7>>,
        }

        impl Default for $name {
            fn default() -> Self {
                $name {
                    clk: Default::default(),
                    start: Default::default(),
                    num: Default::default(),
                    den: Default::default(),
                    done: Default::default(),
                    quo: Default::default(),
                    rem: Default::default(),
                    den_q: Default::default(),
                    num_q: Default::default(),
                    quo_q: Default::default(),
                    cnt: Default::default(),
                    done_r: Default::default(),
                    r2: Default::default(),
                    ge: Default::default(),
                    zero_n: Constant::new(0u64.into()),
                    one_n: Constant::new(1u64.into()),
                    zero_d: Constant::new(0u64.into()),
                    one_d: Constant::new(1u64.into()),
                    iterations: Constant::new(($n as u64).into()),
                    one7: Constant::new(1u64.into()),
                    zero7: Constant::new(0u64.into()),
                }
            }
        }

        impl Logic for $name {
            #[hdl_gen]
            fn update(&mut self) {
                dff_setup!(self, clk, rem, den_q, num_q, quo_q, cnt, done_r);
                // Shift the next dividend bit into the remainder; subtract when it fits.
                self.r2.next = self.rem.q.val() << 1;
                if self.num_q.q.val().get_bit($msb) {
                    self.r2.next = (self.rem.q.val() << 1) | self.one_d.val();
                }
                self.ge.next = self.r2.val() >= self.den_q.q.val();
                self.done_r.d.next = false;
                if self.start.val() {
                    self.rem.d.next = self.zero_d.val();
                    self.den_q.d.next = self.den.val();
                    self.num_q.d.next = self.num.val();
                    self.quo_q.d.next = self.zero_n.val();
                    self.cnt.d.next = self.iterations.val();
                } else if self.cnt.q.val() != self.zero7.val() {
                    if self.ge.val() {
                        self.rem.d.next = self.r2.val() - self.den_q.q.val();
                        self.quo_q.d.next = (self.quo_q.q.val() << 1) | self.one_n.val();
                    } else {
                        self.rem.d.next = self.r2.val();
                        self.quo_q.d.next = self.quo_q.q.val() << 1;
                    }
                    self.num_q.d.next = self.num_q.q.val() << 1;
                    self.cnt.d.next = self.cnt.q.val() - self.one7.val();
                    self.done_r.d.next = self.cnt.q.val() == self.one7.val();
                }
                self.done.next = self.done_r.q.val();
                self.quo.next = self.quo_q.q.val();
            }
        }

        impl $name {
            pub const MODULE: &'static str = $module;

            /// Verilog from rust-hdl, modules renamed from `top` to the cell's name.
            pub fn verilog() -> String {
                let mut cell = $name::default();
                cell.connect_all();
                super::rename_top(&generate_verilog(&cell), Self::MODULE, file!())
            }
        }
    };
}

divider_cell!(Divu41x33, "vf_divu_41_33", 41, 33, 40);

#[cfg(test)]
mod tests {
    #[test]
    fn emission_is_deterministic() {
        let a = super::Divu41x33::verilog();
        assert_eq!(a, super::Divu41x33::verilog());
        assert!(a.contains("module vf_divu_41_33(clk,start,num,den,done,quo);"), "{a}");
    }
}
