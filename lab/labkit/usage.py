"""What each lab host costs the machine: its processes (everything in the host's PID namespace, plus
the unshare that holds it), their proportional memory (PSS, shared pages split between sharers) and
their CPU time, the processes that ended included. `labctl.py status` and benchmarks/bench_fleet.py
report it."""
import os

from labkit.state import alive

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _pid_namespace(pid):
    try:
        return os.readlink("/proc/%s/ns/pid" % pid)
    except OSError:
        return None


def _pss_kib(pid):
    try:
        with open("/proc/%s/smaps_rollup" % pid) as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def cpu_seconds(pid):
    """CPU time of pid and of the children it waited for (a module's python, an ssh session, ...): the
    CPU of short-lived processes stays counted in a live ancestor (at the latest the host's init)."""
    try:
        with open("/proc/%s/stat" % pid) as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:15]) / CLOCK_TICKS  # utime stime cutime cstime
    except (OSError, ValueError, IndexError):
        return 0.0


def host_usage(state):
    """{host: {"processes": n, "pss_kib": KiB, "cpu_seconds": s}} for every running host of the state,
    from one pass over /proc."""
    hosts = {name: rec for name, rec in (state.get("hosts") or {}).items() if alive(rec.get("init"))}
    by_ns = {_pid_namespace(rec["init"]["pid"]): name for name, rec in hosts.items()}
    members = {name: [rec["unshare"]["pid"]] if alive(rec.get("unshare")) else [] for name, rec in hosts.items()}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            name = by_ns.get(_pid_namespace(entry))
            if name is not None:
                members[name].append(int(entry))
    return {name: {"processes": len(pids), "pss_kib": sum(_pss_kib(p) for p in pids),
                   "cpu_seconds": round(sum(cpu_seconds(p) for p in pids), 2)}
            for name, pids in members.items()}
