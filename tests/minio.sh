#!/bin/sh
# minio.sh - minio.so against a real S3 server: a Ceph RADOS Gateway started
# for this script (tests/s3/rgw.sh; it checks SigV4 signatures and payload
# hashes like S3).  Create (versioning, tags, lifecycle, a public_access
# preset, a per-application RGW user whose keys then write an object),
# re-create, a bucket name owned by another user, the policy switched off
# again (anonymous GET refused), a wrong secret (a 403 step error, the
# secret in no log line), an unreachable endpoint, TLS (refused without the
# CA, accepted with ca_file), a server that never answers (timeout), a
# cancellation, a bad bucket name refused at load, dry-run (nothing made),
# get, delete (a non-empty bucket refused; force removes every version);
# credentials: rgw hands out and deletes only its own inn-app-* users (a
# bucket named like the admin, foreign users, the connection's own user are
# refused) and survives a concurrent create (409 UserAlreadyExists).
# Through run --local, and once through the server.  Skipped when radosgw
# is not installed.  Prints TAP.
ctl=${INN_CTL:?}
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
for p in radosgw ceph-mon ceph-osd; do
	command -v $p >/dev/null || {
		echo "1..0 # SKIP $p not installed (apt-get install --no-install-recommends ceph-mon ceph-osd radosgw)"
		exit 0
	}
done
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-minio-XXXXXX")
spid="" hpid=""
cleanup() {
	[ -n "$spid" ] && kill $spid 2>/dev/null
	[ -n "$hpid" ] && kill $hpid 2>/dev/null
	sh "$src/tests/s3/rgw.sh" stop "$dir/rgw"
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/data" "$dir/prov/workflows"
chmod 755 "$dir/plugins"
install -m 755 "$build/plugins/minio/.libs/minio.so" "$dir/plugins/minio.so"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
. "$src/tests/ctl_lib.sh"

sh "$src/tests/s3/rgw.sh" start "$dir/rgw" $$
rc=$?
if [ $rc -eq 77 ]; then echo "1..0 # SKIP the Ceph tools are incomplete"; exit 0; fi
if [ $rc -ne 0 ]; then
	echo "1..1"
	tail -20 "$dir/rgw/log/start.log" 2>/dev/null | sed 's/^/# /'
	check "a Ceph RGW starts for the test" 1
	exit 1
fi
. "$dir/rgw/env"
echo "# S3 server: Ceph RGW $RGW_VERSION at $RGW_URL"
echo "1..41"

umask 077
printf '%s' "$RGW_ADMIN_SECRET" > "$dir/admin.sk"
printf '%s\n' "wrong-$RGW_ADMIN_SECRET" > "$dir/wrong.sk"
umask 022
cat > "$dir/admin.yaml" <<CONF
workflowPolicies:
  allowedStepTypes: [minio, shell]
secrets:
  s3-admin: {file: $dir/admin.sk}
  s3-wrong: {file: $dir/wrong.sk}
CONF
c() { "$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" "$@"; }

# wf FILE BUCKET [ENDPOINT [SECRET]]: a workflow with one minio step "s3"
# (its further config lines, indented by 6, on stdin; $params, if set,
# are its parameter lines) and the step's outputs as workflow outputs
wf() {
	{
		printf 'name: s3test\n%s' "${params:+parameters:
$params
}"
		cat <<WF
steps:
  - name: s3
    type: minio
    config:
      endpoint: ${3:-$RGW_URL}
      access_key: $RGW_ADMIN_KEY
      secret_key_secret: ${4:-s3-admin}
      bucket: $2
WF
		sed 's/^/      /'
		cat <<'WF'
outputs:
  arn: "${steps.s3.outputs.arn}"
  bucket: "${steps.s3.outputs.bucket}"
  endpoint: "${steps.s3.outputs.endpoint}"
WF
	} > "$1"
}
# add_step FILE: appends the step on stdin (indented by 2) to FILE's steps
add_step() {
	cat > "$dir/step.tmp"
	awk -v f="$dir/step.tmp" '/^outputs:/ { while ((getline l < f) > 0) print l } { print }' \
		"$1" > "$1.tmp" && mv "$1.tmp" "$1"
}
# s3 METHOD PATH [curl args]: a request signed with the admin's keys
s3() {
	m=$1 p=$2; shift 2
	curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$RGW_ADMIN_KEY:$RGW_ADMIN_SECRET" \
		-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X "$m" "$@" "$RGW_URL$p"
}
status() { s3 HEAD "$1" -I -o /dev/null -w '%{http_code}'; }
no_secret() {
	! grep -qF -e "$RGW_ADMIN_SECRET" "$@" && ! grep -rqF -e "$RGW_ADMIN_SECRET" "$dir/data"
}
CHECK_SHOW="$dir/out"

# ---- create ------------------------------------------------------------
wf "$dir/create.yaml" shop-assets <<'CFG'
versioning: true
tags: {team: shop, cost-center: 42, note: "a<b & c"}
lifecycle:
  - {prefix: tmp/, expire_days: 7}
  - {id: old-versions, noncurrent_expire_days: 30}
public_access: download
credentials: rgw
CFG
cat >> "$dir/create.yaml" <<'WF'
  versioning: "${steps.s3.outputs.versioning}"
  user: "${steps.s3.outputs.user}"
WF
# the application's keys write an object: the step after it gets them
python3 - "$dir/create.yaml" "$RGW_URL" <<'PY'
import sys
p, url = sys.argv[1], sys.argv[2]
s = open(p).read()
step = '''  - name: app-writes
    type: shell
    config:
      env:
        AK: "${steps.s3.outputs.access_key}"
        SK: "${steps.s3.outputs.secret_key}"
      script: |
        echo hello-from-app > obj.txt
        curl -sS -f --aws-sigv4 aws:amz:us-east-1:s3 --user "$AK:$SK" \\
          -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -H "Content-Type: text/plain" \\
          -X PUT --data-binary @obj.txt %s/shop-assets/app.txt
        echo "sk_len=${#SK}" >> "$INNOMINATUS_OUTPUT"
''' % url
s = s.replace("outputs:\n", step + "outputs:\n", 1)
open(p, "w").write(s)
PY
c run --local "$dir/create.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^  arn: arn:aws:s3:::shop-assets$' "$dir/out" &&
	grep -q '^  versioning: Enabled$' "$dir/out" && grep -q '^  user: inn-app-shop-assets$' "$dir/out" &&
	grep -q "^  endpoint: $RGW_URL\$" "$dir/out"
check "create makes the bucket; outputs arn, endpoint, versioning, RGW user (exit 0)" $?
[ "$(status /shop-assets)" = 200 ] && s3 GET "/shop-assets?versioning=" | grep -q '<Status>Enabled</Status>'
check "the bucket exists on the server with versioning Enabled" $?
s3 GET "/shop-assets?tagging=" > "$dir/tags" &&
	grep -q '<Key>team</Key><Value>shop</Value>' "$dir/tags" &&
	grep -q '<Key>cost-center</Key><Value>42</Value>' "$dir/tags" &&
	grep -q '<Key>note</Key><Value>a&lt;b &amp; c</Value>' "$dir/tags"
check "tags are set on the server (XML-escaped values)" $?
s3 GET "/shop-assets?lifecycle=" > "$dir/lc" &&
	grep -q '<Prefix>tmp/</Prefix>.*<Days>7</Days>' "$dir/lc" &&
	grep -q '<ID>old-versions</ID>.*<NoncurrentDays>30</NoncurrentDays>' "$dir/lc"
check "lifecycle rules are set on the server (Content-MD5 accepted)" $?
[ "$(s3 GET /shop-assets/app.txt)" = hello-from-app ]
check "the per-application RGW user's keys (secret outputs) write an object" $?
SK=$(s3 GET "/admin/user?format=json&uid=inn-app-shop-assets" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["secret_key"])')
[ -n "$SK" ] && ! grep -qF "$SK" "$dir/out" && no_secret "$dir/out"
check "neither the application's secret key nor the admin's appears in any log line" $?
[ "$(curl -s "$RGW_URL/shop-assets/app.txt")" = hello-from-app ]
check "public_access: download lets an anonymous GET read an object" $?

c run --local "$dir/create.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'bucket shop-assets exists' "$dir/out" &&
	grep -q 'RGW user inn-app-shop-assets exists; its key is reused' "$dir/out"
check "create again is idempotent: the bucket and the user are reused (exit 0)" $?

wf "$dir/private.yaml" shop-assets <<'CFG'
public_access: none
tags: {}
CFG
c run --local "$dir/private.yaml" >"$dir/out" 2>&1
rc=$?
code=$(curl -s -o /dev/null -w '%{http_code}' "$RGW_URL/shop-assets/app.txt")
[ $rc -eq 0 ] && [ "$code" = 403 ] && s3 GET "/shop-assets?tagging=" | grep -vq '<Key>team</Key>'
check "public_access: none removes the policy (anonymous GET 403), tags: {} removes the tags" $?

# ---- credentials: rgw hands out only the users innominatus made -----------
# (A11) a bucket named like the connection's own user (inn-admin) from a
# parameter: the application user is inn-app-inn-admin, never the admin
params='  - {name: b, type: string}
  - {name: op, type: string, default: create}' wf "$dir/own.yaml" '"{{ .parameters.b }}"' <<'CFG'
operation: "{{ .parameters.op }}"
credentials: rgw
CFG
params=""
add_step "$dir/own.yaml" <<WF
  - name: use
    if: '{{ eq .parameters.op "create" }}'
    type: shell
    config:
      env: {AK: "\${steps.s3.outputs.access_key}"}
      script: |
        [ "\$AK" = "$RGW_ADMIN_KEY" ] && echo GOT-THE-ADMIN-KEY
        exit 0
WF
echo '  user: "${steps.s3.outputs.user}"' >> "$dir/own.yaml"
c run --local "$dir/own.yaml" --param b=inn-admin >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^  user: inn-app-inn-admin$' "$dir/out" && ! grep -q GOT-THE-ADMIN-KEY "$dir/out" &&
	s3 GET "/admin/user?format=json&uid=inn-app-inn-admin" | grep -q '"display_name":"innominatus app inn-admin"'
check "a bucket named like the connection's user gets its own user inn-app-inn-admin, never the admin's keys" $?
c run --local "$dir/own.yaml" --param b=inn-admin --param op=delete >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'RGW user inn-app-inn-admin deleted' "$dir/out" &&
	s3 GET "/admin/user?format=json&uid=inn-admin" | grep -q '"user_id":"inn-admin"' &&
	s3 GET "/admin/user?format=json&uid=inn-app-inn-admin" | grep -q NoSuchUser
check "its delete removes inn-app-inn-admin only; the connection's user stays" $?

# (A10) users innominatus never made, also named inn-app-*, also with admin
# caps and the marker: neither handed out nor deleted
s3 PUT "/admin/user?display-name=victim&format=json&uid=victim" >/dev/null
s3 PUT "/admin/user?display-name=someone&format=json&uid=inn-app-victim" >/dev/null
s3 PUT "/admin/user?display-name=innominatus%20app%20capsy&format=json&uid=inn-app-capsy&user-caps=users%3Dread" >/dev/null
params='  - {name: u, type: string}
  - {name: op, type: string, default: create}' wf "$dir/foreign.yaml" foreign-bucket <<'CFG'
operation: "${parameters.op}"
credentials: rgw
app_user: "${parameters.u}"
CFG
params=""
echo '  ak: "${steps.s3.outputs.access_key}"' >> "$dir/foreign.yaml"
c run --local "$dir/foreign.yaml" --param u=victim >"$dir/out" 2>&1
rc=$?
c run --local "$dir/foreign.yaml" --param u=capsy >>"$dir/out" 2>&1
rc2=$?
[ $rc -eq 1 ] && [ $rc2 -eq 1 ] &&
	grep -q 'rgw-get-user inn-app-victim: the user exists but was not made by innominatus' "$dir/out" &&
	grep -q 'rgw-get-user inn-app-capsy: the user has admin caps' "$dir/out" && ! grep -q '^  ak:' "$dir/out"
check "an existing user innominatus did not make (display name, admin caps) is refused, no key handed out" $?
c run --local --dry-run "$dir/foreign.yaml" --param u=victim >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'rgw-get-user inn-app-victim: the user exists but was not made' "$dir/out"
check "a dry run refuses that user the same way" $?
c run --local "$dir/foreign.yaml" --param u=victim --param op=delete >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'was not made by innominatus' "$dir/out" &&
	[ "$(status /foreign-bucket)" = 200 ] &&
	s3 GET "/admin/user?format=json&uid=inn-app-victim" | grep -q '"user_id":"inn-app-victim"' &&
	s3 GET "/admin/user?format=json&uid=victim" | grep -q '"user_id":"victim"'
check "delete refuses such a user before touching anything: bucket and users stay" $?

# a user carrying the marker that is the connection's own (its key)
s3 PUT "/admin/user?display-name=innominatus%20app%20boss&format=json&uid=inn-app-boss&user-caps=users%3D%2A%3Bbuckets%3D%2A" > "$dir/boss.json"
BOSS_KEY=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["keys"][0]["access_key"])' "$dir/boss.json")
umask 077
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["keys"][0]["secret_key"], end="")' "$dir/boss.json" > "$dir/boss.sk"
umask 022
sed "s#^  s3-admin: .*#&\n  s3-boss: {file: $dir/boss.sk}#" "$dir/admin.yaml" > "$dir/admin-boss.yaml"
wf "$dir/boss.yaml" boss-bucket "$RGW_URL" s3-boss <<'CFG'
credentials: rgw
app_user: boss
CFG
sed -i "s/access_key: $RGW_ADMIN_KEY/access_key: $BOSS_KEY/" "$dir/boss.yaml"
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin-boss.yaml" run --local "$dir/boss.yaml" >"$dir/out" 2>&1
rc=$?
[ -n "$BOSS_KEY" ] && [ $rc -eq 1 ] && grep -q "rgw-get-user inn-app-boss: the user holds the connection's own access key" "$dir/out"
check "the connection's own user is refused even with the marker and the prefix" $?

# (A35) a concurrent create: RGW answers 409 UserAlreadyExists to the
# second PUT /admin/user.  A proxy makes it certain: it passes the first
# PUT /admin/user on and answers it with that 409; then eight real runs
python3 - "$dir/race.port" "$RGW_URL" <<'PY' &
import http.client, os, socket, sys, threading, urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer
up = urllib.parse.urlsplit(sys.argv[2])
state = {"raced": False}
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def go(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        c = http.client.HTTPConnection(up.hostname, up.port, timeout=30)
        c.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
        for k, v in self.headers.items():
            c.putheader(k, v)
        c.endheaders(body)
        r = c.getresponse(); data = r.read()
        if self.command == "PUT" and self.path.startswith("/admin/user?") and not state["raced"]:
            state["raced"] = True
            data = b'{"Code":"UserAlreadyExists","Message":"","RequestId":"x","HostId":"x"}'
            self.send_response(409); self.send_header("Content-Type", "application/json")
        else:
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
        self.send_header("Content-Length", str(len(data))); self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
    do_GET = do_PUT = do_HEAD = do_DELETE = do_POST = go
s = HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[1] + ".tmp", "w").write(str(s.server_port)); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
ppid = os.getppid()
threading.Thread(target=s.serve_forever, daemon=True).start()
while os.getppid() == ppid:
    threading.Event().wait(0.5)
PY
rpid=$!
i=0; while [ ! -s "$dir/race.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
wf "$dir/race0.yaml" race-zero "http://127.0.0.1:$(cat "$dir/race.port")" <<'CFG'
credentials: rgw
CFG
echo '  user: "${steps.s3.outputs.user}"' >> "$dir/race0.yaml"
c run --local "$dir/race0.yaml" >"$dir/out" 2>&1
rc=$?
kill $rpid 2>/dev/null
[ $rc -eq 0 ] && grep -q 'PUT /admin/user -> 409' "$dir/out" && grep -q '^  user: inn-app-race-zero$' "$dir/out" &&
	grep -q 'RGW user inn-app-race-zero exists; its key is reused' "$dir/out"
check "409 UserAlreadyExists from a concurrent create: the user is read again and the step succeeds" $?
# each run's keys then write an object: a key replaced by another run fails
wf "$dir/race.yaml" race-bucket <<'CFG'
credentials: rgw
versioning: true
CFG
add_step "$dir/race.yaml" <<WF
  - name: app-writes
    type: shell
    config:
      env: {AK: "\${steps.s3.outputs.access_key}", SK: "\${steps.s3.outputs.secret_key}"}
      script: |
        echo hi > o.txt
        curl -sS -f --aws-sigv4 aws:amz:us-east-1:s3 --user "\$AK:\$SK" \\
          -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X PUT --data-binary @o.txt \\
          $RGW_URL/race-bucket/o-\$\$.txt
WF
i=0 pids=""
while [ $i -lt 8 ]; do
	c run --local "$dir/race.yaml" >"$dir/race-$i.out" 2>&1 &
	pids="$pids $!" i=$((i + 1))
done
for p in $pids; do wait $p; done
bad=0
for f in "$dir"/race-[0-9].out; do grep -q 'Workflow s3test succeeded' "$f" || { sed 's/^/# /' "$f"; bad=1; }; done
[ $bad -eq 0 ]
check "eight parallel creates of one new bucket with credentials: rgw all succeed; each one's keys write" $?

# ---- a name someone else owns -------------------------------------------
curl -s --aws-sigv4 "aws:amz:us-east-1:s3" --user "$RGW_OTHER_KEY:$RGW_OTHER_SECRET" \
	-H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -X PUT "$RGW_URL/taken-by-other" >/dev/null
wf "$dir/taken.yaml" taken-by-other </dev/null
c run --local "$dir/taken.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "S3 at $RGW_URL: .*taken-by-other: 40[39] .*\(BucketAlreadyExists\|AccessDenied\)" "$dir/out"
check "a bucket another user owns is a clear step error (exit 1)" $?

# ---- failures ----------------------------------------------------------
wf "$dir/wrong.yaml" shop-assets "$RGW_URL" s3-wrong </dev/null
c run --local "$dir/wrong.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "failed: S3 at $RGW_URL: head-bucket shop-assets: 403 SignatureDoesNotMatch" "$dir/out"
check "a wrong secret key is a 403 SignatureDoesNotMatch step error naming server and call" $?
! grep -qF "wrong-$RGW_ADMIN_SECRET" "$dir/out" && no_secret "$dir/out"
check "neither the wrong nor the right secret appears in the log" $?

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
wf "$dir/unreach.yaml" shop-assets "http://127.0.0.1:$port" </dev/null
c run --local "$dir/unreach.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "failed: S3 at http://127.0.0.1:$port: head-bucket shop-assets: .*cannot connect" "$dir/out"
check "an unreachable endpoint is a clear step error" $?

wf "$dir/tls.yaml" shop-assets "$RGW_TLS_URL" </dev/null
c run --local "$dir/tls.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "failed: S3 at $RGW_TLS_URL: .*TLS certificate verification failed" "$dir/out"
check "TLS is verified by default: a self-signed server is refused" $?
wf "$dir/tlsca.yaml" shop-assets "$RGW_TLS_URL" <<CFG
ca_file: $RGW_CA
operation: get
CFG
c run --local "$dir/tlsca.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'bucket shop-assets exists' "$dir/out"
check "with ca_file the same server is trusted (get: the bucket exists)" $?

wf "$dir/tlsoff.yaml" shop-assets "$RGW_TLS_URL" <<CFG
insecure_skip_tls_verify: true
operation: get
CFG
c run --local "$dir/tlsoff.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "insecure_skip_tls_verify: the certificate of $RGW_TLS_URL is not verified" "$dir/out"
check "insecure_skip_tls_verify: true connects without the CA, with a warning in the log" $?

# a server that accepts connections and never answers
python3 - "$dir/hang.port" "$dir/hang.accepted" <<'PY' &
import os, socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
ppid = os.getppid()
s.settimeout(0.5)
while os.getppid() == ppid:
    try:
        c, _ = s.accept(); held.append(c); open(sys.argv[2], "a").write("x\n")
    except socket.timeout:
        pass
PY
hpid=$!
i=0; while [ ! -s "$dir/hang.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
hport=$(cat "$dir/hang.port")
wf "$dir/hang.yaml" shop-assets "http://127.0.0.1:$hport" <<'CFG'
timeout: 2s
CFG
c run --local "$dir/hang.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -ne 0 ] && grep -q "timed_out: S3 at http://127.0.0.1:$hport: head-bucket shop-assets: .*no answer within 2s" "$dir/out"
check "a server that never answers: the step fails at config.timeout" $?

rm -f "$dir/hang.accepted"
wf "$dir/hang2.yaml" shop-assets "http://127.0.0.1:$hport" <<'CFG'
timeout: 60s
CFG
"$ctl" --plugin-dir "$dir/plugins" --config "$dir/admin.yaml" run --local "$dir/hang2.yaml" >"$dir/out" 2>&1 &
cpid=$!
i=0; while [ ! -s "$dir/hang.accepted" ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i + 1)); done
kill -INT $cpid
wait $cpid
rc=$?
[ $rc -eq 4 ] && grep -q "cancelled: S3 at http://127.0.0.1:$hport: head-bucket shop-assets: .*cancelled" "$dir/out"
check "cancelling the run (SIGINT) ends a hanging request with a cancelled step" $?

wf "$dir/badname.yaml" Shop_Assets </dev/null
c run --local "$dir/badname.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q 'config.bucket: "Shop_Assets" is not a valid S3 bucket name' "$dir/out"
check "a bad bucket name is refused at load, naming the field (exit 3)" $?

# more refusals at load, each naming its field
bad=0
while IFS='|' read -r cfg want; do
	printf '%b\n' "$cfg" | params='  - {name: p, type: string, default: x}' wf "$dir/bad.yaml" shop-assets
	c test-workflow "$dir/bad.yaml" >"$dir/out" 2>&1
	rc=$?
	if [ $rc -ne 3 ] || ! grep -qF "$want" "$dir/out"; then
		echo "# not refused as expected: $cfg (want: $want)"; sed 's/^/#   /' "$dir/out"; bad=1
	fi
done <<'CASES'
operation: remove|config.operation: "remove" is not one of create, get, delete
public_access: world|config.public_access: "world" is not one of none, download, upload, public
lifecycle: [{prefix: a/}]|config.lifecycle.0: a rule needs expire_days
lifecycle: [{expire_days: 0}]|config.lifecycle.0.expire_days: must be a whole number
lifecycle: [{expire_days: 3, days: 2}]|config.lifecycle.0: unknown field "days"
tags: [a]|config.tags: must be an object
policy: "not json"|config.policy: a string must hold a JSON object
force: true|config.force: only applies to operation: delete
credentials: rgw\napp_user: "a b"|config.app_user: "a b" is not an RGW user id
endpoint2: x|config: unknown field "endpoint2"
region: "{{ .parameters.p }}"|config.region: must be written out, not a template
ca_file: "${parameters.p}"|config.ca_file: must be written out, not a template
insecure_skip_tls_verify: "{{ .parameters.p }}"|config.insecure_skip_tls_verify: must be written out, not a template
access_key_secret: "${parameters.p}"|config.access_key_secret: must be written out, not a template
CASES
# where the signed requests go and the key id they carry: never from a
# parameter (the access key id would go where it points)
params='  - {name: p, type: string, default: "http://127.0.0.1:1"}' wf "$dir/bad.yaml" shop-assets '"{{ .parameters.p }}"' </dev/null
c test-workflow "$dir/bad.yaml" >"$dir/out" 2>&1
rc=$?
if [ $rc -ne 3 ] || ! grep -qF 'config.endpoint: must be written out, not a template (a run parameter must not decide where credentials are sent)' "$dir/out"; then
	echo "# a templated endpoint was not refused"; sed 's/^/#   /' "$dir/out"; bad=1
fi
sed -i "s/access_key: $RGW_ADMIN_KEY/access_key: \"\${parameters.p}\"/; s#endpoint: .*#endpoint: $RGW_URL#" "$dir/bad.yaml"
c test-workflow "$dir/bad.yaml" >"$dir/out" 2>&1
rc=$?
if [ $rc -ne 3 ] || ! grep -qF 'config.access_key: must be written out, not a template' "$dir/out"; then
	echo "# a templated access_key was not refused"; sed 's/^/#   /' "$dir/out"; bad=1
fi
params=""
[ $bad -eq 0 ]
check "bad settings are refused at load with the field named (exit 3)" $?

# a bucket name from a parameter is checked once rendered
params='  - {name: b, type: string}' wf "$dir/param.yaml" '"{{ .parameters.b }}"' </dev/null
params=""
c run --local "$dir/param.yaml" --param 'b=x/../admin/user?uid=a' >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'config.bucket: "x/../admin/user?uid=a" is not a valid S3 bucket name' "$dir/out" &&
	! grep -q 'S3 GET /admin' "$dir/out"
check "a hostile bucket name from a parameter is refused once rendered, before any request" $?

# a server that answers garbage: an HTML 500 to everything
python3 - "$dir/junk.port" <<'PY' &
import os, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8); s.settimeout(0.5)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1])); os.rename(sys.argv[1] + ".tmp", sys.argv[1])
ppid = os.getppid()
while os.getppid() == ppid:
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.settimeout(2)
    try:
        c.recv(65536)
        c.sendall(b"HTTP/1.1 500 Oops\r\nContent-Type: text/html\r\nContent-Length: 30\r\nConnection: close\r\n\r\n<html>\x1b[31mbroken</html>\n\n\n\n\n\n")
    except OSError:
        pass
    c.close()
PY
jpid=$!
i=0; while [ ! -s "$dir/junk.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
jport=$(cat "$dir/junk.port")
wf "$dir/junk.yaml" shop-assets "http://127.0.0.1:$jport" </dev/null
c run --local "$dir/junk.yaml" >"$dir/out" 2>&1
rc=$?
kill $jpid 2>/dev/null
[ $rc -eq 1 ] && grep -q "failed: S3 at http://127.0.0.1:$jport: head-bucket shop-assets: 500 <html> \[31mbroken</html>" "$dir/out"
check "a server answering garbage gives a one-line step error with the status" $?

# ---- dry-run and get ---------------------------------------------------
wf "$dir/dry.yaml" dry-bucket <<'CFG'
versioning: true
public_access: public
credentials: rgw
CFG
c run --local --dry-run "$dir/dry.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q 'dry-run: bucket dry-bucket would be created' "$dir/out" &&
	[ "$(status /dry-bucket)" = 404 ] &&
	s3 GET "/admin/user?format=json&uid=inn-app-dry-bucket" | grep -q NoSuchUser
check "dry-run reports what create would do and makes nothing (no bucket, no user)" $?

wf "$dir/get.yaml" no-such-bucket <<'CFG'
operation: get
CFG
echo '  exists: "${steps.s3.outputs.exists}"' >> "$dir/get.yaml"
c run --local "$dir/get.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^  exists: false$' "$dir/out"
check "get of a missing bucket succeeds with exists: false" $?

# templates in every shape pass at load and are checked once rendered
params='  - {name: v, type: boolean, default: true}
  - {name: d, type: integer, default: 5}
  - {name: b, type: string, default: tmpl-bucket}' wf "$dir/tmpl.yaml" '"{{ .parameters.b }}"' <<'CFG'
versioning: "{{ .parameters.v }}"
tags: {team: "{{ .parameters.b }}"}
lifecycle: [{expire_days: "{{ .parameters.d }}"}]
CFG
params=""
c run --local "$dir/tmpl.yaml" >"$dir/out" 2>&1
rc=$?
c run --local "$dir/tmpl.yaml" --param d=0 --param b=tmpl-two >>"$dir/out" 2>&1
rc2=$?
[ $rc -eq 0 ] && s3 GET "/tmpl-bucket?lifecycle=" | grep -q '<Days>5</Days>' && [ $rc2 -eq 1 ] &&
	grep -q 'config.lifecycle.0.expire_days: must be a whole number of days' "$dir/out" &&
	[ "$(status /tmpl-two)" = 404 ]
check "templated settings load, apply once rendered, and a bad rendered value fails before any change" $?

# ---- delete ------------------------------------------------------------
echo v2 | s3 PUT /shop-assets/app.txt -H "Content-Type: text/plain" --data-binary @- >/dev/null
s3 DELETE /shop-assets/app.txt >/dev/null        # a delete marker on top
echo x | s3 PUT "/shop-assets/odd%20%26%20%3Ckey%3E.txt" -H "Content-Type: text/plain" --data-binary @- >/dev/null
wf "$dir/delete.yaml" shop-assets <<'CFG'
operation: delete
credentials: rgw
CFG
c run --local "$dir/delete.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'delete-bucket shop-assets: the bucket is not empty .*set force: true' "$dir/out" &&
	[ "$(status /shop-assets)" = 200 ]
check "delete refuses a non-empty bucket and names force (exit 1, bucket kept)" $?
c run --local --dry-run "$dir/delete.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 1 ] && [ "$(status /shop-assets)" = 200 ]
check "a dry-run delete of a non-empty bucket fails the same way and deletes nothing" $?
sed -i 's/^      operation: delete$/      operation: delete\n      force: true/' "$dir/delete.yaml"
echo '  deleted: "${steps.s3.outputs.deleted}"' >> "$dir/delete.yaml"
c run --local "$dir/delete.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^  deleted: true$' "$dir/out" && [ "$(status /shop-assets)" = 404 ] &&
	grep -q 'version(s) and delete marker(s) removed first' "$dir/out"
check "force: true deletes every object version and delete marker, then the bucket" $?
s3 GET "/admin/user?format=json&uid=inn-app-shop-assets" | grep -q NoSuchUser
check "delete with credentials: rgw removes the application's RGW user" $?
c run --local "$dir/delete.yaml" >"$dir/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q '^  deleted: false$' "$dir/out" && grep -q 'nothing to delete' "$dir/out"
check "deleting a bucket that is gone succeeds (deleted: false)" $?

# ---- through the server --------------------------------------------------
cat > "$dir/prov/provider.yaml" <<'P'
name: s3-team
version: 1.0.0
workflows_dir: workflows
P
# the connection comes from the admin config's stepDefaults, as a platform
# team configures it once
cat > "$dir/prov/workflows/make-bucket.yaml" <<'WF'
name: make-bucket
steps:
  - name: s3
    type: minio
    config:
      bucket: server-bucket
      versioning: true
      credentials: rgw
outputs:
  arn: "${steps.s3.outputs.arn}"
WF
# bucket and app_user from parameters, as the attack went through the server
cat > "$dir/prov/workflows/app-bucket.yaml" <<'WF'
name: app-bucket
parameters: [{name: b, type: string}, {name: u, type: string}]
steps:
  - name: s3
    type: minio
    config:
      bucket: "${parameters.b}"
      credentials: rgw
      app_user: "${parameters.u}"
outputs:
  user: "${steps.s3.outputs.user}"
WF
server_conf "$dir/srv.yaml" "$dir"
cat >> "$dir/srv.yaml" <<CONF
providers:
  - {name: s3-team, type: filesystem, path: $dir/prov}
workflowPolicies:
  allowedStepTypes: [minio, shell]
secrets:
  s3-admin: {file: $dir/admin.sk}
stepDefaults:
  minio: {endpoint: "$RGW_URL", access_key: $RGW_ADMIN_KEY, secret_key_secret: s3-admin}
CONF
key=$("$build/innominatus" --config "$dir/srv.yaml" --create-admin-key ops 2>/dev/null)
if start_server "$dir/srv.yaml" "$dir/server.log"; then
	INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key" "$ctl" run s3-team/make-bucket >"$dir/out" 2>&1
	rc=$?
	INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key" "$ctl" logs 1 >>"$dir/out" 2>&1
else
	rc=99
	cat "$dir/server.log" > "$dir/out"
fi
[ $rc -eq 0 ] && [ "$(status /server-bucket)" = 200 ] &&
	s3 GET "/server-bucket?versioning=" | grep -q '<Status>Enabled</Status>'
check "through the server, connection from stepDefaults: the workflow creates the bucket with versioning" $?
SK2=$(s3 GET "/admin/user?format=json&uid=inn-app-server-bucket" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["secret_key"])')
[ -n "$SK2" ] && ! grep -qF "$SK2" "$dir/out" "$dir/server.log" &&
	! grep -rqF "$SK2" "$dir/data" && no_secret "$dir/out" "$dir/server.log"
check "through the server: no key appears in the logs, the server log or the store" $?
srv() { INNOMINATUS_SERVER="$url" INNOMINATUS_TOKEN="$key" "$ctl" "$@"; }
srv run s3-team/app-bucket --param b=srv-own --param u=inn-admin >"$dir/out" 2>&1
rc=$?
srv run s3-team/app-bucket --param b=srv-foreign --param u=victim >>"$dir/out" 2>&1
rc2=$?
srv logs 2 >>"$dir/out" 2>&1
srv logs 3 >>"$dir/out" 2>&1
[ $rc -eq 0 ] && [ $rc2 -ne 0 ] && grep -q 'RGW user inn-app-inn-admin created' "$dir/out" &&
	grep -q 'rgw-get-user inn-app-victim: the user exists but was not made by innominatus' "$dir/out" &&
	s3 GET "/admin/user?format=json&uid=inn-admin" | grep -q '"caps":\[{"type":"buckets"' &&
	s3 GET "/admin/user?format=json&uid=inn-app-victim" | grep -q '"display_name":"someone"'
check "through the server: app_user inn-admin gets inn-app-inn-admin, a foreign inn-app-victim is refused" $?
exit $fail
