#!/bin/sh
# streams.sh - hostile replays against the server's streams and JSON
# (independent attack: A66, A69/A77, A63, A10, A82): followers of a big log
# (memory bounded per stream, every line delivered, /health answering), a
# slow follower, SIGTERM with streams open, /api/events/stream?after=0, and
# raw bytes that are not UTF-8 (and NUL) in step logs and outputs.
. "$INN_TOP_SRCDIR/tests/hostile/lib.sh"
fix="$INN_TOP_SRCDIR/tests/data/hostile/streams"
h_init streams
h_small_quarantine   # the memory checks measure the server, not ASan's quarantine
H_SERVER_YAML="  shutdownGraceSeconds: 1"
h_start "$fix/providers" || { echo "Bail out! server"; exit 1; }
U=$(h_key streams-user user st)

kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$spid/status"; }
# follow ID FILE [curl args]: the whole SSE stream of a log into FILE, curl's
# exit status into FILE.rc
follow() {
	f_id=$1 f_out=$2
	shift 2
	timeout 300 curl -sN "$@" -H "Authorization: Bearer $U" \
		"$url/api/workflows/$f_id/logs?follow=1" > "$f_out"
	echo $? > "$f_out.rc"
}
# stream_ok FILE LINES: LINES "log" events, numbered 1..LINES in order, then "end"
stream_ok() {
	python3 - "$1" "$2" <<'PY'
import json, sys
raw = open(sys.argv[1], "rb").read().decode("utf-8")  # strict
n, end = 0, False
for block in raw.split("\n\n"):
    ev = dict(l.split(": ", 1) for l in block.split("\n") if ": " in l)
    if ev.get("event") == "log":
        n += 1
        line = json.loads(ev["data"])["line"]
        if not line.startswith("line %07d " % n):
            sys.exit("line %d is %r" % (n, line[:20]))
    elif ev.get("event") == "end":
        end = True
if n != int(sys.argv[2]) or not end:
    sys.exit("%d log events, end %s" % (n, end))
PY
}

# ---- A66, A69: 10 followers of a finished run's 4 MB log --------------------
big=$(api POST /api/workflows/run "$U" -d '{"workflow":"st/biglog"}' | jf id)
h_wait_final "$big" "$U" 120
check "A66: the 40000-line run succeeded" test "$(h_status "$big" "$U")" = succeeded
# ---- A66: slow followers do not make the server buffer the backlog --------
base=$(kb VmRSS)
sps=""
for i in 1 2 3; do
	timeout 300 curl -sN --limit-rate 100k -H "Authorization: Bearer $U" \
		"$url/api/workflows/$big/logs?follow=1" > "$H/slow$i" &
	sps="$sps $!"
done
peak=$base
i=0
while [ $i -lt 30 ]; do
	r=$(kb VmRSS); [ "$r" -gt "$peak" ] && peak=$r
	i=$((i + 1)); sleep 0.1
done
kill $sps 2>/dev/null   # timeout passes the TERM on to its curl
wait $sps 2>/dev/null
echo "# VmRSS grew by $((peak - base)) kB during 3 followers reading at 100 kB/s"
check "A66: 3 followers reading at 100 kB/s do not grow the server by 50 MB" \
	test $((peak - base)) -lt 51200
check "A66: the server still answers after the slow followers left" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$url/health")" = 200

base=$(kb VmHWM)
pids=""
for i in 1 2 3 4 5 6 7 8 9 10; do
	follow "$big" "$H/f$i" &
	pids="$pids $!"
done
# /health answers while they stream
hok=0 hbad=0
while :; do
	running=0
	for p in $pids; do kill -0 "$p" 2>/dev/null && running=1; done
	[ $running = 1 ] || break
	if [ "$(curl -s -m 30 -o /dev/null -w '%{http_code}' "$url/health")" = 200 ]; then
		hok=$((hok + 1))
	else
		hbad=$((hbad + 1))
	fi
done
wait $pids
grow=$(( $(kb VmHWM) - base ))
echo "# VmHWM grew by $grow kB with 10 followers of a 4 MB log"
all=1
for i in 1 2 3 4 5 6 7 8 9 10; do
	{ [ "$(cat "$H/f$i.rc")" = 0 ] && stream_ok "$H/f$i" 40000; } || { all=0; echo "# follower $i: $(stream_ok "$H/f$i" 40000 2>&1)"; }
done
check "A66: each of 10 followers gets all 40000 lines in order, then end" test $all = 1
check "A66: the server's peak memory grew by less than 100 MB ($grow kB)" test "$grow" -lt 102400
check "A69: /health answered every time while they streamed ($hok ok, $hbad not)" \
	test "$hbad" = 0 -a "$hok" -gt 0

# ---- A10: /api/events/stream?after=0 is the backlog from the start ----------
timeout 3 curl -sN -H "Authorization: Bearer $U" "$url/api/events/stream?after=0" > "$H/ev0"
check "A10: events/stream?after=0 replays the backlog (execution.started of run $big)" \
	grep -q "\"execution\":$big\b" "$H/ev0"

# ---- A82: bytes that are not UTF-8, and NUL, in logs and outputs ------------
raw=$(api POST /api/workflows/run "$U" -d '{"workflow":"st/bytes"}' | jf id)
h_wait_final "$raw" "$U" 30
strict_json() { # FILE: strict UTF-8, and JSON
	python3 -c 'import json,sys; json.loads(open(sys.argv[1],"rb").read().decode("utf-8"))' "$1"
}
api GET "/api/workflows/$raw" "$U" > /dev/null; cp "$H/body" "$H/exec.json"
check "A82: GET /api/workflows/ID of a run that printed raw bytes is valid UTF-8 JSON" \
	strict_json "$H/exec.json"
check "A82: ... its output keeps the bytes around the invalid one (v\\ufffdx)" \
	test "$(jf steps.0.outputs.o < "$H/exec.json")" = "$(printf 'v\357\277\275x')"
api GET "/api/workflows/$raw/logs" "$U" > /dev/null; cp "$H/body" "$H/logs.json"
check "A82: GET .../logs is valid UTF-8 JSON" strict_json "$H/logs.json"
check "A82: a NUL no longer cuts the line: 'before\\ufffdafter NUL'" \
	grep -q "before$(printf '\357\277\275')after NUL" "$H/logs.json"
follow "$raw" "$H/rawsse"
check "A82: the SSE stream of those lines is strict UTF-8 with JSON data" python3 -c '
import json, sys
for l in open(sys.argv[1], "rb").read().decode("utf-8").split("\n"):
    if l.startswith("data: "): json.loads(l[6:])' "$H/rawsse"

# ---- A63: SIGTERM with streams open ends them cleanly -----------------------
w=$(api POST /api/workflows/run "$U" -d '{"workflow":"st/wait","parameters":{"secs":60}}' | jf id)
(timeout 60 curl -sN -H "Authorization: Bearer $U" "$url/api/events/stream" > "$H/t1"; echo $? > "$H/t1.rc") &
p1=$!
(timeout 60 curl -sN -H "Authorization: Bearer $U" "$url/api/workflows/$w/logs?follow=1" > "$H/t2"; echo $? > "$H/t2.rc") &
p2=$!
i=0
while [ $i -lt 100 ] && ! grep -q waiting "$H/t2" 2>/dev/null; do i=$((i + 1)); sleep 0.1; done
h_stop TERM
wait $p1 $p2
check "A63: SIGTERM ends an open events stream cleanly (curl exit $(cat "$H/t1.rc"))" \
	test "$(cat "$H/t1.rc")" = 0
check "A63: ... with a final end event" grep -q '^event: end' "$H/t1"
check "A63: SIGTERM ends an open log follower cleanly (curl exit $(cat "$H/t2.rc"))" \
	test "$(cat "$H/t2.rc")" = 0
check "A63: ... with a final end event" grep -q '^event: end' "$H/t2"

# ---- attack15 #2: one key holding streams cannot lock everyone out ----------
# 3 streams per key, 8 connections per address: streams may hold 6 of them
H_SERVER_YAML="  maxStreamsPerKey: 3
  maxConnectionsPerClient: 8"
h_start "$fix/providers" || { echo "Bail out! server"; exit 1; }
KB=$(h_key streams-b user st)
KC=$(h_key streams-c user st)
w=$(api POST /api/workflows/run "$U" -d '{"workflow":"st/wait","parameters":{"secs":60}}' | jf id)
h_py "$url" "$U" "$KB" "$KC" "$w" > "$H/cap" <<'PY'
import json
u = urllib.parse.urlparse(sys.argv[1]); ka, kb, kc, w = sys.argv[2:6]
def ask(key, path, close=False):
    # the socket (kept open for a stream), the status, headers, body (not a stream's)
    s = socket.create_connection((u.hostname, u.port), timeout=10)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n%s\r\n" %
               (path, key, "Connection: close\r\n" if close else "")).encode())
    raw = b""
    while b"\r\n\r\n" not in raw:
        b = s.recv(4096)
        if not b:
            break
        raw += b
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    hdr = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    status = lines[0].split(" ")[1] if lines[0] else "none"
    if "content-length" in hdr:
        while len(body) < int(hdr["content-length"]):
            b = s.recv(4096)
            if not b:
                break
            body += b
    return s, status, hdr, body.decode("utf-8", "replace")
def err(body):
    try:
        return json.loads(body)["error"]
    except Exception:
        return {"code": "", "message": body}
held = []
def stream(name, key, path="/api/events/stream"):
    s, st, hdr, body = ask(key, path)
    print("%s %s" % (name, st))
    if st == "200":
        held.append(s)
    else:
        e = err(body)
        print("%s.code %s" % (name, e.get("code")))
        print("%s.message %s" % (name, e.get("message")))
        print("%s.retry %s" % (name, hdr.get("retry-after", "none")))
        s.close()
    return s
def normal(name):
    print("%s.health %s" % (name, health_from(sys.argv[1], "127.0.0.1")))
    print("%s.me %s" % (name, ask(ka, "/api/me", True)[1]))
stream("a1", ka)
stream("a2", ka)
stream("a3", ka, "/api/workflows/%s/logs?follow=1" % w)
stream("a4", ka)                       # over maxStreamsPerKey
stream("b1", kb)                       # another key still streams
normal("keycap")
stream("c1", kc)
stream("c2", kc)                       # 6 streams from this address now
stream("c3", kc)                       # over the address's share
normal("sharecap")
held.pop(0).close()                    # a1 ends: the key may stream again
for i in range(100):
    s, st, hdr, body = ask(ka, "/api/events/stream")
    if st == "200":
        break
    s.close()
    time.sleep(0.1)
print("again %s" % st)
PY
sed 's/^/# /' "$H/cap"
cap() { sed -n "s/^$1 //p" "$H/cap"; }
check "attack15 #2: a key opens 3 streams (events and a log follower): 200" \
	test "$(cap a1)$(cap a2)$(cap a3)" = 200200200
check "attack15 #2: its 4th stream gets 429 too_many_streams" \
	test "$(cap a4)/$(cap a4.code)" = 429/too_many_streams
check "attack15 #2: ... naming server.maxStreamsPerKey, with Retry-After" \
	test -n "$(cap a4.message | grep 'server.maxStreamsPerKey')" -a "$(cap a4.retry)" != none
check "attack15 #2: another key still streams" test "$(cap b1)" = 200
check "attack15 #2: /health and /api/me still answer 200" \
	test "$(cap keycap.health)/$(cap keycap.me)" = "HTTP/1.1 200 OK/200"
check "attack15 #2: streams hold at most 6 of the address's 8 connections (the 7th: 429)" \
	test "$(cap c1)$(cap c2)/$(cap c3)/$(cap c3.code)" = 200200/429/too_many_streams
check "attack15 #2: ... the refusal names server.maxConnectionsPerClient" \
	grep -q '^c3.message .*server.maxConnectionsPerClient' "$H/cap"
check "attack15 #2: with the address's share of streams held, /health and /api/me answer 200" \
	test "$(cap sharecap.health)/$(cap sharecap.me)" = "HTTP/1.1 200 OK/200"
check "attack15 #2: once one of its streams ends, the key may open another" \
	test "$(cap again)" = 200
api POST "/api/workflows/$w/cancel" "$U" >/dev/null
h_stop
h_done
