#!/bin/sh
# cluster_sqlite.sh - one server per SQLite file: a second server on the
# same file is refused naming the first one's pid; an execution names the
# replica that ran it; SIGTERM gives queued executions back and the next
# start runs them; after kill -9 the file is free again and what was left
# is recovered.  Prints TAP.
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
srvbin="$build/innominatus"
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-clsq-XXXXXX")
chmod 755 "$dir"
mkdir -p "$dir/plugins"
chmod 755 "$dir/plugins"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
install -m 755 "$build/tests/plugins/.libs/noop.so" "$dir/plugins/noop.so"
install -m 755 "$build/tests/plugins/.libs/crashy.so" "$dir/plugins/crashy.so"
cat >"$dir/conf.yaml" <<CONF
server:
  listen: 127.0.0.1:0
  db: $dir/inn.db
  pluginDir: $dir/plugins
  stateDir: $dir/state
  shutdownGraceSeconds: 5
workflowPolicies:
  maxConcurrentWorkflows: 1
CONF
spid=""
. "$src/tests/ctl_lib.sh"
trap '[ -n "$spid" ] && kill -9 $spid 2>/dev/null; rm -rf "$dir"' EXIT
start() { start_server "$dir/conf.yaml" "$dir/server.log" --providers "$src/tests/data/server"; }
api() { curl -s -X "$1" -H "Authorization: Bearer $key" "$url$2" ${3:+-d "$3"}; }
field() { api GET "/api/workflows/$1" | python3 -c "import json,sys; print(json.load(sys.stdin).get('$2'))"; }
run() {
	api POST /api/workflows/run "{\"workflow\":\"api-team/slow\",\"parameters\":{\"lines\":\"1\",\"hold\":\"$1\"}}" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
wait_final() { # id
	i=0
	while [ $i -lt 100 ]; do
		case $(field "$1" status) in succeeded|failed|cancelled) return 0 ;; esac
		i=$((i + 1)); sleep 0.1
	done
	return 1
}
echo "1..6"
key=$("$srvbin" --config "$dir/conf.yaml" --create-admin-key ops)
start || { echo "not ok 1 - the server did not start"; cat "$dir/server.log"; exit 1; }
first=$spid
"$srvbin" --config "$dir/conf.yaml" --providers "$src/tests/data/server" 2>"$dir/second.log" &
second=$!
wait $second
rc=$?
[ $rc -eq 3 ] && grep -q "another innominatus server (pid $first) uses store $dir/inn.db" "$dir/second.log"
check "a second server on the same SQLite file is refused, naming the first one's pid and the file (exit $rc)" $?
a=$(run 0)
wait_final "$a"
rep=$(field "$a" replica)
case $rep in *-"$first"-*) true ;; *) false ;; esac
check "an execution names the replica that ran it ($rep)" $?
# one runs (3 s), two wait for the only slot
b=$(run 3); c=$(run 0); d=$(run 0)
sleep 0.5
kill -TERM $spid; wait $spid; spid=""
grep -q "released" "$dir/server.log"
check "SIGTERM: the queued executions are given back (said so)" $?
start || { echo "not ok - restart"; exit 1; }
wait_final "$c" && wait_final "$d" && [ "$(field "$c" status)" = succeeded ] &&
	[ "$(field "$d" status)" = succeeded ] && [ "$(field "$b" status)" = succeeded ] &&
	[ "$(field "$c" replica)" != "$rep" ]
check "the next start runs the queued ones under its own replica id" $?
e=$(run 30)
sleep 0.5
kill -9 $spid; wait $spid 2>/dev/null; spid=""
start
check "after kill -9 the file is free for the next server" $?
wait_final "$e"
[ "$(field "$e" status)" = failed ]
check "and the execution it left running is failed by the recovery rules" $?
kill -TERM $spid; wait $spid; spid=""
exit $fail
