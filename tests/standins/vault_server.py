#!/usr/bin/env python3
# STAND-IN for the HashiCorp Vault HTTP API (no real Vault can run on the
# test machines): the part vault-setup.so speaks -- sys/health, sys/mounts
# (enable kv v2), sys/auth (enable approle, kubernetes), sys/policies/acl, token
# lookup-self, the KV v2 engine (data/ and metadata/ with versions, cas,
# merge-patch, soft delete, LIST) and AppRole roles, role-id and secret-id
# and the kubernetes auth method's config and roles (no login)
# -- on Vault's wire protocol: /v1/ paths, X-Vault-Token (a wrong or
# missing token is 403 {"errors":["permission denied"]}), X-Vault-Namespace
# (each namespace its own store), Vault's response envelope and JSON error
# bodies.  Python 3 stdlib (+ python3-cryptography for --tls-gen); state in
# memory.
"""STAND-IN for the HashiCorp Vault HTTP API (tests only; state in memory).

Serves /v1/sys/health, /v1/sys/mounts, /v1/sys/auth, /v1/sys/policies/acl,
/v1/auth/token/lookup-self, KV v2 (<mount>/data, <mount>/metadata) and
/v1/auth/approle/role/... with Vault's status codes and error bodies.
"""
import argparse
import datetime
import json
import os
import secrets
import socketserver
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

LOCK = threading.Lock()
ARGS = None
LOG = None


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class VaultError(Exception):
    def __init__(self, status, errors):
        super().__init__(errors)
        self.status = status
        self.errors = errors


def seconds(v):
    """A Vault duration ("24h", "90m", "30s", "3600") in seconds."""
    if isinstance(v, (int, float)):
        return int(v)
    v = str(v).strip()
    unit = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(v[-1:], None)
    try:
        return int(float(v[:-1]) * unit) if unit else int(v)
    except ValueError:
        raise VaultError(400, ["invalid duration \"%s\"" % v])


def new_space():
    """One namespace's state: mounts, auth methods, policies, KV, roles."""
    return {
        "mounts": {
            "secret/": {"type": "kv", "options": {"version": "2"}, "description": "key/value secret storage"},
            "sys/": {"type": "system", "options": None, "description": "system endpoints"},
            "cubbyhole/": {"type": "cubbyhole", "options": None, "description": "per-token private secret storage"},
        },
        "auth": {"token/": {"type": "token", "description": "token based credentials"}},
        "policies": {"root": "", "default": "# default policy\n"},
        "kv": {},       # (mount, path) -> {"versions": {n: {...}}, "current": n, ...}
        "roles": {},    # approle name -> role dict
    }


SPACES = {}


def space(ns):
    ns = (ns or "").strip("/")
    if ns not in SPACES:
        if ns and ARGS.no_namespaces:
            raise VaultError(404, ["namespace not found"])
        SPACES[ns] = new_space()
    return SPACES[ns]


def envelope(data, mount_type=""):
    out = {"request_id": str(uuid.uuid4()), "lease_id": "", "renewable": False,
           "lease_duration": 0, "data": data, "wrap_info": None, "warnings": None,
           "auth": None}
    if mount_type:
        out["mount_type"] = mount_type
    return out


def kv_mount(sp, rest):
    """Finds the longest kv v2 mount that prefixes rest: (mount, sub)."""
    best = None
    for m, conf in sp["mounts"].items():
        if conf["type"] == "kv" and (rest + "/").startswith(m) and (best is None or len(m) > len(best)):
            best = m
    if best is None:
        return None, None
    return best, rest[len(best):]


def version_meta(v):
    return {"created_time": v["created_time"], "custom_metadata": None,
            "deletion_time": v["deletion_time"], "destroyed": v["destroyed"],
            "version": v["version"]}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "vault-standin/1.0"

    def log_message(self, fmt, *args):  # quiet on stderr; the log file is ours
        pass

    def record(self, status):
        if LOG is None:
            return
        # method, path, status, namespace and the body's KEY NAMES only
        keys = []
        if isinstance(self.body_json, dict):
            d = self.body_json.get("data", self.body_json)
            if isinstance(d, dict):
                keys = sorted(d.keys())
        line = "%s %s %d ns=%s keys=%s\n" % (self.command, self.path, status,
                                             self.headers.get("X-Vault-Namespace", ""),
                                             ",".join(keys))
        with LOCK:
            LOG.write(line)
            LOG.flush()

    def send_json(self, status, obj):
        body = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        if obj is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)
        self.record(status)

    def handle_any(self):
        self.body_json = None
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n > 0 else b""
        if ARGS.hang:
            time.sleep(3600)
            return
        if ARGS.garbage:
            # a 200 whose body is not JSON (a proxy's page, a wrong port)
            body = b"<html>not vault</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if ARGS.close_early:
            # promises a body, sends half of it, closes the connection
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"data": {"keys"')
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        try:
            if raw:
                try:
                    self.body_json = json.loads(raw)
                except ValueError:
                    raise VaultError(400, ["failed to parse JSON input: invalid character"])
            with LOCK:
                status, obj = self.route()
            self.send_json(status, obj)
        except VaultError as e:
            self.send_json(e.status, {"errors": e.errors})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_LIST = handle_any

    # ---- routing -------------------------------------------------------
    def route(self):
        u = urlsplit(self.path)
        q = parse_qs(u.query)
        path = unquote(u.path)
        if not path.startswith("/v1/"):
            raise VaultError(404, [])
        path = path[4:]
        method = self.command
        if method == "GET" and q.get("list", [""])[0] == "true":
            method = "LIST"
        if path == "sys/health" and method in ("GET", "HEAD"):
            return 200, {"initialized": True, "sealed": False, "standby": False,
                         "performance_standby": False, "replication_performance_mode": "disabled",
                         "replication_dr_mode": "disabled", "server_time_utc": int(time.time()),
                         "version": "1.15.0+standin", "cluster_name": "vault-cluster-standin",
                         "cluster_id": "00000000-0000-0000-0000-000000000000"}
        token = self.headers.get("X-Vault-Token", "")
        if not token:
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Bearer "):
                token = auth[7:]
        if token != ARGS.token:
            raise VaultError(403, ["permission denied"])
        sp = space(self.headers.get("X-Vault-Namespace"))
        body = self.body_json if isinstance(self.body_json, dict) else {}
        if path == "auth/token/lookup-self" and method == "GET":
            return 200, envelope({"accessor": "standin-accessor", "creation_time": 0,
                                  "creation_ttl": 0, "display_name": "token", "entity_id": "",
                                  "expire_time": None, "explicit_max_ttl": 0, "id": token,
                                  "meta": None, "num_uses": 0, "orphan": True, "path": "auth/token/root",
                                  "policies": ["root"], "ttl": 0, "type": "service"})
        if path == "sys/mounts" and method == "GET":
            d = {k: {"type": v["type"], "options": v["options"], "description": v["description"],
                     "config": {"default_lease_ttl": 0, "max_lease_ttl": 0}, "local": False,
                     "seal_wrap": False} for k, v in sp["mounts"].items()}
            out = envelope(d)
            out.update(d)
            return 200, out
        if path.startswith("sys/mounts/"):
            return self.sys_mount(sp, path[len("sys/mounts/"):].strip("/") + "/", method, body)
        if path == "sys/auth" and method == "GET":
            d = {k: dict(v) for k, v in sp["auth"].items()}
            out = envelope(d)
            out.update(d)
            return 200, out
        if path.startswith("sys/auth/"):
            return self.sys_auth(sp, path[len("sys/auth/"):].strip("/") + "/", method, body)
        if path.rstrip("/") == "sys/policies/acl" and method == "LIST":
            return 200, envelope({"keys": sorted(sp["policies"])})
        if path.startswith("sys/policies/acl/"):
            return self.policy(sp, path[len("sys/policies/acl/"):], method, body)
        if path.startswith("auth/") and \
                sp["auth"].get(path.split("/")[1] + "/", {}).get("type") == "kubernetes":
            m = path.split("/")[1] + "/"
            return self.kube_auth(sp.setdefault("k8s", {}).setdefault(m, {"config": None, "roles": {}}),
                                  path[len("auth/") + len(m):], method, body)
        if path.startswith("auth/approle/"):
            if "approle/" not in sp["auth"]:
                raise VaultError(403, ["permission denied"])
            return self.approle(sp, path[len("auth/approle/"):], method, body)
        mount, sub = kv_mount(sp, path)
        if mount is not None:
            return self.kv(sp, mount, sub, method, body, q)
        raise VaultError(404, ["no handler for route \"%s\". route entry not found." % path])

    def sys_mount(self, sp, m, method, body):
        if m in ("/", "sys/"):
            raise VaultError(400, ["cannot mount at \"%s\"" % m])
        if method in ("POST", "PUT"):
            for existing in sp["mounts"]:
                if m.startswith(existing) or existing.startswith(m):
                    raise VaultError(400, ["path is already in use at %s" % existing])
            t = body.get("type", "")
            opts = body.get("options") or {}
            if t == "kv-v2":
                t, opts = "kv", {"version": "2"}
            if t != "kv" or str(opts.get("version", "1")) != "2":
                raise VaultError(400, ["the stand-in mounts only kv version 2 (type \"%s\")" % t])
            sp["mounts"][m] = {"type": "kv", "options": {"version": "2"},
                               "description": body.get("description", "")}
            return 204, None
        if method == "GET":
            if m not in sp["mounts"]:
                raise VaultError(400, ["No secret engine mount at %s" % m])
            v = sp["mounts"][m]
            return 200, envelope({"type": v["type"], "options": v["options"],
                                  "description": v["description"]})
        if method == "DELETE":
            sp["mounts"].pop(m, None)
            for k in [k for k in sp["kv"] if k[0] == m]:
                del sp["kv"][k]
            return 204, None
        raise VaultError(405, ["unsupported operation"])

    def sys_auth(self, sp, m, method, body):
        if method in ("POST", "PUT"):
            if m in sp["auth"]:
                raise VaultError(400, ["path is already in use at %s" % m])
            if body.get("type") not in ("approle", "kubernetes"):
                raise VaultError(400, ["the stand-in enables only approle and kubernetes (type \"%s\")"
                                       % body.get("type")])
            sp["auth"][m] = {"type": body["type"], "description": body.get("description", "")}
            return 204, None
        if method == "DELETE":
            sp["auth"].pop(m, None)
            return 204, None
        raise VaultError(405, ["unsupported operation"])

    def policy(self, sp, name, method, body):
        name = name.strip("/").lower()
        if not name:
            raise VaultError(400, ["missing policy name"])
        if method in ("POST", "PUT"):
            text = body.get("policy")
            if not isinstance(text, str) or not text.strip():
                raise VaultError(400, ["'policy' parameter not supplied or empty"])
            if "path" not in text or text.count("{") != text.count("}"):
                raise VaultError(400, ["failed to parse policy: invalid HCL"])
            if name == "root":
                raise VaultError(400, ["cannot update \"root\" policy"])
            sp["policies"][name] = text
            return 204, None
        if method == "GET":
            if name not in sp["policies"]:
                raise VaultError(404, [])
            return 200, envelope({"name": name, "policy": sp["policies"][name]})
        if method == "DELETE":
            if name in ("root", "default"):
                raise VaultError(400, ["cannot delete \"%s\" policy" % name])
            sp["policies"].pop(name, None)
            return 204, None
        raise VaultError(405, ["unsupported operation"])

    def approle(self, sp, rest, method, body):
        parts = rest.strip("/").split("/")
        if parts[0] != "role":
            raise VaultError(404, [])
        if len(parts) == 1 and method == "LIST":
            if not sp["roles"]:
                raise VaultError(404, [])
            return 200, envelope({"keys": sorted(sp["roles"])})
        name = parts[1] if len(parts) > 1 else ""
        if not name:
            raise VaultError(400, ["missing role_name"])
        if len(parts) == 2:
            if method in ("POST", "PUT"):
                role = sp["roles"].get(name) or {"role_id": str(uuid.uuid4()), "secret_ids": {}}
                for k in ("token_policies", "policies"):
                    if k in body:
                        v = body[k]
                        role["token_policies"] = v.split(",") if isinstance(v, str) else list(v)
                for k in ("token_ttl", "token_max_ttl", "secret_id_ttl", "bind_secret_id",
                          "secret_id_num_uses", "token_num_uses"):
                    if k in body:
                        role[k] = body[k]
                sp["roles"][name] = role
                return 204, None
            if method == "GET":
                if name not in sp["roles"]:
                    raise VaultError(404, [])
                r = sp["roles"][name]
                return 200, envelope({"bind_secret_id": r.get("bind_secret_id", True),
                                      "token_policies": r.get("token_policies", []),
                                      "policies": r.get("token_policies", []),
                                      "token_ttl": r.get("token_ttl", 0),
                                      "token_max_ttl": r.get("token_max_ttl", 0),
                                      "secret_id_ttl": r.get("secret_id_ttl", 0),
                                      "secret_id_num_uses": r.get("secret_id_num_uses", 0)})
            if method == "DELETE":
                sp["roles"].pop(name, None)
                return 204, None
        if name not in sp["roles"]:
            raise VaultError(400, ["invalid role name \"%s\"" % name])
        r = sp["roles"][name]
        if len(parts) == 3 and parts[2] == "role-id" and method == "GET":
            return 200, envelope({"role_id": r["role_id"]})
        if len(parts) == 3 and parts[2] == "secret-id" and method in ("POST", "PUT"):
            sid, acc = str(uuid.uuid4()), str(uuid.uuid4())
            r["secret_ids"][acc] = sid
            return 200, envelope({"secret_id": sid, "secret_id_accessor": acc,
                                  "secret_id_ttl": r.get("secret_id_ttl", 0),
                                  "secret_id_num_uses": r.get("secret_id_num_uses", 0)})
        raise VaultError(405, ["unsupported operation"])

    def kube_auth(self, st, rest, method, body):
        """The kubernetes auth method's config and roles (what `vault write
        auth/kubernetes/config|role/NAME` sends); no login (no TokenReview)."""
        parts = rest.strip("/").split("/")
        if parts == ["config"]:
            if method in ("POST", "PUT"):
                if not body.get("kubernetes_host"):
                    raise VaultError(400, ["no host provided"])
                st["config"] = {k: body[k] for k in ("kubernetes_host", "kubernetes_ca_cert",
                                                     "disable_local_ca_jwt", "issuer") if k in body}
                return 204, None
            if method == "GET":
                if st["config"] is None:
                    raise VaultError(404, [])
                return 200, envelope(dict(st["config"]))
            raise VaultError(405, ["unsupported operation"])
        if parts[0] != "role":
            raise VaultError(404, ["no handler for route \"auth/%s\". route entry not found." % rest])
        if len(parts) == 1 and method == "LIST":
            if not st["roles"]:
                raise VaultError(404, [])
            return 200, envelope({"keys": sorted(st["roles"])})
        if len(parts) != 2 or not parts[1]:
            raise VaultError(404, [])
        name = parts[1]

        def strs(v):
            return [x.strip() for x in v.split(",") if x.strip()] if isinstance(v, str) else list(v or [])
        if method in ("POST", "PUT"):
            role = dict(st["roles"].get(name) or {})
            for k in ("bound_service_account_names", "bound_service_account_namespaces"):
                if k in body:
                    role[k] = strs(body[k])
                if not role.get(k):
                    raise VaultError(400, ["\"%s\" can not be empty" % k])
            for k in ("policies", "token_policies"):
                if k in body:
                    role["token_policies"] = strs(body[k])
            for k in ("ttl", "token_ttl"):
                if k in body:
                    role["token_ttl"] = seconds(body[k])
            st["roles"][name] = role
            return 204, None
        if method == "GET":
            if name not in st["roles"]:
                raise VaultError(404, [])
            r = st["roles"][name]
            return 200, envelope({"bound_service_account_names": r["bound_service_account_names"],
                                  "bound_service_account_namespaces": r["bound_service_account_namespaces"],
                                  "token_policies": r.get("token_policies", []),
                                  "policies": r.get("token_policies", []),
                                  "token_ttl": r.get("token_ttl", 0), "ttl": r.get("token_ttl", 0)})
        if method == "DELETE":
            st["roles"].pop(name, None)
            return 204, None
        raise VaultError(405, ["unsupported operation"])

    def kv(self, sp, mount, sub, method, body, q):
        head, _, rest = sub.partition("/")
        mt = "kv"
        if head == "config" and method == "GET":
            return 200, envelope({"cas_required": False, "delete_version_after": "0s",
                                  "max_versions": 0}, mt)
        if head not in ("data", "metadata", "delete", "undelete", "destroy"):
            raise VaultError(404, ["no handler for route \"%s%s\". route entry not found." % (mount, sub)])
        key = (mount, rest.strip("/"))
        ent = sp["kv"].get(key)
        if head == "metadata" and method == "LIST":
            prefix = rest if rest == "" or rest.endswith("/") else rest + "/"
            keys = set()
            for (m, p), e in sp["kv"].items():
                if m == mount and p.startswith(prefix):
                    tail = p[len(prefix):]
                    keys.add(tail.split("/")[0] + "/" if "/" in tail else tail)
            if not keys:
                raise VaultError(404, [])
            return 200, envelope({"keys": sorted(keys)}, mt)
        if not key[1]:
            raise VaultError(404, [])
        if head == "data":
            if method == "GET":
                if ent is None:
                    raise VaultError(404, [])
                n = int(q.get("version", ["0"])[0] or 0) or ent["current"]
                v = ent["versions"].get(n)
                if v is None:
                    raise VaultError(404, [])
                data = None if (v["deletion_time"] or v["destroyed"]) else v["data"]
                status = 404 if data is None else 200
                return status, envelope({"data": data, "metadata": version_meta(v)}, mt)
            if method in ("POST", "PUT"):
                data = body.get("data")
                if not isinstance(data, dict):
                    raise VaultError(400, ["no data provided"])
                return self.kv_write(sp, key, ent, data, body.get("options") or {})
            if method == "PATCH":
                ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                if ctype != "application/merge-patch+json":
                    raise VaultError(415, ["Unsupported Media Type"])
                if ent is None or ent["versions"][ent["current"]]["deletion_time"]:
                    raise VaultError(404, [])
                data = body.get("data")
                if not isinstance(data, dict):
                    raise VaultError(400, ["no data provided"])
                merged = dict(ent["versions"][ent["current"]]["data"])
                for k, v in data.items():
                    if v is None:
                        merged.pop(k, None)
                    else:
                        merged[k] = v
                return self.kv_write(sp, key, ent, merged, body.get("options") or {})
            if method == "DELETE":
                if ent is not None:
                    ent["versions"][ent["current"]]["deletion_time"] = now()
                return 204, None
        if head == "metadata":
            if method == "GET":
                if ent is None:
                    raise VaultError(404, [])
                vs = {str(n): {"created_time": v["created_time"], "deletion_time": v["deletion_time"],
                               "destroyed": v["destroyed"]} for n, v in ent["versions"].items()}
                return 200, envelope({"cas_required": False, "created_time": ent["created_time"],
                                      "current_version": ent["current"], "custom_metadata": None,
                                      "delete_version_after": "0s", "max_versions": 0,
                                      "oldest_version": min(ent["versions"]),
                                      "updated_time": ent["versions"][ent["current"]]["created_time"],
                                      "versions": vs}, mt)
            if method == "DELETE":
                sp["kv"].pop(key, None)
                return 204, None
        raise VaultError(405, ["unsupported operation"])

    def kv_write(self, sp, key, ent, data, options):
        cur = ent["current"] if ent else 0
        if "cas" in options:
            try:
                cas = int(options["cas"])
            except (TypeError, ValueError):
                raise VaultError(400, ["invalid cas parameter"])
            if cas != cur:
                raise VaultError(400, ["check-and-set parameter did not match the current version"])
        if ent is None:
            ent = {"versions": {}, "current": 0, "created_time": now()}
            sp["kv"][key] = ent
        n = cur + 1
        ent["versions"][n] = {"data": data, "created_time": now(), "deletion_time": "",
                              "destroyed": False, "version": n}
        ent["current"] = n
        return 200, envelope(version_meta(ent["versions"][n]), "kv")


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls = None

    def finish_request(self, request, client_address):
        # the TLS handshake runs in the request's thread: a client that
        # never completes it holds up no one else
        if self.tls is not None:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return
        HTTPServer.finish_request(self, request, client_address)


def make_cert(d):
    """A self-signed CA (d/vault-ca.pem) and a server certificate for
    127.0.0.1/localhost signed by it (python3-cryptography); returns
    (ca, cert, key) paths."""
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write(path, data):
        with open(path, "wb") as f:
            f.write(data)

    start = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    end = start + datetime.timedelta(days=2)
    cakey = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("vault stand-in test CA"))
          .issuer_name(name("vault stand-in test CA")).public_key(cakey.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(start)
          .not_valid_after(end)
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(cakey, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                       x509.DNSName("localhost")])
    crt = (x509.CertificateBuilder().subject_name(name("127.0.0.1"))
           .issuer_name(ca.subject).public_key(key.public_key())
           .serial_number(x509.random_serial_number()).not_valid_before(start)
           .not_valid_after(end).add_extension(san, critical=False)
           .sign(cakey, hashes.SHA256()))
    paths = [os.path.join(d, n) for n in ("vault-ca.pem", "vault.pem", "vault.key")]
    write(paths[0], ca.public_bytes(serialization.Encoding.PEM))
    write(paths[1], crt.public_bytes(serialization.Encoding.PEM))
    write(paths[2], key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return tuple(paths)


def watch_parent(ppid):
    while True:
        if os.getppid() != ppid:
            os._exit(0)
        time.sleep(0.5)


def main():
    global ARGS, LOG
    p = argparse.ArgumentParser(description="STAND-IN for the HashiCorp Vault HTTP API "
                                "(tests only; KV v2, sys/policies, sys/mounts, sys/health, "
                                "token lookup-self, AppRole; state in memory)")
    p.add_argument("--port", type=int, default=8200, help="port (0: any free port)")
    p.add_argument("--port-file", help="write the bound port here")
    p.add_argument("--token", default="root", help="the one valid X-Vault-Token")
    p.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    p.add_argument("--tls-key", help="... and this key (PEM)")
    p.add_argument("--tls-gen", metavar="DIR",
                   help="generate a CA (DIR/vault-ca.pem) and a server certificate, serve HTTPS")
    p.add_argument("--hang", action="store_true", help="accept requests and never answer")
    p.add_argument("--garbage", action="store_true",
                   help="answer every request 200 with a body that is not JSON")
    p.add_argument("--close-early", action="store_true",
                   help="send half a response, then close the connection")
    p.add_argument("--no-namespaces", action="store_true",
                   help="answer a request for an unknown X-Vault-Namespace with 404")
    p.add_argument("--log", help="append one line per request (method, path, status, key names)")
    p.add_argument("--pid-watch", type=int, help="exit when this pid is gone")
    ARGS = p.parse_args()
    if ARGS.log:
        LOG = open(ARGS.log, "a")
    srv = Server(("127.0.0.1", ARGS.port), Handler)
    cert, key = ARGS.tls_cert, ARGS.tls_key
    if ARGS.tls_gen:
        _, cert, key = make_cert(ARGS.tls_gen)
    if cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.tls = ctx
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    if ARGS.pid_watch:
        def watch_pid():
            while True:
                try:
                    os.kill(ARGS.pid_watch, 0)
                except OSError:
                    os._exit(0)
                time.sleep(0.5)
        threading.Thread(target=watch_pid, daemon=True).start()
    if ARGS.port_file:
        tmp = ARGS.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % srv.server_address[1])
        os.rename(tmp, ARGS.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
