#!/usr/bin/env bash
# Load test of POST /token (issue 14, deliverable 8; issue 18, deliverable 4): the
# refresh_token grant of a private_key_jwt client (ES256 assertion, its own jti per request)
# with an ES256 ID token, with and without a DPoP proof (ES256, its own jti per request), and
# the authorization_code grant of the same client (mode `code`: codes made beforehand through
# the real flow, one per request, each redeemed once), at $CONNS connections.
# Same discipline as bench/load/run.sh: `writ serve` on a fresh SQLite store pinned to CPU
# $SERVER_CPU with one tokio worker, wrk pinned to CPU $LOAD_CPU.
#
#   bench/load/token.sh
#
# The config (written by crates/server/examples/gen_token.rs) keeps refresh tokens unrotated,
# so one refresh token serves every request, and lets DPoP proofs live 10 minutes, so they can
# be made in advance. Each request is distinct: the generator writes N bodies (and proofs) per
# mode, which must cover the warm-up and the run. Per request the server verifies the
# assertion (and the proof), writes its jti (and the proof's) to the replay table, extends the
# refresh token and its grant, and signs an access token and an ID token (ES256).
#
# Reports, per mode, the responses/s (only 200s: wrk's non-2xx count must be 0 and the
# server's writ_token_total{outcome="ok"} must match), p50/p99, the server's CPU µs per
# response, its thread switches and system calls per response (counts, steady where the
# machine's noise moves the CPU figures), and the difference DPoP makes, beside one ES256
# parse + verify on the same CPU.
#
# Knobs: WRIT (a writ binary to measure instead of the one built here: two builds compared in
# turn on one machine), N (150000), N_CODES (codes for the code mode, $N; they must cover the warm-up and
# the run of Writ and of the floor, whose run is the faster: a run that answers any error is
# reported NOT VALID), MODES ("plain dpop code"), ID_ALG (the ID tokens'
# algorithm, ES256; RS256 prices an RSA-2048 signature per response: run it with FLOOR=none,
# the floor signs ES256), DURATION (8s), WARMUP (2s), CONNS (64), PORT (18090), SERVER_CPU (0),
# PG (a PostgreSQL server URL, e.g. postgres://postgres@127.0.0.1:5432: each mode then runs on
# a fresh database `writ_token_bench` there instead of SQLite; PostgreSQL itself is not pinned
# and its CPU is not in the server's figure),
# LOAD_CPU (1), OUT, CARGO_TARGET_DIR, FLOOR (issue 18: `none` skips the floor run; otherwise,
# after Writ, bench/token-floor runs on the same core and port with the plain mode's very
# requests (and, for the code mode, the code mode's: the same codes, consumed once in the
# floor's own SQLite): one assertion verify, the grant's one write in SQLite, two ES256
# signatures, and nothing else; with mode `dpop`, also `floor_dpop`: the dpop mode's very
# requests, where the floor adds to each the proof's ES256 signature verified with the key of
# its header (parsed once and kept) and nothing else, so that its DPoP increment is the price
# of "one signature verify" inside a server under load; built in FLOOR_TARGET, default ${TMPDIR:-/tmp}/writ-token-floor-target), PERF (set: `perf record -g` of the server during each
# measured run, to $OUT/perf-<mode>.data; the figures then include perf's own overhead). Needs cargo, python3, taskset, curl, wrk (installed
# with apt-get when missing and root).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=${N:-150000}
DURATION=${DURATION:-8s}
WARMUP=${WARMUP:-2s}
CONNS=${CONNS:-64}
N_CODES=${N_CODES:-$N}
MODES=${MODES:-plain dpop code}
ID_ALG=${ID_ALG:-ES256}
PORT=${PORT:-18090}
SERVER_CPU=${SERVER_CPU:-0}
LOAD_CPU=${LOAD_CPU:-1}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/writ-token.XXXXXX")}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
LUA="$ROOT/bench/load/token.lua"
ADDR="127.0.0.1:$PORT"
mkdir -p "$OUT"

say() { printf '\n== %s\n' "$*" >&2; }
# shellcheck source=tools.sh
. "$ROOT/bench/load/tools.sh"

say "building writ and gen_token (release)"
(cd "$ROOT" && cargo build --release -p writ-server --bin writ --example gen_token >&2)
WRIT=${WRIT:-$TARGET/release/writ}
FLOOR=${FLOOR:-$ROOT/bench/token-floor}
FLOOR_TARGET=${FLOOR_TARGET:-${TMPDIR:-/tmp}/writ-token-floor-target}
if [ "$FLOOR" != none ]; then
    say "building the token floor (release)"
    CARGO_TARGET_DIR="$FLOOR_TARGET" cargo build --release --manifest-path "$FLOOR/Cargo.toml" >&2
fi
GEN="$TARGET/release/examples/gen_token"

SERVER_PID=
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
trap stop_server EXIT

STORE_ARGS=()
start_server() {
    rm -f "$OUT"/writ.db*
    if [ -n "${PG:-}" ]; then
        psql "$PG" -q -c "DROP DATABASE IF EXISTS writ_token_bench" -c "CREATE DATABASE writ_token_bench" >&2
        STORE_ARGS=(--store "${PG%/}/writ_token_bench")
    fi
    TOKIO_WORKER_THREADS=1 WRIT_LOG=warn taskset -c "$SERVER_CPU" "$WRIT" serve --config "$OUT/writ.toml" \
        "${STORE_ARGS[@]}" 2> "$OUT/server-$1.log" &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -sf "http://$ADDR/health" >/dev/null && return; sleep 0.1; done
    echo "writ did not start" >&2; cat "$OUT/server-$1.log" >&2; exit 1
}

token_ok() {
    curl -sf "http://$ADDR/metrics" | awk '/^writ_token_total\{outcome="ok"\}/ {s += $2} END {print s + 0}'
}
server_cpu() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
# Context switches of every thread of the server so far: each hand-off of a store call to a
# SQLite connection's thread (and back) is a switch on the server's one core. Counted, not
# timed, so it is steady where the machine's noise moves the CPU figures.
# Read and write system calls of the server so far (/proc/PID/io: syscr + syscw): SQLite's
# page reads and log writes among them.
server_syscalls() { awk '/^sysc[rw]:/ {s += $2} END {print s + 0}' "/proc/$SERVER_PID/io"; }
server_switches() {
    cat /proc/"$SERVER_PID"/task/*/status 2>/dev/null \
        | awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {s += $2} END {print s + 0}'
}

"$GEN" config "$OUT" "$PORT" "$ID_ALG"
RESULTS="$OUT/results.jsonl"
: > "$RESULTS"
VERIFY_US=0
SIGN_US=
for mode in $MODES; do
    start_server "$mode"
    # One server per mode, and the requests made against it (its own keys, refresh token and
    # codes).
    if [ "$mode" = code ]; then
        say "code: making $N_CODES codes through the real flow"
        taskset -c "$LOAD_CPU" "$GEN" codes "$OUT" "http://$ADDR" "$N_CODES"
    else
        out=$(taskset -c "$LOAD_CPU" "$GEN" requests "$OUT" "http://$ADDR" "$N")
        VERIFY_US=$(echo "$out" | awk '/^VERIFY_US/ {print $2}')
        SIGN_US=$(echo "$out" | awk '/^SIGN_US/ {printf "%s%s %s", sep, $2, $3; sep=", "}')
    fi
    file="$OUT/$mode.txt"
    say "$mode: warm-up $WARMUP"
    taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$WARMUP" -s "$LUA" "http://$ADDR" -- "$file" 0 >/dev/null
    # wrk's connections start from this line: past what the warm-up used.
    start=$(token_ok)
    ok0=$start
    cpu0=$(server_cpu)
    sw0=$(server_switches); sc0=$(server_syscalls)
    say "$mode: $DURATION at $CONNS connections"
    PERF_PID=
    if [ -n "${PERF:-}" ]; then
        perf record -F 499 ${PERF_CALLGRAPH:+--call-graph $PERF_CALLGRAPH} -g -o "$OUT/perf-$mode.data" -p "$SERVER_PID" 2>/dev/null &
        PERF_PID=$!
    fi
    res=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" -s "$LUA" "http://$ADDR" -- "$file" "$((start + CONNS))" | grep '^RESULT ' | cut -c8-)
    ok1=$(token_ok)
    cpu1=$(server_cpu)
    sw1=$(server_switches); sc1=$(server_syscalls)
    if [ -n "$PERF_PID" ]; then kill -INT "$PERF_PID"; wait "$PERF_PID" || true; fi
    python3 - "$mode" "$res" "$ok0" "$ok1" "$cpu0" "$cpu1" "$(getconf CLK_TCK)" "$sw0" "$sw1" "$sc0" "$sc1" >> "$RESULTS" <<'PY'
import json, sys
mode, res, ok0, ok1, cpu0, cpu1, hz, sw0, sw1, sc0, sc1 = sys.argv[1:]
r = json.loads(res)
r.update(mode=mode, server_ok=int(ok1) - int(ok0), server_cpu_s=(int(cpu1) - int(cpu0)) / int(hz),
         switches=int(sw1) - int(sw0), syscalls=int(sc1) - int(sc0))
print(json.dumps(r))
PY
    stop_server
done

floor_run() { # mode requests-file
    local file=$2 res cpu0 cpu1 warm start
    say "$1: warm-up $WARMUP"
    warm=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$WARMUP" -s "$LUA" "http://$ADDR" -- "$file" 0 \
        | grep '^RESULT ' | cut -c8-)
    # Past the lines the warm-up used (codes are good once).
    start=$(( $(echo "$warm" | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])') + CONNS ))
    cpu0=$(server_cpu)
    sw0=$(server_switches); sc0=$(server_syscalls)
    say "$1: $DURATION at $CONNS connections"
    res=$(taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" -s "$LUA" "http://$ADDR" -- "$file" "$start" \
        | grep '^RESULT ' | cut -c8-)
    cpu1=$(server_cpu)
    sw1=$(server_switches); sc1=$(server_syscalls)
    python3 - "$1" "$res" "$cpu0" "$cpu1" "$(getconf CLK_TCK)" "$sw0" "$sw1" "$sc0" "$sc1" >> "$RESULTS" <<'PY'
import json, sys
mode, res, cpu0, cpu1, hz, sw0, sw1, sc0, sc1 = sys.argv[1:]
r = json.loads(res)
# The floor keeps no counters: every response counts unless wrk saw an error status.
r.update(mode=mode, server_ok=r["requests"] - r["errors_status"],
         server_cpu_s=(int(cpu1) - int(cpu0)) / int(hz), switches=int(sw1) - int(sw0),
         syscalls=int(sc1) - int(sc0))
print(json.dumps(r))
PY
}

if [ "$FLOOR" != none ] && [ -z "${PG:-}" ]; then
    # The floor accepts the refresh token of the last refresh run's requests, the codes of the
    # code run, and the client's key.
    python3 - "$OUT" <<'PY'
import json, os, re, sys, urllib.parse
out = sys.argv[1]
toml = open(f"{out}/writ.toml").read()
jwks = json.loads(re.search(r"value = '([^']+)'", toml).group(1))
json.dump(jwks["keys"][0], open(f"{out}/svc.public.jwk.json", "w"))
rt = ""
if os.path.exists(f"{out}/plain.txt"):
    body = open(f"{out}/plain.txt").readline().split("\t")[0]
    rt = urllib.parse.parse_qs(body)["refresh_token"][0]
open(f"{out}/refresh_token.txt", "w").write(rt)
PY
    [ -f "$OUT/codes.txt" ] || : > "$OUT/codes.txt"
    rm -f "$OUT"/floor.db*
    taskset -c "$SERVER_CPU" "$FLOOR_TARGET/release/writ-token-floor" "$ADDR" "http://$ADDR" svc \
        "$OUT/svc.public.jwk.json" "$OUT/floor.db" $(cat "$OUT/refresh_token.txt") \
        < "$OUT/codes.txt" 2> "$OUT/server-floor.log" &
    SERVER_PID=$!
    for _ in $(seq 300); do curl -s -o /dev/null "http://$ADDR/token" && break; sleep 0.1; done
    [ -s "$OUT/refresh_token.txt" ] && floor_run floor "$OUT/plain.txt"
    case " $MODES " in
        *" dpop "*) [ -s "$OUT/refresh_token.txt" ] && floor_run floor_dpop "$OUT/dpop.txt" ;;
    esac
    [ -s "$OUT/codes.txt" ] && floor_run floor_code "$OUT/code.txt"
    stop_server || true # the floor ends by the signal: not a failure
fi

python3 - "$RESULTS" "$VERIFY_US" "$CONNS" "$ID_ALG" "$SIGN_US" <<'PY' | tee "$OUT/results.md"
import json, sys
rows = {r["mode"]: r for r in map(json.loads, open(sys.argv[1]))}
verify, id_alg, sign = float(sys.argv[2]), sys.argv[4], sys.argv[5]
print(f"ID tokens: {id_alg}. One signature on this CPU (µs): {sign or '-'}\n")
print(f"| mode | responses/s | p50 ms | p99 ms | server CPU µs/response | thread switches/response | system calls/response | non-2xx | server ok |")
print("|---|---|---|---|---|---|---|---|---|")
per = {}
rate = lambda m: rows[m]["server_ok"] / (rows[m]["duration_us"] / 1e6)
for mode in ("plain", "dpop", "code", "floor", "floor_dpop", "floor_code"):
    if mode not in rows:
        continue
    r = rows[mode]
    per[mode] = r["server_cpu_s"] * 1e6 / max(r["server_ok"], 1)
    sw = f"{r['switches'] / max(r['server_ok'], 1):.2f}" if "switches" in r else "–"
    sc = f"{r['syscalls'] / max(r['server_ok'], 1):.2f}" if "syscalls" in r else "–"
    print(f"| {mode} | {rate(mode):,.0f} | {r['latency_us']['p50']/1000:.2f} | {r['latency_us']['p99']/1000:.2f} "
          f"| {per[mode]:.1f} | {sw} | {sc} | {r['errors_status']} | {r['server_ok']} |")
if "plain" in per and "dpop" in per:
    delta = per["dpop"] - per["plain"]
    print(f"\nDPoP costs {delta:.1f} µs of server CPU per response; one ES256 parse + verify is "
          f"{verify:.1f} µs here (goal: at most {verify * 1.1:.1f} µs).")
if "floor" in per and "floor_dpop" in per:
    delta = per["floor_dpop"] - per["floor"]
    print(f"\nThe token floor's proof (its signature verified, nothing else) costs it {delta:.1f} µs "
          f"per response: {delta / verify:.2f} × the one parse + verify of {verify:.1f} µs.")
if "floor_dpop" in rows and rows["floor_dpop"]["errors_status"]:
    print(f"NOT VALID: floor_dpop answered {rows['floor_dpop']['errors_status']} non-2xx responses.")
for writ, floor, grant in (("plain", "floor", "refresh_token"), ("code", "floor_code", "authorization_code")):
    if writ in rows and floor in rows:
        print(f"\n{grant}: Writ against the token floor: {rate(writ):,.0f} / {rate(floor):,.0f} "
              f"responses/s = {100 * rate(writ) / rate(floor):.0f} % (goal: at least 70 %); "
              f"CPU per response {per[writ]:.1f} against {per[floor]:.1f} µs.")
        # A run that answered errors spent part of its time on them (a code used up, when
        # N_CODES did not cover the warm-up and the run): its rate of 200s is not the server's.
        for m in (writ, floor):
            if rows[m]["errors_status"]:
                print(f"NOT VALID: {m} answered {rows[m]['errors_status']} non-2xx responses "
                      f"(for the code modes: raise N_CODES above the warm-up and the run); "
                      f"the {grant} share above is not a measurement.")
PY
echo "results in $OUT" >&2
