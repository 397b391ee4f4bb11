#!/usr/bin/env python3
"""Fit the per-unit LUT/FF resource models to Yosys synth_xilinx data.

Reads hw/calibration/<family>.csv (written by
`cargo test --release -p vitfpga-sim-tests --test calibrate -- --ignored`), fits each unit's linear
model on its features (the same features crates/vitfpga-hw computes), prints the coefficients to
paste into the unit's file and a validation table on held-out rows (docs/hardware.md).

    python3 tools/fit_resources.py [hw/calibration/xcup.csv]
"""
import csv
import math
import sys

import numpy as np

# Configurations kept out of every fit, used only for validation (shared with the Rust test).
HOLD_OUT = {
    tuple(line.split(" ", 1))
    for line in open("hw/calibration/holdout.txt").read().splitlines()
    if line and not line.startswith("#")
}


def acc_bits(a, w, k):
    return a + w + (k - 1).bit_length()


def features(unit, p, family="xcup"):
    """Features of one configuration; must match the Rust `resources_on(family)` of the unit."""
    if unit == "systolic/binary":
        # Binary-weight PEs add or subtract in the fabric, with no DSP on either family: Yosys maps
        # them identically for xcup and xc7, so one model serves both.
        r, c, a = p["rows"], p["cols"], p["a"]
        acc = acc_bits(a, 1, max(768, r))
        f = [r * c * acc, r * (r - 1) / 2, c * acc, 1]
        return {"ff": f, "lut": f}
    if unit == "systolic":
        r, c, a, w, pack = p["rows"], p["cols"], p["a"], p["w"], p["pack"]
        g = (c + 1) // 2 if pack else c
        acc = acc_bits(a, w, max(768, r))
        soft = 1 if (w > 1 and not pack and a + w < 9) else 0
        pe = r * c
        if family == "xc7":
            # Yosys xilinx_dsp packs each unpacked MAC's accumulator adder (post-adder) and p_out
            # register (PREG) into its DSP48E1; on xcup (DSP48E2) Yosys 0.23 packs nothing.
            dsp = 1 if (w > 1 and not pack and a + w >= 9) else 0
            # Skew chains of 1 and 2 stages stay flip-flops; 3+ stages become SRL16E (LUTs). The
            # `c * acc` LUT term is the output de-skew: a shift register per accumulator bit per column.
            skew_ff = (a + 2) * (0 if r == 1 else 1 if r == 2 else 3)
            return {
                "ff": [pe * w, r * g * (a + 2), (r - 1) * c * acc * (1 - dsp), skew_ff, pe * soft, 1],
                "lut": [(r - 1) * c * acc * soft, pe * a * w * soft, (2 * r - 1) * c * w,
                        (r - 1) * g * pack * acc, r * (r - 1) / 2, c * acc, dsp, 1],
            }
        # `c * acc` in LUT: the output de-skew's shift registers (SRL16E, one per accumulator bit and column).
        return {
            "ff": [pe * w, r * g * (a + 2), pe * acc, r * (r - 1) / 2 * (a + 2), c * (g - 1) / 2 * acc, 1],
            "lut": [pe * acc * soft, pe * a * w * soft, pe * w, r * g * pack * acc, pe, r * (r - 1) / 2, c * acc, 1],
        }
    if unit in ("requant", "lut", "residual"):
        l = p["lanes"]
        return {"ff": [l, 1], "lut": [l, 1]}
    if unit == "layernorm":
        l, n = p["lanes"], p["max_len"]
        beats = math.ceil(n / l)
        # LayerNorm's centred values are X + clog2(N+1) + 1 bits wide; past 18 bits each lane's
        # products need more DSP and LUT slices.
        wide = 1 if 8 + (n).bit_length() + 1 > 18 else 0
        # Bits of the memories Yosys keeps in distributed RAM (LayerNormUnit::memories and
        # maps_to_block_ram in crates/vitfpga-hw/src/units/).
        depth = 1 << (beats - 1).bit_length() if beats > 1 else 2
        mems = [(l * 8, 2 * depth, 1), (16, depth, l), (64, depth, l)]
        lutram = sum(w * d * k for w, d, k in mems if not (d >= 128 and w * d >= 4096))
        f = [l, lutram / 1024, l * wide, 1]
        return {"ff": f, "lut": f}
    if unit == "softmax":
        l, n = p["lanes"], p["max_len"]
        beats = math.ceil(n / l)
        return {"ff": [l, beats, 0, 1], "lut": [l, beats, 0, 1]}
    return None


def lut_sites(row):
    """Every LUT site a row uses: logic LUTs, distributed RAM and shift registers (SRL16E/SRLC32E)."""
    return float(row["lut"]) + float(row["lutram"]) + float(row.get("srl") or 0)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "hw/calibration/xcup.csv"
    family = "xc7" if "xc7" in path.rsplit("/", 1)[-1] else "xcup"
    rows = list(csv.DictReader(open(path)))
    by_unit = {}
    for row in rows:
        p = {k: int(v) for k, v in (kv.split("=") for kv in row["params"].split(";"))}
        # Binary-weight arrays have their own model (SYSTOLIC_BINARY_* in systolic.rs).
        model = "systolic/binary" if row["unit"] == "systolic" and p["w"] == 1 else row["unit"]
        by_unit.setdefault(model, []).append((row, p))
    report = []
    for unit, items in by_unit.items():
        if features(unit, items[0][1], family) is None:
            continue
        for res in ("lut", "ff"):
            unit_name = unit.split("/")[0]
            held = [any(row["params"].startswith(h) for (u, h) in HOLD_OUT if u == unit_name) for row, _ in items]
            x = np.array([features(unit, p, family)[res] for _, p in items], dtype=float)
            # LUTs used as distributed RAM and as shift registers count against the device's LUTs too.
            y = np.array([lut_sites(row) if res == "lut" else float(row[res]) for row, _ in items])
            fit = ~np.array(held)
            coef, *_ = np.linalg.lstsq(x[fit], y[fit], rcond=None)
            print(f"{unit} {res}: {[round(v, 4) for v in coef]}")
            pred = x @ coef
            for (row, _), h, yy, pp in zip(items, held, y, pred):
                report.append((unit, row["params"], res, int(yy), int(round(pp)), (pp - yy) / max(yy, 1) * 100, h))
    print("\nunit | params | resource | Yosys | estimate | error % | held out")
    worst = 0.0
    for unit, params, res, yy, pp, err, h in report:
        if h:
            worst = max(worst, abs(err))
            print(f"{unit} | {params} | {res} | {yy} | {pp} | {err:+.1f} | yes")
    print(f"worst held-out error: {worst:.1f} %")
    fit_worst = max(abs(e) for *_, e, h in report if not h)
    print(f"worst error on fitted rows: {fit_worst:.1f} %")
    for u in dict.fromkeys(x[0] for x in report):
        for res in ("lut", "ff"):
            hh = [abs(e) for uu, pp, rr, *_, e, h in report if uu == u and rr == res and h]
            ff = [abs(e) for uu, pp, rr, *_, e, h in report if uu == u and rr == res and not h]
            fb = [abs(e) for uu, pp, rr, *_, e, h in report if uu == u and rr == res and not h and not pp.startswith("rows=2;cols=2")]
            print(f"  {u:10} {res:4} held-out worst {max(hh) if hh else 0:5.1f} %   fitted worst {max(ff):6.1f} %   fitted worst without 2x2 {max(fb):5.1f} %")


if __name__ == "__main__":
    main()
