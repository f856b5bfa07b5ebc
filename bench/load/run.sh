#!/usr/bin/env bash
# Load test of GET /authorize with signed request objects by value (issue 4, deliverable 12).
#
#   bench/load/run.sh            # everything: build, criterion ceiling, load, table
#
# 1. builds `writ` and the generator (crates/server/examples/gen_ros.rs) in release;
# 2. runs the criterion ceiling (crates/core/benches/request_object.rs, group `pipeline`);
# 3. writes a config with one client whose jwks holds RSA, P-256 and Ed25519 keys, and N
#    distinct signed request objects per algorithm (different jti, state, nonce);
# 4. per algorithm, starts `writ serve` on a fresh SQLite store, pinned to CPU $SERVER_CPU
#    with one tokio worker, and drives it with wrk pinned to CPU $LOAD_CPU: a short warm-up,
#    then $DURATION at 64 connections and $DURATION at 1 connection. wrk never follows
#    redirects; a request counts as accepted only when it is a 303 to /interaction/{id}
#    (bench/load/authorize.lua, which checks every response of the warm-up; the measured runs
#    are `lean`: wrk counts responses below 400, and the server's own counters of accepted and
#    refused requests must show that each was a 303 to the interaction);
# 5. measures the HTTP floor: the same server answering the same queries sent to a path that
#    does not exist (404: the same bytes in and through hyper, axum and the layers, but no
#    pipeline, no store), at 64 and 1 connections. What a request costs there is spent before
#    any request object is looked at, so ceiling / (ceiling + floor) bounds the share of the
#    ceiling that any /authorize can reach on this machine;
# 6. per algorithm, right after Writ, the floor of ../shared/bench/floor (issue 18): a minimal
#    hyper server that only parses, verifies and checks the request object and answers the 303
#    (its README). It runs on the same core under the same wrk with the same request objects:
#    gen_ros signs them with the floor's fixture keys for its client (`bench-client`), Writ's
#    config registers the same public keys, and the floor is told Writ's issuer as the `aud`
#    to require. Its warm-up checks that every response is the 303 to /interaction/;
# 7. prints the tables (also in $OUT/results.md): Writ against the floor per algorithm, the
#    criterion ceiling, and the interrupts that woke wrk's core per response (in a VM, each one
#    costs the server's core a VM exit in the write that sends it).
#
# Knobs (environment): N (request objects per algorithm, default 300000), DURATION (10s),
# WARMUP (2s), ALGS ("RS256 ES256 EdDSA"; PS256 also works), CONNS ("64 1"), PORT (18080),
# SERVER_CPU (0), LOAD_CPU (1), OUT (a new directory under ${TMPDIR:-/tmp}), SKIP_BENCH=1 (no
# criterion run; the ceiling column is then empty), CARGO_TARGET_DIR (as for cargo), FLOOR
# (the floor's source, default ../shared/bench/floor beside the repository; FLOOR=none skips
# it and gen_ros makes keys of its own), FLOOR_PORT (18081), FLOOR_TARGET (where the floor is
# built, default ${TMPDIR:-/tmp}/writ-floor-target: the floor's directory may be read-only).
# Needs: cargo, python3, taskset, curl, wrk (installed with apt-get when missing and root).
# Traffic goes to 127.0.0.1 only. Not part of `cargo test` or CI: it takes a few minutes.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=${N:-300000}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
ALGS=${ALGS:-"RS256 ES256 EdDSA"}
CONNS=${CONNS:-"64 1"}
PORT=${PORT:-18080}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/writ-load.XXXXXX")}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
LUA="$ROOT/bench/load/authorize.lua"
ADDR="127.0.0.1:$PORT"
FLOOR=${FLOOR:-$ROOT/../shared/bench/floor}
FLOOR_PORT=${FLOOR_PORT:-18081}
FLOOR_ADDR="127.0.0.1:$FLOOR_PORT"
FLOOR_TARGET=${FLOOR_TARGET:-${TMPDIR:-/tmp}/writ-floor-target}
if [ "$FLOOR" != none ] && [ ! -f "$FLOOR/Cargo.toml" ]; then
    echo "no floor at $FLOOR (set FLOOR=DIR, or FLOOR=none to run without it)" >&2
    exit 1
fi

say() { printf '\n== %s\n' "$*" >&2; }

# shellcheck source=tools.sh
. "$ROOT/bench/load/tools.sh"

mkdir -p "$OUT"
say "results in $OUT"
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet || echo ' (dirty)')"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') x $(nproc)"
    echo "kernel: $(uname -r)"
    echo "rustc: $(rustc --version)"
    echo "wrk: $(wrk -v 2>&1 | head -1)"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
} > "$OUT/machine.txt"

say "building writ and gen_ros (release)"
cargo build --release -p writ-server --bin writ --example gen_ros >&2
WRIT="$TARGET/release/writ"
GEN="$TARGET/release/examples/gen_ros"

if [ "${SKIP_BENCH:-0}" != 1 ]; then
    say "criterion: the one-core ceiling (parse + verify + claims + merge)"
    filter="pipeline/($(echo "$ALGS" | tr ' ' '|'))\$"
    taskset -c "$SERVER_CPU" cargo bench -p writ-core --bench request_object -- "$filter" 2>&1 \
        | tee "$OUT/criterion.txt" >&2
fi

if [ "$FLOOR" != none ]; then
    say "building the floor (release) from $FLOOR"
    CARGO_TARGET_DIR="$FLOOR_TARGET" cargo build --release --manifest-path "$FLOOR/Cargo.toml" --bin floor >&2
    FLOOR_BIN="$FLOOR_TARGET/release/floor"
    echo "floor: $FLOOR ($(git -C "$FLOOR" rev-parse --short HEAD 2>/dev/null || echo 'not a git checkout'))" >> "$OUT/machine.txt"
fi

say "generating $N request objects per algorithm"
if [ "$FLOOR" != none ]; then
    "$GEN" "$OUT" "$ADDR" "$N" "$(echo "$ALGS" | tr ' ' ',')" "$FLOOR/fixtures"
else
    "$GEN" "$OUT" "$ADDR" "$N" "$(echo "$ALGS" | tr ' ' ',')"
fi

COUNTERS=1 # 0 while the floor runs: it keeps no counters
accepted() { # the server's own count of accepted request objects
    [ "$COUNTERS" = 1 ] || { echo 0; return; }
    curl -sf "http://$ADDR/metrics" \
        | awk '/^writ_request_objects_total\{outcome="accepted"/ {s += $NF} END {print s + 0}'
}
refused() { # every /authorize answered with an error, by the server's count
    [ "$COUNTERS" = 1 ] || { echo 0; return; }
    curl -sf "http://$ADDR/metrics" \
        | awk '/^writ_authorize_total\{outcome="error"/ {s += $NF} END {print s + 0}'
}

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID"
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT

start_server() { # label: writ on a fresh store, pinned, one tokio worker
    rm -rf "$OUT/data"
    say "$1: starting writ on CPU $SERVER_CPU (1 tokio worker)"
    TOKIO_WORKER_THREADS=1 taskset -c "$SERVER_CPU" "$WRIT" serve --config "$OUT/writ.toml" \
        2> "$OUT/server-$1.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do
        curl -sf "http://$ADDR/health" >/dev/null && break
        sleep 0.1
    done
    curl -sf "http://$ADDR/health" >/dev/null || { echo "writ did not start" >&2; cat "$OUT/server-$1.log" >&2; exit 1; }
}

start_floor() { # the floor on the same core, requiring Writ's issuer as aud
    say "floor for $1: starting on CPU $SERVER_CPU"
    FLOOR_MODE=verify FLOOR_ADDR="$FLOOR_ADDR" FLOOR_ISSUER="http://$ADDR" FLOOR_FIXTURES="$FLOOR/fixtures" \
        taskset -c "$SERVER_CPU" "$FLOOR_BIN" > "$OUT/floor-$1.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        curl -s -o /dev/null "http://$FLOOR_ADDR/" && break
        sleep 0.1
    done
}

HZ=$(getconf CLK_TCK)
: > "$OUT/runs.jsonl"
for alg in $ALGS; do
    urls="$OUT/urls-$alg.txt"
    start_server "$alg"

    line=0
    run() { # label connections duration [expected status, or -] [lean]
        local label=$1 conns=$2 dur=$3 acc0 ref0 t0 i0 out
        acc0=$(accepted); ref0=$(refused); t0=$(cpu_ticks "$SERVER_PID"); i0=$(ipis)
        out=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$conns" -d"$dur" -s "$LUA" "http://$TARGET_ADDR" -- "$urls" "$line" "${4:--}" "${5:-}" 2>&1)
        echo "$out" > "$OUT/wrk-$alg-$label.txt"
        local json
        json=$(echo "$out" | sed -n 's/^RESULT //p')
        [ -n "$json" ] || { echo "wrk failed:" >&2; echo "$out" >&2; exit 1; }
        local cpu acc ref ipi
        cpu=$(( $(cpu_ticks "$SERVER_PID") - t0 )); ipi=$(( $(ipis) - i0 ))
        acc=$(( $(accepted) - acc0 )); ref=$(( $(refused) - ref0 ))
        python3 - "$alg" "$label" "$conns" "$cpu" "$HZ" "$acc" "$ref" "$line" "$N" "$(cut -d' ' -f1 /proc/loadavg)" "$ipi" "$json" \
            >> "$OUT/runs.jsonl" <<'PY'
import json, sys
alg, label, conns, cpu, hz, acc, ref, start, n, load, ipi, raw = sys.argv[1:]
r = json.loads(raw)
r.update(alg=alg, label=label, connections=int(conns), server_cpu_s=int(cpu) / int(hz),
         server_accepted=int(acc), server_refused=int(ref), first_line=int(start),
         pool=int(n), loadavg_after=float(load), load_cpu_ipis=int(ipi))
print(json.dumps(r))
PY
        line=$(( line + $(echo "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])') ))
        tail -1 "$OUT/runs.jsonl" >&2
    }
    TARGET_ADDR=$ADDR
    say "$alg: warm-up $WARMUP at 64 connections"
    run warmup 64 "$WARMUP"
    for c in $CONNS; do
        say "$alg: $DURATION at $c connection(s)"
        run "c$c" "$c" "$DURATION" - lean
    done
    stop_server

    if [ "$FLOOR" != none ]; then
        # The same request objects, the same core, the same wrk: only the server differs.
        start_floor "$alg"
        TARGET_ADDR=$FLOOR_ADDR COUNTERS=0 line=0
        say "floor $alg: warm-up $WARMUP at 64 connections, every response checked"
        run floor-warmup 64 "$WARMUP"
        for c in $CONNS; do
            say "floor $alg: $DURATION at $c connection(s)"
            run "floor-c$c" "$c" "$DURATION" - lean
        done
        stop_server
        COUNTERS=1
    fi
done

# The HTTP floor: the first algorithm's queries, sent to a path with no route.
floor_alg=${ALGS%% *}
urls="$OUT/urls-floor.txt"
head -n 20000 "$OUT/urls-$floor_alg.txt" | sed 's#/authorize?#/no-such-endpoint?#' > "$urls"
alg=floor
start_server floor
TARGET_ADDR=$ADDR
line=0
run warmup 64 "$WARMUP" 404
for c in $CONNS; do
    say "floor: $DURATION at $c connection(s), 404 for the same queries"
    run "c$c" "$c" "$DURATION" 404 lean
done
stop_server
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/machine.txt"

python3 "$ROOT/bench/load/report.py" "$OUT" "$TARGET/criterion" "$ALGS" | tee "$OUT/results.md"
