#!/usr/bin/env python3
"""Read gungraun's JSON lines (one per benchmark), print the instruction counts, the floors
and the ratios of BENCHMARKS.md, and compare each count with the committed baseline: a
count more than 10 % above its baseline fails (exit 1). With --update, write the baseline.

Usage: benches/instructions.py RUN.jsonl BASELINE.json [--update]
"""
import json
import sys

LIMIT = 1.10


def instructions(summary):
    """The Ir (instructions executed) of one benchmark's summary line."""
    total = summary["profiles"][0]["data"]["total"]["metrics"]
    return int(total["Ir"]["values"]["new"])


def load(path):
    counts = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            summary = json.loads(line)
            name = f"{summary['function_name']}::{summary['id']}"
            counts[name] = instructions(summary)
    return counts


def main():
    run_path, baseline_path = sys.argv[1], sys.argv[2]
    update = "--update" in sys.argv[3:]
    c = load(run_path)
    print("| benchmark | instructions |")
    print("|---|---|")
    for name, ir in sorted(c.items()):
        print(f"| `{name}` | {ir:,} |")

    def ratio(a, b):
        return c[a] / c[b]

    floor = c["jwt::hs256_signature"] + c["jwt::floor_base64"] + c["jwt::floor_claims_all"]
    print()
    print("| goal | measured | met |")
    print("|---|---|---|")
    rows = [
        ("HS256 core verify ÷ floors (signature + base64 + claims)", c["jwt::hs256_core_verify"] / floor, 1.3),
        ("HS256 core verify ÷ `jsonwebtoken::decode`", ratio("jwt::hs256_core_verify", "jwt::hs256_jsonwebtoken"), None),
    ]
    for fw in ("axum", "actix"):
        added = c[f"jwt_routes::{fw}_require_jwt"] - c[f"jwt_routes::{fw}_bare"]
        rows.append((f"HS256 `RequireJwt` added ({fw}) ÷ `jsonwebtoken::decode`", added / c["jwt::hs256_jsonwebtoken"], 0.5))
    key_floor = c["apikey::floor_sha256_lookup"]
    rows.append(("API-key core ÷ floor (SHA-256 + map lookup)", c["apikey::core"] / key_floor, 1.3))
    for fw in ("axum", "actix"):
        for route, what in (("extractor", "extractor"), ("guarded", "layer + extractor")):
            added = c[f"apikey::{fw}_{route}"] - c[f"apikey::{fw}_bare"]
            rows.append((f"API-key {what} added ({fw}) ÷ floor", added / key_floor, None))
    plain = c["jwt_routes::axum_require_jwt"]
    for variant, what in (("prometheus", "looked up per decision"), ("prometheus_registered", "registered handles")):
        name = f"jwt_routes::axum_require_jwt_{variant}"
        if name in c:
            rows.append((f"Prometheus exporter, {what}: instructions added to the axum `RequireJwt` route", c[name] - plain, None))
    for alg in ("rs256", "es256", "eddsa"):
        ours = c[f"jwt::{alg}_core_verify"] - c[f"jwt::{alg}_signature"]
        theirs = c[f"jwt::{alg}_jsonwebtoken"] - c[f"jwt::{alg}_signature"]
        rows.append((f"{alg.upper()} our overhead ÷ jsonwebtoken's (above the signature)", ours / theirs, 0.5))
    for what, value, goal in rows:
        met = "" if goal is None else ("yes" if value <= goal else f"no (goal ≤ {goal})")
        shown = f"{value:,}" if isinstance(value, int) else f"{value:.2f}"
        print(f"| {what} | {shown} | {met} |")

    if update:
        with open(baseline_path, "w") as f:
            json.dump(dict(sorted(c.items())), f, indent=2)
            f.write("\n")
        print(f"\nbaseline written: {baseline_path}")
        return 0
    with open(baseline_path) as f:
        baseline = json.load(f)
    grown = [
        (name, base, c[name])
        for name, base in baseline.items()
        if name in c and c[name] > base * LIMIT
    ]
    missing = [name for name in baseline if name not in c]
    for name, base, now in grown:
        print(f"REGRESSION {name}: {now:,} instructions, baseline {base:,} (+{(now / base - 1) * 100:.1f} %)")
    for name in missing:
        print(f"MISSING {name}: in the baseline, not in this run")
    if grown or missing:
        return 1
    print(f"\nno hot path grew more than {round((LIMIT - 1) * 100)} % over {baseline_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
