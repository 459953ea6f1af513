"""port_release on random real process tables in a private namespace host (seeded; the seed is in every
failure message). A smaller sibling of tests/unit/plugins/modules/test_port_release_random.py: real
processes sharing real sockets (fork, exec, double fork), random pids (so random pid order), rightful /
protected / foreign listeners with helpers, outbound and coexisting connections, holders that ignore
SIGTERM and holders that exit by themselves while the module runs.

Checked: no holder of a rightful or protected socket and no outbound or coexisting connector is
signalled; a foreign listener is ended whole or not at all; one without a holder that exits by itself is
released; every port reported released can be bound right after.

PORTS_FUZZ_SEED=<seed> PORTS_FUZZ_COUNT=<n> choose the tables (the base seed is random per run).
"""
import os
import random
import shutil

import pytest

from tests.support.nshost import PY, private_host

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network/PID namespaces)"),
    pytest.mark.skipif(not shutil.which("nsenter"), reason="needs nsenter"),
]

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "shared_socket.py")
BASE_SEED = int(os.environ.get("PORTS_FUZZ_SEED", random.SystemRandom().randrange(2 ** 32)))
COUNT = int(os.environ.get("PORTS_FUZZ_COUNT", "4"))
PORTS = list(range(62881, 62887))
PEER = 2882
BIND = r"""
import json, socket, sys
free = []
for port in sys.argv[1:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", int(port)))
        s.listen(1)
        free.append(int(port))
    except OSError:
        pass
    s.close()
print(json.dumps(free))
"""


class Group(object):
    def __init__(self, port, role, names, mortal):
        self.port, self.role, self.names, self.mortal = port, role, names, mortal
        self.pids = {}  # pid -> name

    def living(self):
        return [pid for pid, name in self.pids.items() if name not in self.mortal]


def spawn(host, rng, taken, group, extra):
    pids = []
    for _name in group.names:
        pid = rng.randint(300, 30000)
        while pid in taken or pid + 1 in taken:
            pid = rng.randint(300, 30000)
        taken.update((pid, pid + 1))  # a double fork takes the next pid as well
        pids.append(pid)
    argv = [PY, PROGRAM, str(group.port), "--parent", group.names[0], "--parent-pid", str(pids[0])]
    for name, pid in zip(group.names[1:], pids[1:]):
        argv += ["--child", name, "--child-pid", str(pid)]
    for name, seconds in group.mortal.items():
        argv += ["--exit-after", "%s:%s" % (name, seconds)]
    _proc, info = host.spawn(argv + extra)
    group.pids = dict((int(pid), name) for pid, name in info["names"].items())


def build(host, rng):
    """Connections first (they bind before any listener of their port), then the listeners."""
    taken = set()
    groups = []
    peer = Group(PEER, "peer", ["peer"], {})
    spawn(host, rng, taken, peer, [])
    roles = [rng.choice(["rightful", "rightful_coexisting", "protected", "foreign", "foreign", "outbound"])
             for _port in PORTS]
    for port, role in zip(PORTS, roles):
        if role in ("outbound", "rightful_coexisting"):
            name = rng.choice(["observer", "conn%d" % port])
            group = Group(port, "outbound" if role == "outbound" else "coexisting", [name], {})
            spawn(host, rng, taken, group, ["--connect", "127.0.0.1:%d" % PEER])
            groups.append(group)
    for port, role in zip(PORTS, roles):
        style = rng.choice([[], ["--exec"], ["--daemonize"]])
        helpers = ["h%d_%d" % (port, i) for i in range(rng.randint(0, 2))]
        if role.startswith("rightful"):
            group = Group(port, "rightful", ["agent%d" % port] + helpers, {})
        elif role == "protected":
            group = Group(port, "protected", ["observer"] + helpers, {})
        elif role == "foreign":
            names = ["rogue%d" % port] + ["w%d_%d" % (port, i) for i in range(rng.randint(0, 3))]
            mortal = dict((n, round(rng.uniform(0.05, 1.5), 2)) for n in names if rng.random() < 0.2)
            group = Group(port, "foreign", names, mortal)
            style += ["--ignore-term", rng.choice(names)] if rng.random() < 0.3 else []
        else:
            continue
        spawn(host, rng, taken, group, style)
        groups.append(group)
    return groups


@pytest.mark.parametrize("index", range(COUNT))
def test_random_real_tables(index):
    seed = BASE_SEED + index
    where = "seed=%d (rerun: PORTS_FUZZ_SEED=%d PORTS_FUZZ_COUNT=1)" % (seed, seed)
    rng = random.Random(seed)
    with private_host("ports-random-") as host:
        groups = build(host, rng)
        result = host.module("port_release", {
            "ports": PORTS, "expected": dict((str(p), ["agent%d" % p]) for p in PORTS),
            "protected": ["observer"], "timeout": 1, "respawn_window": 0}, timeout=120)
        assert not result.get("failed"), (where, result.get("msg"))
        alive = set(p["pid"] for p in host.procs())
        terminated = set(t["pid"] for t in result["terminated"])
        for group in groups:
            living = group.living()
            if group.role != "foreign":
                assert set(living) <= alive, (where, group.role, group.port, "a holder was signalled")
                assert not set(group.pids) & terminated, where
                continue
            ended = [pid for pid in living if pid not in alive]
            assert ended in ([], living), (where, "foreign listener on %d ended in part" % group.port, ended)
            if not group.mortal:
                assert ended == living, (where, "foreign listener on %d left alive" % group.port)
                assert group.port in result["released_ports"], (where, result["released_ports"])
        assert terminated <= set(pid for g in groups if g.role == "foreign" for pid in g.pids), where
        free = host.py(BIND, *result["released_ports"])
        assert free == result["released_ports"], (where, "reported released but cannot be bound", free)
