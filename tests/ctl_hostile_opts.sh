#!/bin/sh
# ctl_hostile_opts.sh - hostile-test findings of the ctl: an option the
# command does not take is a usage error (retry --dry-run used to re-run for
# real), --local with --server is refused.  No server: nothing may be asked
# (the URL below has nobody listening).  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-hopt-XXXXXX")
. "$src/tests/ctl_lib.sh"
CHECK_SHOW="$dir/out"
trap 'rm -rf "$dir"' EXIT
export HOME="$dir" XDG_CONFIG_HOME= INNOMINATUS_TOKEN=x
unset INNOMINATUS_SERVER
srv=http://127.0.0.1:9
echo "1..15"

# refused: CMD... -- OPT, and the message names both
refused() {
	who=$1; opt=$2; shift 2
	"$ctl" --server $srv "$@" >"$dir/out" 2>&1
	rc=$?
	[ $rc -eq 2 ] && grep -qx "innominatus-ctl: $who does not take $opt (see: innominatus-ctl $who --help)" "$dir/out"
}
refused retry --dry-run retry 10 --dry-run
check "retry 10 --dry-run: a usage error, not a real retry" $?
ok=0
refused "admin revoke-key" --dry-run admin revoke-key X --dry-run || ok=1
refused "admin add-key" --dry-run admin add-key k --role user --dry-run || ok=1
refused "admin reload" --dry-run admin reload --dry-run || ok=1
check "admin revoke-key/add-key/reload --dry-run: usage errors" $ok
refused cancel --dry-run cancel 1 --dry-run && refused cancel --no-wait cancel 1 --no-wait
check "cancel --dry-run, cancel --no-wait: usage errors" $?
refused status -f status 1 -f && refused apps --app apps --app=x
check "status -f, apps --app=x: usage errors, as spelt" $?

"$ctl" list-providers --local --server $srv >"$dir/out" 2>&1
[ $? -eq 2 ] && grep -q -- '--local runs in-process, --server asks a server' "$dir/out"
check "list-providers --local --server: refused, not silently local" $?

# what a command takes, or every command takes, stays valid: the server
# not answering (5) shows the option got through
"$ctl" --server $srv -o json --reconnect-wait 0 --plugin-dir "$dir" status 1 >"$dir/out" 2>&1
[ $? -eq 5 ]
check "global options (--server, -o, --reconnect-wait, --plugin-dir) stay valid" $?
"$ctl" --server $srv retry 1 --no-wait >"$dir/out" 2>&1
[ $? -eq 5 ] && "$ctl" --server $srv logs 1 -f >"$dir/out" 2>&1
[ $? -eq 5 ]
check "options a command takes (retry --no-wait, logs -f) stay valid" $?
"$ctl" retry --dry-run --help >"$dir/out" 2>&1
[ $? -eq 0 ] && head -1 "$dir/out" | grep -q 'usage: innominatus-ctl retry'
check "--help still shows the help" $?
"$ctl" --server $srv admin export --db "$dir/x.db" --dry-run >"$dir/out" 2>&1
[ $? -eq 2 ] && grep -q 'admin export does not take --dry-run' "$dir/out"
check "admin export --dry-run: a usage error" $?

# ---- admin export -o the store itself (or a file beside it): refused, store kept
top=$(dirname "$ctl")
db="$dir/store.db"
"$top/innominatus" --db "$db" --migrate >"$dir/out" 2>&1 || sed 's/^/# /' "$dir/out"
cp "$db" "$dir/before.db"
"$ctl" admin export --db "$db" -o "$db" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q 'store --db .* itself: refusing' "$dir/out" && cmp -s "$db" "$dir/before.db"
check "admin export --db X -o X: refused (exit 3), the store unchanged" $?
mkdir "$dir/sub"
ok=0
for o in "$dir/sub/../store.db" "sqlite:$db" "$db-wal" "$db-journal" "$db.key" "$db.replica.lock"; do
	case $o in sqlite:*) d=$o; o=$db ;; *) d=$db ;; esac
	"$ctl" admin export --db "$d" -o "$o" >"$dir/out" 2>&1
	[ $? -eq 3 ] && grep -q 'refusing to write the dump over it' "$dir/out" || { ok=1; echo "# $o"; }
done
ln "$db" "$dir/hard.db"
"$ctl" admin export --db "$db" -o "$dir/hard.db" >"$dir/out" 2>&1
[ $? -eq 3 ] || ok=1
cmp -s "$db" "$dir/before.db" && [ ! -e "$db-journal" ] && [ ! -e "$db.key" ] || ok=1
check "admin export -o: the store by another name, a hard link or a sibling file: refused" $ok
rm -f "$dir/hard.db"
"$ctl" admin export --db "$db" -o "$dir/dump.json" >"$dir/out" 2>&1 && [ -s "$dir/dump.json" ]
check "admin export -o another file still works" $?

# ---- terminal escapes from the server or from files: escaped on a terminal -----
command -v script >/dev/null 2>&1 || { check "script (util-linux) is needed" 1; exit 1; }
cat >"$dir/boom.py" <<'PY'
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        b = b'{"error":{"message":"boom \\u001b]0;PWN\\u0007","errors":["e \\u001b[2J"]}}'
        self.send_response(500)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
s = HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1], "w").write("%d\n" % s.server_address[1])
s.serve_forever()
PY
python3 "$dir/boom.py" "$dir/port" & bpid=$!
trap 'kill $bpid 2>/dev/null; rm -rf "$dir"' EXIT
i=0; while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
INN_B="$ctl --server http://127.0.0.1:$(cat "$dir/port") apps" script -qc 'sh -c "$INN_B"' /dev/null >"$dir/tty" 2>&1
esc=$(printf '\033')
grep -q 'boom \\e\]0;PWN^G' "$dir/tty" && grep -q 'e \\e\[2J' "$dir/tty" && ! grep -q "$esc" "$dir/tty"
CHECK_SHOW="$dir/tty" check "a server's error message with ESC/BEL reaches a terminal escaped" $?
CHECK_SHOW="$dir/out"
mkdir -p "$dir/p${esc}]0;X" && printf 'name: "a\033[31mb"\nversion: 1\n' >"$dir/p${esc}]0;X/provider.yaml"
INN_C=$ctl INN_A="$dir/p${esc}]0;X" INN_D=$dir script -qc \
	'sh -c "\"\$INN_C\" --plugin-dir \"\$INN_D\" validate-provider \"\$INN_A\""' /dev/null >"$dir/tty" 2>&1
grep -q 'p\\e\]0;X' "$dir/tty" && ! grep -q "$esc" "$dir/tty"
CHECK_SHOW="$dir/tty" check "validate-provider: a folder name and provider.yaml values with ESC are escaped on a terminal" $?
INN_C=$ctl INN_A="bogus${esc}]0;Y" script -qc 'sh -c "\"\$INN_C\" \"\$INN_A\""' /dev/null >"$dir/tty" 2>&1
grep -q 'unknown command "bogus\\e\]0;Y"' "$dir/tty" && ! grep -q "$esc" "$dir/tty"
CHECK_SHOW="$dir/tty" check "a usage error echoing an argument with ESC escapes it on a terminal" $?
exit $fail
