#!/usr/bin/env bash
# Golden model vs onnxruntime int8, DeiT-B, batch 1, same machine, one run, alternating so that
# machine load affects both alike. Needs: cargo, python3 with tools/requirements.txt.
# Usage: tools/bench_peer.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
cargo build --release -q -p vitfpga-cli
python3 tools/bench_onnxruntime.py --json --runs 10 >/dev/null 2>&1   # export + quantise once
ours=(); peer=()
for r in $(seq "$rounds"); do
  ours+=("$(target/release/vitfpga bench --model deit-base --w-bits 8 --a-bits 8 --runs 10 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["median_s_per_image"])')")
  peer+=("$(python3 tools/bench_onnxruntime.py --json --runs 10 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["int8_median_s"])')")
done
python3 - "${ours[*]}" "${peer[*]}" <<'PY'
import statistics, sys
ours = [float(x) for x in sys.argv[1].split()]
peer = [float(x) for x in sys.argv[2].split()]
o, p = statistics.median(ours), statistics.median(peer)
print(f"vitfpga golden  DeiT-B W8A8: median {o:.4f} s/image  (rounds: {', '.join(f'{x:.4f}' for x in ours)})")
print(f"onnxruntime int8 DeiT-B    : median {p:.4f} s/image  (rounds: {', '.join(f'{x:.4f}' for x in peer)})")
print(f"ratio golden / onnxruntime : {o / p:.2f}x")
PY
