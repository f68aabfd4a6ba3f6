#!/bin/sh
# replicas.sh - the work of several server replicas on one PostgreSQL,
# against one replica on SQLite in the same run: 500 runs of a 3-step
# workflow (noop steps) submitted round-robin over the API to 1, 2 and 3
# replicas on one database; prints wall time, steps/s and the scaling
# ratio against one replica, then the same on SQLite.  On 2 cores the
# replicas, PostgreSQL and the load client share the CPU, so the scaling
# ratio shows what sharing costs more than what a bigger machine gains.
# Needs: PostgreSQL 15 (tests/pg/pg.sh), python3, curl.
#
# usage: bench/replicas.sh [BUILD_DIR] (default: ./_build); RUNS=500
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/_build}
srv="$build/innominatus"
runs=${RUNS:-500}
[ -x "$srv" ] || { echo "replicas.sh: build first ($srv missing)" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/inn-replbench-XXXXXX")
chmod 755 "$work"
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	sh "$top/tests/pg/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
	sleep 0.2
	rm -rf "$work"
}
trap cleanup EXIT
sh "$top/tests/pg/pg.sh" start "$work/pg" $$ || { echo "replicas.sh: no PostgreSQL" >&2; exit 1; }
mkdir -p "$work/plugins" "$work/prov/bench/workflows"
chmod 755 "$work/plugins"
install -m 755 "$build/tests/plugins/.libs/noop.so" "$work/plugins/noop.so"
printf 'name: bench\nversion: 1.0.0\nworkflows_dir: workflows\n' > "$work/prov/bench/provider.yaml"
printf 'name: three\nsteps:\n  - {name: a, type: noop}\n  - {name: b, type: noop}\n  - {name: c, type: noop}\n' \
	> "$work/prov/bench/workflows/three.yaml"
# the same with steps that wait 100 ms each (what a step spends waiting on a tool or an API)
printf 'name: slow\nsteps:\n  - {name: a, type: noop, config: {ms: 100}}\n  - {name: b, type: noop, config: {ms: 100}}\n  - {name: c, type: noop, config: {ms: 100}}\n' \
	> "$work/prov/bench/workflows/slow.yaml"
# every replica seals secret inputs with the same key (made on first start)
printf 'server:\n  secretKeyFile: %s\n' "$work/secret.key" > "$work/conf.yaml"

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start DB N: N replicas on store DB; sets $ports, $key, $pids
start() {
	db=$1
	n=$2
	key=$("$srv" --db "$db" --config "$work/conf.yaml" --create-admin-key "bench$$-$n-$(date +%s%N)")
	ports=""
	i=1
	while [ "$i" -le "$n" ]; do
		port=$(free_port)
		mkdir -p "$work/state$i"
		"$srv" --db "$db" --listen "127.0.0.1:$port" --plugin-dir "$work/plugins" \
			--providers "$work/prov" --config "$work/conf.yaml" --state-dir "$work/state$i" \
			2>"$work/server$n-$i.log" &
		pids="$pids $!"
		until curl -sf -o /dev/null "http://127.0.0.1:$port/ready"; do sleep 0.05; done
		ports="$ports $port"
		i=$((i + 1))
	done
}

stop_all() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do while kill -0 "$p" 2>/dev/null; do sleep 0.05; done; done
	pids=""
}

load() { # WORKFLOW: prints the wall time in seconds of $runs runs over $ports
	python3 - "$key" "$runs" "$1" $ports <<'PY'
import http.client, json, sys, threading, time
key, runs, wf, ports = sys.argv[1], int(sys.argv[2]), sys.argv[3], [int(p) for p in sys.argv[4:]]
hdr = {"Authorization": "Bearer " + key, "Content-Type": "application/json"}
def req(c, m, p, b=None):
    c.request(m, p, body=json.dumps(b) if b is not None else None, headers=hdr)
    r = c.getresponse(); d = r.read()
    return r.status, (json.loads(d) if d else None)
ids, lock, errors = [], threading.Lock(), []
t0 = time.monotonic()
def submit(k):
    cs = [http.client.HTTPConnection("127.0.0.1", p, timeout=60) for p in ports]
    for i in range(k, runs, 8):
        c = cs[i % len(cs)]
        while True:
            st, o = req(c, "POST", "/api/workflows/run", {"workflow": "bench/" + wf})
            if st == 429:
                time.sleep(0.01); continue
            if st not in (200, 201, 202):
                errors.append("submit: %d %s" % (st, o))
                return
            break
        with lock:
            ids.append(o["id"])
ts = [threading.Thread(target=submit, args=(k,)) for k in range(8)]
[t.start() for t in ts]; [t.join() for t in ts]
if errors or len(ids) != runs:
    raise SystemExit("replicas.sh: %s" % (errors[:1] or "runs missing"))
c = http.client.HTTPConnection("127.0.0.1", ports[0], timeout=60)
pending = set(ids)
while pending:
    for i in list(pending):
        st, o = req(c, "GET", "/api/workflows/%d" % i)
        if o["status"] not in ("pending", "running"):
            if o["status"] != "succeeded":
                raise SystemExit("execution %d ended %s" % (i, o["status"]))
            pending.discard(i)
    if pending:
        time.sleep(0.02)
print("%.3f" % (time.monotonic() - t0))
PY
}

report() { # LABEL SECONDS BASE_SECONDS
	awk -v l="$1" -v s="$2" -v b="$3" -v r="$runs" 'BEGIN {
		printf "%-28s %7.2f s  %7.0f steps/s  %.2fx of one PostgreSQL replica\n", l, s, 3 * r / s, b / s }'
}

for wf in three slow; do
	case $wf in
	three) echo "$runs runs x 3 no-op steps (CPU only), submitted round-robin by 8 clients" ;;
	slow) echo "$runs runs x 3 steps waiting 100 ms each, submitted round-robin by 8 clients" ;;
	esac
	base=""
	for n in 1 2 3; do
		url=$(sh "$top/tests/pg/pg.sh" newdb "$work/pg" "bench$wf$n" 2>/dev/null)
		start "$url" "$n"
		secs=$(load $wf)
		stop_all
		[ -n "$base" ] || base=$secs
		report "PostgreSQL, $n replica(s):" "$secs" "$base"
	done
	rm -f "$work/inn.db" "$work/inn.db"-* "$work/inn.db.replica.lock"
	start "$work/inn.db" 1
	secs=$(load $wf)
	stop_all
	report "SQLite, 1 replica:" "$secs" "$base"
done
