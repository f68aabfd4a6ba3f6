#!/bin/sh
# guide_examples.sh - the original innominatus's product guide
# (docs/product-team-guide/README.md of its commit 2146ed6), example by
# example, asserting what the guide promises: "Create Your Own Provider"
# steps 2-5 (flat provider.yaml, the ${APP_NAME} workflow, registration over
# the admin API and in the admin config with git_url/path/ref, running it
# with the CLI's default server), the enhanced CLI tooling and a custom
# resource type, and the onboard-dev-team golden path (listed, and its
# dry-run over examples/dev-team-app.yaml against the project's
# stand-ins).  Examples that need another issue (kubernetes: issue 11) are
# asserted to be refused precisely; demo-time without a cluster says so.
# Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-guide-XXXXXX")
spid=""
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; [ -n "$spid" ] && wait $spid 2>/dev/null; rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/data" "$dir/home" "$dir/k8s/providers/your-team/workflows" \
	"$dir/repo/providers/your-team/workflows" "$dir/examples"
chmod 755 "$dir/plugins"
for p in shell terraform ansible; do
	install -m 755 "$build/plugins/$p/.libs/$p.so" "$dir/plugins/$p.so"
done
. "$src/tests/ctl_lib.sh"
CHECK_SHOW="$dir/out"
export HOME="$dir/home"
unset INNOMINATUS_SERVER INNOMINATUS_TOKEN


# Step 2 (provider metadata) and Step 3 (the first workflow), verbatim
cat >"$dir/k8s/providers/your-team/provider.yaml" <<'EOF'
name: your-team
description: Your team's infrastructure services
version: 1.0.0
owner: your-team@company.com
workflows_dir: workflows
EOF
cat >"$dir/k8s/providers/your-team/workflows/provision-service.yaml" <<'EOF'
name: provision-service
description: Provision service infrastructure
steps:
  - name: create-namespace
    type: kubernetes
    config:
      manifest: |
        apiVersion: v1
        kind: Namespace
        metadata:
          name: ${APP_NAME}

  - name: deploy-service
    type: kubernetes
    config:
      namespace: ${APP_NAME}
      manifest_path: ./manifests/service.yaml
EOF
# the same provider with the workflow's first step as a shell step: the
# guide's ${APP_NAME} is the application's name
cp "$dir/k8s/providers/your-team/provider.yaml" "$dir/repo/providers/your-team/"
cat >"$dir/repo/providers/your-team/workflows/provision-service.yaml" <<'EOF'
name: provision-service
description: Provision service infrastructure
steps:
  - name: create-namespace
    type: shell
    config:
      script: |
        cat <<YAML
        apiVersion: v1
        kind: Namespace
        metadata:
          name: ${APP_NAME}
        YAML
EOF
cat >"$dir/examples/app-spec.yaml" <<'EOF'
apiVersion: score.dev/v1b1
metadata: {name: my-app}
containers: {web: {image: my-app:1}}
EOF
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
(cd "$dir/repo" && git init -q -b main && git add -A && git commit -qm guide) >/dev/null 2>&1
P="--plugin-dir $dir/plugins"
cd "$dir" || exit 1
# the guide's tooling example: a provider of its own (./my-provider)
mkdir -p "$dir/my-provider/workflows"
printf 'name: my-provider\nversion: 1.0.0\nowner: me@company.com\nworkflows_dir: workflows\n' \
	>"$dir/my-provider/provider.yaml"
printf 'name: my-workflow\nsteps:\n  - {name: hello, type: shell, config: {script: "echo hello"}}\n' \
	>"$dir/my-provider/workflows/my-workflow.yaml"

echo "1..17"

# Step 3 as written needs kubernetes.so (issue 11 builds it): refused at load,
# each step at file:line:col, naming the step type
(cd "$dir/k8s" && "$ctl" $P validate-provider providers/your-team) >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] &&
	[ "$(grep -c 'provision-service.yaml:[0-9]*:[0-9]*: error: .*"kubernetes"' "$dir/out")" -eq 2 ]
check "guide step 3: the kubernetes workflow is refused at load naming the type (issue 11)" $?

# Enhanced CLI tooling: validate-provider, test-workflow --dry-run, list-providers
{ "$ctl" $P validate-provider ./my-provider &&
	"$ctl" $P test-workflow my-provider/workflows/my-workflow.yaml --dry-run &&
	"$ctl" $P list-providers --providers my-provider; } >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'provider my-provider 1.0.0: valid' "$dir/out" && grep -q '^my-provider' "$dir/out"
check "guide tooling: validate-provider ./my-provider, test-workflow --dry-run, list-providers" $?
(cd "$dir/repo" && "$ctl" $P validate-provider ./providers/your-team) >"$dir/out" 2>&1
check "guide step 3: validate-provider accepts the \${APP_NAME} workflow" $?

# Step 3 with a shell step: ${APP_NAME} is the app's name, as the original exported it
(cd "$dir/repo" && "$ctl" $P --providers providers run --local your-team/provision-service \
	"$dir/examples/app-spec.yaml") >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'name: my-app' "$dir/out"
check "guide step 3: \${APP_NAME} in a shell step is the app's name (run --local)" $?

# Step 4, via the admin API: the guide's JSON body, with a file:// repository
server_conf "$dir/srv.yaml" "$dir"
echo 'providers: []' >>"$dir/srv.yaml"
srvbin="$build/innominatus"
ADMIN_TOKEN=$("$srvbin" --config "$dir/srv.yaml" --create-admin-key platform)
start_server "$dir/srv.yaml"
# add_provider JSON: POST /api/admin/providers as the guide does; the HTTP
# status, the body in $dir/out
add_provider() {
	curl -s -o "$dir/out" -w '%{http_code}' -X POST "$url/api/admin/providers" \
		-H "Authorization: Bearer $ADMIN_TOKEN" \
		-H "Content-Type: application/json" \
		-d "$1"
	echo >>"$dir/out"
}
code=$(add_provider "{
    \"name\": \"your-team\",
    \"git_url\": \"file://$dir/repo\",
    \"path\": \"providers/your-team\",
    \"ref\": \"main\"
  }")
[ "$code" = 201 ] && grep -q '"loaded":true' "$dir/out"
check "guide step 4: POST /api/admin/providers {name, git_url, path, ref} registers it (201)" $?
code=$(add_provider "{\"name\": \"my-provider\", \"path\": \"$dir/my-provider\"}")
[ "$code" = 201 ] && grep -q '"loaded":true' "$dir/out"
check "guide step 4: POST /api/admin/providers registers a provider folder (201)" $?

# Step 5 against that server: list-goldenpaths works; run follows the workflow
export INNOMINATUS_TOKEN="$ADMIN_TOKEN"
INNOMINATUS_SERVER=$url "$ctl" list-goldenpaths >"$dir/out" 2>&1
check "guide step 5: list-goldenpaths answers" $?
INNOMINATUS_SERVER=$url "$ctl" run your-team/provision-service "$dir/examples/app-spec.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'name: my-app' "$dir/out"
check "guide step 5: run your-team/provision-service examples/app-spec.yaml through the server" $?

# Step 4 refused for the kubernetes workflow: 400 naming the type (issue 11)
(cd "$dir/k8s" && git init -q -b main && git add -A && git commit -qm k8s) >/dev/null 2>&1
code=$(add_provider "{\"name\": \"k8s-team\", \"git_url\": \"file://$dir/k8s\", \"path\": \"providers/your-team\", \"ref\": \"main\"}")
[ "$code" = 400 ] && grep -q 'kubernetes' "$dir/out"
check "guide step 4 with its kubernetes workflow: refused (400) naming the type (issue 11)" $?

# Step 5 verbatim: no --server, the CLI's default http://localhost:8081
if ss -ltn 2>/dev/null | grep -q '[:.]8081 '; then
	n=$((n + 1)); echo "ok $n - guide step 5 without --server # SKIP port 8081 is in use"
	n=$((n + 1)); echo "ok $n - guide step 5: the default server named on a connection error # SKIP port 8081 is in use"
else
	"$ctl" run your-team/provision-service "$dir/examples/app-spec.yaml" >"$dir/out" 2>&1
	rc=$?
	[ $rc -eq 5 ] && grep -q 'http://localhost:8081' "$dir/out"
	check "guide step 5: without --server the CLI tries http://localhost:8081 and says so" $?
	sed "s/127.0.0.1:0/127.0.0.1:8081/; s#$dir/data/inn.db#$dir/data/inn8081.db#" "$dir/srv.yaml" >"$dir/srv8081.yaml"
	key2=$("$srvbin" --config "$dir/srv8081.yaml" --create-admin-key platform)
	spid1=$spid url1=$url
	start_server "$dir/srv8081.yaml"
	spid2=$spid spid=$spid1 url=$url1
	INNOMINATUS_TOKEN=$key2 "$ctl" list-workflows >"$dir/out" 2>&1
	rc=$?
	kill $spid2 2>/dev/null; wait $spid2 2>/dev/null
	[ $rc -eq 0 ] && grep -q 'execution' "$dir/out"
	check "guide step 5: with a server on localhost:8081 the CLI needs no --server" $?
fi

# Core capability 1: the admin config registers the provider with git_url/path/ref
cat >"$dir/git-admin.yaml" <<EOF
providers:
  - name: your-team
    git_url: file://$dir/repo
    path: providers/your-team
    ref: main
EOF
(cd "$dir" && "$ctl" $P --config git-admin.yaml list-providers) >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^your-team' "$dir/out"
check "guide capability 1: providers[] with git_url/path/ref in the admin config is cloned" $?

# Core capability 2: the onboard-dev-team golden path of the project's own
# catalog (workflows/goldenpaths.yaml, providers/) -- listed, and its
# dry-run over the guide's example app shows every step.  Its plugins ask
# their services even in a dry-run (a server-side dry-run), so it gets the
# project's stand-ins for Kubernetes, Vault and Gitea; the spec's bucket is
# left out (an S3 server is tests/demo_providers.sh's), and the cluster
# already holds the app's namespace and the database operator's
# credentials Secret (a dry-run cannot wait for an operator to make them:
# tests/demo_providers.sh runs it for real first)
g_why=""
command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null ||
	g_why="python3 with yaml (the stand-ins) not found"
mkdir -p "$dir/gp/plugins"
chmod 755 "$dir/gp" "$dir/gp/plugins"
for p in shell kubernetes vault-setup minio gitea-repo argocd-app; do
	install -m 755 "$build/plugins/$p/.libs/$p.so" "$dir/gp/plugins/$p.so"
done
g_pids=""
g_port() { # NAME SCRIPT ARGS...: a Python stand-in on a free port -> $port
	_n=$1
	shift
	python3 "$@" --port 0 --port-file "$dir/gp/$_n.port" --pid-watch $$ 2>"$dir/gp/$_n.err" &
	g_pids="$g_pids $!"
	_i=0
	while [ ! -s "$dir/gp/$_n.port" ] && [ $_i -lt 200 ]; do _i=$((_i + 1)); sleep 0.05; done
	port=$(cat "$dir/gp/$_n.port" 2>/dev/null)
	[ -n "$port" ]
}
if [ -z "$g_why" ]; then
	. "$src/tests/standins/kube_lib.sh"
	cat >"$dir/gp/cluster.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata: {name: argocd}
---
apiVersion: v1
kind: Namespace
metadata: {name: my-awesome-app-default}
---
apiVersion: v1
kind: Secret
metadata: {name: app-user.my-awesome-app-database.credentials.postgresql.acid.zalan.do, namespace: my-awesome-app-default}
data: {username: YXBwX3VzZXI=, password: Z3VpZGUtZHJ5LXJ1bg==}
EOF
	kube_start "$dir/gp/kube" --crd-file "$src/tests/standins/crds.yaml" \
		--objects "$dir/gp/cluster.yaml" || g_why="the Kubernetes stand-in did not start"
	g_pids="$g_pids ${kube_pid:-}"
fi
umask 077
od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$dir/gp/token"
umask 022
if [ -z "$g_why" ] && g_port vault "$src/tests/standins/vault_server.py" --token "$(cat "$dir/gp/token")"; then
	g_vault=http://127.0.0.1:$port
	g_port gitea "$src/tests/standins/gitea_server.py" --token "$(cat "$dir/gp/token")" \
		--user giteaadmin --org platform || g_why="the Gitea stand-in did not start"
	g_gitea=http://127.0.0.1:$port
elif [ -z "$g_why" ]; then
	g_why="the Vault stand-in did not start"
fi
cat >"$dir/gp/admin.yaml" <<EOF
workflowPolicies:
  allowedStepTypes: [shell, kubernetes, vault-setup, minio, gitea-repo, argocd-app]
secrets:
  vault-token: {file: $dir/gp/token}
  gitea-token: {file: $dir/gp/token}
stepDefaults:
  kubernetes: {kubeconfig: ${kube_config:-$dir/gp/none}}
  argocd-app: {kubeconfig: ${kube_config:-$dir/gp/none}}
  vault-setup: {address: "${g_vault:-http://127.0.0.1:1}", token_secret: vault-token}
  gitea-repo: {url: "${g_gitea:-http://127.0.0.1:1}", token_secret: gitea-token, org: platform}
  minio: {endpoint: "http://127.0.0.1:1", access_key: guide, secret_key_secret: vault-token}
EOF
G="--plugin-dir $dir/gp/plugins --config $dir/gp/admin.yaml --providers $src/providers --goldenpaths $src/workflows/goldenpaths.yaml"
"$ctl" $G list-goldenpaths >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^onboard-dev-team  *onboarding  *Onboard a development team' "$dir/out"
check "guide capability 2: list-goldenpaths with the project's golden paths lists onboard-dev-team" $?
if [ -n "$g_why" ]; then
	n=$((n + 1))
	echo "ok $n # SKIP guide capability 2: onboard-dev-team's dry-run: $g_why"
else
	python3 - "$src/examples/dev-team-app.yaml" "$dir/gp/app.yaml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
del d["resources"]["storage"]
d["resources"]["web"]["params"]["env_from_secrets"].remove("my-awesome-app-storage-credentials")
yaml.safe_dump(d, open(sys.argv[2], "w"))
PY
	"$ctl" $G run --local onboard-dev-team "$dir/gp/app.yaml" --dry-run >"$dir/out" 2>&1
	rc=$?
	ok=0
	for s in repository namespace argocd summary; do
		grep -q "^  $s  *[a-z-]*  *would-run" "$dir/out" || ok=1
	done
	[ $rc -eq 0 ] && [ $ok -eq 0 ] &&
		grep -q '^Dry run of workflow onboard-dev-team (nothing was changed):' "$dir/out" &&
		grep -q '^Resource database (postgres) -> database-team/create-postgres' "$dir/out" &&
		grep -q '^Resource web (container) -> container-team/create-app' "$dir/out" &&
		! curl -sf -H "Authorization: token $(cat "$dir/gp/token")" \
			"$g_gitea/api/v1/repos/platform/my-awesome-app" >/dev/null
	check "guide capability 2: run --local onboard-dev-team examples/dev-team-app.yaml --dry-run exits 0, shows the resources' workflows and every step, and creates nothing" $?
fi
for p in $g_pids; do kill "$p" 2>/dev/null; done
wait $g_pids 2>/dev/null

# Core capability 4 / Option 1: demo-time and demo-status on a machine
# with no cluster (tests/demo_time.sh runs them against the stand-in)
"$ctl" $P --demo-dir "$src/demo" demo-time >"$dir/out" 2>&1
rc=$?
"$ctl" $P --demo-dir "$src/demo" demo-status >>"$dir/out" 2>&1
rc2=$?
[ $rc -eq 1 ] && [ $rc2 -eq 1 ] &&
	grep -q 'demo-time: no Kubernetes cluster: no kubeconfig (give --kubeconfig FILE' "$dir/out" &&
	grep -q 'demo-status: no Kubernetes cluster: no kubeconfig' "$dir/out"
check "guide capability 4: demo-time and demo-status without a cluster say so (exit 1)" $?

# Custom resource types: the guide's payment-gateway with properties
mkdir -p "$dir/custom/payments-team/workflows"
cat >"$dir/custom/payments-team/provider.yaml" <<'EOF'
apiVersion: v1
kind: Provider
metadata: {name: payments-team, version: 1.0.0}
capabilities:
  resourceTypeCapabilities:
    - {type: payment-gateway, operations: {create: {workflow: create-gateway}}}
workflows:
  - {name: create-gateway, file: ./workflows/create-gateway.yaml}
EOF
cat >"$dir/custom/payments-team/workflows/create-gateway.yaml" <<'EOF'
name: create-gateway
parameters:
  - {name: provider, type: string, required: true}
steps:
  - {name: gateway, type: shell, config: {script: 'echo "gateway via {{ .parameters.provider }}"'}}
EOF
cat >"$dir/examples/pay.yaml" <<'EOF'
apiVersion: score.dev/v1b1
metadata: {name: shop}
containers: {web: {image: shop:1}}
resources:
  payment-gateway:
    type: payment-gateway  # Custom type from product team
    properties:
      provider: stripe
EOF
printf 'name: main\nsteps:\n  - {name: done, type: shell, config: {script: "echo done"}}\n' >"$dir/main.yaml"
"$ctl" $P --providers "$dir/custom" run --local "$dir/main.yaml" "$dir/examples/pay.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'gateway via stripe' "$dir/out"
check "guide future enhancements: a custom resource type with properties is provisioned" $?

# Phases and policy as in the guide: a legacy policy step runs when policy is allowed
printf 'workflowPolicies:\n  allowedStepTypes: [policy]\n' >"$dir/policy.yaml"
printf 'name: p\nsteps:\n  - {name: check, type: policy, config: {script: "echo policy-ran"}}\n' >"$dir/p.yaml"
"$ctl" $P --config "$dir/policy.yaml" run --local "$dir/p.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'policy-ran' "$dir/out"
check "guide policy enforcement: allowedStepTypes [policy] runs a policy step" $?
exit $fail
