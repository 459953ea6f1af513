"""zk-writes: a steady ZooKeeper writer that records every acknowledged write.

    lab/inject zk-writes CLIENT_HOST --servers zk1,zk2,zk3 --log PATH [--interval 0.05] [--root /lab-writes]

Runs on a client host (kazoo, the project's virtualenv). Creates sequential znodes
<root>/<run>/w-NNNNNNNNNN one after another and, for every create the ensemble ACKNOWLEDGED (kazoo
returned the path), appends {"path", "value", "t"} to PATH (a JSON line, flushed and fsynced) before
the next write. Connection states and failed writes (which may or may not have been applied) go to
the event log (--events, default PATH.events) as {"event": ..., "t": ...}. PATH is a file of the
checkout (e.g. lab/.state/zk-writes.jsonl): the controller reads it directly.

Prints one JSON line after the first acknowledged write:
  {"fault": "zk-writes", "pid": ..., "servers": ..., "root": ..., "log": ..., "events": ...}
then keeps writing. On SIGTERM it stops writing, closes the session, appends a "stopped" event with
the counts and exits 0. The znodes stay (they are the evidence; `lab-down` removes the lab's data),
unless --cleanup is given.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import KazooException
from kazoo.handlers.threading import KazooTimeoutError


def main(argv):
    ap = argparse.ArgumentParser(prog="zk-writes", description=__doc__.split("\n\n")[0])
    ap.add_argument("--servers", required=True, help="comma-separated ZooKeeper hosts (names or addresses)")
    ap.add_argument("--port", type=int, default=2181)
    ap.add_argument("--log", required=True, help="where acknowledged writes are appended (JSON lines)")
    ap.add_argument("--events", help="connection-state log (default LOG.events)")
    ap.add_argument("--interval", type=float, default=0.05, help="seconds between writes")
    ap.add_argument("--root", default="/lab-writes")
    ap.add_argument("--session-timeout", type=float, default=10.0)
    ap.add_argument("--cleanup", action="store_true", help="delete the run's znodes on SIGTERM")
    a = ap.parse_args(argv)
    log_path = os.path.abspath(a.log)
    events_path = os.path.abspath(a.events or a.log + ".events")
    os.makedirs(os.path.dirname(log_path), exist_ok=True)
    os.makedirs(os.path.dirname(events_path), exist_ok=True)
    hosts = ",".join("%s:%d" % (h.strip(), a.port) for h in a.servers.split(",") if h.strip())
    run_root = "%s/%s-%d" % (a.root.rstrip("/"), time.strftime("%Y%m%dT%H%M%S"), os.getpid())

    lock = threading.Lock()
    events = open(events_path, "a", buffering=1)

    def event(kind, **kw):
        kw.update({"event": kind, "t": time.time()})
        with lock:
            events.write(json.dumps(kw, sort_keys=True) + "\n")
            events.flush()
            os.fsync(events.fileno())

    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *x: stopping.set())
    signal.signal(signal.SIGINT, lambda *x: stopping.set())

    zk = KazooClient(hosts=hosts, timeout=a.session_timeout, connection_retry={"max_tries": -1, "delay": 0.2,
                                                                               "max_delay": 1.0})
    zk.add_listener(lambda state: event("state", state=str(state)))
    event("starting", servers=hosts, root=run_root)
    while not stopping.is_set():
        try:
            zk.start(timeout=15)
            break
        except KazooTimeoutError:
            event("connect_timeout")
    if stopping.is_set():
        return 0
    zk.ensure_path(run_root)
    acked = failed = 0
    announced = False
    with open(log_path, "a") as out:
        seq = 0
        while not stopping.is_set():
            seq += 1
            value = "v%d-%d-%.6f" % (os.getpid(), seq, time.time())
            try:
                path = zk.create(run_root + "/w-", value.encode(), sequence=True)
            except (KazooException, KazooTimeoutError) as exc:
                failed += 1
                event("write_failed", value=value, error=type(exc).__name__, state=str(zk.state))
                time.sleep(0.1)
                continue
            out.write(json.dumps({"path": path, "value": value, "t": time.time()}) + "\n")
            out.flush()
            os.fsync(out.fileno())
            acked += 1
            if not announced:
                announced = True
                print(json.dumps({"fault": "zk-writes", "pid": os.getpid(), "servers": hosts, "root": run_root,
                                  "log": log_path, "events": events_path}), flush=True)
            stopping.wait(a.interval)
    if a.cleanup and zk.state == KazooState.CONNECTED:
        try:
            zk.delete(run_root, recursive=True)
        except KazooException as exc:
            event("cleanup_failed", error=type(exc).__name__)
    event("stopped", acknowledged=acked, failed=failed)
    zk.stop()
    zk.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
