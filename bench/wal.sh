#!/bin/sh
# wal.sh - the store's write-ahead log under a log flood (ST-1).  Starts a
# real server on a fresh store and runs one workflow whose parallel shell
# steps print MB megabytes of short log lines in all (default 200; each step
# stores at most its 8 MiB log cap, so there are MB/8 steps); every line is
# one commit.  Samples the -wal file while it runs and prints its peak and
# final size next to the database file's size (the reference: what the
# store really holds), and the time taken.
#
# usage: bench/wal.sh [BUILD_DIR]   (default: ./_build; MB=200 by default)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
INN_TOP_SRCDIR=$top
INN_TOP_BUILDDIR=${1:-$top/_build}
INN_SHELL_SO=$INN_TOP_BUILDDIR/plugins/shell/.libs/shell.so
export INN_TOP_SRCDIR INN_TOP_BUILDDIR INN_SHELL_SO
mb=${MB:-200}
steps=$(( (mb + 7) / 8 ))
. "$top/tests/hostile/lib.sh"
h_init walbench
mkdir -p "$H/prov/bench/workflows"
printf 'name: bench\nversion: 1.0.0\nworkflows_dir: workflows\n' > "$H/prov/bench/provider.yaml"
{
	echo "name: flood"
	echo "steps:"
	i=1
	while [ $i -le $steps ]; do
		echo "  - name: s$i"
		echo "    type: shell"
		echo "    config:"
		echo "      script: |"
		echo "        python3 -c 'import sys"
		echo "        w = sys.stdout.write"
		echo "        for i in range(8 * 1024 * 1024 // 64): w(\"s$i line %012d abcdefghijklmnopqrstuvwxyz0123456789\\\\n\" % i)'"
		i=$((i + 1))
	done
} > "$H/prov/bench/workflows/flood.yaml"
H_POLICY_YAML="  maxConcurrentWorkflows: 4"
h_start "$H/prov"
t0=$(date +%s)
id=$(api POST /api/workflows/run "$ADMIN" -d '{"workflow":"bench/flood"}' | jf id)
peak=$(h_wal_peak "$id" "$ADMIN")
t1=$(date +%s)
sleep 1
w=$(stat -c %s "$H/inn.db-wal" 2>/dev/null || echo 0)
db=$(stat -c %s "$H/inn.db")
lines=$(sqlite3 "file:$H/inn.db?mode=ro" 'select count(*) from step_logs' 2>/dev/null || echo "?")
echo "wal.sh: $mb MB of log lines in $steps steps: $lines lines stored in $((t1 - t0)) s"
echo "wal.sh: -wal peak $((peak / 1048576)) MB, at the end $((w / 1048576)) MB; the database $((db / 1048576)) MB"
h_stop TERM
