#!/bin/sh
# streams.sh - the server's streams under load (independent attack A66,
# A69, A77):
#   - server VmHWM/VmRSS idle, and after N followers (default 10) read the
#     SSE stream of a finished run's 4 MB log (40000 lines) at once;
#   - GET /health p50/p99 (wrk) idle, while one client follows that log
#     back to back, and while one client GETs an execution with 15001
#     steps (about 3 MB of JSON) back to back.
# Needs: wrk, python3, curl.
#
# usage: bench/streams.sh [BUILD_DIR] [FOLLOWERS]   (default: ./_build 10)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
nf=${2:-10}
. "$top/bench/lib.sh"
bench_init streams
fix="$top/tests/data/hostile/streams"
bench_start "$fix"
kb() { awk "/^$1:/ {print \$2}" "/proc/$spid/status"; }
auth="Authorization: Bearer $key"
final() { # ID: waits until the execution is final
	while curl -s -H "$auth" "$url/api/workflows/$1" | grep -q '"status":"\(pending\|running\)"'; do
		sleep 0.2
	done
}
id=$(curl -s -H "$auth" -d '{"workflow":"st/biglog"}' "$url/api/workflows/run" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
final "$id"
follow() { curl -sN -H "$auth" "$url/api/workflows/$id/logs?follow=1" -o /dev/null; }
follow
echo "server idle after one follower: VmHWM $(kb VmHWM) kB, VmRSS $(kb VmRSS) kB"
pids=""
for i in $(seq "$nf"); do follow & pids="$pids $!"; done
wait $pids
echo "after $nf followers of a 4 MB log at once: VmHWM $(kb VmHWM) kB, VmRSS $(kb VmRSS) kB"

health() { # prints p50 and p99 of GET /health in ms (wrk, 5 s, 4 connections)
	wrk -t1 -c4 -d5s --latency "$url/health" | awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
	    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; return v * 1000 }
	    END { printf "%.3f %.3f\n", ms(p50), ms(p99) }'
}
loop() { while :; do "$@" > /dev/null 2>&1; done; }
set -- $(health)
echo "GET /health idle: p50 $1 ms, p99 $2 ms"
loop follow &
lpid=$!
set -- $(health)
kill "$lpid"; wait "$lpid" 2>/dev/null || true; lpid=""
echo "GET /health while one client follows the 4 MB log back to back: p50 $1 ms, p99 $2 ms"

# an execution with 15001 steps: its rows written straight into the store
big=$(curl -s -H "$auth" -d '{"workflow":"st/biglog","parameters":{"lines":1}}' \
	"$url/api/workflows/run" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
final "$big"
python3 - "$work/inn.db" "$big" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=30)
db.executemany("INSERT OR REPLACE INTO steps (exec_id, idx, name, type, status, attempts, "
               "message, started_ms, ended_ms, outputs) VALUES (?,?,?,?,?,?,?,?,?,?)",
               [(int(sys.argv[2]), i, "res-%05d" % i, "shell", "succeeded", 1, None,
                 1700000000000 + i, 1700000000100 + i, '{"name":"resource-%05d"}' % i)
                for i in range(1, 15001)])
db.commit()
PY
bytes=$(curl -s -H "$auth" "$url/api/workflows/$big" | wc -c)
loop curl -s -H "$auth" "$url/api/workflows/$big" &
lpid=$!
set -- $(health)
kill "$lpid"; wait "$lpid" 2>/dev/null || true; lpid=""
echo "GET /health while one client GETs a 15001-step execution ($bytes bytes) back to back: p50 $1 ms, p99 $2 ms"
