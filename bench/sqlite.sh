#!/bin/sh
# sqlite.sh - the SQLite store under the server's load, against a reference
# build in the same run: one 200-step no-op run POST to completed (median
# of ROUNDS, target <= 60 ms), and the p99 of GET /api/workflows/{id} while
# 500 three-step runs go (target < 10 ms); then a bash loop of the same
# single-row sqlite3 inserts as a floor for what commits cost on this disk.
# Prints each figure for both builds and their ratio (new / reference).
#
# usage: bench/sqlite.sh [BUILD [REF_BUILD [ROUNDS]]]
#   BUILD, REF_BUILD: a build directory (innominatus and tests/plugins/
#   .libs/noop.so in it) or an install prefix (bin/innominatus; noop.so
#   still from the build).  Default BUILD ./_build, no reference.
#   A reference build of main:  git worktree add /tmp/base main &&
#   (cd /tmp/base && autoreconf -fi && mkdir _build && cd _build &&
#    ../configure -q && make -j2)
# Needs python3 and curl; the machine should be otherwise idle (say what
# else ran when you quote the figures).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
new=${1:-$top/_build}
ref=${2:-}
rounds=${3:-9}
work=$(mktemp -d "${TMPDIR:-/tmp}/inn-sqbench-XXXXXX")
spid=
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	sleep 0.2
	rm -rf "$work"
}
trap cleanup EXIT

bin_of() {
	if [ -x "$1/bin/innominatus" ]; then echo "$1/bin/innominatus"; else echo "$1/innominatus"; fi
}
noop_of() {
	for f in "$1/tests/plugins/.libs/noop.so" "$top/_build/tests/plugins/.libs/noop.so"; do
		[ -f "$f" ] && { echo "$f"; return; }
	done
	echo "sqlite.sh: no noop.so near $1 (make check builds it)" >&2
	exit 1
}

mkdir -p "$work/prov/bench/workflows"
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

# measure NAME BUILD: starts that build on a fresh store, runs the load,
# writes "name value" lines to $work/NAME.out
measure() {
	srv=$(bin_of "$2")
	[ -x "$srv" ] || { echo "sqlite.sh: $srv missing (build first)" >&2; exit 1; }
	d="$work/$1"
	mkdir -p "$d/plugins"
	install -m 755 "$(noop_of "$2")" "$d/plugins/noop.so"
	key=$("$srv" --db "$d/inn.db" --create-admin-key bench)
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	"$srv" --db "$d/inn.db" --listen "127.0.0.1:$port" --plugin-dir "$d/plugins" \
		--providers "$work/prov" --config /dev/null --state-dir "$d/state" 2>"$d/server.log" &
	spid=$!
	until curl -sf -o /dev/null "http://127.0.0.1:$port/ready"; do sleep 0.01; done
	python3 "$top/bench/sqlite_load.py" "$port" "$key" "$rounds" "$spid" > "$work/$1.out"
	kill "$spid"
	wait "$spid" 2>/dev/null || true
	spid=
}

val() { awk -v k="$2" '$1 == k {print $2}' "$work/$1.out"; }

measure new "$new"
[ -n "$ref" ] && measure ref "$ref"
echo "SQLite store (innominatus $(bin_of "$new")${ref:+, reference $(bin_of "$ref")}; $rounds rounds)"
for k in run200_median_ms run200_min_ms run200_server_ms run200_cpu_ms load500_s load500_steps_per_s get_p50_ms get_p99_ms; do
	case $k in
	run200_median_ms) what="one 200-step no-op run, POST to completed, median (ms; target <= 60)" ;;
	run200_min_ms) what="the same, fastest (ms)" ;;
	run200_server_ms) what="the same, created to ended on the server's clock, median (ms)" ;;
	run200_cpu_ms) what="  CPU of the server and its workers per run (ms)" ;;
	load500_s) what="500 runs x 3 no-op steps (s)" ;;
	load500_steps_per_s) what="  steps/s" ;;
	get_p50_ms) what="GET /api/workflows/{id} during the 500 runs, p50 (ms)" ;;
	get_p99_ms) what="  p99 (ms; target < 10)" ;;
	esac
	if [ -n "$ref" ]; then
		awk -v w="$what" -v a="$(val new $k)" -v b="$(val ref $k)" \
			'BEGIN { printf "%-60s %9s  ref %9s  ratio %.2fx\n", w, a, b, (b > 0 ? a / b : 0) }'
	else
		printf '%-60s %9s\n' "$what" "$(val new $k)"
	fi
done

# the floor: 400 single-row autocommit inserts (two per step) in WAL mode
# with synchronous=NORMAL, as the store makes them, from one sqlite3 process
if command -v sqlite3 >/dev/null; then
	{
		echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		echo "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b INTEGER);"
		i=0
		while [ $i -lt 400 ]; do echo "INSERT INTO t (a, b) VALUES ('step $i', $i);"; i=$((i + 1)); done
	} > "$work/ins.sql"
	t0=$(date +%s%N)
	sqlite3 "$work/floor.db" < "$work/ins.sql" >/dev/null
	t1=$(date +%s%N)
	echo "reference: sqlite3, 400 autocommit single-row inserts (WAL, NORMAL): $(( (t1 - t0) / 1000000 )) ms"
fi
