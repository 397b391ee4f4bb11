#!/usr/bin/env python3
"""Fit the controller model to the whole-core Yosys runs.

The controller is everything in the core outside the unit and buffer models. For each row of
hw/calibration/core_<family>.csv (written by scripts/calibrate_core.sh) this rebuilds the same
design with today's `vitfpga` (so the unit models are the current ones, not those of the day the
core was synthesised), takes the estimate of everything but the controller from report.json, and
fits the residual (Yosys minus that estimate) linearly on [1, scratchpad lanes, row-unit lanes]
over the fit cores. It prints the coefficients for CONTROLLER_LUT / CONTROLLER_FF in crates/vitfpga-hw/src/accel.rs
and every core's residual, fit or held out.

    cargo build --release -p vitfpga-cli
    python3 tools/fit_controller.py xcup:4x4s8l4x4 xcup:8x8s8l4x8 xcup:32x4s1l4x8 xcup:16x4s2l2x4 xcup:8x32s1l1x8

Arguments are the fit cores as family:config; every other row is held out.
"""
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

BOARD = {"xcup": "zcu102", "xc7": "pynq-z2"}


def flags(cfg):
    """The build flags of a calibrate_core.sh config `RxC[p][d][s<N>][l<U>x<L>]` (`d`: DSP cascades;
    without it the fabric array, as scripts/calibrate_core.sh builds it)."""
    out, rest = [], cfg
    if "l" in rest:
        rest, ln = rest.split("l", 1)
        u, l = ln.split("x")
        out += ["--layernorm-units", u, "--layernorm-lanes", l]
    if "s" in rest:
        rest, s = rest.split("s", 1)
        out += ["--softmax-units", s]
    if rest.endswith("d"):
        rest = rest[:-1]
        out += ["--dsp-cascade"]
    else:
        out += ["--no-dsp-cascade"]
    if rest.endswith("p"):
        rest = rest[:-1]
        out += ["--dsp-packing"]
    return ["--array", rest] + out


def datapath_estimate(binary, family, cfg, work):
    d = os.path.join(work, f"{family}-{cfg}")
    subprocess.run(
        [binary, "-q", "build", "--model", "fixtures/digits/model.toml", "--weights",
         "fixtures/digits/weights.safetensors", "--calib", "fixtures/digits/calib_images.npy",
         "--device", BOARD[family], "--allow-overfill", *flags(cfg), "--out", d],
        check=True,
    )
    parts = json.load(open(os.path.join(d, "report.json")))["estimate"]
    keep = [p["resources"] for p in parts if p["name"] != "controller"]
    ctrl = [p["resources"] for p in parts if p["name"] == "controller"][0]
    return {k: sum(p[k] for p in keep) for k in ("lut", "ff", "dsp")}, ctrl


def main():
    # Default: the cores CONTROLLER_LUT / CONTROLLER_FF were fitted to.
    fit_cores = set(sys.argv[1:]) or {
        "xcup:4x4s8l4x4", "xcup:8x8s8l4x8", "xcup:32x4s1l4x8", "xcup:16x4s2l2x4", "xcup:8x32s1l1x8"}
    binary = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "release", "vitfpga")
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for family in BOARD:
            path = f"hw/calibration/core_{family}.csv"
            if not os.path.exists(path):
                continue
            for row in csv.DictReader(open(path)):
                est, ctrl = datapath_estimate(binary, family, row["config"], work)
                y = {
                    "lut": int(row["lut"]) + int(row["lutram"]) + int(row["srl"]),
                    "ff": int(row["ff"]),
                    "dsp": int(row["dsp"]),
                }
                lanes = int(row["scratchpad_bits"]) // 8
                cols = int(re.match(r"\d+x(\d+)", row["config"]).group(1))
                row_lanes = int(row["row_lanes"])
                rows.append((family, row["config"], lanes, cols, {k: y[k] - est[k] for k in y}, ctrl, y, row_lanes))
    fit = [r for r in rows if f"{r[0]}:{r[1]}" in fit_cores]
    if not fit:
        sys.exit(f"no fit core among {sorted(fit_cores)}")
    # Features: [1, scratchpad lanes, row-unit lanes, array columns] (the columns are the epilogue's
    # lanes: pipeline registers, requantiser parameter slots, output placement). Four or more fit
    # cores are needed; with fewer the column term, then the row-lane term, is left at zero.
    nfeat = min(4, len(fit))
    for res in ("lut", "ff"):
        x = np.array([[1.0, r[2], r[7], r[3]][:max(nfeat, 2)] for r in fit])
        yv = np.array([float(r[4][res]) for r in fit])
        coef, *_ = np.linalg.lstsq(x, yv, rcond=None)
        coef = list(coef) + [0.0] * (4 - len(coef))
        print(f"controller {res}: [{coef[0]:.1f}, {coef[1]:.1f}, {coef[2]:.1f}, {coef[3]:.1f}] "
              "on [1, lanes, row lanes, cols]")
    # DSPs (run-time address multiplies): [1, log2(cols)].
    x = np.array([[1.0, math.log2(r[3])] for r in fit])
    coef, *_ = np.linalg.lstsq(x, np.array([float(r[4]["dsp"]) for r in fit]), rcond=None)
    print(f"controller dsp: [{coef[0]:.2f}, {coef[1]:.2f}] on [1, log2(cols)]")
    print("\nfamily | core | role | lanes | cols | LUT residual | FF residual | DSP residual "
          "| model LUT/FF/DSP today | controller share of the core's LUTs")
    for family, cfg, lanes, cols, res, ctrl, y, _ in rows:
        role = "fit" if f"{family}:{cfg}" in fit_cores else "held out"
        share = res["lut"] / y["lut"]
        print(f"{family} | {cfg} | {role} | {lanes} | {cols} | {res['lut']} | {res['ff']} | {res['dsp']} "
              f"| {ctrl['lut']}/{ctrl['ff']}/{ctrl['dsp']} (DSP feature log2 cols {math.log2(cols):.0f}) "
              f"| {share:.2f}")


if __name__ == "__main__":
    main()
