#!/usr/bin/env python3
# gitea_server.py - STAND-IN for the Gitea / Forgejo REST API v1 (the part
# gitea-repo.so speaks), for the tests: no Gitea or Forgejo runs on these
# machines.  It answers the real paths, verbs, status codes and JSON bodies
# (errors are {"message": ..., "url": ...} as Gitea writes them):
#
#   GET    /api/v1/version                  200 {"version": ...}   (no auth)
#   GET    /api/v1/user                     200 the token's user
#   GET    /api/v1/orgs/{org}               200 | 404
#   POST   /api/v1/orgs/{org}/repos         201 | 404 (no org) | 409 | 422
#   POST   /api/v1/user/repos               201 | 409 | 422
#   GET    /api/v1/repos/{owner}/{repo}     200 | 404
#   DELETE /api/v1/repos/{owner}/{repo}     204 | 404
#
# Auth as Gitea takes it: "Authorization: token T" (or "Bearer T"), or Basic
# user:password; anything else is 401.  Every request is logged to --log
# (or stderr) as "METHOD PATH STATUS" -- never a credential.  Options for
# the tests: --fault hang|garbage|close (every /api/v1 call but /version
# misbehaves), --tls-cert/--tls-key (HTTPS), --org (an organization that
# exists; repeatable), --repo owner/name (one that exists already).
import argparse
import base64
import http.server
import json
import os
import re
import socketserver
import ssl
import sys
import threading
import time

NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


class State:
    def __init__(self, user, orgs):
        self.lock = threading.Lock()
        self.user = user
        self.orgs = set(orgs)
        self.repos = {}
        self.next_id = 1

    def repo_json(self, base, owner, r):
        full = "%s/%s" % (owner, r["name"])
        host = re.sub(r"^https?://", "", base)
        return {
            "id": r["id"],
            "owner": {"id": 1, "login": owner, "username": owner},
            "name": r["name"],
            "full_name": full,
            "description": r["description"],
            "empty": not r["auto_init"],
            "private": r["private"],
            "fork": False,
            "template": False,
            "mirror": False,
            "html_url": "%s/%s" % (base, full),
            "ssh_url": "git@%s:%s.git" % (host.split(":")[0], full),
            "clone_url": "%s/%s.git" % (base, full),
            "default_branch": r["default_branch"],
            "created_at": "2026-11-30T00:00:00Z",
            "updated_at": "2026-11-30T00:00:00Z",
        }


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def log_req(self, status):
        line = "%s %s %s\n" % (self.command, self.path.split("?")[0], status)
        with self.server.log_lock:
            self.server.log.write(line)
            self.server.log.flush()

    def reply(self, status, obj=None):
        data = b"" if obj is None else json.dumps(obj).encode()
        self.log_req(status)
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, message):
        self.reply(status, {"message": message,
                            "url": self.server.base + "/api/swagger"})

    def authed(self):
        a = self.headers.get("Authorization", "")
        st = self.server
        if st.token is not None and (a == "token " + st.token or
                                     a == "Bearer " + st.token):
            return True
        if a.startswith("Basic ") and st.password is not None:
            try:
                u, _, p = base64.b64decode(a[6:]).decode().partition(":")
            except Exception:
                return False
            return u == st.state.user and p == st.password
        return False

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def fault(self):
        f = self.server.fault
        if f == "hang":
            time.sleep(3600)
        elif f == "garbage":
            self.log_req("garbage")
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n\x00{\xff]x")
        elif f == "close":
            self.log_req("close")
            self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 1000\r\n\r\n{\"id\": 1, \"na")
        self.close_connection = True

    def handle_any(self):
        path = self.path.split("?")[0]
        data = self.body()
        st = self.server.state
        if path == "/api/v1/version" and self.command == "GET":
            return self.reply(200, {"version": "1.22.0+standin"})
        if not path.startswith("/api/v1/"):
            return self.error(404, "not found")
        if self.server.fault:
            return self.fault()
        if not self.authed():
            return self.error(401, "token is required" if not
                              self.headers.get("Authorization") else
                              "user does not exist [uid: 0, name: ]")
        parts = path[len("/api/v1/"):].split("/")
        m = self.command
        with st.lock:
            if parts == ["user"] and m == "GET":
                return self.reply(200, {"id": 1, "login": st.user, "username": st.user,
                                        "full_name": "", "is_admin": True})
            if len(parts) == 2 and parts[0] == "orgs" and m == "GET":
                if parts[1] not in st.orgs:
                    return self.error(404, "GetOrgByName")
                return self.reply(200, {"id": 2, "name": parts[1], "username": parts[1],
                                        "visibility": "public"})
            if ((len(parts) == 3 and parts[0] == "orgs" and parts[2] == "repos") or
                    parts == ["user", "repos"]) and m == "POST":
                owner = parts[1] if parts[0] == "orgs" else st.user
                if parts[0] == "orgs" and owner not in st.orgs:
                    return self.error(404, "GetOrgByName")
                try:
                    opt = json.loads(data or b"{}")
                    assert isinstance(opt, dict)
                except Exception:
                    return self.error(422, "[]: invalid JSON body")
                name = opt.get("name")
                if not isinstance(name, str) or not NAME_RE.match(name) or \
                        name in (".", ".."):
                    return self.error(422, "[Name]: Required; AlphaDashDot")
                key = (owner.lower(), name.lower())
                if key in st.repos:
                    return self.error(409, "The repository with the same name already exists.")
                r = {"id": st.next_id, "owner": owner, "name": name,
                     "description": str(opt.get("description") or ""),
                     "private": bool(opt.get("private")),
                     "auto_init": bool(opt.get("auto_init")),
                     "default_branch": str(opt.get("default_branch") or "main")}
                st.next_id += 1
                st.repos[key] = r
                return self.reply(201, st.repo_json(self.server.base, owner, r))
            if len(parts) == 3 and parts[0] == "repos" and m in ("GET", "DELETE"):
                key = (parts[1].lower(), parts[2].lower())
                r = st.repos.get(key)
                if r is None:
                    return self.error(404, "GetRepositoryByName")
                if m == "DELETE":
                    del st.repos[key]
                    return self.reply(204)
                return self.reply(200, st.repo_json(self.server.base, r["owner"], r))
        return self.error(404, "not found")

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = handle_any


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def watch(pid):
    while True:
        if os.getppid() == 1 or (pid and not os.path.exists("/proc/%d" % pid)):
            os._exit(0)
        time.sleep(0.5)


def main():
    ap = argparse.ArgumentParser(description="STAND-IN for the Gitea/Forgejo REST API "
                                 "v1 (version, user, orgs, repos) for innominatus's "
                                 "tests; not a Gitea.")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--pid-watch", type=int, default=0,
                    help="exit when this process is gone (and always when the parent is)")
    ap.add_argument("--token", help="the API token accepted")
    ap.add_argument("--user", default="giteaadmin", help="the token's user")
    ap.add_argument("--password", help="Basic auth password of --user")
    ap.add_argument("--org", action="append", default=[])
    ap.add_argument("--repo", action="append", default=[], help="owner/name that exists")
    ap.add_argument("--fault", choices=["hang", "garbage", "close"])
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--log", help="request log file (default stderr)")
    a = ap.parse_args()

    srv = Server(("127.0.0.1", a.port), Handler)
    scheme = "http"
    if a.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        scheme = "https"
    port = srv.server_address[1]
    srv.base = "%s://127.0.0.1:%d" % (scheme, port)
    srv.state = State(a.user, a.org)
    for r in a.repo:
        owner, _, name = r.partition("/")
        srv.state.repos[(owner.lower(), name.lower())] = {
            "id": srv.state.next_id, "owner": owner, "name": name, "description": "",
            "private": False, "auto_init": True, "default_branch": "main"}
        srv.state.next_id += 1
    srv.token, srv.password, srv.fault = a.token, a.password, a.fault
    srv.log = open(a.log, "a") if a.log else sys.stderr
    srv.log_lock = threading.Lock()
    threading.Thread(target=watch, args=(a.pid_watch,), daemon=True).start()
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
