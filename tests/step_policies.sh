#!/bin/sh
# step_policies.sh - the admin config's stepPolicies: keys a platform sets
# over every step config of a type (a guard such as kubernetes'
# allowed_namespaces).  A workflow step that writes such a key itself --
# another value, the same value, null, or through an original step field --
# is refused at load naming file:line:col, the key and where the platform
# sets it (run --local, test-workflow, dry-run and the server's provider
# load); the platform's value reaches the plugin over stepDefaults and is
# what dry-run shows; the section is shown next to stepDefaults in
# `plugins -o json` and GET /api/plugins; a type no plugin serves is a
# warning; a malformed section is refused at file:line:col.  Prints TAP.
ctl=${INN_CTL:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-steppol-XXXXXX")
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/data" "$dir/prov/workflows" "$dir/bad/workflows"
chmod 755 "$dir/plugins"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
echo "1..18"

policy_block() {
	cat <<CONF
stepDefaults:
  shell:
    shell: sh
    env: {GUARD: from-defaults}
    errexit: true
stepPolicies:
  shell:
    env: {GUARD: platform-guard}
    shell: sh
  kubernetes: {allowed_namespaces: [team-a]}
CONF
}
policy_block > "$dir/admin.yaml"
cat > "$dir/prov/provider.yaml" <<'P'
name: pol-team
version: 1.0.0
workflows_dir: workflows
P
cat > "$dir/prov/workflows/good.yaml" <<'WF'
name: good
steps:
  - name: s
    type: shell
    config:
      script: echo "guard=$GUARD"
WF
sed 's/pol-team/pol-bad/' "$dir/prov/provider.yaml" > "$dir/bad/provider.yaml"
cat > "$dir/bad/workflows/over.yaml" <<'WF'
name: over
steps:
  - name: s
    type: shell
    config:
      script: echo "guard=$GUARD"
      env: {GUARD: "*"}
WF
# the same value the platform sets, and null: refused as well
cat > "$dir/same.yaml" <<'WF'
name: same
steps:
  - name: s
    type: shell
    config:
      shell: sh
      script: echo hi
WF
cat > "$dir/null.yaml" <<'WF'
name: nullv
steps:
  - name: s
    type: shell
    config:
      script: echo hi
      env: null
WF
c() { "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" "$@"; }

# ---- run --local --------------------------------------------------------------
c run --local "$dir/bad/workflows/over.yaml" >"$dir/out" 2>&1
rc=$?
CHECK_SHOW="$dir/out"
[ $rc -eq 3 ] && grep -q "over.yaml:7:7: error: step \"s\": config.env: may not be set by a step: set by the platform in $dir/admin.yaml stepPolicies.shell.env" "$dir/out" &&
	! grep -q 'guard=' "$dir/out"
check "run --local: a step setting a stepPolicies key is refused at load (file:line:col, key, where the platform sets it)" $?
c run --local "$dir/same.yaml" >"$dir/out" 2>&1
rc=$?
c run --local "$dir/null.yaml" >>"$dir/out" 2>&1
rc2=$?
[ $rc -eq 3 ] && [ $rc2 -eq 3 ] && grep -q 'same.yaml:6:7: error: .*config.shell: may not be set by a step: set by the platform in .*stepPolicies.shell.shell' "$dir/out" &&
	grep -q 'null.yaml:7:7: error: .*config.env: may not be set by a step' "$dir/out"
check "run --local: the same value as the platform's, and null, are refused as well" $?
c test-workflow "$dir/bad/workflows/over.yaml" >"$dir/out" 2>&1
rc=$?
c run --local --dry-run "$dir/bad/workflows/over.yaml" >>"$dir/out" 2>&1
rc2=$?
[ $rc -ne 0 ] && [ $rc2 -eq 3 ] && [ "$(grep -c 'over.yaml:7:7: error: .*config.env: may not be set by a step' "$dir/out")" = 2 ]
check "test-workflow and a dry run refuse it the same way" $?
# the original's step-level field that becomes a config key (terraform's
# path: -> working_dir) counts as the step's own
cat > "$dir/legacy.yaml" <<'WF'
name: leg
steps:
  - name: s
    type: terraform
    path: ./elsewhere
    config: {operation: plan}
WF
install -m 755 "$INN_TOP_BUILDDIR/plugins/terraform/.libs/terraform.so" "$dir/plugins/terraform.so"
cp "$dir/admin.yaml" "$dir/admin-tf.yaml"
printf '  terraform: {working_dir: %s/tf}\n' "$dir" >> "$dir/admin-tf.yaml"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin-tf.yaml" test-workflow "$dir/legacy.yaml" >"$dir/out" 2>&1
rc=$?
CHECK_SHOW="$dir/out"
[ $rc -ne 0 ] && grep -q 'legacy.yaml:5:5: error: step "s": config.working_dir: may not be set by a step: set by the platform in .*admin-tf.yaml stepPolicies.terraform.working_dir' "$dir/out"
check "an original step field that becomes the key (terraform path:) is refused at that field" $?
rm -f "$dir/plugins/terraform.so"
c -o json run --local "$dir/prov/workflows/good.yaml" >"$dir/json" 2>"$dir/err"
rc2=$?
CHECK_SHOW="$dir/err"
python3 - "$dir/json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
cfg = d["steps"][0]["config"]
assert cfg["env"] == {"GUARD": "platform-guard"}, cfg
assert cfg["shell"] == "sh" and cfg["errexit"] is True, cfg
PY
[ $? -eq 0 ] && [ $rc2 -eq 0 ]
check "the platform's value is merged over stepDefaults (which still fill the other keys) in the rendered config" $?
c run --local "$dir/prov/workflows/good.yaml" >"$dir/out" 2>&1
rc=$?
CHECK_SHOW="$dir/out"
[ $rc -eq 0 ] && grep -q 'guard=platform-guard' "$dir/out"
check "run --local: the platform's value reaches the plugin (the script's environment)" $?
# a legacy type's own default (policy runs on shell with errexit: false) is
# not the step's: the platform's value replaces it, nothing is refused
cp "$dir/admin.yaml" "$dir/admin-ee.yaml"
sed -i 's/^    env: {GUARD: platform-guard}$/&\n    errexit: true/' "$dir/admin-ee.yaml"
printf 'name: pol\nsteps:\n  - {name: p, type: policy, config: {script: "false; echo after"}}\n' > "$dir/pol.yaml"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin-ee.yaml" run --local "$dir/pol.yaml" >"$dir/out" 2>&1
rc=$?
CHECK_SHOW="$dir/out"
[ $rc -eq 1 ] && ! grep -q 'may not be set' "$dir/out" && ! grep -q '| after' "$dir/out"
check "a key a legacy type's defaults add (policy: errexit) is not refused; the platform's value is used" $?
c run --local --dry-run "$dir/prov/workflows/good.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'config: .*"env":{"GUARD":"platform-guard"}' "$dir/out"
check "dry run: the config shown carries the platform's value" $?
grep -q 'admin.yaml:[0-9]*:[0-9]*: warning: stepPolicies.kubernetes: no plugin for step type "kubernetes" is loaded' "$dir/out"
check "stepPolicies of a type no plugin serves is a warning naming the key" $?
c -o json plugins >"$dir/out" 2>/dev/null
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sh=[p for p in d["loaded"] if p["type"]=="shell"][0]; assert sh["step_policies"]=={"env":{"GUARD":"platform-guard"},"shell":"sh"}, sh; assert "step_defaults" in sh' "$dir/out"
check "innominatus-ctl plugins -o json shows a type's stepPolicies next to its stepDefaults" $?

# stepPolicies/stepDefaults keyed by a legacy type (policy runs on shell):
# the warning names the type it maps to, not a missing plugin
policy_block > "$dir/admin-leg.yaml"
printf '  policy: {env: {X: y}}\n' >> "$dir/admin-leg.yaml"
sed -i 's/^stepPolicies:$/  policy: {errexit: false}\n&/' "$dir/admin-leg.yaml"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin-leg.yaml" plugins >"$dir/out" 2>&1
CHECK_SHOW="$dir/out"
grep -q 'admin-leg.yaml:[0-9]*:[0-9]*: warning: stepPolicies.policy: "policy" is a legacy name of step type "shell"; its steps take stepPolicies.shell: these settings are used by no step (write them under stepPolicies.shell)' "$dir/out" &&
	grep -q 'warning: stepDefaults.policy: "policy" is a legacy name of step type "shell"; its steps take stepDefaults.shell' "$dir/out" &&
	! grep -q 'no plugin for step type "policy"' "$dir/out"
check "stepPolicies/stepDefaults keyed by a legacy type: the warning says it maps to shell" $?

# a key ending in _secret (at any depth) from a template: a run parameter
# would choose which configured secret is sent as a credential
cat > "$dir/tsec.yaml" <<'WF'
name: tsec
parameters:
  - {name: cred, type: string, default: gt}
steps:
  - name: s
    type: shell
    config:
      token_secret: "{{ .parameters.cred }}"
      vso: {kubeconfig_secret: "${parameters.cred}", list: [{app_secret_key_secret: "{{- .parameters.cred -}}"}]}
      script: "true"
WF
c run --local "$dir/tsec.yaml" --param cred=s3-admin >"$dir/out" 2>&1
rc=$?
CHECK_SHOW="$dir/out"
[ $rc -eq 3 ] && grep -q 'tsec.yaml:8:7: .*config.token_secret: must name a secret, not a template (a run parameter must not choose which credential is sent)' "$dir/out" &&
	grep -q 'tsec.yaml:9:13: .*config.vso.kubeconfig_secret: must name a secret, not a template' "$dir/out" &&
	grep -q 'tsec.yaml:9:62: .*config.vso.list.0.app_secret_key_secret: must name a secret, not a template' "$dir/out"
check "run --local: a templated *_secret key (top level or nested) is refused at file:line:col (exit 3)" $?
mkdir -p "$dir/plugins2"
cp "$dir/plugins/shell.so" "$dir/plugins2/"
install -m 755 "${INN_TOP_BUILDDIR:?}/plugins/gitea-repo/.libs/gitea-repo.so" "$dir/plugins2/gitea-repo.so"
printf 'secrets:\n  gt: {env: GT}\n' > "$dir/admin-gt.yaml"
printf 'name: gsec\nsteps:\n  - {name: g, type: gitea-repo, config: {url: "http://127.0.0.1:1", token_secret: gt, org: a, repo: b, operation: get}}\n' > "$dir/gsec.yaml"
"$ctl" --plugin-dir "$dir/plugins2" --config "$dir/admin-gt.yaml" test-workflow "$dir/gsec.yaml" >"$dir/out" 2>&1
rc=$?
sed -i 's/token_secret: gt/token_secret: "{{ .parameters.cred }}"/; s/^steps:/parameters:\n  - {name: cred, type: string, default: gt}\nsteps:/' "$dir/gsec.yaml"
"$ctl" --plugin-dir "$dir/plugins2" --config "$dir/admin-gt.yaml" test-workflow "$dir/gsec.yaml" >>"$dir/out" 2>&1
rc2=$?
[ $rc -eq 0 ] && [ $rc2 -eq 3 ] && grep -q 'gsec.yaml:[0-9]*:[0-9]*: .*config.token_secret: must name a secret, not a template' "$dir/out"
check "gitea-repo: a static token_secret loads; the same from a parameter is refused" $?
cp "$dir/tsec.yaml" "$dir/bad/workflows/tsec.yaml"

printf 'stepPolicies:\n  shell: [x]\n' > "$dir/bad1.yaml"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/bad1.yaml" plugins >"$dir/out" 2>&1
rc=$?
printf 'stepPolicies:\n  "9 bad": {a: b}\n' > "$dir/bad2.yaml"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/bad2.yaml" plugins >>"$dir/out" 2>&1
rc2=$?
CHECK_SHOW="$dir/out"
[ $rc -eq 3 ] && [ $rc2 -eq 3 ] && grep -q 'bad1.yaml:2:10: stepPolicies.shell: must be a mapping of config keys' "$dir/out" &&
	grep -q "bad2.yaml:2:3: stepPolicies: a key must be a step type's name" "$dir/out"
check "a malformed stepPolicies section is refused at file:line:col" $?

# ---- the server ---------------------------------------------------------------
server_conf "$dir/srv.yaml" "$dir"
printf 'providers:\n  - {name: pol-team, type: filesystem, path: %s/prov}\n  - {name: pol-bad, type: filesystem, path: %s/bad}\n' "$dir" "$dir" >> "$dir/srv.yaml"
policy_block >> "$dir/srv.yaml"
key=$("${INN_TOP_BUILDDIR:?}/innominatus" --config "$dir/srv.yaml" --create-admin-key ops 2>/dev/null)
start_server "$dir/srv.yaml" "$dir/server.log"
CHECK_SHOW="$dir/server.log"
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"
"$ctl" run pol-bad/over >"$dir/out" 2>&1
rc=$?
cat "$dir/out" >> "$dir/server.log"
[ -n "$url" ] && [ $rc -ne 0 ] &&
	grep -q 'over.yaml:7:7: .*config.env: may not be set by a step: set by the platform in .*srv.yaml stepPolicies.shell.env' "$dir/server.log" &&
	! grep -q 'guard=' "$dir/out"
check "the server's provider load refuses the overriding workflow (file:line:col, key); it does not run" $?
grep -q 'tsec.yaml:8:7: .*config.token_secret: must name a secret, not a template (a run parameter must not choose which credential is sent)' "$dir/server.log"
check "the server's provider load refuses a templated token_secret at file:line:col" $?
"$ctl" run pol-team/good >"$dir/out" 2>&1
rc=$?
CHECK_SHOW="$dir/out"
[ $rc -eq 0 ] && grep -q 'guard=platform-guard' "$dir/out"
check "through the server: the platform's value reaches the plugin" $?
curl -sf -H "Authorization: Bearer $key" "$url/api/plugins" > "$dir/plugins.json"
CHECK_SHOW="$dir/plugins.json"
python3 - "$dir/plugins.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
items = d["plugins"] if isinstance(d, dict) else d
sh = [p for p in items if p.get("type") == "shell"][0]
assert sh["step_policies"] == {"env": {"GUARD": "platform-guard"}, "shell": "sh"}, sh
assert sh["step_defaults"]["env"] == {"GUARD": "from-defaults"}, sh
PY
check "GET /api/plugins shows a type's stepPolicies next to its stepDefaults" $?
exit $fail
