#!/bin/sh
# http.sh - hostile replays against the HTTP front (hardening review: HT-1,
# HT-3, HT-5, HT-10, IN-9, IN-15, IN-19, IN-21, AU-10): what a client that
# does not play by the rules can do to memory, descriptors, the event loop
# and the JSON the server accepts.
. "$INN_TOP_SRCDIR/tests/hostile/lib.sh"
fix="$INN_TOP_SRCDIR/tests/data/hostile/http"
h_init http
h_small_quarantine   # the memory checks measure the server, not ASan's quarantine
H_SERVER_YAML="  goldenpaths: $fix/goldenpaths.yaml"
h_start "$fix/providers" || { echo "Bail out! server"; exit 1; }
U=$(h_key http-user user web)

# raw: sends stdin as bytes on one connection; prints the status lines,
# the Content-Type headers and the bodies received until the server closes
{ printf '%s' "$H_PY"; cat <<'PY'; } > "$H/raw.py"
u = urllib.parse.urlparse(sys.argv[1])
data = sys.stdin.buffer.read()
s = socket.create_connection((u.hostname, u.port), timeout=10)
try:
    s.sendall(data)
except OSError:
    pass
sys.stdout.write(read_until_close(s).decode("utf-8", "replace"))
PY
raw() { python3 "$H/raw.py" "$url"; }
# is STATUS CODE: the last api reply had this status and error code
is() { test "$(cat "$H/code")" = "$1" && test "$(jf error.code < "$H/out")" = "$2"; }
msg_has() { test "$(cat "$H/code")" = 400 && jf error.message < "$H/out" | grep -q "$1"; }
hostport=${url#http://}

# ---- HT-3: unauthenticated bodies are not buffered --------------------------
# the high-water mark of the server's resident memory, in kB
rss() { awk '/^VmHWM/ {print $2}' "/proc/$spid/status"; }
rss0=$(rss)
h_py "$url" > "$H/ht3" <<'PY'
u = urllib.parse.urlparse(sys.argv[1])
res = []
def one(i):
    size = (1 + i % 15) * 1000 * 1000 if i % 2 else 15 * 1000 * 1000
    s = socket.create_connection((u.hostname, u.port), timeout=20)
    s.sendall(b"POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: %d\r\n\r\n" % size)
    chunk = b"a" * 65536
    sent = 0
    try:
        while sent < size:
            sent += s.send(chunk[:min(65536, size - sent)])
    except OSError:
        pass
    res.append(read_until_close(s).split(b"\r\n")[0].decode("latin-1"))
    s.close()
ts = [threading.Thread(target=one, args=(i,)) for i in range(30)]
for t in ts: t.start()
for t in ts: t.join()
print(len([r for r in res if " 401 " in r]))
PY
rss1=$(rss)
echo "# peak RSS before ${rss0} kB, after 30 unauthenticated 1-15 MB bodies ${rss1} kB"
check "HT-3: 30 unauthenticated bodies of 1-15 MB get 401 without their bodies" \
	test "$(cat "$H/ht3")" = 30
check "HT-3: the server's peak memory grows by less than 50 MB (it kept no body)" \
	test $((rss1 - rss0)) -lt 51200

# ---- HT-1: 413 is the JSON error, also for chunked bodies ------------------
head -c 20000000 /dev/zero | tr '\0' 'a' > "$H/big"
api POST /api/workflows/run "$U" --data-binary @"$H/big" -H 'Content-Type: application/json' \
	> "$H/out" 2>/dev/null
check "HT-1: a 20 MB body gets 413 with the JSON error" is 413 body_too_large
api POST /api/workflows/run "$U" --data-binary @"$H/big" -H 'Transfer-Encoding: chunked' \
	> "$H/out" 2>/dev/null
check "HT-1: a 20 MB chunked body gets 413 with the JSON error" is 413 body_too_large
printf 'POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n' | raw > "$H/out"
check "HT-1: the 401 of an unauthenticated body is JSON" \
	sh -c "grep -q '^HTTP/1.1 401' $H/out && grep -q 'application/json' $H/out && grep -q '\"unauthorized\"' $H/out"
# a browser never second-guesses a reply's Content-Type: the guard's own
# refusals, JSON replies, errors and /metrics all say nosniff
nosniff() { tr -d '\r' | grep -qix 'X-Content-Type-Options: nosniff'; }
check "the guard's refusal says X-Content-Type-Options: nosniff" nosniff < "$H/out"
for p in /health /metrics /api/providers /nope-404; do
	curl -s -o /dev/null -D "$H/hdr" -H "Authorization: Bearer $U" "$url$p"
	nosniff < "$H/hdr" || echo "$p" >> "$H/sniffy"
done
check "API replies (JSON, an error, /metrics) say X-Content-Type-Options: nosniff" test ! -s "$H/sniffy"

# ---- HT-10: conflicting Content-Length, CL with Transfer-Encoding ----------
printf 'POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 2\r\nContent-Length: 30\r\n\r\n{}GET /health HTTP/1.1\r\nHost: x\r\n\r\n' "$U" | raw > "$H/out"
check "HT-10: two conflicting Content-Length headers get 400 (nothing smuggled)" \
	sh -c "grep -q '^HTTP/1.1 400' $H/out && grep -q 'application/json' $H/out && ! grep -q '\"status\":\"ok\"' $H/out"
printf 'POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n' "$U" | raw > "$H/out"
check "HT-10: Content-Length with Transfer-Encoding gets the JSON 400" \
	sh -c "grep -q '^HTTP/1.1 400' $H/out && grep -q 'application/json' $H/out"
printf 'POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 16\r\nContent-Length: 16\r\n\r\n{"workflow":"x"}GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$U" | raw > "$H/out"
check "HT-10: repeated equal Content-Length headers are read as one (404, then the next request)" \
	sh -c "grep -q '^HTTP/1.1 404' $H/out && grep -q '\"status\":\"ok\"' $H/out"
# two Authorization headers: which key counts would be a guess (evhttp took
# the first without a body; the body check the last): 400 either way
printf 'GET /api/workflows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nAuthorization: Bearer nope\r\nConnection: close\r\n\r\n' "$U" | raw > "$H/out"
check "HT-10: two Authorization headers without a body get the JSON 400" \
	sh -c "grep -q '^HTTP/1.1 400' $H/out && grep -q 'application/json' $H/out && grep -q 'more than one Authorization header' $H/out"
printf 'POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nauthorization: Bearer %s\r\nContent-Length: 2\r\n\r\n{}' "$U" | raw > "$H/out"
check "HT-10: two Authorization headers (any case) with a body get the JSON 400" \
	sh -c "grep -q '^HTTP/1.1 400' $H/out && grep -q 'application/json' $H/out && grep -q 'more than one Authorization header' $H/out"

# ---- IN-21, IN-19, IN-15: strict JSON --------------------------------------
for body in "{'workflow':'web/hello'}" '{"workflow":"web/hello" /* c */}' \
	'{"workflow":"web/hello",}' '{"workflow":"web/hello","parameters":{"n":NaN}}' \
	'{"workflow":"web/hello","parameters":{"n":Infinity}}'; do
	api POST /api/workflows/run "$U" -d "$body" > "$H/out"
	check "IN-21: $body gets 400 invalid_json" is 400 invalid_json
done
printf '{"workflow":"web/hello","parameters":{"who":"a\377\376\303("}}' > "$H/utf8.json"
api POST /api/workflows/run "$U" --data-binary @"$H/utf8.json" > "$H/out"
check "IN-19: invalid UTF-8 in a string gets 400 naming parameters.who" msg_has 'UTF-8 in parameters.who'
printf '{"workflow":"web/hello","parameters":{"\377k":"x"}}' > "$H/utf8.json"
api POST /api/workflows/run "$U" --data-binary @"$H/utf8.json" > "$H/out"
check "IN-19: invalid UTF-8 in a key gets 400 saying so" msg_has 'key that is not valid UTF-8 in parameters'
for n in 99999999999999999999999999 -99999999999999999999999999 18446744073709551615 1e999; do
	api POST /api/workflows/run "$U" -d "{\"workflow\":\"web/hello\",\"parameters\":{\"n\":$n}}" > "$H/out"
	check "IN-15: $n gets 400 out of range naming parameters.n" msg_has 'out of range.* in parameters.n'
done
api POST /api/workflows/run "$U" -d '{"workflow":"web/hello","parameters":{"who":"caf\u00e9 ☕","n":9223372036854775807}}' > "$H/out"
check "strict JSON still takes valid UTF-8, escapes and 64-bit integers (202)" test "$(cat "$H/code")" = 202

# ---- AU-10: revoking a key ends its SSE streams ----------------------------
V=$(h_key http-victim user web)
# a running execution of the victim's team to follow
id=$(api POST /api/workflows/run "$V" -d '{"workflow":"web/wait"}' | jf id)
(timeout 15 curl -sN -H "Authorization: Bearer $V" "$url/api/events/stream" > "$H/sse1"; echo $? > "$H/sse1.rc") &
p1=$!
(timeout 15 curl -sN -H "Authorization: Bearer $V" "$url/api/workflows/$id/logs?follow=1" > "$H/sse2"; echo $? > "$H/sse2.rc") &
p2=$!
sleep 0.5
api DELETE /api/admin/keys/http-victim "$ADMIN" > /dev/null
wait $p1 $p2
check "AU-10: revoking a key ends its open /api/events/stream" test "$(cat "$H/sse1.rc")" = 0
check "AU-10: ... and its open logs?follow=1 stream" test "$(cat "$H/sse2.rc")" = 0
api POST "/api/workflows/$id/cancel" "$ADMIN" > /dev/null

# ---- A26/A27/A28/A80: framing the scanner and evhttp must agree on ----------
# one_json STATUS: the replay got exactly one reply, STATUS, in JSON
one_json() {
	test "$(grep -c '^HTTP/1' "$H/r")" = 1 && grep -q "^HTTP/1.1 $1 " "$H/r" &&
		grep -qi '^Content-Type: application/json' "$H/r"
}
printf 'POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' | raw > "$H/r"
check "A26: 'Transfer-Encoding : chunked' (space before the colon) -> one JSON 400, no smuggled request" one_json 400
printf 'GET /api/workflows HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length : 37\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' "$U" | raw > "$H/r"
check "A26: 'Content-Length : 37' (body: a second request) with a valid key -> one JSON 400" one_json 400
printf 'GET /health HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\nConnection: close\r\n\r\n' | raw > "$H/r"
check "A26: an obs-fold continuation line -> JSON 400" one_json 400
printf 'GET /health HTTP/1.1\r\nHost: x\r\nX(A): 1\r\nConnection: close\r\n\r\n' | raw > "$H/r"
check "A26: a header name with an invalid character -> JSON 400" one_json 400
printf 'GET /health HTTP/1.1\r\nHost: x\r\nno colon here\r\nConnection: close\r\n\r\n' | raw > "$H/r"
check "A26: a header line without a colon -> JSON 400 (not evhttp's HTML)" one_json 400
pad() { python3 -c "import sys; sys.stdout.write('GET /health HTTP/1.1\r\nHost: x\r\nX-Pad: ' + 'a' * $1 + '\r\nConnection: close\r\n\r\n')" | raw > "$H/r"; }
pad 15000
ok15=no; one_json 200 && ok15=yes
for n in 16500 17000 20000 24000 30000; do
	pad $n
	check "A27: a $n-byte header -> JSON 431 (and 15000 bytes are served: $ok15)" \
		eval 'test $ok15 = yes && one_json 431'
done
# libevent reads a chunk size with strtoll: whatever it would read otherwise
# than the scanner is refused in JSON
bad=""
for size in '2;ext=1' '0x2' '2 ;x' '+2'; do
	printf 'POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n%s\r\n{}\r\n0\r\n\r\n' "$U" "$size" | raw > "$H/r"
	one_json 400 || bad="$bad '$size'"
done
check "A28: chunk extensions and sizes other than hex digits -> JSON 400 (not evhttp's HTML 413)${bad:+; not for$bad}" test -z "$bad"
printf 'POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\nX-T: 1\r\nbad trailer\r\n\r\n' "$U" | raw > "$H/r"
check "A28: a malformed trailer line -> JSON 400" one_json 400
api GET "/api/providers/web%00x" "$U" > "$H/out"
check "A80: a NUL in a path segment -> 400 (not the truncated name)" is 400 bad_path
api GET "/api/workflows/1%00" "$U" > "$H/out"
check "A80: /api/workflows/1%00 -> 400" is 400 bad_path
api GET "/api/workflows/1%0a" "$U" > "$H/out"
check "A80: a line feed in a path segment -> 400" is 400 bad_path
api GET "/api/workflows/99999999999999999999" "$U" > "$H/out"
check "A80: an id beyond int64 -> 400 bad_id, not execution INT64_MAX" is 400 bad_id
api GET "/api/workflows/99999999999999999999/logs" "$U" > "$H/out"
check "A80: ... on every id route (logs)" is 400 bad_id

# ---- IN-9: a slow request does not hold the loop ---------------------------
python3 - "$url" "$U" > "$H/slow" <<'PY'
import json, socket, sys, threading, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); key = sys.argv[2]
spec = ("apiVersion: score.dev/v1b1\nmetadata: {name: dup}\ncontainers: {web: {image: x}}\n"
        "extensions:\n" + "".join("  k%06d: 1\n" % i for i in range(68000)))
body = json.dumps({"dry_run": True, "spec": spec}).encode()
head = (b"POST /api/golden-paths/deploy-app/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % (key.encode(), len(body)))
done = []
lock = threading.Lock()
socks = []
for i in range(2):
    s = socket.create_connection((u.hostname, u.port), timeout=600)
    s.sendall(head + body[:-1])
    socks.append(s)
def finish(name, s, last):
    out = b""
    try:
        s.sendall(last)
        while b"\r\n\r\n" not in out:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError as e:
        out = str(e).encode()
    with lock:
        done.append((name, out.split(b"\r\n")[0].decode("latin-1")))
ts = [threading.Thread(target=finish, args=("slow", s, body[-1:])) for s in socks]
for t in ts: t.start()
time.sleep(0.05)
h = socket.create_connection((u.hostname, u.port), timeout=600)
threading.Thread(target=finish, args=("health", h, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")).run()
for t in ts: t.join()
print(" ".join(n for n, _ in done))
print(" | ".join(l for _, l in done))
PY
echo "# completion order: $(head -1 "$H/slow"); $(tail -1 "$H/slow")"
check "IN-9: GET /health answers while 1 MB Score specs are being parsed" \
	test "$(head -1 "$H/slow" | cut -d' ' -f1)" = health
api GET /health "" > /dev/null
check "the server serves after all of the above" test "$(cat "$H/code")" = 200
h_stop

# ---- HT-5: descriptors run out ---------------------------------------------
h_config
: > "$H/server2.log"
(ulimit -n 128; exec "$srvbin" --config "$H/conf.yaml" --providers "$fix/providers" 2>>"$H/server2.log") &
spid=$!
i=0
url=""
while [ $i -lt 200 ] && [ -z "$url" ]; do
	url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$H/server2.log" | tail -1)
	i=$((i + 1)); sleep 0.05
done
ticks() { awk '{print $14 + $15}' "/proc/$spid/stat"; }
t0=$(ticks)
python3 - "$url" > "$H/ht5" <<'PY'
import socket, sys, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
socks = []
for i in range(200):
    try:
        socks.append(socket.create_connection((u.hostname, u.port), timeout=5))
    except OSError:
        pass
time.sleep(2)
for s in socks: s.close()
print(len(socks))
PY
t1=$(ticks)
logsize=$(wc -c < "$H/server2.log")
echo "# 200 idle sockets under ulimit -n 128: $((t1 - t0)) CPU ticks in ~2 s, log $logsize bytes"
check "HT-5: the server does not spin while its descriptors are exhausted (< 40 ticks in ~2 s)" \
	test $((t1 - t0)) -lt 40
check "HT-5: the log stays small (< 64 KB)" test "$logsize" -lt 65536
i=0
while [ $i -lt 50 ] && ! curl -sf -o /dev/null "$url/health"; do i=$((i + 1)); sleep 0.1; done
check "HT-5: the server answers again once the sockets close" curl -sf -o /dev/null "$url/health"
h_stop

# ---- A49: slowloris -----------------------------------------------------------
# small limits so that a few dozen sockets fill them: 4 addresses x 10
# connections trickle one header line every 0.5 s (and reconnect when
# closed); a client from another address, and one from a loris address,
# must still be served, and the trickling connections must be ended
H_SERVER_YAML="  maxConnections: 40
  maxConnectionsPerClient: 10
  headerTimeoutSeconds: 2
  timeoutSeconds: 3"
h_start "$fix/providers" || { echo "Bail out! server"; exit 1; }
# one trickling head, one body at 1 byte/s, alone (no limit reached): each
# gets a 408 and is closed, well before the client would give up (12 s)
python3 - "$url" "$U" > "$H/trickle" <<'PY'
import socket, sys, threading, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); key = sys.argv[2].encode()
res = {}
def trickle(name, first, line, every):
    s = socket.create_connection((u.hostname, u.port), timeout=12)
    s.setblocking(False)
    s.sendall(first)
    out = b""
    stop = time.time() + 12
    while time.time() < stop:
        time.sleep(every)
        try:
            s.send(line)
        except OSError:
            pass
        try:
            b = s.recv(65536)
            if not b:
                break
            out += b
        except BlockingIOError:
            pass
        except OSError:
            break
    res[name] = out.split(b"\r\n")[0].decode("latin-1") if out else "still open or reset"
ts = [threading.Thread(target=trickle, args=("head", b"GET /health HTTP/1.1\r\n", b"X-A: b\r\n", 0.5)),
      threading.Thread(target=trickle, args=("body", b"POST /api/workflows/run HTTP/1.1\r\nHost: x\r\n"
                       b"Authorization: Bearer " + key + b"\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 1000\r\n\r\n{", b" ", 1.0))]
for t in ts: t.start()
for t in ts: t.join()
print(res["head"]); print(res["body"])
PY
check "A49: a head trickling a line every 0.5 s gets 408 (headerTimeoutSeconds) and is closed" \
	test "$(sed -n 1p "$H/trickle")" = "HTTP/1.1 408 Request Timeout"
check "A49: a body at 1 byte/s gets 408 after timeoutSeconds and is closed" \
	test "$(sed -n 2p "$H/trickle")" = "HTTP/1.1 408 Request Timeout"
h_py "$url" "$U" > "$H/loris" <<'PY'
import socket, sys, threading, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1]); key = sys.argv[2].encode()
stop = time.time() + 14
ended = set()                  # the trickling clients whose connection was ended
lock = threading.Lock()
def loris(ip, first, line):
    me = object()
    while time.time() < stop:
        up = False
        try:
            s = socket.create_connection((u.hostname, u.port), timeout=2, source_address=(ip, 0))
            s.sendall(first)
            up = True
            while time.time() < stop:
                time.sleep(0.5)
                s.sendall(line)
        except OSError:
            if up:
                with lock:
                    ended.add(me)
            time.sleep(0.1)
            continue
        s.close()
ts = []
for a in range(2, 6):
    for i in range(10):
        ts.append(threading.Thread(target=loris, args=("127.0.0.%d" % a,
                  b"GET /health HTTP/1.1\r\nHost: x\r\n", b"X-A: b\r\n")))
# an authenticated body at 1 byte/s
ts.append(threading.Thread(target=loris, args=("127.0.0.6",
          b"POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + key +
          b"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", b" ")))
for t in ts: t.start()
time.sleep(1.5)
print(health_from(sys.argv[1], "127.0.0.9"))
print(health_from(sys.argv[1], "127.0.0.2"))
time.sleep(3)
print(health_from(sys.argv[1], "127.0.0.9"))
for t in ts: t.join()
print(len(ended))
PY
echo "# loris: $(tr '\n' '|' < "$H/loris")"
check "A49: with 40 trickling connections holding every slot, a client from 127.0.0.9 gets 200" \
	test "$(sed -n 1p "$H/loris")" = "HTTP/1.1 200 OK"
check "A49: ... and a client from a loris's own address gets 200" \
	test "$(sed -n 2p "$H/loris")" = "HTTP/1.1 200 OK"
check "A49: ... and again later" test "$(sed -n 3p "$H/loris")" = "HTTP/1.1 200 OK"
# every one of the 41 trickling connections is ended at least once in 14 s
check "A49: every trickling client sees its connection ended (deadlines, or closed to make room)" \
	test "$(sed -n 4p "$H/loris")" -ge 41
# ---- A50: keep-alive flood ------------------------------------------------------
# 4 addresses x 10 connections each complete a GET /health and send another
# one every second (never idle past timeoutSeconds, never a partial head):
# a client from another address still gets 200 (an idle keep-alive
# connection is closed to make room), and a stream opened before is kept
curl -sN --max-time 30 -H "Authorization: Bearer $U" "$url/api/events/stream" > "$H/ka_sse" 2>/dev/null &
sse_pid=$!
sleep 1
h_py "$url" > "$H/ka" <<'PY'
import socket, sys, threading, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
stop = time.time() + 9
REQ = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
def flood(ip):
    while time.time() < stop:
        try:
            s = socket.create_connection((u.hostname, u.port), timeout=2, source_address=(ip, 0))
            while time.time() < stop:
                s.sendall(REQ)
                if not s.recv(65536):
                    break
                time.sleep(1)
        except OSError:
            time.sleep(0.1)
ts = [threading.Thread(target=flood, args=("127.0.0.%d" % a,)) for a in range(2, 6) for i in range(10)]
for t in ts: t.start()
def split_health(url, ip):
    # a head in two parts 0.3 s apart (a slow network): while it is
    # incomplete, flood clients whose idle connections were closed to make
    # room for it reconnect at the limit, and it must not be the one closed
    u = urllib.parse.urlparse(url)
    try:
        s = socket.create_connection((u.hostname, u.port), timeout=5, source_address=(ip, 0))
        s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        time.sleep(0.3)
        s.sendall(b"Connection: close\r\n\r\n")
        return read_all(s).split(b"\r\n")[0].decode("latin-1")
    except OSError as e:
        return str(e)
time.sleep(3)
print(health_from(sys.argv[1], "127.0.0.9"))
time.sleep(1)
print(health_from(sys.argv[1], "127.0.0.9"))
print(split_health(sys.argv[1], "127.0.0.10"))
for t in ts: t.join()
PY
echo "# keep-alive flood: $(tr '\n' '|' < "$H/ka")"
check "A50: with 40 busy keep-alive connections holding every slot, a client from 127.0.0.9 gets 200" \
	test "$(sed -n 1p "$H/ka")" = "HTTP/1.1 200 OK"
check "A50: ... and again" test "$(sed -n 2p "$H/ka")" = "HTTP/1.1 200 OK"
check "A50: ... and a client whose head comes in two parts 0.3 s apart gets 200 (a fresh head is not closed to make room)" \
	test "$(sed -n 3p "$H/ka")" = "HTTP/1.1 200 OK"
check "A50: ... and the event stream opened before the flood is still open" kill -0 "$sse_pid"
kill "$sse_pid" 2>/dev/null; wait "$sse_pid" 2>/dev/null
# ---- fresh-connection churn ------------------------------------------------------
# 4 addresses x 10 connections that send nothing and reconnect every 0.4 s
# (never a second old, so never "stuck" long): a head merely on its way
# still goes when nothing else can, so a client from another address gets in
h_py "$url" > "$H/churn" <<'PY'
import socket, sys, threading, time, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
stop = time.time() + 5
def churn(ip):
    while time.time() < stop:
        try:
            s = socket.create_connection((u.hostname, u.port), timeout=2, source_address=(ip, 0))
            time.sleep(0.4)
            s.close()
        except OSError:
            time.sleep(0.05)
ts = [threading.Thread(target=churn, args=("127.0.0.%d" % a,)) for a in range(2, 6) for i in range(10)]
for t in ts: t.start()
time.sleep(2)
print(health_from(sys.argv[1], "127.0.0.9"))
for t in ts: t.join()
PY
echo "# churn: $(cat "$H/churn")"
check "with 40 fresh silent connections churning, a client from 127.0.0.9 gets 200" \
	test "$(sed -n 1p "$H/churn")" = "HTTP/1.1 200 OK"
# ---- HEAD: headers and the Content-Length a GET would have, no body ----------
# one kept-alive connection: each HEAD then a GET must parse as two replies
# (a body after a HEAD would be read as the start of the next reply)
h_py "$url" "$U" > "$H/head" <<'PY'
u = urllib.parse.urlparse(sys.argv[1])
auth = ("Authorization: Bearer %s\r\n" % sys.argv[2]).encode()
def pairs(path):
    s = socket.create_connection((u.hostname, u.port), timeout=10)
    s.sendall(b"HEAD " + path + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n" +
              b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n" + auth + b"Connection: close\r\n\r\n")
    data = read_until_close(s)
    out = []
    for head in (True, False):
        hdr, sep, data = data.partition(b"\r\n\r\n")
        lines = hdr.split(b"\r\n")
        st = lines[0].decode("latin-1")
        h = {}
        for l in lines[1:]:
            k, _, v = l.partition(b":")
            h[k.strip().lower()] = v.strip()
        n = int(h.get(b"content-length", b"-1"))
        body = b"" if head else data[:n]
        if not head:
            data = data[n:]
        out.append((st, n, body))
    ok = (out[0][0] == out[1][0] and out[0][0].startswith("HTTP/1.1 ") and out[0][1] == out[1][1] >= 0
          and len(out[1][2]) == out[1][1] and data == b"")
    print("%s %s %s" % (path.decode(), "ok" if ok else "BAD", out))
for p in (b"/api/providers", b"/health", b"/nope-404", b"/api/workflows/99999999"):
    pairs(p)
PY
cat "$H/head" | sed 's/^/# /'
check "HEAD then GET on one connection (providers, health, 404s): same status and Content-Length, no body after the HEAD" \
	test "$(grep -c ' ok ' "$H/head")" = 4
h_py "$url" "$U" > "$H/headsse" <<'PY'
u = urllib.parse.urlparse(sys.argv[1])
auth = ("Authorization: Bearer %s\r\n" % sys.argv[2]).encode()
s = socket.create_connection((u.hostname, u.port), timeout=10)
s.sendall(b"HEAD /api/events/stream HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n" +
          b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
d = read_until_close(s)
h1, _, rest = d.partition(b"\r\n\r\n")
print(h1.split(b"\r\n")[0].decode(), "|", rest.split(b"\r\n")[0].decode())
PY
echo "# $(cat "$H/headsse")"
check "HEAD of the event stream: headers only, the next request on the connection answered" \
	test "$(cat "$H/headsse")" = "HTTP/1.1 200 OK | HTTP/1.1 200 OK"
# ---- RFC 9112 2.2: empty lines before a request line are ignored -----------
h_py "$url" > "$H/blank" <<'PY'
u = urllib.parse.urlparse(sys.argv[1])
s = socket.create_connection((u.hostname, u.port), timeout=10)
s.sendall(b"\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n")
time.sleep(0.3)
s.sendall(b"\r\n\r\n")
time.sleep(0.3)
s.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
d = read_until_close(s)
print(d.count(b"HTTP/1.1 200 OK"), d.count(b'"status":"ok"'), b"<HTML" in d.upper())
PY
echo "# blank lines: $(cat "$H/blank")"
check "empty lines before a request line (with it, and alone between requests) are ignored: two 200s" \
	test "$(cat "$H/blank")" = "2 2 False"
h_stop
h_done
