#!/usr/bin/env python3
# git_http_server.py - a test stand-in for a git hosting server: the real
# `git http-backend` (smart HTTP, as Gitea or GitHub speak it) behind a
# small HTTP front that asks for Basic credentials when told to.  The front
# is the stand-in (lighttpd or nginx would do this in production); the git
# side is git's own.  Used by tests/ctl_git_providers.sh.
#
#   git_http_server.py ROOT PORTFILE [USER:TOKEN]
#
# serves ROOT/<repo>.git at http://127.0.0.1:<port>/git/<repo>.git, writes
# the port to PORTFILE, and with USER:TOKEN answers 401 to a request
# without exactly those credentials.  Each request is logged to stderr
# as "METHOD PATH STATUS auth=yes|no" (never the credentials).
import base64
import http.server
import os
import subprocess
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        pass

    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def reply(self, status, headers, data):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def serve(self):
        data = self.body()
        sent = self.headers.get("Authorization", "")
        want = self.server.want
        authed = bool(sent)
        if want is not None and sent != "Basic " + want:
            sys.stderr.write("%s %s 401 auth=%s\n" % (self.command, self.path.split("?")[0],
                                                     "yes" if authed else "no"))
            self.close_connection = True
            self.reply(401, [("WWW-Authenticate", 'Basic realm="git"'), ("Connection", "close")],
                       b"")
            return
        path, _, query = self.path.partition("?")
        if not path.startswith("/git/"):
            self.reply(404, [], b"not found\n")
            return
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": self.server.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path[4:],
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(data)),
            "REMOTE_ADDR": "127.0.0.1",
        }
        if self.headers.get("Content-Encoding"):
            env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
        if self.headers.get("Git-Protocol"):
            env["GIT_PROTOCOL"] = self.headers["Git-Protocol"]
        if want is not None:
            env["REMOTE_USER"] = want and "ci"
        out = subprocess.run(["git", "http-backend"], input=data, env=env,
                             stdout=subprocess.PIPE, check=False).stdout
        head, _, rest = out.partition(b"\r\n\r\n")
        if not rest and b"\n\n" in out:
            head, _, rest = out.partition(b"\n\n")
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            k, _, v = line.partition(":")
            if k.lower() == "status":
                status = int(v.strip().split()[0])
            elif k:
                headers.append((k, v.strip()))
        sys.stderr.write("%s %s %d auth=%s\n" % (self.command, path, status,
                                                 "yes" if authed else "no"))
        self.reply(status, headers, rest)

    do_GET = serve
    do_POST = serve


def main():
    root, portfile = sys.argv[1], sys.argv[2]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.root = root
    srv.want = base64.b64encode(sys.argv[3].encode()).decode() if len(sys.argv) > 3 else None
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
