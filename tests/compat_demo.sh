#!/bin/sh
# compat_demo.sh - the original innominatus's four demo providers
# (../shared/compat/providers or $INN_COMPAT_DIR: container-team,
# database-team, storage-team, vault-team), unchanged, load with the real
# plugins (kubernetes, policy on shell.so, argocd-app, gitea-repo) and
# their create workflows run against the stand-ins and a real S3 server:
#
#   Kubernetes   tests/standins/kube_apiserver.py over TLS with a client
#                certificate, the operators' CRDs (crds.yaml) and the
#                controller rules below (the Zalando operator's status and
#                credentials secrets, Vault Secrets Operator, Argo CD); the
#                policy steps' `kubectl` is the real kubectl
#   S3           a real Ceph RGW (tests/s3/rgw.sh) with the demo's keys
#                minioadmin/minioadmin; the scripts' `mc` is
#                tests/standins/bin/mc, a STAND-IN for the MinIO client
#                speaking the S3 API (SigV4) -- mc is not packaged here
#   Vault        tests/standins/vault_server.py with the demo's dev token
#                `root`; the scripts' `vault` is tests/standins/bin/vault,
#                a STAND-IN for the Vault CLI speaking Vault's HTTP API
#   Gitea        tests/standins/gitea_server.py with the demo's admin user
#   *.localtest.me  the demo's ingress host names (hard-coded in the
#                scripts): tests/standins/ingress_proxy.py routes them by
#                Host to the services above, named as the steps' HTTP proxy
#                (http_proxy, honoured by curl, git and the Go CLIs)
#
# The platform team's side is the admin config: stepDefaults give every
# kubernetes/argocd-app step the kubeconfig and every policy (shell) step
# KUBECONFIG, http_proxy and GITEA_TOKEN (from a secret, masked); PATH
# holds tests/standins/bin as a machine would hold the real CLIs.  Each
# create workflow runs with `innominatus-ctl run --local` (a Score spec's
# resource where the workflow reads the engine's standard inputs), and the
# database-team's own example Score spec runs once through the server.
# What a user would see is asserted on the services: the objects on the
# Kubernetes stand-in, the bucket on RGW, the policy and role on Vault,
# the repository on Gitea.  What cannot run is a TAP skip naming why (the
# file's own defect, or a wait no Argo CD ever ends); COMPAT_DEMO_SLOW=1
# runs provision-argocd-app's 300 s wait too.  Prints TAP; skipped without
# the compat folder, python3-cryptography, kubectl or jq.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
compat=${INN_COMPAT_DIR:-$src/../shared/compat}
if [ ! -d "$compat/providers/database-team" ]; then
	echo "1..0 # SKIP compat folder absent: $compat (set INN_COMPAT_DIR)"
	exit 0
fi
if ! python3 -c 'import cryptography' 2>/dev/null; then
	echo "1..0 # SKIP python3 with python3-cryptography is needed (TLS of the Kubernetes stand-in)"
	exit 0
fi
for t in kubectl jq; do
	if ! command -v $t >/dev/null 2>&1; then
		echo "1..0 # SKIP $t is not installed (the original's policy scripts call it)"
		exit 0
	fi
done
compat=$(cd "$compat" && pwd)
prov=$compat/providers
standins=$src/tests/standins
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-demo-XXXXXX")
chmod 755 "$dir"
spid=""
bg=""
rgw=""
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	for p in $bg; do kill "$p" 2>/dev/null; done
	[ -n "$rgw" ] && sh "$src/tests/s3/rgw.sh" stop "$dir/rgw"
	wait 2>/dev/null
	if [ -n "${COMPAT_DEMO_KEEP:-}" ]; then echo "# kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
mkdir -p "$dir/plugins" "$dir/home" "$dir/cwd" "$dir/data" "$dir/demo-app/workflows"
chmod 755 "$dir/plugins"
for p in shell kubernetes argocd-app gitea-repo; do
	install -m 755 "$build/plugins/$p/.libs/$p.so" "$dir/plugins/$p.so"
done
. "$src/tests/ctl_lib.sh"
. "$standins/kube_lib.sh"
export HOME="$dir/home"
export PATH="$standins/bin:$PATH"
unset INNOMINATUS_SERVER INNOMINATUS_TOKEN KUBECONFIG http_proxy https_proxy HTTP_PROXY no_proxy

# --- the services -------------------------------------------------------------
# the operators' controllers: the Zalando operator reports Running and
# writes a credentials secret per user, named as the operator names it
# ({user}.{cluster}.credentials.postgresql.acid.zalan.do); the Vault
# Secrets Operator marks a VaultAuth valid; Argo CD reports an Application
# Synced and Healthy.  Each fires at once (after_ms 0), before the
# workflows' first 10 s poll.
cat >"$dir/controllers.json" <<'J'
[
  {"kind": "postgresql", "group": "acid.zalan.do", "after_ms": 0,
   "set": {"status": {"PostgresClusterStatus": "Running"}},
   "create": [
     {"for_each": ".spec.users",
      "object": {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                 "metadata": {"name": "{{key_dns}}.{{name}}.credentials.postgresql.acid.zalan.do",
                              "labels": {"application": "spilo", "cluster-name": "{{name}}",
                                         "team": "{{.spec.teamId}}"}},
                 "stringData": {"username": "{{key}}", "password": "{{random}}"}}}]},
  {"kind": "VaultAuth", "group": "secrets.hashicorp.com", "after_ms": 0,
   "set": {"status": {"valid": true, "error": ""}}},
  {"kind": "Application", "group": "argoproj.io", "after_ms": 0,
   "set": {"status": {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}}}
]
J
# the cluster as the demo had it: Argo CD installed in its namespace
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: argocd}\n' >"$dir/cluster.yaml"
if ! kube_start "$dir/kube" --gen-certs "$dir/certs" --crd-file "$standins/crds.yaml" \
	--controller-file "$dir/controllers.json" --objects "$dir/cluster.yaml"; then
	echo "1..0 # SKIP the Kubernetes stand-in did not start"
	exit 0
fi
bg="$bg $kube_pid"
kc=$kube_config

start_py() { # NAME SCRIPT ARGS...: a Python stand-in on a free port -> $port
	_n=$1
	shift
	python3 "$@" --port 0 --port-file "$dir/$_n.port" --log "$dir/$_n.log" 2>"$dir/$_n.err" &
	bg="$bg $!"
	_i=0
	while [ ! -s "$dir/$_n.port" ] && [ $_i -lt 200 ]; do _i=$((_i + 1)); sleep 0.05; done
	port=$(cat "$dir/$_n.port" 2>/dev/null)
	[ -n "$port" ]
}
start_py vault "$standins/vault_server.py" --token root || { cat "$dir/vault.err" >&2; exit 1; }
vport=$port
gtoken=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
start_py gitea "$standins/gitea_server.py" --user giteaadmin --password admin123 \
	--token "$gtoken" --org platform || { cat "$dir/gitea.err" >&2; exit 1; }
gport=$port
printf '%s\n' "$gtoken" >"$dir/gitea-token"
chmod 600 "$dir/gitea-token"

# the real S3 server, with the demo's MinIO keys as an RGW user; it sits
# behind the ingress, so it knows its public name (RGW_DNS_NAME: else RGW
# reads the Host minio.localtest.me as a bucket name)
s3=""
# (twice more when it did not come up: its free ports may be taken meanwhile)
RGW_DNS_NAME=minio.localtest.me sh "$src/tests/s3/rgw.sh" start "$dir/rgw" $$ >"$dir/rgw.out" 2>&1
rc=$?
for again in 1 2; do
	[ $rc = 1 ] || break
	RGW_DNS_NAME=minio.localtest.me sh "$src/tests/s3/rgw.sh" start "$dir/rgw" $$ >>"$dir/rgw.out" 2>&1
	rc=$?
done
case $rc in
0)
	rgw=1
	. "$dir/rgw/env"
	if CEPH_CONF="$dir/rgw/ceph.conf" radosgw-admin user create --uid=minio --display-name=minio \
		--access-key=minioadmin --secret-key=minioadmin >>"$dir/rgw.out" 2>&1; then
		s3=${RGW_URL#http://}
	else
		s3_why="radosgw-admin could not create the demo's minioadmin user (see rgw.out)"
	fi ;;
77) s3_why="Ceph RGW is not installed (radosgw, ceph-mon, ceph-osd)" ;;
*) s3_why="the Ceph RGW did not start: $(tail -1 "$dir/rgw.out")" ;;
esac

routes="--route gitea.localtest.me=127.0.0.1:$gport --route vault.localtest.me=127.0.0.1:$vport"
[ -n "$s3" ] && routes="$routes --route minio.localtest.me=$s3"
# shellcheck disable=SC2086
start_py ingress "$standins/ingress_proxy.py" $routes || { cat "$dir/ingress.err" >&2; exit 1; }
proxy=http://127.0.0.1:$port

# --- the platform team's admin config ---------------------------------------------
admin_body() {
	cat <<CONF
providers:
  - {name: container-team, type: filesystem, path: $prov/container-team, enabled: true}
  - {name: database-team, type: filesystem, path: $prov/database-team, enabled: true}
  - {name: storage-team, type: filesystem, path: $prov/storage-team, enabled: true}
  - {name: vault-team, type: filesystem, path: $prov/vault-team, enabled: true}
  - {name: demo-app, type: filesystem, path: $dir/demo-app, enabled: true}
workflowPolicies:
  maxWorkflowDuration: 30m
  allowedStepTypes: [kubernetes, policy, argocd-app, gitea-repo]
secrets:
  gitea-token: {file: $dir/gitea-token}
stepDefaults:
  kubernetes: {kubeconfig: $kc}
  argocd-app: {kubeconfig: $kc}
  # the platform's Gitea: the original delete-gitea-repo templates gitea_url,
  # which decides where the token goes, so the platform's url is used
  gitea-repo: {url: "http://gitea.localtest.me", token_secret: gitea-token}
  shell:
    env:
      KUBECONFIG: $kc
      http_proxy: $proxy
      no_proxy: 127.0.0.1,localhost
      GITEA_TOKEN: "\${secrets.gitea-token}"
CONF
}
admin_body >"$dir/admin.yaml"
# the application's own main workflow for Score runs (ours, not the original's)
cat >"$dir/demo-app/provider.yaml" <<'P'
name: demo-app
version: 1.0.0
workflows_dir: workflows
P
cat >"$dir/demo-app/workflows/deploy.yaml" <<'W'
name: deploy
steps:
  - {name: deployed, type: policy, config: {script: "echo deployed"}}
W

inn() { # innominatus-ctl with the test's plugins and admin config
	(cd "$dir/cwd" && "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" "$@")
}
spec() { # FILE APP RESOURCE TYPE [PARAMS-YAML]
	cat >"$1" <<S
apiVersion: score.dev/v1b1
metadata: {name: $2}
containers: {web: {image: "nginx:1.25"}}
resources:
  $3: {type: $4, properties: {${5:-}}}
S
}
kget() { # kubectl get ... against the stand-in
	kubectl --kubeconfig "$kc" get "$@" 2>>"$dir/kubectl.err"
}
s3req() { # METHOD PATH: a SigV4-signed request to RGW with the demo's keys (curl signs a
	# query right only as NAME=VALUE: ?versioning=); body, then the status, on stdout
	curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user minioadmin:minioadmin \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X "$1" -w '\n%{http_code}' "$RGW_URL$2"
}
vget() { # PATH: GET from the Vault stand-in
	curl -s -H "X-Vault-Token: root" "http://127.0.0.1:$vport/v1/$1"
}
jq_ok() { # FILE JQ-EXPR: the expression is true of the JSON in FILE
	jq -e "$2" "$1" >/dev/null 2>&1
}
show() { # LOG: a failing check shows the last lines of LOG (load warnings left out)
	grep -v ': warning: ' "$1" 2>/dev/null | tail -25 >"$dir/show"
	CHECK_SHOW="$dir/show"
}
step_status() { # LOG STEP: the last state line of STEP in a run's log
	sed -n "s|^[0-9][0-9:]*  *$2  *\([a-z-]*\).*|\1|p" "$1" | tail -1
}

echo "1..28"

# --- loading ----------------------------------------------------------------------
for p in container-team database-team storage-team vault-team; do
	inn validate-provider "$prov/$p" >"$dir/validate-$p" 2>&1
	rc=$?
	show "$dir/validate-$p"
	[ $rc -eq 0 ] && grep -q "^provider $p 1.0.0: valid" "$dir/validate-$p" &&
		! grep -q ": error: " "$dir/validate-$p"
	check "$p loads with the real plugins: every workflow valid, no error" $?
done

# --- database-team: its slow get-credentials step (sleep 5, then 30 polls
# of 2 s for a secret the operator never writes) runs in the background,
# beside the rest: run --local, and the team's own example through the server
spec "$dir/db.yaml" inventory db postgres 'size: small, replicas: 1, version: "16"'
inn run --local demo-app/deploy "$dir/db.yaml" >"$dir/db.log" 2>&1 &
dbpid=$!
bg="$bg $dbpid"

server_conf "$dir/srv.yaml" "$dir"
admin_body >>"$dir/srv.yaml"
key=$("$build/innominatus" --config "$dir/srv.yaml" --create-admin-key demo 2>"$dir/key.err")
if start_server "$dir/srv.yaml" "$dir/server.log"; then
	INNOMINATUS_SERVER=$url INNOMINATUS_TOKEN=$key \
		"$ctl" run demo-app/deploy "$prov/database-team/examples/score-postgres-app.yaml" \
		>"$dir/srvdb.out" 2>&1 &
	srvdbpid=$!
	bg="$bg $srvdbpid"
else
	srvdbpid=""
fi

# --- container-team -------------------------------------------------------------
inn run --local container-team/provision-namespace --param namespace_name=team-a \
	>"$dir/ns.log" 2>&1
rc=$?
show "$dir/ns.log"
[ $rc -eq 0 ] && grep -q "Workflow provision-namespace succeeded" "$dir/ns.log" &&
	[ "$(kget namespace team-a -o jsonpath='{.metadata.labels.managed-by}')" = innominatus ] &&
	[ "$(kget resourcequota resource-quota -n team-a -o jsonpath='{.spec.hard.pods}')" = 20 ] &&
	[ "$(kget networkpolicy default-deny-ingress -n team-a -o jsonpath='{.spec.policyTypes[0]}')" = Ingress ]
check "container-team/provision-namespace runs: namespace, ResourceQuota and NetworkPolicy on the cluster" $?

inn run --local container-team/provision-gitea-repo --param repo_name=orders \
	--param org_name=platform >"$dir/repo.log" 2>&1
rc=$?
show "$dir/repo.log"
code=$(curl -s -o "$dir/repo.json" -w '%{http_code}' -H "Authorization: token $gtoken" \
	"http://127.0.0.1:$gport/api/v1/repos/platform/orders")
[ $rc -eq 0 ] && grep -q "Workflow provision-gitea-repo succeeded" "$dir/repo.log" &&
	grep -q "Repository created successfully" "$dir/repo.log" && [ "$code" = 200 ] &&
	jq_ok "$dir/repo.json" '.full_name == "platform/orders"' &&
	grep -q "POST http://gitea.localtest.me/api/v1/orgs/platform/repos" "$dir/ingress.log"
check "container-team/provision-gitea-repo runs: its curl reaches Gitea at gitea.localtest.me, the repository exists" $?

inn run --local container-team/provision-argocd-app --dry-run --param app_name=orders \
	--param namespace=team-a --param repo_url=http://gitea.localtest.me/platform/orders.git \
	>"$dir/argo-dry.log" 2>&1
rc=$?
show "$dir/argo-dry.log"
[ $rc -eq 0 ] && [ "$(step_status "$dir/argo-dry.log" create-argocd-app)" = would-run ] &&
	! kget application orders -n argocd >/dev/null 2>&1
check "container-team/provision-argocd-app dry-run: the Application passes the cluster's server-side dry run, nothing is written" $?
if [ "${COMPAT_DEMO_SLOW:-}" = 1 ]; then
	inn run --local container-team/provision-argocd-app --param app_name=orders \
		--param namespace=team-a --param repo_url=http://gitea.localtest.me/platform/orders.git \
		>"$dir/argo.log" 2>&1
	rc=$?
	show "$dir/argo.log"
	[ $rc -eq 0 ] &&
		[ "$(kget application orders -n argocd -o jsonpath='{.spec.destination.namespace}')" = team-a ] &&
		[ "$(kget application orders -n argocd -o jsonpath='{.spec.source.repoURL}')" = http://gitea.localtest.me/platform/orders.git ]
	check "container-team/provision-argocd-app runs: the Application is on the cluster (after kubectl wait's 300 s)" $?
else
	n=$((n + 1))
	echo "ok $n # SKIP container-team/provision-argocd-app (a real run): its wait-for-sync is 'kubectl wait --for=condition=Synced --timeout=300s || true', a condition Argo CD never sets (it reports .status.sync.status), so it always waits 300 s; COMPAT_DEMO_SLOW=1 runs it"
fi

inn run --local container-team/provision-container --param app_name=shop-web \
	--param team_id=platform --param container_image=nginx:1.25 >"$dir/container.log" 2>&1
rc=$?
show "$dir/container.log"
[ $rc -eq 1 ] && [ "$(step_status "$dir/container.log" create-namespace)" = succeeded ] &&
	[ "$(step_status "$dir/container.log" create-git-repo)" = succeeded ] &&
	[ "$(kget namespace shop-web -o jsonpath='{.metadata.labels.team}')" = platform ] &&
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: token $gtoken" \
		"http://127.0.0.1:$gport/api/v1/repos/platform/shop-web")" = 200 ]
check "container-team/provision-container: create-namespace and create-git-repo run (namespace, repository exist)" $?
[ "$(step_status "$dir/container.log" generate-manifests)" = failed ] &&
	grep -q "steps.create-git-repo.outputs.clone_url is not defined" "$dir/container.log"
check "container-team/provision-container then fails at generate-manifests, naming steps.create-git-repo.outputs.clone_url: create-git-repo only prints it as JSON (the file's defect; upstream failed there too)" $?
inn run --local demo-app/deploy "$prov/container-team/examples/score-container-with-database.yaml" \
	--dry-run >"$dir/cspec.log" 2>&1
rc=$?
show "$dir/cspec.log"
[ $rc -eq 3 ] && grep -q 'score-container-with-database.yaml:[0-9]*:[0-9]*: error: resource "app": its type "container" (workflow provision-container) has no parameter "namespace"' "$dir/cspec.log"
check "container-team's example Score spec is refused at load: its container resource sets namespace, which provision-container does not declare (it takes namespace_name; the example's defect)" $?
n=$((n + 1))
echo "ok $n # SKIP container-team/provision-container's create-argocd-app and wait-for-sync: not reached (generate-manifests needs create-git-repo's printed JSON as outputs, and a git server behind Gitea; the Gitea stand-in serves the API only)"
! grep -qF "$gtoken" "$dir"/*.log "$dir/kubectl.err" 2>/dev/null
check "the Gitea token (a secret in GITEA_TOKEN) appears in no step log" $?

# --- storage-team -----------------------------------------------------------------
if [ -n "$s3" ]; then
	spec "$dir/s3.yaml" shop assets s3
	inn run --local demo-app/deploy "$dir/s3.yaml" >"$dir/s3.log" 2>&1
	rc=$?
	show "$dir/s3.log"
	[ "$(step_status "$dir/s3.log" create-minio-bucket)" = succeeded ] &&
		[ "$(step_status "$dir/s3.log" generate_credentials)" = succeeded ] &&
		[ "$(step_status "$dir/s3.log" create_namespace)" = succeeded ] &&
		grep -q "Bucket created successfully \`minio/shop-assets\`" "$dir/s3.log" &&
		grep -q "PUT http://minio.localtest.me/shop-assets " "$dir/ingress.log"
	check "storage-team/provision-s3-bucket for a Score spec's s3 resource: create-minio-bucket (mc through minio.localtest.me), generate_credentials, create_namespace run" $?
	s3req HEAD /shop-assets >"$dir/head" 2>&1
	s3req GET "/shop-assets?versioning=" >"$dir/ver" 2>&1
	s3req GET "/shop-assets?policy=" >"$dir/pol" 2>&1
	show "$dir/ver"
	[ "$(tail -1 "$dir/head")" = 200 ] && grep -q "<Status>Enabled</Status>" "$dir/ver" &&
		[ "$(tail -1 "$dir/pol")" = 404 ] && grep -q NoSuchBucketPolicy "$dir/pol" &&
		[ "$(kget namespace shop-default -o jsonpath='{.metadata.labels.app}')" = shop ]
	check "RGW holds bucket shop-assets (versioning Enabled, no anonymous policy: mc anonymous set none); the cluster namespace shop-default" $?
	show "$dir/s3.log"
	[ $rc -eq 1 ] && [ "$(step_status "$dir/s3.log" store-credentials-in-namespace)" = failed ] &&
		grep -q "steps.generate_credentials.outputs.access_key is not defined" "$dir/s3.log" &&
		! kget secret shop-assets-s3-credentials -n shop-default >/dev/null 2>&1
	check "storage-team/provision-s3-bucket then fails at store-credentials-in-namespace, naming steps.generate_credentials.outputs.access_key: generate_credentials only prints it as JSON (the file's defect; upstream rendered <no value> and went on)" $?
	n=$((n + 1))
	echo "ok $n # SKIP storage-team: Secret shop-assets-s3-credentials is not written (the step above); its access keys never were outputs"
else
	for d in "provision-s3-bucket runs" "RGW holds the bucket" "the credentials Secret" "credentials"; do
		n=$((n + 1))
		echo "ok $n # SKIP storage-team/$d: $s3_why"
	done
fi

# --- vault-team: into shop-default, the namespace storage-team made (or make it)
kget namespace shop-default >/dev/null 2>&1 ||
	inn run --local container-team/provision-namespace --param namespace_name=shop-default >"$dir/ns2.log" 2>&1
spec "$dir/vault.yaml" shop secrets vault-space
inn run --local demo-app/deploy "$dir/vault.yaml" >"$dir/vault-run.log" 2>&1
rc=$?
show "$dir/vault-run.log"
[ $rc -eq 0 ] && grep -q "Workflow deploy succeeded" "$dir/vault-run.log" &&
	grep -q "Success! Uploaded policy: shop-read" "$dir/vault-run.log" &&
	grep -q "Success! Data written to: auth/kubernetes/role/shop" "$dir/vault-run.log"
check "vault-team/provision-vault-space runs for a Score spec's vault-space resource (vault through vault.localtest.me)" $?
vget sys/policies/acl/shop-read >"$dir/v-pol"
vget auth/kubernetes/role/shop >"$dir/v-role"
vget auth/kubernetes/config >"$dir/v-conf"
vget sys/auth >"$dir/v-auth"
show "$dir/v-role"
jq_ok "$dir/v-pol" '.data.policy | contains("secret/data/shop/*")' &&
	jq_ok "$dir/v-role" '.data.bound_service_account_namespaces == ["shop-default"] and .data.token_policies == ["shop-read"] and .data.token_ttl == 86400' &&
	jq_ok "$dir/v-conf" ".data.kubernetes_host == \"$kube_url\"" &&
	jq_ok "$dir/v-auth" '.data["kubernetes/"].type == "kubernetes"'
check "Vault holds policy shop-read, kubernetes auth (config naming the cluster) and role shop bound to shop-default" $?
grep -q "path is already in use at secret/" "$dir/vault-run.log" &&
	grep -q "KV engine may already exist" "$dir/vault-run.log" &&
	vget sys/mounts | jq -e '.data["secret/"].options.version == "2"' >/dev/null
check "its 'vault secrets enable -path=secret/shop' is refused as by a dev Vault (secret/ is a KV v2 mount) and the script goes on, as upstream" $?
show "$dir/kubectl.err"
[ "$(kget vaultconnection shop-vault-connection -n shop-default -o jsonpath='{.spec.address}')" = http://vault.vault.svc.cluster.local:8200 ] &&
	[ "$(kget vaultauth shop-vault-auth -n shop-default -o jsonpath='{.spec.kubernetes.role}')" = shop ] &&
	[ "$(kget vaultauth shop-vault-auth -n shop-default -o jsonpath='{.status.valid}')" = true ]
check "the cluster holds VaultConnection and VaultAuth (role shop; the operator marks it valid)" $?

# --- database-team: the two runs started above ---------------------------------------
wait $dbpid
rc=$?
show "$dir/db.log"
[ $rc -eq 0 ] && grep -q "Workflow deploy succeeded" "$dir/db.log" &&
	[ "$(step_status "$dir/db.log" wait-for-database)" = succeeded ] &&
	grep -q "PostgreSQL cluster is running and ready" "$dir/db.log"
check "database-team/provision-postgres runs for a Score spec's postgres resource (kubectl sees the operator's Running)" $?
show "$dir/kubectl.err"
[ "$(kget postgresql inventory-db -n inventory -o jsonpath='{.spec.numberOfInstances}')" = 1 ] &&
	[ "$(kget postgresql inventory-db -n inventory -o jsonpath='{.spec.postgresql.version}')" = 16 ] &&
	[ "$(kget postgresql inventory-db -n inventory -o jsonpath='{.spec.volume.size}')" = 5Gi ] &&
	[ "$(kget postgresql inventory-db -n inventory -o jsonpath='{.spec.databases.db}')" = db_owner ] &&
	kget secret db-app.inventory-db.credentials.postgresql.acid.zalan.do -n inventory >/dev/null
check "the cluster holds postgresql inventory-db as the spec asked (1 instance, version 16, small: 5Gi) and the operator's secrets" $?
n=$((n + 1))
echo "ok $n # SKIP database-team: username/password outputs are empty: get-credentials reads secret inventory-db.db-app.credentials, the Zalando operator writes db-app.inventory-db.credentials.postgresql.acid.zalan.do, and the script prints JSON, never outputs (the file's defects, as upstream)"

if [ -n "$srvdbpid" ]; then
	wait $srvdbpid
	rc=$?
	show "$dir/srvdb.out"
	[ $rc -eq 0 ] && grep -q "succeeded" "$dir/srvdb.out"
	check "through the server: database-team's own example Score spec (score-postgres-app.yaml) deploys" $?
	show "$dir/kubectl.err"
	[ "$(kget postgresql my-app-db -n my-app -o jsonpath='{.spec.numberOfInstances}')" = 2 ] &&
		[ "$(kget postgresql my-app-db -n my-app -o jsonpath='{.spec.volume.size}')" = 20Gi ] &&
		[ "$(kget postgresql my-app-db -n my-app -o jsonpath='{.status.PostgresClusterStatus}')" = Running ]
	check "through the server: postgresql my-app-db on the cluster (2 instances, medium: 20Gi, Running)" $?
	INNOMINATUS_SERVER=$url INNOMINATUS_TOKEN=$key "$ctl" -o json status 1 >"$dir/srv-status.json" 2>&1
	show "$dir/srv-status.json"
	jq_ok "$dir/srv-status.json" '[.steps[] | select(.name | startswith("db/")) | .status] | length == 4 and all(. == "succeeded")'
	check "through the server: the execution records db/create-namespace ... db/get-credentials succeeded" $?
else
	show "$dir/server.log"
	for d in 1 2 3; do check "the server started" 1; done
fi
! grep -qF "$gtoken" "$dir"/*.log "$dir"/*.out "$dir/data/inn.db" 2>/dev/null
check "no Gitea token in any log, output or the server's store" $?
exit $fail
