#!/bin/sh
# ctl_legacy.sh - files written for the original innominatus, run through
# innominatus-ctl as a migrating user would (compat findings C6, C8, L1-L4):
# its step fields (workingDir, path, playbook, operation, outputs) reach the
# plugins with a deprecation warning; allowing "policy" lets policy steps
# run on shell.so but not shell steps; golden-path files resolve as it
# resolved them or the error names both folders; a second YAML document is
# named; one bad catalogue entry does not stop run --local.  Prints TAP.
ctl=${INN_CTL:?}
build=${INN_TOP_BUILDDIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-legacy-XXXXXX")
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/plugins"
chmod 755 "$dir" "$dir/plugins"
for p in shell terraform ansible; do
	install -m 755 "$build/plugins/$p/.libs/$p.so" "$dir/plugins/$p.so"
done
export INNOMINATUS_STATE_DIR="$dir/state" TF_CLI_CONFIG_FILE=/dev/null
c() { "$ctl" --plugin-dir "$dir/plugins" "$@"; }
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
CHECK_SHOW="$dir/out"
echo "1..13"

# C8: step-level fields of the original reach the plugin's config
mkdir -p "$dir/wf/sub" "$dir/wf/tf" "$dir/wf/ansible"
cat > "$dir/wf/policy.yaml" <<'WF'
name: where
steps:
  - name: here
    type: policy
    workingDir: sub
    namespace: ns
    config: {script: 'echo "in=$(basename "$(pwd)")"'}
WF
c run --local "$dir/wf/policy.yaml" >"$dir/out" 2>&1
rc=$?
grep -q 'here  *| in=sub$' "$dir/out" &&
	grep -q 'policy.yaml:5:5: warning: step "here": workingDir: deprecated spelling of the original innominatus; read as config.working_dir (write it there)' "$dir/out" &&
	grep -q 'policy.yaml:6:5: warning: step "here": namespace: ignored: the original read it for its kubernetes steps only' "$dir/out"
check "C8: workingDir of a policy step is its working directory, with the new spelling named" $(( rc + $? ))

echo 'output "bucket_name" { value = "legacy-bucket" }' > "$dir/wf/tf/main.tf"
cat > "$dir/wf/tf-legacy.yaml" <<'WF'
name: tf-legacy
steps:
  - {name: apply, type: terraform, operation: apply, workingDir: ./tf, outputs: [bucket_name]}
outputs:
  bucket: "${steps.apply.outputs.bucket_name}"
WF
if command -v terraform >/dev/null; then
	c run --local "$dir/wf/tf-legacy.yaml" >"$dir/out" 2>&1
	rc=$?
	grep -q 'bucket: legacy-bucket' "$dir/out" &&
		grep -q 'tf-legacy.yaml:3:54: warning: step "apply": workingDir: deprecated spelling of the original innominatus; read as config.working_dir' "$dir/out" &&
		! grep -q 'unknown key' "$dir/out"
	check "C8: the finding's terraform step (operation, workingDir, outputs) applies" $(( rc + $? ))
else
	n=$((n + 1)); echo "ok $n # SKIP terraform not installed"
fi

printf -- '- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg="legacy playbook ran"\n' \
	> "$dir/wf/ansible/site.yml"
printf 'name: an\nsteps:\n  - {name: play, type: ansible, path: ./ansible, playbook: site.yml}\n' \
	> "$dir/wf/an.yaml"
if command -v ansible-playbook >/dev/null; then
	c run --local "$dir/wf/an.yaml" >"$dir/out" 2>&1
	rc=$?
	grep -q 'legacy playbook ran' "$dir/out" &&
		grep -q 'an.yaml:3:33: warning: step "play": path: .*read as config.playbook: "./ansible/site.yml"' "$dir/out"
	check "C8: an ansible step's path and playbook run the playbook in that folder" $(( rc + $? ))
else
	n=$((n + 1)); echo "ok $n # SKIP ansible-playbook not installed"
fi

printf 'name: both\nsteps:\n  - name: a\n    type: terraform\n    workingDir: ./tf\n    config: {working_dir: ./other}\n' \
	> "$dir/wf/both.yaml"
c test-workflow "$dir/wf/both.yaml" --dry-run >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'both.yaml:5:5: error: step "a": workingDir ("./tf") contradicts config.working_dir ("./other")' "$dir/out"
check "C8: a legacy field contradicting the config is an error at file:line:col" $?

# L2: the original's ansible config.vars is refused with what to write
printf 'name: v\nsteps:\n  - {name: a, type: ansible, config: {playbook: ansible/site.yml, vars: {x: 1}}}\n' \
	> "$dir/wf/vars.yaml"
c test-workflow "$dir/wf/vars.yaml" --dry-run >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'vars.yaml:3:67: error: step "a": config.vars: not a field of ansible steps: the original innominatus ignored it .*write config.extra_vars' "$dir/out"
check "L2: config.vars of an ansible step is refused, naming extra_vars" $?

# C6: allowing "policy" allows shell.so for policy steps only
printf 'workflowPolicies: {allowedStepTypes: [policy]}\n' > "$dir/admin.yaml"
printf 'name: p\nsteps: [{name: check, type: policy, config: {script: "echo policy-ran"}}]\n' > "$dir/wf/p.yaml"
printf 'name: s\nsteps: [{name: direct, type: shell, config: {script: "echo shell-ran"}}]\n' > "$dir/wf/s.yaml"
c plugins --config "$dir/admin.yaml" >"$dir/out" 2>&1
rc=$?
grep -q 'note: shell.so: loaded for steps of type "policy" only' "$dir/out" &&
	grep -q '^  shell ' "$dir/out" && ! grep -q 'shell.so: step type "shell" is not in' "$dir/out"
check "C6: plugins --config loads shell.so for policy steps and says so" $(( rc + $? ))
c --config "$dir/admin.yaml" run --local "$dir/wf/p.yaml" >"$dir/out" 2>&1
rc=$?; grep -q 'check  *| policy-ran' "$dir/out"
check "C6: a policy step runs when only policy is allowed" $(( rc + $? ))
c --config "$dir/admin.yaml" run --local "$dir/wf/s.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 's.yaml:2:30: error: step "direct": type "shell" is not in workflowPolicies.allowedStepTypes (.*admin.yaml:1) (its plugin is loaded only for steps of type "policy", which runs on it)' "$dir/out" &&
	! grep -q shell-ran "$dir/out"
check "C6: a shell step is still refused, and the message says why" $?

# L1: goldenpaths.yaml in a subfolder with paths the original read from
# its working directory
mkdir -p "$dir/repo/examples" "$dir/repo/workflows"
printf 'goldenpaths:\n  hello: {workflow: ./workflows/hello.yaml}\n  short: ./workflows/hello.yaml\n' \
	> "$dir/repo/examples/goldenpaths.yaml"
printf 'name: hello\nsteps: [{name: greet, type: shell, config: {script: "echo hello-ran"}}]\n' \
	> "$dir/repo/workflows/hello.yaml"
(cd "$dir/repo" && c --goldenpaths examples/goldenpaths.yaml run --local hello) >"$dir/out" 2>&1
rc=$?
grep -q 'greet  *| hello-ran' "$dir/out" &&
	grep -q 'examples/goldenpaths.yaml:2:21: warning: goldenpaths.hello.workflow: "./workflows/hello.yaml" is not in the folder of the golden paths file (.*/repo/examples): read from the working directory (.*/repo), as the original innominatus did' "$dir/out"
check "L1: a golden path's workflow is read from the working directory as the original did" $(( rc + $? ))
(cd "$dir/repo/examples" && c --goldenpaths goldenpaths.yaml run --local short) >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'goldenpaths.yaml:3:10: error: goldenpaths.short.workflow: .*workflows/hello.yaml: No such file' "$dir/out"
printf 'goldenpaths:\n  gone: ./workflows/gone.yaml\n' > "$dir/repo/examples/gone.yaml"
(cd "$dir/repo" && c --goldenpaths examples/gone.yaml list-goldenpaths) >"$dir/out" 2>&1
r2=$?
[ $r2 -eq 3 ] && grep -q 'gone.yaml:2:9: error: goldenpaths.gone.workflow: "./workflows/gone.yaml" is in neither the folder of the golden paths file (.*/repo/examples, where innominatus reads it) nor the working directory (.*/repo, where the original innominatus read it)' "$dir/out"
check "L1: a golden-path workflow in neither place names both folders" $(( $? + (rc == 3 ? 0 : 1) ))

# L3: a second document in a workflow file is named, the first runs
printf 'name: first\nsteps: [{name: one, type: shell, config: {script: "echo first-ran"}}]\n---\nname: second\nsteps: [{name: two, type: shell, config: {script: "echo second-ran"}}]\n' \
	> "$dir/wf/multi.yaml"
c run --local "$dir/wf/multi.yaml" >"$dir/out" 2>&1
rc=$?
grep -q 'multi.yaml:3: warning: a second YAML document is ignored: only the first document of a file is read' "$dir/out" &&
	grep -q 'one  *| first-ran' "$dir/out" && ! grep -q second-ran "$dir/out"
check "L3: a second YAML document is warned about at its line; the first runs" $(( rc + $? ))

# L4: one bad golden path does not stop run --local of another
printf 'goldenpaths:\n  hello: {workflow: ./workflows/hello.yaml}\n  broken: {workflow: ./workflows/missing.yaml}\n' \
	> "$dir/repo/gp.yaml"
(cd / && c --goldenpaths "$dir/repo/gp.yaml" run --local hello) >"$dir/out" 2>&1
rc=$?
grep -q 'greet  *| hello-ran' "$dir/out" &&
	grep -q 'gp.yaml:3:22: error: goldenpaths.broken.workflow: .*missing.yaml: No such file' "$dir/out" &&
	grep -q 'the catalog has 1 error(s): the providers and golden paths they name are left out, the others are used' "$dir/out"
check "L4: run --local uses the valid golden paths and reports the bad one" $(( rc + $? ))
(cd / && c --goldenpaths "$dir/repo/gp.yaml" -o json list-goldenpaths) >"$dir/out" 2>"$dir/err"
rc=$?
[ $rc -eq 3 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [g["name"] for g in d]==["hello"], d' "$dir/out"
check "L4: list-goldenpaths lists the valid entries and exits 3 for the bad one" $?
exit $fail
