"""A private "host" for tests: a fresh network + mount + PID namespace with its own pid 1 (unshare),
reached with nsenter, plus the OCP-Agent simulator installed in it. The agent's fixed ports are free
there, sysctls changed inside are the namespace's own (net.ipv4.* are per network namespace), /run and
/etc/sysctl.d are empty tmpfs mounts of its own (a runbook's lock and persisted sysctls stay inside),
and killing its pid 1 ends every process the test started, even when the test fails. Used by the
simulator's tests, the port and agent modules' tests and runbook runs (ansible-playbook inside it).
"""
import contextlib
import json
import os
import shutil
import tempfile
import selectors
import signal
import subprocess
import sys
import time

from tests.support.modrun import run_module

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INSTALL = os.path.join(ROOT, "lab", "ocp_agent", "install.py")
FAULTS = os.path.join(ROOT, "lab", "faults")
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


LAYOUT = {
    "legacy": {"pos_proxy": (62888, "/"), "ocp_exporter": (62889, "/metrics/stat"),
               "node_exporter": (63000, "/metrics")},
    "agentctl": {"ocp_mgragent": (62888, "/api/v1/status"),
                 "ocp_monagent": (62889, "/metrics/node/host")},
}
AGENT_NAMES = {"ocp_agentd", "pos_proxy", "ocp_exporter", "node_exporter", "ocp_mgragent",
               "ocp_monagent"}
TEMPLATE = "service=OCP:svr_ip=198.18.0.21 No listening port is available for the exporters."

# pid 1 of the private host: brings lo up, gives it its own /run and /etc/sysctl.d, and reaps orphans
# (like init), forever. The mount namespace is private (unshare's default), so the machine sees none of it.
INIT = r"""
import os, subprocess, time
subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
for path in ("/run", "/etc/sysctl.d"):
    subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=16m", "tmpfs", path], check=True)
open(os.environ["READY_FILE"], "w").close()
while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(0.2)
"""

# Independent look at the host: every process with comm, argv, ppid, listening and connected ports.
PROBE = r"""
import json, os, sys
def sockets():
    res = {}
    for t in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(t).read().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            f = ln.split()
            res[f[9]] = (f[3], int(f[1].rsplit(":", 1)[1], 16), f[2])
    return res
socks = sockets()
procs = []
for e in os.listdir("/proc"):
    if not e.isdigit():
        continue
    try:
        comm = open("/proc/%s/comm" % e).read().strip()
        argv = [a.decode() for a in open("/proc/%s/cmdline" % e, "rb").read().split(b"\0")[:-1]]
        stat = open("/proc/%s/stat" % e).read()
        state, ppid = stat[stat.rindex(")") + 2], int(stat[stat.rindex(")") + 2:].split()[1])
        fds = os.listdir("/proc/%s/fd" % e)
    except OSError:
        continue
    if state == "Z":
        continue
    listen, conns = [], []
    for fd in fds:
        try:
            tgt = os.readlink("/proc/%s/fd/%s" % (e, fd))
        except OSError:
            continue
        if tgt.startswith("socket:[") and tgt[8:-1] in socks:
            st, port, remote = socks[tgt[8:-1]]
            if st == "0A":
                listen.append(port)
            elif st == "01":
                conns.append({"local_port": port, "remote_port": int(remote.rsplit(":", 1)[1], 16)})
    procs.append({"pid": int(e), "comm": comm, "argv": argv, "ppid": ppid,
                  "listen": sorted(set(listen)), "conns": conns})
rng = " ".join(open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
print(json.dumps({"procs": procs, "port_range": rng}))
"""

HTTP = r"""
import json, sys, urllib.request, urllib.error
out = {}
for url in sys.argv[1:]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            out[url] = r.status
    except urllib.error.HTTPError as e:
        out[url] = e.code
    except OSError as e:
        out[url] = str(e)
print(json.dumps(out))
"""

# A stand-in for Alertmanager's POST /api/v2/alerts: records each body as one JSON line.
RECEIVER = r"""
import datetime, http.server, json, sys
path = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(path, "a") as fh:
            now = datetime.datetime.now(datetime.timezone.utc)
            received = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
            fh.write(json.dumps({"path": self.path, "body": json.loads(body),
                                 "received": received}) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
http.server.HTTPServer(("127.0.0.1", 9093), H).serve_forever()
"""


def wait_for(fn, what, timeout=30.0, interval=0.2):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s (last: %r)" % (what, last))


def only_if(value, predicate):
    """value when it is truthy and predicate(value) holds, else None (for wait_for)."""
    return value if value and predicate(value) else None


class Host:
    """A private network/mount/PID namespace with its own pid 1."""

    def __init__(self, tmp):
        self.tmp = tmp
        ready = os.path.join(tmp, "init.ready")
        self.unshare = subprocess.Popen(
            ["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc", PY, "-c", INIT],
            env=dict(os.environ, READY_FILE=ready), stdin=subprocess.DEVNULL)
        wait_for(lambda: os.path.exists(ready), "the namespace's init", timeout=10)
        children = open("/proc/%d/task/%d/children" % (self.unshare.pid, self.unshare.pid)).read()
        self.init_pid = int(children.split()[0])  # pid of the namespace's pid 1, seen from outside
        self.spawned = []

    def argv(self, argv):
        return ["nsenter", "-t", str(self.init_pid), "-n", "-m", "-p", "--"] + list(argv)

    def module(self, name, args, check_mode=False, diff=True, timeout=120):
        """Run a collection module inside this host, as Ansible would run it there."""
        return run_module(name, args, check_mode=check_mode, diff=diff, prefix=self.argv([]), timeout=timeout)[0]

    def playbook(self, playbook, *args, timeout=600):
        """ansible-playbook run inside this host against itself (group ocp_agents, connection local);
        reports go to <tmp>/reports. Returns the CompletedProcess (stdout and stderr merged)."""
        inventory = os.path.join(self.tmp, "inventory.ini")
        with open(inventory, "w") as handle:
            handle.write("[ocp_agents]\nagent ansible_connection=local ansible_python_interpreter=%s\n" % PY)
        env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
                   ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"),
                   ANSIBLE_LOCAL_TEMP=os.path.join(self.tmp, "ansible-local"),
                   ANSIBLE_REMOTE_TEMP=os.path.join(self.tmp, "ansible-remote"),
                   ALERTOPS_REPORT_DIR=os.path.join(self.tmp, "reports"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0")
        argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
                os.path.join(ROOT, playbook)] + list(args)
        return subprocess.run(self.argv(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, env=env, cwd=self.tmp, timeout=timeout,
                              check=False, universal_newlines=True)

    def run(self, argv, check=True, timeout=60):
        proc = subprocess.run(self.argv(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("%s failed rc=%d\nstdout: %s\nstderr: %s" % (
                argv, proc.returncode, proc.stdout.decode(), proc.stderr.decode()))
        return proc

    def py(self, code, *args):
        return json.loads(self.run([PY, "-c", code] + [str(a) for a in args]).stdout)

    def probe(self):
        return self.py(PROBE)

    def procs(self, comm=None):
        return [p for p in self.probe()["procs"] if comm is None or p["comm"] == comm]

    def http(self, *urls):
        return self.py(HTTP, *urls)

    def spawn(self, argv):
        """Start a long-running program inside; returns (Popen, first stdout line as JSON)."""
        proc = subprocess.Popen(self.argv(argv), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.spawned.append(proc)
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout=30):
            raise AssertionError("%s printed nothing" % argv)
        line = proc.stdout.readline()
        assert line, "%s exited: %s" % (argv, proc.stderr.read().decode())
        return proc, json.loads(line)

    def term(self, inner_pid, proc, timeout=20):
        """SIGTERM a program by its pid inside the namespace; returns its exit code."""
        self.run(["kill", "-TERM", str(inner_pid)])
        return proc.wait(timeout)

    def close(self):
        try:
            os.kill(self.init_pid, signal.SIGKILL)  # pid 1 gone: the kernel kills the namespace
        except ProcessLookupError:
            pass
        self.unshare.wait(10)
        for proc in self.spawned:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
            for f in (proc.stdout, proc.stderr):
                if f is not None:
                    f.close()


class Agent:
    def __init__(self, host, flavor, alert_url=None):
        self.host, self.flavor = host, flavor
        self.home = os.path.join(host.tmp, "ocp_agent")
        args = [PY, INSTALL, "--home", self.home, "--flavor", flavor, "--svr-ip", "198.18.0.21",
                "--check-interval", "1"]
        if alert_url:
            args += ["--alert-url", alert_url]
        self.install_result = json.loads(host.run(args).stdout)
        self.layout = LAYOUT[flavor]

    def ctl(self, cmd, check=True):
        if self.flavor == "legacy":
            argv = [PY, os.path.join(self.home, "ocp_agent_ctl.py"), cmd]
            if cmd in ("start", "stop"):
                argv.append("ocp_agent")
        else:
            argv = [os.path.join(self.home, "bin", "ocp_agentctl"), cmd]
        return self.host.run(argv, check=check)

    def json(self, cmd, check=True):
        return json.loads(self.ctl(cmd, check=check).stdout)

    def restart(self):
        if self.flavor == "legacy":  # no restart command in the legacy script
            self.ctl("stop")
            self.ctl("start")
        else:
            self.ctl("restart")

    def log(self, name):
        try:
            with open(os.path.join(self.home, "log", name + ".log")) as fh:
                return fh.read()
        except FileNotFoundError:
            return ""

    def alerts(self):
        try:
            with open(os.path.join(self.home, "log", "alerts.jsonl")) as fh:
                return [json.loads(line) for line in fh]
        except FileNotFoundError:
            return []

    def serving(self, names=None):
        """{name: pid} when each named child is a process of that name listening on its port."""
        procs = self.host.procs()
        found = {}
        for name in names or self.layout:
            port = self.layout[name][0]
            holders = [p for p in procs if port in p["listen"] and p["comm"] == name]
            if not holders:
                return None
            found[name] = holders[0]["pid"]
        return found

    def wait_ready(self, names=None):
        return wait_for(lambda: self.serving(names), "%s agent ready" % self.flavor)

    def urls(self):
        return ["http://127.0.0.1:%d%s" % pp for pp in self.layout.values()]


@contextlib.contextmanager
def private_host(prefix="nshost-"):
    """A Host in a temp dir; its namespace and files are gone afterwards, also when the test fails."""
    tmp = tempfile.mkdtemp(prefix=prefix)
    host = None
    try:
        host = Host(tmp)
        yield host
    finally:
        if host is not None:
            host.close()
        shutil.rmtree(tmp, ignore_errors=True)
