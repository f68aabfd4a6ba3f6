#!/bin/sh
# server_log_safety.sh - what the server's log must never do, found by a
# hostile tester (issue 14): take a level from a client's path, carry a
# control byte or a newline from a provider file raw, show a path
# parameter's value or a store password given at a reload; and the command
# line's conflicting actions, empty variables, a refused reload said once
# and the last line of a drain.  Prints TAP.
lib_name=logs
. "${INN_TOP_SRCDIR:?}/tests/server_lib.sh"
mkdir -p "$dir/evil/workflows"
ts='^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]\{3\}Z'
esc=$(printf '\033')
echo "1..14"

# --- the command line (14) ---
"$srvbin" --create-admin-key ops --migrate >"$dir/out" 2>&1
[ $? -eq 2 ] && grep -q -- "--create-admin-key and --migrate cannot be used together" "$dir/out"
check "--create-admin-key with --migrate is refused naming both (exit 2)" $?
"$srvbin" --check-config --migrate >"$dir/out" 2>&1
[ $? -eq 2 ] && grep -q -- "--check-config and --migrate cannot be used together" "$dir/out"
check "--check-config with --migrate is refused naming both (exit 2)" $?
"$srvbin" --version --bogus >"$dir/out" 2>&1
[ $? -eq 2 ] && grep -q -- "unknown option --bogus" "$dir/out" && ! grep -q "^innominatus [0-9]" "$dir/out"
check "--version --bogus: an unknown option (exit 2), no version printed" $?

# --- an empty variable counts as unset (17) ---
server_conf "$dir/good.yaml" "$dir"
cat >>"$dir/good.yaml" <<CONF
  accessLog: true
providers:
  - {name: storage-team, type: filesystem, path: providers/storage-team}
workflowPolicies:
  allowedStepTypes: [shell]
CONF
INNOMINATUS_WORKERS= INNOMINATUS_DB= INNOMINATUS_LISTEN= \
	"$srvbin" --check-config --config "$dir/good.yaml" >"$dir/out" 2>&1
[ $? -eq 0 ] && grep -q "^config OK" "$dir/out" && ! grep -q "empty" "$dir/out"
check "empty INNOMINATUS_WORKERS, _DB, _LISTEN count as unset" $?

# --- a fatal start-up line has a time and the level error (7, 11) ---
INNOMINATUS_WORKERS=abc "$srvbin" --config "$dir/good.yaml" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q "$ts error innominatus: environment: INNOMINATUS_WORKERS" "$dir/out"
check "a start that fails says why at level error, with a timestamp" $?

# --- access lines (7, 10) ---
start_server "$dir/good.yaml" "$dir/server.log"
check "the server starts" $?
curl -s -o /dev/null "$url/xerrorx"
curl -s -o /dev/null "$url/j;token=SEKRIT8/k;a=1;b=SEKRIT9"
curl -s -o /dev/null "$url/ready"
sleep 0.2
cp "$dir/server.log" "$dir/out"
grep -q "$ts info innominatus: access GET /xerrorx 404 " "$dir/out" &&
	! grep -q "$ts error .*access" "$dir/out"
check "an access line's level is the status's, never read from the path" $?
grep -q "access GET /j;token=\*/k;a=\*;b=\* " "$dir/out" && ! grep -q "SEKRIT" "$dir/out"
check ";name=value path parameters are logged without their values" $?

# --- a reload: no password in the log, a refusal said once (6, 10, 18) ---
cp "$dir/good.yaml" "$dir/good.yaml.orig"
chmod 600 "$dir/good.yaml"
sed -i "s|^  db: .*|  db: postgres://u:PWSECRET1@db.invalid/inn?password=QSECRET2|" "$dir/good.yaml"
kill -HUP "$spid"
sleep 1
sed -i "s|^  db: .*|  db: host=db.invalid password=KVSECRET3 dbname=inn|" "$dir/good.yaml"
kill -HUP "$spid"
sleep 1
# libpq's grammar: a quoted value with blanks and an escaped quote, and
# blanks around '=' (never a SQLite file of that name)
sed -i "s|^  db: .*|  db: host=127.0.0.1 password='q KVSECRET5 \\\\' r' user=u|" "$dir/good.yaml"
kill -HUP "$spid"
sleep 1
sed -i "s|^  db: .*|  db: host=h password = KVSECRET6|" "$dir/good.yaml"
kill -HUP "$spid"
sleep 1
cp "$dir/server.log" "$dir/out"
[ "$(grep -c "SIGHUP: reloading" "$dir/out")" -eq 4 ] && ! grep -q "SECRET" "$dir/out" &&
	[ "$(grep -c "key=value conninfo" "$dir/out")" -ge 3 ] &&
	! grep -q "server.db changed to /" "$dir/out" &&
	grep -q "server.db changed to postgres://u:\*\*\*@db.invalid/inn?password=\*\*\*" "$dir/out" &&
	grep -q "key=value conninfo" "$dir/out"
check "SIGHUP with a store password in server.db (URL or key=value): never logged" $?

# a provider whose names carry ESC and a newline
printf 'apiVersion: v1\nkind: Provider\nmetadata:\n  name: "evil\\e[31m-team\\nFORGED error line"\n  version: 1.0.0\nworkflows:\n  - name: w\n    file: ./workflows/w.yaml\n' \
	>"$dir/evil/provider.yaml"
cp "$dir/good.yaml.orig" "$dir/good.yaml"
printf '  - {name: evil-team, type: filesystem, path: %s/evil}\n' "$dir" >>"$dir/good.yaml"
# (the providers: list is the config's last block but workflowPolicies)
python3 - "$dir/good.yaml" "$dir" <<'PY'
import sys
f = sys.argv[1]; lines = open(f).read().split("\n")
evil = [l for l in lines if "evil-team" in l]
lines = [l for l in lines if "evil-team" not in l]
i = lines.index("workflowPolicies:")
open(f, "w").write("\n".join(lines[:i] + evil + lines[i:]))
PY
kill -HUP "$spid"
sleep 1.5
cp "$dir/server.log" "$dir/out"
lines=$(grep -c . "$dir/out")
[ "$(grep -c "$ts \(debug\|info\|warn\|error\) " "$dir/out")" -eq "$lines" ] &&
	! grep -q "$esc" "$dir/out" && grep -q 'evil\\x1b\[31m-team\\x0aFORGED' "$dir/out"
check "control bytes of a provider file are escaped: one log call, one line" $?
grep -q "refused, the catalog in use is kept" "$dir/out" &&
	! grep -q "kept: reload refused, the catalog in use is kept" "$dir/out"
check "a refused reload says why once" $?

# --- the last line (19) ---
kill -TERM "$spid"
wait "$spid"
rc=$?
spid=""
cp "$dir/server.log" "$dir/out"
[ $rc -eq 0 ] && tail -n 1 "$dir/out" | grep -q "$ts info innominatus: stopped after draining 0 run(s)"
check "the drain ends with a last line: stopped after draining N run(s)" $?

# --- a libpq key=value store is refused, masked (6) ---
"$srvbin" --check-config --config "$dir/good.yaml.orig" --db "host=h password=KVSECRET4 dbname=x" \
	>"$dir/out" 2>&1
[ $? -eq 1 ] && grep -q "key=value conninfo" "$dir/out" && ! grep -q "KVSECRET4" "$dir/out"
check "--check-config: a key=value conninfo store is a problem, its password masked" $?
ok=0
for db in "host=h password='q KVSECRET7 \\' r' user=u" "host=h password = KVSECRET8" \
	"postgres://u:KVSECRET9@h/db" "postgres://u@h/db?password=KVSECRET9"; do
	INNOMINATUS_DB=$db "$srvbin" --check-config --config "$dir/good.yaml.orig" >"$dir/out" 2>&1
	grep -q "SECRET" "$dir/out" && { ok=1; echo "# leaked: $(cat "$dir/out")"; }
	case $db in
	host=*) grep -q "key=value conninfo" "$dir/out" || { ok=1; echo "# not a conninfo: $db"; } ;;
	esac
done
check "--check-config: every store password form masked, each conninfo recognised" $ok
exit $fail
