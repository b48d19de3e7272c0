#!/usr/bin/python3
"""One TCP flow between two emulated hosts, for the fabric tests (standard library only).

  flow.py recv ADDR PORT [--ready FILE]      accept one connection on ADDR:PORT, read it to
                                             the end, print "BYTES SECONDS MBIT/S PEER"
  flow.py send ADDR PORT SECONDS [--from SRC]  connect (from source address SRC), send for
                                             SECONDS, print "BYTES SECONDS MBIT/S"

Run each side inside its host's namespace (ip netns exec fbf-hN ...). The receiver's rate is
timed from the first byte to the end, so it is the goodput the path gave the flow.
--ready FILE is created once the receiver listens.
"""
import socket
import sys
import time


def recv(addr, port, ready):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(1)
    srv.settimeout(30)
    if ready:
        open(ready, "w").close()
    conn, peer = srv.accept()
    conn.settimeout(30)
    total, t0, buf = 0, None, bytearray(1 << 20)
    while True:
        n = conn.recv_into(buf)
        if n == 0:
            break
        if t0 is None:
            t0 = time.monotonic()
        total += n
    dt = time.monotonic() - t0 if t0 is not None else 0.0
    rate = total * 8 / dt / 1e6 if dt > 0 else 0.0
    print(f"{total} {dt:.3f} {rate:.1f} {peer[0]}")


def send(addr, port, seconds, src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if src:
        s.bind((src, 0))
    s.settimeout(10)
    s.connect((addr, port))
    chunk = b"\0" * (1 << 16)
    total, t0 = 0, time.monotonic()
    while time.monotonic() - t0 < seconds:
        s.sendall(chunk)
        total += len(chunk)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)   # the receiver closes once it has read everything
    dt = time.monotonic() - t0
    print(f"{total} {dt:.3f} {total * 8 / dt / 1e6:.1f}")


def main(argv):
    try:
        if len(argv) >= 3 and argv[0] == "recv":
            ready = argv[argv.index("--ready") + 1] if "--ready" in argv else None
            recv(argv[1], int(argv[2]), ready)
            return 0
        if len(argv) >= 4 and argv[0] == "send":
            src = argv[argv.index("--from") + 1] if "--from" in argv else None
            send(argv[1], int(argv[2]), float(argv[3]), src)
            return 0
    except OSError as e:
        print(f"flow.py: {argv[0]}: {e}", file=sys.stderr)
        return 1
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
