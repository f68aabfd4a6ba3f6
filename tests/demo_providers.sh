#!/bin/sh
# demo_providers.sh - the demo providers (providers/: container-, database-,
# storage- and vault-team) and the golden paths (workflows/) as a user
# drives them, with the real plugins and the admin config giving every
# connection (stepDefaults/secrets), against:
#
#   Kubernetes  tests/standins/kube_apiserver.py, a STAND-IN (plain HTTP),
#               the operators' CRDs (crds.yaml) and controller rules
#               (kube_controllers.json: the Zalando operator reports
#               Running and writes the credentials Secrets; VSO, Argo CD)
#   Vault       tests/standins/vault_server.py, a STAND-IN
#   Gitea       tests/standins/gitea_server.py, a STAND-IN
#   S3          a real Ceph RGW (tests/s3/rgw.sh); its checks are skipped
#               when radosgw is not installed
#
# Asserted on the services themselves: every provider passes
# validate-provider; the product guide's `run --local
# database-team/create-postgres examples/dev-team-app.yaml` leaves the
# postgresql CR (Running), the operator's credentials in Vault KV and the
# VSO objects, and no password in any log; storage-team/create-bucket makes
# a versioned bucket with a policy and the app's keys in Vault;
# vault-team/create-secrets the KV path with generated values;
# container-team/create-app the Deployment, Service, repository and Argo CD
# Application, and its smoke-check passes; the delete workflows remove
# all of it; the golden paths list with their typed parameters (CLI and
# GET /api/golden-paths/onboard-dev-team) and onboard-dev-team's dry-run
# shows every step.  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 (the stand-ins) not found"; exit 0; }
python3 -c 'import yaml' 2>/dev/null || { echo "1..0 # SKIP python3-yaml (the Kubernetes stand-in) not found"; exit 0; }
standins=$src/tests/standins
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-demoprov-XXXXXX")
chmod 755 "$dir"
bg=""
spid=""
rgw=""
cleanup() {
	[ -n "$spid" ] && kill "$spid" 2>/dev/null
	for p in $bg; do kill "$p" 2>/dev/null; done
	[ -n "$rgw" ] && sh "$src/tests/s3/rgw.sh" stop "$dir/rgw"
	wait 2>/dev/null
	if [ -n "${DEMO_PROVIDERS_KEEP:-}" ]; then echo "# kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT
mkdir -p "$dir/plugins" "$dir/data" "$dir/logs"
chmod 755 "$dir/plugins"
for p in shell kubernetes vault-setup minio gitea-repo argocd-app; do
	install -m 755 "$build/plugins/$p/.libs/$p.so" "$dir/plugins/$p.so"
done
. "$src/tests/ctl_lib.sh"
. "$standins/kube_lib.sh"
unset INNOMINATUS_SERVER INNOMINATUS_TOKEN KUBECONFIG http_proxy https_proxy HTTP_PROXY

# --- the services -------------------------------------------------------------
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: argocd}\n' >"$dir/cluster.yaml"
if ! kube_start "$dir/kube" --crd-file "$standins/crds.yaml" \
	--controller-file "$standins/kube_controllers.json" --objects "$dir/cluster.yaml" \
	--finalizer-ms 100; then
	echo "1..0 # SKIP the Kubernetes stand-in did not start"
	exit 0
fi
bg="$bg $kube_pid"

start_py() { # NAME SCRIPT ARGS...: a Python stand-in on a free port -> $port
	_n=$1
	shift
	python3 "$@" --port 0 --port-file "$dir/$_n.port" --pid-watch $$ 2>"$dir/$_n.err" &
	bg="$bg $!"
	_i=0
	while [ ! -s "$dir/$_n.port" ] && [ $_i -lt 200 ]; do _i=$((_i + 1)); sleep 0.05; done
	port=$(cat "$dir/$_n.port" 2>/dev/null)
	[ -n "$port" ]
}
vtoken="hvs.demo-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
start_py vault "$standins/vault_server.py" --token "$vtoken" --log "$dir/vault.log" ||
	{ cat "$dir/vault.err" >&2; exit 1; }
vaddr=http://127.0.0.1:$port
gtoken=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
start_py gitea "$standins/gitea_server.py" --token "$gtoken" --user giteaadmin --org platform \
	--log "$dir/gitea.log" || { cat "$dir/gitea.err" >&2; exit 1; }
gaddr=http://127.0.0.1:$port
umask 077
printf '%s\n' "$vtoken" >"$dir/vault-token"
printf '%s\n' "$gtoken" >"$dir/gitea-token"
umask 022

# the real S3 server (twice more when it did not come up: its free ports may be taken meanwhile)
s3_why=""
sh "$src/tests/s3/rgw.sh" start "$dir/rgw" $$ >"$dir/rgw.out" 2>&1
rc=$?
for again in 1 2; do
	[ $rc = 1 ] || break
	sh "$src/tests/s3/rgw.sh" start "$dir/rgw" $$ >>"$dir/rgw.out" 2>&1
	rc=$?
done
case $rc in
0) rgw=1; . "$dir/rgw/env"
   umask 077; printf '%s' "$RGW_ADMIN_SECRET" >"$dir/s3-secret-key"; umask 022 ;;
77) s3_why="Ceph RGW is not installed (radosgw, ceph-mon, ceph-osd: scripts/deps.sh)" ;;
*) s3_why="the Ceph RGW did not start: $(tail -1 "$dir/rgw.out")" ;;
esac

# --- the platform team's admin config: every connection, no workflow names one
{
	cat <<CONF
workflowPolicies:
  allowedStepTypes: [shell, kubernetes, vault-setup, minio, gitea-repo, argocd-app]
secrets:
  vault-token: {file: $dir/vault-token}
  gitea-token: {file: $dir/gitea-token}
CONF
	[ -n "$rgw" ] && echo "  s3-secret-key: {file: $dir/s3-secret-key}"
	cat <<CONF
stepDefaults:
  kubernetes: {kubeconfig: $kube_config}
  argocd-app: {kubeconfig: $kube_config}
  vault-setup: {address: "$vaddr", token_secret: vault-token}
  gitea-repo: {url: "$gaddr", token_secret: gitea-token, org: platform}
CONF
	[ -n "$rgw" ] && echo "  minio: {endpoint: \"$RGW_URL\", access_key: $RGW_ADMIN_KEY, secret_key_secret: s3-secret-key, credentials: rgw}"
} >"$dir/admin.yaml"

inn() { # innominatus-ctl with the test's plugins, admin config, providers and golden paths
	"$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" --providers "$src/providers" \
		--goldenpaths "$src/workflows/goldenpaths.yaml" "$@"
}
kget() { # API-PATH: GET from the Kubernetes stand-in -> body on stdout, fails unless 200
	curl -sf "$kube_url$1"
}
vget() { # PATH: GET from the Vault stand-in -> body on stdout; $dir/vcode the status
	curl -s -o "$dir/vget" -w '%{http_code}' -H "X-Vault-Token: $vtoken" "$vaddr/v1/$1" >"$dir/vcode"
	cat "$dir/vget"
}
s3req() { # METHOD PATH: a SigV4-signed request to RGW (the admin's keys); body, then the status
	curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$RGW_ADMIN_KEY:$RGW_ADMIN_SECRET" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X "$1" -w '\n%{http_code}' "$RGW_URL$2"
}
pyjson() { # EXPR: a Python expression over d (the JSON on stdin) must be true
	python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)" 2>/dev/null
}
show() { # LOG: a failing check shows the last lines of LOG
	tail -25 "$1" >"$dir/show" 2>/dev/null
	CHECK_SHOW="$dir/show"
}
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

echo "1..35"

# --- loading ----------------------------------------------------------------------
for p in container-team database-team storage-team vault-team; do
	inn validate-provider "$src/providers/$p" >"$dir/validate-$p" 2>&1
	rc=$?
	show "$dir/validate-$p"
	[ $rc -eq 0 ] && grep -q "^provider $p 2.0.0: valid, [0-9]* workflow(s), resource types: " "$dir/validate-$p" &&
		! grep -q ': error: ' "$dir/validate-$p"
	check "$p passes validate-provider with the real plugin directory and the platform's admin config" $?
done

inn -o json list-goldenpaths >"$dir/gp.json" 2>"$dir/gp.err"
rc=$?
show "$dir/gp.err"
[ $rc -eq 0 ] && pyjson '
{g["name"] for g in d} >= {"onboard-dev-team", "deploy-app", "ephemeral-env", "db-lifecycle"} and
all(g.get("description") and g.get("category") for g in d) and
[p for g in d if g["name"] == "ephemeral-env" for p in g["parameters"]
   if p["name"] == "ttl" and p["type"] == "duration" and p.get("default") == "2h"] and
[p for g in d if g["name"] == "db-lifecycle" for p in g["parameters"]
   if p["name"] == "action" and p["type"] == "string" and p.get("default") == "create"] and
[p for g in d if g["name"] == "onboard-dev-team" for p in g["parameters"]
   if p["name"] == "team" and p["type"] == "string"]' <"$dir/gp.json"
check "list-goldenpaths: onboard-dev-team, deploy-app, ephemeral-env (ttl: duration, default 2h), db-lifecycle (action, default create) with typed parameters" $?

# --- database-team: the product guide's command -------------------------------------
# the guide's spec has a bucket too: without RGW it runs without that resource
spec=$src/examples/dev-team-app.yaml
if [ -z "$rgw" ]; then
	python3 - "$spec" "$dir/dev-team-app.yaml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
del d["resources"]["storage"]
d["resources"]["web"]["params"]["env_from_secrets"].remove("my-awesome-app-storage-credentials")
yaml.safe_dump(d, open(sys.argv[2], "w"))
PY
	spec=$dir/dev-team-app.yaml
	echo "# the spec's storage resource is left out: $s3_why"
fi
inn run --local database-team/create-postgres "$spec" >"$dir/logs/guide.log" 2>&1
guide_rc=$?
show "$dir/logs/guide.log"
ns=/api/v1/namespaces/my-awesome-app-default
kget "/apis/acid.zalan.do/v1/namespaces/my-awesome-app-default/postgresqls/my-awesome-app-database" >"$dir/pg.json" &&
	pyjson 'd["status"]["PostgresClusterStatus"] == "Running" and d["spec"]["numberOfInstances"] == 2 and
		d["spec"]["teamId"] == "my-awesome-app" and d["spec"]["postgresql"]["version"] == "16" and
		d["spec"]["databases"] == {"database": "app_owner"}' <"$dir/pg.json"
check "the guide's run --local database-team/create-postgres examples/dev-team-app.yaml: the postgresql CR is on the cluster (2 instances, version 16) and Running" $?
# the operator's secret (the stand-in's controller wrote it) against Vault's KV
kget "$ns/secrets/app-user.my-awesome-app-database.credentials.postgresql.acid.zalan.do" >"$dir/pgsecret.json"
pgpw=$(python3 -c 'import base64,json,sys; print(base64.b64decode(json.load(sys.stdin)["data"]["password"]).decode())' <"$dir/pgsecret.json" 2>/dev/null)
vget secret/data/apps/my-awesome-app/database >"$dir/kv-db.json"
[ -n "$pgpw" ] && [ "$(cat "$dir/vcode")" = 200 ] &&
	PGPW=$pgpw pyjson 'd["data"]["data"]["password"] == __import__("os").environ["PGPW"] and
		d["data"]["data"]["username"] == "app_user" and d["data"]["data"]["port"] == "5432" and
		d["data"]["data"]["host"] == "my-awesome-app-database.my-awesome-app-default.svc.cluster.local"' <"$dir/kv-db.json" &&
	vget sys/policies/acl/my-awesome-app-database-read | grep -q 'secret/data/apps/my-awesome-app/database'
check "the operator's generated credentials are in Vault KV at secret/apps/my-awesome-app/database, with the read policy" $?
kget "/apis/secrets.hashicorp.com/v1beta1/namespaces/my-awesome-app-default/vaultstaticsecrets/my-awesome-app-database-credentials" >"$dir/vss.json" &&
	pyjson 'd["spec"]["path"] == "apps/my-awesome-app/database" and d["spec"]["type"] == "kv-v2" and
		d["spec"]["destination"] == {"name": "my-awesome-app-database-credentials", "create": True} and
		d["spec"]["vaultAuthRef"] == "my-awesome-app-database-auth"' <"$dir/vss.json" &&
	kget "/apis/secrets.hashicorp.com/v1beta1/namespaces/my-awesome-app-default/vaultauths/my-awesome-app-database-auth" |
	pyjson 'd["spec"]["method"] == "kubernetes" and d["spec"]["kubernetes"]["role"] == "my-awesome-app"'
check "the VSO objects sync that path into the app's namespace (VaultAuth, VaultStaticSecret -> Secret my-awesome-app-database-credentials)" $?
# create-postgres given with a spec that asks for a postgres resource is the
# provisioning of that resource: it ran once, as the spec's part, no main
# run without standard inputs followed, and the spec's other resources
# were not touched
grep -c '^Resource .* -> database-team/create-postgres$' "$dir/logs/guide.log" >"$dir/nres"
[ $guide_rc -eq 0 ] && [ "$(cat "$dir/nres")" = 1 ] &&
	! grep -q 'Resource .* -> \(storage-team\|vault-team\|container-team\)/' "$dir/logs/guide.log" &&
	! grep -q 'parameter "app_name": is required' "$dir/logs/guide.log" &&
	! kget "/apis/apps/v1/namespaces/my-awesome-app-default/deployments/my-awesome-app-web" >/dev/null
check "the guide's command exits 0: create-postgres ran once, as the spec's database resource, the spec's other resources untouched" $?

# --- storage-team --------------------------------------------------------------------
if [ -n "$rgw" ]; then
	inn run --local storage-team/create-bucket -p app_name=shop -p resource_name=assets \
		-p bucket_name=shop-assets -p namespace=shop-default >"$dir/logs/bucket.log" 2>&1
	rc=$?
	show "$dir/logs/bucket.log"
	s3req GET "/shop-assets?versioning=" >"$dir/ver" 2>&1
	s3req GET "/shop-assets?policy=" >"$dir/pol" 2>&1
	vget secret/data/apps/shop/assets >"$dir/kv-s3.json"
	[ $rc -eq 0 ] && grep -q '<Status>Enabled</Status>' "$dir/ver" && [ "$(tail -1 "$dir/pol")" = 200 ] &&
		grep -q 'inn-app-shop-assets' "$dir/pol" && [ "$(cat "$dir/vcode")" = 200 ] &&
		pyjson 'd["data"]["data"]["bucket"] == "shop-assets" and d["data"]["data"]["access_key"].startswith("INNAPP") and
			len(d["data"]["data"]["secret_key"]) == 40' <"$dir/kv-s3.json" &&
		kget "/apis/secrets.hashicorp.com/v1beta1/namespaces/shop-default/vaultstaticsecrets/shop-assets-credentials" >/dev/null
	check "storage-team/create-bucket: bucket shop-assets on RGW, versioning Enabled, a policy granting the app user; its keys in Vault; VSO objects" $?
	s3key=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["data"]["secret_key"])' <"$dir/kv-s3.json" 2>/dev/null)
else
	skip "storage-team/create-bucket: $s3_why"
	s3key=""
fi

# --- vault-team -----------------------------------------------------------------------
inn run --local vault-team/create-secrets -p app_name=shop -p resource_name=secrets \
	-p namespace=shop-default -p 'keys=["stripe-key","webhook-key"]' >"$dir/logs/secrets.log" 2>&1
rc=$?
show "$dir/logs/secrets.log"
vget secret/data/apps/shop/secrets >"$dir/kv-sec.json"
[ $rc -eq 0 ] && [ "$(cat "$dir/vcode")" = 200 ] &&
	pyjson 'sorted(d["data"]["data"]) == ["stripe-key", "webhook-key"] and all(len(v) == 32 for v in d["data"]["data"].values())' <"$dir/kv-sec.json" &&
	vget sys/policies/acl/shop-secrets-read | grep -q 'secret/data/apps/shop/secrets' &&
	kget "/apis/secrets.hashicorp.com/v1beta1/namespaces/shop-default/vaultstaticsecrets/shop-secrets" |
	pyjson 'd["spec"]["path"] == "apps/shop/secrets"'
check "vault-team/create-secrets: the path holds two generated 32-character values, a read policy, VSO objects" $?

# --- container-team --------------------------------------------------------------------
inn run --local container-team/create-app -p app_name=shop -p resource_name=web -p namespace=shop-default \
	-p image=nginx:1.27 -p gitops=true -p 'env_from_secrets=["shop-secrets"]' >"$dir/logs/app.log" 2>&1
rc=$?
show "$dir/logs/app.log"
[ $rc -eq 0 ] &&
	kget "/apis/apps/v1/namespaces/shop-default/deployments/shop-web" |
	pyjson 'd["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27" and
		d["spec"]["template"]["spec"]["containers"][0]["envFrom"] == [{"secretRef": {"name": "shop-secrets"}}]' &&
	kget "/api/v1/namespaces/shop-default/services/shop-web" >/dev/null &&
	curl -sf -H "Authorization: token $gtoken" "$gaddr/api/v1/repos/platform/shop-web" >/dev/null &&
	kget "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/shop-web" |
	pyjson 'd["spec"]["destination"]["namespace"] == "shop-default" and d["spec"]["source"]["repoURL"].endswith("/platform/shop-web.git")'
check "container-team/create-app (gitops): Deployment and Service on the cluster, Gitea repository, Argo CD Application" $?
inn run --local container-team/smoke-check -p app_name=shop -p namespace=shop-default >"$dir/logs/smoke.log" 2>&1
rc=$?
show "$dir/logs/smoke.log"
[ $rc -eq 0 ] && grep -q 'shop-web  *1/1 ready  ok' "$dir/logs/smoke.log" &&
	grep -q '^ *checked: 1$' "$dir/logs/smoke.log" &&
	grep -q '^phase: post-deployment$' "$src/providers/container-team/workflows/smoke-check.yaml"
check "container-team/smoke-check (phase post-deployment, trigger product_deployment) finds the app's Deployment Available" $?

# --- update workflows: what a changed resource asks for ------------------------------------
inn run --local database-team/update-postgres -p app_name=my-awesome-app -p resource_name=database \
	-p namespace=my-awesome-app-default -p size=medium -p instances=3 >"$dir/logs/upd-db.log" 2>&1
rc=$?
show "$dir/logs/upd-db.log"
vget secret/data/apps/my-awesome-app/database >"$dir/kv-db2.json"
[ $rc -eq 0 ] &&
	kget "/apis/acid.zalan.do/v1/namespaces/my-awesome-app-default/postgresqls/my-awesome-app-database" |
	pyjson 'd["spec"]["numberOfInstances"] == 3 and d["spec"]["volume"]["size"] == "20Gi" and
		d["spec"]["resources"]["requests"]["memory"] == "1Gi" and d["status"]["PostgresClusterStatus"] == "Running"' &&
	PGPW=$pgpw pyjson 'd["data"]["data"]["password"] == __import__("os").environ["PGPW"]' <"$dir/kv-db2.json"
check "database-team/update-postgres: 3 instances of size medium on the CR, Running, the credentials in Vault unchanged" $?
inn run --local vault-team/update-secrets -p app_name=shop -p resource_name=secrets -p namespace=shop-default \
	-p 'keys=["stripe-key","webhook-key","signing-key"]' >"$dir/logs/upd-secrets.log" 2>&1
rc=$?
show "$dir/logs/upd-secrets.log"
vget secret/data/apps/shop/secrets >"$dir/kv-sec2.json"
[ $rc -eq 0 ] && python3 - "$dir/kv-sec.json" "$dir/kv-sec2.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))["data"]["data"]
b = json.load(open(sys.argv[2]))["data"]["data"]
assert sorted(b) == ["signing-key", "stripe-key", "webhook-key"], b.keys()
assert all(b[k] == a[k] for k in a) and len(b["signing-key"]) == 32
PY
check "vault-team/update-secrets: a newly listed key gets a value, the existing values are kept" $?
if [ -n "$rgw" ]; then
	inn run --local storage-team/update-bucket -p app_name=shop -p resource_name=assets -p bucket_name=shop-assets \
		-p namespace=shop-default -p versioning=false >"$dir/logs/upd-bucket.log" 2>&1
	rc=$?
	show "$dir/logs/upd-bucket.log"
	s3req GET "/shop-assets?versioning=" >"$dir/ver2" 2>&1
	[ $rc -eq 0 ] && grep -q '<Status>Suspended</Status>' "$dir/ver2"
	check "storage-team/update-bucket: versioning false suspends the bucket's versioning" $?
else
	skip "storage-team/update-bucket: $s3_why"
fi
inn run --local container-team/update-app -p app_name=shop -p resource_name=web -p namespace=shop-default \
	-p image=nginx:1.28 -p replicas=2 -p gitops=true -p 'env_from_secrets=["shop-secrets"]' >"$dir/logs/upd-app.log" 2>&1
rc=$?
show "$dir/logs/upd-app.log"
[ $rc -eq 0 ] && kget "/apis/apps/v1/namespaces/shop-default/deployments/shop-web" |
	pyjson 'd["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28" and d["spec"]["replicas"] == 2'
check "container-team/update-app: the Deployment rolls out nginx:1.28 with 2 replicas" $?

# --- the golden paths ---------------------------------------------------------------------
# db-lifecycle and ephemeral-env for small specs (the database is the guide's one)
cat >"$dir/db-only.yaml" <<'S'
apiVersion: score.dev/v1b1
metadata: {name: my-awesome-app}
containers: {main: {image: "nginx:1.27"}}
resources:
  database: {type: postgres, params: {size: medium, version: "16", instances: 3}}
S
inn run --local db-lifecycle "$dir/db-only.yaml" -p action=backup -p backup_name=nightly >"$dir/logs/backup.log" 2>&1
rc=$?
show "$dir/logs/backup.log"
[ $rc -eq 0 ] && kget "/apis/batch/v1/namespaces/my-awesome-app-default/jobs/my-awesome-app-database-backup-nightly" |
	pyjson '[c for c in d["status"]["conditions"] if c["type"] == "Complete" and c["status"] == "True"] and
		d["spec"]["template"]["spec"]["containers"][0]["env"][0] == {"name": "BACKUP_NAME", "value": "nightly"}' &&
	kget "$ns/persistentvolumeclaims/my-awesome-app-database-backups" >/dev/null &&
	grep -q '^ *backup: nightly.dump$' "$dir/logs/backup.log"
check "db-lifecycle action=backup: a pg_dump Job (credentials from the synced Secret) runs to Complete into the backups PVC" $?
inn run --local db-lifecycle "$dir/db-only.yaml" -p action=delete >"$dir/logs/dbdel-refused.log" 2>&1
rc=$?
show "$dir/logs/dbdel-refused.log"
[ $rc -eq 1 ] && grep -q 'action delete removes my-awesome-app-database and its data: set confirm=my-awesome-app-database' "$dir/logs/dbdel-refused.log" &&
	kget "/apis/acid.zalan.do/v1/namespaces/my-awesome-app-default/postgresqls/my-awesome-app-database" >/dev/null
check "db-lifecycle action=delete without confirm is refused, naming what to confirm; the cluster stays" $?
printf 'apiVersion: score.dev/v1b1\nmetadata: {name: preview-7}\ncontainers: {web: {image: "nginx:1.27"}}\n' >"$dir/preview.yaml"
inn run --local ephemeral-env "$dir/preview.yaml" -p ttl=30m >"$dir/logs/ephemeral.log" 2>&1
rc=$?
show "$dir/logs/ephemeral.log"
[ $rc -eq 0 ] && kget /api/v1/namespaces/preview-7-default |
	pyjson 'd["metadata"]["annotations"]["innominatus.io/ttl"] == "30m" and d["metadata"]["labels"]["innominatus.io/ephemeral"] == "true"'
check "ephemeral-env ttl=30m: the namespace is marked ephemeral with its ttl" $?
inn run --local onboard-dev-team "$spec" --dry-run >"$dir/logs/onboard-dry.log" 2>&1
rc=$?
show "$dir/logs/onboard-dry.log"
ok=0
for s in repository namespace argocd summary; do
	grep -q "^  $s  *[a-z-]*  *would-run" "$dir/logs/onboard-dry.log" || ok=1
done
[ $rc -eq 0 ] && [ $ok -eq 0 ] &&
	grep -q '^Dry run of workflow onboard-dev-team (nothing was changed):' "$dir/logs/onboard-dry.log" &&
	grep -q 'Dry-running workflow create-secrets' "$dir/logs/onboard-dry.log" &&
	grep -q 'Dry-running workflow create-app' "$dir/logs/onboard-dry.log" &&
	! curl -sf -H "Authorization: token $gtoken" "$gaddr/api/v1/repos/platform/my-awesome-app" >/dev/null &&
	! kget "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/my-awesome-app" >/dev/null
check "onboard-dev-team --dry-run shows every step (the resources' workflows, repository, namespace, argocd, summary) and creates nothing" $?
inn run --local naming-check -p app_name=kube-system >"$dir/logs/naming.log" 2>&1
rc=$?
show "$dir/logs/naming.log"
[ $rc -eq 1 ] && grep -q "app name 'kube-system' is a name the platform keeps for itself" "$dir/logs/naming.log" &&
	grep -q '^phase: pre-deployment$' "$src/workflows/naming-check.yaml" &&
	grep -q '^triggers: \[first_deployment\]$' "$src/workflows/naming-check.yaml"
check "naming-check (phase pre-deployment, trigger first_deployment) refuses a reserved app name" $?

# --- through a real server once --------------------------------------------------------------
server_conf "$dir/srv.yaml" "$dir"
cat >>"$dir/srv.yaml" <<CONF
  goldenpaths: $src/workflows/goldenpaths.yaml
providers:
  - {name: container-team, type: filesystem, path: $src/providers/container-team}
  - {name: database-team, type: filesystem, path: $src/providers/database-team}
  - {name: storage-team, type: filesystem, path: $src/providers/storage-team}
  - {name: vault-team, type: filesystem, path: $src/providers/vault-team}
CONF
sed -n '/^workflowPolicies:/,$p' "$dir/admin.yaml" >>"$dir/srv.yaml"
key=$("$build/innominatus" --config "$dir/srv.yaml" --create-admin-key demo 2>"$dir/key.err")
if [ -n "$key" ] && start_server "$dir/srv.yaml" "$dir/logs/server.log"; then
	curl -s -H "Authorization: Bearer $key" "$url/api/golden-paths/onboard-dev-team" >"$dir/gp1.json"
	show "$dir/gp1.json"
	pyjson 'd["name"] == "onboard-dev-team" and d["category"] == "onboarding" and d.get("estimated_duration") and
		{p["name"]: p["type"] for p in d["parameters"]}.get("sync_policy") == "string" and
		[p for p in d["parameters"] if p["name"] == "sync_policy" and p.get("allowed") == ["automated", "manual"]]' <"$dir/gp1.json"
	check "GET /api/golden-paths/onboard-dev-team: description, category, estimated duration and typed parameters" $?
	# a second app through the server: its database provisioned by the
	# spec's postgres resource, then db-lifecycle's create waits until Running
	cat >"$dir/orders.yaml" <<'S'
apiVersion: score.dev/v1b1
metadata: {name: orders}
containers: {api: {image: "nginx:1.27"}}
resources:
  database: {type: postgres, params: {version: "15"}}
S
	INNOMINATUS_SERVER=$url INNOMINATUS_TOKEN=$key "$ctl" run db-lifecycle "$dir/orders.yaml" \
		--param action=create >"$dir/logs/srv-db.log" 2>&1
	rc=$?
	show "$dir/logs/srv-db.log"
	vget secret/data/apps/orders/database >"$dir/kv-orders.json"
	[ $rc -eq 0 ] && grep -q 'succeeded' "$dir/logs/srv-db.log" &&
		kget "/apis/acid.zalan.do/v1/namespaces/orders-default/postgresqls/orders-database" |
		pyjson 'd["status"]["PostgresClusterStatus"] == "Running" and d["spec"]["postgresql"]["version"] == "15"' &&
		[ "$(cat "$dir/vcode")" = 200 ] && pyjson 'd["data"]["data"]["username"] == "app_user"' <"$dir/kv-orders.json"
	check "through the server: db-lifecycle for a spec with a postgres resource -- create-postgres provisions it (CR Running, credentials in Vault), then the golden path waits until Running" $?
	# the guide's command through the server: the same rule as run --local
	INNOMINATUS_SERVER=$url INNOMINATUS_TOKEN=$key "$ctl" run database-team/create-postgres "$spec" \
		>"$dir/logs/srv-guide.log" 2>&1
	rc=$?
	show "$dir/logs/srv-guide.log"
	eid=$(grep -o 'Execution [0-9][0-9]*' "$dir/logs/srv-guide.log" | head -1 | cut -d' ' -f2)
	curl -s -H "Authorization: Bearer $key" "$url/api/workflows/$eid" >"$dir/srv-guide.json"
	show "$dir/srv-guide.json"
	[ $rc -eq 0 ] && [ -n "$eid" ] && pyjson '
d["status"] == "succeeded" and d["steps"] and
all(s["name"].startswith("database/") for s in d["steps"]) and
all(s["status"] == "succeeded" for s in d["steps"])' <"$dir/srv-guide.json"
	check "the guide's command through the server exits 0: one execution whose steps are the database resource's create-postgres, no main run" $?
	INNOMINATUS_SERVER=$url INNOMINATUS_TOKEN=$key "$ctl" run database-team/create-postgres "$spec" \
		--param app_name=other >"$dir/logs/srv-guide-p.log" 2>&1
	rc=$?
	show "$dir/logs/srv-guide-p.log"
	[ $rc -ne 0 ] && grep -q 'params come from the spec' "$dir/logs/srv-guide-p.log"
	check "... with --param it is refused: the params come from the spec" $?
	# a Score deployment of the guide's app (POST /api/applications, where
	# the build has it): phases around the providers' create, update and
	# delete workflows
	if "$ctl" --help 2>&1 | grep -q '^ *deploy SPEC'; then
		sed 's/my-awesome-app/team-shop/g' "$spec" >"$dir/team-shop.yaml"
		INNOMINATUS_SERVER=$url INNOMINATUS_TOKEN=$key "$ctl" deploy "$dir/team-shop.yaml" -w \
			>"$dir/logs/deploy1.log" 2>&1
		rc=$?
		show "$dir/logs/deploy1.log"
		[ $rc -eq 0 ] && grep -q 'pre-deployment  *naming-check  *succeeded' "$dir/logs/deploy1.log" &&
			grep -q 'post-deployment  *container-team/smoke-check  *succeeded' "$dir/logs/deploy1.log" &&
			grep -q 'team-shop-web  *2/2 ready  ok' "$dir/logs/deploy1.log" &&
			kget "/apis/acid.zalan.do/v1/namespaces/team-shop-default/postgresqls/team-shop-database" >/dev/null &&
			kget "/apis/apps/v1/namespaces/team-shop-default/deployments/team-shop-web" >/dev/null &&
			vget secret/data/apps/team-shop/secrets >/dev/null && [ "$(cat "$dir/vcode")" = 200 ]
		check "deploy examples/dev-team-app.yaml (as team-shop) -w: naming-check before, the providers' create workflows, smoke-check after" $?
		python3 - "$dir/team-shop.yaml" "$dir/team-shop-v2.yaml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
d["resources"]["database"]["params"]["instances"] = 3
del d["resources"]["secrets"]
d["resources"]["web"]["params"]["env_from_secrets"].remove("team-shop-secrets")
yaml.safe_dump(d, open(sys.argv[2], "w"))
PY
		INNOMINATUS_SERVER=$url INNOMINATUS_TOKEN=$key "$ctl" deploy "$dir/team-shop-v2.yaml" -w \
			>"$dir/logs/deploy2.log" 2>&1
		rc=$?
		show "$dir/logs/deploy2.log"
		vget secret/data/apps/team-shop/secrets >/dev/null
		[ $rc -eq 0 ] && grep -q 'database  *update  *postgres  *database-team  *update-postgres' "$dir/logs/deploy2.log" &&
			grep -q 'secrets  *delete  *vault-secret  *vault-team  *delete-secrets' "$dir/logs/deploy2.log" &&
			kget "/apis/acid.zalan.do/v1/namespaces/team-shop-default/postgresqls/team-shop-database" |
			pyjson 'd["spec"]["numberOfInstances"] == 3' && [ "$(cat "$dir/vcode")" = 404 ] &&
			grep -q 'host: team-shop-database.team-shop-default.svc.cluster.local' "$dir/logs/deploy2.log"
		check "redeploy with 3 instances and without the secrets: update-postgres scales the CR (its outputs kept), delete-secrets removes the path" $?
		INNOMINATUS_SERVER=$url INNOMINATUS_TOKEN=$key "$ctl" delete team-shop -w >"$dir/logs/delete.log" 2>&1
		rc=$?
		show "$dir/logs/delete.log"
		vget secret/data/apps/team-shop/database >/dev/null
		[ $rc -eq 0 ] && [ "$(cat "$dir/vcode")" = 404 ] &&
			! kget "/apis/acid.zalan.do/v1/namespaces/team-shop-default/postgresqls/team-shop-database" >/dev/null &&
			! kget "/apis/apps/v1/namespaces/team-shop-default/deployments/team-shop-web" >/dev/null &&
			[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $key" "$url/api/applications/team-shop")" = 404 ]
		check "delete team-shop -w: every resource torn down by its provider's delete workflow, the app is gone" $?
	else
		skip "deploy: this build has no deploy command (POST /api/applications)"
		skip "redeploy: this build has no deploy command"
		skip "delete: this build has no delete command"
	fi
	orderspw=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["data"]["password"])' <"$dir/kv-orders.json" 2>/dev/null)
	[ -n "$orderspw" ] && ! grep -rqF -e "$orderspw" "$dir/logs" "$dir/data" 2>/dev/null
	check "the server's store, state and logs hold no generated password" $?
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	spid=""
else
	cat "$dir/key.err" "$dir/logs/server.log" >&2 2>/dev/null
	check "the server started with the demo providers" 1
	check "(server) db-lifecycle" 1
	check "(server) the guide's command" 1
	check "(server) deploy" 1
	check "(server) redeploy" 1
	check "(server) delete" 1
	check "(server) no password" 1
fi

# --- delete workflows ----------------------------------------------------------------------
inn run --local database-team/delete-postgres -p app_name=my-awesome-app -p resource_name=database \
	-p namespace=my-awesome-app-default >"$dir/logs/del-db.log" 2>&1
rc=$?
show "$dir/logs/del-db.log"
vget secret/data/apps/my-awesome-app/database >/dev/null
[ $rc -eq 0 ] && [ "$(cat "$dir/vcode")" = 404 ] &&
	! kget "/apis/acid.zalan.do/v1/namespaces/my-awesome-app-default/postgresqls/my-awesome-app-database" >/dev/null &&
	! kget "$ns/secrets/app-user.my-awesome-app-database.credentials.postgresql.acid.zalan.do" >/dev/null &&
	! kget "/apis/secrets.hashicorp.com/v1beta1/namespaces/my-awesome-app-default/vaultstaticsecrets/my-awesome-app-database-credentials" >/dev/null &&
	! kget "/apis/secrets.hashicorp.com/v1beta1/namespaces/my-awesome-app-default/vaultauths/my-awesome-app-database-auth" >/dev/null
check "database-team/delete-postgres: the CR (and the operator's Secrets), the Vault path and the VSO objects are gone" $?
if [ -n "$rgw" ]; then
	inn run --local storage-team/delete-bucket -p app_name=shop -p resource_name=assets \
		-p bucket_name=shop-assets -p namespace=shop-default >"$dir/logs/del-bucket.log" 2>&1
	rc=$?
	show "$dir/logs/del-bucket.log"
	s3req HEAD /shop-assets >"$dir/head" 2>&1
	vget secret/data/apps/shop/assets >/dev/null
	[ $rc -eq 0 ] && [ "$(tail -1 "$dir/head")" = 404 ] && [ "$(cat "$dir/vcode")" = 404 ] &&
		! kget "/apis/secrets.hashicorp.com/v1beta1/namespaces/shop-default/vaultstaticsecrets/shop-assets-credentials" >/dev/null
	check "storage-team/delete-bucket: the bucket, its Vault path and VSO objects are gone" $?
else
	skip "storage-team/delete-bucket: $s3_why"
fi
inn run --local vault-team/delete-secrets -p app_name=shop -p resource_name=secrets \
	-p namespace=shop-default >"$dir/logs/del-secrets.log" 2>&1
rc=$?
show "$dir/logs/del-secrets.log"
vget secret/data/apps/shop/secrets >/dev/null
[ $rc -eq 0 ] && [ "$(cat "$dir/vcode")" = 404 ] &&
	! kget "/apis/secrets.hashicorp.com/v1beta1/namespaces/shop-default/vaultstaticsecrets/shop-secrets" >/dev/null
check "vault-team/delete-secrets: the Vault path and VSO objects are gone" $?
inn run --local container-team/delete-app -p app_name=shop -p resource_name=web -p namespace=shop-default \
	-p gitops=true -p keep_repository=false >"$dir/logs/del-app.log" 2>&1
rc=$?
show "$dir/logs/del-app.log"
[ $rc -eq 0 ] && ! kget "/apis/apps/v1/namespaces/shop-default/deployments/shop-web" >/dev/null &&
	! kget "/api/v1/namespaces/shop-default/services/shop-web" >/dev/null &&
	! kget "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/shop-web" >/dev/null &&
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: token $gtoken" "$gaddr/api/v1/repos/platform/shop-web")" = 404 ]
check "container-team/delete-app (gitops, keep_repository=false): Deployment, Service, Application and repository are gone" $?

# --- secrets in logs ---------------------------------------------------------------------------
CHECK_SHOW=""
{
	printf '%s\n' "$pgpw" "$vtoken" "$gtoken"
	[ -n "$s3key" ] && printf '%s\n' "$s3key"
	python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)["data"]["data"].values()))' <"$dir/kv-sec.json" 2>/dev/null
} | grep -v '^$' >"$dir/secret-values"
leaks=$(grep -rlF -f "$dir/secret-values" "$dir/logs" 2>/dev/null)
[ -n "$leaks" ] && echo "# a secret value is in: $leaks"
[ -n "$pgpw" ] && [ "$(wc -l <"$dir/secret-values")" -ge 5 ] && [ -z "$leaks" ]
check "no password, generated value, key or token appears in any run's log" $?

exit $fail
