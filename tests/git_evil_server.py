#!/usr/bin/env python3
# git_evil_server.py - a hostile stand-in for a git hosting server, for
# tests/ctl_git_providers.sh: a server that redirects elsewhere, one that
# asks for credentials and logs whether it got any, one that accepts and
# never answers.
#
#   git_evil_server.py PORTFILE redirect TARGET   302 to TARGET + the path
#   git_evil_server.py PORTFILE capture           401; logs "auth=yes|no"
#   git_evil_server.py PORTFILE hang              reads, never answers
#
# listens on 127.0.0.1 on a free port and writes the port to PORTFILE;
# logs each request to stderr (never the credentials).
import http.server
import socket
import sys
import threading
import time

portfile, mode = sys.argv[1], sys.argv[2]
target = sys.argv[3] if len(sys.argv) > 3 else ""


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        authed = "yes" if self.headers.get("Authorization") else "no"
        sys.stderr.write("%s %s auth=%s\n" % (self.command, self.path, authed))
        sys.stderr.flush()
        if mode == "capture":
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="evil"')
        else:
            self.send_response(302)
            self.send_header("Location", target + self.path)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_POST = do_GET


def hang(conn):
    try:
        conn.recv(65536)
        time.sleep(3600)
    except OSError:
        pass


if mode == "hang":
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(50)
    with open(portfile, "w") as f:
        f.write(str(s.getsockname()[1]))
    while True:
        c, _ = s.accept()
        threading.Thread(target=hang, args=(c,), daemon=True).start()
else:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(portfile, "w") as f:
        f.write(str(srv.server_address[1]))
    srv.serve_forever()
