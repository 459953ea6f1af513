#!/usr/bin/python3
"""Fault: a supervisor that restarts its listener child on PORT whenever it dies (after 0.2 s, or --delay).

    respawner.py PORT [--name SUPERVISOR_NAME (default supervise-http)]
                      [--child-name NAME (default rogue-http)] [--address A] [--delay SECONDS]

The supervisor renames itself (argv[0] + comm), starts rogue_listener.py PORT as its child and, once
the child listens, prints one JSON line: {"fault", "pid", "name", "port", "child_pid", "child_name"}.
A child that dies is started again after --delay seconds (default 0.2; a child that cannot bind is
retried the same way). A delay longer than a remediation's watch of the freed port is the supervisor
that watch cannot see.
On SIGTERM the supervisor stops the child (TERM, KILL after 3 s) and exits 0. Standard library only.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import PY, rename  # noqa: E402  pylint: disable=wrong-import-position
HERE = os.path.dirname(os.path.abspath(__file__))
RESTART_DELAY = 0.2




def main():
    p = argparse.ArgumentParser(description="a supervisor that keeps a listener on PORT alive")
    p.add_argument("port", type=int)
    p.add_argument("--name", default="supervise-http", help="the supervisor's process name")
    p.add_argument("--child-name", default="rogue-http", help="the listener child's process name")
    p.add_argument("--address", default="0.0.0.0")
    p.add_argument("--delay", type=float, default=RESTART_DELAY, help="seconds before a dead child is restarted")
    a = p.parse_args()
    if not 0 <= a.delay <= 3600:
        p.error("--delay out of range: %s" % a.delay)
    if not 0 < a.port < 65536:
        p.error("PORT out of range: %d" % a.port)
    rename(a.name)
    state = {"stop": False, "child": None}

    def term(*_):
        state["stop"] = True

    signal.signal(signal.SIGTERM, term)
    signal.signal(signal.SIGINT, term)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    argv = [PY, "-I", os.path.join(HERE, "rogue_listener.py"), str(a.port), "--name",
            a.child_name, "--address", a.address]

    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    state["child"] = child
    first = json.loads(child.stdout.readline() or b"{}")
    child.stdout.close()
    out = {"fault": "respawner", "pid": os.getpid(), "name": a.name, "port": a.port,
           "child_pid": child.pid, "child_name": a.child_name}
    if "error" in first:
        out["child_error"] = first["error"]
    print(json.dumps(out), flush=True)
    restarts = 0
    while not state["stop"]:
        if child.poll() is not None:
            time.sleep(a.delay)
            if state["stop"]:
                break
            child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
            restarts += 1
            sys.stderr.write("%s: restarted %s on port %d as pid %d (restart %d)\n"
                             % (a.name, a.child_name, a.port, child.pid, restarts))
            sys.stderr.flush()
        time.sleep(0.05)
    if child.poll() is None:
        child.terminate()
        try:
            child.wait(3)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
