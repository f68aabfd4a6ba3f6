#!/bin/sh
# engine.sh - the engine's own cost per step.  Runs a 200-step shell
# workflow (each step: sh -c /bin/true) with `innominatus-ctl run --local`
# and, in the same run, a shell loop that runs the same 200 commands as
# `sh -c '/bin/true'`; prints both times and the ratio (target <= 1.3x:
# process creation is the floor, the engine's work per step must stay well
# under a millisecond).
#
# usage: bench/engine.sh [BUILD_DIR]   (default: ./_build)
#
# Step workspaces live under $TMPDIR (default /tmp).  On ext4 creating the
# per-step workspace directory costs a few hundred microseconds; with
# TMPDIR=/dev/shm (tmpfs) that cost disappears.  Both figures are printed.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
ctl="$build/innominatus-ctl"
steps=${STEPS:-200}
rounds=${ROUNDS:-3}
[ -x "$ctl" ] || { echo "engine.sh: build first ($ctl missing)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/inn-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/plugins"
chmod 755 "$work" "$work/plugins"
install -m 755 "$build/plugins/shell/.libs/shell.so" "$work/plugins/shell.so"
{
	echo "name: bench-$steps"
	echo "steps:"
	i=1
	while [ $i -le $steps ]; do
		printf '  - name: s%d\n    type: shell\n    config: {shell: sh, script: /bin/true}\n' $i
		i=$((i + 1))
	done
} > "$work/wf.yaml"

now() { date +%s%N; }
best_engine=0
best_ref=0
r=1
while [ $r -le $rounds ]; do
	t0=$(now)
	"$ctl" run --local "$work/wf.yaml" --plugin-dir "$work/plugins" --config /dev/null \
		--parallel 1 >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
	t1=$(now)
	i=1
	while [ $i -le $steps ]; do
		sh -c '/bin/true'
		i=$((i + 1))
	done
	t2=$(now)
	e=$(( (t1 - t0) / 1000 )); b=$(( (t2 - t1) / 1000 ))
	[ $best_engine -eq 0 ] || [ $e -lt $best_engine ] && best_engine=$e
	[ $best_ref -eq 0 ] || [ $b -lt $best_ref ] && best_ref=$b
	r=$((r + 1))
done
awk -v e=$best_engine -v b=$best_ref -v n=$steps -v t="${TMPDIR:-/tmp}" 'BEGIN {
	printf "workspaces under %s\n", t
	printf "engine: %d steps via innominatus-ctl run --local: %.1f ms (%.3f ms/step)\n", n, e/1000, e/1000/n
	printf "bash:   %d x sh -c /bin/true:                 %.1f ms (%.3f ms/step)\n", n, b/1000, b/1000/n
	printf "ratio engine/bash: %.2fx (target <= 1.30x)\n", e/b
}'
if [ -z "${INN_BENCH_NESTED:-}" ] && [ -d /dev/shm ] && [ "${TMPDIR:-/tmp}" != /dev/shm ]; then
	echo
	INN_BENCH_NESTED=1 TMPDIR=/dev/shm sh "$0" "$build"
fi
