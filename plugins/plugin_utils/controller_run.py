# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run on the controller: the ansible-playbook process that runs the play, named so that another run
on the same controller can prove it is gone, and the run id and owner token derived from it.

Action plugins run in worker processes forked from that process, so it is the worker's parent.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import socket
import time

PROC = "/proc"


class RunUnknown(Exception):
    """The controller process cannot be identified (its parent is gone, or /proc is missing)."""


def _read(path, limit=4096):
    with open(path, "rb") as handle:
        return handle.read(limit).decode("utf-8", "replace")


def stat_fields(pid, proc=PROC):
    """Fields 3.. of /proc/PID/stat (state first), or None when there is no such process."""
    try:
        data = _read(os.path.join(proc, str(pid), "stat"))
    except (FileNotFoundError, ProcessLookupError):
        return None
    # comm may hold spaces and parentheses: the fields start after the last ')'.
    return data.rsplit(")", 1)[1].split()


def boot_time(proc=PROC):
    for line in _read(os.path.join(proc, "stat"), 1 << 20).splitlines():
        if line.startswith("btime "):
            return int(line.split()[1])
    raise RunUnknown("%s/stat has no btime" % proc)


def current(proc=PROC, pid=None):
    """Identity of the ansible-playbook process running this worker: hostname, boot_id, pid_ns, pid,
    start_ticks (start time in clock ticks since boot, which tells a reused pid apart) and started_at."""
    if not os.path.isdir(os.path.join(proc, "self")):
        raise RunUnknown("this controller has no %s: the lock and the run id need a Linux controller" % proc)
    pid = pid or os.getppid()
    # A worker whose ansible-playbook died is adopted by pid 1; pid 1 is the run only when it is
    # ansible-playbook itself (a container started with it as its command).
    if pid == 1 and "ansible" not in _read(os.path.join(proc, "1", "cmdline")):
        raise RunUnknown("the worker's parent process is gone")
    fields = stat_fields(pid, proc)
    if fields is None:
        raise RunUnknown("process %d is gone" % pid)
    ticks = int(fields[19])
    started = boot_time(proc) + ticks // os.sysconf("SC_CLK_TCK")
    try:
        boot = _read(os.path.join(proc, "sys", "kernel", "random", "boot_id"), 64).strip()
        pid_ns = os.readlink(os.path.join(proc, str(pid), "ns", "pid"))
    except OSError as exc:
        raise RunUnknown("cannot read the controller's identity: %s" % exc)
    return {
        "hostname": socket.gethostname(), "boot_id": boot, "pid_ns": pid_ns, "pid": pid,
        "start_ticks": ticks, "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
    }


def token(identity):
    """The run's owner token: the same for every task and host of one ansible-playbook run, different
    for any other run (another process, another start, another controller)."""
    text = "|".join(str(identity[k]) for k in ("hostname", "boot_id", "pid_ns", "pid", "start_ticks"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def run_id(identity):
    """Default run id: when the ansible-playbook run started (UTC) and its pid, so all hosts and all
    serial batches of one run share one folder and two runs started in the same second do not."""
    return "%s-%d" % (identity["started_at"].replace("-", "").replace(":", ""), identity["pid"])


def gone(recorded, here, proc=PROC):
    """Why the run named by `recorded` (an identity as written into a lock) is provably gone, or None
    when it may still run: it runs on another controller, boot or pid namespace, or its process lives."""
    keys = ("hostname", "boot_id", "pid_ns")
    if not isinstance(recorded, dict) or not all(recorded.get(k) and recorded.get(k) == here.get(k) for k in keys):
        return None
    pid, ticks = recorded.get("pid"), recorded.get("start_ticks")
    if not isinstance(pid, int) or not isinstance(ticks, int) or isinstance(pid, bool) or pid <= 0:
        return None
    who = "its ansible-playbook process (pid %d on %s, started %s)" % (pid, here["hostname"], recorded.get("started_at") or "?")
    fields = stat_fields(pid, proc)
    if fields is None:
        return "%s is gone" % who
    if int(fields[19]) != ticks:
        return "%s is gone: pid %d now belongs to a process started later" % (who, pid)
    if fields[0] in ("Z", "X"):
        return "%s is gone: it has exited" % who
    return None
