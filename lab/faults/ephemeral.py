#!/usr/bin/python3
"""Fault: an `observer` whose ordinary outbound connection holds an agent port as its EPHEMERAL port.

    ephemeral.py [--port P (62888)] [--name observer] [--listen 2882] [--remote HOST:PORT]
                 [--recycle SECONDS (20)] [--home AGENT_HOME] [--no-agent-start]

What happens on OceanBase hosts, reproduced in one lab host (the sysctls are per network namespace):
1. With --home, the agent is stopped through its own control script (the kernel never hands out a
   port that a listener holds, so the clash only happens when the agent restarts).
2. The process (argv[0] + comm = NAME) listens on --listen (like observer's 2882), narrows this
   host's net.ipv4.ip_local_port_range to `P P`, connects to --remote (default its own listener on
   127.0.0.1) so the connection's local port is P (connect(), not bind()), then sets the
   OceanBase-style range `3500 65535`.
3. With --home, the agent is started again: its child cannot bind P and the alert fires.
It prints one JSON line: {"fault", "pid", "name", "local_port", "local", "remote", "listen_port",
"original_range", "range", "agent"}. Every --recycle seconds the connection is closed and opened
again (a connection pool): the server side closes first, so no TIME_WAIT stays on P; once P is in
net.ipv4.ip_local_reserved_ports the new connection gets another port. Recycles are logged to stderr.
On SIGTERM: close everything, restore the original ip_local_port_range, exit 0.
Standard library only.
"""
import argparse
import errno
import json
import os
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import agent_ctl, rename  # noqa: E402  pylint: disable=wrong-import-position
RANGE = "/proc/sys/net/ipv4/ip_local_port_range"
WIDE = "3500 65535"




def read_range():
    with open(RANGE) as fh:
        return " ".join(fh.read().split())


def write_range(value):
    with open(RANGE, "w") as fh:
        fh.write(value + "\n")



def log(msg):
    sys.stderr.write("%s observer-fault: %s\n" % (time.strftime("%Y-%m-%dT%H:%M:%S"), msg))
    sys.stderr.flush()


class Pool:
    def __init__(self, listener, remote, own):
        self.listener, self.remote, self.own = listener, remote, own
        self.client = self.server = None

    def connect(self):
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # no SO_REUSEADDR, like a client
        client.connect(self.remote)
        self.client = client
        if self.own:  # our own listener: accept the other end (observer to observer)
            self.server, _ = self.listener.accept()
        return client.getsockname()

    def close(self):
        if self.server is not None:  # the peer closes first: TIME_WAIT stays on its side
            self.server.close()
            self.server = None
            try:
                self.client.settimeout(2)
                self.client.recv(1)
            except OSError:
                pass
        if self.client is not None:
            self.client.close()
            self.client = None


def connect_when_free(pool, stop, wait=75.0):
    """Connect once P can be an ephemeral port. The kernel refuses (EADDRNOTAVAIL) while TIME_WAIT
    sockets of the agent's former listener still sit on P (up to 60 s after, say, a health probe)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return pool.connect()
        except OSError as exc:
            if exc.errno != errno.EADDRNOTAVAIL or time.monotonic() > deadline or stop["flag"]:
                raise
            time.sleep(1)


def main():
    p = argparse.ArgumentParser(description="observer holding an agent port as ephemeral port")
    p.add_argument("--port", type=int, default=62888)
    p.add_argument("--name", default="observer")
    p.add_argument("--listen", type=int, default=2882)
    p.add_argument("--remote", default=None, help="HOST:PORT (default 127.0.0.1:<listen>)")
    p.add_argument("--recycle", type=float, default=20.0)
    p.add_argument("--home", default=None, help="agent home: stop it before, start it after")
    p.add_argument("--no-agent-start", action="store_true",
                   help="with --home: stop the agent but do not start it again")
    a = p.parse_args()
    if not 1024 <= a.port <= 65535:
        p.error("--port out of range: %d" % a.port)
    if a.recycle <= 0:
        p.error("--recycle must be > 0")
    rename(a.name)
    out = {"fault": "ephemeral", "pid": os.getpid(), "name": a.name}
    original = read_range()
    out["original_range"] = original
    stop = {"flag": False}
    signal.signal(signal.SIGTERM, lambda *_: stop.update(flag=True))
    signal.signal(signal.SIGINT, lambda *_: stop.update(flag=True))
    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("0.0.0.0", a.listen))
    listener.listen(16)
    if a.remote:
        host, _, port = a.remote.rpartition(":")
        remote = (host, int(port))
    else:
        remote = ("127.0.0.1", a.listen)
    pool = Pool(listener, remote, a.remote is None)
    agent = None
    try:
        if a.home:
            rc, text = agent_ctl(a.home, "stop")
            agent = {"home": a.home, "stop_rc": rc, "stop": text}
        try:
            write_range("%d %d" % (a.port, a.port))
            local = connect_when_free(pool, stop)
        finally:
            write_range(WIDE)
        out.update({"local_port": local[1], "local": "%s:%d" % local,
                    "remote": "%s:%d" % remote, "listen_port": a.listen, "range": WIDE})
        if a.home and not a.no_agent_start:
            rc, text = agent_ctl(a.home, "start")
            agent.update(start_rc=rc, start=text)
        out["agent"] = agent
    except OSError as exc:
        write_range(original)
        out["error"] = "%s: %s" % (type(exc).__name__, exc)
        out["agent"] = agent
        print(json.dumps(out), flush=True)
        return 1
    print(json.dumps(out), flush=True)
    next_recycle = time.time() + a.recycle
    while not stop["flag"]:
        time.sleep(0.1)
        if time.time() >= next_recycle and not stop["flag"]:
            pool.close()
            try:
                local = pool.connect()
                log("recycled connection: local %s:%d -> %s:%d" % (local + remote))
            except OSError as exc:
                log("reconnect failed: %s" % exc)
            next_recycle = time.time() + a.recycle
    pool.close()
    listener.close()
    write_range(original)
    return 0


if __name__ == "__main__":
    sys.exit(main())
