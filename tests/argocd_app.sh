#!/bin/sh
# argocd_app.sh - argocd-app.so against the Kubernetes API STAND-IN
# (tests/standins/kube_apiserver.py, HTTPS with a client certificate; its
# controller rule plays Argo CD and marks an Application Synced and
# Healthy) through `innominatus-ctl run --local` and once through the
# server: the original's provision-, update- and delete-argocd-app
# workflows unchanged, create idempotent with wait_for_sync, update keeping
# what it does not set, dry-run as the server's dryRun=All, delete with the
# cascade finalizer, a sync that never comes (timeout), a wrong token, an
# unreachable or hanging API server (timeout, cancellation), garbage, an
# unknown CA, hostile and contradictory names.  Prints TAP.
. "${INN_TOP_SRCDIR:?}/tests/plugin_lib.sh"
. "$src/tests/standins/kube_lib.sh"
echo "1..29"
pt_setup argocd shell argocd-app gitea-repo kubernetes

if ! python3 -c 'import cryptography, yaml' 2>/dev/null; then
	i=0
	while [ $i -lt 29 ]; do
		i=$((i + 1)); echo "ok $i - # SKIP python3 lacks cryptography or yaml for the Kubernetes stand-in"
	done
	exit 0
fi

S="$src/tests/standins"
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: argocd}\n' > "$dir/ns.yaml"
# Argo CD's part: an Application becomes Synced and Healthy after a while
cat > "$dir/argo.json" <<'EOF'
[{"kind": "Application", "group": "argoproj.io", "after_ms": 300,
  "set": {"status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}}}]
EOF
# ... or never does
cat > "$dir/stuck.json" <<'EOF'
[{"kind": "Application", "group": "argoproj.io", "after_ms": 100,
  "set": {"status": {"sync": {"status": "OutOfSync"}, "health": {"status": "Progressing"}}}}]
EOF
# start NAME [ARGS...]: a stand-in with the Application CRD and the argocd
# namespace; $kube_config, $kube_url; log in $dir/NAME/stand-in.log
start() {
	name=$1; shift
	kube_start "$dir/$name" --gen-certs "$dir/certs" --crd-file "$S/crds.yaml" \
		--objects "$dir/ns.yaml" --log-bodies "$@" || return 1
	pids="$pids $kube_pid"
}
# --finalizer-ms 300: Argo CD's controller empties its finalizer once it has
# deleted the Application's resources (the stand-in keeps finalized objects)
start main --controller-file "$dir/argo.json" --finalizer-ms 300 || { echo "Bail out! the Kubernetes stand-in did not start"; exit 1; }
KC=$kube_config
KLOG="$dir/main/stand-in.log"
K=$kube_url

cat > "$dir/admin.yaml" <<CONF
workflowPolicies:
  allowedStepTypes: [shell, policy, argocd-app, gitea-repo, kubernetes]
stepDefaults:
  argocd-app: {kubeconfig: $KC}
  gitea-repo: {url: "http://gitea.localtest.me"}
CONF
# app NAME: the Application argocd/NAME as JSON in $dir/obj (1 when absent)
app() {
	python3 - "$KC" "$K/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/$1" "$dir/obj" <<'PY'
import base64, json, ssl, sys, tempfile, urllib.request, urllib.error, yaml
kc = yaml.safe_load(open(sys.argv[1]))
cl, us = kc["clusters"][0]["cluster"], kc["users"][0]["user"]
d = tempfile.mkdtemp()
def put(n, k):
    p = d + "/" + n
    open(p, "wb").write(base64.b64decode(k))
    return p
ctx = ssl.create_default_context(cafile=put("ca", cl["certificate-authority-data"]))
ctx.load_cert_chain(put("c", us["client-certificate-data"]), put("k", us["client-key-data"]))
try:
    body = urllib.request.urlopen(sys.argv[2], context=ctx).read()
except urllib.error.HTTPError as e:
    sys.exit(1)
open(sys.argv[3], "wb").write(body)
PY
}
# jq-like: field PATH of $dir/obj
field() { python3 -c 'import json,sys; o=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    o = o[int(k)] if isinstance(o, list) else o.get(k) if isinstance(o, dict) else None
print(json.dumps(o) if not isinstance(o, str) else o)' "$dir/obj" "$1"; }
mark() { wc -l < "$KLOG"; }
since() { tail -n +"$(( $1 + 1 ))" "$KLOG"; }

# wf NAME OP [CONFIG LINES...]: a one-step workflow in $dir/NAME.yaml
wf() {
	{
		printf 'name: %s\nparameters:\n  - {name: app, type: string, default: shop}\nsteps:\n' "$1"
		printf '  - name: argo\n    type: argocd-app\n    config:\n      operation: %s\n' "$2"
		printf '      name: "{{ .parameters.app }}"\n'
		shift 2
		for l in "$@"; do printf '      %s\n' "$l"; done
		printf 'outputs:\n'
		for o in name namespace uid sync_status health_status status; do
			printf '  %s: "${steps.argo.outputs.%s}"\n' "$o" "$o"
		done
	} > "$dir/$NAME.yaml"
}

CHECK_SHOW="$dir/out"
if [ -d "$compat/providers/container-team" ]; then
	c --providers "$compat/providers" run --local container-team/provision-argocd-app \
		--param app_name=legacy --param namespace=legacy-ns --param repo_url=http://gitea/p/legacy.git \
		>"$dir/out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && app legacy && [ "$(field spec.destination.namespace)" = legacy-ns ] &&
		[ "$(field metadata.namespace)" = argocd ] && [ "$(field spec.source.targetRevision)" = HEAD ] &&
		[ "$(field spec.source.path)" = . ] && [ "$(field spec.project)" = default ] &&
		[ "$(field spec.syncPolicy.automated.selfHeal)" = true ] &&
		[ "$(field spec.destination.server)" = https://kubernetes.default.svc ]
	check "the original's provision-argocd-app runs unchanged: an Application in argocd, destination its namespace, automated" $?

	c --providers "$compat/providers" run --local container-team/update-argocd-app \
		--param app_name=legacy --param namespace=legacy-ns --param target_revision=v2 \
		>"$dir/out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && app legacy && [ "$(field spec.source.targetRevision)" = v2 ] &&
		[ "$(field spec.source.repoURL)" = http://gitea/p/legacy.git ] &&
		[ "$(field spec.syncPolicy.automated.prune)" = true ]
	check "the original's update-argocd-app: the new revision; repo and path (parameters left out) and sync policy kept" $?

	m=$(mark)
	c --providers "$compat/providers" run --local container-team/delete-argocd-app \
		--param app_name=legacy >"$dir/out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && ! app legacy &&
		since "$m" | grep '"method": "PATCH"' | grep -q 'resources-finalizer.argocd.argoproj.io' &&
		since "$m" | grep -q '"method": "DELETE"'
	check "the original's delete-argocd-app: cascade sets Argo CD's finalizer, then deletes" $?
else
	for t in provision update delete; do
		n=$((n + 1)); echo "ok $n - # SKIP the original's providers are not in $compat ($t)"
	done
fi

NAME=create wf create create "repo_url: http://gitea/platform/shop.git" "path: manifests" \
	"dest_namespace: shop" "sync_policy: automated" "wait_for_sync: true" "timeout: 30s"
c run --local "$dir/create.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && app shop && grep -q "uid: $(field metadata.uid)" "$dir/out" &&
	grep -q "sync_status: Synced" "$dir/out" && grep -q "health_status: Healthy" "$dir/out" &&
	grep -q "status: synced" "$dir/out" &&
	[ "$(field spec.syncPolicy.syncOptions)" = '["CreateNamespace=true"]' ]
check "create with wait_for_sync: applied, waited for Synced and Healthy; outputs uid and statuses" $?
uid=$(field metadata.uid)

m=$(mark)
c run --local "$dir/create.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "uid: $uid" "$dir/out" &&
	since "$m" | grep '"method": "PATCH"' | grep -q 'fieldManager=innominatus' &&
	since "$m" | grep '"method": "PATCH"' | grep -q 'application/apply-patch+yaml'
check "create again: the same Application (server-side apply, field manager innominatus)" $?

NAME=get wf get get
c run --local "$dir/get.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "uid: $uid" "$dir/out" && grep -q "status: exists" "$dir/out"
check "get: reads it" $?

NAME=upd wf upd update "target_revision: release-2" "sync_policy: manual"
c run --local "$dir/upd.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && app shop && [ "$(field spec.source.targetRevision)" = release-2 ] &&
	[ "$(field spec.source.path)" = manifests ] && [ "$(field spec.syncPolicy.automated)" = null ] &&
	[ "$(field spec.destination.namespace)" = shop ]
check "update: only what the config sets changes (revision; manual drops automated)" $?

m=$(mark)
c run --local --dry-run "$dir/create.yaml" --param app=dryrun >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && ! app dryrun && since "$m" | grep '"method": "PATCH"' | grep -q 'dryRun=All' &&
	! since "$m" | grep '"method": "PATCH"' | grep -vq 'dryRun=All'
check "dry-run create: the API server's dryRun=All; nothing is stored" $?

NAME=del wf del delete "cascade: false"
m=$(mark)
c run --local --dry-run "$dir/del.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && app shop && since "$m" | grep '"method": "DELETE"' | grep -q 'dryRun=All'
check "dry-run delete: dryRun=All; the Application stays" $?

m=$(mark)
c run --local "$dir/del.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && ! app shop && grep -q "status: deleted" "$dir/out" &&
	! since "$m" | grep -q 'resources-finalizer'
check "delete without cascade: gone, no finalizer set" $?

c run --local "$dir/del.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "status: absent" "$dir/out" && grep -q "does not exist; nothing to delete" "$dir/out"
check "delete again: an absent Application is success with a note" $?

# a sync that never comes
start stuck --controller-file "$dir/stuck.json"
NAME=stuck wf stuck create "repo_url: http://g/s.git" "dest_namespace: s" "wait_for_sync: true" \
	"timeout: 2s" "kubeconfig: $kube_config"
c run --local "$dir/stuck.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'timed_out: argocd-app create argocd/shop: not Synced and Healthy within 2s' "$dir/out" &&
	grep -q 'OutOfSync' "$dir/out"
check "wait_for_sync that never syncs: a timeout error naming the last status" $?

# a wrong token
start tok --token good --kubeconfig-auth token --controller-file "$dir/argo.json"
sed 's/token: good/token: wrong-tok-9Zq/' "$kube_config" > "$dir/bad-kc"
NAME=badtok wf badtok get "kubeconfig: $dir/bad-kc"
c run --local "$dir/badtok.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'argocd-app get argocd/shop: .*401' "$dir/out" && ! grep -q 'wrong-tok-9Zq' "$dir/out"
check "a wrong token: a clear 401 step error, the token not shown" $?

# an unknown CA: the kubeconfig without the stand-in's CA
grep -v 'certificate-authority-data' "$KC" > "$dir/noca-kc"
NAME=noca wf noca get "kubeconfig: $dir/noca-kc"
c run --local "$dir/noca.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -qi 'argocd-app get argocd/shop: .*certificate' "$dir/out"
check "TLS: a server certificate from an unknown CA is refused" $?

# unreachable
dead=$(pt_dead_port)
sed "s#server: .*#server: https://127.0.0.1:$dead#" "$KC" > "$dir/dead-kc"
NAME=dead wf dead get "kubeconfig: $dir/dead-kc"
timeout 120 "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" run --local "$dir/dead.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "argocd-app get argocd/shop: .*127.0.0.1:$dead" "$dir/out"
check "an unreachable API server: one clear step error naming it" $?

# hanging and garbage answers for the Applications
start hang --hang-path /apis/argoproj.io/v1alpha1/namespaces --controller-file "$dir/argo.json"
HKC=$kube_config
NAME=slow wf slow get "kubeconfig: $HKC" "timeout: 2s"
timeout 120 "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" run --local "$dir/slow.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "timed_out: argocd-app get argocd/shop: " "$dir/out"
check "an API server that never answers: config.timeout ends the step (timed_out)" $?

NAME=hung wf hung get "kubeconfig: $HKC"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" run --local "$dir/hung.yaml" >"$dir/out" 2>&1 &
cpid=$!
i=0
while ! grep -q '"status": 0' "$dir/hang/stand-in.log" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.3
kill -INT "$cpid"
wait "$cpid"
rc=$?
[ $rc -ne 0 ] && grep -q "cancelled: argocd-app get argocd/shop" "$dir/out"
check "cancellation (SIGINT) during a hanging request ends the step as cancelled" $?

start garbage --garbage-path /apis/argoproj.io/v1alpha1/namespaces
NAME=garb wf garb get "kubeconfig: $kube_config"
c run --local "$dir/garb.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "failed: argocd-app get argocd/shop: " "$dir/out"
check "an API server answering garbage: a clear step error" $?

NAME=evil wf evil create "repo_url: http://g/e.git"
m=$(mark)
c run --local "$dir/evil.yaml" --param 'app=../../etc' >"$dir/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'config.name: "../../etc" is not a valid Kubernetes name' "$dir/out" &&
	[ "$(since "$m" | wc -l)" -eq 0 ]
check "a hostile name from a parameter is refused before any request" $?

# two spellings with different values: a stepPolicy pins one spelling, so
# the step may not win with the other (B03/B04); a template that would win
# over a static value is refused as well
ok=0
NAME=two wf two create "repo_url: http://g/e.git" "appName: other" "dest_namespace: shop"
c run --local "$dir/two.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -qF 'config.name ("{{ .parameters.app }}") and config.appName ("other") are two spellings of one setting with different values' "$dir/out" &&
	! app other || ok=1
NAME=two wf two create "repo_url: http://g/e.git" "dest_namespace: shop"
c run --local "$dir/two.yaml" >"$dir/out" 2>&1
[ $? -eq 0 ] && [ $ok -eq 0 ] && app shop
check "two spellings that differ: refused at load, naming both" $?

NAME=tpl wf tpl get 'kubeconfig: "{{ .parameters.app }}"'
c test-workflow "$dir/tpl.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'config.kubeconfig: must be written out, not a template' "$dir/out"
check "the cluster is never chosen by a parameter: a templated kubeconfig is refused" $?

# which cluster and how it is verified are never a parameter's; null
# unsets the stepDefaults kubeconfig for a step that names kubeconfig_secret
ok=0
for f in kubeconfig_secret context insecure_skip_tls_verify; do
	NAME=tpl wf tpl get "$f: \"{{ .parameters.app }}\""
	c test-workflow "$dir/tpl.yaml" >"$dir/out" 2>&1
	[ $? -eq 3 ] && grep -q "config.$f: must be written out, not a template" "$dir/out" || ok=1
done
cp "$KC" "$dir/kc-secret"
chmod 600 "$dir/kc-secret"
cp "$dir/admin.yaml" "$dir/admin.base"
printf 'secrets:\n  kc: {file: %s}\n' "$dir/kc-secret" >> "$dir/admin.yaml"
NAME=ksec wf ksec get "kubeconfig: null" "kubeconfig_secret: kc"
c run --local "$dir/ksec.yaml" --param app=shop >"$dir/out" 2>&1
[ $? -eq 0 ] && [ $ok -eq 0 ] && grep -q 'status: exists' "$dir/out"
check "kubeconfig_secret, context, insecure_skip_tls_verify from a template are refused; kubeconfig: null unsets the stepDefaults one" $?
cp "$dir/admin.base" "$dir/admin.yaml"

# allowed_namespaces (the platform's stepPolicies): the Application's own
# namespace and its destination, however the config reaches it
printf 'stepPolicies:\n  argocd-app: {allowed_namespaces: [argocd, "team-*"]}\n' >> "$dir/admin.yaml"
cat > "$dir/dest.yaml" <<'WF'
name: dest
parameters:
  - {name: app, type: string, default: fenced}
  - {name: dns, type: string, default: team-a}
  - {name: home, type: string, default: argocd}
steps:
  - name: argo
    type: argocd-app
    config:
      name: "{{ .parameters.app }}"
      argocd_namespace: "{{ .parameters.home }}"
      repo_url: http://g/fenced.git
      dest_namespace: "{{ .parameters.dns }}"
WF
sed 's/^\(      repo_url: .*\)$/\1\n      spec: {destination: {namespace: kube-system}}/' "$dir/dest.yaml" > "$dir/dest-spec.yaml"
ok=0
m=$(mark)
for p in dns=kube-system spec home=kube-system; do
	if [ $p = spec ]; then
		c run --local "$dir/dest-spec.yaml" >"$dir/out" 2>&1
	else
		c run --local "$dir/dest.yaml" --param "$p" >"$dir/out" 2>&1
	fi
	rc=$?
	case $p in
	home=*) want='failed: argocd-app create kube-system/fenced: refused: Application namespace "kube-system" is not in config.allowed_namespaces';;
	*) want='failed: argocd-app create argocd/fenced: refused: destination namespace "kube-system" is not in config.allowed_namespaces';;
	esac
	[ $rc -eq 1 ] && grep -qF "$want" "$dir/out" || { ok=1; echo "# $p: $(tail -2 "$dir/out")"; }
done
! since "$m" | grep -q '"method": "PATCH"' && ! app fenced || ok=1
# every namespace Argo CD deploys into: kustomize/helm namespace of
# spec.source and of each spec.sources[] (B06)
for o in 'source: {kustomize: {namespace: kube-system}}' \
	'sources: [{repoURL: http://g/a.git, path: a}, {repoURL: http://g/b.git, kustomize: {namespace: kube-system}}]' \
	'source: {helm: {namespace: kube-system}}' \
	'sources: [{repoURL: http://g/c.git, chart: c, helm: {namespace: kube-system}}]'; do
	sed "s|^\(      repo_url: .*\)\$|\1\n      spec: {$o}|" "$dir/dest.yaml" > "$dir/dest-src.yaml"
	c run --local "$dir/dest-src.yaml" >"$dir/out" 2>&1
	rc=$?
	[ $rc -eq 1 ] && grep -Eq 'refused: spec\.sources?(\[[0-9]\])?\.(kustomize|helm) namespace "kube-system" is not in config.allowed_namespaces' "$dir/out" ||
		{ ok=1; echo "# $o: $(tail -2 "$dir/out")"; }
done
! since "$m" | grep -q '"method": "PATCH"' && ! app fenced || ok=1
sed 's/^\(      name: .*\)$/\1\n      allowed_namespaces: ["*"]/' "$dir/dest.yaml" > "$dir/widen.yaml"
c test-workflow "$dir/widen.yaml" >"$dir/out" 2>&1
[ $? -eq 3 ] && grep -q 'config.allowed_namespaces: may not be set by a step' "$dir/out" || ok=1
c run --local "$dir/dest.yaml" >"$dir/out" 2>&1
[ $? -eq 0 ] && [ $ok -eq 0 ] && app fenced && [ "$(field spec.destination.namespace)" = team-a ]
check "stepPolicies allowed_namespaces: a destination (flat or through spec), a kustomize/helm namespace (source or sources[]) or an Application namespace outside it is refused before any write; a step cannot set its own; team-a works" $?
cp "$dir/admin.base" "$dir/admin.yaml"

# a pinned dest_namespace and a different spec.destination.namespace (B05)
printf 'stepPolicies:\n  argocd-app: {dest_namespace: team-a}\n' >> "$dir/admin.yaml"
NAME=pin wf pin create "repo_url: http://g/e.git" "spec: {destination: {namespace: kube-system}}"
m=$(mark)
c run --local "$dir/pin.yaml" --param app=pinned >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -qF 'config.spec.destination.namespace "kube-system" contradicts config.dest_namespace "team-a"' "$dir/out" &&
	! since "$m" | grep -q '"method": "PATCH"' && ! app pinned
check "a pinned dest_namespace and a different spec.destination.namespace: refused at load, naming both" $?
cp "$dir/admin.base" "$dir/admin.yaml"

NAME=pol wf pol create "repo_url: http://g/e.git" "sync_policy: sometimes"
c test-workflow "$dir/pol.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'config.sync_policy: "sometimes" is not one of auto, automated, manual, none' "$dir/out"
check "an unknown sync policy is refused at load" $?

# the original's step fields (mapped onto config)
cat > "$dir/legacy.yaml" <<'WF'
name: legacyfields
steps:
  - name: argo
    type: argocd-app
    appName: fields
    repoURL: http://gitea/p/fields.git
    targetPath: deploy
    project: team-a
    syncPolicy: auto
    namespace: fields-ns
    config: {}
WF
c run --local "$dir/legacy.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && app fields && [ "$(field spec.source.path)" = deploy ] && [ "$(field spec.project)" = team-a ] &&
	[ "$(field spec.destination.namespace)" = fields-ns ] && [ "$(field spec.syncPolicy.automated.prune)" = true ] &&
	grep -q 'appName: deprecated' "$dir/out"
check "the original's step fields appName, repoURL, targetPath, project, syncPolicy, namespace are read" $?

# with the spec override and labels
NAME=raw wf raw create "repo_url: http://g/raw.git" "labels: {team: a}" \
	'spec: {source: {helm: {valueFiles: [values-prod.yaml]}}, revisionHistoryLimit: 3}'
c run --local "$dir/raw.yaml" --param app=raw >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && app raw && [ "$(field spec.source.helm.valueFiles.0)" = values-prod.yaml ] &&
	[ "$(field spec.revisionHistoryLimit)" = 3 ] && [ "$(field spec.source.repoURL)" = http://g/raw.git ] &&
	[ "$(field metadata.labels.team)" = a ]
check "config.spec is merged over the built spec; labels added" $?

# once through the server
if pt_server argo-team "$dir/create.yaml"; then
	INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key" "$ctl" run argo-team/create \
		--param app=viaserver >"$dir/out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && app viaserver && grep -q "uid: $(field metadata.uid)" "$dir/out" &&
		grep -q "sync_status: Synced" "$dir/out"
	check "through the server: the Application is applied and synced, outputs come back" $?
	pt_server_stop
else
	check "through the server: the Application is applied and synced, outputs come back" 1
fi

! grep -rqF -e "$(sed -n 's/.*client-key-data: //p' "$KC" | head -c 40)" "$dir"/out "$dir/server.log" "$dir/srv/data"
check "the client key is in no output, log or store" $?
exit $fail
