#!/bin/sh
# standin_kubectl.sh - the Kubernetes STAND-IN (tests/standins/kube_apiserver.py)
# is faithful enough for REAL kubectl: client-side and server-side apply
# (create, update, a conflict between two field managers refused without
# --force-conflicts and taken with it), get -o json / jsonpath, delete,
# create namespace, wait --for=condition=Available on a Deployment, a CRD
# then its custom resource (and the postgres "controller" rule), dry runs,
# Status errors (404, 409, 422), TLS with a client certificate through the
# generated kubeconfig, a wrong token and a wrong client CA refused.  The
# plugins' tests rely on these behaviours.  Prints TAP; skips when kubectl
# or python3-yaml is missing.
src=${INN_TOP_SRCDIR:?}
. "$src/tests/ctl_lib.sh"
. "$src/tests/standins/kube_lib.sh"
if ! command -v kubectl >/dev/null 2>&1; then
	echo "1..0 # SKIP kubectl is not installed"
	exit 0
fi
if ! python3 -c 'import yaml' 2>/dev/null; then
	echo "1..0 # SKIP python3-yaml is not installed (the stand-in needs it)"
	exit 0
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-kube-XXXXXX")
trap 'kube_stop; rm -rf "$dir"' EXIT
export HOME="$dir/home"
mkdir -p "$HOME"
unset KUBECONFIG
CHECK_SHOW="$dir/out"
k() { kubectl --kubeconfig "$kube_config" --request-timeout=20s "$@" >"$dir/out" 2>&1; }
# kubectl's minor version: older clients (Debian's kubernetes-client is 1.20)
# lack a few flags; those checks are skipped, never weakened
kminor=$(kubectl version --client -o json 2>/dev/null | python3 -c 'import json, sys
print(int("".join(c for c in json.load(sys.stdin)["clientVersion"]["minor"] if c.isdigit())))' \
	2>/dev/null || echo 0)
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP kubectl 1.$kminor lacks $2"; }
has() { grep -q -- "$1" "$dir/out"; }

echo "1..56"
kube_start "$dir/plain" --crd-file "$src/tests/standins/crds.yaml" \
	--controller-file "$src/tests/standins/kube_controllers.json" \
	--hang-path /api/v1/namespaces/hang-here --garbage-path /api/v1/namespaces/garbage-here \
	--close-path /api/v1/namespaces/close-here --fail-path /api/v1/namespaces/fail-here=500
check "the stand-in starts (plain HTTP, CRDs and controller rules preloaded)" $?

# --- client-side apply
cat >"$dir/app.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata:
  name: demo
  labels: {app: demo}
data:
  a: "1"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.25
        ports: [{containerPort: 80}]
      - name: side
        image: busybox:1
Y
k apply -f "$dir/app.yaml"
check "kubectl apply creates a ConfigMap and a Deployment" \
	$(has "configmap/demo created" && has "deployment.apps/web created"; echo $?)
sed 's/nginx:1.25/nginx:1.26/' "$dir/app.yaml" >"$dir/app2.yaml"
k apply -f "$dir/app2.yaml"
check "kubectl apply again: the changed Deployment is configured, the ConfigMap unchanged" \
	$(has "configmap/demo unchanged" && has "deployment.apps/web configured"; echo $?)
k get deployment web -o jsonpath='{.spec.template.spec.containers[*].image} {.metadata.generation}'
check "the strategic merge patch kept both containers, changed the image, bumped generation" \
	$(grep -qx "nginx:1.26 busybox:1 2" "$dir/out"; echo $?)
k wait --for=condition=Available deployment/web --timeout=20s
check "kubectl wait --for=condition=Available deployment/web (built-in controller)" \
	$(has "condition met"; echo $?)
cat >"$dir/pod.yaml" <<'Y'
apiVersion: v1
kind: Pod
metadata: {name: one}
spec: {containers: [{name: c, image: busybox}]}
Y
k apply -f "$dir/pod.yaml"
k wait --for=condition=Ready pod/one --timeout=20s
check "a Pod becomes Ready (kubectl wait --for=condition=Ready)" $(has "condition met"; echo $?)
k get deployment web -o json
check "get -o json: status.readyReplicas 2, metadata uid/resourceVersion/creationTimestamp" \
	$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1])); m=o["metadata"]
sys.exit(not (o["status"]["readyReplicas"] == 2 and m["uid"] and m["resourceVersion"]
              and m["creationTimestamp"]))' "$dir/out"; echo $?)
k get cm -l app=demo -o name
check "list with a label selector" $(grep -qx "configmap/demo" "$dir/out"; echo $?)
k get cm -l app=other -o name
check "list with a label selector matching nothing" $(test ! -s "$dir/out"; echo $?)
k get cm,deploy
check "kubectl get (table output)" $(has "configmap/demo" && has "deployment.apps/web"; echo $?)

# --- server-side apply and field ownership
cat >"$dir/ssa.yaml" <<'Y'
apiVersion: v1
kind: ConfigMap
metadata:
  name: owned
data:
  color: blue
  size: L
Y
k apply --server-side -f "$dir/ssa.yaml"
check "kubectl apply --server-side creates" $(has "configmap/owned serverside-applied"; echo $?)
k apply --server-side -f "$dir/ssa.yaml"
check "server-side apply again: unchanged object, same manager" $(has "serverside-applied"; echo $?)
sed 's/blue/red/' "$dir/ssa.yaml" >"$dir/ssa2.yaml"
k apply --server-side --field-manager=team-b -f "$dir/ssa2.yaml"
rc=$?
check "a second field manager changing a field owned by the first: refused" \
	$(test $rc != 0 && has 'Apply failed with 1 conflict: conflict with "kubectl": .data.color'; echo $?)
k get cm owned -o jsonpath='{.data.color}'
check "the conflict left the object alone" $(grep -qx blue "$dir/out"; echo $?)
k apply --server-side --field-manager=team-b --force-conflicts -f "$dir/ssa2.yaml"
check "--force-conflicts takes the field" $(has "serverside-applied"; echo $?)
mf=--show-managed-fields
[ "$kminor" -ge 21 ] || mf=""   # before 1.21 kubectl shows managedFields anyway
k get cm owned -o json $mf
check "managedFields: team-b owns data.color, kubectl keeps data.size (shared)" \
	$(python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))
mf={m["manager"]: m["fieldsV1"] for m in o["metadata"]["managedFields"]}
sys.exit(not (o["data"]["color"]=="red" and "f:color" in mf["team-b"]["f:data"]
 and "f:color" not in mf["kubectl"]["f:data"] and "f:size" in mf["kubectl"]["f:data"]))' "$dir/out"; echo $?)
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: owned\ndata:\n  size: L\n' >"$dir/ssa3.yaml"
k apply --server-side --field-manager=team-b --force-conflicts -f "$dir/ssa3.yaml"
k get cm owned -o jsonpath='{.data}'
check "a field its only manager stops applying is removed" \
	$(has '"size":"L"' && ! has color; echo $?)
k scale deployment web --replicas=3
k apply --server-side --field-manager=team-b -f "$dir/app2.yaml"
check "kubectl scale (the scale subresource), then an apply of other replicas: conflict" \
	$(has 'conflict with "kubectl" with subresource "scale" using apps/v1 at .*: .spec.replicas'; echo $?)
k apply --server-side -f "$dir/app.yaml"
check "client-side to server-side apply as manager kubectl: no conflict (the real lastApplied upgrade)" \
	$(has "deployment.apps/web serverside-applied"; echo $?)
k get deployment web -o jsonpath='{.spec.template.spec.containers[0].image} {.spec.replicas}'
check "the upgraded apply took the fields" $(grep -qx "nginx:1.25 2" "$dir/out"; echo $?)
cat >"$dir/extra.yaml" <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers: [{name: extra, image: "busybox:9"}]
Y
k apply --server-side --field-manager=sidecar-injector -f "$dir/extra.yaml"
k get deployment web -o jsonpath='{.spec.template.spec.containers[*].name}'
check "containers is an associative list: a second manager adds its own container" \
	$(grep -qx "web side extra" "$dir/out"; echo $?)
sed 's/busybox:9/nginx:7/; s/name: extra/name: web/' "$dir/extra.yaml" >"$dir/extra2.yaml"
k apply --server-side --field-manager=sidecar-injector -f "$dir/extra2.yaml"
check "and conflicts on another manager's container field, named as the real server names it" \
	$(has 'conflict with "kubectl": .spec.template.spec.containers\[name="web"\].image'; echo $?)
if [ "$kminor" -ge 26 ]; then
	k apply --server-side --dry-run=server -f "$dir/app.yaml"
	k get cm demo -o jsonpath='{.data.a}'
	check "server-side dry run (dryRun=All) stores nothing" $(grep -qx 1 "$dir/out"; echo $?)
	grep '"dryRun": "All"' "$dir/plain/stand-in.log" >/dev/null
	check "the request log shows what the client sent (dryRun=All)" $?
else
	skip "server-side dry run (dryRun=All) stores nothing" "dry runs without openapi v2"
	skip "the request log shows what the client sent (dryRun=All)" "dry runs without openapi v2"
fi

# --- errors as Status objects
k get cm nope
check "404 NotFound Status" $(has 'Error from server (NotFound): configmaps "nope" not found'; echo $?)
k create namespace Bad_Name
check "422 Invalid: a bad name" $(has 'The Namespace "Bad_Name" is invalid: metadata.name'; echo $?)
k create configmap x -n nowhere
check "a namespaced object in a missing namespace: 404 namespaces" \
	$(has 'namespaces "nowhere" not found'; echo $?)
k create namespace team1
check "kubectl create namespace" $(has "namespace/team1 created"; echo $?)
k create namespace team1
check "409 AlreadyExists" $(has 'namespaces "team1" already exists'; echo $?)
k create secret generic creds -n team1 --from-literal=password=s3cr3t
k get secret creds -n team1 -o jsonpath='{.data.password}'
check "kubectl create secret (protobuf body): data stored base64" \
	$(test "$(base64 -d <"$dir/out")" = s3cr3t; echo $?)

# --- CRD and custom resources
cat >"$dir/crd.yaml" <<'Y'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.org}
spec:
  group: example.org
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wg]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
Y
k apply -f "$dir/crd.yaml"
check "a CRD is applied" $(has "customresourcedefinition.apiextensions.k8s.io/widgets.example.org created"; echo $?)
printf 'apiVersion: example.org/v1\nkind: Widget\nmetadata: {name: w1, namespace: team1}\nspec: {size: 3}\n' >"$dir/w.yaml"
k apply -f "$dir/w.yaml"
check "then its custom resource (discovery updated)" $(has "widget.example.org/w1 created"; echo $?)
k get wg w1 -n team1 -o jsonpath='{.spec.size}'
check "the custom resource by its short name" $(grep -qx 3 "$dir/out"; echo $?)
k api-resources --api-group=example.org
check "kubectl api-resources lists the new kind" $(has "widgets.*wg.*example.org/v1.*true.*Widget"; echo $?)

cat >"$dir/pg.yaml" <<'Y'
apiVersion: acid.zalan.do/v1
kind: postgresql
metadata: {name: shop-orders, namespace: team1}
spec:
  teamId: shop
  numberOfInstances: 2
  users: {orders_owner: [superuser, createdb], orders_app: [login]}
  databases: {orders: orders_owner}
Y
k apply -f "$dir/pg.yaml"
check "a Zalando postgresql object (preloaded CRD)" $(has "postgresql.acid.zalan.do/shop-orders created"; echo $?)
if [ "$kminor" -ge 23 ]; then
	k wait --for=jsonpath='{.status.PostgresClusterStatus}'=Running postgresql/shop-orders \
		-n team1 --timeout=20s
	check "the controller rule sets status.PostgresClusterStatus=Running" $(has "condition met"; echo $?)
else
	skip "the controller rule sets status.PostgresClusterStatus=Running" "wait --for=jsonpath"
	i=0   # wait for the rule (after_ms 300) so the next checks see its objects
	while [ $i -lt 100 ]; do
		k get postgresql shop-orders -n team1 -o jsonpath='{.status.PostgresClusterStatus}'
		grep -qx Running "$dir/out" && break
		i=$((i + 1)); sleep 0.2
	done
fi
k get secret shop-orders.orders-app.credentials -n team1 -o jsonpath='{.data.username}'
check "and creates the credentials secret the original's workflow reads" \
	$(test "$(base64 -d <"$dir/out")" = orders_app; echo $?)
k get secret orders-owner.shop-orders.credentials.postgresql.acid.zalan.do -n team1 -o name
check "and the operator's own secret name" $(has "secret/orders-owner.shop-orders"; echo $?)

# --- test hooks: a server that hangs, answers garbage, closes mid-answer
k get namespace hang-here --request-timeout=1s
check "--hang-path: kubectl times out" $(has "Client.Timeout\|context deadline exceeded\|timeout"; echo $?)
grep '"path": "/api/v1/namespaces/hang-here", .*"status": 0' "$dir/plain/stand-in.log" >/dev/null
check "the hung request is in the log (status 0)" $?
k get namespace garbage-here
rc=$?
check "--garbage-path: kubectl fails to decode" \
	$(test $rc != 0 && has "invalid character\|unmarshal\|decode"; echo $?)
k get namespace close-here
rc=$?
check "--close-path: kubectl sees the cut answer" \
	$(test $rc != 0 && has "EOF\|unexpected\|connection"; echo $?)
k get namespace fail-here
check "--fail-path: kubectl shows the injected Status" \
	$(has "Error from server (InternalError): injected by the stand-in"; echo $?)

# --- delete
k delete -f "$dir/pg.yaml"
k get secret shop-orders.orders-app.credentials -n team1
check "deleting the custom resource garbage-collects what its rule created" \
	$(has "NotFound"; echo $?)
k delete configmap demo
check "kubectl delete" $(has 'configmap "demo" deleted'; echo $?)
k delete configmap demo
check "delete of a missing object: 404" $(has 'configmaps "demo" not found'; echo $?)
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: held, finalizers: [example.org/hold]}\n' >"$dir/held.yaml"
k apply -f "$dir/held.yaml"
k delete configmap held --wait=false
k get configmap held -o jsonpath='{.metadata.deletionTimestamp}'
check "an object with finalizers is only marked for deletion" $(grep -q 'T.*Z' "$dir/out"; echo $?)
k patch configmap held --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]'
k get configmap held
check "and goes when its last finalizer is removed" $(has 'configmaps "held" not found'; echo $?)
k delete namespace team1
k get secret creds -n team1
check "deleting a namespace deletes its objects" $(has 'NotFound'; echo $?)
kube_stop

# --- TLS with client certificates, tokens
kube_start "$dir/tls" --gen-certs "$dir/certs" --token "good-token=robot" \
	--token ro-token=reader --forbid reader
check "the stand-in serves HTTPS with generated certificates" \
	$(case $kube_url in https://127.0.0.1:*) echo 0;; *) echo 1;; esac)
k get ns default -o jsonpath='{.metadata.name}'
check "kubectl through the generated kubeconfig (CA + client certificate)" \
	$(grep -qx default "$dir/out"; echo $?)
grep '"user": "innominatus-test"' "$dir/tls/stand-in.log" >"$dir/out"
check "the client certificate's CN is the user" $?
p=$(cat "$dir/tls/port")
kubectl --server "https://127.0.0.1:$p" --certificate-authority "$dir/certs/ca.pem" \
	--token wrong-token get ns >"$dir/out" 2>&1
check "a wrong token: kubectl reports Unauthorized" \
	$(has "You must be logged in to the server" || has Unauthorized; echo $?)
kubectl --server "https://127.0.0.1:$p" --certificate-authority "$dir/certs/ca.pem" \
	--token good-token get ns default -o name >"$dir/out" 2>&1
check "the right token works without a client certificate" $(grep -qx namespace/default "$dir/out"; echo $?)
kubectl --server "https://127.0.0.1:$p" --certificate-authority "$dir/certs/ca.pem" \
	--token ro-token get cm -n kube-system >"$dir/out" 2>&1
check "a user the stand-in forbids: kubectl shows the RBAC-style 403" \
	$(has 'Error from server (Forbidden): configmaps is forbidden: User "reader" cannot list '\
'resource "configmaps" in API group "" in the namespace "kube-system"'; echo $?)
python3 "$src/tests/standins/kube_apiserver.py" --gen-certs "$dir/other" --gen-only
kubectl --server "https://127.0.0.1:$p" --certificate-authority "$dir/other/ca.pem" \
	--token good-token get ns >"$dir/out" 2>&1
check "a server certificate from another CA: kubectl refuses it" \
	$(has "certificate signed by unknown authority"; echo $?)
kube_stop
exit $fail
