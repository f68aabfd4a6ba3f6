#!/bin/sh
# api.sh - the server under load, against references in the same run:
#   - wrk -t2 -c64 -d10s on authenticated GET /api/providers, and on nginx
#     serving the same JSON bytes as a static file; prints the ratio
#     (target >= 0.9x nginx);
#   - start to /ready, idle RSS, 500 runs of a 3-step workflow over the API
#     (wall time, steps/s, p99 latency of GET /api/workflows/{id} meanwhile),
#     RSS after, one 200-step run and 100 one-step runs (bench/api_load.py);
#   - at the end, the issue's targets with each figure: met or MISSED.
# The machine's other load changes every figure: the ratios (same run) say more.
# Needs: wrk, nginx (apt-get install wrk nginx-light), python3, curl.
#
# usage: bench/api.sh [BUILD_DIR]   (default: ./_build)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
srv="$build/innominatus"
for t in wrk nginx python3 curl; do
	command -v $t >/dev/null || { echo "api.sh: $t is needed (apt-get install wrk nginx-light)" >&2; exit 1; }
done
[ -x "$srv" ] || { echo "api.sh: build first ($srv missing)" >&2; exit 1; }
. "$top/bench/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/inn-apibench-XXXXXX")
chmod 755 "$work"
cleanup() {
	[ -n "${spid:-}" ] && kill "$spid" 2>/dev/null
	[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null
	sleep 0.2
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/plugins" "$work/prov/bench/workflows" "$work/www/api"
chmod 755 "$work/plugins"
install -m 755 "$build/tests/plugins/.libs/noop.so" "$work/plugins/noop.so"
printf 'name: bench\nversion: 1.0.0\nworkflows_dir: workflows\n' > "$work/prov/bench/provider.yaml"
printf 'name: one\nsteps:\n  - {name: a, type: noop}\n' > "$work/prov/bench/workflows/one.yaml"
printf 'name: three\nsteps:\n  - {name: a, type: noop}\n  - {name: b, type: noop}\n  - {name: c, type: noop}\n' \
	> "$work/prov/bench/workflows/three.yaml"
{
	echo "name: two-hundred"
	echo "steps:"
	i=1
	while [ $i -le 200 ]; do echo "  - {name: s$i, type: noop}"; i=$((i + 1)); done
} > "$work/prov/bench/workflows/two-hundred.yaml"

key=$("$srv" --db "$work/inn.db" --create-admin-key bench)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
t0=$(date +%s%N)
"$srv" --db "$work/inn.db" --listen "127.0.0.1:$port" --plugin-dir "$work/plugins" \
	--providers "$work/prov" --config /dev/null --state-dir "$work/state" 2>"$work/server.log" &
spid=$!
until curl -sf -o /dev/null "http://127.0.0.1:$port/ready"; do :; done
t1=$(date +%s%N)
echo "start to /ready: $(( (t1 - t0) / 1000000 )) ms (target <= 100 ms, includes curl start-up; Backstage: 3.5 s)"

# the same bytes from nginx
curl -sf -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/providers" > "$work/www/api/providers"
nport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bench_nginx "$nport" "$work/www" "default_type application/json;" ""
# req/s, and the CPU time (clock ticks, user + system) the server's
# processes used meanwhile: CPU per request hardly depends on what else
# the machine runs, req/s does
ticks() { for p in "$@"; do awk '{print $14 + $15}' "/proc/$p/stat"; done | awk '{s += $1} END {print s}'; }
rps() { wrk -t2 -c64 -d10s "$@" | awk '/Requests\/sec/ {r = $2} /requests in/ {n = $1} END {print r, n}'; }
ngx_workers=$(pgrep -P "$(cat "$work/nginx.pid")" | tr '\n' ' ')
c0=$(ticks "$spid")
set -- $(rps -H "Authorization: Bearer $key" "http://127.0.0.1:$port/api/providers")
r_inn=$1 n_inn=$2
c1=$(ticks "$spid")
c2=$(ticks $ngx_workers)
set -- $(rps "http://127.0.0.1:$nport/api/providers")
r_ngx=$1 n_ngx=$2
c3=$(ticks $ngx_workers)
awk -v a="$r_inn" -v b="$r_ngx" 'BEGIN {
	printf "GET /api/providers (authenticated): %.0f req/s; nginx, same bytes: %.0f req/s; ratio %.2fx (target >= 0.90x)\n", a, b, a / b }'
awk -v ci=$((c1 - c0)) -v ni="$n_inn" -v cn=$((c3 - c2)) -v nn="$n_ngx" -v hz="$(getconf CLK_TCK)" 'BEGIN {
	a = ci / hz * 1e6 / ni; b = cn / hz * 1e6 / nn
	printf "  CPU per request: server %.2f us, nginx %.2f us; nginx / server %.2fx (less sensitive than req/s to other load)\n", a, b, b / a }'
ratio=$(awk -v a="$r_inn" -v b="$r_ngx" 'BEGIN { printf "%.3f", a / b }')

python3 "$top/bench/api_load.py" "$port" "$key" "$spid" "$ratio"
