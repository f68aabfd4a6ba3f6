#!/usr/bin/env python3
# ssh_hostkey_server.py - a test stand-in for an SSH git server, for the
# one thing this machine has no sshd to show: the host key a client sees.
# It speaks the SSH transport through the key exchange (curve25519-sha256,
# an ssh-ed25519 host key, aes128-ctr, hmac-sha2-256; RFC 4253/8731/8709)
# and accepts the "ssh-userauth" service request, so a client gets a real,
# signed host key to check; then it closes the connection (no user
# authentication, no git).  Used by
# tests/ctl_git_providers.sh.
#
#   ssh_hostkey_server.py PORTFILE KEYFILE
#
# listens on 127.0.0.1 (any port, written to PORTFILE) and writes its host
# key as a known_hosts line "[127.0.0.1]:PORT ssh-ed25519 BASE64" to
# KEYFILE.  Needs python3's cryptography package (the test skips without).
import base64
import hashlib
import hmac
import os
import socket
import struct
import sys
import threading

from cryptography.hazmat.primitives.asymmetric import ed25519, x25519
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def sstr(b):
    return struct.pack(">I", len(b)) + b


def mpint(b):
    b = b.lstrip(b"\0")
    if b and b[0] & 0x80:
        b = b"\0" + b
    return sstr(b)


def recv_exact(c, n):
    out = b""
    while len(out) < n:
        got = c.recv(n - len(out))
        if not got:
            raise EOFError
        out += got
    return out


def recv_packet(c):
    n = struct.unpack(">I", recv_exact(c, 4))[0]
    body = recv_exact(c, n)
    return body[1:n - body[0]]


def send_packet(c, payload):
    pad = 8 - (5 + len(payload)) % 8
    if pad < 4:
        pad += 8
    c.sendall(struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + b"\0" * pad)


def namelist(*names):
    return sstr(",".join(names).encode())


def serve(c, host_key, k_s):
    c.sendall(b"SSH-2.0-innominatus-test\r\n")
    line = b""
    while not line.endswith(b"\n"):
        line += recv_exact(c, 1)
    v_c = line.rstrip(b"\r\n")
    i_s = (b"\x14" + os.urandom(16) + namelist("curve25519-sha256", "curve25519-sha256@libssh.org")
           + namelist("ssh-ed25519") + namelist("aes128-ctr") * 2
           + namelist("hmac-sha2-256") * 2 + namelist("none") * 2 + namelist() * 2
           + b"\0" + b"\0\0\0\0")
    send_packet(c, i_s)
    i_c = recv_packet(c)
    while True:
        m = recv_packet(c)
        if m[0] == 30:
            break
    q_c = m[5:5 + struct.unpack(">I", m[1:5])[0]]
    eph = x25519.X25519PrivateKey.generate()
    q_s = eph.public_key().public_bytes(*RAW)
    k = eph.exchange(x25519.X25519PublicKey.from_public_bytes(q_c))
    h = hashlib.sha256(sstr(v_c) + sstr(b"SSH-2.0-innominatus-test") + sstr(i_c) + sstr(i_s)
                       + sstr(k_s) + sstr(q_c) + sstr(q_s) + mpint(k)).digest()
    sig = sstr(b"ssh-ed25519") + sstr(host_key.sign(h))
    send_packet(c, b"\x1f" + sstr(k_s) + sstr(q_s) + sstr(sig))
    send_packet(c, b"\x15")
    while recv_packet(c)[0] != 21:
        pass

    def key(x, n):
        return hashlib.sha256(mpint(k) + h + x + h).digest()[:n]
    dec = Cipher(algorithms.AES(key(b"C", 16)), modes.CTR(key(b"A", 16))).decryptor()
    enc = Cipher(algorithms.AES(key(b"D", 16)), modes.CTR(key(b"B", 16))).encryptor()
    first = dec.update(recv_exact(c, 16))
    n = struct.unpack(">I", first[:4])[0]
    plain = first + dec.update(recv_exact(c, n + 4 - 16))
    recv_exact(c, 32)
    if plain[5] != 5:          # SSH_MSG_SERVICE_REQUEST
        return
    payload = b"\x06" + sstr(b"ssh-userauth")
    pad = 16 - (5 + len(payload)) % 16
    if pad < 4:
        pad += 16
    pkt = struct.pack(">IB", 1 + len(payload) + pad, pad) + payload + os.urandom(pad)
    mac = hmac.new(key(b"F", 32), struct.pack(">I", 3) + pkt, hashlib.sha256).digest()
    c.sendall(enc.update(pkt) + mac)
    recv_exact(c, 16)


def main():
    portfile, keyfile = sys.argv[1], sys.argv[2]
    host_key = ed25519.Ed25519PrivateKey.generate()
    k_s = sstr(b"ssh-ed25519") + sstr(host_key.public_key().public_bytes(*RAW))
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(8)
    port = s.getsockname()[1]
    with open(keyfile, "w") as f:
        f.write("[127.0.0.1]:%d ssh-ed25519 %s\n" % (port, base64.b64encode(k_s).decode()))
    with open(portfile + ".tmp", "w") as f:
        f.write(str(port))
    os.rename(portfile + ".tmp", portfile)

    def one(c):
        try:
            serve(c, host_key, k_s)
        except (EOFError, OSError):
            pass
        finally:
            c.close()

    while True:
        c, _ = s.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
