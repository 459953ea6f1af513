"""OCP-Agent simulator: the agent's children (HTTP exporters) and what they answer on their paths.

Standard library only; copied with ocp_agent_sim.py into <home>/lib/ by install.py.
"""

import errno
import http.server
import json
import os
import signal
import socketserver
import time
import urllib.error
import urllib.request

from sim_base import log_line, set_comm


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True  # like Go's net.Listen (SO_REUSEADDR)


def _metrics_host():
    lines = []
    try:
        with open("/proc/loadavg") as fh:
            la = fh.read().split()
        for i, n in enumerate(("1", "5", "15")):
            lines.append('node_load{window="%sm"} %s' % (n, la[i]))
    except OSError:
        pass
    try:
        with open("/proc/uptime") as fh:
            lines.append("node_uptime_seconds %s" % fh.read().split()[0])
    except OSError:
        pass
    return lines


def make_handler(home, name, kind, path, started):
    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = name
        protocol_version = "HTTP/1.0"

        def log_message(self, fmt, *args):  # keep the agent log quiet per request
            pass

        def reply(self, code, body, ctype="text/plain; version=0.0.4"):
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            req = self.path.split("?", 1)[0]
            if req != path:
                return self.reply(404, "404 page not found\n")
            if kind == "pos_proxy":
                return self.reply(200, json.dumps({"service": name, "status": "ok"}) + "\n",
                                  "application/json")
            if kind == "mgragent":
                body = {"successful": True, "message": {
                    "service": name, "state": "running", "pid": os.getpid(),
                    "startAt": int(started * 1000), "svr_ip": home.conf.get("svr_ip")}}
                return self.reply(200, json.dumps(body) + "\n", "application/json")
            lines = ["ocp_agent_up{service=\"%s\"} 1" % name,
                     "ocp_agent_start_time_seconds{service=\"%s\"} %.3f" % (name, started)]
            if kind == "ocp_exporter":
                try:
                    with urllib.request.urlopen("http://127.0.0.1:63000/metrics", timeout=3) as r:
                        ne = r.read().decode(errors="replace")
                except (OSError, urllib.error.URLError) as exc:
                    log_line(home.log(name), "error", "scrape node_exporter failed",
                             target="http://127.0.0.1:63000/metrics", err=str(exc))
                    return self.reply(503, "node_exporter unavailable: %s\n" % exc)
                keep = [ln for ln in ne.splitlines()
                        if ln.startswith(("node_load", "node_memory_MemAvailable", "node_time"))]
                return self.reply(200, "\n".join(lines + keep) + "\n")
            return self.reply(200, "\n".join(lines + _metrics_host()) + "\n")
    return Handler


def run_child(home, name):
    set_comm(name)
    signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    port = home.port_of(name)
    for svc in home.services:
        if svc[0] == name:
            path, kind = svc[2], svc[3]
    logf = home.log(name)
    log_line(logf, "info", "starting service", service=name, pid=os.getpid())
    try:
        server = _Server(("0.0.0.0", port), make_handler(home, name, kind, path, time.time()))
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.EADDRINUSE:
            reason = "address already in use"
        log_line(logf, "error", "start service failed", service=name,
                 err="listen tcp 0.0.0.0:%d: bind: %s" % (port, reason))
        return 1
    log_line(logf, "info", "service listening", service=name, addr="0.0.0.0:%d" % port)
    server.serve_forever()
    return 0
