"""Helpers of the zookeeper_connections role's end-to-end tests (the lab's real ZooKeeper 3.8 ensemble).

The state of a member is read the way an operator would: zoo.cfg from its file, the running limit from
`conf`, the server's pid from zkctl's pid file, modes from `srvr` (through the collection's ZkClient).
Client applications run inside client1: kazoo sessions (zk_kazoo_app.py) and Debian's zkCli.
"""
import glob
import json
import os
import subprocess
import threading
import time
import uuid

from ansible_collections.alertops.remediation.plugins.module_utils.zookeeper import (
    ZkClient, ZkConnectionClosedError, ZkError)
from tests.support.lab import ansible_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(ROOT, "playbooks", "remediate_zookeeper.yml")
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
KAZOO_APP = os.path.join(ROOT, "tests", "integration", "zk_kazoo_app.py")
CONF = "/etc/zookeeper/conf/zoo.cfg"
LIMIT = 20


def zk_hosts(lab):
    return lab.group("zookeeper")


def read_cfg(lab, host):
    return lab.exec(host, ["cat", CONF]).stdout


def write_cfg(lab, host, text):
    lab.exec(host, ["sh", "-c", "cat > %s.tmp && mv %s.tmp %s" % (CONF, CONF, CONF)], input=text)


def cfg_value(text, key):
    value = None
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep and k.strip() == key:
            value = v.strip()
    return value


def backups(lab, host):
    out = lab.exec(host, ["sh", "-c", "ls %s.*~ 2>/dev/null || true" % CONF]).stdout
    return [line for line in out.splitlines() if line.strip()]


def zk_pid(lab, host):
    out = lab.exec(host, ["cat", "/run/zookeeper.pid"], check=False).stdout.strip()
    return int(out) if out.isdigit() else None


def running_limit(lab, host):
    return cfg_value(ZkClient(lab.address(host), 2181, timeout=3.0).raw("conf"), "maxClientCnxns")


def state(lab):
    """{host: (pid, running limit or None while it is down, zoo.cfg limit, backups)} of every member."""
    out = {}
    for h in zk_hosts(lab):
        try:
            limit = running_limit(lab, h)
        except (OSError, ZkError):
            limit = None
        out[h] = (zk_pid(lab, h), limit, cfg_value(read_cfg(lab, h), "maxClientCnxns"), len(backups(lab, h)))
    return out


def set_cfg_limit(lab, host, value):
    text = read_cfg(lab, host)
    write_cfg(lab, host, "\n".join("maxClientCnxns=%d" % value if line.startswith("maxClientCnxns=") else line
                                   for line in text.split("\n")))


def restore(lab, base):
    """Every member back to its baseline zoo.cfg and running limit (followers first, the leader last)."""
    modes = dict((h, lab.zk_mode(h)) for h in zk_hosts(lab))
    for host in sorted(zk_hosts(lab), key=lambda h: modes[h] == "leader"):
        for path in backups(lab, host):
            lab.exec(host, ["rm", "-f", path])
        limit = None
        try:
            limit = running_limit(lab, host)
        except (OSError, ZkError):
            pass
        if read_cfg(lab, host) != base[host] or limit != cfg_value(base[host], "maxClientCnxns") \
                or modes[host] in (None, "not_serving"):
            write_cfg(lab, host, base[host])
            lab.zkctl(host, "restart", check=False)
            lab.wait_quorum(90)
    lab.wait_quorum(90)


def baseline_of(lab):
    base = {}
    for host in zk_hosts(lab):
        base[host] = "\n".join("maxClientCnxns=%d" % LIMIT if line.startswith("maxClientCnxns=") else line
                               for line in read_cfg(lab, host).split("\n"))
    return base


def roles(lab):
    modes = lab.wait_quorum(60)
    followers = sorted(h for h in zk_hosts(lab) if modes[h] == "follower")
    leader = [h for h in zk_hosts(lab) if modes[h] == "leader"][0]
    return followers, leader


def run_playbook(lab, report_dir, *extra, check=False, timeout=600, popen=False):
    """ansible-playbook remediate_zookeeper.yml; (CompletedProcess, report dict or None).

    With popen=True: (Popen with stdout to a file, report path glob, output path) for tests that
    interrupt the run."""
    run_id = "t" + uuid.uuid4().hex[:10]
    argv = [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), PLAYBOOK, "-i", lab.inventory_path,
            "-e", "remediation_common_run_id=%s" % run_id, "-e", "zookeeper_connections_sample_interval=2"]
    for item in extra:
        argv += ["-e", item]
    if check:
        argv += ["--check", "--diff"]
    env = ansible_env({"ALERTOPS_REPORT_DIR": str(report_dir), "ANSIBLE_NOCOLOR": "1"})
    pattern = os.path.join(str(report_dir), "zookeeper_connections", run_id, "*.json")
    if popen:
        out = os.path.join(str(report_dir), "%s.out" % run_id)
        with open(out, "w") as fh:
            proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
        return proc, pattern, out
    proc = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, check=False)
    reports = glob.glob(pattern)
    report = None
    if reports:
        with open(reports[0]) as fh:
            report = json.load(fh)
    return proc, report


def recap_changed(output):
    """{host: changed count} from the PLAY RECAP."""
    out = {}
    for line in output.rsplit("PLAY RECAP", 1)[-1].splitlines():
        if "changed=" in line and ":" in line:
            out[line.split(":", 1)[0].strip()] = int(line.split("changed=", 1)[1].split()[0])
    return out


class Poller(object):
    """`srvr` to every member from the controller every 0.1 s (the collection's ZkClient): 'down' (connection
    refused: no server process), 'closed' (accepted, then closed without an answer: a process on its way
    out, or a follower dropping its connections the moment its leader goes away; a member that is
    really down refuses the next probes), 'slow' (no answer within the probe's second: a busy machine,
    not a missing member), 'not_serving' (up, no quorum or electing) or the Mode."""

    def __init__(self, lab, hosts=None):
        self.clients = dict((h, ZkClient(lab.address(h), 2181, timeout=1.0)) for h in hosts or zk_hosts(lab))
        self.samples = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    @staticmethod
    def probe(client):
        try:
            return client.srvr()["mode"]
        except ZkConnectionClosedError:
            return "closed"
        except ZkError as exc:
            text = str(exc)
            if "not currently serving" in text:
                return "not_serving"
            return "slow" if "timed out" in text or "deadline" in text else "down"
        except OSError:
            return "down"

    def run(self):
        while not self.stop.is_set():
            self.samples.append((time.time(), dict((h, self.probe(c)) for h, c in self.clients.items())))
            self.stop.wait(0.1)

    def most_down_at_once(self):
        return max([sum(1 for m in s.values() if m == "down") for dummy, s in self.samples] or [0])

    def when_down(self, at_least=2):
        """The samples in which at least ``at_least`` members were down (for the assertion message)."""
        return [s for dummy, s in self.samples if sum(1 for m in s.values() if m == "down") >= at_least]

    def seconds_without_leader(self):
        """Sum of the gaps after samples in which every member answered (none 'slow') and none was the leader."""
        total = 0.0
        for (t0, s0), (t1, dummy) in zip(self.samples, self.samples[1:]):
            if "leader" not in s0.values() and "slow" not in s0.values():
                total += t1 - t0
        return total

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)


class KazooApp(object):
    """zk_kazoo_app.py inside a lab host: N kazoo sessions to one member, their state changes recorded."""

    def __init__(self, lab, host, server, sessions, wait=90.0):
        self.lab, self.host = lab, host
        self.out = os.path.join(lab.state_dir, "kazoo-%s.out" % uuid.uuid4().hex[:8])
        lab.exec(host, ["sh", "-c", 'out=$1; shift; setsid -f "$@" </dev/null >"$out" 2>"$out.err"', "sh", self.out,
                        PYTHON, KAZOO_APP, "--server", "%s:2181" % lab.address(server), "--sessions", str(sessions)])
        self.info = self._line(0, wait)
        self.pid = self.info["pid"]

    def _lines(self):
        try:
            with open(self.out) as fh:
                return [json.loads(line) for line in fh if line.endswith("\n")]
        except FileNotFoundError:
            return []

    def _line(self, index, wait):
        deadline = time.time() + wait
        while time.time() < deadline:
            lines = self._lines()
            if len(lines) > index:
                return lines[index]
            time.sleep(0.1)
        raise AssertionError("zk_kazoo_app on %s wrote no line %d in %ss: %s" % (
            self.host, index, wait, open(self.out + ".err").read()[-2000:] if os.path.exists(self.out + ".err") else ""))

    def stop(self, wait=30.0):
        """SIGTERM to exactly our process (its cmdline checked first); returns its final report."""
        cmdline = self.lab.exec(self.host, ["cat", "/proc/%d/cmdline" % self.pid], check=False).stdout
        if "zk_kazoo_app.py" in cmdline:
            self.lab.exec(self.host, ["kill", "-TERM", str(self.pid)])
        return self._line(1, wait)


def zkcli(lab, host, server, *command):
    """Debian's zkCli inside a lab host: a fresh session that runs one command; CompletedProcess."""
    return lab.exec(host, ["env", "JAVA=/usr/bin/java", "CLASSPATH=/usr/share/java/zookeeper.jar", "ZOO_LOG_DIR=/tmp",
                           "/usr/share/zookeeper/bin/zkCli.sh", "-server", "%s:2181" % lab.address(server)] + list(command),
                    check=False, timeout=60)
