#!/usr/bin/env python3
"""Fit the DSP-cascade array's LUT and FF models (unpacked and packed) to hw/calibration/cascade_xcup.csv.

Features (physical, per hw/vf_systolic_cascade.v): the input skew ((A_BITS + 1) bits per row past
the second: activation and swap token), the weight-shift delay (group g's w_shift and weights wait g
cycles), the output de-skew (ACC_BITS per output past the second group), and with packing the low
sums' fabric: one ACC_BITS adder per segment and a delay of NSEG - 1 cycles between segments. FFs add
the per-PE activation and token registers, and every PE its shadow clock-enable gate and `free` flag.
Prints the coefficients for
crates/vitfpga-hw/src/units/systolic.rs and every row's error; rows in HOLD are not fitted.
"""
import csv
import sys

import numpy as np

HOLD = {(6, 10), (16, 8), (24, 24)}


def shape(r, c, a, w, acc, pack):
    g = (c + 1) // 2 if pack else c
    wl = 2 * w if pack else w                       # weight bits per group
    nseg = min(r, ((1 << 17) - 1) // (1 << (a + w - 2))) if pack else r
    s = -(-r // nseg)
    return g, wl, nseg, s


def chains(r, c, a, w, acc, pack):
    """Shift-register chains of the array: (depth, bits) for the input skew of each row, the
    weight-shift delay of each group, the output de-skew of each output lane and, packed, the delay
    of each group's running low sum into each later segment (the segment's length - 1)."""
    g, wl, nseg, s = shape(r, c, a, w, acc, pack)
    out = [(k, a + 1) for k in range(r)]                       # row k: k stages (activation, token)
    out += [(k, wl + 1) for k in range(g)]                     # group k: k stages (shift, weights)
    out += [(g - 1 - (k // 2 if pack else k), acc) for k in range(c)]   # output k: G-1-group stages
    if pack:
        for k in range(1, s):
            seg_len = min((k + 1) * nseg, r) - k * nseg
            out += [(seg_len - 1, acc)] * g
    return out


def srl(chains):
    # Yosys maps a chain of 3 or more stages to SRL16E/SRLC32E, one LUT per bit per 32 stages.
    return sum(b * -(-d // 32) for d, b in chains if d >= 3)


def short_ff(chains):
    return sum(b * d for d, b in chains if d < 3)


def features(r, c, a, w, acc, pack):
    g, wl, nseg, s = shape(r, c, a, w, acc, pack)
    ch = chains(r, c, a, w, acc, pack)
    # Packed: each segment after the first adds its low sum to the running sum (an ACC_BITS
    # adder; the first segment's adds 0, no logic); the delays are among the chains.
    seg = g * (s - 1) * acc if pack else 0.0
    # Packed: the packing subtract at the top of each group (w_hi - [w_lo < 0]) as inverters and LUTs.
    # Every PE: its shadow's clock-enable gate and `free` flag (since issue 16's overlapped fill).
    lut = [srl(ch), g * (w + 1), seg, r * g, 1.0] if pack else [srl(ch), r * g, 1.0]
    ff = [r * g, c * acc, seg, 1.0] if pack else [r * g * (a + 1), short_ff(ch), r * g, 1.0]
    return lut, ff


def fit(rows, pack):
    data = []
    for row in rows:
        r, c, a, w, acc, p = (int(row[k]) for k in ("rows", "cols", "a_bits", "w_bits", "acc_bits", "pack"))
        if p != pack:
            continue
        lut = int(row["lut"]) + int(row["srl"]) + int(row["inv"])
        fl, ff = features(r, c, a, w, acc, p)
        data.append(((r, c) in HOLD, fl, ff, lut, int(row["ff"]), f"{r}x{c} a{a} w{w} acc{acc}{' packed' if p else ''}"))
    fitrows = [d for d in data if not d[0]]
    keep_l = [i for i in range(len(data[0][1])) if any(d[1][i] for d in fitrows)]
    keep_f = [i for i in range(len(data[0][2])) if any(d[2][i] for d in fitrows)]
    cl = np.zeros(len(data[0][1]))
    cf = np.zeros(len(data[0][2]))
    cl[keep_l] = np.linalg.lstsq(np.array([[d[1][i] for i in keep_l] for d in fitrows]),
                                 np.array([d[3] for d in fitrows], dtype=float), rcond=None)[0]
    cf[keep_f] = np.linalg.lstsq(np.array([[d[2][i] for i in keep_f] for d in fitrows]),
                                 np.array([d[4] for d in fitrows], dtype=float), rcond=None)[0]
    name = "PACKED" if pack else "UNPACKED"
    print(f"CASCADE_{name}_LUT: {[round(float(x), 4) for x in cl]}")
    print(f"CASCADE_{name}_FF:  {[round(float(x), 4) for x in cf]}")
    worst = 0.0
    for hold, fl, ff, lut, ffy, label in data:
        el, ef = float(np.dot(cl, fl)), float(np.dot(cf, ff))
        if hold:
            worst = max(worst, abs(el - lut) / lut, abs(ef - ffy) / ffy)
        print(f"  {label:28} {'held out' if hold else 'fit':8} LUT {lut:6} model {el:8.0f} ({(el - lut) / lut * 100:+.1f} %)"
              f"  FF {ffy:6} model {ef:8.0f} ({(ef - ffy) / ffy * 100:+.1f} %)")
    print(f"  worst held-out error {worst * 100:.1f} %")


rows = list(csv.DictReader(open(sys.argv[1] if len(sys.argv) > 1 else "hw/calibration/cascade_xcup.csv")))
fit(rows, 0)
fit(rows, 1)
