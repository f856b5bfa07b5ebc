#!/usr/bin/env python3
"""Prints the docs/PERFORMANCE.md tables from `cargo bench -p writ-jose --bench jose` runs.

Reads criterion's results (CARGO_TARGET_DIR/criterion, default target/criterion). For each
benchmark it takes the median time per iteration of every saved baseline (runs made with
`-- --save-baseline NAME`; without any, the last run) and keeps the lowest: on a shared
machine, other load only ever adds time, so the lowest of several runs is the closest to the
code's own cost. Ratio = josekit / writ-jose (above 1: writ-jose is faster).

    python3 crates/jose/benches/perf_table.py [CRITERION_DIR]
"""

import json
import os
import sys
from pathlib import Path

JWS_ALGS = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES384", "ES512", "EdDSA"]


def load(root):
    """full_id -> lowest median (ns) over the saved baselines, or the last run's."""
    runs = {}
    for meta in root.glob("**/benchmark.json"):
        if meta.parent.name in ("change", "report"):
            continue
        info = json.loads(meta.read_text())
        est = json.loads((meta.parent / "estimates.json").read_text())
        runs.setdefault(info["full_id"], {})[meta.parent.name] = est["median"]["point_estimate"]
    out = {}
    for full_id, by_run in runs.items():
        saved = [v for name, v in by_run.items() if name not in ("new", "base")]
        out[full_id] = min(saved) if saved else by_run.get("new")
    return out


def fmt(ns):
    if ns is None:
        return "—"
    if ns >= 1000:
        return f"{ns / 1000:.1f} µs" if ns < 100_000 else f"{ns / 1000:.0f} µs"
    return f"{ns:.0f} ns"


def ratio(kit, ours):
    if kit is None or ours is None:
        return "—"
    return f"{kit / ours:.2f}×"


def main():
    default = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "criterion"
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    r = load(root)

    print("### Verify (parse + verify a compact JWS; key parsed once)\n")
    print("| alg | writ-jose | josekit | ratio | writ-jose, JWK parsed each time "
          "| primitive: aws-lc-rs | primitive: OpenSSL (josekit) | primitive ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for alg in JWS_ALGS:
        ours = r.get(f"verify/writ-jose/{alg}")
        kit = r.get(f"verify/josekit/{alg}")
        jwk = r.get(f"verify/writ-jose+jwk-parse/{alg}")
        p_ours = r.get(f"primitive/aws-lc-rs/{alg}")
        p_kit = r.get(f"primitive/openssl-via-josekit/{alg}")
        print(f"| {alg} | {fmt(ours)} | {fmt(kit)} | **{ratio(kit, ours)}** | {fmt(jwk)} "
              f"| {fmt(p_ours)} | {fmt(p_kit)} | {ratio(p_kit, p_ours)} |")

    print("\n### Decrypt (parse + decrypt a compact JWE; ECDH-ES rows on P-256 unless marked "
          "X25519)\n")
    print("| alg + enc | writ-jose | josekit | ratio |")
    print("|---|---:|---:|---:|")
    ids = sorted({k.split("/", 2)[2] for k in r if k.startswith("decrypt/writ-jose/")},
                 key=lambda s: ("X25519" in s, s))
    for pair in ids:
        ours = r.get(f"decrypt/writ-jose/{pair}")
        kit = r.get(f"decrypt/josekit/{pair}")
        print(f"| {pair} | {fmt(ours)} | {fmt(kit)} | **{ratio(kit, ours)}** |")


if __name__ == "__main__":
    main()
