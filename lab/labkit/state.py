"""lab/.state/lab.json (what `up` made: pids and start times, spec, alert URL) and process identity.

A pid alone may be reused; a (pid, start time) pair names one process, so `down` signals only what the
lab started."""
import json
import os
import threading
import time

from labkit.base import STATE, STATE_FILE

# `up` sets hosts up in threads: whoever changes the state dict holds this while changing and writing it
STATE_LOCK = threading.RLock()


def read_state():
    try:
        with open(STATE_FILE) as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None


def write_state(state):
    with STATE_LOCK:
        os.makedirs(STATE, exist_ok=True)
        tmp = STATE_FILE + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(state, fh, indent=2, sort_keys=True)
        os.replace(tmp, STATE_FILE)


def proc_start(pid):
    """start time of pid (clock ticks since boot) or None: with the pid it identifies a process."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            data = fh.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = data[data.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def proc_ident(pid):
    return {"pid": pid, "start": proc_start(pid)}


def alive(ident):
    return bool(ident) and ident.get("pid") and proc_start(ident["pid"]) == ident.get("start") \
        and ident.get("start") is not None


def wait_gone(ident, timeout):
    deadline = time.time() + timeout
    while alive(ident):
        if time.time() > deadline:
            return False
        time.sleep(0.05)
    return True


def signal_ident(ident, sig):
    if alive(ident):
        try:
            os.kill(ident["pid"], sig)
        except ProcessLookupError:
            pass
