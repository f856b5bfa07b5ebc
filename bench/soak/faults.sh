#!/usr/bin/env bash
# Node and database faults (issue 16, deliverable 7), driven by crates/server/examples/soak.rs.
#
#   bench/soak/faults.sh                 # all three
#   bench/soak/faults.sh pg-restart      # or node-kill, sqlite-kill
#
# pg-restart   Two `writ serve` nodes on one PostgreSQL database, under load (JAR, PAR, token
#              at $CONNS connections, over both nodes). Pushes acknowledged before the outage
#              are recorded; PostgreSQL is stopped for $OUTAGE s and started again. Passes
#              when no answer was an error (each was the expected one, or a 503 with
#              Retry-After, or at /authorize a redirect with temporarily_unavailable, or no
#              connection), the outage was seen, both nodes answer only normally again from
#              12 s after PostgreSQL is back, without a restart, and every push acknowledged
#              before the outage is still usable afterwards, on the other node.
# node-kill    Two nodes on PostgreSQL. On node 1: pushed requests, interactions waiting for
#              sign-in, signed-in interactions waiting for consent, and codes not yet
#              redeemed; node 1 is killed with SIGKILL; node 2 must complete every one.
# sqlite-kill  One node on SQLite, under load, with pushes recorded as they are acknowledged;
#              the node is killed with SIGKILL in the middle of the writes. Passes when the
#              file passes `PRAGMA integrity_check`, the node starts again on it, and every
#              acknowledged push is there.
#
# Needs root (to stop and start the local PostgreSQL cluster with pg_ctlcluster), psql,
# sqlite3, curl, cargo. Knobs: PG (postgres://postgres@127.0.0.1:5432), CONNS (16), OUTAGE (8),
# PORT (18100; the second node takes PORT+1), OUT, CARGO_TARGET_DIR. Exit 0 when all pass.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG=${PG:-postgres://postgres@127.0.0.1:5432}
CONNS=${CONNS:-16}
OUTAGE=${OUTAGE:-8}
PORT=${PORT:-18100}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/writ-faults.XXXXXX")}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
SCENARIOS=${*:-pg-restart node-kill sqlite-kill}
mkdir -p "$OUT"

say() { printf '\n== %s\n' "$*" >&2; }
fail() { echo "FAIL: $*" >&2; exit 1; }
if ! command -v sqlite3 >/dev/null; then
    [ "$(id -u)" = 0 ] && apt-get install -y -qq sqlite3 >/dev/null
fi
CLUSTER=$(pg_lsclusters -h | awk 'NR == 1 {print $1 " " $2}')

say "building writ and the soak driver (release)"
(cd "$ROOT" && cargo build --release -p writ-server --bin writ --example soak >&2)
WRIT="$TARGET/release/writ"
SOAK="$TARGET/release/examples/soak"

PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    pg_ctlcluster $CLUSTER start 2>/dev/null || true
}
trap cleanup EXIT

# start_node DIR PORT LOG: a node on DIR's config, listening on PORT; prints its PID.
start_node() {
    WRIT_LOG=warn "$WRIT" serve --config "$1/writ.toml" --listen "127.0.0.1:$2" > /dev/null 2> "$3" &
    local pid=$!
    for _ in $(seq 150); do
        curl -sf "http://127.0.0.1:$2/health" >/dev/null && { echo "$pid"; return; }
        sleep 0.1
    done
    cat "$3" >&2
    fail "node on port $2 did not start"
}

fresh_pg_db() {
    local db="writ_faults_$1_$$"
    psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db" >/dev/null
    psql "$PG/postgres" -qc "CREATE DATABASE $db" >/dev/null
    echo "$PG/$db"
}

# The driver's counts of `kind`/`outcome` in a SAMPLE or RESULT line.
count() { python3 -c "import json,sys; c=json.loads(sys.argv[1])['counts']; print(sum(v[sys.argv[2]] for v in c.values()))" "$1" "$2"; }

pg_restart() {
    local dir="$OUT/pg-restart" base1="http://127.0.0.1:$PORT" base2="http://127.0.0.1:$((PORT + 1))"
    mkdir -p "$dir"
    SOAK_SECTIONS=$'[par]\nlifetime = "5m"\n' "$SOAK" config "$dir" "$PORT" "$(fresh_pg_db restart)"
    local n1 n2
    n1=$(start_node "$dir" "$PORT" "$dir/node1.log"); PIDS+=("$n1")
    n2=$(start_node "$dir" "$((PORT + 1))" "$dir/node2.log"); PIDS+=("$n2")
    "$SOAK" push "$dir" "$base1" 200 4 "$dir/before.txt" > "$dir/push.txt"
    say "pg-restart: load on both nodes; PostgreSQL down from 20 s for $OUTAGE s"
    # Load from 0 s; the outage from 20 s; 30 s more after it ends.
    "$SOAK" run "$dir" $((20 + OUTAGE + 30)) "$CONNS" "$n1,$n2" "$base1,$base2" > "$dir/driver.txt" 2> "$dir/driver-errors.txt" &
    local driver=$!
    sleep 20
    date +%s.%N > "$dir/outage-start"
    pg_ctlcluster $CLUSTER stop -m fast
    sleep "$OUTAGE"
    pg_ctlcluster $CLUSTER start
    date +%s.%N > "$dir/outage-end"
    wait "$driver"
    cat "$dir/driver.txt" >&2
    local result; result=$(grep '^RESULT ' "$dir/driver.txt" | sed 's/^RESULT //')
    local errors unavailable; errors=$(count "$result" error); unavailable=$(count "$result" unavailable)
    [ "$errors" = 0 ] || fail "pg-restart: $errors answers were errors (not 503 with Retry-After)"
    [ "$unavailable" -gt 0 ] || fail "pg-restart: no answer saw the outage"
    # Recovery without a restart: from 12 s after PostgreSQL is back (the 10 s the pool
    # waits for a connection, and a margin) to the end, only expected answers, on both nodes.
    local late early
    early=$(grep '^SAMPLE ' "$dir/driver.txt" | sed -n "$(( (20 + OUTAGE + 12 + 9) / 10 + 1 ))p" | sed 's/^SAMPLE //')
    late=$(grep '^SAMPLE ' "$dir/driver.txt" | tail -1 | sed 's/^SAMPLE //')
    [ "$(count "$late" ok)" -gt "$(count "$early" ok)" ] || fail "pg-restart: no recovery"
    [ "$(count "$late" unavailable)" = "$(count "$early" unavailable)" ] || fail "pg-restart: still unavailable 12 s after the outage"
    kill -0 "$n1" && kill -0 "$n2" || fail "pg-restart: a node exited"
    "$SOAK" redeem "$base2" "$dir/before.txt" | tee "$dir/redeem.txt" >&2
    grep -c . "$dir/before.txt" > "$dir/acknowledged"
    say "pg-restart: passed ($unavailable answers unavailable during the outage, 0 errors, $(cat "$dir/acknowledged") pushes kept)"
    grep -h '503\|unavailable\|error' "$dir"/node*.log | sed 's/\x1b\[[0-9;]*m//g' | awk '{$1=""; print}' | sort | uniq -c | sort -rn | head -5 >&2 || true
    kill "$n1" "$n2"; wait "$n1" "$n2" 2>/dev/null || true
}

node_kill() {
    local dir="$OUT/node-kill" base1="http://127.0.0.1:$PORT" base2="http://127.0.0.1:$((PORT + 1))"
    mkdir -p "$dir"
    SOAK_SECTIONS=$'[par]\nlifetime = "5m"\n' "$SOAK" config "$dir" "$PORT" "$(fresh_pg_db kill)"
    local n1 n2
    n1=$(start_node "$dir" "$PORT" "$dir/node1.log"); PIDS+=("$n1")
    n2=$(start_node "$dir" "$((PORT + 1))" "$dir/node2.log"); PIDS+=("$n2")
    say "node-kill: flows on node 1, SIGKILL, finished on node 2"
    "$SOAK" failover "$dir" "$base1" "$base2" "$n1" 10 | tee "$dir/failover.txt" >&2
    grep -q '^FAILOVER completed 30 flows' "$dir/failover.txt" || fail "node-kill"
    say "node-kill: passed"
    kill "$n2"; wait "$n2" 2>/dev/null || true
}

sqlite_kill() {
    local dir="$OUT/sqlite-kill" base="http://127.0.0.1:$PORT"
    mkdir -p "$dir"
    SOAK_SECTIONS=$'[par]\nlifetime = "5m"\n' "$SOAK" config "$dir" "$PORT"
    local n1; n1=$(start_node "$dir" "$PORT" "$dir/node.log"); PIDS+=("$n1")
    say "sqlite-kill: load and recorded pushes, SIGKILL after 10 s"
    "$SOAK" run "$dir" 30 "$CONNS" "$n1" "$base" > "$dir/driver.txt" 2> "$dir/driver-errors.txt" &
    local driver=$!
    "$SOAK" push "$dir" "$base" 1000000 8 "$dir/acked.txt" > "$dir/push.txt" &
    local pusher=$!
    sleep 10
    kill -KILL "$n1"
    wait "$pusher" || true
    wait "$driver" || true
    local acked; acked=$(grep -c . "$dir/acked.txt" || true)
    [ "$acked" -gt 0 ] || fail "sqlite-kill: no push was acknowledged before the kill"
    local check; check=$(sqlite3 "$dir/writ.db" "PRAGMA integrity_check")
    [ "$check" = ok ] || fail "sqlite-kill: integrity_check: $check"
    n1=$(start_node "$dir" "$PORT" "$dir/node-again.log"); PIDS+=("$n1")
    "$SOAK" redeem "$base" "$dir/acked.txt" | tee "$dir/redeem.txt" >&2
    say "sqlite-kill: passed (integrity_check ok, $acked acknowledged pushes all kept)"
    kill "$n1"; wait "$n1" 2>/dev/null || true
}

for s in $SCENARIOS; do
    case "$s" in
        pg-restart) pg_restart ;;
        node-kill) node_kill ;;
        sqlite-kill) sqlite_kill ;;
        *) fail "unknown scenario $s" ;;
    esac
done
say "all passed; logs in $OUT"
