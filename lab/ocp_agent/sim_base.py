"""OCP-Agent simulator: names, ports and paths of both agent generations, /proc helpers, log lines.

Standard library only; copied with ocp_agent_sim.py into <home>/lib/ by install.py.
"""

import datetime
import json
import os
import time

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
