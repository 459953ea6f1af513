#!/usr/bin/python3
"""zk-clients: an application on a client host that holds N real ZooKeeper sessions.

    lab/inject zk-clients CLIENT_HOST N --server ZKHOST [--leak] [--name NAME] [--port 2181]

Opens N sessions (the real ZooKeeper client handshake: ConnectRequest/ConnectResponse, then pings
every third of the negotiated timeout) to ZKHOST:2181, 20-50 ms apart, and holds them. With --leak it
then keeps opening one more session every --leak-interval seconds (default 1) without closing any, the
way a connection-leaking application does. The process shows up on the client host as `leaky-app`
(with --leak) or `order-service` (argv[0] and comm), so the runbook can find "who holds them".

Prints one JSON line once the first N attempts are done:
  {"fault": "zk-clients", "pid": ..., "name": ..., "server": "ip:port", "source": "ip", "requested": N,
   "opened": k, "rejected": r, "session_ids": ["0x..."], "leak": bool}
(rejected = the server closed the connection at once, e.g. over maxClientCnxns), then keeps running.
On SIGTERM it closes every session (closeSession, so the server forgets them at once) and exits 0.
Standard library only.
"""
import argparse
import ctypes
import json
import os
import random
import selectors
import signal
import socket
import struct
import sys
import time

SYSTEM_PYTHON = "/usr/bin/python3"
PING = struct.pack(">iii", 8, -2, 11)          # len, xid=-2, OpCode.ping
CLOSE_XID = 1


def set_comm(name):
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(15, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)  # PR_SET_NAME
    except (OSError, AttributeError):
        pass


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed by server")
        buf += chunk
    return buf


class Session:
    def __init__(self, addr, port, timeout_ms):
        self.sock = socket.create_connection((addr, port), timeout=5.0)
        try:
            body = struct.pack(">iqiq", 0, 0, timeout_ms, 0) + struct.pack(">i", 16) + b"\0" * 16 + b"\0"
            self.sock.sendall(struct.pack(">i", len(body)) + body)
            length = struct.unpack(">i", recv_exact(self.sock, 4))[0]
            reply = recv_exact(self.sock, length)
        except (OSError, ConnectionError, struct.error):
            self.sock.close()
            raise
        _proto, self.timeout_ms, self.session_id = struct.unpack(">iiq", reply[:16])
        if self.session_id == 0 or self.timeout_ms <= 0:  # server refused the session
            self.sock.close()
            raise ConnectionError("session refused")
        self.sock.setblocking(False)
        self.source = self.sock.getsockname()[0]
        self.next_ping = time.time() + self.timeout_ms / 3000.0
        self.buf = b""

    def ping(self):
        self.sock.send(PING)
        self.next_ping = time.time() + self.timeout_ms / 3000.0

    def close(self):
        try:
            self.sock.setblocking(True)
            self.sock.settimeout(1.0)
            self.sock.sendall(struct.pack(">iii", 8, CLOSE_XID, -11))  # OpCode.closeSession
            self.sock.recv(64)
        except OSError:
            pass
        finally:
            self.sock.close()


def main(argv):
    ap = argparse.ArgumentParser(prog="zk-clients", description=__doc__.split("\n\n")[0])
    ap.add_argument("count", type=int, help="sessions to open")
    ap.add_argument("--server", required=True, help="ZooKeeper host (lab host name or address)")
    ap.add_argument("--port", type=int, default=2181)
    ap.add_argument("--leak", action="store_true", help="keep opening sessions without closing them")
    ap.add_argument("--leak-interval", type=float, default=1.0)
    ap.add_argument("--name", help="process name (default leaky-app with --leak, else order-service)")
    ap.add_argument("--session-timeout", type=int, default=30000, help="requested, in ms")
    a = ap.parse_args(argv)
    if a.count < 0:
        ap.error("N must be >= 0, got %d" % a.count)
    name = a.name or ("leaky-app" if a.leak else "order-service")
    # look like a real application: argv[0] and comm are the app's name (re-exec once)
    if os.environ.get("ZK_CLIENTS_NAMED") != name and os.path.exists(SYSTEM_PYTHON):
        os.environ["ZK_CLIENTS_NAMED"] = name
        os.execv(SYSTEM_PYTHON, [name, os.path.abspath(__file__)] + list(argv))
    set_comm(name)

    stopping = []
    signal.signal(signal.SIGTERM, lambda *x: stopping.append(1))
    signal.signal(signal.SIGINT, lambda *x: stopping.append(1))
    addr = socket.gethostbyname(a.server)
    sessions, rejected = [], [0]
    sel = selectors.DefaultSelector()

    def open_one():
        try:
            s = Session(addr, a.port, a.session_timeout)
        except (OSError, ConnectionError, struct.error):
            rejected[0] += 1
            return None
        sessions.append(s)
        sel.register(s.sock, selectors.EVENT_READ, s)
        return s

    def service(wait):
        for key, _ in sel.select(timeout=wait):
            s = key.data
            try:
                data = s.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:  # server closed the session
                sel.unregister(s.sock)
                s.sock.close()
                sessions.remove(s)
                sys.stderr.write("session 0x%x closed by server\n" % s.session_id)
        now = time.time()
        for s in list(sessions):
            if now >= s.next_ping:
                try:
                    s.ping()
                except OSError:
                    pass

    for i in range(a.count):
        if stopping:
            break
        open_one()
        service(0)
        time.sleep(random.uniform(0.02, 0.05))
    source = sessions[0].source if sessions else None
    print(json.dumps({"fault": "zk-clients", "pid": os.getpid(), "name": name, "server": "%s:%d" % (addr, a.port),
                      "source": source, "requested": a.count, "opened": len(sessions), "rejected": rejected[0],
                      "session_ids": ["0x%x" % s.session_id for s in sessions], "leak": a.leak}), flush=True)
    next_leak = time.time() + a.leak_interval
    while not stopping:
        service(0.2)
        if a.leak and time.time() >= next_leak:
            next_leak = time.time() + a.leak_interval
            s = open_one()
            sys.stderr.write("leak: %s (open %d, rejected %d)\n" % (
                "session 0x%x" % s.session_id if s else "rejected", len(sessions), rejected[0]))
            sys.stderr.flush()
    for s in sessions:
        s.close()
    sys.stderr.write("closed %d sessions\n" % len(sessions))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
