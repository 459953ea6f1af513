#!/usr/bin/python3
"""OCP-Agent simulator: guardian, children and control scripts of both agent generations.

Standard library only. install.py copies this file to <home>/lib/ocp_agent_sim.py; the control
scripts (<home>/ocp_agent_ctl.py for the legacy agent, <home>/bin/ocp_agentctl for the Go-style
agent) import it from there. Processes are started as `/usr/bin/python3` with argv[0] set to the real
process name and /proc/self/comm rewritten, so /proc shows `ocp_agentd`, `pos_proxy`, ... like a real
host. See README.md next to this file for the contract.
"""

import datetime
import errno
import http.server
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import time
import urllib.error
import urllib.request

ALARM = "no_port_mapping_for_exporter"
TEMPLATE = "service=OCP:svr_ip={ip} No listening port is available for the exporters."
GUARDIAN = "ocp_agentd"
QUICK_EXIT_SECONDS = 3.0
QUICK_EXIT_LIMIT = 3
RESTART_DELAY = 0.5
STOP_TIMEOUT = 5.0

# name -> port, metrics/health path, kind
SERVICES = {
    "legacy": [
        ("pos_proxy", 62888, "/", "pos_proxy"),
        ("ocp_exporter", 62889, "/metrics/stat", "ocp_exporter"),
        ("node_exporter", 63000, "/metrics", "node_exporter"),
    ],
    "agentctl": [
        ("ocp_mgragent", 62888, "/api/v1/status", "mgragent"),
        ("ocp_monagent", 62889, "/metrics/node/host", "monagent"),
    ],
}
NODE_EXPORTER_BIN = "/usr/bin/prometheus-node-exporter"
NODE_EXPORTER_ARGS = ["--web.listen-address=:63000", "--no-collector.systemd",
                      "--no-collector.diskstats"]


# ---------------------------------------------------------------- small helpers

def now_ts(t=None):
    """Go-agent style local timestamp: 2026-11-21T10:15:30.123+08:00."""
    dt = datetime.datetime.fromtimestamp(time.time() if t is None else t).astimezone()
    return dt.isoformat(timespec="milliseconds")


def utc_rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def _q(value):
    text = str(value)
    if text == "" or any(c in text for c in ' "=\t\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


def log_line(path, level, msg, **fields):
    """Append one line: `<ts> level=<lvl> msg="..." k=v ...` (logfmt after the timestamp)."""
    parts = [now_ts(), "level=" + level, "msg=" + _q(msg)]
    parts += ["%s=%s" % (k, _q(v)) for k, v in fields.items()]
    line = " ".join(parts) + "\n"
    with open(path, "a") as fh:
        fh.write(line)


def set_comm(name):
    try:
        with open("/proc/self/comm", "w") as fh:
            fh.write(name[:15])
    except OSError:
        pass


def read_comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as fh:
            return fh.read().strip()
    except (OSError, ValueError):
        return None


def pid_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as fh:
            data = fh.read()
        return data[data.rindex(")") + 2]
    except (OSError, ValueError, IndexError):
        return None


def alive(pid, name=None):
    """True if pid runs (not a zombie) and, when name is given, its comm is name."""
    if not pid:
        return False
    state = pid_state(pid)
    if state is None or state in "ZX":
        return False
    return name is None or read_comm(pid) == name[:15]


def read_pid(path):
    try:
        with open(path) as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def write_file(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def listening_inodes(port):
    """Inodes of TCP sockets in LISTEN on port (IPv4 and IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as fh:
                next(fh)
                for line in fh:
                    f = line.split()
                    if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                        inodes.add(f[9])
        except (OSError, StopIteration):
            continue
    return inodes


def pid_listens(pid, port):
    inodes = listening_inodes(port)
    if not inodes:
        return False
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return False
    for fd in fds:
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            return True
    return False


class Home:
    def __init__(self, home):
        self.home = os.path.abspath(home)
        self.conf = self.load_conf()
        self.flavor = self.conf["flavor"]
        self.services = SERVICES[self.flavor]

    def load_conf(self):
        with open(os.path.join(self.home, "conf", "agent.json")) as fh:
            return json.load(fh)

    def path(self, *parts):
        return os.path.join(self.home, *parts)

    def log(self, name):
        return self.path("log", name + ".log")

    def pidfile(self, name):
        return self.path("run", name + ".pid")

    @property
    def lib(self):
        return self.path("lib", "ocp_agent_sim.py")

    @property
    def python(self):
        return self.conf.get("python") or "/usr/bin/python3"

    def port_of(self, name):
        for svc in self.services:
            if svc[0] == name:
                return svc[1]
        raise KeyError(name)

    def argv(self, name):
        """(executable, argv) to start process `name` of this home."""
        if name == "node_exporter":
            exe = self.path("bin", "node_exporter")
            return exe, [exe] + NODE_EXPORTER_ARGS
        args = [name, "-I", self.lib, "guardian" if name == GUARDIAN else "child",
                "--home", self.home]
        if name != GUARDIAN:
            args += ["--name", name]
        return self.python, args

    def is_ours(self, pid, name):
        """pid is process `name` of this home (comm + cmdline)."""
        if not alive(pid, name):
            return False
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            return False
        if name == "node_exporter":
            return argv[0].decode(errors="replace") == self.path("bin", "node_exporter")
        return argv[0].decode(errors="replace") == name and self.lib.encode() in argv

    def scan(self):
        """All processes of this home found in /proc: list of (name, pid)."""
        names = [GUARDIAN] + [s[0] for s in self.services]
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            if pid == os.getpid():
                continue
            comm = read_comm(pid)
            if comm in names and self.is_ours(pid, comm):
                found.append((comm, pid))
        return sorted(found, key=lambda x: (names.index(x[0]), x[1]))


# ---------------------------------------------------------------- children

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


# ---------------------------------------------------------------- guardian

class Service:
    def __init__(self, name, port):
        self.name, self.port = name, port
        self.pid = None
        self.proc = None          # Popen when we started it, None when adopted
        self.started = 0.0
        self.quick = 0
        self.given_up = False
        self.bind_failed = False  # failed to bind and has not bound since
        self.bound = False
        self.next_start = 0.0
        self.log_offset = 0


class Guardian:
    def __init__(self, home):
        self.home = home
        self.logf = home.log(GUARDIAN)
        self.interval = float(home.conf.get("check_interval", 60))
        self.svcs = [Service(s[0], s[1]) for s in home.services]
        self.stopping = False
        self.alert = self._load_alert()
        self.next_alert = 0.0

    def log(self, level, msg, **kw):
        log_line(self.logf, level, msg, **kw)

    # -- alert state survives guardian restarts (an agent restart clears it once ports are bound)
    def _load_alert(self):
        try:
            with open(self.home.path("run", "alert.json")) as fh:
                return json.load(fh)
        except (OSError, ValueError):
            return None

    def _save_alert(self):
        path = self.home.path("run", "alert.json")
        if self.alert is None:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        else:
            write_file(path, json.dumps(self.alert))

    def spawn(self, svc):
        try:
            svc.log_offset = os.path.getsize(self.home.log(svc.name))
        except OSError:
            svc.log_offset = 0
        exe, argv = self.home.argv(svc.name)
        out = open(self.home.log(svc.name), "a")
        try:
            svc.proc = subprocess.Popen(argv, executable=exe, stdin=subprocess.DEVNULL, stdout=out,
                                        stderr=out, close_fds=True, cwd=self.home.home)
        except OSError as exc:
            self.log("error", "start service failed", service=svc.name, err=str(exc))
            svc.proc, svc.pid = None, None
            svc.next_start = time.time() + RESTART_DELAY
            return
        finally:
            out.close()
        svc.pid = svc.proc.pid
        svc.started = time.time()
        svc.bound = False
        write_file(self.home.pidfile(svc.name), "%d\n" % svc.pid)
        self.log("info", "service started", service=svc.name, pid=svc.pid)

    def adopt(self):
        for svc in self.svcs:
            pid = read_pid(self.home.pidfile(svc.name))
            if pid and self.home.is_ours(pid, svc.name):
                svc.pid, svc.started = pid, time.time() - QUICK_EXIT_SECONDS
                self.log("info", "adopted running service", service=svc.name, pid=pid)

    def exited(self, svc):
        """Return exit status if svc's process has ended (None while it runs)."""
        if svc.proc is not None:
            return svc.proc.poll()
        if not alive(svc.pid, svc.name):
            return "unknown"
        return None

    def bind_error_since_start(self, svc):
        try:
            with open(self.home.log(svc.name), "rb") as fh:
                fh.seek(svc.log_offset)
                text = fh.read().decode(errors="replace")
        except OSError:
            return False
        return "bind: address already in use" in text or "bind: " in text

    def check(self):
        now = time.time()
        for svc in self.svcs:
            if svc.pid:
                status = self.exited(svc)
                if status is None:
                    if not svc.bound and pid_listens(svc.pid, svc.port):
                        svc.bound = True
                        if svc.bind_failed:
                            self.log("info", "service bound its port", service=svc.name,
                                     port=svc.port)
                        svc.bind_failed = False
                    if svc.bound and now - svc.started >= QUICK_EXIT_SECONDS:
                        svc.quick = 0
                    continue
                lived = now - svc.started
                if self.bind_error_since_start(svc):
                    svc.bind_failed = True
                self.log("warn" if status in (0, -15) else "error", "service exited",
                         service=svc.name, pid=svc.pid, code=status, uptime="%.2fs" % lived)
                svc.pid, svc.proc, svc.bound = None, None, False
                try:
                    os.unlink(self.home.pidfile(svc.name))
                except FileNotFoundError:
                    pass
                svc.quick = svc.quick + 1 if lived < QUICK_EXIT_SECONDS else 0
                if svc.quick >= QUICK_EXIT_LIMIT:
                    svc.given_up = True
                    self.log("error", "service exited too quickly, giving up", service=svc.name,
                             exits=svc.quick, hint="restart the agent after fixing the cause")
                    continue
                svc.next_start = now + RESTART_DELAY
            elif not svc.given_up and now >= svc.next_start and not self.stopping:
                self.spawn(svc)
        self.write_state()
        self.alarm(now)

    def write_state(self):
        state = {"pid": os.getpid(), "updated": time.time(), "services": {}}
        for svc in self.svcs:
            state["services"][svc.name] = {
                "pid": svc.pid, "port": svc.port, "bound": svc.bound,
                "given_up": svc.given_up, "bind_failed": svc.bind_failed,
                "quick_exits": svc.quick}
        write_file(self.home.path("run", "guardian.json"), json.dumps(state))

    # -- no_port_mapping_for_exporter
    def alarm(self, now):
        failed = [s for s in self.svcs if s.bind_failed]
        ip = self.home.conf.get("svr_ip", "127.0.0.1")
        text = TEMPLATE.format(ip=ip)
        if failed:
            if self.alert is None:
                self.alert = {"startsAt": now, "services": [s.name for s in failed],
                              "ports": [s.port for s in failed]}
                self.log("error", text, alarm=ALARM, state="firing",
                         services=",".join(self.alert["services"]),
                         ports=",".join(str(p) for p in self.alert["ports"]))
                self._save_alert()
                self.event("firing", now)
                self.next_alert = 0.0
            else:
                names = [s.name for s in failed]
                if names != self.alert["services"]:
                    self.alert["services"] = names
                    self.alert["ports"] = [s.port for s in failed]
                    self._save_alert()
            if now >= self.next_alert:
                self.post(now, now + 3 * self.interval)
                self.next_alert = now + self.interval
        elif self.alert is not None and all(s.bound for s in self.svcs):
            self.log("info", "alarm cleared: " + text, alarm=ALARM, state="resolved")
            self.event("resolved", now)
            self.post(now, now)
            self.alert = None
            self._save_alert()

    def event(self, kind, now):
        rec = {"ts": now_ts(now), "time": now, "event": kind, "alertname": ALARM,
               "svr_ip": self.home.conf.get("svr_ip"), "instance": socket.gethostname(),
               "services": self.alert["services"], "ports": self.alert["ports"],
               "startsAt": utc_rfc3339(self.alert["startsAt"]),
               "summary": TEMPLATE.format(ip=self.home.conf.get("svr_ip"))}
        with open(self.home.path("log", "alerts.jsonl"), "a") as fh:
            fh.write(json.dumps(rec, sort_keys=True) + "\n")

    def post(self, now, ends):
        url = self.home.conf.get("alert_url")
        if not url:
            return
        ip = self.home.conf.get("svr_ip")
        text = TEMPLATE.format(ip=ip)
        body = [{
            "labels": {"alertname": ALARM, "svr_ip": ip, "service": "OCP",
                       "severity": "critical", "instance": socket.gethostname()},
            "annotations": {"summary": text, "description": text,
                            "services": ",".join(self.alert["services"]),
                            "ports": ",".join(str(p) for p in self.alert["ports"]),
                            "ocp_alarm_level": "Stopped"},
            "startsAt": utc_rfc3339(self.alert["startsAt"]),
            "endsAt": utc_rfc3339(ends),
            "generatorURL": "http://%s/ocp_agent" % socket.gethostname(),
        }]
        req = urllib.request.Request(url.rstrip("/") + "/api/v2/alerts",
                                     data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                resp.read()
        except Exception as exc:  # never fatal
            self.log("warn", "push alarm failed", alarm=ALARM, url=url, err=str(exc))

    def run(self):
        set_comm(GUARDIAN)
        os.makedirs(self.home.path("run"), exist_ok=True)
        write_file(self.home.pidfile(GUARDIAN), "%d\n" % os.getpid())
        signal.signal(signal.SIGTERM, self._term)
        signal.signal(signal.SIGINT, self._term)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        self.log("info", "ocp_agentd started", pid=os.getpid(), flavor=self.home.flavor,
                 check_interval=self.interval)
        self.adopt()
        while not self.stopping:
            self.check()
            time.sleep(0.2)
        # like the real guardian: leave the children running
        if read_pid(self.home.pidfile(GUARDIAN)) == os.getpid():
            os.unlink(self.home.pidfile(GUARDIAN))
        self.log("info", "ocp_agentd exiting, services left running",
                 services=",".join("%s:%s" % (s.name, s.pid) for s in self.svcs if s.pid))
        return 0

    def _term(self, *_):
        self.stopping = True


# ---------------------------------------------------------------- control

def guardian_pid(home):
    pid = read_pid(home.pidfile(GUARDIAN))
    if pid and home.is_ours(pid, GUARDIAN):
        return pid
    for name, pid in home.scan():
        if name == GUARDIAN:
            return pid
    return None


def start(home):
    pid = guardian_pid(home)
    if pid:
        return True, {"action": "start", "changed": False, "pid": pid,
                      "note": "ocp_agentd is already running"}
    for d in ("log", "run"):
        os.makedirs(home.path(d), exist_ok=True)
    # a fresh agent start forgets given-up services (the guardian state is per process)
    exe, argv = home.argv(GUARDIAN)
    out = open(home.log(GUARDIAN), "a")
    try:
        proc = subprocess.Popen(argv, executable=exe, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=out, close_fds=True, start_new_session=True,
                                cwd=home.home)
    finally:
        out.close()
    deadline = time.time() + 5
    while time.time() < deadline:
        if read_pid(home.pidfile(GUARDIAN)) == proc.pid:
            break
        if proc.poll() is not None:
            return False, {"action": "start", "changed": False, "pid": None,
                           "note": "ocp_agentd exited with %s, see %s" % (proc.returncode,
                                                                          home.log(GUARDIAN))}
        time.sleep(0.05)
    return True, {"action": "start", "changed": True, "pid": proc.pid,
                  "note": "ocp_agentd started"}


def _terminate(pids, timeout=STOP_TIMEOUT):
    """TERM each (name, pid), KILL what is left after timeout. Returns list of dicts."""
    done = []
    for name, pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
            done.append({"name": name, "pid": pid, "signal": "SIGTERM"})
        except ProcessLookupError:
            pass
    deadline = time.time() + timeout
    while time.time() < deadline and any(alive(d["pid"]) for d in done):
        time.sleep(0.05)
    for d in done:
        if alive(d["pid"]):
            try:
                os.kill(d["pid"], signal.SIGKILL)
                d["signal"] = "SIGKILL"
            except ProcessLookupError:
                pass
    deadline = time.time() + 2
    while time.time() < deadline and any(alive(d["pid"]) for d in done):
        time.sleep(0.05)
    return done


def stop(home):
    stopped = []
    gpid = guardian_pid(home)
    if gpid:  # the guardian first, or it starts the children again
        stopped += _terminate([(GUARDIAN, gpid)])
    targets = []
    for svc in home.services:
        pid = read_pid(home.pidfile(svc[0]))
        if pid and home.is_ours(pid, svc[0]):
            targets.append((svc[0], pid))
    # processes of this home that the pid files do not know (e.g. a stale pid file)
    for name, pid in home.scan():
        if (name, pid) not in targets and name != GUARDIAN:
            targets.append((name, pid))
    stopped += _terminate(targets)
    for name in [GUARDIAN] + [s[0] for s in home.services]:
        try:
            os.unlink(home.pidfile(name))
        except FileNotFoundError:
            pass
    left = [{"name": n, "pid": p} for n, p in home.scan()]
    return not left, {"action": "stop", "changed": bool(stopped), "stopped": stopped,
                      "left": left}


def status(home):
    gpid = guardian_pid(home)
    try:
        with open(home.path("run", "guardian.json")) as fh:
            gstate = json.load(fh)
    except (OSError, ValueError):
        gstate = {}
    if gstate.get("pid") != gpid:
        gstate = {}
    services, ready = {}, bool(gpid)
    running = dict((n, p) for n, p in home.scan())
    for name, port, path, _kind in home.services:
        g = gstate.get("services", {}).get(name, {})
        pid = read_pid(home.pidfile(name))
        if not (pid and home.is_ours(pid, name)):
            pid = running.get(name)
        listening = bool(pid) and pid_listens(pid, port)
        if pid and listening:
            state = "running"
        elif pid:
            state = "starting"
        elif g.get("given_up"):
            state = "given_up"
        else:
            state = "stopped"
        ready = ready and state == "running"
        services[name] = {"pid": pid, "state": state, "ports": [port], "path": path,
                          "listening": listening, "bind_failed": bool(g.get("bind_failed"))}
    dangling = []
    if not gpid:
        dangling = [{"name": n, "pid": p} for n, p in home.scan() if n != GUARDIAN]
    msg = {"ready": ready, "pid": gpid, "state": "running" if gpid else "stopped",
           "flavor": home.flavor, "home": home.home, "services": services,
           "dangling": dangling, "alarm": _alarm(home)}
    return msg


def _alarm(home):
    try:
        with open(home.path("run", "alert.json")) as fh:
            a = json.load(fh)
        return {"alertname": ALARM, "state": "firing", "services": a.get("services"),
                "ports": a.get("ports")}
    except (OSError, ValueError):
        return None


def info(home):
    return {"flavor": home.flavor, "home": home.home, "svr_ip": home.conf.get("svr_ip"),
            "alert_url": home.conf.get("alert_url"),
            "check_interval": home.conf.get("check_interval"),
            "version": home.conf.get("version"), "logs": home.path("log"),
            "services": [{"name": n, "port": p, "path": pa} for n, p, pa, _k in home.services]}


def recover(home):
    """Legacy `recover`: restart only ocp_agentd (it adopts the running children)."""
    stopped = []
    gpid = guardian_pid(home)
    if gpid:
        stopped = _terminate([(GUARDIAN, gpid)])
    ok, msg = start(home)
    msg["stopped"] = stopped
    msg["action"] = "recover"
    return ok, msg


# ---------------------------------------------------------------- entry points

def agentctl_main(home_dir, argv):
    cmds = ("start", "stop", "restart", "status", "info")
    if len(argv) != 1 or argv[0] not in cmds:
        print(json.dumps({"successful": False,
                          "message": "usage: ocp_agentctl %s" % "|".join(cmds)}))
        return 2
    home = Home(home_dir)
    cmd = argv[0]
    if cmd == "start":
        ok, msg = start(home)
    elif cmd == "stop":
        ok, msg = stop(home)
    elif cmd == "restart":
        ok1, m1 = stop(home)
        ok, msg = start(home) if ok1 else (False, {})
        msg = {"action": "restart", "changed": True, "stop": m1, "start": msg}
    elif cmd == "status":
        ok, msg = True, status(home)
    else:
        ok, msg = True, info(home)
    print(json.dumps({"successful": ok, "message": msg}, sort_keys=True))
    return 0 if ok else 1


def legacy_main(home_dir, argv):
    usage = ("usage: python ocp_agent_ctl.py start ocp_agent | stop ocp_agent | info | recover")
    home = Home(home_dir)
    if argv[:1] in (["start"], ["stop"]) and argv[1:] == ["ocp_agent"]:
        if argv[0] == "start":
            ok, msg = start(home)
            print("start ocp_agent: %s (%s, ocp_agentd pid %s)" % (
                "ok" if ok else "failed", msg["note"], msg["pid"]))
        else:
            ok, msg = stop(home)
            for d in msg["stopped"]:
                print("stop %s: pid %d (%s)" % (d["name"], d["pid"], d["signal"]))
            if not msg["stopped"]:
                print("stop ocp_agent: not running")
            for d in msg["left"]:
                print("stop ocp_agent: %s pid %d is still running" % (d["name"], d["pid"]))
            print("stop ocp_agent: %s" % ("ok" if ok else "failed"))
        return 0 if ok else 1
    if argv[:1] in (["start"], ["stop"]) and len(argv) == 2:
        print("%s %s: unknown target (only ocp_agent is simulated)" % (argv[0], argv[1]))
        return 2
    if argv == ["info"]:
        st = status(home)
        print("ocp_agent home: %s (OCP <= 3.1 layout)" % home.home)
        print("svr_ip: %s" % home.conf.get("svr_ip"))
        g = "running (pid %s)" % st["pid"] if st["pid"] else "stopped"
        print("%-14s %s" % (GUARDIAN, g))
        for name, svc in st["services"].items():
            print("%-14s %s pid=%s port=%s path=%s" % (name, svc["state"], svc["pid"],
                                                       svc["ports"][0], svc["path"]))
        return 0
    if argv == ["recover"]:
        ok, msg = recover(home)
        print("recover ocp_agentd: %s (ocp_agentd pid %s)" % ("ok" if ok else "failed", msg["pid"]))
        return 0 if ok else 1
    print(usage, file=sys.stderr)
    return 2


def main(argv):
    # internal entry points, started by the control scripts: guardian | child --name NAME
    import argparse
    p = argparse.ArgumentParser(prog="ocp_agent_sim")
    p.add_argument("role", choices=("guardian", "child"))
    p.add_argument("--home", required=True)
    p.add_argument("--name")
    a = p.parse_args(argv)
    home = Home(a.home)
    if a.role == "guardian":
        os.chdir(home.home)
        return Guardian(home).run()
    return run_child(home, a.name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
