#!/bin/sh
# ui_serve.sh - the dashboard as a real server serves it (issue 15): every
# file of ui/ at /ui/<path> byte for byte with its content type, / as
# index.html, the security headers, gzip when asked (not when q=0), 304
# for a current ETag, HEAD, the methods, paths that must never resolve
# (dot segments, encodings, doubled slashes, NUL, long paths), query
# strings ignored, no key needed, access lines, nothing of it in
# /api/openapi.json; server.ui: false (--ui, INNOMINATUS_UI) turns it off.
# Prints TAP.
lib_name=ui-serve
. "${INN_TOP_SRCDIR:?}/tests/server_lib.sh"
echo "1..27"

server_conf "$dir/conf.yaml" "$dir"
printf '  accessLog: true\n' >>"$dir/conf.yaml"
start_server "$dir/conf.yaml" "$dir/server.log"
check "the server starts" $?
CHECK_SHOW="$dir/out"

# get PATH [curl args]: the body in $dir/body, the headers (CR removed) in
# $dir/hdr, the status printed
get() {
	p=$1
	shift
	: >"$dir/body"
	curl -s --path-as-is -o "$dir/body" -D "$dir/hdr.raw" -w '%{http_code}' "$@" "$url$p"
	tr -d '\r' <"$dir/hdr.raw" >"$dir/hdr"
}
# raw: sends stdin as it is on one connection, prints what comes back
# until the server closes it
raw() {
	python3 -c '
import socket, sys, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname, u.port), timeout=10)
s.sendall(sys.stdin.buffer.read())
while True:
    try:
        b = s.recv(65536)
    except OSError:
        break
    if not b:
        break
    sys.stdout.buffer.write(b)
' "$url"
}
# hdr NAME: the value of header NAME of the last reply ("" when absent)
hdr() { sed -n "s/^$1: //Ip" "$dir/hdr" | head -1; }

# --- every file, byte for byte, with its type ---
: >"$dir/out"
(cd "$src" && find ui -type f ! -name embed.sh | sort) >"$dir/files"
while read -r f; do
	case $f in
	*.html) want='text/html; charset=utf-8' ;;
	*.js) want='text/javascript; charset=utf-8' ;;
	*.css) want='text/css; charset=utf-8' ;;
	*.svg) want='image/svg+xml' ;;
	*) want='?' ;;
	esac
	st=$(get "/$f")
	[ "$st" = 200 ] || { echo "/$f: $st" >>"$dir/out"; continue; }
	cmp -s "$dir/body" "$src/$f" || echo "/$f: not the bytes of $f" >>"$dir/out"
	[ "$(hdr Content-Type)" = "$want" ] || echo "/$f: Content-Type $(hdr Content-Type)" >>"$dir/out"
done <"$dir/files"
[ "$(wc -l <"$dir/files")" -eq 14 ] && [ ! -s "$dir/out" ]
check "each of the 14 files of ui/ is served at /ui/<path>, as it is, with its type" $?
# ui/embed.sh takes the files of ui/ only, by plain names, of the four types
: >"$dir/out"
for f in ui/nothing.js templates/embed.sh ui/../ui/app.js ui//app.js ui/embed.sh 'ui/a b.js'; do
	(cd "$dir" && sh "$src/ui/embed.sh" "$src" ui/app.css "$f" >/dev/null 2>"$dir/err") &&
		echo "embed.sh took $f" >>"$dir/out"
	grep -q "^embed.sh: .*$f" "$dir/err" || echo "embed.sh: nothing said of $f" >>"$dir/out"
done
[ ! -s "$dir/out" ]
check "ui/embed.sh refuses a missing file, one outside ui/, dot segments, another type" $?
st=$(get /)
[ "$st" = 200 ] && cmp -s "$dir/body" "$src/ui/index.html" &&
	[ "$(hdr Content-Type)" = "text/html; charset=utf-8" ]
check "GET / is ui/index.html" $?

# --- headers ---
csp="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
: >"$dir/out"
for p in / /ui/app.js /ui/nothing.js; do
	get "$p" >/dev/null
	[ "$(hdr Content-Security-Policy)" = "$csp" ] || echo "$p: CSP $(hdr Content-Security-Policy)" >>"$dir/out"
	[ "$(hdr X-Content-Type-Options)" = nosniff ] || echo "$p: no nosniff" >>"$dir/out"
	[ "$(hdr Referrer-Policy)" = no-referrer ] || echo "$p: Referrer-Policy" >>"$dir/out"
	[ "$(hdr X-Frame-Options)" = DENY ] || echo "$p: X-Frame-Options" >>"$dir/out"
	[ "$(hdr Cross-Origin-Opener-Policy)" = same-origin ] || echo "$p: COOP" >>"$dir/out"
done
[ ! -s "$dir/out" ]
check "the security headers (CSP, nosniff, Referrer-Policy, X-Frame-Options, COOP) on pages, files and a 404" $?
get /ui/app.css >/dev/null
etag=$(hdr ETag)
[ "$(hdr Cache-Control)" = no-cache ] && [ "$(hdr Vary)" = Accept-Encoding ] &&
	echo "$etag" | grep -q '^"[0-9a-f]\{16\}"$' && [ -z "$(hdr Content-Encoding)" ]
check "Cache-Control: no-cache, Vary: Accept-Encoding, a strong ETag; no Content-Encoding unasked" $?

# --- gzip ---
st=$(get /ui/index.html -H 'Accept-Encoding: gzip, deflate, br')
gzip -dc <"$dir/body" >"$dir/unzipped" 2>/dev/null
[ "$st" = 200 ] && [ "$(hdr Content-Encoding)" = gzip ] && cmp -s "$dir/unzipped" "$src/ui/index.html" &&
	[ "$(hdr Content-Length)" = "$(wc -c <"$dir/body" | tr -d ' ')" ] &&
	[ "$(hdr Vary)" = Accept-Encoding ] && [ "$(hdr Content-Type)" = "text/html; charset=utf-8" ]
check "Accept-Encoding: gzip gets the gzip copy (Content-Encoding: gzip), which unzips to the file" $?
gz_etag=$(hdr ETag)
[ -n "$gz_etag" ] && [ "$gz_etag" != "$(get /ui/index.html >/dev/null; hdr ETag)" ]
check "the gzip copy has an ETag of its own" $?
: >"$dir/out"
for ae in 'gzip;q=0' 'gzip; q=0.000, deflate' '*;q=0' 'br' 'identity' 'gzip;q=0.5, identity;q=1' 'gzip;q=2'; do
	get /ui/app.css -H "Accept-Encoding: $ae" >/dev/null
	{ [ -z "$(hdr Content-Encoding)" ] && cmp -s "$dir/body" "$src/ui/app.css"; } ||
		echo "Accept-Encoding: $ae -> $(hdr Content-Encoding)" >>"$dir/out"
done
for ae in 'GZIP' 'x-gzip' '*' 'gzip;q=0.001' 'identity;q=0.5, gzip'; do
	get /ui/app.css -H "Accept-Encoding: $ae" >/dev/null
	[ "$(hdr Content-Encoding)" = gzip ] || echo "Accept-Encoding: $ae -> no gzip" >>"$dir/out"
done
[ ! -s "$dir/out" ]
check "gzip only when taken: q=0, *;q=0, br, identity, a q over 1 get the bytes as they are" $?

# --- conditional requests ---
st=$(get /ui/app.css -H "If-None-Match: $etag")
[ "$st" = 304 ] && [ ! -s "$dir/body" ] && [ "$(hdr ETag)" = "$etag" ] &&
	[ "$(hdr Cache-Control)" = no-cache ] && [ "$(hdr Content-Security-Policy)" = "$csp" ]
check "If-None-Match with the current ETag: 304, no body, the ETag and headers again" $?
: >"$dir/out"
for inm in "W/$etag" "\"0000\", $etag" '*'; do
	[ "$(get /ui/app.css -H "If-None-Match: $inm")" = 304 ] || echo "$inm: not 304" >>"$dir/out"
done
for inm in '"0000"' "$gz_etag" "$(echo "$etag" | tr -d '"')" "${etag}x" 'W/"0000"'; do
	[ "$(get /ui/app.css -H "If-None-Match: $inm")" = 200 ] && cmp -s "$dir/body" "$src/ui/app.css" ||
		echo "$inm: not 200 with the file" >>"$dir/out"
done
[ "$(get /ui/index.html -H 'Accept-Encoding: gzip' -H "If-None-Match: $gz_etag")" = 304 ] ||
	echo "gzip etag with gzip: not 304" >>"$dir/out"
[ ! -s "$dir/out" ]
check "W/ and lists match (304); another tag, the other copy's tag, a malformed one: 200" $?

# --- HEAD ---
st=$(get /ui/app.css -I)
# (curl -I writes the head where the body would go: nothing after it)
[ "$st" = 200 ] && cmp -s "$dir/body" "$dir/hdr.raw" && [ "$(hdr ETag)" = "$etag" ] &&
	[ "$(hdr Content-Length)" = "$(wc -c <"$src/ui/app.css" | tr -d ' ')" ]
check "HEAD: the GET's headers and Content-Length, no body" $?
printf 'HEAD / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	raw | tr -d '\r' >"$dir/out"
# the HEAD's head (gzip said), then at once the next reply's status line
awk 'NR == 1 { ok = $0 == "HTTP/1.1 200 OK" } /^Content-Encoding: gzip$/ { gz = 1 }
	/^$/ && !blank { blank = 1; getline; next1 = $0 }
	END { exit !(ok && gz && next1 == "HTTP/1.1 200 OK") }' "$dir/out"
check "HEAD / with gzip: headers only, the next request on the connection is answered" $?

# --- methods ---
: >"$dir/out"
for m in POST PUT DELETE PATCH; do
	for p in / /ui/app.js; do
		st=$(get "$p" -X "$m")
		{ [ "$st" = 405 ] && [ "$(hdr Allow)" = "GET, HEAD, OPTIONS" ] &&
			grep -q '"method_not_allowed"' "$dir/body"; } || echo "$m $p: $st $(hdr Allow)" >>"$dir/out"
	done
done
st=$(get / -X OPTIONS)
[ "$st" = 204 ] && [ "$(hdr Allow)" = "GET, HEAD, OPTIONS" ] || echo "OPTIONS /: $st" >>"$dir/out"
[ "$(get /ui/nothing.js -X POST)" = 404 ] || echo "POST /ui/nothing.js: not 404" >>"$dir/out"
[ ! -s "$dir/out" ]
check "other methods: 405 with Allow: GET, HEAD, OPTIONS (JSON); OPTIONS 204; an unknown file 404 whatever the method" $?

# --- paths that must never resolve ---
: >"$dir/out"
long=$(head -c 8000 /dev/zero | tr '\0' a)
for p in /ui/ /ui /ui/../server/ui.c /ui/%2e%2e/server/ui.c /ui/%2E%2E/%2E%2E/etc/passwd \
	/ui//app.js /ui/./app.js /ui/lib/../app.js /ui/%61pp.js /ui/app%2ejs /ui/app.js%00 \
	/ui/app.js%00.png /ui/app.js/ /ui/APP.JS /ui/embed.sh /ui/lib /ui/lib/ "/ui/$long" \
	/ui/%5C..%5Capp.js "/ui/..%2fserver/ui.c" /ui/app.js%20 /UI/app.js /index.html; do
	st=$(get "$p")
	{ [ "$st" = 404 ] && grep -q '"not_found"' "$dir/body" &&
		[ "$(hdr Content-Type)" = application/json ]; } || echo "${p%"$long"}: $st" >>"$dir/out"
done
[ ! -s "$dir/out" ]
check "dot segments, encoded ones, doubled slashes, %00, case, long paths, embed.sh: JSON 404" $?
printf 'GET /ui/app.js\000/../../x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
	raw >"$dir/out"
! head -1 "$dir/out" | grep -q ' 200 ' && ! grep -q export "$dir/out" && curl -sf -o /dev/null "$url/health"
check "a NUL byte in the request line serves nothing (and the server goes on)" $?
: >"$dir/out"
for t in // /// '//?x' //ui/app.js; do
	printf 'GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$t" | raw >"$dir/got"
	head -1 "$dir/got" | grep -q ' 404 ' && ! grep -q '<!DOCTYPE\|export' "$dir/got" ||
		echo "$t: $(head -1 "$dir/got")" >>"$dir/out"
done
printf 'GET http://x/ui/app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw >"$dir/got"
head -1 "$dir/got" | grep -q ' 200 ' || echo "absolute-form: $(head -1 "$dir/got")" >>"$dir/out"
[ ! -s "$dir/out" ]
check "// and /// (read as an authority by evhttp) serve nothing; an absolute-form target does" $?

# --- query strings, keys ---
[ "$(get '/ui/app.css?v=2&key=x')" = 200 ] && cmp -s "$dir/body" "$src/ui/app.css" &&
	[ "$(get '/?execution=3')" = 200 ] && cmp -s "$dir/body" "$src/ui/index.html"
check "a query string is ignored" $?
[ "$(get / -H 'Authorization: Bearer inn_not_a_key')" = 200 ] && [ "$(get /ui/app.js)" = 200 ]
check "no key is needed, and a wrong one changes nothing (the pages hold no data)" $?

# --- the access log, the API beside ---
sleep 0.2
grep -q "access GET / 200 [0-9]* bytes" "$dir/server.log" &&
	grep -q "access GET /ui/app.css 304 0 bytes" "$dir/server.log" &&
	grep -q "access HEAD /ui/app.css 200 " "$dir/server.log" &&
	grep -q "access GET /ui/app.css?v=\*&key=\* 200 " "$dir/server.log"
CHECK_SHOW="$dir/server.log" check "each request has its access line (query values left out)" $?
curl -s "$url/api/openapi.json" >"$dir/openapi.json"
python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
bad = [p for p in d["paths"] if p == "/" or p.startswith("/ui")]
sys.exit(1 if bad or "/health" not in d["paths"] else 0)
' "$dir/openapi.json"
check "/api/openapi.json documents the API only (no / nor /ui/)" $?
[ "$(get /health)" = 200 ] && [ "$(get /nope)" = 404 ] && grep -q 'no route /nope' "$dir/body"
check "the API beside it is as it was (/health, an unknown route's 404)" $?

kill "$spid"
wait "$spid" 2>/dev/null
spid=""

# --- server.ui: false (--ui, INNOMINATUS_UI) ---
server_conf "$dir/off.yaml" "$dir"
printf '  ui: false\n' >>"$dir/off.yaml"
start_server "$dir/off.yaml" "$dir/off.log"
: >"$dir/out"
for p in / /ui/app.js /ui/index.html; do
	st=$(get "$p")
	{ [ "$st" = 404 ] && grep -q '"not_found"' "$dir/body" && grep -q 'the dashboard is off' "$dir/body"; } ||
		echo "$p: $st" >>"$dir/out"
done
[ "$(get /health)" = 200 ] || echo "/health: not 200" >>"$dir/out"
[ ! -s "$dir/out" ]
check "server.ui: false: / and /ui/ answer 404 (the dashboard is off), the API is served" $?
# a reload says the change waits for the next start (as other settings')
sed -i 's/ui: false/ui: true/' "$dir/off.yaml"
kill -HUP "$spid"
i=0
while [ $i -lt 100 ] && ! grep -q "server.ui changed" "$dir/off.log"; do sleep 0.05; i=$((i + 1)); done
grep -q "reload: server.ui changed to true: it takes effect at the next start" "$dir/off.log" &&
	[ "$(get /)" = 404 ]
CHECK_SHOW="$dir/off.log" check "a reload that turns it on says it takes effect at the next start" $?
sed -i 's/ui: true/ui: false/' "$dir/off.yaml"
kill "$spid"
wait "$spid" 2>/dev/null
spid=""
"$srvbin" --check-config --config "$dir/off.yaml" >"$dir/out" 2>&1 &&
	grep -q "dashboard off (server.ui: false)" "$dir/out" &&
	"$srvbin" --check-config --config "$dir/off.yaml" --ui true >"$dir/out" 2>&1 &&
	grep -q "dashboard at /" "$dir/out"
check "--check-config says whether the dashboard is served (--ui wins over the file)" $?
sed 's/ui: false/ui: maybe/' "$dir/off.yaml" >"$dir/bad.yaml"
"$srvbin" --check-config --config "$dir/bad.yaml" >"$dir/out" 2>&1
[ $? -eq 1 ] && grep -q "bad.yaml:[0-9]*: server.ui: .*maybe" "$dir/out"
check "server.ui: maybe is a problem naming the file, line and key" $?
INNOMINATUS_UI=off "$srvbin" --check-config --config "$dir/conf.yaml" >"$dir/out" 2>&1 &&
	grep -q "dashboard off" "$dir/out"
check "INNOMINATUS_UI=off turns it off" $?
exit $fail
