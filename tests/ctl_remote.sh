#!/bin/sh
# ctl_remote.sh - remote mode of innominatus-ctl against a fake server: the
# golden path table and -o json, a run that follows the SSE log stream
# (sent in small pieces, split mid-line) and prints outputs, paged logs,
# server errors with their message and exit code, the credentials file and
# its permission check, no token, an unreachable server.  Prints TAP.
ctl=${INN_CTL:?}
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is needed for the fake server"; exit 0; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-remote-XXXXXX")
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$dir"' EXIT

# A STAND-IN for the innominatus server (server/api.c): canned replies of the
# same shapes for the routes the CLI uses, a Bearer token check, and the
# request bodies it was sent logged to $dir/requests.
cat > "$dir/fake.py" <<'PY'
import http.server, json, sys, time
TOKEN = "s3cret-token"
GOLDEN = [{"name": "deploy-app", "description": "Deploy an app with its resources",
           "category": "deployment", "workflow": "deploy-app.yaml", "parameters": []}]
EXEC7 = {"id": 7, "workflow": "deploy-app", "kind": "golden-path", "app": "shop",
         "team": "web", "created_by": "ci", "status": "succeeded", "message": None,
         "dry_run": False, "retry_of": None, "created_ms": 1700000000000,
         "started_ms": 1700000000100, "ended_ms": 1700000001300, "duration_ms": 1200,
         "parameters": {"env": "dev"}, "outputs": {"url": "http://shop.local"},
         "steps": [{"name": "build", "type": "shell", "status": "succeeded", "attempts": 1,
                    "message": None, "duration_ms": 700, "outputs": {}},
                   {"name": "deploy", "type": "shell", "status": "succeeded", "attempts": 1,
                    "message": None, "duration_ms": 500, "outputs": {}}]}
LINES = [{"seq": 1, "step": "build", "level": 1, "stream": 1, "line": "compiling shop"},
         {"seq": 2, "step": "deploy", "level": 1, "stream": 1, "line": "rolled out shop"}]

class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def reply(self, status, obj):
        b = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def error(self, status, code, msg):
        self.reply(status, {"error": {"code": code, "message": msg}})
    def authorized(self):
        h = self.headers.get("Authorization")
        if h is None:
            self.error(401, "unauthorized", "an API key is required (Authorization: Bearer <key>)")
            return False
        if h != "Bearer " + TOKEN:
            self.error(401, "unauthorized", "unknown or revoked API key")
            return False
        return True
    def do_GET(self):
        if not self.authorized():
            return
        p = self.path
        if p == "/api/golden-paths":
            self.reply(200, GOLDEN)
        elif p == "/api/workflows/7":
            self.reply(200, EXEC7)
        elif p.startswith("/api/workflows/7/logs?follow=1"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            s = ""
            for l in LINES:
                s += "id: %d\nevent: log\ndata: %s\n\n" % (l["seq"], json.dumps(l))
            s += ": keep-alive\r\n\r\nid: 2\r\nevent: end\r\ndata: {\"status\": \"succeeded\"}\r\n\r\n"
            b = s.encode()
            for i in range(0, len(b), 17):     # small pieces: lines split across writes
                self.wfile.write(b[i:i + 17])
                self.wfile.flush()
                time.sleep(0.01)
        elif p == "/api/workflows/7/logs?after=0":
            self.reply(200, {"lines": LINES[:1], "next_after": 1, "status": "succeeded"})
        elif p == "/api/workflows/7/logs?after=1":
            self.reply(200, {"lines": LINES[1:], "next_after": 2, "status": "succeeded"})
        elif p == "/api/workflows/7/logs?after=2":
            self.reply(200, {"lines": [], "next_after": 2, "status": "succeeded"})
        elif p == "/api/workflows/8":
            self.error(404, "not_found", "no execution 8")
        else:
            self.error(404, "not_found", "no route %s (see /api/openapi.json)" % p)
    def do_POST(self):
        if not self.authorized():
            return
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n) or b"{}")
        with open(sys.argv[2], "a") as f:
            f.write("%s %s\n" % (self.path, json.dumps(body, sort_keys=True)))
        if self.path in ("/api/workflows/run", "/api/golden-paths/deploy-app/run"):
            self.reply(202, {"id": 7, "status": "pending"})
        else:
            self.error(404, "not_found", "no route %s" % self.path)

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
PY
python3 "$dir/fake.py" "$dir/port" "$dir/requests" &
pid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
url="http://127.0.0.1:$(cat "$dir/port")"
mkdir "$dir/home"
# no credentials file, no inherited server or token
c() { env -u INNOMINATUS_SERVER HOME="$dir/home" XDG_CONFIG_HOME= INNOMINATUS_TOKEN=s3cret-token "$ctl" --server "$url" "$@"; }
. "${INN_TOP_SRCDIR:?}/tests/ctl_lib.sh"
CHECK_SHOW="$dir/out"
echo "1..14"

c list-goldenpaths >"$dir/out" 2>&1
rc=$?; grep -q '^deploy-app  *deployment  *Deploy an app with its resources$' "$dir/out"
check "list-goldenpaths prints the server's golden paths as a table" $(( rc + $? ))

c list-goldenpaths -o json >"$dir/out" 2>&1
rc=$?; python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d[0]["name"]=="deploy-app" and d[0]["workflow"]=="deploy-app.yaml"' "$dir/out"
check "list-goldenpaths -o json prints the server's JSON" $(( rc + $? ))

printf 'apiVersion: score.dev/v1b1\nmetadata: {name: shop}\n' > "$dir/spec.yaml"
c run deploy-app "$dir/spec.yaml" --param env=dev --param replicas=2 >"$dir/out" 2>&1
rc=$?
grep -q '^build  *| compiling shop$' "$dir/out" && grep -q '^deploy  *| rolled out shop$' "$dir/out" &&
	grep -q 'Execution 7: golden-path deploy-app succeeded' "$dir/out" &&
	grep -q '^  url: http://shop.local$' "$dir/out"
check "run follows the log stream, prints the lines per step and the outputs, exits 0" $(( rc + $? ))

grep -q '^/api/golden-paths/deploy-app/run {"parameters": {"env": "dev", "replicas": "2"}, "spec": "apiVersion: score.dev/v1b1\\nmetadata: {name: shop}\\n"}$' "$dir/requests"
check "run of a golden path posts string parameters and the spec text" $?

c run storage-team/provision-bucket --param bucket=b --dry-run --no-wait >"$dir/out" 2>&1
rc=$?; grep -q 'Execution 7 submitted (pending)' "$dir/out" &&
	grep -q '^/api/workflows/run {"dry_run": true, "parameters": {"bucket": "b"}, "workflow": "storage-team/provision-bucket"}$' "$dir/requests"
check "run provider/workflow --no-wait posts to /api/workflows/run and returns the id" $(( rc + $? ))

c logs 7 >"$dir/out" 2>&1
rc=$?; [ "$(grep -c '|' "$dir/out")" = 2 ] && grep -q '^deploy  *| rolled out shop$' "$dir/out"
check "logs pages through next_after" $(( rc + $? ))

c logs 7 -f -o json >"$dir/out" 2>&1
rc=$?; python3 -c '
import json,sys
ev=[json.loads(l) for l in open(sys.argv[1])]
assert [e["event"] for e in ev]==["log","log","end"], ev
assert ev[1]["data"]["line"]=="rolled out shop" and ev[2]["data"]["status"]=="succeeded"' "$dir/out"
check "logs -f -o json prints one JSON event per line, ending with end" $(( rc + $? ))

c status 8 >"$dir/out" 2>&1
rc=$?; [ $rc -eq 3 ] && grep -qx 'innominatus-ctl: no execution 8 (HTTP 404)' "$dir/out"
check "status of an unknown execution prints the server's message and exits 3" $?

c status 7 >"$dir/out" 2>&1
rc=$?; grep -q '^  build  *shell  *succeeded' "$dir/out" && grep -q 'app shop, team web' "$dir/out"
check "status shows the steps and the app" $(( rc + $? ))

env -u INNOMINATUS_TOKEN -u INNOMINATUS_SERVER HOME="$dir/home" XDG_CONFIG_HOME= \
	"$ctl" --server "$url" list-goldenpaths >"$dir/out" 2>&1
rc=$?; [ $rc -eq 5 ] && grep -q 'an API key is required.*(HTTP 401)' "$dir/out" &&
	grep -q 'set INNOMINATUS_TOKEN' "$dir/out"
check "no token: the server's 401 message, a hint, exit 5" $?

mkdir -p "$dir/home/.config/innominatus"
printf '# innominatus\ntoken = s3cret-token\n' > "$dir/home/.config/innominatus/credentials"
chmod 644 "$dir/home/.config/innominatus/credentials"
env -u INNOMINATUS_TOKEN -u INNOMINATUS_SERVER HOME="$dir/home" XDG_CONFIG_HOME= \
	INNOMINATUS_SERVER="$url" "$ctl" list-goldenpaths >"$dir/out" 2>&1
rc=$?; [ $rc -eq 5 ] && grep -q 'refusing to read .*credentials: its mode 0644.*chmod 600' "$dir/out"
check "a group/world-readable credentials file is refused (exit 5)" $?

chmod 600 "$dir/home/.config/innominatus/credentials"
env -u INNOMINATUS_TOKEN HOME="$dir/home" XDG_CONFIG_HOME= INNOMINATUS_SERVER="$url" \
	"$ctl" list-goldenpaths >"$dir/out" 2>&1
rc=$?; grep -q '^deploy-app ' "$dir/out"
r1=$(( rc + $? ))
printf '{"token": "s3cret-token"}\n' > "$dir/home/.config/innominatus/credentials"
env -u INNOMINATUS_TOKEN HOME="$dir/home" XDG_CONFIG_HOME= INNOMINATUS_SERVER="$url" \
	"$ctl" list-goldenpaths >"$dir/out" 2>&1
rc=$?; grep -q '^deploy-app ' "$dir/out"
check "INNOMINATUS_SERVER and a 0600 credentials file (token= line, JSON) work" $(( r1 + rc + $? ))

# a port that was free a moment ago: nothing listens there
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
env -u INNOMINATUS_SERVER HOME="$dir/home" INNOMINATUS_TOKEN=x \
	"$ctl" --server "http://127.0.0.1:$port" status 7 >"$dir/out" 2>&1
rc=$?; [ $rc -eq 5 ] && grep -q "cannot talk to the server at http://127.0.0.1:$port" "$dir/out"
check "an unreachable server exits 5 naming it" $?

# without a server they ask the default one (tests/ctl_output.sh); --local
# cannot serve them
env -u INNOMINATUS_SERVER "$ctl" --local status 7 >"$dir/out" 2>&1
rc=$?; [ $rc -eq 2 ] && grep -q 'status talks to a server: give --server URL.*(and drop --local)' "$dir/out" &&
	"$ctl" --help | grep -q '5 remote mode: the server is unreachable'
check "remote-only commands with --local are a usage error; --help documents exit 5" $?

exit $fail
