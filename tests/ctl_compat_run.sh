#!/bin/sh
# ctl_compat_run.sh - how the original innominatus's workflows RUN here, as
# a migrating user meets it with innominatus-ctl (run --local and through
# the server): a legacy `policy` step runs its script as the original ran
# it (bash without -e and pipefail; `type: shell` keeps strict mode); a
# workflow output reading a step output the step never wrote is null with
# a warning (at load, in a dry-run and in the run's log), not a failed run;
# a Score spec's resource that fails says why.  Prints TAP.
ctl=${INN_CTL:?}
build=${INN_TOP_BUILDDIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-compat-run-XXXXXX")
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; [ -n "$spid" ] && wait $spid 2>/dev/null; rm -rf "$dir"' EXIT
mkdir -p "$dir/plugins" "$dir/prov/workflows" "$dir/data"
chmod 755 "$dir" "$dir/plugins"
install -m 755 "$build/plugins/shell/.libs/shell.so" "$dir/plugins/shell.so"
export INNOMINATUS_STATE_DIR="$dir/state"
c() { "$ctl" --plugin-dir "$dir/plugins" "$@"; }
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
CHECK_SHOW="$dir/out"
echo "1..12"

# --- policy steps: no errexit, no pipefail --------------------------------
cat > "$dir/policy.yaml" <<'WF'
name: count
steps:
  - name: count
    type: policy
    config:
      script: |
        n=$(curl -s http://127.0.0.1:1/none | grep '"name"' | wc -l)
        echo "repositories: $n"
        false | true
WF
sed 's/type: policy/type: shell/' "$dir/policy.yaml" > "$dir/shell.yaml"
c run --local "$dir/policy.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'count  *| repositories: 0$' "$dir/out"
check "a policy step runs as the original ran it: a grep without a match in a pipe does not end it" $?
c run --local "$dir/shell.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'step "count" failed: exit status 1' "$dir/out" && ! grep -q 'repositories:' "$dir/out"
check "a shell step keeps strict mode (bash -e -o pipefail)" $?
sed 's/^    config:$/    config:\n      errexit: true/' "$dir/policy.yaml" > "$dir/strict.yaml"
c run --local "$dir/strict.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'exit status 1' "$dir/out"
check "a policy step with errexit: true is strict" $?

# --- workflow outputs reading an output the step never wrote --------------
cat > "$dir/prov/workflows/org.yaml" <<'WF'
name: org
steps:
  - name: create-org
    type: policy
    config:
      script: |
        echo '{"org_id": 7, "status": "created"}'
outputs:
  org_id: "{{ .steps.create-org.output.org_id }}"
  url: "http://git/{{ .steps.create-org.output.org_id }}"
  name: fixed
WF
cat > "$dir/prov/provider.yaml" <<'YAML'
apiVersion: v1
kind: Provider
metadata: {name: p, version: 1.0.0}
capabilities:
  resourceTypeCapabilities:
    - {type: org, operations: {create: {workflow: org}}}
    - {type: broken, operations: {create: {workflow: broken}}}
workflows:
  - {name: org, file: ./workflows/org.yaml}
  - {name: broken, file: ./workflows/broken.yaml}
YAML
cat > "$dir/prov/workflows/broken.yaml" <<'WF'
name: broken
steps:
  - {name: fail, type: policy, config: {script: "echo trying; exit 3"}}
WF
loadwarn='org.yaml:9:11: warning: outputs.org_id: references steps.create-org.outputs.org_id, but the script of step "create-org" never writes $INNOMINATUS_OUTPUT, so a run reads it as null'
c run --local "$dir/prov/workflows/org.yaml" --dry-run >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -qF "$loadwarn" "$dir/out" && grep -qF 'org.yaml:10:8: warning: outputs.url: references' "$dir/out"
check "load and dry-run warn that an output the script never writes will be null (file:line:col)" $?
c run --local "$dir/prov/workflows/org.yaml" >"$dir/out" 2>&1
rc=$?
c -o json run --local "$dir/prov/workflows/org.yaml" >"$dir/json" 2>/dev/null
[ $rc -eq 0 ] && grep -qF "$loadwarn" "$dir/out" &&
	grep -qF '| warning: outputs.org_id: step "create-org" wrote no output "org_id", so the reference reads as null (empty in text); a script writes it with: echo "org_id=..." >> "$INNOMINATUS_OUTPUT"' "$dir/out" &&
	grep -qF 'warning: outputs.url: step "create-org" wrote no output "org_id"' "$dir/out" &&
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
assert d["status"] == "succeeded", d
assert d["outputs"] == {"org_id": None, "url": "http://git/", "name": "fixed"}, d["outputs"]' "$dir/json" 2>>"$dir/out"
check "the run succeeds: the output is null, the run's log names output, step and how to write it" $?
# a step config reading the same output still fails: only workflow outputs are lenient
cat > "$dir/use.yaml" <<'WF'
name: use
steps:
  - {name: make, type: policy, config: {script: "echo made"}}
  - {name: use, type: policy, config: {script: 'echo "id={{ .steps.make.output.id }}"'}}
WF
c run --local "$dir/use.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'steps.make.outputs.id is not defined' "$dir/out" && ! grep -q 'id=$' "$dir/out"
check "a step config reading an output its step did not write still fails the run" $?

# --- a Score spec's resource that fails says why ---------------------------
printf 'name: noop\nsteps:\n  - {name: done, type: policy, config: {script: "echo done"}}\n' > "$dir/noop.yaml"
printf 'apiVersion: score.dev/v1b1\nmetadata: {name: app}\ncontainers: {web: {image: "web:1"}}\nresources: {res: {type: broken}}\n' > "$dir/spec.yaml"
c --providers "$dir/prov" run --local "$dir/noop.yaml" "$dir/spec.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -qF 'innominatus-ctl: resource "res" (p/broken) was not provisioned: step "fail" failed: exit status 3' "$dir/out"
check "run --local with a Score spec: a resource that fails says which workflow and why" $?

# the original's ${metadata.name} / ${environment.type} are refused with
# what to write instead; a Score spec's embedded workflows: are refused,
# not ignored (nothing runs)
printf 'name: m\nsteps:\n  - {name: s, type: policy, config: {command: [echo, "${metadata.name}", "${environment.type}"]}}\n' >"$dir/m.yaml"
c test-workflow "$dir/m.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -qF 'm.yaml:3:54: error: step "s": config.command[1]: references metadata.name, but "metadata" is not a template root' "$dir/out" &&
	grep -qF "the original's \${metadata.name} (the app's name) is \${app.name} here" "$dir/out" &&
	grep -qF "the original's \${environment.*} (the Score spec's environment) has no counterpart here" "$dir/out"
check "the original's \${metadata.name} and \${environment.type}: load errors saying what to write" $?
printf 'apiVersion: score.dev/v1b1\nmetadata: {name: a}\ncontainers: {web: {image: x}}\nworkflows:\n  deploy:\n    steps: [{name: s, type: policy, config: {script: "touch %s/embedded-ran"}}]\n' "$dir" >"$dir/emb.yaml"
printf 'name: noop\nsteps: [{name: s, type: policy, config: {script: "true"}}]\n' >"$dir/noop.yaml"
c run --local "$dir/noop.yaml" "$dir/emb.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && [ ! -e "$dir/embedded-ran" ] &&
	grep -qF 'emb.yaml:5:3: error: workflows: the original innominatus ran workflows embedded in a Score spec' "$dir/out" &&
	! grep -q 'unknown key "workflows"' "$dir/out"
check "a Score spec's embedded workflows: are a load error, and nothing runs" $?

# ./providers is the fallback only for a config without a providers: key
mkdir -p "$dir/cwd/providers" && cp -r "$dir/prov" "$dir/cwd/providers/p"
printf 'providers: []\n' >"$dir/cwd/empty.yaml"
printf 'workflowPolicies: {allowedStepTypes: [policy]}\n' >"$dir/cwd/nokey.yaml"
(cd "$dir/cwd" && "$ctl" --plugin-dir "$dir/plugins" --config empty.yaml list-providers) >"$dir/out" 2>&1
r1=$?; ! grep -q '^p ' "$dir/out"; r1=$((r1 + $?))
(cd "$dir/cwd" && "$ctl" --plugin-dir "$dir/plugins" --config nokey.yaml list-providers) >"$dir/out" 2>&1
r2=$?; grep -q '^p ' "$dir/out"; r2=$((r2 + $?))
[ $r1 -eq 0 ] && [ $r2 -eq 0 ]
check "providers: [] in the admin config loads no provider; without the key ./providers is read" $?

# --- the same through the server ----------------------------------------
server_conf "$dir/server.yaml" "$dir"
cat >> "$dir/server.yaml" <<CONF
providers:
  - {name: p, type: filesystem, path: $dir/prov}
workflowPolicies:
  allowedStepTypes: [policy]
CONF
key=$("$build/innominatus" --config "$dir/server.yaml" --create-admin-key ops)
start_server "$dir/server.yaml" "$dir/server.log"
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"
"$ctl" run p/org >"$dir/out" 2>&1
rc=$?
"$ctl" logs 1 >>"$dir/out" 2>&1
[ $rc -eq 0 ] && grep -q 'warning: outputs.org_id: step "create-org" wrote no output "org_id"' "$dir/out"
check "through the server: the run succeeds and its stored log has the warning" $?
"$ctl" run p/broken >"$dir/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'step "fail" failed: exit status 3' "$dir/out"
check "through the server: a failing policy step fails the run with its exit status" $?
exit $fail
