#!/bin/sh
# server_config.sh - what an operator meets configuring the server:
# --check-config (every problem at FILE:LINE, a count, exit 1; "config OK"
# and exit 0), the INNOMINATUS_* environment between the config file and
# the flags, a bad variable named, the command line's mistakes said as
# such (U5), a missing provider folder stopping the start with its path
# (U6), examples without a /usr/local plugin directory (U15), and the log
# with timestamps, levels and an access line per request (U19).  Prints
# TAP.
lib_name=conf
. "${INN_TOP_SRCDIR:?}/tests/server_lib.sh"
echo "1..18"

# --- the command line (U5) ---
"$srvbin" --bogus >"$dir/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "unknown option --bogus" "$dir/out" && ! grep -q "needs a value" "$dir/out"
check "innominatus --bogus says unknown option (exit 2)" $?
"$srvbin" foo >"$dir/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "unexpected argument foo" "$dir/out" && ! grep -q "needs a value" "$dir/out"
check "innominatus foo says unexpected argument (exit 2)" $?

# --- --check-config ---
server_conf "$dir/good.yaml" "$dir"
cat >>"$dir/good.yaml" <<CONF
providers:
  - {name: storage-team, type: filesystem, path: providers/storage-team}
workflowPolicies:
  allowedStepTypes: [shell]
CONF
"$srvbin" --check-config --config "$dir/good.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "^config OK: .*1 plugin(s); 1 provider(s)" "$dir/out" &&
	[ ! -e "$dir/data/inn.db" ]
check "--check-config of a good config: config OK, exit 0, no store created" $?

cat >"$dir/bad.yaml" <<CONF
server:
  listen: localhost
  db: $dir/data/inn.db
  pluginDir: $dir/plugins
  stateDir: $dir/data/state
  workers: many
  replicaLease: 2h
  colour: blue
providers:
  - {name: storage-team, type: filesystem, path: providers/storage-team}
  - {name: gone-team, type: filesystem, path: $dir/nowhere}
workflowPolicies:
  allowedStepTypes: [shell]
CONF
"$srvbin" --check-config --config "$dir/bad.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] &&
	grep -q "^$dir/bad.yaml:2: server.listen: \"localhost\" is not HOST:PORT" "$dir/out" &&
	grep -q "^$dir/bad.yaml:6: server.workers: \"many\" is not an integer" "$dir/out" &&
	grep -q "^$dir/bad.yaml:7: server.replicaLease: \"2h\" is too long" "$dir/out" &&
	grep -q "^$dir/bad.yaml:8: server.colour: no such setting" "$dir/out" &&
	grep -q "^$dir/bad.yaml:.*$dir/nowhere" "$dir/out" &&
	grep -q "^5 problem(s)$" "$dir/out"
check "--check-config reports every problem at file:line, then the count (exit 1)" $?

"$srvbin" --check-config --config "$dir/good.yaml" --providers "$dir/nowhere" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q -- "^--providers: provider folder $dir/nowhere: No such file" "$dir/out"
check "--check-config: a missing provider folder of --providers is a problem (U6)" $?

printf 'server:\n  listen: [1\n' >"$dir/broken.yaml"
"$srvbin" --check-config --config "$dir/broken.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "^$dir/broken.yaml:[0-9]*:[0-9]*: " "$dir/out" &&
	grep -q "^1 problem(s)$" "$dir/out"
check "--check-config: YAML that cannot be parsed is one problem at file:line:col" $?

# --- the environment ---
INNOMINATUS_WORKERS=abc "$srvbin" --check-config --config "$dir/good.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "^environment: INNOMINATUS_WORKERS: \"abc\" is not an integer" "$dir/out"
check "a bad INNOMINATUS_WORKERS is an error naming the variable" $?
INNOMINATUS_WORKERS=abc "$srvbin" --config "$dir/good.yaml" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q "INNOMINATUS_WORKERS" "$dir/out"
check "... and the server does not start with it (exit 3)" $?

INNOMINATUS_CONFIG="$dir/good.yaml" INNOMINATUS_PLUGIN_DIR="$dir/nowhere" \
	"$srvbin" --check-config >"$dir/out" 2>&1
rc1=$?
INNOMINATUS_CONFIG="$dir/good.yaml" INNOMINATUS_PLUGIN_DIR="$dir/nowhere" \
	"$srvbin" --check-config --plugin-dir "$dir/plugins" >"$dir/out2" 2>&1
rc2=$?
[ $rc1 -eq 1 ] && grep -q "^environment: INNOMINATUS_PLUGIN_DIR: .*$dir/nowhere" "$dir/out" &&
	[ $rc2 -eq 0 ] && grep -q "config OK: $dir/good.yaml" "$dir/out2"
check "INNOMINATUS_CONFIG names the file; the environment beats it, a flag the environment" $?

INNOMINATUS_PROVIDERS="$dir/providers/storage-team:$dir/providers/database-team" \
	"$srvbin" --check-config --config "$dir/good.yaml" >"$dir/out" 2>&1
[ $? -eq 0 ] && grep -q "2 provider(s)" "$dir/out"
check "INNOMINATUS_PROVIDERS: folders separated by ':'" $?

# --- a start (U6, U19) ---
INNOMINATUS_ACCESS_LOG=false "$srvbin" --config "$dir/good.yaml" --providers "$dir/nowhere" \
	>"$dir/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "provider folder $dir/nowhere" "$dir/out" &&
	! grep -q "listening on" "$dir/out"
check "a start with a missing provider folder fails naming it, nothing is served (U6)" $?

printf '  accessLog: %s\n' true >>"$dir/good.yaml"
key=$("$srvbin" --config "$dir/good.yaml" --create-admin-key ops)
INNOMINATUS_LISTEN=127.0.0.1:0 start_server "$dir/good.yaml" "$dir/server.log"
check "the server starts (INNOMINATUS_LISTEN over the file's listen)" $?
curl -s -o /dev/null "$url/ready"
curl -s -o /dev/null -H "Authorization: Bearer $key" "$url/api/workflows?page=1&token=s3cr3t"
curl -s -o /dev/null "$url/api/nothing"
sleep 0.2
cp "$dir/server.log" "$dir/out"
ts='^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{3\}Z'
lines=$(grep -c . "$dir/out")
[ "$lines" -gt 2 ] && [ "$(grep -c "$ts \(debug\|info\|warn\|error\) " "$dir/out")" -eq "$lines" ]
check "every log line starts with an RFC 3339 UTC timestamp and a level (U19)" $?
grep -q "$ts info innominatus: access GET /ready 200 [0-9]* bytes .* ms key=" "$dir/out" &&
	grep -q "access GET /api/workflows?page=\*&token=\* 200 [0-9]* bytes" "$dir/out" &&
	grep -q "access GET /api/nothing 404 " "$dir/out" && ! grep -q "s3cr3t" "$dir/out"
check "an access line per request: method, path, status, bytes; query values left out" $?
grep -q "access GET /api/workflows?page=\*&token=\* 200 [0-9]* bytes [0-9.]* ms key=ops$" "$dir/out" &&
	grep -q "access GET /ready 200 [0-9]* bytes [0-9.]* ms key=-$" "$dir/out"
check "the access line has the request's milliseconds and its key's name" $?
kill -TERM "$spid"
wait "$spid"
rc=$?
spid=""
[ $rc -eq 0 ] && grep -q "SIGTERM: draining" "$dir/server.log"
check "SIGTERM: an idle server exits (0)" $?

INNOMINATUS_ACCESS_LOG=off start_server "$dir/good.yaml" "$dir/server.log" --listen 127.0.0.1:0
curl -s -o /dev/null "$url/ready"
sleep 0.2
cp "$dir/server.log" "$dir/out"
grep -q "listening on" "$dir/out" && ! grep -q " access " "$dir/out"
check "INNOMINATUS_ACCESS_LOG=off: no access lines" $?
kill -TERM "$spid"; wait "$spid"; spid=""

# --- the examples (U15) ---
! grep -n "^ *pluginDir: */" "$src/examples/innominatus.yaml" "$src/examples/admin-config.yaml" \
	>"$dir/out"
check "the example configs hard-code no plugin directory (U15)" $?
exit $fail
