#!/bin/sh
# vault_setup.sh - vault-setup.so as a user drives it, against the Vault
# STAND-IN (tests/standins/vault_server.py) -- or against a real Vault when
# VAULT_ADDR and VAULT_TOKEN are set (then the stand-in-only checks: request
# log, TLS, hang, are skipped): KV write/read/patch, generated passwords
# (length and alphabet kept; the value in KV but in no log, output or API
# answer), a policy, an AppRole role, delete, a wrong token, an unreachable
# server, TLS without and with the CA, a timeout, a cancellation, a dry-run
# that writes nothing, load-time refusals -- through run --local, and once
# through the server.  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-vault-XXXXXX")
pids=""
spid=""
trap 'for p in $pids $spid; do kill $p 2>/dev/null; done; wait 2>/dev/null; rm -rf "$dir"' EXIT
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/data" "$dir/prov/workflows"
chmod 755 "$dir/plugins"
for p in vault-setup shell; do
	install -m 755 "$build/plugins/$p/.libs/$p.so" "$dir/plugins/$p.so"
done
. "$src/tests/ctl_lib.sh"
CHECK_SHOW="$dir/out"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 (the Vault stand-in) not found"; exit 0; }

# stand_in NAME ARG...: starts a stand-in; its URL port in $port
stand_in() {
	name=$1; shift
	rm -f "$dir/$name.port"
	python3 "$src/tests/standins/vault_server.py" --port 0 --port-file "$dir/$name.port" \
		--pid-watch $$ "$@" 2>"$dir/$name.err" &
	pids="$pids $!"
	i=0
	while [ ! -s "$dir/$name.port" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
	port=$(cat "$dir/$name.port" 2>/dev/null)
}

real=0
if [ -n "${VAULT_ADDR:-}" ] && [ -n "${VAULT_TOKEN:-}" ]; then
	real=1
	addr=$VAULT_ADDR
	token=$VAULT_TOKEN
else
	token="hvs.standin-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
	stand_in vault --token "$token" --log "$dir/vault.log"
	addr="http://127.0.0.1:$port"
fi
umask 077
printf '%s\n' "$token" >"$dir/token"
printf 'hvs.not-the-token\n' >"$dir/wrong"
umask 022
cat >"$dir/admin.yaml" <<CONF
secrets:
  vault-token: {file: $dir/token}
  wrong-token: {file: $dir/wrong}
CONF
# every path of this run below one prefix (a real Vault is shared)
pre="inn-test-$$"

c() { "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" "$@"; }
# wf FILE STEPCONFIG [MORE STEPS]: a workflow with one vault-setup step "v"
# (address and token_secret set) whose further config keys are STEPCONFIG
wf() {
	{
		printf 'name: vt\nsteps:\n  - name: v\n    type: vault-setup\n    config:\n'
		printf '      address: "%s"\n      token_secret: vault-token\n' "${A:-$addr}"
		printf '%s\n' "$2" | sed 's/^/      /'
		[ -n "${3:-}" ] && printf '%s\n' "$3"
	} >"$1"
}
# vget PATH: the KV v2 answer for PATH straight from Vault (not through
# innominatus), in $dir/kv
vget() {
	curl -s -o "$dir/kv" -w '%{http_code}' -H "X-Vault-Token: $token" "$addr/v1/$1"
}
# run_at URL [CONFIG]: a workflow (default: a read of x) aimed at URL, run
# --local; its output appended to $dir/out
run_at() {
	A=$1 wf "$dir/at.yaml" "${2:-operation: read
path: x}"
	c run --local "$dir/at.yaml" >>"$dir/out" 2>&1
}
# then_save KEY FILE: a second step writing step v's output KEY into FILE
then_save() {
	printf '  - name: use\n    type: shell\n    config: {script: %s}\n' \
		"'printf %s \"\${steps.v.outputs.$1}\" >$2'"
}
# outputs_ok EXPR: EXPR holds for o, step v's outputs in $dir/out (-o json)
outputs_ok() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); o=d["steps"][0]["outputs"]; assert eval(sys.argv[2]), o' \
		"$dir/out" "$1" 2>>"$dir/out"
}
# jq_py EXPR: evaluates EXPR with d = the JSON in $dir/kv
jq_py() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' \
		"$dir/kv" "$1" 2>/dev/null
}
echo "1..39"

# write
wf "$dir/w.yaml" "operation: write
path: $pre/db
data: {user: app, port: 5432}"
c -o json run --local "$dir/w.yaml" >"$dir/out" 2>&1
rc=$?
outputs_ok "o['path'] == 'secret/data/$pre/db' and o['version'] == '1'"
r2=$?
[ "$(vget "secret/data/$pre/db")" = 200 ] && [ "$(jq_py 'd["data"]["data"]["user"]')" = app ]
check "write stores the data in KV v2; outputs path and version" $(( rc + r2 + $? ))

# hostile keys and values are data, stored exactly
wf "$dir/h.yaml" "operation: write
path: $pre/hostile
data: {'we\"ird key': \"line1\\nline2 \$(id) \`id\` '; DROP\", 'ünï/cödé': 'ç', big: '$(head -c 20000 /dev/zero | tr '\0' x)'}"
c run --local "$dir/h.yaml" >"$dir/out" 2>&1
rc=$?
vget "secret/data/$pre/hostile" >/dev/null
[ "$(jq_py 'd["data"]["data"]["we\"ird key"] == "line1\nline2 $(id) `id` \x27; DROP" and d["data"]["data"]["ünï/cödé"] == "ç" and len(d["data"]["data"]["big"]) == 20000')" = True ]
check "hostile keys and values (quotes, newlines, \$(id), unicode, 20 kB) are stored exactly" $(( rc + $? ))

# a Vault namespace: X-Vault-Namespace on every request
if [ $real = 0 ]; then
	wf "$dir/ns.yaml" "namespace: team-ns
operation: write
path: $pre/nsd
data: {a: b}"
	c run --local "$dir/ns.yaml" >"$dir/out" 2>&1
	rc=$?
	code_ns=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $token" \
		-H "X-Vault-Namespace: team-ns" "$addr/v1/secret/data/$pre/nsd")
	[ $rc = 0 ] && [ "$code_ns" = 200 ] && [ "$(vget "secret/data/$pre/nsd")" = 404 ] &&
		grep -q "GET /v1/auth/token/lookup-self 200 ns=team-ns" "$dir/vault.log"
	check "namespace: the secret lands in that Vault namespace only" $?
else
	check "namespace # SKIP stand-in only (a real Vault may have no namespaces)" 0
fi

# patch
wf "$dir/p.yaml" "operation: patch
path: $pre/db
data: {port: 6543}"
c run --local "$dir/p.yaml" >"$dir/out" 2>&1
rc=$?
vget "secret/data/$pre/db" >/dev/null
[ "$(jq_py 'd["data"]["data"]["port"], d["data"]["data"]["user"], d["data"]["metadata"]["version"]')" = "(6543, 'app', 2)" ]
check "patch merges into the secret (merge-patch), a new version" $(( rc + $? ))

# read into secret outputs, used by a later step
wf "$dir/r.yaml" "operation: read
path: $pre/db
keys: [user]" "$(then_save user "$dir/got")"
c -o json run --local "$dir/r.yaml" >"$dir/out" 2>&1
rc=$?
outputs_ok "o['user'] == '***'"
r2=$?
[ "$(cat "$dir/got" 2>/dev/null)" = app ]
check "read gives the keys as secret outputs (*** shown, real value to the next step)" $(( rc + r2 + $? ))

# generated password
wf "$dir/g.yaml" "operations:
  - {operation: generate-password, path: $pre/pw, key: password, length: 40, charset: 'abc123'}
  - {operation: generate-password, path: $pre/pw, key: pin, length: 12, classes: [digits, upper]}"
c -o json run --local "$dir/g.yaml" >"$dir/out" 2>"$dir/err"
rc=$?
vget "secret/data/$pre/pw" >/dev/null
pw=$(jq_py 'd["data"]["data"]["password"]')
pin=$(jq_py 'd["data"]["data"]["pin"]')
echo "$pw" | grep -qE '^[abc123]{40}$' && echo "$pin" | grep -qE '^[0-9A-Z]{12}$' &&
	echo "$pin" | grep -q '[0-9]' && echo "$pin" | grep -q '[A-Z]'
check "generate-password keeps length and alphabet (charset; classes each present)" $(( rc + $? ))
cat "$dir/err" >>"$dir/out"
! grep -qF "$pw" "$dir/out" && ! grep -qF "$pin" "$dir/out" && [ -n "$pw" ]
check "the generated values appear in no step log and no output listing" $?
c run --local "$dir/g.yaml" >"$dir/out" 2>&1
rc=$?
vget "secret/data/$pre/pw" >/dev/null
[ "$(jq_py 'd["data"]["data"]["password"]')" = "$pw" ] && grep -q "already holds password" "$dir/out"
check "a second run keeps an existing password (rotate: true replaces it)" $(( rc + $? ))

# policy from paths, then from HCL text
wf "$dir/pol.yaml" "operations:
  - operation: policy
    name: $pre-read
    paths: {\"secret/data/$pre/*\": [read, list], \"secret/metadata/$pre/*\": [list]}
  - operation: policy
    name: $pre-hcl
    policy: |
      path \"secret/data/$pre/x\" {
        capabilities = [\"read\"]
      }"
c run --local "$dir/pol.yaml" >"$dir/out" 2>&1
rc=$?
vget "sys/policies/acl/$pre-read" >/dev/null
jq_py 'd["data"]["policy"]' >"$dir/hcl"
grep -qF "path \"secret/data/$pre/*\" {" "$dir/hcl" && grep -qF 'capabilities = ["read", "list"]' "$dir/hcl"
check "policy from {path: [capabilities]} is written as HCL" $(( rc + $? ))
vget "sys/policies/acl/$pre-hcl" >/dev/null
jq_py 'd["data"]["policy"]' | grep -qF "path \"secret/data/$pre/x\""
check "policy from HCL text is written as given" $?

# AppRole
wf "$dir/ar.yaml" "operation: approle
name: $pre-app
token_policies: [$pre-read]
ttl: 1h
secret_id: true
enable_auth: true" "$(then_save secret_id "$dir/sid")"
c -o json run --local "$dir/ar.yaml" >"$dir/out" 2>&1
rc=$?
outputs_ok "len(o['role_id']) > 8 and o['role_id'] != '***' and o['secret_id'] == '***'"
r2=$?
vget "auth/approle/role/$pre-app" >/dev/null
[ "$(jq_py 'd["data"]["token_policies"]')" = "['$pre-read']" ]
check "approle writes the role; role_id is a plain output, secret_id a secret one" $(( rc + r2 + $? ))
sid=$(cat "$dir/sid" 2>/dev/null)
[ ${#sid} -gt 8 ] && ! grep -qF "$sid" "$dir/out"
check "the secret_id reaches the next step and no log" $?

# delete
wf "$dir/d.yaml" "operation: delete
path: $pre/db"
c run --local "$dir/d.yaml" >"$dir/out" 2>&1
rc=$?
[ "$(vget "secret/metadata/$pre/db")" = 404 ]
check "delete removes the secret and all its versions (metadata)" $(( rc + $? ))

# a wrong token
sed 's/token_secret: vault-token/token_secret: wrong-token/' "$dir/w.yaml" >"$dir/wrong.yaml"
c run --local "$dir/wrong.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q 'vault-setup token lookup-self: Vault at .*: 403 permission denied.* (the token in secret "wrong-token"' "$dir/out" &&
	! grep -qF "hvs.not-the-token" "$dir/out"
check "a wrong token: one clear 403 step error naming the secret, not the token" $?

# a token literal in the workflow is refused at load
wf "$dir/lit.yaml" "token: s.abc
operation: read
path: x"
c test-workflow "$dir/lit.yaml" >"$dir/out" 2>&1
rc=$?
wf "$dir/pols.yaml" "secrets: [a]
path: x
policies: [payment-read]"
c test-workflow "$dir/pols.yaml" >>"$dir/out" 2>&1
rc2=$?
[ $rc = 3 ] && grep -q 'config.token: a Vault token is never written in a workflow.*token_secret' "$dir/out" &&
	[ $rc2 = 3 ] && grep -q 'config.policies: not supported .*operation: policy' "$dir/out"
check "token: in a workflow is refused at load, pointing to token_secret; so is the original's policies:" $?

# load-time refusals name the field
wf "$dir/bad.yaml" "operations:
  - {operation: write, path: ../etc, data: {a: b}}"
c test-workflow "$dir/bad.yaml" >"$dir/out" 2>&1
rc=$?
wf "$dir/bad2.yaml" "operations:
  - {operation: policy, name: p, paths: {'x\" { capabilities = [\"sudo\"] } path \"y': [read]}}"
c test-workflow "$dir/bad2.yaml" >>"$dir/out" 2>&1
rc2=$?
wf "$dir/bad3.yaml" "operation: read
path: x
keys: [user, version]"
c test-workflow "$dir/bad3.yaml" >>"$dir/out" 2>&1
rc3=$?
[ $rc = 3 ] && [ $rc2 = 3 ] && [ $rc3 = 3 ] &&
	grep -q 'config.operations.0.path: "../etc" is not a KV path' "$dir/out" &&
	grep -q 'config.operations.0.paths: .* is not a policy path' "$dir/out" &&
	grep -q 'config.keys.1: "version" is a name of the step.s own outputs' "$dir/out"
check "a path with .., an HCL-breaking policy path, a read key named like an own output: refused at load" $?

# HCL text is never rendered from a parameter: a value could close the
# path's string and add rules (A17); a map key is never rendered at all
hostile=$(printf 'shop/*" {\n  capabilities = ["read"]\n}\npath "*" {\n  capabilities = ["sudo"]\n}\npath "x')
wf "$dir/ph.yaml" "operation: policy
name: $pre-ph
policy: |
  path \"secret/data/apps/{{ .parameters.app }}/*\" {
    capabilities = [\"read\"]
  }"
printf 'parameters:\n  - {name: app, type: string, default: shop}\n' >>"$dir/ph.yaml"
c test-workflow "$dir/ph.yaml" >"$dir/out" 2>&1
rc=$?
wf "$dir/pk.yaml" "operation: policy
name: $pre-pk
paths: {\"secret/data/{{ .parameters.app }}/*\": [read]}"
printf 'parameters:\n  - {name: app, type: string, default: shop}\n' >>"$dir/pk.yaml"
c test-workflow "$dir/pk.yaml" >>"$dir/out" 2>&1
rc2=$?
[ $rc = 3 ] && [ $rc2 = 3 ] &&
	grep -q 'config.policy: HCL text must be written out, not a template .*paths: \[{path' "$dir/out" &&
	grep -q 'config.paths: "secret/data/{{ .parameters.app }}/\*": a map key is never rendered' "$dir/out" &&
	[ "$(vget "sys/policies/acl/$pre-ph")" = 404 ]
check "a template in policy HCL text or in a paths key is refused at load" $?

# the list form takes a path from a parameter, checked once rendered
wf "$dir/pl.yaml" "operation: policy
name: \"{{ .parameters.name }}\"
paths:
  - {path: \"secret/data/apps/{{ .parameters.app }}/*\", capabilities: [read, list]}"
printf 'parameters:\n  - {name: app, type: string, default: shop}\n  - {name: name, type: string, default: %s-pl}\n' "$pre" >>"$dir/pl.yaml"
c run --local "$dir/pl.yaml" >"$dir/out" 2>&1
rc=$?
vget "sys/policies/acl/$pre-pl" >/dev/null
jq_py 'd["data"]["policy"]' >"$dir/hcl"
grep -qF 'path "secret/data/apps/shop/*" {' "$dir/hcl" && [ "$(grep -c '^path' "$dir/hcl")" = 1 ]
r1=$(( rc + $? ))
c run --local "$dir/pl.yaml" --param app="$hostile" >"$dir/out" 2>&1
rc=$?
c run --local "$dir/pl.yaml" --param name=.. >>"$dir/out" 2>&1
rc2=$?
vget "sys/policies/acl/$pre-pl" >/dev/null
jq_py 'd["data"]["policy"]' >"$dir/hcl"
[ $r1 = 0 ] && [ $rc = 1 ] && [ $rc2 = 1 ] &&
	grep -qF 'config.paths.0: "secret/data/apps/shop/*" {..." is not a policy path' "$dir/out" &&
	grep -q 'config.name: "\.\." is not a valid policy name' "$dir/out" &&
	! grep -q 'sudo' "$dir/hcl" && [ "$(grep -c '^path' "$dir/hcl")" = 1 ]
check "paths as a list: a path from a parameter is written; one that would leave its string, or a name '..', is refused" $?

# a read of all keys skips a key that is no output name, and gives the rest
wf "$dir/rk.yaml" "operations:
  - {operation: write, path: $pre/odd, data: {a: val-a, '../a': val-b, 'a b': val-c, '..': val-d}}
  - {operation: read, path: $pre/odd}"
c -o json run --local "$dir/rk.yaml" >"$dir/out" 2>"$dir/rk.err"
rc=$?
outputs_ok "o['a'] == '***' and '../a' not in o and 'a b' not in o and '..' not in o"
r2=$?
cp "$dir/out" "$dir/rk.json"
c run --local "$dir/rk.yaml" >"$dir/out" 2>&1
cat "$dir/rk.json" "$dir/rk.err" >>"$dir/out"
[ $rc = 0 ] && [ $r2 = 0 ] &&
	grep -q 'read secret/'"$pre"'/odd: key "\.\./a" not output: not an output name' "$dir/out" &&
	grep -q 'key "a b" not output: not an output name' "$dir/out"
check "a read of all keys skips keys that are no output name with a warning naming each, and outputs the others" $?

# where the token goes and whom it trusts are never a parameter's choice
wf "$dir/ti.yaml" "insecure_skip_tls_verify: \"{{ .parameters.ins }}\"
operation: read
path: x"
printf 'parameters:\n  - {name: ins, type: boolean, default: true}\n' >>"$dir/ti.yaml"
c test-workflow "$dir/ti.yaml" >"$dir/out" 2>&1
rc=$?
wf "$dir/tc.yaml" "ca_file: \"{{ .parameters.ca }}\"
operation: read
path: x"
printf 'parameters:\n  - {name: ca, type: string, default: /etc/ssl/x.pem}\n' >>"$dir/tc.yaml"
c test-workflow "$dir/tc.yaml" >>"$dir/out" 2>&1
rc2=$?
wf "$dir/tx.yaml" "operation: read
path: x
vso: {kubeconfig: /k, context: \"{{ .parameters.ctx }}\", namespace: a, role: r, destination: d}"
printf 'parameters:\n  - {name: ctx, type: string, default: c}\n' >>"$dir/tx.yaml"
c test-workflow "$dir/tx.yaml" >>"$dir/out" 2>&1
rc3=$?
[ $rc = 3 ] && [ $rc2 = 3 ] && [ $rc3 = 3 ] &&
	grep -q 'config.insecure_skip_tls_verify: must be written out, not a template (a run parameter must not decide where credentials are sent)' "$dir/out" &&
	grep -q 'config.ca_file: must be written out, not a template' "$dir/out" &&
	grep -q 'config.vso.context: must be written out, not a template' "$dir/out"
check "insecure_skip_tls_verify, ca_file and vso.context from a template are refused at load" $?

# unreachable
: >"$dir/out"
run_at "http://127.0.0.1:1"
rc=$?
[ $rc = 1 ] && grep -q 'vault-setup token lookup-self: Vault at http://127.0.0.1:1' "$dir/out"
check "an unreachable Vault: a step error naming Vault and the operation" $?

# dry-run writes nothing
if [ $real = 0 ]; then
	before=$(wc -l <"$dir/vault.log")
	wf "$dir/dry.yaml" "enable_mount: true
operations:
  - {operation: write, path: $pre/dry, data: {k1: v1}}
  - {operation: generate-password, path: $pre/dry, key: pw}
  - {operation: policy, name: $pre-dry, paths: {\"secret/*\": [read]}}
  - {operation: approle, name: $pre-dry, enable_auth: true}
  - {operation: delete, path: $pre/pw}"
	c run --local "$dir/dry.yaml" --dry-run >"$dir/out" 2>&1
	rc=$?
	tail -n +"$((before + 1))" "$dir/vault.log" >"$dir/dry.log"
	cat "$dir/dry.log" >>"$dir/out"
	[ $rc = 0 ] && ! grep -qvE '^GET ' "$dir/dry.log" && grep -q 'would write .*dry (keys: k1)' "$dir/out" &&
		grep -q 'would delete .*pw (2 versions)' "$dir/out" && [ "$(vget "secret/data/$pre/dry")" = 404 ]
	check "dry-run: only GETs reach Vault (token, health, mounts) and it says what it would write" $?
else
	check "dry-run writes nothing # SKIP needs the stand-in's request log" 0
fi

# the stand-in's request log holds key names, never the values written
if [ $real = 0 ]; then
	! grep -qF "$pw" "$dir/vault.log" && ! grep -qF "$token" "$dir/vault.log" && grep -q "keys=password" "$dir/vault.log"
	check "Vault saw the password key written (the stand-in logs names only)" $?
else
	check "stand-in request log # SKIP real Vault" 0
fi

# enable_mount enables kv v2 at a new mount, then writes there
wf "$dir/m.yaml" "mount: $pre-kv
enable_mount: true
operation: write
path: a/b
data: {x: y}"
c run --local "$dir/m.yaml" >"$dir/out" 2>&1
rc=$?
[ "$(vget "$pre-kv/data/a/b")" = 200 ] && grep -q "enabled kv version 2 at $pre-kv/" "$dir/out"
check "enable_mount: a missing mount is enabled as kv v2" $(( rc + $? ))

# a missing mount without enable_mount
wf "$dir/nm.yaml" "mount: $pre-none
operation: write
path: a
data: {x: y}"
c run --local "$dir/nm.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc = 1 ] && grep -q "vault-setup write $pre-none/a: Vault at .*: 404\|vault-setup write $pre-none/a: Vault at .*: 403" "$dir/out"
check "a write to a mount that does not exist fails naming the operation" $?

# patch of a missing secret
wf "$dir/pm.yaml" "operation: patch
path: $pre/missing
data: {a: b}"
c run --local "$dir/pm.yaml" >"$dir/out" 2>&1
[ $? = 1 ] && grep -q "nothing to patch at secret/$pre/missing (write it first)" "$dir/out"
check "patch of a missing secret says to write it first" $?

if [ $real = 0 ]; then
	# TLS
	mkdir -p "$dir/tls"
	stand_in tls --token "$token" --tls-gen "$dir/tls"
	: >"$dir/out"
	run_at "https://127.0.0.1:$port"
	rc=$?
	[ $rc = 1 ] && grep -qi 'vault-setup token lookup-self: Vault at https://127.0.0.1:[0-9]*.*certificate' "$dir/out"
	check "TLS: a self-signed Vault fails verification with a clear step error" $?
	: >"$dir/out"
	run_at "https://127.0.0.1:$port" "ca_file: $dir/tls/vault-ca.pem
operation: write
path: $pre/tls
data: {a: b}"
	rc=$?
	[ $rc = 0 ] && [ "$(curl -s --cacert "$dir/tls/vault-ca.pem" -o /dev/null -w '%{http_code}' \
		-H "X-Vault-Token: $token" "https://127.0.0.1:$port/v1/secret/data/$pre/tls")" = 200 ]
	check "TLS: with ca_file the same Vault is trusted" $?
	: >"$dir/out"
	run_at "https://127.0.0.1:$port" "insecure_skip_tls_verify: true
operation: write
path: $pre/tls2
data: {a: b}"
	[ $? = 0 ] && grep -q "vault-setup: TLS verification of https://127.0.0.1:$port is off" "$dir/out"
	check "TLS: insecure_skip_tls_verify: true connects, with a warning in the step log" $?

	# timeout
	stand_in hang --token "$token" --hang
	hang=$port
	A="http://127.0.0.1:$hang" wf "$dir/to.yaml" "timeout: 2s
operation: read
path: x"
	timeout 60 "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" run --local "$dir/to.yaml" >"$dir/out" 2>&1
	rc=$?
	[ $rc != 124 ] && [ $rc != 0 ] && grep -q 'vault-setup token lookup-self: Vault at .*: no answer within 2s' "$dir/out"
	check "a Vault that never answers: the step times out (config.timeout) with a clear error" $?

	# cancellation
	A="http://127.0.0.1:$hang" wf "$dir/cn.yaml" "operation: read
path: x"
	"$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" run --local "$dir/cn.yaml" >"$dir/out" 2>&1 &
	cpid=$!
	i=0
	while ! grep -q 'running' "$dir/out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	sleep 1
	kill -INT $cpid
	wait $cpid
	rc=$?
	[ $rc = 4 ] && grep -qi 'cancel' "$dir/out"
	check "cancelling the run ends the hanging request (exit 4, cancelled)" $?

	# a server that answers garbage, one that closes mid-answer
	stand_in garbage --token "$token" --garbage
	: >"$dir/out"
	run_at "http://127.0.0.1:$port"
	rc=$?
	stand_in close --token "$token" --close-early
	run_at "http://127.0.0.1:$port"
	rc2=$?
	[ $rc = 1 ] && [ $rc2 = 1 ] && grep -q 'vault-setup token lookup-self: Vault at .* answered 200 with a body that is not JSON' "$dir/out" &&
		grep -q 'vault-setup token lookup-self: Vault at http://127.0.0.1:[0-9]*: ' "$dir/out"
	check "a server answering garbage or closing mid-answer: a clear step error each" $?

	# a template in address is refused at load: the token goes there
	A='{{ .parameters.addr }}' wf "$dir/ta.yaml" "operation: read
path: x"
	c test-workflow "$dir/ta.yaml" >"$dir/out" 2>&1
	[ $? = 3 ] && grep -q 'config.address: must be written out, not a template' "$dir/out"
	check "address from a template is refused at load (the token is sent there)" $?
else
	for t in "TLS failure" "TLS with CA" "TLS insecure" "timeout" "cancellation" "garbage" "template address"; do
		check "$t # SKIP stand-in only" 0
	done
fi

# the original's form: secrets: [names] with path
wf "$dir/orig.yaml" "secrets: [stripe-api-key, webhook-key]
path: $pre/payments"
c run --local "$dir/orig.yaml" >"$dir/out" 2>&1
rc=$?
vget "secret/data/$pre/payments" >/dev/null
[ "$(jq_py 'sorted(d["data"]["data"])')" = "['stripe-api-key', 'webhook-key']" ] &&
	[ "$(jq_py 'len(d["data"]["data"]["webhook-key"])')" = 32 ]
check "the original's secrets: [names] + path generate one password each" $(( rc + $? ))

# the Vault Secrets Operator objects on the Kubernetes STAND-IN
. "$src/tests/standins/kube_lib.sh"
if kube_start "$dir/kube" --crd-file "$src/tests/standins/crds.yaml"; then
	pids="$pids $kube_pid"
	curl -s -o /dev/null -X POST -H 'Content-Type: application/json' \
		-d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"}}' \
		"$kube_url/api/v1/namespaces"
	kget() {
		curl -s -o "$dir/kv" -w '%{http_code}' \
			"$kube_url/apis/secrets.hashicorp.com/v1beta1/namespaces/team-a/$1"
	}
	wf "$dir/vso.yaml" "operation: write
path: $pre/app
data: {user: app}
vso: {kubeconfig: $kube_config, namespace: team-a, role: app-read, destination: app-creds}"
	c -o json run --local "$dir/vso.yaml" >"$dir/out" 2>&1
	rc=$?
	outputs_ok "o['vso_auth'] == 'app-creds-auth' and o['vso_secret'] == 'app-creds'"
	r2=$?
	[ "$(kget vaultstaticsecrets/app-creds)" = 200 ] &&
		[ "$(jq_py 'd["spec"]["path"], d["spec"]["mount"], d["spec"]["type"], d["spec"]["destination"], d["spec"]["vaultAuthRef"]')" = "('$pre/app', 'secret', 'kv-v2', {'name': 'app-creds', 'create': True}, 'app-creds-auth')" ]
	check "vso: a VaultStaticSecret syncing the path into Secret app-creds" $(( rc + r2 + $? ))
	[ "$(kget vaultauths/app-creds-auth)" = 200 ] &&
		[ "$(jq_py 'd["spec"]["method"], d["spec"]["mount"], d["spec"]["kubernetes"]')" = "('kubernetes', 'kubernetes', {'role': 'app-read', 'serviceAccount': 'default'})" ]
	check "vso: a VaultAuth with the kubernetes method, role and service account" $?
	sed 's/destination: app-creds/destination: dry-creds/' "$dir/vso.yaml" >"$dir/vso2.yaml"
	c run --local "$dir/vso2.yaml" --dry-run >"$dir/out" 2>&1
	rc=$?
	[ $rc = 0 ] && [ "$(kget vaultstaticsecrets/dry-creds)" = 404 ] &&
		grep -q 'dry-run (server side): VaultStaticSecret team-a/dry-creds' "$dir/out"
	check "vso in a dry-run: a server-side dry run, nothing created" $?
else
	for t in "VaultStaticSecret" "VaultAuth" "dry-run"; do
		check "vso $t # SKIP the Kubernetes stand-in did not start" 0
	done
fi

# through the server (the secret from the admin config's secrets:)
cp "$dir/g.yaml" "$dir/prov/workflows/gen.yaml"
sed -i "s|$pre/pw|$pre/srv|" "$dir/prov/workflows/gen.yaml"
printf 'apiVersion: v1\nkind: Provider\nmetadata: {name: vt, version: 1.0.0}\nworkflows:\n  - {name: gen, file: ./workflows/gen.yaml}\n' >"$dir/prov/provider.yaml"
server_conf "$dir/srv.yaml" "$dir"
cat >>"$dir/srv.yaml" <<CONF
providers:
  - {name: vt, type: filesystem, path: $dir/prov}
secrets:
  vault-token: {file: $dir/token}
CONF
key=$("$build/innominatus" --config "$dir/srv.yaml" --create-admin-key ops 2>"$dir/out")
if start_server "$dir/srv.yaml" "$dir/srv.log"; then
	INNOMINATUS_SERVER=$url INNOMINATUS_TOKEN=$key "$ctl" run vt/gen >"$dir/out" 2>&1
	rc=$?
	vget "secret/data/$pre/srv" >/dev/null
	spw=$(jq_py 'd["data"]["data"]["password"]')
	[ $rc = 0 ] && echo "$spw" | grep -qE '^[abc123]{40}$'
	check "through the server: the step runs with the token from the admin config" $?
	id=$(sed -n 's/.*execution \([0-9][0-9]*\).*/\1/p' "$dir/out" | head -1)
	curl -s -H "Authorization: Bearer $key" "$url/api/workflows/${id:-1}" >"$dir/api" 2>&1
	curl -s -H "Authorization: Bearer $key" "$url/api/workflows/${id:-1}/logs" >>"$dir/api" 2>&1
	cat "$dir/api" "$dir/srv.log" >>"$dir/out"
	! grep -qF "$spw" "$dir/api" && ! grep -qF "$spw" "$dir/srv.log" && ! grep -rqF "$spw" "$dir/data" &&
		! grep -qF "$token" "$dir/api" && [ -n "$spw" ]
	check "the password is in no API answer, server log or store; nor is the token" $?
else
	cat "$dir/srv.log" >"$dir/out"
	check "server starts" 1
	check "server run" 1
fi
# on a real Vault, what this run made goes again
if [ $real = 1 ]; then
	for p in "sys/mounts/$pre-kv" "sys/policies/acl/$pre-read" "sys/policies/acl/$pre-hcl" \
		"auth/approle/role/$pre-app" "secret/metadata/$pre/pw" "secret/metadata/$pre/srv" \
		"secret/metadata/$pre/payments" "secret/metadata/$pre/app" "secret/metadata/$pre/tls"; do
		curl -s -o /dev/null -X DELETE -H "X-Vault-Token: $token" "$addr/v1/$p"
	done
fi
exit $fail
