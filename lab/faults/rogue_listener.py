#!/usr/bin/python3
"""Fault: a foreign process listening on PORT (default name `rogue-http`).

    rogue_listener.py PORT [--name NAME] [--address A] [--home AGENT_HOME]

Runs in the foreground until SIGTERM. The process renames itself (argv[0] and /proc/self/comm = NAME,
same pid), binds A:PORT (default 0.0.0.0) and answers HTTP 200 on `/` (404 elsewhere). As soon as it
listens it prints one JSON line: {"fault", "pid", "name", "port", "address"}. On SIGTERM it closes the
socket and exits 0. If the port cannot be bound it prints {"fault", "error", ...} and exits 1.
With --home the agent is stopped through its own control script first (a running agent holds the
port) and started again once the rogue listens: its child then cannot bind, as on a real host where a
program grabbed the port while the agent was down.
Standard library only.
"""
import argparse
import http.server
import json
import os
import signal
import socketserver
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultlib import agent_ctl, rename  # noqa: E402  pylint: disable=wrong-import-position




class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def handler_for(name):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = name

        def log_message(self, fmt, *args):
            pass

        def do_GET(self):
            code, body = (200, "hello from %s\n" % name) if self.path == "/" else (404, "no\n")
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
    return Handler


def main():
    p = argparse.ArgumentParser(description="a foreign process listening on PORT")
    p.add_argument("port", type=int)
    p.add_argument("--name", default="rogue-http")
    p.add_argument("--address", default="0.0.0.0")
    p.add_argument("--home", default=None, help="agent home: stop it before, start it after")
    a = p.parse_args()
    if not 0 < a.port < 65536:
        p.error("PORT out of range: %d" % a.port)
    rename(a.name)
    out = {"fault": "rogue_listener", "pid": os.getpid(), "name": a.name, "port": a.port,
           "address": a.address}
    if a.home:
        rc, text = agent_ctl(a.home, "stop")
        out["agent"] = {"home": a.home, "stop_rc": rc, "stop": text}
    try:
        server = Server((a.address, a.port), handler_for(a.name))
    except OSError as exc:
        out["error"] = "listen tcp %s:%d: bind: %s" % (a.address, a.port, exc.strerror or exc)
        if a.home:
            agent_ctl(a.home, "start")
        print(json.dumps(out), flush=True)
        return 1
    if a.home:
        rc, text = agent_ctl(a.home, "start")
        out["agent"].update(start_rc=rc, start=text)

    def term(*_):
        server.socket.close()
        os._exit(0)

    signal.signal(signal.SIGTERM, term)
    signal.signal(signal.SIGINT, term)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    print(json.dumps(out), flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
