#!/bin/sh
# hostile.sh - the HTTP front under hostile load, against the same server
# idle in the same run:
#   - server RSS idle, with 1000 idle connections, and with 30
#     unauthenticated connections sending 15 MB bodies (how many of them
#     got 401, how many connections the caps refused);
#   - GET /health p50/p99 (wrk) with no load, then while 1 MB YAML Score
#     specs (68 000 keys, dry_run) are validated back to back; prints the
#     p99 ratio (target: p99 under load < 50 ms).
# Needs: wrk, python3, curl.
#
# usage: bench/hostile.sh [BUILD_DIR]   (default: ./_build)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
. "$top/bench/lib.sh"
bench_init hostile
fix="$top/tests/data/hostile/http"
bench_start "$fix" "  goldenpaths: $fix/goldenpaths.yaml
  maxConnectionsPerClient: 1200
  maxConnections: 1200"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$spid/status"; }
echo "server RSS idle: $(rss) kB"

python3 - "$url" "$work/held" <<'PY' &
import socket, sys, time, urllib.parse, os
u = urllib.parse.urlparse(sys.argv[1])
socks = []
import resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 4096)), hard))
for i in range(1000):
    try:
        socks.append(socket.create_connection((u.hostname, u.port), timeout=5))
    except OSError:
        break
open(sys.argv[2] + ".tmp", "w").write("%d\n" % len(socks))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
time.sleep(4)
PY
lpid=$!
i=0
while [ $i -lt 100 ] && [ ! -s "$work/held" ]; do i=$((i + 1)); sleep 0.05; done
sleep 0.5
echo "server RSS with $(cat "$work/held" 2>/dev/null || echo '?') idle connections open: $(rss) kB"
wait "$lpid" || true
lpid=""
sleep 1.2

python3 - "$url" <<'PY'
import socket, sys, threading, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
res = []
def one():
    size = 15 * 1000 * 1000
    s = socket.create_connection((u.hostname, u.port), timeout=30)
    s.sendall(b"POST /api/workflows/run HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
    sent = 0
    try:
        while sent < size:
            sent += s.send(b"a" * 65536)
    except OSError:
        pass
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b: break
            out += b
    except OSError:
        pass
    res.append((out.split(b"\r\n")[0].decode("latin-1"), sent))
ts = [threading.Thread(target=one) for i in range(30)]
for t in ts: t.start()
for t in ts: t.join()
print("30 unauthenticated 15 MB bodies: %d got 401, %.1f MB sent before the server closed"
      % (len([r for r in res if " 401 " in r[0]]), sum(r[1] for r in res) / 1e6))
PY
echo "server RSS after them: $(rss) kB"

health() { # prints p50 and p99 of GET /health in ms (wrk, 5 s, 4 connections)
	wrk -t1 -c4 -d5s --latency "$url/health" | awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
	    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; return v * 1000 }
	    END { printf "%.3f %.3f\n", ms(p50), ms(p99) }'
}
set -- $(health)
idle50=$1 idle99=$2
echo "GET /health with no load: p50 ${idle50} ms, p99 ${idle99} ms"
python3 - "$url" "$key" "$work/stop" <<'PY' > "$work/slow.out" &
import json, os, sys, time, urllib.request
url, key, stop = sys.argv[1], sys.argv[2], sys.argv[3]
spec = ("apiVersion: score.dev/v1b1\nmetadata: {name: dup}\ncontainers: {web: {image: x}}\n"
        "extensions:\n" + "".join("  k%06d: 1\n" % i for i in range(68000)))
body = json.dumps({"dry_run": True, "spec": spec}).encode()
n, t0 = 0, time.time()
while not os.path.exists(stop):
    req = urllib.request.Request(url + "/api/golden-paths/deploy-app/run", data=body,
                                 headers={"Authorization": "Bearer " + key,
                                          "Content-Type": "application/json"})
    try:
        urllib.request.urlopen(req, timeout=120).read()
    except Exception:
        pass
    n += 1
print("%d validations of a %d-byte spec, %.2f s each" % (n, len(body), (time.time() - t0) / max(n, 1)))
PY
lpid=$!
sleep 1
set -- $(health)
load50=$1 load99=$2
touch "$work/stop"
wait "$lpid" || true
lpid=""
echo "GET /health while 1 MB YAML specs are validated: p50 ${load50} ms, p99 ${load99} ms ($(cat "$work/slow.out"))"
awk -v a="$load99" -v b="$idle99" 'BEGIN { printf "p99 ratio (under load / no load): %.1fx; target p99 < 50 ms: %s\n", (b > 0 ? a / b : 0), (a < 50 ? "met" : "NOT met") }'
