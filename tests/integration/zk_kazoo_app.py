"""An application that holds N real ZooKeeper sessions with kazoo, for the runbook's end-to-end tests.

    zk_kazoo_app.py --server 198.18.0.14:2181 --sessions 17 [--gap 0.04] [--session-timeout 30]

Runs inside a lab host (tests start it in client1 with the checkout's .venv python). Each session is a
KazooClient pinned to the one server (so it counts against that server's maxClientCnxns) and kept alive
by kazoo's own pings; it sends no request, like a client that holds a connection pool. Every connection
state change (SUSPENDED, LOST, CONNECTED) is recorded per session.

Prints one JSON line once the sessions are opened:
  {"pid", "opened", "refused", "session_ids"}
and on SIGTERM one more before it closes them:
  {"final": true, "sessions": [{"session_id", "state", "changes": [state, ...]}]}
"""
import argparse
import json
import logging
import os
import signal
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.handlers.threading import KazooTimeoutError


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    ap.add_argument("--server", required=True, help="HOST:PORT of the one server to hold sessions on")
    ap.add_argument("--sessions", type=int, required=True)
    ap.add_argument("--gap", type=float, default=0.04, help="seconds between two connects (a burst overshoots)")
    ap.add_argument("--session-timeout", type=float, default=30.0)
    ap.add_argument("--connect-timeout", type=float, default=4.0)
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.CRITICAL)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *x: stop.set())
    signal.signal(signal.SIGINT, lambda *x: stop.set())

    sessions, refused = [], 0
    for dummy in range(a.sessions):
        client = KazooClient(hosts=a.server, timeout=a.session_timeout, connection_retry={"max_tries": 0})
        changes = []
        client.add_listener(lambda state, changes=changes: changes.append(str(state)))
        try:
            client.start(timeout=a.connect_timeout)
        except KazooTimeoutError:
            refused += 1
            client.stop()
            client.close()
            continue
        sessions.append((client, changes, "0x%x" % client.client_id[0]))
        time.sleep(a.gap)
    for dummy, changes, dummy2 in sessions:
        del changes[:]  # the CONNECTED of the start itself is not a change
    print(json.dumps({"pid": os.getpid(), "opened": len(sessions), "refused": refused,
                      "session_ids": [sid for dummy, dummy2, sid in sessions]}), flush=True)
    while not stop.wait(0.5):
        pass
    final = [{"session_id": sid, "state": str(client.state), "now_id": "0x%x" % (client.client_id or (0,))[0],
              "changes": list(changes)} for client, changes, sid in sessions]
    print(json.dumps({"final": True, "sessions": final}), flush=True)
    for client, dummy, dummy2 in sessions:
        client.stop()
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
