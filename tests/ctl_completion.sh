#!/bin/sh
# ctl_completion.sh - `innominatus-ctl completion bash|zsh`: both scripts
# parse (bash -n, zsh -n); in a scripted bash (the script sourced,
# COMP_WORDS/COMP_CWORD set, the function called, COMPREPLY read) a
# command prefix, an option of run, -o's values, --type's values, a
# golden path, provider/workflow and an execution id from a real server,
# and nothing (quickly) when no server answers; in a scripted zsh (zpty,
# compinit) the same line completes a command and a golden path.  Names a
# hostile server sends: control characters dropped, "*" and "two words"
# completed as they are (no globbing, no splitting, in bash and zsh); a
# server that accepts and never answers costs one 2 s wait, not one per
# kind of name.
# Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
for t in bash zsh python3; do
	command -v $t >/dev/null 2>&1 || { echo "1..1"; echo "not ok 1 - $t is needed (scripts/deps.sh)"; exit 1; }
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-compl-XXXXXX")
chmod 755 "$dir"
mkdir -p "$dir/bin"
ln -s "$ctl" "$dir/bin/innominatus-ctl"
. "$src/tests/ctl_lib.sh"
. "$src/tests/ctl_hello_server.sh"
echo "1..21"
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$dir"' EXIT
hello_server "$dir"
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key" HOME="$dir" XDG_CONFIG_HOME=
CHECK_SHOW="$dir/out"

"$ctl" completion bash >"$dir/c.bash" && bash -n "$dir/c.bash" &&
	"$ctl" completion zsh >"$dir/_innominatus-ctl" && zsh -n "$dir/_innominatus-ctl"
check "completion bash and completion zsh print scripts that parse (bash -n, zsh -n)" $?

"$ctl" completion fish >"$dir/out" 2>&1
[ $? -eq 2 ] && grep -q 'usage: innominatus-ctl completion bash|zsh' "$dir/out"
check "completion of an unknown shell is a usage error (exit 2)" $?

# an execution to complete: run the provider's workflow once
"$ctl" run hello-team/greet >"$dir/out" 2>&1
check "a run on the test server succeeds (execution 1)" $?

# complete LINE: the bash candidates for the last word of LINE (a trailing
# space: a new empty word), sorted, one a line
complete_bash() {
	PATH="$dir/bin:$PATH" bash --norc --noprofile -c '
		. "$1"
		line=$2
		read -r -a COMP_WORDS <<<"$line"
		[ "${line% }" != "$line" ] && COMP_WORDS+=("")
		COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
		COMP_LINE=$line COMP_POINT=${#line}
		_innominatus_ctl innominatus-ctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
		[ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}" | sort' sh "$dir/c.bash" "$1"
}

complete_bash "innominatus-ctl li" >"$dir/out" 2>&1
[ "$(cat "$dir/out")" = "$(printf 'list-goldenpaths\nlist-providers\nlist-workflows')" ]
check "bash: a command prefix completes to the commands (li -> list-*)" $?

complete_bash "innominatus-ctl run --no" >"$dir/out" 2>&1
[ "$(cat "$dir/out")" = "--no-wait" ]
check "bash: an option of run completes (--no -> --no-wait)" $?

complete_bash "innominatus-ctl status --" >"$dir/out" 2>&1
grep -qx -- '--server' "$dir/out" && ! grep -qx -- '--no-wait' "$dir/out" &&
	! grep -qx -- '--param' "$dir/out"
check "bash: status offers its own options only (--server, not --no-wait or --param)" $?

complete_bash "innominatus-ctl list-workflows -o " >"$dir/out" 2>&1
[ "$(cat "$dir/out")" = "$(printf 'json\ntext\nyaml')" ]
check "bash: -o offers json, text, yaml" $?

complete_bash "innominatus-ctl new workflow w --type k" >"$dir/out" 2>&1
[ "$(cat "$dir/out")" = "kubernetes" ] &&
	complete_bash "innominatus-ctl admin " | grep -qx 'revoke-key'
check "bash: --type offers the step types; admin offers its subcommands" $?

complete_bash "innominatus-ctl run dep" >"$dir/out" 2>&1
grep -qx 'deploy-app' "$dir/out" &&
	complete_bash "innominatus-ctl run hello" | grep -qx 'hello-team/greet'
check "bash: run completes a golden path and provider/workflow from the server" $?

complete_bash "innominatus-ctl logs " >"$dir/out" 2>&1
grep -qx '1' "$dir/out"
check "bash: logs completes an execution id from the server" $?

# nothing answers on this port: no candidates, no message, promptly
# (the bound is the script's own 2 s, not asserted as a time here)
INNOMINATUS_SERVER=http://127.0.0.1:9 "$ctl" __complete goldenpaths "" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && [ ! -s "$dir/out" ] &&
	INNOMINATUS_SERVER=http://127.0.0.1:9 complete_bash "innominatus-ctl run dep" >"$dir/out" 2>&1 &&
	[ ! -s "$dir/out" ]
check "no server: __complete prints nothing and no error, the line completes to nothing" $?

"$ctl" __complete commands >"$dir/out" && grep -qx completion "$dir/out" &&
	! grep -q '__complete' "$dir/out" && "$ctl" __complete options run | grep -qx -- '--no-wait'
check "__complete commands and options CMD list from the table (hidden ones left out)" $?

# zsh: compinit with the script in $fpath; zpty types a line and TAB, and
# reads until the completed word shows (timeout bounds a hang)
cat >"$dir/z.zsh" <<'ZSH'
zmodload zsh/zpty || exit 3
zpty -b z zsh -f -i
out=
expect() { local got; zpty -r z got "*$1*" || exit 4; out+=$got; }
zpty -w z "PS1='%% '; fpath=($ZDIR \$fpath); path=($ZDIR/bin \$path); autoload -Uz compinit; compinit -u -D"
zpty -w z "whence -w _innominatus-ctl; print COMPDEF=\$_comps[innominatus-ctl]"
expect 'COMPDEF=_'
zpty -wn z $'innominatus-ctl list-g\t'
expect 'list-goldenpaths'
zpty -wn z $'\C-u'
zpty -wn z $'innominatus-ctl run deploy-a\t'
expect 'deploy-app'
zpty -wn z $'\C-aecho LINE: \C-m'
expect 'LINE: innominatus-ctl run deploy-app'
zpty -w z 'exit'
print -r -- "$out"
ZSH
ZDIR=$dir timeout 30 zsh -f "$dir/z.zsh" >"$dir/zout" 2>&1
tr -d '\r' <"$dir/zout" >"$dir/out"
grep -q 'COMPDEF=_innominatus-ctl' "$dir/out" && grep -q 'list-goldenpaths' "$dir/out" &&
	grep -q 'LINE: innominatus-ctl run deploy-app' "$dir/out"
check "zsh (zpty, compinit): the script autoloads as _innominatus-ctl; TAB completes a command and a golden path" $?
# ---- hostile names and a dead server ----------------------------------------------
cat >"$dir/evil.py" <<'PY'
import json, socket, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
names = ["*", "two words", "esc\x1b]0;pwned\x07", "bel\x07x", "del\x7fx", "nl\nx"]
# names that are code when put on a command line unquoted (only /api/applications)
code = ["$(touch made)", "x;touch made2", "{a,b}", "`touch made3`", "q'uote"]
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path.startswith("/api/providers"):
            body = {"data": [{"name": n, "workflows": [{"name": "w"}]} for n in names]}
        elif self.path.startswith("/api/applications"):
            body = {"data": [{"name": n} for n in code]}
        elif self.path.startswith("/api/workflows"):
            body = {"data": [{"id": "x;y"}, {"id": 7}, {"id": None}, {"id": "12"}, {"id": 3.5}]}
        else:
            body = {"data": []}
        b = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
# the dead one: accepts, reads nothing, answers nothing
dead = socket.socket()
dead.bind(("127.0.0.1", 0))
dead.listen(64)
held = []
def hold():
    while True:
        held.append(dead.accept())
threading.Thread(target=hold, daemon=True).start()
with open(sys.argv[1], "w") as f:
    f.write("%d %d\n" % (srv.server_address[1], dead.getsockname()[1]))
srv.serve_forever()
PY
python3 "$dir/evil.py" "$dir/ports" & epid=$!
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; kill $epid 2>/dev/null; wait $spid $epid 2>/dev/null; rm -rf "$dir"' EXIT
i=0; while [ ! -s "$dir/ports" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
read -r eport dport <"$dir/ports"
evil=http://127.0.0.1:$eport

INNOMINATUS_SERVER=$evil "$ctl" __complete providers "" >"$dir/out" 2>&1
[ "$(cat "$dir/out")" = "$(printf '*\ntwo words')" ]
check "__complete drops names with control characters (ESC, BEL, DEL, newline)" $?

# files a "*" would glob to, in the folder the completion runs in
mkdir "$dir/cwd" && : >"$dir/cwd/file-a" && : >"$dir/cwd/file-b"
(cd "$dir/cwd" && INNOMINATUS_SERVER=$evil complete_bash "innominatus-ctl admin remove-provider ") \
	>"$dir/out" 2>&1
[ "$(cat "$dir/out")" = "$(printf '\\*\ntwo\\ words')" ]
check "bash: a provider named * completes to \\* (quoted, no globbing), 'two words' to two\\ words" $?
(cd "$dir/cwd" && INNOMINATUS_SERVER=$evil complete_bash "innominatus-ctl admin remove-provider *") \
	>"$dir/out" 2>&1
[ "$(cat "$dir/out")" = "\\*" ]
check "bash: the prefix * completes to \\* only" $?
# each candidate as bash inserts it, then read back by the shell as the
# user's command line would be: exactly the server's name, one word, and
# nothing run (no file made)
(cd "$dir/cwd" && INNOMINATUS_SERVER=$evil complete_bash "innominatus-ctl app ") >"$dir/cand" 2>&1
(cd "$dir/cwd" && bash --norc --noprofile -c '
	while IFS= read -r w; do eval "set -- $w"; [ $# -eq 1 ] && printf "%s\n" "$1"; done' \
	<"$dir/cand") >"$dir/out" 2>&1
printf '%s\n' '$(touch made)' '`touch made3`' 'q'"'"'uote' 'x;touch made2' '{a,b}' | sort >"$dir/want"
sort "$dir/out" | cmp -s - "$dir/want" && [ ! -e "$dir/cwd/made" ] && [ ! -e "$dir/cwd/made2" ] &&
	[ ! -e "$dir/cwd/made3" ] && [ "$(wc -l <"$dir/cand")" -eq 5 ]
check "bash: app names with \$(...), backquotes, ;, {a,b}, ' are inserted quoted: read back as themselves, nothing runs" $?
INNOMINATUS_SERVER=$evil "$ctl" __complete executions "" >"$dir/out" 2>&1
[ "$(cat "$dir/out")" = "7" ]
check "__complete executions: ids that are no whole number (\"x;y\", null, \"12\", 3.5) are dropped, not 0" $?
(cd "$dir/cwd" && INNOMINATUS_SERVER=$evil complete_bash "innominatus-ctl logs ") >"$dir/out" 2>&1
[ "$(cat "$dir/out")" = "7" ]
check "bash: logs offers the one numeric execution id only" $?

# one look-up for all of run's kinds (golden paths, workflows): bounded by
# timeout 3.5 s, where one 2 s wait per kind would be cut
(cd "$dir/cwd" && PATH="$dir/bin:$PATH" INNOMINATUS_SERVER=http://127.0.0.1:$dport \
	timeout 3.5 bash --norc --noprofile -c '
	. "$1"
	COMP_WORDS=(innominatus-ctl run ""); COMP_CWORD=2
	_innominatus_ctl innominatus-ctl "" run
	printf "%s\n" "${COMPREPLY[@]}" | sort; echo done' sh "$dir/c.bash") >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(cat "$dir/out")" = "$(printf 'file-a\nfile-b\ndone')" ]
check "bash: a server that accepts and never answers: run's completion returns (one 2 s wait)" $?

cat >"$dir/z2.zsh" <<'ZSH'
zmodload zsh/zpty || exit 3
zpty -b z zsh -f -i
out=
expect() { local got; zpty -r z got "*$1*" || exit 4; out+=$got; }
zpty -w z "PS1='%% '; fpath=($ZDIR \$fpath); path=($ZDIR/bin \$path); autoload -Uz compinit; compinit -u -D; cd $ZDIR/cwd"
zpty -w z "print READY"
expect 'READY'
zpty -wn z $'innominatus-ctl admin remove-provider tw\t'
zpty -wn z $'\C-aecho LINE: \C-m'
expect 'LINE: innominatus-ctl admin remove-provider two words'
zpty -w z 'exit'
print -r -- "$out"
ZSH
ZDIR=$dir INNOMINATUS_SERVER=$evil timeout 30 zsh -f "$dir/z2.zsh" >"$dir/zout" 2>&1
tr -d '\r' <"$dir/zout" >"$dir/out"
grep -q 'LINE: innominatus-ctl admin remove-provider two words' "$dir/out" &&
	! grep -q 'pwned' "$dir/out"
check "zsh: 'two words' from the server is one word, quoted; nothing with control characters" $?
exit $fail
