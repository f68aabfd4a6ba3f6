#!/usr/bin/env python3
# sqlite_load.py - the load part of bench/sqlite.sh: drives one running
# innominatus over HTTP (stdlib only) and prints its figures as
# "name value" lines for sqlite.sh to compare.
#
# usage: sqlite_load.py PORT KEY ROUNDS SERVER_PID
import http.client
import json
import multiprocessing
import os
import sys
import threading
import time

PORT = int(sys.argv[1])
KEY = sys.argv[2]
ROUNDS = int(sys.argv[3])
PID = int(sys.argv[4])
TICK = os.sysconf("SC_CLK_TCK")
HDR = {"Authorization": "Bearer " + KEY, "Content-Type": "application/json"}


def conn():
    return http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)


def req(c, method, path, body=None):
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=HDR)
    r = c.getresponse()
    data = r.read()
    return r.status, json.loads(data) if data else None


LAST = {}


def cpu_ms():
    """CPU time (user + system) of the server and its plugin workers, in ms:
    a figure the other jobs on a shared machine disturb far less than wall
    time."""
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(d) == PID or int(st[1]) == PID:
            total += int(st[11]) + int(st[12])
    return total * 1000.0 / TICK


def wait_all(ids, c, pause):
    pending = set(ids)
    while pending:
        done = set()
        for i in list(pending):
            st, o = req(c, "GET", "/api/workflows/%d" % i)
            if o["status"] not in ("pending", "running"):
                if o["status"] != "succeeded":
                    raise SystemExit("execution %d ended %s: %s" % (i, o["status"], o.get("message")))
                done.add(i)
                LAST[i] = o
        pending -= done
        if pending:
            time.sleep(pause)


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


def one_200(c):
    t0 = time.perf_counter()
    st, o = req(c, "POST", "/api/workflows/run", {"workflow": "bench/two-hundred"})
    if st != 202:
        raise SystemExit("submit failed: %d %s" % (st, o))
    wait_all([o["id"]], c, 0.001)
    ms = (time.perf_counter() - t0) * 1000
    e = LAST[o["id"]]
    return ms, e["ended_ms"] - e["created_ms"]


def main():
    c = conn()
    one_200(c)  # warm: plugin workers started, statements prepared
    c0 = cpu_ms()
    both = [one_200(c) for _ in range(ROUNDS)]
    cpu = (cpu_ms() - c0) / ROUNDS
    runs = sorted(b[0] for b in both)
    srv = sorted(b[1] for b in both)
    print("run200_median_ms %.1f" % runs[len(runs) // 2])
    print("run200_min_ms %.1f" % runs[0])
    # the server's own clock: created to ended (without the client's polls)
    print("run200_server_ms %.1f" % srv[len(srv) // 2])
    # CPU of the server and its workers per run (includes the client's polls)
    print("run200_cpu_ms %.1f" % cpu)

    st, o = req(c, "POST", "/api/workflows/run", {"workflow": "bench/one"})
    target = o["id"]
    wait_all([target], c, 0.002)
    stop = multiprocessing.Event()
    q = multiprocessing.Queue()

    def probe():
        pc = conn()
        lat = []
        while not stop.is_set():
            t0 = time.perf_counter()
            req(pc, "GET", "/api/workflows/%d" % target)
            lat.append((time.perf_counter() - t0) * 1000)
            time.sleep(0.002)
        q.put(lat)

    pp = multiprocessing.Process(target=probe)
    pp.start()
    time.sleep(0.05)
    t0 = time.perf_counter()
    ids = submit_many(500, "bench/three")
    wait_all(ids, c, 0.005)
    wall = time.perf_counter() - t0
    stop.set()
    lat = q.get()
    pp.join()
    lat.sort()
    print("load500_s %.2f" % wall)
    print("load500_steps_per_s %.0f" % (1500 / wall))
    print("get_p50_ms %.2f" % lat[len(lat) // 2])
    print("get_p99_ms %.2f" % lat[max(0, int(len(lat) * 0.99) - 1)])


main()
