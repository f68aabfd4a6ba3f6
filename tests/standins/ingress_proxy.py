#!/usr/bin/env python3
# STAND-IN for the demo cluster's ingress at *.localtest.me, reached as an HTTP proxy.
"""STAND-IN: the original innominatus demo reached Gitea, Vault, MinIO and
Argo CD at http://<name>.localtest.me, a public DNS name for 127.0.0.1 where
an ingress controller routed each request by its Host header.  Here there is
no DNS and no port 80, so the tests name this program as the HTTP proxy of
the steps (http_proxy, honoured by curl, git and every Go client such as the
vault and mc CLIs).  It takes absolute-form requests (GET http://host/path),
routes them by host name to a local port (--route host=127.0.0.1:port),
keeps the Host header and the body byte for byte (so an S3 SigV4 signature
made for the host stays valid), and answers 502 with a JSON body for a host
it has no route for, as an ingress without a matching rule would.  One
request per connection (Connection: close).  CONNECT (https through the
proxy) is refused with 405: the demo's hosts were plain http.

usage: ingress_proxy.py --route HOST=ADDR:PORT ... [--port 0] [--port-file F]
                        [--pid-watch PID] [--log F]
"""
import argparse
import json
import os
import socket
import socketserver
import sys
import threading
import time

ROUTES = {}
LOG = None
LOG_LOCK = threading.Lock()
MAX_HEAD = 64 * 1024


def log(msg):
    if LOG is None:
        return
    with LOG_LOCK:
        LOG.write(msg + "\n")
        LOG.flush()


def read_head(f):
    """The request line and header lines (bytes, without CRLF)."""
    lines, size = [], 0
    while True:
        line = f.readline(MAX_HEAD + 1)
        size += len(line)
        if not line or size > MAX_HEAD:
            return None
        if line in (b"\r\n", b"\n"):
            return lines
        lines.append(line.rstrip(b"\r\n"))


def relay_chunked(src, dst):
    """Copies a chunked body through, ending after the last chunk's trailer."""
    while True:
        size_line = src.readline(1024)
        if not size_line:
            raise EOFError("body ended early")
        dst.sendall(size_line)
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while True:
                t = src.readline(MAX_HEAD)
                if not t:
                    raise EOFError("trailer ended early")
                dst.sendall(t)
                if t in (b"\r\n", b"\n"):
                    return
        left = size + 2
        while left:
            b = src.read(min(left, 65536))
            if not b:
                raise EOFError("chunk ended early")
            dst.sendall(b)
            left -= len(b)


class Handler(socketserver.StreamRequestHandler):
    def fail(self, code, reason, msg):
        body = json.dumps({"error": {"code": code, "message": msg}}).encode()
        self.wfile.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                         % (code, reason.encode(), len(body)) + body)

    def handle(self):
        head = read_head(self.rfile)
        if not head:
            return
        try:
            method, target, version = head[0].decode("latin-1").split(" ")
        except ValueError:
            self.fail(400, "Bad Request", "malformed request line")
            return
        if method == "CONNECT":
            self.fail(405, "Method Not Allowed", "CONNECT: the stand-in ingress serves plain http only")
            return
        if not target.startswith("http://"):
            self.fail(400, "Bad Request", "a proxy request needs an absolute http:// URL")
            return
        rest = target[len("http://"):]
        authority, _, path = rest.partition("/")
        path = "/" + path
        host = authority.rsplit("@", 1)[-1]
        hostname = host.split(":")[0].lower()
        backend = ROUTES.get(hostname)
        if backend is None:
            log("%s %s -> 502 (no route for %s)" % (method, target, hostname))
            self.fail(502, "Bad Gateway", "no ingress rule for host %s" % hostname)
            return
        headers, length, chunked = [], 0, False
        for h in head[1:]:
            name, _, value = h.partition(b":")
            lname = name.strip().lower()
            if lname.startswith(b"proxy-") or lname in (b"connection", b"keep-alive"):
                continue
            if lname == b"content-length":
                length = int(value.strip())
            if lname == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            headers.append(h)
        if not any(h.lower().startswith(b"host:") for h in headers):
            headers.append(b"Host: " + host.encode())
        out = ("%s %s %s\r\n" % (method, path, version)).encode("latin-1")
        out += b"\r\n".join(headers) + b"\r\nConnection: close\r\n\r\n"
        try:
            up = socket.create_connection(backend, timeout=120)
        except OSError as e:
            log("%s %s -> 502 (%s)" % (method, target, e))
            self.fail(502, "Bad Gateway", "backend of %s unreachable: %s" % (hostname, e))
            return
        try:
            up.sendall(out)
            if chunked:
                relay_chunked(self.rfile, up)
            else:
                while length:
                    b = self.rfile.read(min(length, 65536))
                    if not b:
                        break
                    up.sendall(b)
                    length -= len(b)
            first = True
            while True:
                b = up.recv(65536)
                if not b:
                    break
                if first:
                    log("%s %s -> %s" % (method, target, b.split(b"\r\n", 1)[0].decode("latin-1")))
                    first = False
                self.wfile.write(b)
        except (OSError, EOFError, ValueError) as e:
            log("%s %s: relay failed: %s" % (method, target, e))
        finally:
            up.close()


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def watch(pid):
    while True:
        time.sleep(0.5)
        try:
            os.kill(pid, 0)
        except OSError:
            os._exit(0)
        if os.getppid() == 1:
            os._exit(0)


def main():
    global LOG
    ap = argparse.ArgumentParser(
        description="STAND-IN for the demo cluster's ingress (*.localtest.me), as an HTTP proxy")
    ap.add_argument("--route", action="append", default=[], metavar="HOST=ADDR:PORT")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--pid-watch", type=int, default=os.getppid())
    ap.add_argument("--log")
    a = ap.parse_args()
    for r in a.route:
        host, _, addr = r.partition("=")
        ip, _, port = addr.rpartition(":")
        if not host or not ip or not port.isdigit():
            ap.error("--route %r: expected HOST=ADDR:PORT" % r)
        ROUTES[host.lower()] = (ip, int(port))
    if a.log:
        LOG = open(a.log, "a")
    srv = Server(("127.0.0.1", a.port), Handler)
    if a.port_file:
        tmp = a.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(str(srv.server_address[1]))
        os.rename(tmp, a.port_file)
    threading.Thread(target=watch, args=(a.pid_watch,), daemon=True).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
