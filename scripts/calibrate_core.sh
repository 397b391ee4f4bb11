#!/usr/bin/env bash
# Whole-core calibration: build the digits core at several array shapes, synthesise each with
# Yosys `synth_xilinx -family <family> -flatten`, and append one CSV row per core to
# hw/calibration/core_<family>.csv: the Yosys figures beside the estimate of the unit models and
# buffers (everything but the controller). The controller model in crates/vitfpga-hw/src/accel.rs
# is fitted to these rows. Tens of minutes per core: run by hand, e.g.
#   bash scripts/calibrate_core.sh 4x4 8x8 16x16 16x8s1
#   FAMILY=xc7 bash scripts/calibrate_core.sh 4x4s8l4x4
# A config is `RxC`, then `p` for DSP packing, `d` for the array on DSP48E2 cascades (without it,
# the fabric array), then `s<N>` for N softmax units, then `l<U>x<L>` for U LayerNorm units of L
# lanes (defaults: the compiler's choice). xcup cores are built for the
# ZCU102, xc7 cores for the PYNQ-Z2, both with --allow-overfill (the 16x16 core is over the ZCU102
# caps and every digits core is larger than an XC7Z020; only the family's cells matter here).
set -euo pipefail
cd "$(dirname "$0")/.."
family=${FAMILY:-xcup}
case "$family" in
  xcup) device=(--device zcu102 --allow-overfill) ;;
  xc7) device=(--device pynq-z2 --allow-overfill) ;;
  *) echo "FAMILY must be xcup or xc7, not $family" >&2; exit 2 ;;
esac
out=${OUT:-hw/calibration/core_$family.csv}   # OUT: another file, e.g. for a re-calibration
bin=${CARGO_TARGET_DIR:-target}/release/vitfpga
cargo build --release -q -p vitfpga-cli
[ -f "$out" ] || echo "config,lut,ff,dsp,bram18,lutram,srl,est_lut,est_ff,est_dsp,est_bram18,scratchpad_bits,row_lanes,instructions,seconds,softmax_units,layernorm_units,layernorm_lanes,layernorm_rtl" > "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for cfg in "$@"; do
  rest=$cfg
  ln=(); if [[ $rest == *l* ]]; then u=${rest#*l}; ln=(--layernorm-units "${u%x*}" --layernorm-lanes "${u#*x}"); rest=${rest%%l*}; fi
  sm=(); if [[ $rest == *s* ]]; then sm=(--softmax-units "${rest#*s}"); rest=${rest%%s*}; fi
  cascade=(--no-dsp-cascade); [[ $rest == *d ]] && cascade=(--dsp-cascade)
  rest=${rest%d}
  array=${rest%p}
  pack=(); [ "$rest" != "$array" ] && pack=(--dsp-packing)
  dir="$work/$cfg"
  "$bin" build --model fixtures/digits/model.toml --weights fixtures/digits/weights.safetensors \
    --calib fixtures/digits/calib_images.npy "${device[@]}" --array "$array" "${pack[@]}" "${cascade[@]}" "${sm[@]}" "${ln[@]}" --out "$dir" >/dev/null
  start=$(date +%s)
  (cd "$dir/yosys" && yosys -q -p "read_verilog -sv ../rtl/vitfpga_accel.v; synth_xilinx -family $family -top vitfpga_accel -flatten; tee -q -o stat.txt stat" >/dev/null)
  secs=$(( $(date +%s) - start ))
  python3 - "$cfg" "$dir" "$secs" >> "$out" <<'PY'
import json, re, sys
cfg, d, secs = sys.argv[1], sys.argv[2], sys.argv[3]
cells = {}
for line in open(f"{d}/yosys/stat.txt"):
    m = re.match(r"\s+(\S+)\s+(\d+)\s*$", line)
    if m:
        cells[m.group(1)] = int(m.group(2))
s = lambda f: sum(v for k, v in cells.items() if f(k))
# The same sums as vitfpga_cosim::gates::synth_xilinx.
lut = s(lambda k: k.startswith("LUT") and len(k) == 4)
ff = s(lambda k: k in ("FDRE", "FDSE", "FDCE", "FDPE"))
dsp = s(lambda k: k.startswith("DSP48") or k == "DSP58")
bram = 2 * s(lambda k: k.startswith("RAMB36")) + s(lambda k: k.startswith("RAMB18"))
lutram = s(lambda k: k.startswith("RAM") and "M" in k and not k.startswith("RAMB"))
srl = s(lambda k: k.startswith("SRL"))
r = json.load(open(f"{d}/report.json"))
parts = [p["resources"] for p in r["estimate"] if p["name"] != "controller"]
est = {k: sum(p[k] for p in parts) for k in ("lut", "ff", "dsp", "bram18")}
rtl = open(f"{d}/rtl/vitfpga_accel.v").read()
par = lambda n: int(re.search(rf"parameter integer {n}\s*=\s*(\d+)", rtl).group(1))
spw = par("V") * 8
lanes = par("SM_UNITS") * par("C") + par("LN_UNITS") * par("LN_L")
instr = par("IMEM_L") + par("IMEM_E") + par("IMEM_S")
units = f"{par('SM_UNITS')},{par('LN_UNITS')},{par('LN_L')}"
# layernorm_rtl: the RTL generation of the row engine (core_estimate.rs): `two_pass` before issue
# 16's one-pass LayerNorm, `overlapped` since its row-engine overlap (two-bank LayerNorm, read port 4).
print(f"{cfg},{lut},{ff},{dsp},{bram},{lutram},{srl},{est['lut']},{est['ff']},{est['dsp']},{est['bram18']},{spw},{lanes},{instr},{secs},{units},overlapped")
PY
  tail -n1 "$out"
done
