//! `vf_recip40*`: `quo = floor(2^40 / den)`, a restoring radix-4 divider (two quotient bits per
//! cycle), in rust-hdl. Both row units need exactly this reciprocal: the softmax unit of its row
//! sum, LayerNorm of its root. Start in cycle s -> `done` and `quo` in cycle s + STEPS + 1.
//!
//! Radix 4 halves the cycles of the radix-2 cell it replaced (issue 16: the softmax unit's per-row
//! time was mostly its 41-cycle division). Each step compares `4 rem + 2 bits` against d, 2d and 3d
//! in parallel (registered at start), so the longest path is still one 34-bit subtract and a
//! select. A lower bound on the divisor skips quotient bits that must be zero: the softmax row sum
//! is at least 2^15 (the row maximum's exponential is exactly 2^15), so its quotient is below 2^26
//! and 13 steps suffice; LayerNorm's root can be 1, so it takes all 21.
//!
//! Widths are literal per cell (a macro stamps them) because rust-hdl emits const-generic
//! operands literally; every operand is a sized signal or `Constant`, and every shift or sum that
//! feeds another operator goes through a named local (rust-hdl adds no parentheses).

use rust_hdl::prelude::*;

macro_rules! reciprocal_cell {
    ($name:ident, $module:literal, $steps:literal, $min_den_log2:literal) => {
        #[derive(LogicBlock)]
        pub struct $name {
            pub clk: Signal<In, Clock>,
            pub start: Signal<In, Bit>,
            /// The divisor, `2^MIN_DEN_LOG2 <= den < 2^32` (the top two bits are 0).
            pub den: Signal<In, Bits<34>>,
            pub done: Signal<Out, Bit>,
            pub quo: Signal<Out, Bits<41>>,
            rem: DFF<Bits<34>>,
            d1: DFF<Bits<34>>,
            d2: DFF<Bits<34>>,
            d3: DFF<Bits<34>>,
            // The numerator bits still to enter the remainder, two per step from the top.
            lo: DFF<Bits<42>>,
            quo_q: DFF<Bits<42>>,
            cnt: DFF<Bits<7>>,
            done_r: DFF<Bit>,
            den2: Signal<Local, Bits<34>>,
            rem4: Signal<Local, Bits<34>>,
            r4: Signal<Local, Bits<34>>,
            quo4: Signal<Local, Bits<42>>,
            ge1: Signal<Local, Bit>,
            ge2: Signal<Local, Bit>,
            ge3: Signal<Local, Bit>,
            rem0: Constant<Bits<34>>,
            lo0: Constant<Bits<42>>,
            one34: Constant<Bits<34>>,
            two34: Constant<Bits<34>>,
            three34: Constant<Bits<34>>,
            zero42: Constant<Bits<42>>,
            one42: Constant<Bits<42>>,
            two42: Constant<Bits<42>>,
            three42: Constant<Bits<42>>,
            steps: Constant<Bits<7>>,
            one7: Constant<Bits<7>>,
            zero7: Constant<Bits<7>>,
        }

        impl Default for $name {
            fn default() -> Self {
                // Quotient bits iterated: 2 * STEPS. The numerator 2^40 splits into the part above
                // them (the starting remainder, below the divisor's bound) and the part they cover
                // (placed at the top of `lo`).
                const Q: u32 = 2 * $steps;
                const REM0: u64 = if Q >= 40 { 0 } else { 1u64 << (40 - Q) };
                const LO0: u64 = if Q > 40 { (1u64 << 40) << (42 - Q) } else { 0 };
                const _: () =
                    assert!(REM0 < (1u64 << $min_den_log2) || REM0 == 0, "quotient bits skipped that may be 1");
                $name {
                    clk: Default::default(),
                    start: Default::default(),
                    den: Default::default(),
                    done: Default::default(),
                    quo: Default::default(),
                    rem: Default::default(),
                    d1: Default::default(),
                    d2: Default::default(),
                    d3: Default::default(),
                    lo: Default::default(),
                    quo_q: Default::default(),
                    cnt: Default::default(),
                    done_r: Default::default(),
                    den2: Default::default(),
                    rem4: Default::default(),
                    r4: Default::default(),
                    quo4: Default::default(),
                    ge1: Default::default(),
                    ge2: Default::default(),
                    ge3: Default::default(),
                    rem0: Constant::new(REM0.into()),
                    lo0: Constant::new(LO0.into()),
                    one34: Constant::new(1u64.into()),
                    two34: Constant::new(2u64.into()),
                    three34: Constant::new(3u64.into()),
                    zero42: Constant::new(0u64.into()),
                    one42: Constant::new(1u64.into()),
                    two42: Constant::new(2u64.into()),
                    three42: Constant::new(3u64.into()),
                    steps: Constant::new(($steps as u64).into()),
                    one7: Constant::new(1u64.into()),
                    zero7: Constant::new(0u64.into()),
                }
            }
        }

        impl Logic for $name {
            #[hdl_gen]
            fn update(&mut self) {
                dff_setup!(self, clk, rem, d1, d2, d3, lo, quo_q, cnt, done_r);
                self.den2.next = self.den.val() << 1;
                // 4 rem + the next two numerator bits (rem < d < 2^32, so this fits 34 bits).
                self.rem4.next = self.rem.q.val() << 2;
                self.r4.next = self.rem4.val();
                if self.lo.q.val().get_bit(41) {
                    if self.lo.q.val().get_bit(40) {
                        self.r4.next = self.rem4.val() | self.three34.val();
                    } else {
                        self.r4.next = self.rem4.val() | self.two34.val();
                    }
                } else if self.lo.q.val().get_bit(40) {
                    self.r4.next = self.rem4.val() | self.one34.val();
                }
                self.ge1.next = self.r4.val() >= self.d1.q.val();
                self.ge2.next = self.r4.val() >= self.d2.q.val();
                self.ge3.next = self.r4.val() >= self.d3.q.val();
                self.quo4.next = self.quo_q.q.val() << 2;
                self.done_r.d.next = false;
                if self.start.val() {
                    self.rem.d.next = self.rem0.val();
                    self.d1.d.next = self.den.val();
                    self.d2.d.next = self.den2.val();
                    self.d3.d.next = self.den.val() + self.den2.val();
                    self.lo.d.next = self.lo0.val();
                    self.quo_q.d.next = self.zero42.val();
                    self.cnt.d.next = self.steps.val();
                } else if self.cnt.q.val() != self.zero7.val() {
                    // The largest digit q in 0..=3 with q d <= 4 rem + bits.
                    if self.ge3.val() {
                        self.rem.d.next = self.r4.val() - self.d3.q.val();
                        self.quo_q.d.next = self.quo4.val() | self.three42.val();
                    } else if self.ge2.val() {
                        self.rem.d.next = self.r4.val() - self.d2.q.val();
                        self.quo_q.d.next = self.quo4.val() | self.two42.val();
                    } else if self.ge1.val() {
                        self.rem.d.next = self.r4.val() - self.d1.q.val();
                        self.quo_q.d.next = self.quo4.val() | self.one42.val();
                    } else {
                        self.rem.d.next = self.r4.val();
                        self.quo_q.d.next = self.quo4.val();
                    }
                    self.lo.d.next = self.lo.q.val() << 2;
                    self.cnt.d.next = self.cnt.q.val() - self.one7.val();
                    self.done_r.d.next = self.cnt.q.val() == self.one7.val();
                }
                self.done.next = self.done_r.q.val();
                self.quo.next = self.quo_q.q.val().get_bits::<41>(0);
            }
        }

        impl $name {
            pub const MODULE: &'static str = $module;
            /// Steps (cycles) per division: `done` comes STEPS + 1 cycles after `start`.
            pub const STEPS: usize = $steps;
            /// The smallest divisor it is exact for is 2^MIN_DEN_LOG2.
            pub const MIN_DEN_LOG2: u32 = $min_den_log2;

            /// Verilog from rust-hdl, modules renamed from `top` to the cell's name.
            pub fn verilog() -> String {
                let mut cell = $name::default();
                cell.connect_all();
                super::rename_top(&generate_verilog(&cell), Self::MODULE, file!())
            }
        }
    };
}

// LayerNorm: 2^40 / R for any root R >= 1 (quotient up to 2^40: 41 bits, 21 steps).
reciprocal_cell!(Recip40, "vf_recip40", 21, 0);
// Softmax: 2^40 / sum with sum >= 2^15 (quotient below 2^26: 13 steps).
reciprocal_cell!(Recip40Min15, "vf_recip40_min15", 13, 15);

#[cfg(test)]
mod tests {
    #[test]
    fn emission_is_deterministic() {
        let a = super::Recip40::verilog();
        assert_eq!(a, super::Recip40::verilog());
        assert!(a.contains("module vf_recip40(clk,start,den,done,quo);"), "{a}");
        let b = super::Recip40Min15::verilog();
        assert!(b.contains("module vf_recip40_min15(clk,start,den,done,quo);"), "{b}");
    }
}
