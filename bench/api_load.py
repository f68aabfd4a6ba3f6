#!/usr/bin/env python3
# api_load.py - the load part of bench/api.sh: drives a running innominatus
# over HTTP (stdlib only) and prints figures.
#
# usage: api_load.py PORT KEY SERVER_PID [PROVIDERS_RATIO]
#   PROVIDERS_RATIO: api.sh's GET /api/providers ratio to nginx, for the
#   summary of the figures against their targets at the end
import http.client
import json
import multiprocessing
import sys
import threading
import time

PORT = int(sys.argv[1])
KEY = sys.argv[2]
PID = int(sys.argv[3])
RATIO = float(sys.argv[4]) if len(sys.argv) > 4 else None
HDR = {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"}


def conn():
    return http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)


def req(c, method, path, body=None):
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=HDR)
    r = c.getresponse()
    data = r.read()
    return r.status, json.loads(data) if data else None


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wait_all(ids, c):
    pending = set(ids)
    while pending:
        done = set()
        for i in list(pending):
            st, o = req(c, "GET", "/api/workflows/%d" % i)
            if o["status"] not in ("pending", "running"):
                if o["status"] != "succeeded":
                    raise SystemExit("execution %d ended %s: %s" % (i, o["status"], o.get("message")))
                done.add(i)
        pending -= done
        if pending:
            time.sleep(0.005)


def submit_many(n, workflow, threads=8):
    ids = []
    lock = threading.Lock()
    per = n // threads

    def worker(k):
        c = conn()
        mine = []
        for _ in range(per + (1 if k < n % threads else 0)):
            st, o = req(c, "POST", "/api/workflows/run", {"workflow": workflow})
            if st != 202:
                raise SystemExit("submit failed: %d %s" % (st, o))
            mine.append(o["id"])
        with lock:
            ids.extend(mine)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return ids


def main():
    c = conn()
    # idle: a second and a half without a request (api.sh's wrk runs have
    # just closed their 64 connections)
    time.sleep(1.5)
    idle = rss_kb(PID)
    print("server RSS idle: %.1f MB (target <= 10 MB)" % (idle / 1024))

    # 500 runs of a 3-step workflow, with a latency probe running alongside
    # in its own process (in this one it would measure the GIL, not the server)
    st, o = req(c, "POST", "/api/workflows/run", {"workflow": "bench/one"})
    probe_target = o["id"]
    stop = multiprocessing.Event()
    q = multiprocessing.Queue()

    def probe():
        pc = conn()
        lat = []
        while not stop.is_set():
            t0 = time.perf_counter()
            req(pc, "GET", "/api/workflows/%d" % probe_target)
            lat.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.001)
        q.put(lat)

    pp = multiprocessing.Process(target=probe)
    pp.start()
    time.sleep(0.05)
    t0 = time.perf_counter()
    ids = submit_many(500, "bench/three")
    wait_all(ids, c)
    wall = time.perf_counter() - t0
    stop.set()
    lat = q.get()
    pp.join()
    lat.sort()
    p99 = lat[int(len(lat) * 0.99) - 1] if lat else float("nan")
    print("500 runs x 3 steps (noop plugin) over the API: %.2f s (target <= 5 s), %.0f steps/s"
          % (wall, 1500 / wall))
    print("GET /api/workflows/{id} during that load: p50 %.2f ms, p99 %.2f ms, max %.2f ms "
          "over %d requests (target p99 < 10 ms)" % (lat[len(lat) // 2], p99, lat[-1], len(lat)))
    print("server RSS after 500 runs: %.1f MB" % (rss_kb(PID) / 1024))

    # one run of 200 steps, POST to completed
    t0 = time.perf_counter()
    st, o = req(c, "POST", "/api/workflows/run", {"workflow": "bench/two-hundred"})
    wait_all([o["id"]], c)
    print("one run of 200 steps, POST to completed: %.0f ms (target <= 60 ms; Backstage "
          "scaffolder: 1.8 s)" % ((time.perf_counter() - t0) * 1000))

    # 100 one-step runs
    t0 = time.perf_counter()
    ids = submit_many(100, "bench/one", threads=4)
    wait_all(ids, c)
    print("100 one-step runs: %.2f s (target <= 0.3 s; Backstage scaffolder: 3.0 s)"
          % (time.perf_counter() - t0))

    def verdict(ok):
        return "met" if ok else "MISSED"

    print("targets (SQLite, issue 13):")
    if RATIO is not None:
        print("  GET /api/providers vs nginx: %.2fx (>= 0.90x) %s" % (RATIO, verdict(RATIO >= 0.9)))
    print("  p99 GET /api/workflows/{id} under 500 runs: %.2f ms (< 10 ms) %s"
          % (p99, verdict(p99 < 10)))
    print("  idle RSS: %.1f MB (<= 10 MB) %s" % (idle / 1024, verdict(idle <= 10 * 1024)))


main()
