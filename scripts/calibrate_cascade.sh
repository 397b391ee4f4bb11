#!/usr/bin/env bash
# Calibration of the DSP-cascade systolic array (hw/vf_systolic_cascade.v): Yosys 0.23
# `synth_xilinx -family xcup -flatten` of the array alone at each configuration `R C A_BITS W_BITS
# ACC_BITS PACK`, one CSV row each (hw/calibration/cascade_xcup.csv; DSP48E2 is the vendor primitive,
# a black box to Yosys). Seconds per configuration. Fit: python3 tools/fit_cascade.py.
#   bash scripts/calibrate_cascade.sh            # the committed sweep
#   bash scripts/calibrate_cascade.sh "8 8 8 8 20 1"
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-hw/calibration/cascade_xcup.csv}
cfgs=("$@")
[ ${#cfgs[@]} -gt 0 ] || cfgs=("4 4 8 8 20 0" "8 8 8 8 32 0" "8 8 8 8 20 0" "6 10 8 8 24 0" "12 12 8 4 24 0"
  "16 16 8 8 26 0" "32 8 8 8 26 0" "8 32 8 8 26 0" "7 12 4 4 16 0" "3 5 2 2 12 0" "16 8 8 8 24 0"
  "4 16 8 4 22 0" "24 24 8 8 26 0" "12 6 6 6 20 0" "32 32 8 8 26 0"
  "4 4 8 8 20 1" "8 8 8 8 22 1" "7 12 8 8 24 1" "16 16 8 8 26 1" "32 8 8 8 26 1" "8 32 8 8 26 1"
  "33 6 8 8 26 1" "16 7 8 4 22 1" "12 12 6 6 20 1" "64 16 8 8 28 1" "24 24 8 8 26 1" "48 32 8 8 28 1"
  "6 10 8 8 24 1" "16 8 8 8 24 1")
echo "rows,cols,a_bits,w_bits,acc_bits,pack,lut,srl,inv,ff,dsp" > "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for cfg in "${cfgs[@]}"; do
  read -r R C A W ACC P <<< "$cfg"
  P=${P:-0}
  yosys -q -p "read_verilog -sv hw/vf_systolic_cascade.v; chparam -set R $R -set C $C -set A_BITS $A -set W_BITS $W -set ACC_BITS $ACC -set PACK $P vf_systolic_cascade; synth_xilinx -family xcup -top vf_systolic_cascade -flatten; tee -q -o $work/stat.txt stat" >/dev/null
  python3 - "$work/stat.txt" "$R,$C,$A,$W,$ACC,$P" >> "$out" <<'PY'
import re, sys
cells = {}
for line in open(sys.argv[1]):
    m = re.match(r"\s+(\S+)\s+(\d+)\s*$", line)
    if m:
        cells[m.group(1)] = int(m.group(2))
s = lambda f: sum(v for k, v in cells.items() if f(k))
lut = s(lambda k: k.startswith("LUT") and len(k) == 4)
srl = s(lambda k: k.startswith("SRL"))
ff = s(lambda k: k in ("FDRE", "FDSE", "FDCE", "FDPE"))
dsp = s(lambda k: k.startswith("DSP48"))
print(f"{sys.argv[2]},{lut},{srl},{cells.get('INV', 0)},{ff},{dsp}")
PY
  tail -n1 "$out"
done
