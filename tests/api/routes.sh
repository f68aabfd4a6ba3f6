#!/bin/sh
# routes.sh - the original's run routes on the real server:
# POST /api/workflows/golden-paths/{name}/execute (a Score spec body, YAML
# or JSON, ?param.NAME=VALUE) run as POST /api/golden-paths/{name}/run runs,
# its errors as JSON (bad YAML names the line, unknown golden path 404,
# no key 401, a bad query 400), another team's view of the run, and
# GET /api/golden-paths/{name}.  When port 8081 is free: innominatus-ctl
# without --server tries it (the original's default server) and says so
# when nothing answers; then the server listens there and the same
# commands reach it.  Prints TAP.
src=${INN_TOP_SRCDIR:?}
build=${INN_TOP_BUILDDIR:?}
ctl=${INN_CTL:?}
srvbin="$build/innominatus"
command -v python3 >/dev/null 2>&1 || { echo "1..0 # SKIP python3 is needed"; exit 0; }
command -v curl >/dev/null 2>&1 || { echo "1..0 # SKIP curl is needed"; exit 0; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/inn-routes-XXXXXX")
chmod 755 "$dir"
mkdir -p "$dir/plugins" "$dir/etc" "$dir/data" "$dir/gp"
chmod 755 "$dir/plugins"
install -m 755 "$INN_SHELL_SO" "$dir/plugins/shell.so"
# 8081 when nothing listens there (then the default-server checks run)
listen=127.0.0.1:0
if python3 -c 'import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 8081)); s.close()' 2>/dev/null; then
	listen=127.0.0.1:8081
fi
cat > "$dir/gp/goldenpaths.yaml" <<'GP'
goldenpaths:
  hello:
    workflow: ./hello.yaml
    description: 'Say hello: to "who"'
    category: demo
    tags: [demo, "yes"]
    estimated_duration: 1 second
    parameters:
      greeting: {type: string, default: hello, allowed_values: [hello, hi], description: how to greet}
  sec:
    workflow: ./sec.yaml
    parameters:
      apikey: {type: secret, default: gpsecretdefault42}
GP
cat > "$dir/gp/sec.yaml" <<'WF'
name: sec
parameters:
  - {name: tok, type: secret}
  - {name: opt, type: secret}
steps:
  - name: use
    type: shell
    env: {TOK: "{{ .parameters.tok }}"}
    config: {script: 'printf "tok has %s bytes\n" "${#TOK}"'}
WF
cat > "$dir/gp/hello.yaml" <<'WF'
name: hello
parameters:
  - {name: who, type: string, default: world}
  - {name: greeting, type: string, default: hello, allowed_values: [hello, hi]}
steps:
  - name: greet
    type: shell
    env: {WHO: "{{ .parameters.who }}", GREETING: "{{ .parameters.greeting }}"}
    config: {script: 'printf "%s, %s of %s\n" "$GREETING" "$WHO" "$APP"'}
    # APP: the Score spec's name
WF
sed -i 's/env: {WHO/env: {APP: "{{ .app.name }}", WHO/' "$dir/gp/hello.yaml"
cat > "$dir/etc/innominatus.yaml" <<CONF
server:
  listen: $listen
  db: $dir/data/inn.db
  pluginDir: $dir/plugins
  stateDir: $dir/data/state
  goldenpaths: $dir/gp/goldenpaths.yaml
workflowPolicies:
  allowedStepTypes: [shell]
CONF
. "$src/tests/ctl_lib.sh"
echo "1..20"
# the default server, before ours listens there: nothing answers on 8081
CHECK_SHOW="$dir/err"
if [ "$listen" = 127.0.0.1:8081 ]; then
	env -u INNOMINATUS_SERVER HOME="$dir" XDG_CONFIG_HOME= INNOMINATUS_TOKEN=x "$ctl" status 7 >"$dir/out" 2>"$dir/err"
	rc=$?
	[ $rc -eq 5 ] && grep -q 'cannot talk to the server at http://localhost:8081' "$dir/err" &&
		grep -q 'http://localhost:8081 is the default server (no --server URL given, INNOMINATUS_SERVER not set); name another with --server URL or INNOMINATUS_SERVER=URL$' "$dir/err"
	check "status without a server asks http://localhost:8081 and says it was the default (exit 5)" $?
	printf 'apiVersion: score.dev/v1b1\nmetadata: {name: shop}\ncontainers: {web: {image: x}}\n' >"$dir/spec.yaml"
	env -u INNOMINATUS_SERVER HOME="$dir" XDG_CONFIG_HOME= INNOMINATUS_TOKEN=x "$ctl" run hello "$dir/spec.yaml" >"$dir/out" 2>"$dir/err"
	rc=$?
	[ $rc -eq 5 ] && grep -q 'default server .*, or run it in-process with --local$' "$dir/err"
	check "run without a server names the default and --local" $?
else
	echo "ok 1 # SKIP port 8081 is in use here"
	echo "ok 2 # SKIP port 8081 is in use here"
	n=2
fi
key=$("$srvbin" --config "$dir/etc/innominatus.yaml" --create-admin-key ops)
trap 'kill $spid 2>/dev/null; wait $spid 2>/dev/null; rm -rf "$dir"' EXIT
start_server "$dir/etc/innominatus.yaml" "$dir/server.log" || { sed 's/^/# /' "$dir/server.log"; echo "Bail out! the server did not start"; exit 1; }
CHECK_SHOW="$dir/out"

# req METHOD PATH [KEY] [curl args...]: the body in $dir/out, the status printed
req() {
	m=$1 p=$2 k=$3
	shift 3
	if [ -n "$k" ]; then
		curl -s -o "$dir/out" -w '%{http_code}' -X "$m" -H "Authorization: Bearer $k" "$@" "$url$p"
	else
		curl -s -o "$dir/out" -w '%{http_code}' -X "$m" "$@" "$url$p"
	fi
}
# jq-like: python expression over the JSON in $dir/out as d
jsn() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$dir/out" "$1"; }
# wait_final ID KEY: polls the execution until it is final; its JSON in $dir/out
wait_final() {
	i=0
	while [ $i -lt 400 ]; do
		req GET "/api/workflows/$1" "$2" >/dev/null
		jsn 'd["status"] not in ("pending", "running")' && return 0
		i=$((i + 1)); sleep 0.05
	done
	return 1
}

req POST /api/admin/keys "$key" -d '{"name":"dev-red","role":"user","team":"red"}' >/dev/null
red=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$dir/out")
req POST /api/admin/keys "$key" -d '{"name":"dev-blue","role":"user","team":"blue"}' >/dev/null
blue=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$dir/out")

printf 'apiVersion: score.dev/v1b1\nmetadata:\n  name: shop\ncontainers:\n  web: {image: nginx}\n' >"$dir/spec.yaml"
# 1: YAML body, parameters in the query (URL-encoded: "café & co", '+' a space)
st=$(req POST '/api/workflows/golden-paths/hello/execute?param.who=caf%C3%A9+%26+co&param.greeting=hi' "$red" \
	-H 'Content-Type: application/yaml' --data-binary @"$dir/spec.yaml")
[ "$st" = 200 ] && jsn 'd["status"] == "pending" and d["workflow_id"] == d["id"] and d["app_name"] == "shop" and d["golden_path"] == "hello" and d["parameters"] == {"who": "café & co", "greeting": "hi"} and "execution %d" % d["id"] in d["message"]'
check "execute: a YAML Score spec and ?param.NAME=VALUE are accepted (200, the original's fields and ours)" $?
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$dir/out" 2>/dev/null)
wait_final "$id" "$red"
jsn 'd["status"] == "succeeded" and d["kind"] == "golden-path" and d["app"] == "shop" and d["parameters"]["who"] == "café & co" and d["team"] == "red"'
check "execute: the run succeeds with the query's parameters, for the spec's app and the caller's team" $?
req GET "/api/workflows/$id/logs" "$red" >/dev/null
grep -q 'hi, café & co of shop' "$dir/out"
check "execute: the step saw the parameters and the spec" $?

# 2: a JSON Score spec, whatever the Content-Type; no parameters: the defaults
st=$(req POST /api/workflows/golden-paths/hello/execute "$red" -H 'Content-Type: text/plain' \
	--data-binary '{"apiVersion": "score.dev/v1b1", "metadata": {"name": "cart"}, "containers": {"web": {"image": "x"}}}')
id2=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$dir/out" 2>/dev/null)
[ "$st" = 200 ] && wait_final "$id2" "$red" && req GET "/api/workflows/$id2/logs" "$red" >/dev/null &&
	grep -q 'hello, world of cart' "$dir/out"
check "execute: a JSON spec with another Content-Type runs with the defaults" $?

# 3: errors
printf 'apiVersion: score.dev/v1b1\nmetadata:\n  name: [shop\ncontainers: {}\n' >"$dir/bad.yaml"
st=$(req POST /api/workflows/golden-paths/hello/execute "$red" --data-binary @"$dir/bad.yaml")
[ "$st" = 400 ] && jsn 'd["error"]["code"] == "invalid_spec" and __import__("re").search(r"spec:[34]:[0-9]+: error", d["error"]["message"])'
check "execute: bad YAML is 400 JSON naming spec:LINE:COL" $?
st=$(req POST /api/workflows/golden-paths/nope/execute "$red" --data-binary @"$dir/spec.yaml")
[ "$st" = 404 ] && jsn 'd["error"]["code"] == "not_found" and "nope" in d["error"]["message"]'
check "execute: an unknown golden path is 404 JSON" $?
st=$(req POST /api/workflows/golden-paths/hello/execute "" --data-binary @"$dir/spec.yaml")
[ "$st" = 401 ] && jsn 'd["error"]["code"] == "unauthorized"'
check "execute: no key is 401 JSON" $?
st=$(req POST '/api/workflows/golden-paths/hello/execute?param.who=a&param.who=b' "$red" --data-binary @"$dir/spec.yaml")
s1=$st; m1=$(cat "$dir/out")
st=$(req POST '/api/workflows/golden-paths/hello/execute?params.who=a' "$red" --data-binary @"$dir/spec.yaml")
s2=$st; m2=$(cat "$dir/out")
st=$(req POST '/api/workflows/golden-paths/hello/execute?param.who=a%00b' "$red" --data-binary @"$dir/spec.yaml")
s3=$st; m3=$(cat "$dir/out")
st=$(req POST '/api/workflows/golden-paths/hello/execute?param.greeting=yo' "$red" --data-binary @"$dir/spec.yaml")
[ "$s1:$s2:$s3" = 400:400:400 ] && echo "$m1" | grep -q '"who\\" is given twice' &&
	echo "$m2" | grep -q 'unknown parameter \\"params.who\\"' && echo "$m3" | grep -q 'NUL' &&
	[ "$st" = 400 ] && grep -q 'greeting' "$dir/out"
check "execute: a parameter given twice, an unknown query key, %00 and a disallowed value are 400" $?

# 3b: a secret parameter's value is never echoed: not in the 200 (a run
# or a dry run), not in GET /api/workflows/{id} (where an unset optional
# secret is null, not "***"), not in a 400 about its encoding
st=$(req POST '/api/workflows/golden-paths/sec/execute?param.tok=TOPSECRET123' "$red" --data-binary @"$dir/spec.yaml")
s1=$st; grep -q TOPSECRET123 "$dir/out" && s1=leaked
jsn 'd["parameters"] == {"tok": "***", "opt": None, "apikey": "***"}' || s1=not-masked
sid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$dir/out" 2>/dev/null)
st=$(req POST '/api/workflows/golden-paths/sec/execute?param.tok=TOPSECRET123&dry_run=true' "$red" --data-binary @"$dir/spec.yaml")
s2=$st; grep -q TOPSECRET123 "$dir/out" && s2=leaked
jsn 'd["parameters"] == {"tok": "***", "opt": None, "apikey": "***"} and d["dry_run"] is True' || s2=not-masked
st=$(req POST '/api/workflows/golden-paths/sec/execute?param.tok=TOPSECRET123%zz' "$red" --data-binary @"$dir/spec.yaml")
s3=$st; grep -q TOPSECRET123 "$dir/out" && s3=leaked
grep -q 'the value of \\"param.tok\\" has a %' "$dir/out" || s3=no-message
wait_final "$sid" "$red"
s4=$(jsn 'd["status"] == "succeeded" and d["parameters"] == {"tok": "***", "opt": None, "apikey": "***"}' && echo ok)
grep -q -e TOPSECRET123 -e gpsecretdefault42 "$dir/out" && s4=leaked
req GET "/api/workflows/$sid/logs" "$red" >/dev/null
grep -q 'tok has 12 bytes' "$dir/out" || s4=not-run
echo "$s1:$s2:$s3:$s4" >"$dir/got"
CHECK_SHOW="$dir/got"
[ "$s1:$s2:$s3:$s4" = 200:200:400:ok ]
check "execute: a secret parameter is *** in the reply (run and dry run), in GET /api/workflows/{id} and in errors; unset it is null" $?

# 3c: dry_run is given once, as true, false, 1 or 0
st=$(req POST '/api/workflows/golden-paths/hello/execute?dry_run=1&dry_run=0' "$red" --data-binary @"$dir/spec.yaml")
s1=$st; grep -q 'dry_run is given twice' "$dir/out" || s1=no-message
st=$(req POST '/api/workflows/golden-paths/hello/execute?dry_run=yes' "$red" --data-binary @"$dir/spec.yaml")
s2=$st; grep -q 'dry_run takes true, false, 1 or 0, not \\"yes\\"' "$dir/out" || s2=no-message
st=$(req POST '/api/workflows/golden-paths/hello/execute?dry_run=1' "$red" --data-binary @"$dir/spec.yaml")
s3=$st; jsn 'd["dry_run"] is True' || s3=not-dry
st=$(req POST '/api/workflows/golden-paths/hello/execute?dry_run=false' "$red" --data-binary @"$dir/spec.yaml")
s4=$st; jsn 'd["dry_run"] is False' || s4=dry
echo "$s1:$s2:$s3:$s4" >"$dir/got"
[ "$s1:$s2:$s3:$s4" = 400:400:200:200 ]
check "execute: dry_run given twice is 400; it takes true, false, 1 or 0" $?
CHECK_SHOW="$dir/out"

# 3d: methods: OPTIONS on a path that exists is 204 with its Allow list
# (no key needed), another method it does not take 405 JSON with the same
# Allow, an unknown path 404 JSON, a method evhttp does not know 501 JSON
hdr() { curl -s -D "$dir/hdr" -o "$dir/out" -w '%{http_code}' -X "$1" "$url$2"; }
allow() { tr -d '\r' <"$dir/hdr" | sed -n 's/^Allow: //p'; }
s1=$(hdr OPTIONS /api/workflows/golden-paths/hello/execute):$(allow)
s2=$(hdr OPTIONS /api/golden-paths/hello):$(allow)
s3=$(hdr PATCH /api/golden-paths/hello):$(allow)
jsn 'd["error"]["code"] == "method_not_allowed" and "GET, HEAD, OPTIONS" in d["error"]["message"]' || s3=no-json
s4=$(hdr OPTIONS /api/nope)
jsn 'd["error"]["code"] == "not_found"' || s4=no-json
s5=$(hdr PROPFIND /api/golden-paths/hello)
jsn 'd["error"]["code"] == "not_implemented" and "PROPFIND" in d["error"]["message"]' || s5=no-json
s6=$(curl -s -D "$dir/hdr" -o "$dir/out" -w '%{http_code}' -X OPTIONS --request-target '*' "$url"):$(allow)
echo "$s1|$s2|$s3|$s4|$s5|$s6" >"$dir/got"
CHECK_SHOW="$dir/got"
[ "$s1|$s2|$s3|$s4|$s5|$s6" = "204:POST, OPTIONS|204:GET, HEAD, OPTIONS|405:GET, HEAD, OPTIONS|404|501|204:GET, HEAD, POST, DELETE, OPTIONS" ]
check "OPTIONS is 204 with Allow; another method 405 JSON with Allow; unknown path 404; PROPFIND 501 JSON" $?
CHECK_SHOW="$dir/out"

# 4: teams: the run is red's; blue sees golden paths, not red's run
st=$(req GET "/api/workflows/$id" "$blue")
s1=$st
st=$(req GET /api/golden-paths/hello "$blue")
[ "$s1" = 404 ] && [ "$st" = 200 ]
check "another team does not see the run; golden paths are visible to every key" $?

# 5: GET /api/golden-paths/{name}
st=$(req GET /api/golden-paths/hello "$red")
[ "$st" = 200 ] && jsn 'd["name"] == "hello" and d["description"] == "Say hello: to \"who\"" and d["category"] == "demo" and d["tags"] == ["demo", "yes"] and d["estimated_duration"] == "1 second" and d["workflow_file"] == "./hello.yaml" and [(p["name"], p["source"], p["default"]) for p in d["parameters"]] == [("greeting", "golden-path", "hello"), ("who", "workflow", "world")] and d["parameters"][0]["allowed"] == ["hello", "hi"] and d["parameters"][0]["description"] == "how to greet"'
check "GET /api/golden-paths/{name}: description, category, tags, workflow, parameters, estimated duration" $?
st=$(req GET /api/golden-paths/nope "$red")
s1=$st; grep -q 'no golden path named \\"nope\\"' "$dir/out" || s1=no-message
st=$(req GET /api/openapi.json "")
[ "$s1" = 404 ] && [ "$st" = 200 ] && jsn '"get" in d["paths"]["/api/golden-paths/{name}"] and "200" in d["paths"]["/api/workflows/golden-paths/{name}/execute"]["post"]["responses"]'
check "unknown golden path is 404; both routes are in /api/openapi.json" $?
st=$(req GET /api/golden-paths/sec "$red")
[ "$st" = 200 ] && ! grep -q gpsecretdefault42 "$dir/out" &&
	jsn '[p["default"] for p in d["parameters"] if p["name"] == "apikey"] == ["***"]'
check "GET /api/golden-paths/{name}: a golden path's secret default is ***" $?

# 6: innominatus-ctl's own run (its JSON route) keeps working
INNOMINATUS_TOKEN=$red "$ctl" --server "$url" run hello "$dir/spec.yaml" --param who=ctl >"$dir/out" 2>&1 &&
	grep -q 'hello, ctl of shop' "$dir/out"
check "innominatus-ctl --server run NAME SPEC still works" $?

# 7: the default server
if [ "$listen" = 127.0.0.1:8081 ]; then
	env -u INNOMINATUS_SERVER HOME="$dir" XDG_CONFIG_HOME= INNOMINATUS_TOKEN=$red \
		"$ctl" -o json status "$id" >"$dir/out" 2>&1
	jsn 'd["status"] == "succeeded"'
	check "without --server or INNOMINATUS_SERVER, innominatus-ctl asks http://localhost:8081" $?
	env -u INNOMINATUS_SERVER HOME="$dir" XDG_CONFIG_HOME= INNOMINATUS_TOKEN=$red \
		"$ctl" run hello "$dir/spec.yaml" --param who=default >"$dir/out" 2>&1 &&
		grep -q 'hello, default of shop' "$dir/out"
	check "run NAME SPEC without --server runs on the default server (the original's habit)" $?
else
	echo "ok 18 # SKIP port 8081 is in use here"
	echo "ok 19 # SKIP port 8081 is in use here"
fi
exit $fail
