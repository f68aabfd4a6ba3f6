#!/bin/sh
# yaml_render.sh - a config field a plugin declares YAML text
# ("x-innominatus-render": "yaml": the yamlecho fixture, which hands back
# the text it was given, as kubernetes.so would parse it) rendered in YAML
# mode, in a shell-free workflow: hostile parameter values (a newline and
# a key, a document break and a ClusterRoleBinding, flow brackets, an
# alias, a tag) stay the content of their one scalar; a number stays a
# number; ordinary values render as written; a value in a comment is a
# step error naming field and action.  With stepDefaults naming a secret
# (token_secret) the plugin gets it through host->secret(); without the
# secret configured the step fails naming it.  run --local and the server.
# Prints TAP.
ctl=${INN_CTL:?}
build=${INN_TOP_BUILDDIR:?}
fx=${INN_FIXTURE_DIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-yaml-XXXXXX")
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/data" "$dir/prov/workflows"
chmod 755 "$dir/plugins"
install -m 755 "$fx/yamlecho.so" "$dir/plugins/yamlecho.so"
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
echo "1..9"

printf '%s\n' 'vt-S3cret-value' > "$dir/vt"
chmod 600 "$dir/vt"
conf_body() {
	cat <<CONF
workflowPolicies:
  allowedStepTypes: [yamlecho]
secrets:
  vault-token: {file: $dir/vt}
stepDefaults:
  yamlecho: {token_secret: vault-token}
CONF
}
conf_body > "$dir/admin.yaml"
printf 'workflowPolicies:\n  allowedStepTypes: [yamlecho]\nstepDefaults:\n  yamlecho: {token_secret: vault-token}\n' > "$dir/nosecret.yaml"
printf 'name: yaml-team\nversion: 1.0.0\nworkflows_dir: workflows\n' > "$dir/prov/provider.yaml"
cat > "$dir/prov/workflows/ns.yaml" <<'WF'
name: ns
parameters:
  - {name: ns, type: string, required: true}
  - {name: replicas, type: number, default: 3}
  - {name: size, type: string, default: small}
steps:
  - name: render
    type: yamlecho
    config:
      manifest: |
        apiVersion: v1
        kind: Namespace
        metadata:
          name: {{ .parameters.ns }}
          labels:
            size: {{ if eq .parameters.size "small" }}5Gi{{ else }}20Gi{{ end }}
            app: {{ .parameters.ns }}-db
        spec:
          replicas: {{ .parameters.replicas }}
          note: "quoted {{ .parameters.ns }}"
          args: [--ns={{ .parameters.ns }}]
WF
cat > "$dir/prov/workflows/comment.yaml" <<'WF'
name: comment
parameters:
  - {name: ns, type: string, required: true}
steps:
  - name: render
    type: yamlecho
    config:
      manifest: |
        kind: Namespace
        # owner: {{ .parameters.ns }}
        metadata: {name: fixed}
WF
c() { "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" "$@"; }
# check_manifest JSON NS: the one step's manifest output is one document
# whose every value is what NS gives it, structure unchanged
check_manifest() {
	python3 - "$1" "$2" <<'PY'
import json, sys, yaml
d = json.load(open(sys.argv[1]))
ns = sys.argv[2]
man = d["steps"][0]["outputs"]["manifest"] if "steps" in d else d["outputs"]["manifest"]
docs = list(yaml.safe_load_all(man))
assert len(docs) == 1, docs
m = docs[0]
assert set(m) == {"apiVersion", "kind", "metadata", "spec"}, m
assert m["metadata"] == {"name": ns, "labels": {"size": "5Gi", "app": ns + "-db"}}, m["metadata"]
assert m["spec"] == {"replicas": 3, "note": "quoted " + ns, "args": ["--ns=" + ns]}, m["spec"]
assert type(m["spec"]["replicas"]) is int
PY
}

c -o json run --local "$dir/prov/workflows/ns.yaml" --param ns=shop >"$dir/out" 2>"$dir/err"
rc=$?
CHECK_SHOW="$dir/err"
python3 - "$dir/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
want = """apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    size: 5Gi
    app: shop-db
spec:
  replicas: 3
  note: "quoted shop"
  args: [--ns=shop]
"""
got = d["steps"][0]["outputs"]["manifest"]
assert got == want, repr(got)
PY
check "ordinary values render as written: plain names, a number, if/else inside a scalar, a quoted scalar" $(( rc + $? ))

bad=0
for v in "$(printf 'x\n  evil: true')" "$(printf 'x}\n---\nkind: ClusterRoleBinding\nmetadata: {name: pwn}')" \
	'a: b' '[x, y]' '{k: v}' '*alias' '!!binary eA==' '- item' "it's \"q\"" 'x # c' '123' 'true' \
	"$(printf 'sep\342\200\250line')"; do
	c -o json run --local "$dir/prov/workflows/ns.yaml" --param "ns=$v" >"$dir/out" 2>"$dir/err" &&
		check_manifest "$dir/out" "$v" 2>>"$dir/err" || { bad=1; printf '# value: %s\n' "$v"; sed 's/^/# /' "$dir/err"; }
done
check "hostile values (newline+key, document break, flow, alias, tag, '- ', quotes, number/bool text, U+2028) stay one scalar" $bad

c run --local "$dir/prov/workflows/comment.yaml" --param ns=x >"$dir/out" 2>&1
rc=$?
CHECK_SHOW="$dir/out"
[ $rc -eq 1 ] && grep -q 'config.manifest: {{ .parameters.ns }}: this value would not be inside one YAML value (it lands in a comment' "$dir/out"
check "a value in a YAML comment is a step error naming the field and the action" $?

grep -q 'secret vault-token len=15' "$dir/err" || c run --local "$dir/prov/workflows/ns.yaml" --param ns=s >"$dir/out" 2>&1
grep -q 'secret vault-token len=15' "$dir/out" && ! grep -q 'vt-S3cret-value' "$dir/out"
check "stepDefaults' token_secret reaches the plugin's config; host->secret() gives it the admin config's secret" $?

"$ctl" --plugin-dir "$dir/plugins" --config "$dir/nosecret.yaml" run --local "$dir/prov/workflows/ns.yaml" --param ns=s >"$dir/out" 2>&1
rc=$?
CHECK_SHOW="$dir/out"
[ $rc -eq 1 ] && grep -q 'config.token_secret: secret "vault-token" is not configured (admin-config.yaml secrets:)' "$dir/out" &&
	grep -q 'warning: step "render": config.token_secret names secret "vault-token", which .*nosecret.yaml does not configure (secrets:): the step fails unless its run is given it (the key comes from stepDefaults)' "$dir/out"
check "a config *_secret key naming an unconfigured secret: a warning at load, then a step error before the plugin runs" $?

"$ctl" --plugin-dir "$dir/plugins" --config "$dir/nosecret.yaml" test-workflow --dry-run "$dir/prov/workflows/ns.yaml" --param ns=s >"$dir/out" 2>&1
CHECK_SHOW="$dir/out"
grep -q 'would-fail: config.token_secret: secret "vault-token" is not configured' "$dir/out"
check "a dry-run says the step would fail on the unconfigured secret" $?

# ---- the server ---------------------------------------------------------------
server_conf "$dir/srv.yaml" "$dir"
printf 'providers:\n  - {name: yaml-team, type: filesystem, path: %s/prov}\n' "$dir" >> "$dir/srv.yaml"
conf_body >> "$dir/srv.yaml"
key=$("$build/innominatus" --config "$dir/srv.yaml" --create-admin-key ops 2>/dev/null)
start_server "$dir/srv.yaml" "$dir/server.log"
CHECK_SHOW="$dir/server.log"
check "the server starts with a yamlecho plugin, a secret and stepDefaults" $?
export INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key"
v="$(printf 'x\n  evil: true\n---\nkind: ClusterRoleBinding')"
"$ctl" run yaml-team/ns --param "ns=$v" >"$dir/out" 2>&1
rc=$?
"$ctl" -o json status 1 >"$dir/status" 2>&1
CHECK_SHOW="$dir/status"
[ $rc -eq 0 ] && check_manifest "$dir/status" "$v"
check "through the server: a hostile value stays one scalar of the manifest" $?
"$ctl" run yaml-team/comment --param ns=x >"$dir/out" 2>&1
rc=$?
CHECK_SHOW="$dir/out"
[ $rc -eq 1 ] && grep -q 'config.manifest: {{ .parameters.ns }}: this value would not be inside one YAML value' "$dir/out"
check "through the server: a value in a comment is a step error" $?
exit $fail
