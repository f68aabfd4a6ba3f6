#!/bin/sh
# input.sh - names and cursors as a second hostile test tried them: a NUL
# (\u0000 in JSON, \0 in a YAML spec) in any name or value -- an app, a
# resource, a workflow, a parameter name, a key or team name -- is a 400,
# never a name silently cut at the NUL; stream cursors that are not
# numbers (or out of range) are a 400, not "replay everything"; a chunk
# size with leading zeros is read as the number it is.  Prints TAP.
. "$INN_TOP_SRCDIR/tests/hostile/lib.sh"
fixtures=$INN_TOP_SRCDIR/tests/data/hostile/tenancy
h_init input
mkdir -p "$H/providers"
cp -r "$fixtures/providers/tenancy" "$H/providers/"
chmod -R u+w "$H/providers"
H_SERVER_YAML="  goldenpaths: $fixtures/goldenpaths.yaml"
h_start "$H/providers" || exit 1
BLUE=$(h_key blue-dev user blue)
body_has() { grep -q -- "$1" "$H/body"; }
runs_of() { api GET /api/workflows "$ADMIN" | jf total; }
before=$(runs_of)
[ -n "$before" ] || { echo "Bail out! GET /api/workflows has no total"; exit 1; }

api POST /api/workflows/run "$BLUE" \
	-d '{"workflow":"tenancy/echo","parameters":{"msg\u0000zz":"x"}}' >/dev/null
check "a NUL in a parameter name is a 400" code_is 400
check "... which says so" body_has "NUL"
check_api "a NUL in a workflow name is a 400 (not tenancy/echo run)" 400 POST /api/workflows/run "$BLUE" -d '{"workflow":"tenancy/echo\u0000zz"}'
spec='{"spec":{"apiVersion":"score.dev/v1b1","metadata":{"name":"app\u0000zz"},"containers":{"w":{"image":"x"}}}}'
check_api "a NUL in a Score spec's application name is a 400" 400 POST /api/golden-paths/noop/run "$BLUE" -d "$spec"
spec='{"spec":"apiVersion: score.dev/v1b1\nmetadata: {name: \"app\\0zz\"}\ncontainers: {w: {image: x}}\n"}'
check_api "a YAML NUL escape in a spec's application name is a 400" 400 POST /api/golden-paths/noop/run "$BLUE" -d "$spec"
check "... naming the NUL" body_has "NUL"
check "none of them started a run" [ "$(runs_of)" = "$before" ]
check_api "a NUL in a key name is a 400" 400 POST /api/admin/keys "$ADMIN" -d '{"name":"nk\u0000x","role":"user","team":"blue"}'
check_api "a NUL in a team name is a 400" 400 POST /api/admin/keys "$ADMIN" -d '{"name":"nk","role":"user","team":"blue\u0000evil"}'
api GET /api/workflows "$ADMIN" >/dev/null
api GET /api/admin/keys "$ADMIN" >/dev/null
check "no key nk was made" sh -c "! grep -q '\"nk\"' '$H/body'"

for bad in abc -1 99999999999999999999 1x; do
	curl -s -o "$H/body" -w '%{http_code}' -m 5 -H "Authorization: Bearer $BLUE" \
		"$url/api/events/stream?after=$bad" > "$H/code"
	check "events after=$bad is a 400 (not the whole backlog)" code_is 400
done
curl -s -o "$H/body" -w '%{http_code}' -m 5 -H "Authorization: Bearer $BLUE" \
	-H "Last-Event-ID: nope" "$url/api/events/stream" > "$H/code"
check "a Last-Event-ID that is not a number is a 400" code_is 400
id=$(api POST /api/workflows/run "$BLUE" -d '{"workflow":"tenancy/echo"}' | jf id)
h_wait_final "$id" "$BLUE" 30
check_api "logs after=zz is a 400" 400 GET "/api/workflows/$id/logs?after=zz" "$BLUE"
check_api "logs after=0 still works" 200 GET "/api/workflows/$id/logs?after=0" "$BLUE"

h_py "$url" "$BLUE" > "$H/chunk" <<'PY'
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname, u.port), timeout=10)
body = b'{"workflow":"tenancy/echo"}'
req = (b"POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
       sys.argv[2].encode() + b"\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
       b"0000000000000000000000" + (b"%x" % len(body)) + b"\r\n" + body + b"\r\n0\r\n\r\n")
s.sendall(req)
print(read_all(s).split(b"\r\n", 1)[0].decode())
PY
check "a chunk size with leading zeros is read as its number (202)" grep -q " 202 " "$H/chunk"
h_stop
h_done
