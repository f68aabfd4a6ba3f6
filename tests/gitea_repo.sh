#!/bin/sh
# gitea_repo.sh - gitea-repo.so against the Gitea API STAND-IN
# (tests/standins/gitea_server.py; no Gitea or Forgejo runs here) through
# `innominatus-ctl run --local` and once through the server: create
# (idempotent), get, delete (absent is fine), dry-run (GET requests only),
# a wrong token (401), an unreachable server, a hanging one (timeout and
# cancellation), garbage and a cut-off answer, TLS (refused, then trusted
# by ca_file or insecure_skip_tls_verify), a literal token refused, hostile
# names; the original's delete-gitea-repo workflow.  The token never shows
# in any output, log or the server's store.  Prints TAP.
. "${INN_TOP_SRCDIR:?}/tests/plugin_lib.sh"
echo "1..30"
pt_setup gitea shell gitea-repo argocd-app kubernetes
TOKEN=tok-$$-s3cr3t-QxZ
printf '%s' "$TOKEN" > "$dir/token"
printf 'not-the-token' > "$dir/wrong"
PW=pw-$$-Basic
printf '%s' "$PW" > "$dir/pw"
chmod 600 "$dir/token" "$dir/wrong" "$dir/pw"

# standin NAME [ARGS...]: starts the stand-in; its port in $port, log NAME.log
standin() {
	name=$1; shift
	rm -f "$dir/$name.port"
	python3 "$src/tests/standins/gitea_server.py" --port 0 --port-file "$dir/$name.port" \
		--pid-watch $$ --log "$dir/$name.log" "$@" 2>>"$dir/$name.err" &
	pids="$pids $!"
	i=0
	while [ ! -s "$dir/$name.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	port=$(cat "$dir/$name.port")
}
standin main --token "$TOKEN" --org platform --user giteaadmin --password "$PW"
G="http://127.0.0.1:$port"

cat > "$dir/admin.yaml" <<CONF
workflowPolicies:
  allowedStepTypes: [shell, policy, gitea-repo, argocd-app, kubernetes]
secrets:
  gitea-token: {file: $dir/token}
  wrong-token: {file: $dir/wrong}
  gitea-pw: {file: $dir/pw}
stepDefaults:
  gitea-repo: {token_secret: gitea-token, url: "$G"}
CONF

# wf NAME OPERATION [EXTRA CONFIG LINES]: a one-step workflow against the
# server $U (default: the stand-in $G), written out: never a parameter
wf() {
	{
		printf 'name: %s\nparameters:\n  - {name: repo, type: string, default: app1}\n' "$1"
		printf 'steps:\n'
		printf '  - name: repo\n    type: gitea-repo\n    config:\n'
		printf '      operation: %s\n      url: "%s"\n' "$2" "${U:-$G}"
		printf '      repo: "{{ .parameters.repo }}"\n'
		shift 2
		for l in "$@"; do printf '      %s\n' "$l"; done
		printf 'outputs:\n'
		for o in clone_url ssh_url html_url id full_name status; do
			printf '  %s: "${steps.repo.outputs.%s}"\n' "$o" "$o"
		done
	} > "$dir/$NAME.yaml"
}
mark() { wc -l < "$dir/main.log"; }
since() { tail -n +"$(( $1 + 1 ))" "$dir/main.log"; }
# no_token FILE...: the token shows nowhere
no_token() { ! grep -qF -e "$TOKEN" -e "$PW" "$@"; }

NAME=create wf create create "org: platform" "description: demo" "private: true"
m=$(mark)
c run --local "$dir/create.yaml" >"$dir/out" 2>&1
rc=$?
CHECK_SHOW="$dir/out"
[ $rc -eq 0 ] && grep -q "clone_url: $G/platform/app1.git" "$dir/out" &&
	grep -q "full_name: platform/app1" "$dir/out" && grep -q "status: created" "$dir/out" &&
	since "$m" | grep -q "^POST /api/v1/orgs/platform/repos 201" &&
	curl -sf -H "Authorization: token $TOKEN" "$G/api/v1/repos/platform/app1" |
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["private"] is True and d["description"]=="demo"'
check "create: POST /orgs/platform/repos (201); outputs clone_url, full_name; the repository is private" $?

m=$(mark)
c run --local "$dir/create.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "status: exists" "$dir/out" && grep -q "already exists" "$dir/out" &&
	! since "$m" | grep -q "^POST"
check "create again: the existing repository is success, its details the outputs, nothing POSTed" $?

NAME=mine wf mine create
m=$(mark)
c run --local "$dir/mine.yaml" --param repo=own >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "full_name: giteaadmin/own" "$dir/out" &&
	since "$m" | grep -q "^GET /api/v1/user 200" && since "$m" | grep -q "^POST /api/v1/user/repos 201"
check "create without owner: the token's user (GET /user, POST /user/repos)" $?

# the original's step fields repoName, owner, private (mapped onto config)
cat > "$dir/legacy.yaml" <<WF
name: legacy
steps:
  - name: repo
    type: gitea-repo
    repoName: fromfield
    owner: platform
    private: true
    config: {url: "$G"}
outputs:
  full_name: "\${steps.repo.outputs.full_name}"
  private: "\${steps.repo.outputs.private}"
WF
m=$(mark)
c run --local "$dir/legacy.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "full_name: platform/fromfield" "$dir/out" && grep -q "private: true" "$dir/out" &&
	grep -q 'repoName: deprecated' "$dir/out" && since "$m" | grep -q "^POST /api/v1/orgs/platform/repos 201"
check "the original's step fields repoName, owner, private: read as config.repo, owner, private (owner not the token's user: an organization)" $?

NAME=get wf get get "owner: platform"
c run --local "$dir/get.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "ssh_url: git@127.0.0.1:platform/app1.git" "$dir/out" && grep -q "html_url: $G/platform/app1" "$dir/out"
check "get: reads the repository's details" $?

m=$(mark)
c run --local --dry-run "$dir/create.yaml" --param repo=drynew >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "dry-run: would create repository platform/drynew" "$dir/out" &&
	! since "$m" | grep -qv "^GET " && since "$m" | grep -q "^GET /api/v1/orgs/platform 200" &&
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: token $TOKEN" "$G/api/v1/repos/platform/drynew")" = 404 ]
check "dry-run create: GET requests only, says what it would create, creates nothing" $?

NAME=delete wf delete delete "org_name: platform"
m=$(mark)
c run --local --dry-run "$dir/delete.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "dry-run: would delete repository platform/app1" "$dir/out" &&
	! since "$m" | grep -qv "^GET "
check "dry-run delete: GET only; the repository stays" $?

m=$(mark)
c run --local "$dir/delete.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "status: deleted" "$dir/out" && since "$m" | grep -q "^DELETE /api/v1/repos/platform/app1 204" &&
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: token $TOKEN" "$G/api/v1/repos/platform/app1")" = 404 ]
check "delete: DELETE /repos/platform/app1 (204); the repository is gone" $?

c run --local "$dir/delete.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "status: absent" "$dir/out" && grep -q "does not exist; nothing to delete" "$dir/out"
check "delete again: a missing repository is success with a note" $?

NAME=basic wf basic get "org: platform" "username: giteaadmin" "password_secret: gitea-pw" "token_secret: null"
m=$(mark)
c run --local "$dir/basic.yaml" --param repo=fromfield >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "full_name: platform/fromfield" "$dir/out" && ! grep -qF "$PW" "$dir/out"
check "Basic auth: username and password_secret, the default token_secret nulled (the password not shown)" $?

NAME=wrong wf wrong create "org: platform" "token_secret: wrong-token"
c run --local "$dir/wrong.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'gitea-repo create platform/app1: Gitea at .* answered 401 .*wrong or expired credentials in secret "wrong-token"' "$dir/out" &&
	! grep -q "not-the-token" "$dir/out"
check "a wrong token: a clear 401 step error naming the secret, not its value" $?

# a port nothing listens on
dead=$(pt_dead_port)
U="http://127.0.0.1:$dead" NAME=dead wf create create "org: platform"
timeout 120 "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" run --local "$dir/dead.yaml" \
	>"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "gitea-repo create platform/app1: .*Gitea at http://127.0.0.1:$dead" "$dir/out"
check "an unreachable server: one clear step error naming Gitea and the address" $?

standin hang --token "$TOKEN" --org platform --fault hang
H="http://127.0.0.1:$port"
U=$H NAME=slow wf slow create "org: platform" "timeout: 2s"
timeout 120 "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" run --local "$dir/slow.yaml" \
	>"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "timed_out: gitea-repo create platform/app1: Gitea at $H: GET /repos/platform/app1: no answer within 2s" "$dir/out"
check "a server that never answers: config.timeout ends the step with a timeout error" $?

U=$H NAME=hang wf create create "org: platform"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" run --local "$dir/hang.yaml" \
	>"$dir/out" 2>&1 &
cpid=$!
i=0
while ! grep -q "^" "$dir/hang.log" 2>/dev/null && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT "$cpid"
wait "$cpid"
rc=$?
[ $rc -ne 0 ] && grep -qi "cancel" "$dir/out"
check "cancellation (SIGINT) while a request hangs ends the step as cancelled" $?

standin garbage --token "$TOKEN" --org platform --fault garbage
U="http://127.0.0.1:$port" NAME=garbage wf create create "org: platform"
c run --local "$dir/garbage.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "gitea-repo create platform/app1: " "$dir/out"
check "a server answering garbage: a clear step error, no crash" $?

standin close --token "$TOKEN" --org platform --fault close
U="http://127.0.0.1:$port" NAME=close wf create create "org: platform"
c run --local "$dir/close.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "gitea-repo create platform/app1: " "$dir/out"
check "a server closing mid-answer: a clear step error" $?

# TLS: a self-signed certificate for 127.0.0.1
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/tls.key" -out "$dir/tls.crt" -days 1 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
standin tls --token "$TOKEN" --org platform --tls-cert "$dir/tls.crt" --tls-key "$dir/tls.key"
T="https://127.0.0.1:$port"
U=$T NAME=tls wf create create "org: platform"
c run --local "$dir/tls.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -qi "gitea-repo create platform/app1: .*certificate" "$dir/out"
check "TLS: a self-signed server is refused with a certificate error" $?
U=$T NAME=ca wf ca create "org: platform" "ca_file: $dir/tls.crt"
c run --local "$dir/ca.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "clone_url: $T/platform/app1.git" "$dir/out"
check "TLS: trusted through config.ca_file" $?
U=$T NAME=insec wf insec get "org: platform" "insecure_skip_tls_verify: true"
c run --local "$dir/insec.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "TLS verification of $T is off" "$dir/out"
check "TLS: insecure_skip_tls_verify works, with a warning" $?

NAME=literal wf literal create "org: platform" "token: abc"
c test-workflow "$dir/literal.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'config.token: a credential is never written in a workflow' "$dir/out"
check "a literal token in the workflow is refused at load" $?

NAME=evil wf evil create "org: ../etc"
c test-workflow "$dir/evil.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'config.org: "../etc" is not a valid owner name' "$dir/out"
check "a path-like owner is refused at load, naming the field" $?

# where the token goes is never a parameter's choice: url (either spelling
# in use), ca_file and insecure_skip_tls_verify from a template are
# refused at load, naming the field, and nothing reaches any server
cat > "$dir/tp.yaml" <<WF
name: tp
parameters:
  - {name: u, type: string, default: "$G"}
  - {name: ins, type: boolean, default: true}
  - {name: ca, type: string, default: "$dir/tls.crt"}
steps:
  - name: g
    type: gitea-repo
    config: {url: "{{ .parameters.u }}", org: platform, repo: r1}
WF
sed 's|url: "{{ .parameters.u }}"|url: "'"$T"'", insecure_skip_tls_verify: "{{ .parameters.ins }}"|' "$dir/tp.yaml" >"$dir/tp2.yaml"
sed 's|url: "{{ .parameters.u }}"|url: "'"$T"'", ca_file: "{{ .parameters.ca }}"|' "$dir/tp.yaml" >"$dir/tp3.yaml"
m=$(mark)
mt=$(wc -l < "$dir/tls.log")
: >"$dir/out"
for f in tp tp2 tp3; do
	c test-workflow "$dir/$f.yaml" >>"$dir/out" 2>&1; echo "rc=$?" >>"$dir/out"
	c run --local "$dir/$f.yaml" >>"$dir/out" 2>&1; echo "rc=$?" >>"$dir/out"
done
[ "$(grep -c '^rc=3$' "$dir/out")" -eq 6 ] &&
	grep -q 'config.url: must be written out, not a template (a run parameter must not decide where credentials are sent)' "$dir/out" &&
	grep -q 'config.insecure_skip_tls_verify: must be written out, not a template' "$dir/out" &&
	grep -q 'config.ca_file: must be written out, not a template' "$dir/out" &&
	[ "$(since "$m" | wc -l)" -eq 0 ] && [ "$(wc -l < "$dir/tls.log")" -eq "$mt" ]
check "url, insecure_skip_tls_verify and ca_file from a template: refused at load naming the field; no request sent" $?

# without the admin config's stepDefaults: no url at all is a load error,
# and the original's gitea_url from a parameter is refused (the platform
# sets url once in stepDefaults, which then wins)
printf 'workflowPolicies:\n  allowedStepTypes: [gitea-repo]\n' >"$dir/bare.yaml"
printf 'name: ng\nsteps:\n  - name: g\n    type: gitea-repo\n    config: {org: p, repo: r}\n' >"$dir/ng.yaml"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/bare.yaml" test-workflow "$dir/ng.yaml" >"$dir/out" 2>&1
rc=$?
rc2=0
if [ -d "$compat/providers/container-team" ]; then
	"$ctl" --plugin-dir "$dir/plugins" --config "$dir/bare.yaml" test-workflow \
		"$compat/providers/container-team/workflows/delete-gitea-repo.yaml" >>"$dir/out" 2>&1
	rc2=$?
	grep -q 'config.gitea_url: must be written out, not a template' "$dir/out" || rc2=0
fi
[ $rc -eq 3 ] && grep -q 'config.url: missing (the Gitea server' "$dir/out" &&
	{ [ ! -d "$compat/providers/container-team" ] || [ $rc2 -eq 3 ]; }
check "no url after stepDefaults: refused at load; the original's gitea_url parameter alone is refused too" $?

m=$(mark)
c run --local "$dir/create.yaml" --param 'repo=x/../../admin' >"$dir/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q 'config.repo: "x/../../admin" is not a valid repository name' "$dir/out" &&
	[ "$(since "$m" | wc -l)" -eq 0 ]
check "a hostile repository name from a parameter is refused before any request" $?

# stepPolicies written in the original's spelling (gitea_url, org): the
# step's other spelling (url, owner, or the step-level owner:) with a
# different value is refused at load naming both; nothing is sent (B03/B04)
sed 's/^stepDefaults:$/stepPolicies:\n  gitea-repo: {gitea_url: "'"$(printf %s "$G" | sed 's/[\/&]/\\&/g')"'", org: platform}\nstepDefaults:/' \
	"$dir/admin.yaml" >"$dir/pol-admin.yaml"
U=http://127.0.0.1:1 NAME=pu wf pu get
NAME=po wf po get "owner: evil"
cat > "$dir/pl.yaml" <<'WF'
apiVersion: workflow.dev/v1
kind: Workflow
metadata: {name: pl}
spec:
  steps:
  - name: s
    type: gitea-repo
    owner: evil
    repoName: r
    config: {operation: get}
WF
m=$(mark)
ok=0
for f in pu po pl; do
	"$ctl" --plugin-dir "$dir/plugins" --config "$dir/pol-admin.yaml" run --local "$dir/$f.yaml" \
		>"$dir/out" 2>&1
	rc=$?
	case $f in
	pu) want="config.url (\"http://127.0.0.1:1\") and config.gitea_url (\"$G\") are two spellings of one setting with different values";;
	*) want='config.owner ("evil") and config.org ("platform") are two spellings of one setting with different values';;
	esac
	[ $rc -eq 3 ] && grep -qF "$want" "$dir/out" || { ok=1; echo "# $f: $(tail -2 "$dir/out")"; }
done
[ $ok -eq 0 ] && [ "$(since "$m" | wc -l)" -eq 0 ]
check "stepPolicies in one spelling: the step's other spelling with a different value is refused at load, naming both; nothing sent" $?

no_token "$dir"/*.log "$dir"/out "$dir/admin.yaml"
check "the token is in no output or request log" $?

# the original's delete-gitea-repo workflow (its config: gitea_url,
# org_name, repo_name; the token and url from stepDefaults: the platform's
# url wins over the workflow's gitea_url default, as the original's admin
# config did)
if [ -d "$compat/providers/container-team" ]; then
	curl -sf -o /dev/null -H "Authorization: token $TOKEN" -H 'Content-Type: application/json' \
		-d '{"name":"legacy"}' "$G/api/v1/orgs/platform/repos"
	c --providers "$compat/providers" run --local container-team/delete-gitea-repo \
		--param repo_name=legacy --param org_name=platform >"$dir/out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && grep -q "deleted repository platform/legacy" "$dir/out" &&
		grep -q 'config.gitea_url ("http://gitea.localtest.me") differs from config.url' "$dir/out" &&
		[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: token $TOKEN" "$G/api/v1/repos/platform/legacy")" = 404 ]
	check "the original's container-team/delete-gitea-repo runs unchanged (the platform's url from stepDefaults wins)" $?
else
	n=$((n + 1)); echo "ok $n - # SKIP the original's providers are not in $compat"
fi

# once through the server
NAME=create wf create create "org: platform"
if pt_server git-team "$dir/create.yaml"; then
	INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key" "$ctl" run git-team/create \
		--param repo=viaserver >"$dir/out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && grep -q "full_name: platform/viaserver" "$dir/out" &&
		[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: token $TOKEN" "$G/api/v1/repos/platform/viaserver")" = 200 ]
	check "through the server: the workflow creates the repository, outputs come back" $?
	pt_server_stop
	no_token -r "$dir/srv/data" "$dir/server.log" "$dir/out"
	check "the token is nowhere in the server's store or log" $?
else
	check "through the server: the workflow creates the repository, outputs come back" 1
	check "the token is nowhere in the server's store or log" 1
fi

# the original's step configs load (every step type of the container-team)
if [ -d "$compat/providers/container-team" ]; then
	c validate-provider "$compat/providers/container-team" >"$dir/out" 2>&1
	rc=$?
	[ $rc -eq 0 ] && grep -q "provider container-team 1.0.0: valid, 9 workflow(s)" "$dir/out" &&
		! grep -q "error:" "$dir/out"
	check "validate-provider: the container-team provider loads with gitea-repo.so and argocd-app.so" $?
else
	n=$((n + 1)); echo "ok $n - # SKIP the original's providers are not in $compat"
fi
exit $fail
