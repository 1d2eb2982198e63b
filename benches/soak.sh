#!/usr/bin/env bash
# The soak (issue 12, item 6): build both demos in release, drive each for MINUTES (default
# 10) with mixed traffic on 127.0.0.1, sample memory every 10 s, and draw soak.png next to
# BENCHMARKS.md. Stops by itself; exit status 1 on a 5xx, an ERROR log or > 10 % growth.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p examples --bin axum-demo --bin actix-demo
cargo build --release -p auth-benches --bin soak
status=0
(cd benches && "../$target/release/soak" "$minutes" "../$target") || status=$?
python3 -c "import matplotlib" 2>/dev/null || pip install --quiet matplotlib
python3 - <<'PY'
import csv
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(8, 4))
for name in ("axum", "actix"):
    rows = list(csv.DictReader(open(f"benches/soak-{name}.csv")))
    ax.plot([int(r["seconds"]) / 60 for r in rows], [int(r["rss_kib"]) / 1024 for r in rows],
            label=f"{name}-demo")
ax.set_xlabel("minutes")
ax.set_ylabel("resident memory (MiB)")
ax.set_ylim(bottom=0)
ax.axvline(1, color="grey", linestyle=":", linewidth=1)
ax.set_title("Soak: mixed traffic, 4 clients per demo, RSS every 10 s")
ax.legend()
fig.tight_layout()
fig.savefig("soak.png", dpi=100)
print("wrote soak.png")
PY
exit "$status"
