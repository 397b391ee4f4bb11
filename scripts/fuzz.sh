#!/usr/bin/env bash
# Run every cargo-fuzz target for a while (default 600 s each), one after another, on nightly.
#   bash scripts/fuzz.sh [seconds per target] [target ...]
# Exits non-zero if any target finds a crash, leak, timeout or out-of-memory input; the input is
# written to fuzz/artifacts/<target>/; copy it to fuzz/seeds/<target>/ once fixed. New
# coverage-increasing inputs go to fuzz/corpus/<target>/ (minimise before committing:
# cargo +nightly fuzz cmin -O -a <target> corpus/<target>). The log shows each
# target's execution count (stat::number_of_executed_units).
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(model_toml quant_toml design_toml safetensors npy program)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "seeds/$t"
    echo "== $t: ${secs} s"
    # -a: overflow checks and debug assertions on, so arithmetic overflow is a finding.
    # New inputs go to corpus/ (the first directory); seeds/ holds the named seeds and past findings.
    cargo +nightly fuzz run -O -a "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 > "/tmp/fuzz-$t.log" 2>&1
    rc=$?
    grep -E "^(Done|stat::number_of_executed_units|SUMMARY)|panicked at|Test unit written|ERROR:" "/tmp/fuzz-$t.log"
    [ $rc -eq 0 ] || failed+=("$t")
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzzing found inputs that fail: ${failed[*]} (see fuzz/artifacts/ and /tmp/fuzz-<target>.log)"
    exit 1
fi
