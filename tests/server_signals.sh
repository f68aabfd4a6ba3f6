#!/bin/sh
# server_signals.sh - SIGTERM drains the server: no new work is accepted,
# a running step gets the grace period to finish and its execution is
# recorded as succeeded; one that outlives the grace is cancelled and
# recorded so.  After a restart nothing is left "running".  Prints TAP.
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
srvbin="$build/innominatus"
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-sig-XXXXXX")
chmod 755 "$dir"
mkdir -p "$dir/plugins"
chmod 755 "$dir/plugins"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
install -m 755 "$build/tests/plugins/.libs/noop.so" "$dir/plugins/noop.so"
install -m 755 "$build/tests/plugins/.libs/crashy.so" "$dir/plugins/crashy.so"
cat > "$dir/conf.yaml" <<CONF
server:
  listen: 127.0.0.1:0
  db: $dir/inn.db
  pluginDir: $dir/plugins
  stateDir: $dir/state
  shutdownGraceSeconds: 2
CONF
spid=""
. "$src/tests/ctl_lib.sh"
start() {
	start_server "$dir/conf.yaml" "$dir/server.log" --providers "$src/tests/data/server"
}
trap '[ -n "$spid" ] && kill -9 $spid 2>/dev/null; rm -rf "$dir"' EXIT
api() { # method path [body]
	curl -s -X "$1" -H "Authorization: Bearer $key" "$url$2" ${3:+-d "$3"}
}
status_of() {
	api GET "/api/workflows/$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'
}
echo "1..5"
key=$("$srvbin" --config "$dir/conf.yaml" --create-admin-key ops)
start || { echo "not ok 1 - server did not start"; cat "$dir/server.log"; exit 1; }
# one step that ends within the grace (1 s), one that would not (30 s)
short=$(api POST /api/workflows/run '{"workflow":"api-team/slow","parameters":{"lines":"1","hold":"1"}}' |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
long=$(api POST /api/workflows/run '{"workflow":"api-team/slow","parameters":{"lines":"1","hold":"30"}}' |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
sleep 0.4
t0=$(date +%s)
kill -TERM $spid
wait $spid
rc=$?
t1=$(date +%s)
spid=""
[ $rc -eq 0 ]; check "SIGTERM ends the server with status 0" $?
[ $((t1 - t0)) -le 15 ]; check "it did not wait past grace + kill grace" $?
grep -q "draining" "$dir/server.log"; check "it said it was draining" $?
start || { echo "not ok - restart"; exit 1; }
[ "$(status_of "$short")" = succeeded ]; check "the step within the grace finished and was recorded succeeded" $?
[ "$(status_of "$long")" = cancelled ]; check "the step past the grace was cancelled and recorded so" $?
kill -TERM $spid; wait $spid; spid=""
exit $fail
