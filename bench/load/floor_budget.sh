#!/usr/bin/env bash
# How much work beyond the floor's can a server do per /authorize and still reach a given share
# of the floor's throughput, on this machine? (issue 18)
#
#   bench/load/floor_budget.sh                  # makes its own request objects
#   OUT=/tmp/authA bench/load/floor_budget.sh     # or reuses those of a run.sh run in OUT
#
# The floor of ../shared/bench/floor is copied to a temporary directory and, in the copy only,
# told to spin for FLOOR_SPIN_NS nanoseconds after its verify and checks, before it answers the
# 303: a server that does exactly the floor's work plus that many nanoseconds of its own, with no
# cache pollution, no allocation and no extra bytes. That copy then runs, per algorithm and per
# spin, on the server's core under the same wrk and with the same kind of request objects as
# run.sh (its $OUT/urls-ALG.txt: reused when younger than 45 minutes, since they expire after
# an hour; otherwise made here with run.sh's generator, gen_ros), and the table gives the throughput as a share of the spin-0 run, the
# server's CPU per request (every thread, /proc/PID/stat) and the interrupts that woke wrk's core
# per response (/proc/interrupts, RES + CAL of $LOAD_CPU), in $OUT/budget-<time>.md.
#
# Why it matters: in a VM each response that wakes wrk from its sleep costs the server's core a
# VM exit, and a slower server finds wrk asleep more often, so every microsecond of its own work
# costs more than a microsecond. The spin shows that multiplier without any server of ours.
#
# Knobs (environment): OUT (a new directory under ${TMPDIR:-/tmp} unless given), N (request
# objects per algorithm when they are made here, 60000), ALGS ("RS256 ES256 EdDSA"), SPINS in ns ("0 5000 10000
# 15000 20000"), DURATION (6s), WARMUP (2s), CONNS (64), SERVER_CPU (0), LOAD_CPU (1),
# FLOOR (../shared/bench/floor), FLOOR_PORT (18081), WRIT_ISSUER (http://127.0.0.1:18080: the
# `aud` of run.sh's request objects), CARGO_TARGET_DIR (as for cargo), BUILD_DIR (${TMPDIR:-/tmp}/writ-floor-budget).
# Needs what run.sh needs. Not part of `cargo test` or CI.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/writ-budget.XXXXXX")}
N=${N:-60000}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
ALGS=${ALGS:-"RS256 ES256 EdDSA"}
SPINS=${SPINS:-"0 5000 10000 15000 20000"}
DURATION=${DURATION:-6s}
WARMUP=${WARMUP:-2s}
CONNS=${CONNS:-64}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
FLOOR=${FLOOR:-$ROOT/../shared/bench/floor}
FLOOR_PORT=${FLOOR_PORT:-18081}
WRIT_ISSUER=${WRIT_ISSUER:-http://127.0.0.1:18080}
BUILD_DIR=${BUILD_DIR:-${TMPDIR:-/tmp}/writ-floor-budget}
LUA="$ROOT/bench/load/authorize.lua"

# shellcheck source=tools.sh
. "$ROOT/bench/load/tools.sh"
say() { printf '\n== %s\n' "$*" >&2; }

[ -f "$FLOOR/src/bin/floor.rs" ] || { echo "no floor at $FLOOR" >&2; exit 1; }
mkdir -p "$OUT"
fresh=1
for alg in $ALGS; do
    [ -n "$(find "$OUT/urls-$alg.txt" -mmin -45 2>/dev/null)" ] || fresh=0
done
if [ $fresh = 0 ]; then
    say "making $N request objects per algorithm in $OUT (gen_ros, signed with the floor's fixture keys)"
    cargo build --release --manifest-path "$ROOT/Cargo.toml" -p writ-server --example gen_ros >&2
    # gen_ros takes the issuer's address (host:port) and writes http://ADDR as the `aud`.
    addr=${WRIT_ISSUER#*://}
    "$TARGET/release/examples/gen_ros" "$OUT" "${addr%%/*}" "$N" "$(echo "$ALGS" | tr ' ' ',')" \
        "$FLOOR/fixtures" >&2
fi

say "copying the floor to $BUILD_DIR/src and adding FLOOR_SPIN_NS"
rm -rf "$BUILD_DIR/src"
mkdir -p "$BUILD_DIR"
cp -r "$FLOOR" "$BUILD_DIR/src"
python3 - "$BUILD_DIR/src/src/bin/floor.rs" <<'EOF'
import sys
path = sys.argv[1]
text = open(path).read()
# The verify of the floor's `verify` mode; the spin goes after it, inside the same request.
anchor = 'verify_request_object(jwt, &st.ks, &exp, &mut b).map(|_| ()).map_err(|_| "invalid_request_object")\n'
if text.count(anchor) != 1:
    sys.exit("the floor's verify call was not found once in floor.rs: update floor_budget.sh")
spin = (
    'verify_request_object(jwt, &st.ks, &exp, &mut b).map(|_| ()).map_err(|_| "invalid_request_object")'
    '.inspect(|_| spin())\n'
)
text = text.replace(anchor, spin)
text += '''
/// floor_budget.sh: FLOOR_SPIN_NS of busy work after a request object passed (read once).
fn spin() {
    static NS: std::sync::OnceLock<u128> = std::sync::OnceLock::new();
    let ns = *NS.get_or_init(|| std::env::var("FLOOR_SPIN_NS").ok().and_then(|v| v.parse().ok()).unwrap_or(0));
    let start = std::time::Instant::now();
    while start.elapsed().as_nanos() < ns {
        std::hint::spin_loop();
    }
}
'''
open(path, 'w').write(text)
EOF
CARGO_TARGET_DIR="$BUILD_DIR/target" cargo build --release --manifest-path "$BUILD_DIR/src/Cargo.toml" --bin floor >&2
BIN="$BUILD_DIR/target/release/floor"

HZ=$(getconf CLK_TCK)
# wrk on the floor: duration, then "" (every response checked) or `lean`; $alg and $line name
# the objects.
wrk_run() {
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$1" -s "$LUA" "http://127.0.0.1:$FLOOR_PORT" \
        -- "$OUT/urls-$alg.txt" "$line" - "$2"
}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS="$OUT/budget-$STAMP.jsonl"
pid=""
# No floor left running, whatever stops the script.
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; true' EXIT
line=0
for alg in $ALGS; do
    for spin in $SPINS; do
        FLOOR_SPIN_NS=$spin FLOOR_MODE=verify FLOOR_ADDR="127.0.0.1:$FLOOR_PORT" FLOOR_ISSUER="$WRIT_ISSUER" \
            FLOOR_FIXTURES="$FLOOR/fixtures" taskset -c "$SERVER_CPU" "$BIN" > "$OUT/budget-floor.log" 2>&1 &
        pid=$!
        for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$FLOOR_PORT/" && break; sleep 0.1; done
        # The floor that answers must be this one (a port still held by another fails the bind).
        kill -0 "$pid" 2>/dev/null || { echo "the floor did not start: $OUT/budget-floor.log" >&2; exit 1; }
        # The warm-up checks every response: a 303 to /interaction/.
        warm=$(wrk_run "$WARMUP" "" | sed -n 's/^RESULT //p')
        t0=$(cpu_ticks $pid); i0=$(ipis)
        out=$(wrk_run "$DURATION" lean | sed -n 's/^RESULT //p')
        t1=$(cpu_ticks $pid); i1=$(ipis)
        # The floor answers a refused object with a 303 to the client (below 400, counted by a
        # lean run): a checked second after the run shows that the objects, which were made
        # together and expire together, were still accepted at its end.
        after=$(wrk_run 1s "" | sed -n 's/^RESULT //p')
        kill $pid; wait $pid 2>/dev/null || true
        pid=""
        [ -n "$out" ] && [ -n "$warm" ] && [ -n "$after" ] || { echo "wrk failed for $alg spin $spin" >&2; exit 1; }
        python3 - "$out" "$warm" "$alg" "$spin" "$((t1 - t0))" "$HZ" "$((i1 - i0))" "$after" >> "$RESULTS" <<'EOF'
import json, sys
out, warm, after = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[8])
alg, spin, ticks, hz, ipis = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7])
n = out["requests"]
if warm["bad"] or after["bad"] or out["bad"] or n == 0:
    sys.exit(f"{alg} spin {spin}: responses other than the 303 to the interaction")
print(json.dumps({"alg": alg, "spin_ns": spin, "rps": n / (out["duration_us"] / 1e6),
                  "cpu_us": ticks / hz * 1e6 / n, "ipis": ipis / n,
                  "p50_us": out["latency_us"]["p50"], "p99_us": out["latency_us"]["p99"]}))
EOF
        line=$(( line + 20000 ))
    done
done

python3 - "$RESULTS" <<'EOF' | tee "$OUT/budget-$STAMP.md"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
# Each share is against the first spin-0 run of its algorithm (none: no share).
base = {}
for r in rows:
    if r["spin_ns"] == 0:
        base.setdefault(r["alg"], r)
print("| alg | work added per request | req/s | share of spin 0 | CPU per request | CPU added | wake-ups of wrk per response |")
print("|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    b = base.get(r["alg"])
    share = f'{100 * r["rps"] / b["rps"]:.0f} %' if b else "–"
    added = f'{r["cpu_us"] - b["cpu_us"]:+.1f} µs' if b else "–"
    print(f'| {r["alg"]} | {r["spin_ns"] / 1000:.1f} µs | {r["rps"]:,.0f} | {share} '
          f'| {r["cpu_us"]:.1f} µs | {added} | {r["ipis"]:.2f} |')
EOF
