#!/bin/sh
# ctl_server.sh - the real server driven by innominatus-ctl in remote mode,
# as the README's main job does: a config whose providers[] paths are
# relative to it, a key from --create-admin-key, a golden path for a Score
# spec run through the server, status, logs, a failed run's exit code, a
# user key refused on an admin command, and providers added from a git
# repository (file://) and a folder, reloaded and removed.  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
srvbin="$build/innominatus"
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-srv-XXXXXX")
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/etc" "$dir/data"
chmod 755 "$dir/plugins"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
cp -r "$src/tests/data/standin-providers" "$dir/providers"
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
server_conf "$dir/etc/innominatus.yaml" "$dir"
cat >> "$dir/etc/innominatus.yaml" <<CONF
  goldenpaths: $src/workflows/goldenpaths.yaml
providers:
  - {name: storage-team, type: filesystem, path: ../providers/storage-team}
  - {name: database-team, type: filesystem, path: ../providers/database-team}
workflowPolicies:
  allowedStepTypes: [shell]
CONF
cart_spec "$dir/spec.yaml"
echo "1..11"
key=$("$srvbin" --config "$dir/etc/innominatus.yaml" --create-admin-key ops)
trap 'kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$dir"' EXIT
start_server "$dir/etc/innominatus.yaml" "$dir/server.log"
sed 's/^/# /' "$dir/server.log"
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"
"$ctl" list-providers >"$dir/out" 2>&1
grep -q '^database-team' "$dir/out" && grep -q '^storage-team' "$dir/out"
check "providers[] paths in the config resolve relative to it" $?
"$ctl" run deploy-app "$dir/spec.yaml" --param environment=dev >"$dir/out" 2>&1
rc=$?
tail -4 "$dir/out" | sed 's/^/# /'
[ $rc -eq 0 ] && grep -q "db/create-database *| schema version 1" "$dir/out" &&
	grep -q "succeeded" "$dir/out" && [ -s "$dir/data/state/cart/db/dev/shell/databases/cart.sqlite" ]
check "run through the server provisions the spec's resources and deploys (exit 0)" $?
"$ctl" -o json status 1 >"$dir/out" 2>&1
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]=="succeeded"; n=[s["name"] for s in d["steps"]]; assert n[0]=="pre-deployment:naming-check/check", n; assert [x for x in n if ":" not in x][:2]==["db/create-database","assets/create-bucket"], n' "$dir/out"
check "status -o json shows the first deployment's pre-deployment check, then the resource steps" $?
"$ctl" logs 1 >"$dir/out" 2>&1
grep -q "smoke test passed" "$dir/out"
check "logs prints the stored lines" $?
"$ctl" run deploy-app "$dir/spec.yaml" --param environment=qa >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'not one of the allowed values' "$dir/out"
check "a bad parameter is refused before anything runs (exit 3)" $?
ukey=$("$ctl" -o json admin add-key dev --role user --team red 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
INNOMINATUS_TOKEN=$ukey "$ctl" admin add-key other --role user >"$dir/out" 2>&1
rc=$?
[ $rc -eq 5 ] && grep -q "needs an admin key" "$dir/out"
check "a user key is refused on an admin command (exit 5)" $?
INNOMINATUS_TOKEN=$ukey "$ctl" status 1 >"$dir/out" 2>&1
[ $? -eq 3 ]
check "another team's execution is not found (exit 3)" $?
# providers over the API: a git repository (file://) and a broken folder
mkdir -p "$dir/repo/extra/workflows" "$dir/broken/workflows"
printf 'name: extra-team\nversion: 1.0.0\nworkflows_dir: workflows\n' >"$dir/repo/extra/provider.yaml"
printf 'name: greet\nsteps:\n  - {name: hi, type: shell, config: {script: "echo hi"}}\n' \
	>"$dir/repo/extra/workflows/greet.yaml"
printf 'name: broken-team\nversion: 1.0.0\nworkflows_dir: workflows\n' >"$dir/broken/provider.yaml"
printf 'name: loop\nsteps:\n  - {name: a, type: shell, config: {script: "true"}, depends_on: [b]}\n  - {name: b, type: shell, config: {script: "true"}, depends_on: [a]}\n' \
	>"$dir/broken/workflows/loop.yaml"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
(cd "$dir/repo" && git init -q -b main && git add -A && git commit -qm one) >/dev/null 2>&1
"$ctl" admin add-provider extra-team --git-url "file://$dir/repo" --path extra --ref main >"$dir/out" 2>&1 &&
	"$ctl" list-providers 2>&1 | grep -q '^extra-team'
check "admin add-provider clones a git repository and serves its provider" $?
"$ctl" admin add-provider broken-team --path "$dir/broken" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'loop.yaml:[0-9]*:[0-9]*: error: .*cycle' "$dir/out"
check "a broken provider is refused with every problem as file:line:col (exit 3)" $?
printf 'name: bye\nsteps:\n  - {name: bye, type: shell, config: {script: "echo bye"}}\n' \
	>"$dir/repo/extra/workflows/bye.yaml"
(cd "$dir/repo" && git add -A && git commit -qm two) >/dev/null 2>&1
"$ctl" admin reload >"$dir/out" 2>&1 && grep -q 'extra-team .*(updated)' "$dir/out" &&
	"$ctl" run extra-team/bye >"$dir/out" 2>&1 && grep -q "succeeded" "$dir/out"
check "admin reload fetches the new commit; its workflow runs" $?
"$ctl" admin remove-provider storage-team >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && "$ctl" admin remove-provider extra-team >>"$dir/out" 2>&1 &&
	! "$ctl" list-providers 2>&1 | grep -q '^extra-team'
check "admin remove-provider removes an API provider, not a config one" $?
sed "s/^/# /" "$dir/out"
exit $fail
