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
echo "1..22"

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
		grep -q 'an.yaml:3:33: warning: step "play": path: .*read as config.playbook: "ansible/site.yml"' "$dir/out"
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
# paths a step writes out are checked at load by the rule the run applies
# (inside the provider folder, no symlinked escape, present, right kind),
# at the line of the field
P="$dir/prov"
mkdir -p "$P/workflows" "$P/tf/mod" "$P/play"
printf 'name: prov\nversion: 1.0.0\ndescription: x\nowner: x@y\nworkflows_dir: workflows\n' > "$P/provider.yaml"
touch "$P/play/site.yml"
ln -s /etc "$P/tf/esc"
ln -s /etc/hostname "$P/play/esc.yml"
wfp() { printf 'name: %s\nsteps:\n  - name: s\n    type: %s\n%s\n' "$1" "$2" "$3" > "$P/workflows/$1.yaml"; }
wfp t3 terraform '    workingDir: /etc'
wfp t4 terraform '    workingDir: tf/esc'
wfp t7 terraform '    config: {working_dir: /etc}'
wfp t8 terraform '    workingDir: tf/nope'
wfp tok terraform '    workingDir: tf/mod'
wfp ttpl terraform '    workingDir: "tf/${parameters.m}"'
printf 'parameters: [{name: m, type: string, default: mod}]\n' >> "$P/workflows/ttpl.yaml"
wfp a6 ansible '    playbook: play/esc.yml'
wfp a7 ansible '    playbook: "play/site.yml; touch x"'
wfp a8 ansible '    path: /etc
    playbook: hostname'
wfp a14 ansible '    playbook: play/missing.yml'
wfp aok ansible '    path: play
    playbook: site.yml'
c validate-provider "$P" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] &&
	grep -q 't3.yaml:5:5: error: step "s": terraform plugin refused the config: config.working_dir: "/etc" is outside the provider folder' "$dir/out" &&
	grep -q 't4.yaml:5:5: error: .*config.working_dir: "tf/esc" leads out of .*/prov (to /etc) through a symbolic link' "$dir/out" &&
	grep -q 't7.yaml:5:14: error: .*config.working_dir: "/etc" is outside the provider folder' "$dir/out" &&
	grep -q 't8.yaml:5:5: error: .*config.working_dir: "tf/nope" in .*/prov: No such file or directory' "$dir/out" &&
	grep -q 'a6.yaml:5:5: error: .*config.playbook: "play/esc.yml" leads out of the base folder .*/prov (to /etc/hostname)' "$dir/out" &&
	grep -q 'a7.yaml:5:5: error: .*config.playbook: ".*/prov/play/site.yml; touch x": No such file or directory' "$dir/out" &&
	grep -q 'a8.yaml:5:5: error: .*config.playbook: "/etc/hostname" is outside the provider folder' "$dir/out" &&
	grep -q 'a14.yaml:5:5: error: .*config.playbook: ".*/prov/play/missing.yml": No such file or directory' "$dir/out" &&
	! grep -q 'tok.yaml.*error\|aok.yaml.*error\|ttpl.yaml.*error' "$dir/out"
check "paths: a written-out terraform working_dir or ansible playbook is refused at load, at its field" $?

# the field's own line, also for a shell step's legacy workingDir
printf 'name: w1\nsteps:\n  - name: s1\n    type: shell\n    workingDir: ../../etc\n    config:\n      script: pwd\n' > "$dir/wf/w1.yaml"
c test-workflow "$dir/wf/w1.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'w1.yaml:5:5: error: step "s1": shell plugin refused the config: config.working_dir: "../../etc"' "$dir/out"
check "a bad legacy value is reported at the legacy field, not at config:" $?

# the same value spelt two ways is no contradiction
printf 'name: same\nsteps:\n  - name: s\n    type: shell\n    workingDir: sub\n    config: {working_dir: ./sub/, script: "echo in=$(basename $(pwd))"}\n' > "$dir/wf/same.yaml"
c run --local "$dir/wf/same.yaml" >"$dir/out" 2>&1
rc=$?
grep -q 's  *| in=sub$' "$dir/out" && ! grep -q contradicts "$dir/out"
r1=$(( rc + $? ))
wfp t10 terraform '    workingDir: tf/mod
    path: ./tf/mod/
    variables: {name: "1"}
    config: {variables: {name: 1}}'
wfp a13 ansible '    path: play
    config: {playbook: play/site.yml}'
c validate-provider "$P" >"$dir/out" 2>&1
! grep -q 't10.yaml.*contradicts\|t10.yaml.*error\|a13.yaml.*error\|play/play' "$dir/out" &&
	grep -q 'a13.yaml:5:5: warning: step "s": path: .*config.playbook "play/site.yml" already starts with it' "$dir/out"
check "paths compare spelt one way and scalars as the original's %v; no play/play/site.yml" $(( r1 + $? ))
rm -f "$P"/workflows/t3.yaml "$P"/workflows/t4.yaml "$P"/workflows/t7.yaml "$P"/workflows/t8.yaml \
	"$P"/workflows/a6.yaml "$P"/workflows/a7.yaml "$P"/workflows/a8.yaml "$P"/workflows/a14.yaml

# the allow-list: nothing, null or a number is an error; a name no plugin
# serves is a warning with the near match
for l in '[null]' '[1]' 'null' ''; do
	printf 'workflowPolicies:\n  allowedStepTypes: %s\n' "$l" > "$dir/al.yaml"
	c --config "$dir/al.yaml" test-workflow "$dir/wf/same.yaml" >"$dir/out" 2>&1
	rc=$?
	[ $rc -eq 3 ] && grep -q "al.yaml:2:2[0-2]: workflowPolicies.allowedStepTypes: " "$dir/out" ||
		{ rc=x; break; }
done
grep -q 'is empty: write the step types to allow as a list' "$dir/out"
check "allow-list: [null], [1], null and nothing are errors at file:line:col" $(( $? + (rc == 3 ? 0 : 1) ))
printf 'workflowPolicies:\n  allowedStepTypes: [Shell, policy, frob]\n' > "$dir/al.yaml"
c --config "$dir/al.yaml" test-workflow "$dir/wf/same.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] &&
	grep -q 'al.yaml:2:22: warning: workflowPolicies.allowedStepTypes: "Shell" names no plugin in .*: steps of that type cannot run (did you mean "shell"? step type names are case-sensitive)' "$dir/out" &&
	grep -q 'al.yaml:2:37: warning: workflowPolicies.allowedStepTypes: "frob" names no plugin' "$dir/out" &&
	! grep -q '"policy" names no plugin' "$dir/out"
check "allow-list: an entry no plugin serves is a warning with the near match" $?

# golden paths: one file reached two ways is one file; a folder is a folder
mkdir -p "$dir/g/gpd/workflows" "$dir/g/workflows"
printf 'name: same\nsteps: [{name: s, type: shell, config: {script: "echo same-ran"}}]\n' > "$dir/g/gpd/workflows/same.yaml"
ln -s ../gpd/workflows/same.yaml "$dir/g/workflows/same.yaml"
printf 'goldenpaths:\n  same: ./workflows/same.yaml\n  dir: ./workflows\n' > "$dir/g/gpd/goldenpaths.yaml"
(cd "$dir/g" && c --goldenpaths gpd/goldenpaths.yaml run --local same) >"$dir/out" 2>&1
rc=$?
grep -q 's  *| same-ran' "$dir/out" && ! grep -q 'another file' "$dir/out" &&
	grep -q 'goldenpaths.yaml:3:8: error: goldenpaths.dir.workflow: "./workflows" is a folder (in .*/g/gpd), not a workflow file' "$dir/out"
check "golden paths: one file in both places is not 'another file'; a folder is said to be one" $(( rc + $? ))

# outputs: [names] on a shell step, a bare-number timeout
printf 'name: o\nsteps:\n  - name: s\n    type: shell\n    outputs: [foo, "bad name", ../x]\n    timeout: 30\n    config: {script: "echo foo=1 >> $INNOMINATUS_OUTPUT"}\n' > "$dir/wf/o.yaml"
c test-workflow "$dir/wf/o.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'o.yaml:5:20: error: step "s": outputs\[1\]: not an output name a step can publish' "$dir/out" &&
	grep -q 'o.yaml:5:32: error: step "s": outputs\[2\]: not an output name' "$dir/out" &&
	! grep -q 'outputs\[0\]' "$dir/out"
check "outputs: [names] on a shell step: each must be an output name a step can publish" $?
sed -i 's/outputs: \[foo, "bad name", ..\/x\]/outputs: [foo]/' "$dir/wf/o.yaml"
c test-workflow "$dir/wf/o.yaml" >"$dir/out" 2>&1
rc=$?
grep -q "o.yaml:6:5: warning: step \"s\": timeout: 30 is this step's deadline (stopped after 30 seconds); the original innominatus read a number here for argocd-app steps only" "$dir/out"
check "a bare-number timeout is warned to be the step's deadline now" $?

# one bad workflow leaves its whole provider out, and says so
wfp bad terraform '    workingDir: tf/nope'
c --providers "$P" list-providers >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'bad.yaml:5:5: error' "$dir/out" && ! grep -q '^prov ' "$dir/out" &&
	grep -q 'a provider with one bad workflow is left out whole, as the server leaves it out' "$dir/out"
check "a provider with one bad workflow is left out whole, and the message says so" $?
exit $fail
