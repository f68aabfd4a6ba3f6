#!/bin/sh
# demo_time.sh - the demo environment as a user meets it, against the
# Kubernetes API stand-in (tests/standins/kube_apiserver.py): demo-time
# --dry-run lists every object of every manifest in demo/manifests (counted
# here independently with python3-yaml) without contacting anything;
# demo-time applies them all (each one then exists in the stand-in),
# demo-status reports every component healthy, demo-nuke removes them
# (each one gone); no cluster and no kubeconfig are clear errors; a broken
# components.yaml names file:line; the API routes are admin only and a
# dry-run there lists the same objects.  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
. "$src/tests/ctl_lib.sh"
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "1..0 # SKIP the stand-in and this test need python3-yaml"; exit 0
fi
. "$src/tests/standins/kube_lib.sh"
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-demo-XXXXXX")
spid=""
cleanup() {
	kube_stop
	[ -n "$spid" ] && { kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; }
	rm -rf "$dir"
}
trap cleanup EXIT
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/data" "$dir/home"
chmod 755 "$dir/plugins"
install -m 755 "$build/plugins/kubernetes/.libs/kubernetes.so" "$dir/plugins/kubernetes.so"
printf 'workflowPolicies:\n  allowedStepTypes: [kubernetes]\n' > "$dir/admin.yaml"
CHECK_SHOW="$dir/out"
echo "1..23"

c() { env HOME="$dir/home" KUBECONFIG= "$ctl" --plugin-dir "$dir/plugins" \
	--config "$dir/admin.yaml" --demo-dir "$src/demo" "$@"; }
# jf FILE EXPR: a Python expression of the JSON "d" in FILE
jf() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }

# ---- dry-run ---------------------------------------------------------------
# every document of the manifests, read here with python3-yaml: kind ns/name
python3 - "$src/demo/manifests" > "$dir/expected" <<'EOF'
import glob, sys, yaml
for f in sorted(glob.glob(sys.argv[1] + "/*.yaml")):
    for d in yaml.safe_load_all(open(f)):
        if d:
            print(d["kind"], d["metadata"].get("namespace") or "-", d["metadata"]["name"])
EOF
c demo-time --dry-run --kubeconfig "$dir/nowhere" -o json > "$dir/dry.json" 2>"$dir/out"
rc=$?
[ $rc = 0 ] && [ "$(jf "$dir/dry.json" 'd["count"]')" = "$(wc -l < "$dir/expected")" ] &&
	[ "$(wc -l < "$dir/expected")" -gt 40 ]
check "demo-time --dry-run lists as many objects as demo/manifests/*.yaml holds documents ($(wc -l < "$dir/expected"))" $?
python3 - "$dir/dry.json" > "$dir/listed" <<'EOF'
import json, sys
for c in json.load(open(sys.argv[1]))["components"]:
    for o in c["objects"]:
        print(o["kind"], o["namespace"] or "-", o["name"])
EOF
sort "$dir/expected" > "$dir/e.sorted"; sort "$dir/listed" > "$dir/l.sorted"
diff "$dir/e.sorted" "$dir/l.sorted" > "$dir/out"
check "... and they are the very objects (kind, namespace, name) of the manifests" $?
c demo-time --dry-run --kubeconfig "$dir/nowhere" > "$dir/out" 2>&1
grep -q 'would apply .* objects (.*nothing was contacted)' "$dir/out" &&
	for comp in namespaces ingress-nginx gitea argocd vault vault-secrets-operator minio postgres-operator; do
		grep -q "^$comp" "$dir/out" || exit 1
	done && grep -q 'CustomResourceDefinition *postgresqls.acid.zalan.do' "$dir/out" &&
	grep -q 'Deployment *vault-secrets-operator-system/vault-secrets-operator-controller-manager' "$dir/out"
check "the dry-run's table: each component, its objects as kind namespace/name (no cluster needed)" $?

# ---- a broken component list -----------------------------------------------
mkdir -p "$dir/bad/manifests"
cp "$src/demo/manifests/vault.yaml" "$dir/bad/manifests/"
cat > "$dir/bad/components.yaml" <<'EOF'
components:
  - name: vault
    namespace: vault
    manifests: [manifests/vault.yaml, ../../etc/passwd]
    health: {kind: StatefulSet, name: vault, ready: healthy}
  - name: "bad name"
    namespace: x
    manifests: [manifests/missing.yaml]
EOF
env HOME="$dir/home" "$ctl" --demo-dir "$dir/bad" demo-time --dry-run > "$dir/out" 2>&1
rc=$?
[ $rc = 3 ] && grep -q 'components.yaml:4:.*\.\./\.\./etc/passwd' "$dir/out" &&
	grep -q 'components.yaml:5:.*health.ready: "healthy" is not condition=' "$dir/out" &&
	grep -q 'components.yaml:6:.*"bad name" is not a name' "$dir/out" &&
	grep -q 'components.yaml:8:.*missing.yaml' "$dir/out" &&
	grep -q 'components.yaml:6:.*missing required field "health"' "$dir/out"
check "a broken components.yaml: every problem as file:line, exit 3" $?

# documents as kubernetes.so reads a stream: content after "---", a List's
# items, empty and comment-only documents; a bad one named by file:line
mkdir -p "$dir/odd/manifests"
cat > "$dir/odd/components.yaml" <<'EOF'
components:
  - name: odd
    namespace: x
    manifests: [manifests/odd.yaml]
    health: {kind: ConfigMap, name: a, ready: "jsonpath={.data.k}"}
EOF
cat > "$dir/odd/manifests/odd.yaml" <<'EOF'
---
apiVersion: v1
kind: ConfigMap
metadata: {name: a}
--- {apiVersion: v1, kind: ConfigMap, metadata: {name: inline, namespace: y}}
---
# nothing but a comment
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: l1}}
- {apiVersion: v1, kind: Secret, metadata: {name: l2}}
---
apiVersion: v1
metadata: {name: kindless}
EOF
env HOME="$dir/home" "$ctl" --demo-dir "$dir/odd" demo-time --dry-run > "$dir/out" 2>&1
rc=$?
[ $rc = 3 ] && grep -q 'odd.yaml:15:1: error: a manifest object needs apiVersion, kind and metadata.name' "$dir/out"
r1=$?
head -n 13 "$dir/odd/manifests/odd.yaml" > "$dir/odd/x" && mv "$dir/odd/x" "$dir/odd/manifests/odd.yaml"
env HOME="$dir/home" "$ctl" --demo-dir "$dir/odd" demo-time --dry-run -o json > "$dir/odd.json" 2>>"$dir/out"
rc=$?
[ $r1 = 0 ] && [ $rc = 0 ] &&
	[ "$(jf "$dir/odd.json" '" ".join(o["kind"] + ":" + o["namespace"] + "/" + o["name"] + ":" + str(o["line"]) for o in d["components"][0]["objects"])')" = \
	  "ConfigMap:x/a:2 ConfigMap:y/inline:5 ConfigMap:x/l1:12 Secret:x/l2:13" ]
check "manifests read as a stream: after \"---\", List items, empty documents; a bad one named by line" $?

# demo-time reads every manifest before it contacts the cluster: a component
# whose namespace no manifest creates stops it (exit 3) with no request sent
cp -r "$src/demo" "$dir/nons" && chmod -R u+w "$dir/nons"   # a distcheck's source is read-only
sed 's/^    namespace: minio-system$/    namespace: elsewhere/' "$src/demo/components.yaml" \
	> "$dir/nons/components.yaml"
cat > "$dir/never.kubeconfig" <<'EOF'
apiVersion: v1
kind: Config
current-context: c
clusters: [{name: c, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: u, user: {}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
EOF
env HOME="$dir/home" "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" \
	--demo-dir "$dir/nons" --kubeconfig "$dir/never.kubeconfig" demo-time > "$dir/out" 2>&1
rc=$?
[ $rc = 3 ] && grep -q 'components.yaml:[0-9]*: error: component minio: namespace "elsewhere" is created by no manifest (add it to manifests/namespaces.yaml)' "$dir/out" &&
	grep -q 'nothing was applied' "$dir/out" && ! grep -q 'cluster  *\(running\|failed\)' "$dir/out"
check "a namespace no manifest creates stops demo-time before the cluster (exit 3)" $?

# ---- against the stand-in ---------------------------------------------------
kube_start "$dir/k" --controller-file "$src/tests/standins/kube_controllers.json" \
	--ready-ms 400 ||
	{ echo "Bail out! the stand-in did not start"; exit 1; }
kc=$kube_config
# exists KIND NS NAME: 0 when the stand-in has the object, 1 when it answers 404
exists() {
	p=$(python3 - "$1" "$2" "$3" <<'EOF'
import sys
kind, ns, name = sys.argv[1:]
core = {"Namespace": "namespaces", "ServiceAccount": "serviceaccounts", "Service": "services",
        "Secret": "secrets", "ConfigMap": "configmaps",
        "PersistentVolumeClaim": "persistentvolumeclaims"}
groups = {"Deployment": "apps/v1/deployments", "StatefulSet": "apps/v1/statefulsets",
          "ClusterRole": "rbac.authorization.k8s.io/v1/clusterroles",
          "ClusterRoleBinding": "rbac.authorization.k8s.io/v1/clusterrolebindings",
          "Ingress": "networking.k8s.io/v1/ingresses",
          "CustomResourceDefinition": "apiextensions.k8s.io/v1/customresourcedefinitions",
          "VaultConnection": "secrets.hashicorp.com/v1beta1/vaultconnections"}
if kind in core:
    base, plural = "/api/v1", core[kind]
else:
    g = groups[kind].rsplit("/", 1)
    base, plural = "/apis/" + g[0], g[1]
print(base + ("/namespaces/" + ns if ns != "-" else "") + "/" + plural + "/" + name)
EOF
)
	code=$(curl -s -o /dev/null -w '%{http_code}' "$kube_url$p")
	[ "$code" = 200 ] && return 0
	[ "$code" = 404 ] && return 1
	echo "unexpected $code for $p" >&2; return 2
}
c demo-time --kubeconfig "$kc" > "$dir/out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q 'postgres-operator-ready *succeeded' "$dir/out" &&
	grep -q 'gitea  *gitea  *Deployment/gitea  *yes' "$dir/out"
check "demo-time applies every component and waits until each is ready (exit 0)" $?
missing=0
while read -r kind ns name; do
	exists "$kind" "$ns" "$name" || { echo "missing: $kind $ns/$name"; missing=1; }
done < "$dir/listed" > "$dir/out" 2>&1
check "... every object of the dry-run's list now exists in the cluster" $missing
c demo-status --kubeconfig "$kc" -o json > "$dir/status.json" 2>"$dir/out"
rc=$?
[ $rc = 0 ] && [ "$(jf "$dir/status.json" 'len(d["components"])')" = 7 ] &&
	[ "$(jf "$dir/status.json" 'all(r["healthy"] is True for r in d["components"])')" = True ] &&
	[ "$(jf "$dir/status.json" '[r["detail"] for r in d["components"] if r["component"] == "vault"][0]')" = "{.status.readyReplicas} is 1" ]
check "demo-status -o json: all 7 components healthy, each with what was seen" $?
c demo-status --kubeconfig "$kc" > "$dir/out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q '^COMPONENT  *NAMESPACE  *OBJECT  *HEALTHY  *DETAIL' "$dir/out" &&
	[ "$(grep -c ' yes  ' "$dir/out")" = 7 ] &&
	grep -q 'argocd  *argocd  *Deployment/argocd-server  *yes  *condition Available is True' "$dir/out"
check "demo-status prints a table, a row per component" $?
# one component broken: its health object scaled away is reported as such
curl -s -X DELETE "$kube_url/apis/apps/v1/namespaces/minio-system/deployments/minio" >/dev/null
c demo-status --kubeconfig "$kc" > "$dir/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q 'minio  *minio-system  *Deployment/minio  *no  .*check Deployment minio-system/minio for condition=Available: does not hold (the object does not exist)' "$dir/out" &&
	grep -q 'gitea  *gitea  *Deployment/gitea  *yes' "$dir/out" &&
	grep -q 'not every component is healthy' "$dir/out"
check "a component whose object is gone: demo-status says no (and why), exit 1" $?
(cd "$dir" && c demo-time --kubeconfig k/kubeconfig) > "$dir/out" 2>&1 &&
	exists Deployment minio-system minio
check "demo-time again puts it back (apply is idempotent; a relative --kubeconfig)" $?

c demo-nuke --kubeconfig "$kc" > "$dir/out" 2>&1
rc=$?
[ $rc = 0 ] && grep -q 'namespaces-delete *succeeded' "$dir/out" &&
	grep -q 'postgres-operator  *postgres-operator  *Deployment/postgres-operator  *yes  *deleted' "$dir/out"
check "demo-nuke deletes every component, the namespaces last (exit 0)" $?
left=0
while read -r kind ns name; do
	if exists "$kind" "$ns" "$name"; then echo "left: $kind $ns/$name"; left=1; fi
done < "$dir/listed" > "$dir/out" 2>&1
check "... none of the objects is left" $left
c demo-status --kubeconfig "$kc" -o json > "$dir/status.json" 2>"$dir/out"
rc=$?
[ $rc = 1 ] && [ "$(jf "$dir/status.json" 'any(r["healthy"] for r in d["components"])')" = False ]
check "demo-status after the nuke: nothing healthy, exit 1" $?

# ---- no cluster ---------------------------------------------------------------
cat > "$dir/dead.kubeconfig" <<'EOF'
apiVersion: v1
kind: Config
current-context: dead
clusters:
- name: dead
  cluster: {server: "http://127.0.0.1:9"}
users:
- name: dead
  user: {}
contexts:
- name: dead
  context: {cluster: dead, user: dead}
EOF
c demo-time --kubeconfig "$dir/dead.kubeconfig" > "$dir/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "no Kubernetes cluster reachable through the kubeconfig $dir/dead.kubeconfig (server http://127.0.0.1:9)" "$dir/out" &&
	! grep -q 'namespaces  *succeeded' "$dir/out"
check "no cluster behind the kubeconfig: exit 1 naming the kubeconfig and the server" $?
env HOME="$dir/home" KUBECONFIG="$dir/dead.kubeconfig" "$ctl" --plugin-dir "$dir/plugins" \
	--config "$dir/admin.yaml" --demo-dir "$src/demo" demo-status > "$dir/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "kubeconfig $dir/dead.kubeconfig (server http://127.0.0.1:9)" "$dir/out"
check "demo-status takes \$KUBECONFIG, and says the same" $?
c demo-time > "$dir/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q 'no kubeconfig (give --kubeconfig FILE, set \$KUBECONFIG, or create ~/.kube/config)' "$dir/out"
check "no kubeconfig at all: exit 1, saying where one is looked for" $?

# ---- the API ----------------------------------------------------------------------
server_conf "$dir/conf.yaml" "$dir"
printf 'workflowPolicies:\n  allowedStepTypes: [kubernetes]\n' >> "$dir/conf.yaml"
key=$("$build/innominatus" --config "$dir/conf.yaml" --create-admin-key ops 2>/dev/null)
INNOMINATUS_DEMO_DIR="$src/demo" INNOMINATUS_DEMO_KUBECONFIG="$kc" \
	start_server "$dir/conf.yaml" "$dir/server.log" || cat "$dir/server.log"
ukey=$(INNOMINATUS_TOKEN=$key "$ctl" --server "$url" -o json admin add-key dev --role user \
	--team red 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')
api() { # KEY METHOD PATH: the body in $dir/resp, prints the status
	curl -s -o "$dir/resp" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" "$url$3"
}
s1=$(api "$ukey" POST '/api/demo/time?dry_run=true') s2=$(api "$ukey" GET /api/demo/status)
s3=$(api "$ukey" POST /api/demo/nuke) s4=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url/api/demo/time")
cp "$dir/resp" "$dir/out"
[ "$s1" = 403 ] && [ "$s2" = 403 ] && [ "$s3" = 403 ] && [ "$s4" = 401 ] && [ -n "$ukey" ]
check "the API: a user key gets 403 on each demo route, no key 401 ($s1 $s2 $s3 $s4)" $?
st=$(api "$key" POST '/api/demo/time?dry_run=true')
cp "$dir/resp" "$dir/out"
[ "$st" = 200 ] && [ "$(jf "$dir/resp" 'd["count"]')" = "$(wc -l < "$dir/expected")" ] &&
	[ "$(jf "$dir/resp" 'sum(len(c["objects"]) for c in d["components"])')" = "$(wc -l < "$dir/expected")" ] &&
	! exists Namespace - gitea 2>/dev/null
check "the API: an admin's dry-run is 200 listing every object; nothing applied" $?
# demo-time in the background: while it waits for readiness, the server
# answers other requests (the work is off the event loop), and a second demo
# operation is refused with 409
lines0=$(wc -l < "$dir/k/stand-in.log")
curl -s -o "$dir/time.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $key" \
	"$url/api/demo/time" > "$dir/time.code" &
tpid=$!
i=0
while [ $i -lt 200 ] && ! tail -n +$((lines0 + 1)) "$dir/k/stand-in.log" | grep -q '/deployments/'; do
	sleep 0.05; i=$((i + 1))
done
h=$(curl -s -o /dev/null -w '%{http_code}' "$url/health")
c409=$(api "$key" POST /api/demo/nuke)
grep -q '"code":"conflict"' "$dir/resp" && still=0 || still=1
kill -0 $tpid 2>/dev/null || still=1
wait $tpid
st=$(cat "$dir/time.code")
[ "$h" = 200 ] && [ "$c409" = 409 ] && [ $still = 0 ] && [ "$st" = 200 ] &&
	[ "$(jf "$dir/time.json" 'd["status"]')" = succeeded ]
check "the API: while demo-time runs, /health answers and another demo operation gets 409 ($h $c409 $st)" $?
st2=$(api "$key" GET /api/demo/status)
cp "$dir/resp" "$dir/out"
ok=1
[ "$st" = 200 ] && [ "$st2" = 200 ] && exists Deployment gitea gitea &&
	[ "$(jf "$dir/resp" 'all(r["healthy"] is True for r in d["components"]) and len(d["components"]) == 7')" = True ] && ok=0
st3=$(api "$key" POST /api/demo/nuke)
[ $ok = 0 ] && [ "$st3" = 200 ] && ! exists Deployment gitea gitea 2>/dev/null
check "the API: an admin's demo-time, demo-status (all healthy), demo-nuke ($st $st2 $st3)" $?
kube_stop
st=$(api "$key" GET /api/demo/status)
cp "$dir/resp" "$dir/out"
[ "$st" = 503 ] && [ "$(jf "$dir/resp" 'd["error"]["code"]')" = cluster_unreachable ] &&
	grep -qF "no Kubernetes cluster reachable through the kubeconfig $kc (server $kube_url)" "$dir/resp"
check "the API: the cluster gone, 503 cluster_unreachable naming the kubeconfig and the server" $?
exit $fail
