#!/usr/bin/env python3
"""notify_listen.py SOCKET OUT [SECONDS] - stands in for systemd's notify
socket: binds a datagram socket at SOCKET (mode 0666, so a service user can
send) and appends every message it receives to OUT, one line per variable
(READY=1, STATUS=..., RELOADING=1, STOPPING=1, MAINPID=...).  Exits after
SECONDS (default 300) so it never outlives a broken test."""
import os
import socket
import sys
import time


def main():
    path, out = sys.argv[1], sys.argv[2]
    limit = float(sys.argv[3]) if len(sys.argv) > 3 else 300.0
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)
    os.chmod(path, 0o666)
    end = time.monotonic() + limit
    with open(out, "a", encoding="utf-8") as f:
        f.write("LISTENING=1\n")
        f.flush()
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            s.settimeout(left)
            try:
                data = s.recv(65536)
            except socket.timeout:
                return
            for line in data.decode("utf-8", "replace").splitlines():
                f.write(line + "\n")
            f.flush()


if __name__ == "__main__":
    main()
