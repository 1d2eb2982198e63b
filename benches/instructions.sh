#!/usr/bin/env bash
# Instruction counts of the hot paths (Callgrind through gungraun; valgrind must be
# installed), their floors and ratios, and a check against the committed baseline
# (benches/instructions-baseline.json): exits 1 when a hot path grew more than 10 %.
# Usage: benches/instructions.sh            run, report, compare
#        benches/instructions.sh --update   run, report, and write the new baseline
#                                           (commit it with the reason)
set -euo pipefail
cd "$(dirname "$0")/.."
version=0.20.0
if ! command -v gungraun-runner >/dev/null || [ "$(gungraun-runner --version | awk '{print $2}')" != "$version" ]; then
  cargo install gungraun-runner --version "$version" --locked
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cargo bench -p auth-benches --bench instructions -- --output-format=json > "$out"
python3 benches/instructions.py "$out" benches/instructions-baseline.json "$@"
