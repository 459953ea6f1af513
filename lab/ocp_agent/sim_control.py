"""OCP-Agent simulator: what the control scripts do (start, stop, status, info, recover).

Standard library only; copied with ocp_agent_sim.py into <home>/lib/ by install.py.
"""

import json
import os
import signal
import subprocess
import time

from sim_base import ALARM, GUARDIAN, STOP_TIMEOUT, alive, pid_listens, read_pid


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
    # Processes of this home that the pid files do not know (e.g. a stale pid file), the guardian's
    # look-alikes too: a child it forked as it died looks like it until it execs, and would then come up
    # on its port after the stop. Once more for a child that exec'd during the first round.
    for dummy in range(2):
        targets += [(name, pid) for name, pid in home.scan() if (name, pid) not in targets]
        if not targets:
            break
        stopped += _terminate(targets)
        targets = []
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
