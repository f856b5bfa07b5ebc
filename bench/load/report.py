#!/usr/bin/env python3
"""The tables of bench/load/run.sh: Writ against the floor of ../shared/bench/floor (issue 18:
the same core, wrk, request objects and run), then the criterion ceiling, per algorithm.

usage: report.py OUT_DIR CRITERION_DIR "RS256 ES256 EdDSA"
"""
import json
import os
import sys

out, criterion, algs = sys.argv[1], sys.argv[2], sys.argv[3].split()
# Issue 4 goals: share of the one-core ceiling at 64 connections.
GOAL = {"RS256": 0.60, "PS256": 0.60, "ES256": 0.70, "EdDSA": 0.70}
# Issue 18: share of the floor's accepted requests per second at 64 connections.
FLOOR_GOAL = 0.80

runs = [json.loads(l) for l in open(os.path.join(out, "runs.jsonl")) if l.strip()]


def ceiling(alg):
    p = os.path.join(criterion, "pipeline", alg, "new", "estimates.json")
    try:
        ns = json.load(open(p))["mean"]["point_estimate"]
    except (OSError, KeyError, ValueError):
        return None, None
    return ns / 1000.0, 1e9 / ns


def run(alg, label):
    return next((r for r in runs if r["alg"] == alg and r["label"] == label), None)


def ms(us):
    return f"{us / 1000:.2f} ms"


def floor_cpu_us():
    r = run("floor", "c64")
    if r is None or r["ok"] == 0:
        return None
    return r["server_cpu_s"] * 1e6 / r["ok"]


floor_us = floor_cpu_us()
rows, notes, summary = [], [], []
for alg in algs:
    op_us, ceil = ceiling(alg)
    r64, r1 = run(alg, "c64"), run(alg, "c1")
    if r64 is None:
        continue
    secs = r64["duration_us"] / 1e6
    rate = r64["ok"] / secs
    measured = [r for r in (r64, r1) if r]
    # A response wrk counted that the server did not count as an accepted request object was
    # not the interaction redirect (in lean runs wrk does not look at the Location itself).
    errors = sum(
        r["bad"]
        + sum(r["socket_errors"].values())
        + r["server_refused"]
        + max(0, r["ok"] - r["server_accepted"])
        for r in measured
    )
    cpu_us = r64["server_cpu_s"] * 1e6 / max(r64["ok"], 1)
    wakes = r64.get("load_cpu_ipis")
    wakes = f"{wakes / max(r64['ok'], 1):.2f}" if wakes is not None else "–"
    share = rate / ceil if ceil else None
    p50, p99 = r64["latency_us"]["p50"], r64["latency_us"]["p99"]
    p99_1 = r1["latency_us"]["p99"] if r1 else None
    rows.append(
        "| {alg} | {ceil} | {rate:,.0f} | {share} | {p50} | {p99} | {p99_1} | {errors} | {cpu:.1f} µs | {cap} | {wakes} |".format(
            alg=alg,
            ceil=f"{ceil:,.0f} ({op_us:.1f} µs)" if ceil else "–",
            rate=rate,
            share=f"{share:.0%}" if share else "–",
            p50=ms(p50),
            p99=ms(p99),
            p99_1=ms(p99_1) if p99_1 is not None else "–",
            errors=errors,
            cpu=cpu_us,
            cap=f"{1e6 / cpu_us:,.0f}" if cpu_us else "–",
            wakes=wakes,
        )
    )
    goals = []
    if share is not None:
        goals.append(f"share {share:.0%} {'≥' if share >= GOAL.get(alg, 0.7) else '<'} {GOAL.get(alg, 0.7):.0%}")
    goals.append(f"p99/p50 at 64 = {p99 / max(p50, 1):.2f} {'≤' if p99 <= 2 * p50 else '>'} 2")
    if alg == "RS256" and p99_1 is not None:
        goals.append(f"p99 at 1 = {ms(p99_1)} {'≤' if p99_1 <= 1000 else '>'} 1 ms")
    goals.append(f"errors {errors}")
    if floor_us and op_us:
        goals.append(
            f"bound by the HTTP floor: {op_us:.1f} / ({op_us:.1f} + {floor_us:.1f}) µs = "
            f"{op_us / (op_us + floor_us):.0%} of the ceiling with no store and no parsing at all"
        )
    summary.append(f"- {alg}: " + "; ".join(goals))
    for r in measured:
        if r["server_accepted"] < r["ok"]:
            notes.append(
                f"- {alg} {r['label']}: wrk counted {r['ok']} accepted but the server only {r['server_accepted']}"
            )
        if r["pool"] < r["first_line"] + r["requests"]:
            notes.append(
                f"- {alg} {r['label']}: {r['requests']} requests from a pool of {r['pool']} request objects: some were sent twice (replay protection is off in this config, so that is legal)"
            )

def against_floor():
    """Writ and the floor, per algorithm, from the same run."""
    lines = []
    for alg in algs:
        w, f = run(alg, "c64"), run(alg, "floor-c64")
        if w is None or f is None:
            continue
        fw = run(alg, "floor-warmup")
        w_rate = w["ok"] / (w["duration_us"] / 1e6)
        f_rate = f["ok"] / (f["duration_us"] / 1e6)
        share = w_rate / f_rate if f_rate else 0
        w_cpu = w["server_cpu_s"] * 1e6 / max(w["ok"], 1)
        f_cpu = f["server_cpu_s"] * 1e6 / max(f["ok"], 1)
        f_err = f["bad"] + sum(f["socket_errors"].values()) + (
            fw["bad"] + sum(fw["socket_errors"].values()) if fw else 0
        )
        wl, fl = w["latency_us"], f["latency_us"]
        goal = "≥" if share >= FLOOR_GOAL else "<"
        lines.append(
            f"| {alg} | {w_rate:,.0f} | {f_rate:,.0f} | {share:.0%} {goal} {FLOOR_GOAL:.0%} | "
            f"{ms(wl['p50'])} / {ms(wl['p99'])} ({wl['p99'] / max(wl['p50'], 1):.2f}×) | "
            f"{ms(fl['p50'])} / {ms(fl['p99'])} | {w_cpu:.1f} µs | {f_cpu:.1f} µs | "
            f"{w_cpu - f_cpu:+.1f} µs | {f_err} |"
        )
    if not lines:
        return
    print("Writ against the floor (../shared/bench/floor: parse, verify, check, 303), same core, same wrk, same request objects, 64 connections:")
    print()
    print("| alg | Writ accepted req/s | floor req/s | Writ / floor | Writ p50 / p99 | floor p50 / p99 | Writ CPU per request | floor CPU per request | Writ − floor | floor errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))
    print()


against_floor()
print("| alg | criterion ceiling, ops/s (per op) | accepted req/s at 64 conns | % of ceiling | p50 at 64 | p99 at 64 | p99 at 1 conn | errors | server CPU per request at 64 | req/s if the server had its core alone | wake-ups of wrk's core per request at 64 |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
print("\n".join(rows))
floor = [(label, run("floor", label)) for label in ("c64", "c1")]
if floor[0][1]:
    print()
    print("HTTP floor (the same queries to a path with no route: 404, no pipeline, no store):")
    print()
    print("| connections | responses/s | p50 | p90 | p99 | server CPU per request | errors | wake-ups of wrk's core per response |")
    print("|---|---|---|---|---|---|---|---|")
    for label, r in floor:
        if r is None:
            continue
        secs = r["duration_us"] / 1e6
        lat = r["latency_us"]
        print(
            f"| {r['connections']} | {r['ok'] / secs:,.0f} | {ms(lat['p50'])} | {ms(lat['p90'])} | "
            f"{ms(lat['p99'])} | {r['server_cpu_s'] * 1e6 / max(r['ok'], 1):.1f} µs | "
            f"{r['bad'] + sum(r['socket_errors'].values())} | "
            + (f"{r['load_cpu_ipis'] / max(r['ok'], 1):.2f} |" if "load_cpu_ipis" in r else "– |")
        )
print()
print("\n".join(summary))
if notes:
    print()
    print("\n".join(notes))
print()
print("```")
print(open(os.path.join(out, "machine.txt")).read().rstrip())
print("```")
