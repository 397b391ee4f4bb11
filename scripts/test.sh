#!/usr/bin/env bash
# The project's test command (README "Run the tests"; .ci/run runs exactly this).
# Installs the external simulators/synthesis tools when missing, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v verilator >/dev/null 2>&1 || need+=(verilator)
command -v iverilog >/dev/null 2>&1 || need+=(iverilog)
command -v yosys >/dev/null 2>&1 || need+=(yosys)
# The HTML report is checked in a real headless browser (crates/vitfpga-cli/tests/cli.rs).
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} with apt-get"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  # The co-simulation and lint/synthesis gates in sim-tests/ need all three; the report test
  # needs Chromium.
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "tools: $(verilator --version | head -n1); $(iverilog -V 2>&1 | head -n1); $(yosys -V); $(chromium --version 2>/dev/null | head -n1)"

# Release: the golden model runs in many tests and simulations stream thousands of vectors.
# Verilator builds are cached per design under $VITFPGA_COSIM_CACHE (default: the temp dir).
cargo test --release --workspace --locked

# A short fuzzing run (10 s per target) when a nightly toolchain is installed; cargo-fuzz is
# installed if missing. Without nightly the committed corpus is still replayed on stable by
# crates/vitfpga-cli/tests/fuzz_corpus.rs (part of the workspace tests above).
if [ "${VITFPGA_SKIP_FUZZ:-0}" != 1 ] && rustup run nightly rustc --version >/dev/null 2>&1; then
  command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked --quiet
  CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/fuzz" bash scripts/fuzz.sh 10
else
  echo "no nightly toolchain: skipping the short fuzzing run (the corpus was replayed on stable)"
fi
