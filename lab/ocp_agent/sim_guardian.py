"""OCP-Agent simulator: the guardian ocp_agentd (respawn, give-up, the no_port_mapping_for_exporter alert).

Standard library only; copied with ocp_agent_sim.py into <home>/lib/ by install.py.
"""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from sim_base import (ALARM, GUARDIAN, QUICK_EXIT_LIMIT, QUICK_EXIT_SECONDS, RESTART_DELAY, TEMPLATE, alive,
                      log_line, now_ts, pid_listens, read_pid, set_comm, utc_rfc3339, write_file)


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
