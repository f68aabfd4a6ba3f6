#!/bin/sh
# ctl_run.sh - local mode of innominatus-ctl as a user drives it: validate a
# provider (and see a mistake named with file:line), dry-run and run a
# workflow, run the demo golden path for a Score spec, list the catalog as
# JSON, and the exit codes.  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-run-XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/plugins"
chmod 755 "$dir" "$dir/plugins"
cp "$INN_SHELL_SO" "$dir/plugins/shell.so"
chmod 755 "$dir/plugins/shell.so"
printf 'workflowPolicies:\n  allowedStepTypes: [shell]\n' > "$dir/admin.yaml"
c() { "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" "$@"; }
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
echo "1..11"

c validate-provider "$src/tests/data/standin-providers/storage-team" >"$dir/out" 2>&1
rc=$?; grep -q "provider storage-team 1.0.0: valid, 2 workflow(s), resource types: bucket s3" "$dir/out"
check "validate-provider accepts the demo storage provider" $(( rc + $? ))

mkdir -p "$dir/bad/workflows"
printf 'name: bad\nversion: 0.1.0\nworkflows_dir: workflows\n' > "$dir/bad/provider.yaml"
printf 'name: w\nsteps:\n  - name: a\n    type: shell\n    config: {script: "true"}\n  - name: b\n    type: terraform\n    config: {}\n' > "$dir/bad/workflows/w.yaml"
c validate-provider "$dir/bad" >"$dir/out" 2>&1
rc=$?
sed 's/^/# /' "$dir/out"
[ $rc -eq 3 ] && grep -q 'w.yaml:7:[0-9]*:.*step "b": type "terraform" is not in workflowPolicies.allowedStepTypes' "$dir/out"
check "a disallowed step type is named with file:line and exit 3" $?

cat > "$dir/wf.yaml" <<'WF'
name: greet
parameters:
  - {name: who, type: string, required: true}
steps:
  - name: hello
    type: shell
    config:
      script: |
        echo "hello {{ .parameters.who }}"
        echo "greeting=hello {{ .parameters.who }}" >> "$INNOMINATUS_OUTPUT"
  - name: shout
    type: shell
    config:
      script: 'echo "loud=$(echo "${steps.hello.outputs.greeting}" | tr a-z A-Z)" >> "$INNOMINATUS_OUTPUT"'
outputs:
  loud: "${steps.shout.outputs.loud}"
WF
c test-workflow "$dir/wf.yaml" --dry-run --param 'who=$(touch '"$dir"'/pwned)' >"$dir/out" 2>&1
rc=$?; grep -q "hello .*would-run (plugin has no dry-run: not simulated)" "$dir/out"
check "test-workflow --dry-run reports each step and runs nothing" $(( rc + $? ))

c run --local "$dir/wf.yaml" --param 'who=$(touch '"$dir"'/pwned); world' >"$dir/out" 2>&1
rc=$?; grep -q 'loud: HELLO $(TOUCH .*PWNED); WORLD' "$dir/out"
r2=$?; [ ! -e "$dir/pwned" ]
check "run --local passes outputs between steps; a hostile parameter stays text" $(( rc + r2 + $? ))

c -o json run --local "$dir/wf.yaml" --param who=json >"$dir/out" 2>/dev/null
rc=$?; python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["status"]=="succeeded"; assert [s["status"] for s in d["steps"]]==["succeeded","succeeded"], d["steps"]; assert all("state" not in s for s in d["steps"]); assert d["outputs"]["loud"]=="HELLO JSON"' "$dir/out"
check "run --local -o json names each state \"status\", as the API does" $(( rc + $? ))

c run --local "$dir/wf.yaml" >"$dir/out" 2>&1
rc=$?; [ $rc -eq 3 ] && grep -q 'parameter "who": is required' "$dir/out"
check "a missing required parameter exits 3 and names it" $?

printf 'name: fails\nsteps:\n  - name: x\n    type: shell\n    config: {script: "echo broken >&2; exit 7"}\n' > "$dir/fail.yaml"
c run --local "$dir/fail.yaml" >"$dir/out" 2>&1
rc=$?; [ $rc -eq 1 ] && grep -q "exit status 7" "$dir/out"
check "a failing step exits 1 with the exit status in the log" $?

cart_spec "$dir/spec.yaml"
# the demo workflows keep their files in the state directory of the app's
# resource and environment: <state root>/<app>/<resource>/<env>/<plugin>
st="$dir/state"
INNOMINATUS_STATE_DIR="$st" c --providers "$src/tests/data/standin-providers" \
	--goldenpaths "$src/workflows/goldenpaths.yaml" \
	run --local deploy-app "$dir/spec.yaml" --param environment=dev >"$dir/out" 2>&1
rc=$?
tail -5 "$dir/out" | sed 's/^/# /'
db=$(ls "$st"/cart/db/*/shell/databases/cart.sqlite 2>/dev/null)
[ $rc -eq 0 ] && [ -s "$db" ] && ls "$st"/cart/assets/*/shell/buckets/cart-assets/.bucket >/dev/null &&
	grep -q "\"database\": \"sqlite:///$db\"" "$st/cart/_/dev/shell/apps/cart/dev/deployment.json"
check "the deploy-app golden path provisions the spec's resources and deploys" $?

c --providers "$src/tests/data/standin-providers" -o json list-providers >"$dir/out" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); names=sorted(p["name"] for p in d); assert names==["database-team","storage-team"], names' "$dir/out"
check "list-providers -o json lists the demo providers" $?

c --goldenpaths "$src/workflows/goldenpaths.yaml" --providers "$src/tests/data/standin-providers" -o json list-goldenpaths >"$dir/out" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[0]["name"]=="deploy-app"; assert any(p["name"]=="environment" for p in d[0]["parameters"])' "$dir/out"
check "list-goldenpaths -o json shows deploy-app with its parameters" $?

c run --local no-such-thing >"$dir/out" 2>&1
rc=$?; [ $rc -eq 3 ] && grep -q "is not a workflow file, a golden path or provider/workflow" "$dir/out"
check "an unknown workflow reference exits 3 with a hint" $?
exit $fail
