#!/usr/bin/env bash
# Load test of request objects by reference and of pushed authorization requests (issue 5,
# deliverable 7). Same discipline as bench/load/run.sh: `writ serve` on a fresh SQLite store
# pinned to CPU $SERVER_CPU with one tokio worker; everything on the client side (wrk, the
# request-object host, the PAR driver) pinned to CPU $LOAD_CPU.
#
#   bench/load/par_and_uri.sh
#
# Scenarios, each on a fresh server, $DURATION at 64 connections then at 1:
#   by_value        GET /authorize?request=<JWT>, distinct objects (the baseline of issue 4);
#   uri_cache_off   GET /authorize?request_uri=http://HOST/ro/<i>, distinct URIs, the host
#                   answering Cache-Control: no-store, so every request is a fetch;
#   uri_cache_on    the same with $CACHED_URIS URIs cycled and max-age=600: after the warm-up
#                   every fetch is a cache hit (the object is still verified every time);
#   par_plain       POST /par (plain parameters) then GET /authorize?request_uri=<urn>;
#   par_signed      POST /par with a distinct signed request object, then the authorize;
#   par_*_push      the same pushes alone (PAR_PUSH_ONLY=1): the push's own cost.
# Only the normal next step counts: a 303 to /interaction/ (and a 201 from /par). Each run
# also records the server's CPU time (utime + stime of the writ process), so the table gives
# the server's CPU per unit, and the push's own cost beside the authorize that redeems it.
#
# Knobs: N (objects, 200000), DURATION (10s), WARMUP (2s), ALG (ES256), CACHED_URIS (500),
# PORT (18080), HOST_PORT (18081), SERVER_CPU (0), LOAD_CPU (1), OUT, CARGO_TARGET_DIR, WRIT (a
# writ binary to measure instead of the one built here: two builds compared in turn).
# Needs cargo, python3, taskset, curl, wrk. Traffic stays on 127.0.0.1. The request-object
# host is plain http on loopback, so the config turns on allow_http and
# allow_private_addresses (never do that in production).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=${N:-200000}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ALG=${ALG:-ES256}
CACHED_URIS=${CACHED_URIS:-500}
PORT=${PORT:-18080}
HOST_PORT=${HOST_PORT:-18081}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/writ-par-uri.XXXXXX")}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
LUA="$ROOT/bench/load/authorize.lua"
ADDR="127.0.0.1:$PORT"
HOST_ADDR="127.0.0.1:$HOST_PORT"
secs=${DURATION%s}

say() { printf '\n== %s\n' "$*" >&2; }
for tool in cargo python3 taskset curl wrk; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install wrk)" >&2; exit 1; }
done
mkdir -p "$OUT"
say "results in $OUT"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo ' (dirty)')"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/machine.txt"

say "building (release)"
cargo build --release -p writ-server --bin writ --example gen_ros --example ro_host --example par_load >&2
WRIT=${WRIT:-$TARGET/release/writ}
EX="$TARGET/release/examples"

say "generating $N $ALG request objects"
"$EX/gen_ros" "$OUT" "$ADDR" "$N" "$ALG"
sed 's/.*&request=//' "$OUT/urls-$ALG.txt" > "$OUT/ros.txt"
# gen_ros's writ.toml ends with the load client's table: give it request_uris, then enable
# client-hosted request_uri for the loopback host.
cat >> "$OUT/writ.toml" <<TOML
request_uris = ["http://$HOST_ADDR/ro/*"]

[jar]
request_uri_parameter = true

[jar.request_uri]
allow_http = true
allow_private_addresses = true

# The load client is public, and a public client's pushes are limited per [par] lifetime
# (issue 16); the load test pushes tens of thousands a minute, so it lifts the limit to its
# maximum (never sized like this in production), and the window to 20 s, so that the pushes
# alone (par_*_push, up to ~10,000 a second) stay under it; a pushed request is redeemed at once.
[par]
public_client_quota = 100000
lifetime = "20s"
TOML
python3 - "$OUT" "$ADDR" "$HOST_ADDR" "$N" "$CACHED_URIS" <<'PY'
import sys, urllib.parse
out, addr, host, n, cached = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
def urls(name, count):
    with open(f"{out}/{name}", "w") as f:
        for i in range(count):
            ref = urllib.parse.quote(f"http://{host}/ro/{i}", safe="")
            f.write(f"http://{addr}/authorize?client_id=load&request_uri={ref}\n")
urls("urls-uri-off.txt", n)
urls("urls-uri-on.txt", cached)
PY

SERVER_PID=""; HOST_PID=""
stop() {
    for pid in $SERVER_PID $HOST_PID; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    SERVER_PID=""; HOST_PID=""
}
trap stop EXIT

start_server() {
    rm -rf "$OUT/data"
    TOKIO_WORKER_THREADS=1 taskset -c "$SERVER_CPU" "$WRIT" serve --config "$OUT/writ.toml" \
        2> "$OUT/server-$1.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -sf "http://$ADDR/health" >/dev/null && return; sleep 0.1; done
    echo "writ did not start" >&2; cat "$OUT/server-$1.log" >&2; exit 1
}
start_host() { # cache-control
    taskset -c "$LOAD_CPU" "$EX/ro_host" "$OUT/ros.txt" "$HOST_ADDR" "$1" 2> "$OUT/host.log" &
    HOST_PID=$!
    for _ in $(seq 100); do curl -sf -o /dev/null "http://$HOST_ADDR/ro/0" && return; sleep 0.1; done
    echo "ro_host did not start" >&2; exit 1
}
server_cpu() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
accepted() {
    curl -sf "http://$ADDR/metrics" \
        | awk '/^writ_authorize_total\{outcome="interaction"/ {s += $NF} END {print s + 0}'
}

: > "$OUT/runs.jsonl"
record() { # scenario label conns json accepted loadavg cpu_ticks
    python3 - "$@" "$(getconf CLK_TCK)" >> "$OUT/runs.jsonl" <<'PY'
import json, sys
scenario, label, conns, raw, acc, load, ticks, hz = sys.argv[1:]
r = json.loads(raw)
r.update(scenario=scenario, label=label, connections=int(conns), server_accepted=int(acc),
         loadavg_after=float(load), server_cpu_s=int(ticks) / int(hz))
print(json.dumps(r))
PY
    tail -1 "$OUT/runs.jsonl" >&2
}
wrk_run() { # scenario label conns duration urls
    local a0 c0 out json
    a0=$(accepted); c0=$(server_cpu)
    out=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$3" -d"$4" -s "$LUA" "http://$ADDR" -- "$5" 0 2>&1)
    json=$(echo "$out" | sed -n 's/^RESULT //p')
    [ -n "$json" ] || { echo "wrk failed: $out" >&2; exit 1; }
    record "$1" "$2" "$3" "$json" "$(( $(accepted) - a0 ))" "$(cut -d' ' -f1 /proc/loadavg)" \
        "$(( $(server_cpu) - c0 ))"
}
par_run() { # scenario label conns seconds push_only [jwt file]
    local a0 c0 json
    a0=$(accepted); c0=$(server_cpu)
    json=$(PAR_PUSH_ONLY="$5" taskset -c "$LOAD_CPU" "$EX/par_load" "$ADDR" "$3" "$4" ${6:+"$6"} \
        | sed -n 's/^RESULT //p')
    [ -n "$json" ] || { echo "par_load failed" >&2; exit 1; }
    record "$1" "$2" "$3" "$json" "$(( $(accepted) - a0 ))" "$(cut -d' ' -f1 /proc/loadavg)" \
        "$(( $(server_cpu) - c0 ))"
}

scenario_wrk() { # name urls [cache-control]
    say "$1"
    start_server "$1"
    [ -n "${3:-}" ] && start_host "$3"
    wrk_run "$1" warmup 64 "$WARMUP" "$2"
    wrk_run "$1" c64 64 "$DURATION" "$2"
    wrk_run "$1" c1 1 "$DURATION" "$2"
    stop
}
scenario_par() { # name push_only [jwt file]
    say "$1"
    start_server "$1"
    par_run "$1" warmup 64 "${WARMUP%s}" "$2" ${3:+"$3"}
    par_run "$1" c64 64 "$secs" "$2" ${3:+"$3"}
    par_run "$1" c1 1 "$secs" "$2" ${3:+"$3"}
    stop
}

scenario_wrk by_value "$OUT/urls-$ALG.txt"
scenario_wrk uri_cache_off "$OUT/urls-uri-off.txt" "no-store"
scenario_wrk uri_cache_on "$OUT/urls-uri-on.txt" "max-age=600"
scenario_par par_plain 0
scenario_par par_signed 0 "$OUT/ros.txt"
scenario_par par_plain_push 1
scenario_par par_signed_push 1 "$OUT/ros.txt"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"

python3 - "$OUT" <<'PY' | tee "$OUT/results.md"
import json, os, sys
out = sys.argv[1]
runs = [json.loads(l) for l in open(os.path.join(out, "runs.jsonl")) if l.strip()]
def get(s, label):
    return next((r for r in runs if r["scenario"] == s and r["label"] == label), None)
print("| scenario | unit | per second at 64 conns | of by value | p50 | p99 | p99 at 1 conn | server CPU per unit | errors |")
print("|---|---|---|---|---|---|---|---|---|")
units = {"par_plain": "push + authorize", "par_signed": "push + authorize",
         "par_plain_push": "push", "par_signed_push": "push"}
cpu, base = {}, None
for s in ["by_value", "uri_cache_off", "uri_cache_on", "par_plain", "par_signed",
          "par_plain_push", "par_signed_push"]:
    r64, r1 = get(s, "c64"), get(s, "c1")
    if not r64:
        continue
    pairs = "pairs" in r64
    n = r64["pairs"] if pairs else r64["ok"]
    rate = n / (r64["duration_us"] / 1e6)
    base = base or rate
    cpu[s] = r64["server_cpu_s"] * 1e6 / max(n, 1)
    errs = sum(r.get("bad", 0) + sum(r.get("socket_errors", {}).values()) for r in (r64, r1) if r)
    ms = lambda us: f"{us / 1000:.2f} ms"
    print(f"| {s} | {units.get(s, 'authorize')} | {rate:,.0f} | {rate / base:.0%} | "
          f"{ms(r64['latency_us']['p50'])} | {ms(r64['latency_us']['p99'])} | "
          f"{ms(r1['latency_us']['p99']) if r1 else '–'} | {cpu[s]:.1f} µs | {errs} |")
print()
for kind in ["plain", "signed"]:
    pair, push = cpu.get(f"par_{kind}"), cpu.get(f"par_{kind}_push")
    if pair and push:
        print(f"- {kind} PAR: the push alone {push:.1f} µs of server CPU, the authorize that "
              f"redeems it {pair - push:.1f} µs (pair {pair:.1f} µs; by value "
              f"{cpu.get('by_value', 0):.1f} µs)")
PY
