"""port_release on random process tables (seeded; the seed is in every failure message).

Each table gives every expected port one situation: free, the rightful listener (with helpers that
share its socket and connections that coexist with it), a protected listener (with helpers), a foreign
listener held by 1-3 processes (sometimes with a connection it accepted), or an outbound connection.
Foreign processes are drawn from one pool, so one process can hold sockets of several situations; pids
are random (so is their order); some processes ignore SIGTERM, some exit while the scan runs or between
the scan and the signal, and an `allow` list sometimes leaves some foreign names alone.

The oracle works from how the table was built, not from the kinds the code computes: a process may be
signalled only when every socket it holds on those ports belongs to a foreign listener (coexisting
connections do not count), and a foreign socket is released only when each of its holders may be; every
port reported released has no socket left.

Run more or other tables: PORTS_FUZZ_SEED=<seed> PORTS_FUZZ_COUNT=<n> pytest ... (the base seed is
random per run otherwise).
"""
import os
import random
import signal
import sys

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import procfs, signals
from ansible_collections.alertops.remediation.plugins.modules import port_release
from tests.support.modrun import run_main

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "procfs"))
import fakeproc  # noqa: E402

BASE_SEED = int(os.environ.get("PORTS_FUZZ_SEED", random.SystemRandom().randrange(2 ** 32)))
COUNT = int(os.environ.get("PORTS_FUZZ_COUNT", "60"))
PORTS = list(range(62881, 62889))
PROTECTED = ["observer", "obproxy"]
SITUATIONS = ["free", "rightful", "rightful", "protected", "foreign", "foreign", "foreign_accepting", "outbound"]
LISTEN, ESTABLISHED = 10, 1


class Table(object):
    """A generated host: processes, sockets, and what each socket is meant to be."""

    def __init__(self, seed):
        rng = random.Random(seed)
        self.seed = seed
        self.procs = {}       # pid -> {name, ppid, inodes, mortal, stubborn}
        self.sockets = {}     # inode -> {port, state, remote, role}
        self.taken = set([1])
        pool = [self.new(rng, "rogue%d" % i) for i in range(rng.randint(3, 10))]
        for pid in pool:
            if rng.random() < 0.4:
                self.procs[pid]["ppid"] = rng.choice(pool)
        for port in PORTS:
            situation = rng.choice(SITUATIONS)
            if situation in ("rightful", "protected"):
                leader = self.new(rng, "agent%d" % port if situation == "rightful" else rng.choice(PROTECTED))
                helpers = rng.sample(pool, rng.randint(0, 2))
                self.socket(port, LISTEN, None, situation, [leader] + helpers)
                if situation == "rightful" and rng.random() < 0.6:
                    connector = rng.choice(pool + [self.new(rng, rng.choice(PROTECTED))])
                    self.socket(port, ESTABLISHED, ("10.0.0.5", 2882), "coexisting", [connector])
            elif situation.startswith("foreign"):
                members = rng.sample(pool, rng.randint(1, 3))
                self.socket(port, LISTEN, None, "foreign", members)
                if situation == "foreign_accepting":
                    self.socket(port, ESTABLISHED, ("127.0.0.1", rng.randint(40000, 50000)), "foreign",
                                [rng.choice(members)])
            elif situation == "outbound":
                connector = rng.choice(pool + [self.new(rng, rng.choice(PROTECTED))])
                self.socket(port, ESTABLISHED, ("10.0.0.5", 2881), "outbound", [connector])
        for pid in pool:
            self.procs[pid]["stubborn"] = rng.random() < 0.2
            self.procs[pid]["mortal"] = rng.random() < 0.15
        self.allow = None
        if rng.random() < 0.3:
            self.allow = [self.procs[pid]["name"] for pid in pool if rng.random() < 0.6] or ["nothing-matches"]
        # Mortals exit at a random point of the first scan (or right after it, before any signal).
        self.deaths = dict((pid, rng.randint(0, len(self.procs) + 5)) for pid in pool if self.procs[pid]["mortal"])

    def new(self, rng, name):
        pid = rng.randint(2, 32000)
        while pid in self.taken:
            pid = rng.randint(2, 32000)
        self.taken.add(pid)
        self.procs[pid] = {"name": name, "ppid": 1, "inodes": [], "mortal": False, "stubborn": False}
        return pid

    def socket(self, port, state, remote, role, holders):
        inode = 10000 + len(self.sockets)
        self.sockets[inode] = {"port": port, "state": state, "remote": remote or ("0.0.0.0", 0), "role": role}
        for pid in holders:
            self.procs[pid]["inodes"].append(inode)

    def tree(self):
        lines = ["  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"]
        for slot, (inode, sock) in enumerate(sorted(self.sockets.items())):
            lines.append(fakeproc.tcp_line(slot, ("127.0.0.1", sock["port"]), sock["remote"], sock["state"], 0, inode))
        processes = {"1": {"comm": "systemd", "state": "S", "ppid": 0, "start_time": 1, "uid": 0,
                           "exe": "/usr/lib/systemd/systemd", "cmdline": ["/sbin/init"], "cgroup": "0::/\n",
                           "fds": {}, "children": [], "fd_denied": True}}
        for pid, proc in self.procs.items():
            processes[str(pid)] = {
                "comm": proc["name"], "state": "S", "ppid": proc["ppid"], "start_time": 1000 + pid, "uid": 0,
                "exe": "/usr/bin/" + proc["name"], "cmdline": [proc["name"]], "cgroup": "0::/\n",
                "fds": dict((str(3 + i), "socket:[%d]" % inode) for i, inode in enumerate(proc["inodes"])),
                "children": []}
        return {"net": {"tcp": "".join(lines), "tcp6": lines[0]}, "processes": processes}

    # ------------------------------------------------------------------ the oracle
    def roles(self, pid):
        return set(self.sockets[inode]["role"] for inode in self.procs[pid]["inodes"])

    def may_signal(self, pid):
        """Every socket it holds on the ports is a foreign listener's (coexisting ones aside), its name
        is allowed, and it is alive."""
        proc = self.procs[pid]
        return not proc["mortal"] and bool(proc["inodes"]) and self.roles(pid) <= {"foreign", "coexisting"} \
            and "foreign" in self.roles(pid) and (self.allow is None or proc["name"] in self.allow)

    def holders(self, inode):
        return [pid for pid, proc in self.procs.items() if inode in proc["inodes"]]

    def expected(self):
        """(must, may): pids that must be signalled (their foreign socket has no mortal holder and every
        holder may be signalled), and pids that may be (counting mortal holders as if they had gone)."""
        must, may = set(), set()
        for inode, sock in self.sockets.items():
            if sock["role"] != "foreign":
                continue
            holders = self.holders(inode)
            living = [pid for pid in holders if not self.procs[pid]["mortal"]]
            if all(self.may_signal(pid) for pid in living):
                may.update(living)
                if len(living) == len(holders):
                    must.update(living)
        return must, may

    def releasable_ports(self):
        """Ports whose every socket is a foreign one with no mortal holder and only signalable holders."""
        ports = set()
        for port in PORTS:
            socks = [(inode, s) for inode, s in self.sockets.items() if s["port"] == port]
            if socks and all(s["role"] == "foreign" and all(
                    self.may_signal(pid) for pid in self.holders(inode)) for inode, s in socks):
                ports.add(port)
        return ports


@pytest.fixture
def host(tmp_path, monkeypatch):
    """Install a Table as /proc; os.kill and pidfds are the table's (nothing real is signalled)."""
    state = {"sent": [], "root": str(tmp_path / "proc")}
    monkeypatch.setattr(signals, "pidfd_open", lambda pid: None)
    monkeypatch.setattr(port_release, "KILL_GRACE", 0.5)

    def install(table):
        fakeproc.install(state["root"], table.tree(), monkeypatch)
        state["table"] = table

    def kill(pid, signum):
        state["sent"].append((pid, signum))
        if signum == signal.SIGKILL or not state["table"].procs[pid]["stubborn"]:
            fakeproc.exit_process(state["root"], pid)

    real_find, real_inodes = procfs.find_owners, procfs._socket_inodes
    scans = []

    def socket_inodes(root, pid, links):
        if len(scans) == 1:  # the first scan: mortals exit at their turn
            for mortal, turn in list(state["table"].deaths.items()):
                if turn == scans[0]:
                    fakeproc.exit_process(root, mortal)
                    del state["table"].deaths[mortal]
            scans[0] += 1
        return real_inodes(root, pid, links)

    def find_owners(sockets, root=None):
        scans.append(0)
        result = real_find(sockets, root)
        if len(scans) == 1:  # the rest exit between the scan and the first signal
            for mortal in list(state["table"].deaths):
                fakeproc.exit_process(state["root"], mortal)
                del state["table"].deaths[mortal]
        return result
    monkeypatch.setattr(signals.os, "kill", kill)
    monkeypatch.setattr(procfs, "_socket_inodes", socket_inodes)
    monkeypatch.setattr(procfs, "find_owners", find_owners)
    state["install"] = install
    return state


def remaining(root):
    """(port, inode) of every socket left in the table's /proc/net/tcp."""
    with open(os.path.join(root, "net", "tcp")) as handle:
        return set((int(line.split()[1].rsplit(":", 1)[1], 16), int(line.split()[9]))
                   for line in handle.read().splitlines()[1:])


@pytest.mark.parametrize("index", range(COUNT))
def test_random_tables(host, capsys, index):
    seed = BASE_SEED + index
    table = Table(seed)
    host["install"](table)
    must, may = table.expected()
    args = {"ports": PORTS, "expected": dict((str(p), ["agent%d" % p]) for p in PORTS), "protected": PROTECTED,
            "timeout": 0.05, "respawn_window": 0}
    if table.allow is not None:
        args["allow"] = table.allow
    result, code = run_main(port_release.main, capsys, args)
    where = "seed=%d (rerun: PORTS_FUZZ_SEED=%d PORTS_FUZZ_COUNT=1)" % (seed, seed)
    assert code == 0, (where, result.get("msg"))
    signalled = set(pid for pid, _signum in host["sent"])
    assert signalled <= may, (where, "signalled a process whose sockets are not all foreign",
                              sorted(signalled - may))
    assert must <= signalled, (where, "left a releasable foreign holder alive", sorted(must - signalled))
    assert set(t["pid"] for t in result["terminated"]) == signalled, where
    assert all(t["signal"] == ("SIGKILL" if table.procs[t["pid"]]["stubborn"] else "SIGTERM")
               for t in result["terminated"]), where
    left = remaining(host["root"])
    ports_left = set(port for port, _inode in left)
    assert not set(result["released_ports"]) & ports_left, (where, "a port reported released still has a socket")
    assert table.releasable_ports() <= set(result["released_ports"]), (where, result["released_ports"])
    conflicts_left = set(port for port, inode in left if table.sockets[inode]["role"] in
                         ("foreign", "protected", "outbound"))
    assert set(result["still_held"]) == conflicts_left, (where, result["still_held"])
