#!/bin/sh
# ctl_templates.sh - templates as a user meets them (compat findings C2, C9;
# new-user U2, U3 and the guide's ${APP_NAME}): bash's own ${NAME} stays
# bash's, a reference no run can resolve is refused at load with
# file:line:col, the original's ${workflow.X} and ${<step>.<key>} run with a
# warning naming ours, a dry-run says would-fail (and why) for what a real
# run refuses, test-workflow without --dry-run runs nothing, and shell
# steps get APP_NAME from the Score spec -- in `run --local` and through the
# server.  Prints TAP.
ctl=${INN_CTL:?}
build=${INN_TOP_BUILDDIR:?}
srvbin="$build/innominatus"
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-tmpl-XXXXXX")
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; [ -n "$spid" ] && wait $spid 2>/dev/null; rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/p/ns-team/workflows" "$dir/data"
chmod 755 "$dir/plugins"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
printf 'workflowPolicies:\n  allowedStepTypes: [shell, policy]\n' > "$dir/admin.yaml"
c() { "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" --providers "$dir/p" "$@"; }
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
CHECK_SHOW="$dir/out"
echo "1..38"

# the guide's ${APP_NAME} (checked below): a resource's create workflow
# and the main one
cat > "$dir/p/ns-team/provider.yaml" <<'YAML'
apiVersion: v1
kind: Provider
metadata: {name: ns-team, version: 1.0.0}
capabilities:
  resourceTypeCapabilities:
    - {type: namespace, operations: {create: {workflow: create-namespace}}}
workflows:
  - {name: create-namespace, file: ./workflows/create-namespace.yaml, operation: create}
  - {name: show, file: ./workflows/show.yaml}
  - {name: typo, file: ./workflows/typo.yaml}
  - {name: typo-out, file: ./workflows/typo-out.yaml}
YAML
cat > "$dir/p/ns-team/workflows/typo-out.yaml" <<'WF'
name: typo-out
steps:
  - {name: show, type: shell, config: {script: 'echo "ns=${resources.ns.nosuchout} ${resources.ns.name}"'}}
WF
cat > "$dir/p/ns-team/workflows/create-namespace.yaml" <<'WF'
name: create-namespace
steps:
  - name: create-namespace
    type: policy
    config:
      script: |
        echo "Creating namespace ${APP_NAME}"
        echo "ns=${APP_NAME}-ns" >> "$INNOMINATUS_OUTPUT"
outputs:
  ns: "${steps.create-namespace.outputs.ns}"
WF
cat > "$dir/p/ns-team/workflows/show.yaml" <<'WF'
name: show
steps:
  - {name: show, type: shell, config: {script: 'echo "app=${APP_NAME} ns=${resources.ns.ns}"'}}
WF
cat > "$dir/p/ns-team/workflows/typo.yaml" <<'WF'
name: typo
steps:
  - {name: show, type: shell, config: {script: 'echo "ns=${resources.nss.ns}"'}}
WF
cat > "$dir/spec.yaml" <<'SPEC'
apiVersion: score.dev/v1b1
metadata: {name: my-app}
containers: {web: {image: nginx}}
resources: {ns: {type: namespace}}
SPEC

# C2 / U3: the finding's script, as written: bash sets and reads NAMESPACE
cat > "$dir/bare.yaml" <<'WF'
name: bare
steps:
  - name: s
    type: policy
    config:
      script: |
        NAMESPACE=demo
        echo "ns=${NAMESPACE}-quota"
WF
c test-workflow "$dir/bare.yaml" --dry-run >"$dir/out" 2>&1
r1=$?
c run --local "$dir/bare.yaml" >>"$dir/out" 2>&1
r2=$?
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && grep -q 's *| ns=demo-quota' "$dir/out"
check "C2: a script's own \${NAMESPACE} is bash's: validates, dry-runs and runs (exit 0)" $?

# C9: an unknown root is refused at load, in the dry-run as in the run
cat > "$dir/dry.yaml" <<'WF'
name: dry
steps: [{name: show, type: shell, config: {command: ["echo", "${nosuch.thing}"]}}]
WF
c test-workflow "$dir/dry.yaml" --dry-run >"$dir/out" 2>&1
r1=$?
c run --local "$dir/dry.yaml" >>"$dir/out" 2>&1
r2=$?
[ $r1 -eq 3 ] && [ $r2 -eq 3 ] &&
	[ "$(grep -c 'dry.yaml:2:62: error: step "show": config.command\[1\]: references nosuch.thing, but "nosuch" is not a template root' "$dir/out")" -eq 2 ]
check "C9: \${nosuch.thing} is refused with file:line:col by dry-run and run (exit 3)" $?

# U2: test-workflow without --dry-run validates and runs nothing
printf 'name: tw\nsteps:\n  - {name: t, type: shell, config: {script: "touch %s/tw-was-run"}}\n' \
	"$dir" > "$dir/tw.yaml"
c test-workflow "$dir/tw.yaml" >"$dir/out" 2>&1
[ $? -eq 0 ] && [ ! -e "$dir/tw-was-run" ] && grep -q 'is valid (1 steps); nothing was run' "$dir/out"
check "test-workflow FILE validates only: the step did not run (exit 0)" $?
"$ctl" --help 2>&1 | grep -q 'test-workflow FILE *validate a workflow file (with --dry-run: dry-run it)'
check "--help says test-workflow validates (and dry-runs with --dry-run)" $?

# the original's spellings: run, with a warning naming ours
cat > "$dir/orig.yaml" <<'WF'
name: orig
variables: {region: eu}
steps:
  - {name: a, type: shell, config: {script: 'echo "url=http://a" >> "$INNOMINATUS_OUTPUT"'}}
  - {name: b, type: shell, config: {command: ["echo", "${workflow.region} ${a.url} ${workflow.name}"]}}
WF
c run --local "$dir/orig.yaml" >"$dir/out" 2>&1
[ $? -eq 0 ] && grep -q 'b *| eu http://a orig' "$dir/out" &&
	grep -q 'orig.yaml:5:[0-9]*: warning: .*a.url is the original.s spelling of a step output; read as steps.a.outputs.url' "$dir/out" &&
	grep -q 'warning: .*workflow.region is the original.s spelling of a workflow variable; read as variables.region' "$dir/out"
check "\${workflow.X} and \${<step>.<key>} run as ours, with a warning naming ours" $?
printf 'name: wfx\nsteps:\n  - {name: a, type: shell, config: {command: [echo, "${workflow.region}"]}}\n' > "$dir/wfx.yaml"
c test-workflow "$dir/wfx.yaml" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q 'wfx.yaml:3:[0-9]*: error: .*references workflow.region, but workflow.\* holds only name and provider' "$dir/out"
check "\${workflow.X} without a variable X is refused at load (exit 3)" $?

# a dry-run's would-fail: what the real run would refuse, and why
cat > "$dir/wf2.yaml" <<'WF'
name: wf2
parameters:
  - {name: p, type: string, default: plain}
steps:
  - {name: a, type: shell, config: {command: [echo, "${parameters.p.x}"]}}
WF
c run --local --dry-run "$dir/wf2.yaml" >"$dir/out" 2>&1
r1=$?
c run --local "$dir/wf2.yaml" >>"$dir/out" 2>&1
r2=$?
[ $r1 -eq 1 ] && [ $r2 -eq 1 ] &&
	grep -q 'a *failed: would-fail: config.command\[1\]: ${parameters.p.x}: parameters.p is a string, cannot read "x"' "$dir/out" &&
	! grep -q would-run "$dir/out"
check "dry-run says would-fail (exit 1) for a config the real run cannot render" $?

# the guide's ${APP_NAME}
c run --local ns-team/show "$dir/spec.yaml" >"$dir/out" 2>&1
[ $? -eq 0 ] && grep -q 'create-namespace *| Creating namespace my-app' "$dir/out" &&
	grep -q 'show *| app=my-app ns=my-app-ns' "$dir/out"
check "run --local: \${APP_NAME} is the Score application's name in shell steps" $?
c run --local ns-team/typo "$dir/spec.yaml" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q 'typo.yaml:3:[0-9]*: error: step "show": config.script: references resources.nss.ns, but the Score spec has no resource of that name (it has: ns)' "$dir/out" &&
	! grep -q 'Creating namespace' "$dir/out"
check "run --local: a misspelt resource is refused before anything runs (exit 3)" $?
c run --local ns-team/typo-out "$dir/spec.yaml" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q 'typo-out.yaml:3:[0-9]*: error: step "show": config.script: references resources.ns.nosuchout, but resource "ns" gets its outputs from workflow "create-namespace", which declares only name, type and: ns' "$dir/out" &&
	! grep -q 'Creating namespace' "$dir/out"
check "run --local: an output the resource's create workflow does not declare is refused (exit 3)" $?
c run --local --dry-run ns-team/show "$dir/spec.yaml" >"$dir/out" 2>&1
[ $? -eq 0 ] && grep -q 'show *would-run (not simulated: it reads resources.ns.ns, an output of resource "ns", resolved at run time)' "$dir/out"
check "dry-run: would-run names the value it cannot know" $?

# a value the shell evaluates again (trap, bash -c, a function that evals,
# a pipe into sh, a here-document into sh) is data there too; arithmetic
# takes integers only, refused before the script starts; ssh is refused
cat > "$dir/inj.yaml" <<'WF'
name: inj
parameters:
  - {name: m, type: string, default: "hi"}
steps:
  - name: a
    type: shell
    config:
      script: |
        trap 'echo bye {{ .parameters.m }}' EXIT
        bash -c 'echo inner {{ .parameters.m }}'
        f(){ eval "$1"; }; f 'echo fn {{ .parameters.m }}'
        bash -c "echo dq {{ .parameters.m }}"
        echo 'echo piped {{ .parameters.m }}' | sh
        sh <<EOF
        echo hd {{ .parameters.m }}
        EOF
        printf '%s\n' '{"j":"{{ .parameters.m }}"}'
  - name: b
    type: shell
    config:
      command: ["/bin/bash", "-ec", "echo cmd {{ .parameters.m }}"]
WF
cat > "$dir/arith.yaml" <<'WF'
name: arith
parameters:
  - {name: m, type: string, default: "1"}
steps:
  - name: a
    type: shell
    config:
      script: |
        echo "touched-before"
        echo $(( {{ .parameters.m }} + 1 ))
        [[ "{{ .parameters.m }}" -eq 1 ]] && echo one
WF
cat > "$dir/ssh.yaml" <<'WF'
name: ssh
parameters:
  - {name: m, type: string, default: "1"}
steps:
  - {name: a, type: shell, config: {script: "ssh host \"echo {{ .parameters.m }}\""}}
WF
p='m=a[$(touch '"$dir"'/X1)] `touch '"$dir"'/X2`'
c run --local "$dir/inj.yaml" --param "$p" >"$dir/out" 2>&1
r1=$?
for w in inner fn dq piped hd bye cmd; do
	grep -q "| $w a\[\$(touch $dir/X1)\] \`touch $dir/X2\`" "$dir/out" || r1=9
done
grep -q "{\"j\":\"a\[\$(touch $dir/X1)\]" "$dir/out" || r1=9
[ $r1 -eq 0 ] && [ ! -e "$dir/X1" ] && [ ! -e "$dir/X2" ]
check "a value evaluated again (trap, bash -c, eval, | sh, <<EOF into sh, command: [bash, -c]) stays data" $?
c test-workflow "$dir/arith.yaml" >"$dir/out" 2>&1
r1=$?
c run --local "$dir/arith.yaml" >>"$dir/out" 2>&1
r2=$?
c run --local "$dir/arith.yaml" --param "$p" >>"$dir/out" 2>&1
r3=$?
[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ $r3 -ne 0 ] && [ ! -e "$dir/X1" ] &&
	grep -q 'arith.yaml:[0-9]*:[0-9]*: warning: step "a": config.script: parameter "m" (type string) is used in shell arithmetic' "$dir/out" &&
	grep -q '| one' "$dir/out" &&
	grep -q 'failed: config.script: {{ .parameters.m }}: the value is used in shell arithmetic, where bash evaluates it as an expression' "$dir/out" &&
	[ "$(grep -c 'touched-before' "$dir/out")" -eq 1 ]
check "shell arithmetic: a warning at load, a non-integer refused before the script starts" $?
c test-workflow "$dir/ssh.yaml" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q "ssh.yaml:[0-9]*:[0-9]*: error: step \"a\": config.script: {{ .parameters.m }}: the value would be evaluated as shell code by a shell elsewhere (ssh's remote shell" "$dir/out"
check "a value in an ssh command is refused at load, with the fix" $?

# a step with a condition may be skipped: reading its outputs warns at
# load, a dry-run that skips it says would-fail, a run says it was skipped
cat > "$dir/cond.yaml" <<'WF'
name: cond
parameters:
  - {name: go, type: boolean, default: false}
steps:
  - name: b
    type: shell
    if: "${parameters.go}"
    outputs: [x]
    config:
      script: echo x=1 >> "$INNOMINATUS_OUTPUT"
  - name: g
    type: shell
    config:
      script: echo "guarded {{ .steps.b.outputs.x | default "none" }}"
  - name: a
    type: shell
    config:
      script: |
        echo "got ${steps.b.outputs.x}"
WF
c test-workflow "$dir/cond.yaml" >"$dir/out" 2>&1
r1=$?
c run --local --dry-run "$dir/cond.yaml" >>"$dir/out" 2>&1
r2=$?
c run --local "$dir/cond.yaml" >>"$dir/out" 2>&1
r3=$?
[ $r1 -eq 0 ] && [ $r2 -eq 1 ] && [ $r3 -ne 0 ] &&
	[ "$(grep -c 'cond.yaml:18:15: warning: step "a": config.script: references steps.b.outputs.x, but step "b" has a condition' "$dir/out")" -eq 3 ] &&
	! grep -q 'warning: step "g"' "$dir/out" &&
	grep -q '^  a  *shell  *would-fail: config.script: ${steps.b.outputs.x}: steps.b is not defined: step "b" was skipped (condition false: if: "${parameters.go}" is false), so it has no outputs' "$dir/out" &&
	grep -q 'Workflow cond failed: step "a" failed: .*step "b" was skipped (condition false: if: "${parameters.go}" is false)' "$dir/out" &&
	grep -q '| guarded none' "$dir/out"
check "a skipped step's outputs: load warning, dry-run would-fail, the run says skipped" $?
cat > "$dir/deep.yaml" <<'WF'
name: deep
steps:
  - {name: s, type: shell, outputs: [k], config: {script: "echo k=1 >> \"$INNOMINATUS_OUTPUT\""}}
  - {name: t, type: shell, config: {script: "echo ${steps.s.outputs.k.deeper}"}}
WF
c test-workflow "$dir/deep.yaml" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q 'deep.yaml:4:[0-9]*: error: step "t": config.script: references steps.s.outputs.k.deeper, but step outputs are strings' "$dir/out"
check "reading below a declared step output is a load error" $?

# an environment Linux would refuse (E2BIG): the dry-run and the run say so
# before anything starts, naming the variable; per string and in total
cat > "$dir/big.yaml" <<'WF'
name: big
parameters:
  - {name: m, type: string, default: "x"}
variables:
  V2: "${parameters.m}${parameters.m}"
  V4: "${variables.V2}${variables.V2}"
steps:
  - name: a
    type: shell
    env:
      BIG: "${variables.V4}"
    config:
      script: echo started
WF
python3 -c 'import sys
sys.stdout.write("name: many\nparameters:\n  - {name: m, type: string, default: \"x\"}\nsteps:\n  - name: a\n    type: shell\n    env:\n")
for i in range(60):
    sys.stdout.write("      E%d: \"${parameters.m}\"\n" % i)
sys.stdout.write("    config: {script: echo started}\n")' > "$dir/many.yaml"
m=$(python3 -c 'print("x" * 40000)')
m2=$(python3 -c 'print("y" * 120000)')
c run --local --dry-run "$dir/big.yaml" --param "m=$m" >"$dir/out" 2>&1
r1=$?
c run --local "$dir/big.yaml" --param "m=$m" >>"$dir/out" 2>&1
r2=$?
c run --local --dry-run "$dir/many.yaml" --param "m=$m2" >>"$dir/out" 2>&1
r3=$?
c run --local "$dir/many.yaml" --param "m=$m2" >>"$dir/out" 2>&1
r4=$?
[ $r1 -eq 1 ] && [ $r2 -ne 0 ] && [ $r3 -eq 1 ] && [ $r4 -ne 0 ] && ! grep -q started "$dir/out" &&
	grep -q 'would-fail: env.BIG: a value of 160000 bytes; Linux refuses an environment string' "$dir/out" &&
	grep -q 'Workflow big failed: step "a" failed: env.BIG: a value of 160000 bytes' "$dir/out" &&
	[ "$(grep -c "failed: .*the step's environment and script total [0-9]* bytes, over the [0-9]* bytes Linux takes (Argument list too long); the largest variable is env.E" "$dir/out")" -ge 2 ]
check "an environment over Linux's limits: dry-run would-fail and the run refuses, naming it" $?

# "${" + a dotted name that is no template reference is bash's "bad
# substitution": a load error; '$${a.b}' in single quotes is the literal
cat > "$dir/bs.yaml" <<'WF'
name: bs
parameters:
  - {name: my-p, type: string, default: "x"}
steps:
  - name: a
    type: shell
    config:
      script: |
        echo "${ parameters.my-p }" "${parameters.my-p:-zz}" "$${x.y}"
        echo '${parameters.my-p:-zz} $${x.y}'
WF
cat > "$dir/home.yaml" <<'WF'
name: home
steps:
  - {name: a, type: shell, config: {script: "echo 'lit $${a.b}'"}}
WF
c test-workflow "$dir/bs.yaml" >"$dir/out" 2>&1
r1=$?
c run --local "$dir/home.yaml" >>"$dir/out" 2>&1
r2=$?
[ $r1 -eq 3 ] && [ $r2 -eq 0 ] && grep -q 'bs.yaml: 3 error(s)' "$dir/out" &&
	grep -q 'error: step "a": config.script: ${ parameters.my-p }: not a template reference' "$dir/out" &&
	grep -q 'error: step "a": config.script: ${parameters.my-p:-zz}: not a template reference.*bad substitution' "$dir/out" &&
	grep -q 'error: step "a": config.script: ${x.y}: not a template reference' "$dir/out" &&
	grep -q '| lit ${a.b}' "$dir/out"
check "\${ root.x }, \${root.x:-d}, \$\${x.y} in \"...\" are load errors (bad substitution)" $?

# a step named like a template root, and env: names of the engine's own
cat > "$dir/root.yaml" <<'WF'
name: root
steps:
  - name: app
    type: shell
    env: {INN_T_1: x}
    config: {script: "true"}
WF
c test-workflow "$dir/root.yaml" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q 'root.yaml:3:11: error: steps\[0\]: a step may not be named "app": that is a template root' "$dir/out" &&
	grep -q 'root.yaml:5:11: error: steps\[0\].env: "INN_T_1": names starting with INN_T_ are reserved' "$dir/out"
check "a step named like a template root, and an env: name INN_T_*, are load errors" $?

# forms innominatus cannot follow, and evaluators it must see through: a
# hostile value never runs (load error, or kept as data for the later shell)
pwn="$dir/PWN"
cat > "$dir/forms" <<'FORMS'
refuse	. <(echo "echo procsub={{ .parameters.m }}")
keep	"bash" -c 'echo qb={{ .parameters.m }}'
refuse	declare -a "arr=({{ .parameters.m }})"
keep	source /dev/stdin <<< "echo {{ .parameters.m }}"
refuse	bash <(echo "echo {{ .parameters.m }}")
refuse	b=bash; $b -c 'echo {{ .parameters.m }}'
refuse	coproc sh; echo "echo {{ .parameters.m }}" >&${COPROC[1]}
refuse	exec 3> >(sh); echo "echo {{ .parameters.m }}" >&3
refuse	echo "echo {{ .parameters.m }}" > /dev/fd/2
keep	\bash -c 'echo {{ .parameters.m }}'
keep	/usr/bin/env bash -c 'echo {{ .parameters.m }}'
refuse	sudo bash -c 'echo {{ .parameters.m }}'
FORMS
while IFS='	' read -r want line; do
	printf 'name: f\nparameters:\n  - {name: m, type: string, default: "x"}\nsteps:\n  - name: a\n    type: shell\n    config:\n      script: |\n        %s\n' "$line" > "$dir/f.yaml"
	rm -f "$pwn"
	c test-workflow "$dir/f.yaml" >"$dir/out" 2>&1
	r1=$?
	c run --local "$dir/f.yaml" --param "m=\$(id>>$pwn)" >>"$dir/out" 2>&1
	r2=$?
	if [ "$want" = refuse ]; then
		[ $r1 -eq 3 ] && [ $r2 -eq 3 ] && [ ! -e "$pwn" ] &&
			grep -q 'f.yaml:8:[0-9]*: error: step "a": config.script: {{ .parameters.m }}: .*pass the value through env:\|give it to the step through env:' "$dir/out"
	else
		[ $r1 -eq 0 ] && [ $r2 -eq 0 ] && [ ! -e "$pwn" ] && grep -qF "\$(id>>$pwn)" "$dir/out"
	fi
	check "$want (nothing runs): $line" $?
done < "$dir/forms"
printf 'name: bs\nsteps:\n  - {name: a, type: shell, config: {script: "echo ${parameters.x:-d}\\necho \\"${ parameters.x }\\"\\n"}}\n' > "$dir/bs2.yaml"
c test-workflow "$dir/bs2.yaml" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q 'bs2.yaml: 2 error(s)' "$dir/out" &&
	grep -q 'config.script: ${parameters.x:-d}: not a template reference' "$dir/out" &&
	grep -q 'config.script: ${ parameters.x }: not a template reference' "$dir/out"
check "a script with no {{ }}: \${parameters.x:-d} and \"\${ parameters.x }\" are load errors" $?
mkdir -p "$dir/p/pw/workflows"
printf 'apiVersion: v1\nkind: Provider\nmetadata: {name: pw, version: 1.0.0}\nworkflows:\n  - {name: procsub, file: ./workflows/procsub.yaml}\n' > "$dir/p/pw/provider.yaml"
cat > "$dir/p/pw/workflows/procsub.yaml" <<'WF'
name: procsub
parameters:
  - {name: m, type: string, default: "x"}
steps:
  - name: a
    type: shell
    config:
      script: |
        . <(echo "echo procsub={{ .parameters.m }}")
WF

# an assignment whose value is a $( ) is no computed command name: the
# original's R=$(curl -d "{...{{ .x }}...}" ...) loads and the value is data
cat > "$dir/asg.yaml" <<'WF'
name: asg
parameters:
  - {name: m, type: string}
steps:
  - name: a
    type: shell
    config:
      script: |
        R=$(printf '%s' "{
          \"v\": \"{{ .parameters.m }}\"
        }")
        echo "got $R"
WF
c run --local "$dir/asg.yaml" --param "m=\$(id>>$pwn)" >"$dir/out" 2>&1
[ $? -eq 0 ] && [ ! -e "$pwn" ] && grep -qF '"v": "$(id>>' "$dir/out" && ! grep -q 'computed' "$dir/out"
check "R=\$(cmd \"...{{ }}...\") is an assignment, not a computed command: it loads and the value stays data" $?

# the same through the server
server_conf "$dir/srv.yaml" "$dir"
cat >> "$dir/srv.yaml" <<CONF
providers:
  - {name: ns-team, type: filesystem, path: $dir/p/ns-team}
  - {name: pw, type: filesystem, path: $dir/p/pw}
workflowPolicies:
  allowedStepTypes: [shell, policy]
CONF
key=$("$srvbin" --config "$dir/srv.yaml" --create-admin-key ops)
start_server "$dir/srv.yaml" "$dir/server.log"
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"
"$ctl" run ns-team/show "$dir/spec.yaml" >"$dir/out" 2>&1
[ $? -eq 0 ] && grep -q 'Creating namespace my-app' "$dir/out" && grep -q 'app=my-app ns=my-app-ns' "$dir/out"
check "server: \${APP_NAME} is the Score application's name in shell steps" $?
"$ctl" run ns-team/typo "$dir/spec.yaml" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q 'typo.yaml:3:[0-9]*: error: step "show": config.script: references resources.nss.ns, but the Score spec has no resource of that name' "$dir/out"
check "server: a misspelt resource is a 400 naming file:line:col (exit 3)" $?
"$ctl" run ns-team/typo-out "$dir/spec.yaml" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q 'typo-out.yaml:3:[0-9]*: error: step "show": config.script: references resources.ns.nosuchout, but resource "ns" gets its outputs from workflow "create-namespace", which declares only name, type and: ns' "$dir/out"
check "server: an output the resource's create workflow does not declare is a 400 (exit 3)" $?
"$ctl" run --dry-run ns-team/show "$dir/spec.yaml" >"$dir/out" 2>&1
rc=$?
id=$(sed -n 's/^Execution \([0-9]*\) submitted.*/\1/p' "$dir/out")
"$ctl" status "$id" >>"$dir/out" 2>&1
[ $rc -eq 0 ] && grep -q 'would-run (not simulated: it reads resources.ns.ns, an output of resource "ns", resolved at run time)' "$dir/out"
check "server dry-run: would-run names the value it cannot know" $?
rm -f "$pwn"
"$ctl" run pw/procsub --param "m=\$(id>>$pwn)" >"$dir/out" 2>&1
[ $? -ne 0 ] && [ ! -e "$pwn" ] &&
	grep -q 'procsub.yaml:8:[0-9]*: error: step "a": config.script: {{ .parameters.m }}: innominatus cannot follow' "$dir/server.log"
check "server: a workflow with a value in a process substitution is left out; nothing runs" $?
exit $fail
