#!/usr/bin/env bash
# Coverage-guided fuzzing of every target (or the TARGETs named) for SECONDS each (default
# 180), two at a time,
# on the stable toolchain (cargo fuzz needs nightly flags: RUSTC_BOOTSTRAP=1 allows them).
# New inputs are added to fuzz/corpus/<target>; crashes go to fuzz/artifacts/<target>.
# Prints one line per target: executions, coverage (edges), features, corpus size.
#   cargo install cargo-fuzz      # once
#   fuzz/run.sh 600               # ten minutes per target
#   fuzz/run.sh 300 jwt_differential flow_cookie
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-180}"
shift || true
export RUSTC_BOOTSTRAP=1
targets=(jwt_verify jwt_differential jwks discovery credentials flow_cookie small_parsers)
if (($# > 0)); then targets=("$@"); fi
cargo fuzz build -O
mkdir -p logs
run() {
  local t=$1
  cargo fuzz run -O "$t" "corpus/$t" -- -max_total_time="$seconds" -rss_limit_mb=2048 \
    -print_final_stats=1 > "logs/$t.log" 2>&1 || echo "$t: FAILED (see fuzz/logs/$t.log)"
  local runs cov ft
  runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "logs/$t.log" | grep -oE '[0-9]+$' || echo '?')
  cov=$(grep -oE 'cov: [0-9]+' "logs/$t.log" | tail -1 | grep -oE '[0-9]+' || echo '?')
  ft=$(grep -oE 'ft: [0-9]+' "logs/$t.log" | tail -1 | grep -oE '[0-9]+' || echo '?')
  echo "$t: $runs executions, cov $cov, ft $ft, corpus $(ls "corpus/$t" | wc -l) inputs"
}
for ((i = 0; i < ${#targets[@]}; i += 2)); do
  run "${targets[i]}" &
  if ((i + 1 < ${#targets[@]})); then run "${targets[i + 1]}" & fi
  wait
done
