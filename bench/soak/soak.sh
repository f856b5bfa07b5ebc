#!/usr/bin/env bash
# Soak (issue 16, deliverable 6): one `writ serve` node on a fresh SQLite store, $CONNS
# concurrent clients for $DURATION seconds of by-value JAR (GET /authorize?request=), PAR
# (POST /par with a signed request object, then GET /authorize?request_uri=) and token
# (refresh_token grant with a private_key_jwt assertion) traffic, in equal turns
# (crates/server/examples/soak.rs). Every answer must be the expected one (a 303 to
# /interaction/, a 201, a 200): the run fails on any other. The server's RSS and the SQLite
# files are sampled every 10 s, and the rows of every table are counted at the end.
#
#   bench/soak/soak.sh                       # 600 s at 64 connections
#   DURATION=60 bench/soak/soak.sh           # a short one
#
# Writes $OUT/samples.jsonl, $OUT/rows.txt and $OUT/report.md (the table docs/RELIABILITY.md
# keeps). Knobs: DURATION (600), CONNS (64), PORT (18095), OUT, CARGO_TARGET_DIR.
# Needs cargo, python3, curl, sqlite3 (installed with apt-get when missing and root).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DURATION=${DURATION:-600}
CONNS=${CONNS:-64}
PORT=${PORT:-18095}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/writ-soak.XXXXXX")}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BASE="http://127.0.0.1:$PORT"
mkdir -p "$OUT"

say() { printf '\n== %s\n' "$*" >&2; }
if ! command -v sqlite3 >/dev/null; then
    [ "$(id -u)" = 0 ] && apt-get install -y -qq sqlite3 >/dev/null
fi

say "building writ and the soak driver (release)"
(cd "$ROOT" && cargo build --release -p writ-server --bin writ --example soak >&2)
WRIT="$TARGET/release/writ"
SOAK="$TARGET/release/examples/soak"

SERVER_PID=
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
trap stop_server EXIT

"$SOAK" config "$OUT" "$PORT"
WRIT_LOG=warn "$WRIT" serve --config "$OUT/writ.toml" 2> "$OUT/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "$BASE/health" >/dev/null && break; sleep 0.1; done
curl -sf "$BASE/health" >/dev/null || { echo "writ did not start" >&2; cat "$OUT/server.log" >&2; exit 1; }

say "soak: $DURATION s at $CONNS connections, results in $OUT"
"$SOAK" run "$OUT" "$DURATION" "$CONNS" "$SERVER_PID" "$BASE" 2> "$OUT/driver-errors.txt" | tee "$OUT/driver.txt" >&2
grep '^SAMPLE ' "$OUT/driver.txt" | sed 's/^SAMPLE //' > "$OUT/samples.jsonl"
grep '^RESULT ' "$OUT/driver.txt" | sed 's/^RESULT //' > "$OUT/result.json"
curl -sf "$BASE/metrics" > "$OUT/metrics.txt" || true

# Rows now, and again once every row the traffic made has expired and been purged.
count_rows() {
    for t in $(sqlite3 "file:$OUT/writ.db?mode=ro" "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE '\_%' ESCAPE '\' ORDER BY name"); do
        echo "$t $(sqlite3 "file:$OUT/writ.db?mode=ro" "SELECT count(*) FROM \"$t\"")"
    done
}
count_rows > "$OUT/rows.txt"
say "waiting ${SETTLE:-150} s for the rows of the run to expire and be purged"
sleep "${SETTLE:-150}"
count_rows > "$OUT/rows-settled.txt"
stop_server

python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
samples = [json.loads(l) for l in open(f"{out}/samples.jsonl")]
result = json.load(open(f"{out}/result.json"))
rows = dict(l.split() for l in open(f"{out}/rows.txt"))
settled = dict(l.split() for l in open(f"{out}/rows-settled.txt"))
lines = []
c = result["counts"]
total = sum(v["ok"] for v in c.values())
errors = sum(v["error"] for v in c.values())
unavailable = sum(v["unavailable"] for v in c.values())
lines.append(f"{result['seconds']:.0f} s at {result['conns']} connections: {total} expected answers "
             f"({total / result['seconds']:.0f}/s), {errors} errors, {unavailable} unavailable")
lines.append("")
lines.append("| kind | ok | unavailable | error |")
lines.append("|---|---|---|---|")
for k, v in c.items():
    lines.append(f"| {k} | {v['ok']} | {v['unavailable']} | {v['error']} |")
lines.append("")
busy = sorted({t for s in samples for t, n in (s.get("rows") or {}).items() if n})
lines.append("| t (s) | RSS (MiB) | writ.db (KiB) | WAL (KiB) | answers so far | " + " | ".join(f"{t} rows" for t in busy) + " |")
lines.append("|---|---|---|---|---|" + "---|" * len(busy))
for s in samples:
    rss = s["rss_kib"][0] or 0
    n = sum(v["ok"] for v in s["counts"].values())
    db = s.get("sqlite_kib", {})
    r = s.get("rows") or {}
    lines.append(f"| {s['t']} | {rss / 1024:.1f} | {db.get('db', '')} | {db.get('wal', '')} | {n} | "
                 + " | ".join(str(r.get(t, "")) for t in busy) + " |")
rss = [s["rss_kib"][0] for s in samples if s["t"] >= 60 and s["rss_kib"][0]]
if rss:
    lines.append("")
    lines.append(f"RSS after the first minute: min {min(rss) / 1024:.1f} MiB, max {max(rss) / 1024:.1f} MiB, "
                 f"last {rss[-1] / 1024:.1f} MiB")
lines.append("")
lines.append("| table | rows at the end | rows once expired rows are purged |")
lines.append("|---|---|---|")
for t in sorted(rows):
    lines.append(f"| {t} | {rows[t]} | {settled.get(t, '')} |")
open(f"{out}/report.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
sys.exit(1 if errors or unavailable else 0)
PY
