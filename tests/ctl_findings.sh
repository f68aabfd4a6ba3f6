#!/bin/sh
# ctl_findings.sh - the new-user findings of the ctl (findings/new-user.md,
# section 3), each as the user met it: U1 each command's own help, U2
# test-workflow runs nothing, U4 a broken provider does not hide the good
# ones, U7 admin alone / revoke-key, U8 retry --param refused, U18
# list-workflows with nothing or past the last page, U20 the status line
# after a step finished.  A real server for the remote ones.  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
command -v script >/dev/null 2>&1 || { echo "1..1"; echo "not ok 1 - script (util-linux) is needed"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-find-XXXXXX")
. "$src/tests/ctl_lib.sh"
. "$src/tests/ctl_hello_server.sh"
CHECK_SHOW="$dir/out"
echo "1..18"
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$dir"' EXIT
# remote commands ask this server only, with this key only
export HOME="$dir" XDG_CONFIG_HOME=
unset INNOMINATUS_SERVER INNOMINATUS_TOKEN

# ---- U1: each command has its own help, with its own options -----------------------
"$ctl" run --help >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && head -1 "$dir/out" | grep -q '^usage: innominatus-ctl run WORKFLOW' &&
	grep -q -- '--no-wait' "$dir/out" && ! grep -q -- '--role' "$dir/out" &&
	! grep -q -- 'demo-time' "$dir/out"
check "U1: run --help is run's help: its synopsis and options (not --role, not the others)" $?

"$ctl" help run >"$dir/out2" 2>&1 && cmp -s "$dir/out" "$dir/out2" &&
	"$ctl" status --help >"$dir/out" 2>&1 && head -1 "$dir/out" | grep -q 'status ID' &&
	! grep -q -- '--param' "$dir/out" &&
	"$ctl" validate-provider --help >"$dir/out" 2>&1 && head -1 "$dir/out" | grep -q 'validate-provider DIR' &&
	"$ctl" logs --help >"$dir/out" 2>&1 && grep -q -- '-f, --follow' "$dir/out"
check "U1: help run = run --help; status, validate-provider, logs have their own" $?

"$ctl" admin --help >"$dir/out" 2>&1
rc=$?
ok=0
for s in add-key list-keys revoke-key add-provider remove-provider reload export import; do
	grep -q "^  admin $s" "$dir/out" || ok=1
done
[ $rc -eq 0 ] && [ $ok -eq 0 ] && "$ctl" admin add-key --help >"$dir/out" 2>&1 &&
	head -1 "$dir/out" | grep -q 'usage: innominatus-ctl admin add-key NAME --role admin|user' &&
	grep -q -- '--role admin|user' "$dir/out" && ! grep -q -- '--git-url' "$dir/out"
check "U1/U7: admin --help lists every subcommand; admin add-key --help has only its options" $?

# ---- U2: test-workflow validates; only --dry-run goes further, and runs nothing ------
printf 'name: tw\nsteps:\n  - {name: t, type: shell, config: {script: "touch %s/tw-was-run"}}\n' \
	"$dir" >"$dir/tw.yaml"
mkdir -p "$dir/plugins"
install -m 755 "${INN_SHELL_SO:?}" "$dir/plugins/shell.so"
lc() { (cd "$dir" && "$ctl" --plugin-dir "$dir/plugins" "$@"); }
lc test-workflow "$dir/tw.yaml" >"$dir/out" 2>&1
r1=$?
lc test-workflow "$dir/tw.yaml" --dry-run >>"$dir/out" 2>&1
r2=$?
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ ! -e "$dir/tw-was-run" ] &&
	grep -q 'nothing was run' "$dir/out" && "$ctl" test-workflow --help | grep -q 'Nothing runs'
check "U2: test-workflow (and --dry-run) runs nothing; its help says so" $?

# ---- hostile 8: test-workflow checks --param without --dry-run too -------------------
printf 'name: tp\nparameters:\n  - {name: n, type: integer, default: 1}\nsteps:\n  - {name: t, type: shell, config: {script: "true"}}\n' \
	>"$dir/tp.yaml"
lc test-workflow "$dir/tp.yaml" --param bogus=1 >"$dir/out" 2>&1; r1=$?
lc test-workflow "$dir/tp.yaml" --param n=abc >>"$dir/out" 2>&1; r2=$?
lc test-workflow "$dir/tp.yaml" --param n=2 >>"$dir/out" 2>&1; r3=$?
[ $r1 -eq 3 ] && [ $r2 -eq 3 ] && [ $r3 -eq 0 ] && grep -q 'no parameter "bogus"' "$dir/out" &&
	grep -q '"abc" is not an integer' "$dir/out" &&
	"$ctl" test-workflow --help >"$dir/out" 2>&1 && grep -q -- '--param' "$dir/out" &&
	grep -q -- '--dry-run' "$dir/out"
check "8: test-workflow --param without --dry-run: unknown names and bad types are exit 3" $?

"$ctl" admin bogus --help >"$dir/out" 2>&1; r1=$?
"$ctl" help admin bogus >>"$dir/out" 2>&1; r2=$?
INNOMINATUS_SERVER=http://127.0.0.1:9 "$ctl" retry >>"$dir/out" 2>&1; r3=$?
[ $r1 -eq 2 ] && [ $r2 -eq 2 ] && [ $r3 -eq 2 ] &&
	grep -q 'usage: innominatus-ctl retry ID \[--no-wait\]' "$dir/out"
check "20: admin bogus --help is exit 2 as help admin bogus; retry's usage shows [--no-wait]" $?

# ---- U4: one broken provider: the good ones listed, the errors said, exit 3 ----------
mkdir -p "$dir/p/good/workflows" "$dir/p/broken/workflows"
printf 'name: good-team\nversion: 1.0.0\nworkflows_dir: workflows\n' >"$dir/p/good/provider.yaml"
printf 'name: hi\nsteps:\n  - {name: hi, type: shell, config: {script: "echo hi"}}\n' \
	>"$dir/p/good/workflows/hi.yaml"
printf 'name: broken-team\nversion: 1.0.0\nworkflows_dir: workflows\n' >"$dir/p/broken/provider.yaml"
printf 'name: loop\nsteps:\n  - {name: a, type: shell, config: {script: "true"}, depends_on: [b]}\n  - {name: b, type: shell, config: {script: "true"}, depends_on: [a]}\n' \
	>"$dir/p/broken/workflows/loop.yaml"
lc --local list-providers --providers "$dir/p" >"$dir/out" 2>"$dir/err"
rc=$?
cat "$dir/err" >>"$dir/out"
[ $rc -eq 3 ] && grep -q '^good-team' "$dir/out" && ! grep -q '^broken-team' "$dir/out" &&
	grep -q 'loop.yaml:[0-9]*:[0-9]*: error: ' "$dir/err"
check "U4: list-providers lists the good provider, prints the broken one's errors, exits 3" $?

printf 'goldenpaths:\n  say-hi: {workflow: ./p/good/workflows/hi.yaml, description: says hi}\n  loop: {workflow: ./p/broken/workflows/loop.yaml, description: broken}\n' \
	>"$dir/gp.yaml"
lc --local list-goldenpaths --providers "$dir/p" --goldenpaths "$dir/gp.yaml" >"$dir/out" 2>"$dir/err"
rc=$?
cat "$dir/err" >>"$dir/out"
[ $rc -eq 3 ] && grep -q '^say-hi' "$dir/out" && ! grep -q '^loop ' "$dir/out" &&
	grep -q 'error: ' "$dir/err"
check "U4: list-goldenpaths lists the good golden path, says what is wrong with the other, exits 3" $?

# ---- a real server for the rest ------------------------------------------------------
hello_server "$dir/srv"
check "the test server starts" $?
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"

# ---- U18: nothing yet; a page past the end -------------------------------------------
"$ctl" list-workflows >"$dir/out" 2>&1
[ $? -eq 0 ] && [ "$(cat "$dir/out")" = "no executions" ]
check "U18: list-workflows before any run says \"no executions\"" $?

"$ctl" run hello-team/greet >"$dir/out" 2>&1 &&
	"$ctl" list-workflows --page 4 >"$dir/out" 2>&1 &&
	grep -q '^page 4 is past the last page (1); 1 execution(s)' "$dir/out" &&
	"$ctl" list-workflows >"$dir/out" 2>&1 && grep -q '^page 1 of 1, 1 execution(s)' "$dir/out"
check "U18: --page past the end says \"page 4 is past the last page (1)\"" $?

# ---- U8: retry --param is refused, nothing runs ---------------------------------------
"$ctl" retry 1 --param secs=1 >"$dir/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'takes no --param' "$dir/out" &&
	"$ctl" -o json list-workflows >"$dir/out2" 2>&1 && grep -q '"total": *1' "$dir/out2"
check "U8: retry ID --param is refused (exit 2) and no execution is started" $?

# ---- U7: admin alone, revoke-key ------------------------------------------------------
"$ctl" admin >"$dir/out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q 'admin needs a subcommand' "$dir/out" &&
	grep -q '^  admin revoke-key NAME' "$dir/out" && grep -q '^  admin list-keys' "$dir/out" &&
	grep -q '^  admin add-provider' "$dir/out" && grep -q '^  admin reload' "$dir/out"
check "U7: admin alone prints admin's help with every subcommand (exit 2)" $?

"$ctl" admin frob >"$dir/out" 2>&1
[ $? -eq 2 ] && grep -q 'admin has no subcommand "frob"' "$dir/out"
check "U7: an unknown admin subcommand is named (exit 2)" $?

bob=$("$ctl" admin add-key bob --role user --team red 2>/dev/null) &&
	INNOMINATUS_TOKEN=$bob "$ctl" list-workflows >/dev/null 2>&1 &&
	"$ctl" admin revoke-key bob >"$dir/out" 2>&1 && grep -q 'Revoked API key "bob"' "$dir/out"
check "U7: admin revoke-key NAME revokes a working key" $?

INNOMINATUS_TOKEN=$bob "$ctl" list-workflows >"$dir/out" 2>&1
[ $? -eq 5 ] && grep -q 'HTTP 401' "$dir/out"
check "U7: the revoked key is refused (exit 5)" $?

"$ctl" admin revoke-key nosuch >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q 'no key named "nosuch"' "$dir/out"
check "U7: revoking a key that does not exist says so (exit 3)" $?

# ---- U20: the status line after a step finished ---------------------------------------
printf 'name: two\nsteps:\n  - {name: first, type: shell, config: {script: "echo one"}}\n  - {name: second, type: shell, config: {script: "echo two"}, depends_on: [first]}\n' \
	>"$dir/two.yaml"
# a terminal on stderr (script's pty): the live status line is drawn
(cd "$dir" && script -qec "\"$ctl\" --plugin-dir \"$dir/plugins\" run --local two.yaml" \
	"$dir/typescript") >"$dir/tty" 2>&1
tr '\r' '\n' <"$dir/tty" | sed 's/\x1b\[K//g' >"$dir/out"
grep -q '^\[0/2\] 1 running: first' "$dir/out" && grep -q '^\[2/2\] 0 running$' "$dir/out" &&
	! grep -q '0 running: ' "$dir/out"
check "U20: the status line names running steps only; none once they finished" $?
exit $fail
