#!/bin/sh
# ctl_apps.sh - Score applications through innominatus-ctl and the real
# server: deploy --dry-run plans without storing; deploy -w provisions two
# resources of a fixture provider (shell steps writing files in their state
# directories) and tables them active with their outputs; apps, app (outputs,
# resolved container placeholders) and resources; a changed property runs
# the update workflow (a .json spec); a resource dropped from the spec is
# deleted and its file removed; a spec with three problems prints three
# file:line:col lines (exit 3); a failing create workflow exits 1 naming
# the resource (that app deployed with --ttl: it expires); -o json parses;
# delete -w tears everything down.  Prints TAP.
ctl=${INN_CTL:?}
build=${INN_TOP_BUILDDIR:?}
srvbin="$build/innominatus"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is needed to read -o json"; exit 0; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-apps-XXXXXX")
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/etc" "$dir/data" "$dir/files-team/workflows"
chmod 755 "$dir/plugins"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"

# The fixture provider: type textfile (create/update write
# $INNOMINATUS_STATE_DIR/<resource>.txt, delete removes it) and type
# brokenfile (a create workflow that fails).
p="$dir/files-team"
cat >"$p/provider.yaml" <<'EOF'
apiVersion: v1
kind: Provider
metadata:
  name: files-team
  version: 1.0.0
  description: Text files for apps (a test fixture)
  owner: files-team@example.org
capabilities:
  resourceTypeCapabilities:
    - type: textfile
      operations:
        create: {workflow: create-file}
        update: {workflow: update-file}
        delete: {workflow: delete-file}
    - type: brokenfile
      operations:
        create: {workflow: fail-file}
workflows:
  - {name: create-file, file: ./workflows/create-file.yaml, operation: create}
  - {name: update-file, file: ./workflows/update-file.yaml, operation: update}
  - {name: delete-file, file: ./workflows/delete-file.yaml, operation: delete}
  - {name: fail-file, file: ./workflows/fail-file.yaml, operation: create}
  - {name: announce, file: ./workflows/announce.yaml}
EOF
# a product workflow of the post-deployment phase: every deployment of an
# app using the provider's types
cat >"$p/workflows/announce.yaml" <<'EOF'
name: announce
phase: post-deployment
triggers: [product_deployment]
parameters:
  - {name: app_name, type: string, required: true}
steps:
  - name: say
    type: shell
    env: {APP: "${parameters.app_name}"}
    config:
      script: echo "$APP is deployed"
EOF
for op in create update; do
	cat >"$p/workflows/$op-file.yaml" <<EOF
name: $op-file
description: $op a text file in the resource's state directory
parameters:
  - {name: content, type: string, required: true}
  - {name: resource_name, type: string, required: true}
steps:
  - name: write
    type: shell
    env: {CONTENT: "\${parameters.content}", RES: "\${parameters.resource_name}"}
    config:
      script: |
        printf '%s\n' "\$CONTENT" > "\$INNOMINATUS_STATE_DIR/\$RES.txt"
        echo "${op}d \$RES.txt"
        echo "path=\$INNOMINATUS_STATE_DIR/\$RES.txt" >> "\$INNOMINATUS_OUTPUT"
        echo "content=\$CONTENT" >> "\$INNOMINATUS_OUTPUT"
outputs:
  path: "\${steps.write.outputs.path}"
  content: "\${steps.write.outputs.content}"
EOF
done
cat >"$p/workflows/delete-file.yaml" <<'EOF'
name: delete-file
description: remove the text file
parameters:
  - {name: resource_name, type: string, required: true}
steps:
  - name: remove
    type: shell
    env: {RES: "${parameters.resource_name}"}
    config:
      script: |
        rm -f -- "$INNOMINATUS_STATE_DIR/$RES.txt"
        echo "removed $RES.txt"
EOF
cat >"$p/workflows/fail-file.yaml" <<'EOF'
name: fail-file
description: a create workflow that fails
parameters:
  - {name: content, type: string, default: x}
steps:
  - name: write
    type: shell
    config:
      script: |
        echo "disk full" >&2
        exit 1
EOF

server_conf "$dir/etc/innominatus.yaml" "$dir"
cat >>"$dir/etc/innominatus.yaml" <<CONF
providers:
  - {name: files-team, type: filesystem, path: $p}
workflowPolicies:
  allowedStepTypes: [shell]
  maxStepsPerWorkflow: 8
CONF

# shop v1: two files, notes waits for cfg (its content names cfg's path)
cat >"$dir/shop.yaml" <<'EOF'
apiVersion: score.dev/v1b1
metadata:
  name: shop
containers:
  web:
    image: shop:1
    variables:
      CFG_PATH: ${resources.cfg.path}
      CFG_TEXT: ${resources.cfg.content}
      MISSING: ${resources.cache.url}
resources:
  cfg:
    type: textfile
    params: {content: one}
  notes:
    type: textfile
    params: {content: "after ${resources.cfg.path}"}
EOF
# v2, as JSON: cfg's content changed
cat >"$dir/shop-v2.json" <<'EOF'
{"apiVersion": "score.dev/v1b1", "metadata": {"name": "shop"},
 "containers": {"web": {"image": "shop:1",
                        "variables": {"CFG_TEXT": "${resources.cfg.content}"}}},
 "resources": {"cfg": {"type": "textfile", "params": {"content": "two"}},
               "notes": {"type": "textfile", "params": {"content": "after ${resources.cfg.path}"}}}}
EOF
# v3: notes dropped
cat >"$dir/shop-v3.yaml" <<'EOF'
apiVersion: score.dev/v1b1
metadata:
  name: shop
containers:
  web: {image: shop:1}
resources:
  cfg: {type: textfile, params: {content: two}}
EOF
# three problems: a name that is no DNS label, a container without image,
# an unknown resource type
cat >"$dir/bad.yaml" <<'EOF'
apiVersion: score.dev/v1b1
metadata:
  name: Bad_Name
containers:
  web:
    variables: {A: b}
resources:
  db:
    type: no-such-type
EOF
# nine one-step resources past maxStepsPerWorkflow 8, and an unknown type
{ printf 'apiVersion: score.dev/v1b1\nmetadata: {name: big}\ncontainers: {web: {image: x}}\nresources:\n'
  printf '  odd: {type: no-such-type}\n'
  i=1; while [ $i -le 9 ]; do printf '  f%d: {type: textfile, params: {content: x}}\n' $i; i=$((i + 1)); done; } >"$dir/big.yaml"
cat >"$dir/broken.yaml" <<'EOF'
apiVersion: score.dev/v1b1
metadata:
  name: wreck
containers:
  web: {image: wreck:1}
resources:
  disk:
    type: brokenfile
EOF

echo "1..17"
key=$("$srvbin" --config "$dir/etc/innominatus.yaml" --create-admin-key ops)
trap 'kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$dir"' EXIT
start_server "$dir/etc/innominatus.yaml" "$dir/server.log" || {
	sed 's/^/# /' "$dir/server.log"
	echo "Bail out! the server did not start"
	exit 1
}
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"
# the app developer: a user key of team red
INNOMINATUS_TOKEN=$("$ctl" -o json admin add-key dev --role user --team red 2>"$dir/err" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
export INNOMINATUS_TOKEN
CHECK_SHOW="$dir/out"
files() { find "$dir/data/state" -name '*.txt' 2>/dev/null | sort; }
state_file() { find "$dir/data/state" -path "*/$1/*" -name "$1.txt" 2>/dev/null | head -1; }

"$ctl" deploy --help >"$dir/out" 2>&1 && grep -q '^usage: innominatus-ctl deploy SPEC' "$dir/out" &&
	grep -q -- '--ttl D' "$dir/out"
check "deploy --help prints the command's own help (exit 0)" $?

"$ctl" deploy --dry-run "$dir/shop.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'dry run' "$dir/out" &&
	grep -Eq '^  cfg +create +textfile +files-team +create-file' "$dir/out" &&
	grep -Eq '^  notes +create +textfile +files-team +create-file +cfg$' "$dir/out" &&
	grep -Eq '^  post-deployment +files-team/announce \(trigger product_deployment\)' "$dir/out" &&
	[ -z "$(files)" ] && "$ctl" apps 2>&1 | grep -q 'no applications'
check "deploy --dry-run prints the plan (op, provider, workflow, depends_on, phases); nothing runs or is stored" $?

"$ctl" deploy -w "$dir/shop.yaml" >"$dir/out" 2>&1
rc=$?
cfg=$(state_file cfg)
[ $rc -eq 0 ] && grep -Eq '^Deploying application shop: execution [0-9]+' "$dir/out" &&
	grep -Eq '^  cfg +textfile +files-team +active' "$dir/out" &&
	grep -Eq '^  notes +textfile +files-team +active' "$dir/out" &&
	grep -q '      content: one' "$dir/out" && [ "$(cat "$cfg")" = one ] &&
	grep -q 'post-deployment:announce/say *| shop is deployed' "$dir/out" &&
	grep -Eq '^  post-deployment +files-team/announce +succeeded' "$dir/out" &&
	grep -q "^after $cfg\$" "$(state_file notes)"
check "deploy -w provisions both resources, runs the phase, tables them active with outputs (exit 0)" $?

"$ctl" apps >"$dir/out" 2>&1 &&
	grep -Eq '^shop +red +active +2 +[0-9]+ deploy succeeded +never' "$dir/out"
check "apps lists the app: team, status, resources, last execution, expiry" $?

"$ctl" app shop >"$dir/out" 2>&1 && grep -q '^Application shop: active' "$dir/out" &&
	grep -q "^    CFG_PATH=$cfg\$" "$dir/out" && grep -q '^    CFG_TEXT=one$' "$dir/out" &&
	grep -A3 '^Unresolved' "$dir/out" | grep -q 'resources.cache.url'
check "app shows resources, containers with placeholders resolved, and the unresolved one" $?

"$ctl" resources shop >"$dir/out" 2>&1 &&
	[ "$(grep -Ec '^shop +(cfg|notes) +textfile +files-team +active' "$dir/out")" = 2 ]
check "resources APP lists the app's resources with their states" $?

"$ctl" deploy --wait "$dir/shop-v2.json" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -Eq '^  cfg +update +textfile +files-team +update-file +- +\(params changed: content\)$' "$dir/out" &&
	grep -q '      content: two' "$dir/out" && [ "$(cat "$(state_file cfg)")" = two ] &&
	grep -Eq '^  notes +keep +textfile +files-team +- ' "$dir/out"
check "a changed property (a .json spec) runs the update workflow, saying why; the rest is kept" $?

"$ctl" deploy -w "$dir/shop-v3.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -Eq '^  notes +delete +textfile +files-team +delete-file' "$dir/out" &&
	[ -z "$(state_file notes)" ] && [ -n "$(state_file cfg)" ] &&
	! grep -Eq '^  notes +textfile +files-team +active' "$dir/out"
check "a resource dropped from the spec is deleted: delete op, its file gone, cfg kept" $?

"$ctl" deploy "$dir/bad.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && [ "$(grep -Ec "^$dir/bad.yaml:[0-9]+:[0-9]+: " "$dir/out")" = 3 ] &&
	grep -q 'no-such-type' "$dir/out"
check "a spec with three problems: exit 3 and three file:line:col lines" $?

"$ctl" deploy "$dir/big.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && [ "$(grep -Ec "^$dir/big.yaml:[0-9]+:[0-9]+: " "$dir/out")" = 2 ] &&
	grep -q "^$dir/big.yaml:5:[0-9]*: .*no-such-type" "$dir/out" &&
	grep -q "^$dir/big.yaml:14:[0-9]*: .*resource \"f9\": .*maxStepsPerWorkflow (8)" "$dir/out"
check "past maxStepsPerWorkflow beside another problem: both, the limit at the resource crossing it" $?

"$ctl" deploy -w --ttl 2h "$dir/broken.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -Eq 'resource disk \(brokenfile\) failed' "$dir/out" &&
	grep -Eq '^  disk +brokenfile +files-team +failed' "$dir/out"
check "a failing create workflow: deploy -w exits 1 and names the failed resource" $?

"$ctl" -o json deploy -w "$dir/shop-v3.yaml" >"$dir/out" 2>"$dir/err" &&
	python3 - "$dir/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["execution"]["status"] == "succeeded", d["execution"]
assert d["deployment"]["application"] == "shop", d["deployment"]
st = {r["name"]: r["status"] for r in d["application"]["resources"]}
assert st.get("cfg") == "active" and st.get("notes", "terminated") == "terminated", st
PY
check "deploy -w -o json: one document with the deployment, execution and application" $?

ok=0
"$ctl" -o json apps >"$dir/out" 2>&1 &&
	python3 -c 'import json,sys,time; d=json.load(open(sys.argv[1])); l=d["data"] if isinstance(d, dict) else d; assert sorted(a["name"] for a in l)==["shop","wreck"], l; e={a["name"]: a["expires_ms"] for a in l}; assert e["shop"] is None and e["wreck"] > time.time() * 1000 + 3600e3, e' "$dir/out" || ok=1
"$ctl" -o json app shop >"$dir/out" 2>&1 &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["resources"][0]["outputs"]["content"]=="two", d' "$dir/out" || ok=1
"$ctl" -o json resources >"$dir/out" 2>&1 &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); l=d["data"] if isinstance(d, dict) else d; assert {(r["app"], r["name"]) for r in l} >= {("shop","cfg"),("wreck","disk")}, l' "$dir/out" || ok=1
check "apps, app and resources -o json parse and hold the apps, resources and --ttl expiry" $ok

"$ctl" delete --dry-run shop >"$dir/out" 2>&1
rc=$?
[ $rc -eq 2 ] && [ -n "$(state_file cfg)" ] && "$ctl" app shop 2>&1 | grep -q '^Application shop: active'
check "delete --dry-run is refused (exit 2) and deletes nothing" $?

"$ctl" delete -w shop >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -Eq '^  cfg +delete +textfile +files-team +delete-file' "$dir/out" &&
	grep -q '^Application shop deleted' "$dir/out" && [ -z "$(state_file cfg)" ]
check "delete -w tears the resources down (exit 0); the files are gone" $?

"$ctl" delete -w wreck >"$dir/out" 2>&1
rc=$?
"$ctl" apps >>"$dir/out" 2>&1
[ $rc -eq 0 ] && grep -q 'no applications' "$dir/out" && [ -z "$(files)" ]
check "after deleting both apps, apps lists none and no file is left" $?

"$ctl" app shop >"$dir/out" 2>&1
rc=$?
"$ctl" delete shop >>"$dir/out" 2>&1
rc2=$?
"$ctl" resources shop >>"$dir/out" 2>&1
rc3=$?
[ $rc -eq 3 ] && [ $rc2 -eq 3 ] && [ $rc3 -eq 3 ] &&
	[ "$(grep -c 'no application named "shop"' "$dir/out")" = 3 ]
check "a deleted app is not found (app, delete and resources APP exit 3, saying so)" $?
exit $fail
