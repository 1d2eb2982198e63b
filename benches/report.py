#!/usr/bin/env python3
"""Turn the criterion estimates of `cargo bench -p auth-benches --bench jwt` into the
ratio table of BENCHMARKS.md.

For each algorithm and framework: added = (route with RequireJwt) - (same route bare);
ratio = added / (jsonwebtoken::decode of the same token). All figures come from one run.
Usage: benches/report.py [CRITERION_DIR]   (default: $CARGO_TARGET_DIR/criterion or target/criterion)
"""
import json
import os
import sys

TARGETS = {"HS256": 0.7, "RS256": 0.9, "ES256": 0.9, "EdDSA": 0.9}


def estimate(root, group, bench):
    path = os.path.join(root, group, bench, "new", "estimates.json")
    with open(path) as f:
        data = json.load(f)
    return data["median"]["point_estimate"]  # nanoseconds


def main():
    default = os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
    root = sys.argv[1] if len(sys.argv) > 1 else default
    rows = []
    ok = True
    for alg, target in TARGETS.items():
        group = f"jwt_{alg}"
        decode = estimate(root, group, "jsonwebtoken_decode")
        core = estimate(root, group, "core_verify")
        floor = estimate(root, group, "signature_only")
        for fw in ("axum", "actix"):
            bare = estimate(root, group, f"{fw}_bare")
            guarded = estimate(root, group, f"{fw}_require_jwt")
            added = guarded - bare
            ratio = added / decode
            ok &= ratio <= target
            rows.append(
                f"| {alg} | {fw} | {bare / 1000:.2f} | {guarded / 1000:.2f} | {added / 1000:.2f} "
                f"| {decode / 1000:.2f} | **{ratio:.2f}** | ≤ {target} | {core / 1000:.2f} "
                f"| {floor / 1000:.2f} ({floor / decode:.2f}) |"
            )
    print("| alg | framework | bare route µs | with `RequireJwt` µs | added µs "
          "| `jsonwebtoken::decode` µs | added ÷ decode | target | core verify µs "
          "| signature alone µs (÷ decode) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("All targets met." if ok else "Some targets NOT met.")
    apikey_table(root)
    remote_table(root)
    sign_outs_table(root)


def remote_table(root):
    """Discovered key set (snapshot, refresher running) versus static key: target <= 1.05;
    a repeated token through the verified-token cache versus uncached: target <= 0.10."""
    group = "remote"
    rows = []
    for alg in ("RS256", "ES256"):
        try:
            static = estimate(root, group, f"{alg}_static")
            remote = estimate(root, group, f"{alg}_remote")
            cached = estimate(root, group, f"{alg}_cached")
        except FileNotFoundError:
            return
        rows.append(
            f"| {alg} | {static / 1000:.2f} | {remote / 1000:.2f} | **{remote / static:.3f}** (≤ 1.05) "
            f"| {cached / 1000:.2f} | **{cached / remote:.3f}** (≤ 0.10) |"
        )
    print()
    print("| alg | static key µs | discovered key set µs | ratio | cached repeat µs | cached ÷ uncached |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


def apikey_table(root):
    """The API-key guard: added = guarded - bare; target <= 300 ns."""
    group = "apikey"
    try:
        core = estimate(root, group, "core_authenticate")
    except FileNotFoundError:
        return
    print()
    print("| framework | bare route µs | extractor µs (added ns) | layer + extractor µs (added ns) "
          "| target | core lookup ns |")
    print("|---|---|---|---|---|---|")
    for fw in ("axum", "actix"):
        bare = estimate(root, group, f"{fw}_bare")
        extractor = estimate(root, group, f"{fw}_extractor")
        guarded = estimate(root, group, f"{fw}_guarded")
        print(f"| {fw} | {bare / 1000:.2f} | {extractor / 1000:.2f} (**{extractor - bare:.0f}**) "
              f"| {guarded / 1000:.2f} (**{guarded - bare:.0f}**) | ≤ 300 | {core:.0f} |")



def sign_outs_table(root):
    """HS256 core verify with the sign-out epoch mirror (10 000 epochs) on versus off:
    target <= 1.05."""
    try:
        off = estimate(root, "sign_outs", "off")
        on = estimate(root, "sign_outs", "on")
    except FileNotFoundError:
        return
    print()
    print("| sign-out mirror | core verify µs | on ÷ off | target |")
    print("|---|---|---|---|")
    print(f"| off | {off / 1000:.3f} | | |")
    print(f"| on (10 000 epochs) | {on / 1000:.3f} | **{on / off:.3f}** | ≤ 1.05 |")


if __name__ == "__main__":
    main()
