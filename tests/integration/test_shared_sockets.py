"""Sockets held by several processes (fork without close_fds, an exec wrapper, a pre-fork server), on
real processes in a private namespace host: every holder is found whatever the pid order, a socket the
rightful or a protected process holds is never a reason to signal anyone, and a foreign socket is
released only by ending every holder."""
import os
import shutil

import pytest

from tests.support.nshost import PY, private_host

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network/PID namespaces)"),
    pytest.mark.skipif(not shutil.which("nsenter"), reason="needs nsenter"),
]

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs", "shared_socket.py")
PORT = 62889
EXPECTED = {str(PORT): ["ocp_exporter"]}
# (parent pid, child pid): the parent forks first in one order, the child gets the lower pid in the other.
PID_ORDERS = [pytest.param((300, 400), id="parent-lower"), pytest.param((400, 300), id="child-lower")]

BIND = r"""
import json, socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(1)
    print(json.dumps(True))
except OSError:
    print(json.dumps(False))
"""


@pytest.fixture
def host():
    with private_host("shared-sockets-") as h:
        yield h


def share(host, parent, children, pids=None, *extra):
    argv = [PY, PROGRAM, str(PORT), "--parent", parent]
    for name in children:
        argv += ["--child", name]
    if pids:
        argv += ["--parent-pid", str(pids[0])] + [a for p in pids[1:] for a in ("--child-pid", str(p))]
    _proc, info = host.spawn(argv + list(extra))
    return info


def alive(host):
    return set(p["pid"] for p in host.procs())


def holders_of(result):
    return sorted(set(r["pid"] for r in result["sockets"] if r["local_port"] == PORT))


@pytest.mark.parametrize("pids", PID_ORDERS)
def test_helper_sharing_the_rightful_listener_is_never_signalled(host, pids):
    info = share(host, "ocp_exporter", ["helper"], (pids[0], pids[1]))
    everyone = [info["parent"]] + info["children"]
    assert sorted(everyone) == sorted(pids)

    owners = host.module("port_owners_info", {"ports": [PORT], "expected": EXPECTED})
    assert holders_of(owners) == sorted(everyone), owners["sockets"]
    assert owners["conflicts"] == [] and owners["conflict"] is False, owners["conflicts"]
    assert all(r["holders"] == sorted(everyone) for r in owners["sockets"])

    released = host.module("port_release", {"ports": [PORT], "expected": EXPECTED, "respawn_window": 0})
    assert not released.get("failed"), released
    assert released["changed"] is False and released["terminated"] == []
    assert released["released_ports"] == [] and released["still_held"] == []
    assert set(everyone) <= alive(host), "a holder of the rightful socket was signalled"


@pytest.mark.parametrize("pids", PID_ORDERS)
def test_parent_sharing_a_protected_observer_socket_is_never_signalled(host, pids):
    info = share(host, "wrapper", ["observer"], (pids[0], pids[1]), "--exec")
    everyone = [info["parent"]] + info["children"]

    owners = host.module("port_owners_info", {"ports": [PORT], "expected": EXPECTED})
    assert sorted((r["pid"], r["kind"]) for r in owners["conflicts"]) == \
        sorted((pid, "protected") for pid in everyone), owners["conflicts"]

    released = host.module("port_release", {"ports": [PORT], "expected": EXPECTED, "respawn_window": 0})
    assert not released.get("failed"), released
    assert released["changed"] is False and released["terminated"] == []
    skipped = dict((s["pid"], s["reason"]) for s in released["skipped"])
    assert sorted(skipped) == sorted(everyone)
    assert "protected" in skipped[info["children"][0]]
    assert "observer" in skipped[info["parent"]] and "protected" in skipped[info["parent"]]
    assert released["still_held"] == [PORT] and released["released_ports"] == []
    assert set(everyone) <= alive(host), "a holder of the protected socket was signalled"


@pytest.mark.parametrize("pids", [pytest.param((300, 400, 500, 600), id="parent-lowest"),
                                  pytest.param((600, 300, 400, 500), id="parent-highest")])
@pytest.mark.parametrize("exec_children", [False, True], ids=["fork", "exec"])
def test_prefork_foreign_server_is_released_by_ending_every_holder(host, pids, exec_children):
    extra = ["--exec"] if exec_children else []
    info = share(host, "rogue", ["rogue-worker"] * 3, pids, *extra)
    everyone = sorted([info["parent"]] + info["children"])

    owners = host.module("port_owners_info", {"ports": [PORT], "expected": EXPECTED})
    assert sorted(r["pid"] for r in owners["conflicts"]) == everyone
    assert all(r["kind"] == "foreign_listener" and r["holders"] == everyone for r in owners["conflicts"])

    released = host.module("port_release", {"ports": [PORT], "expected": EXPECTED, "respawn_window": 0})
    assert not released.get("failed"), released
    assert sorted(t["pid"] for t in released["terminated"]) == everyone, released
    assert all(t["signal_method"] in ("pidfd", "pid+start_time") for t in released["terminated"])
    assert released["released_ports"] == [PORT] and released["still_held"] == []
    assert not set(everyone) & alive(host)
    assert host.py(BIND, PORT) is True, "the port was reported released but cannot be bound"


def test_a_foreign_holder_sharing_with_a_protected_one_keeps_both(host):
    """The protected process is the parent this time: its forked child is foreign by name only."""
    info = share(host, "observer", ["helper"], None)
    released = host.module("port_release", {"ports": [PORT], "expected": EXPECTED, "respawn_window": 0})
    assert released["terminated"] == [] and released["changed"] is False
    assert {info["parent"], info["children"][0]} <= alive(host)


@pytest.mark.parametrize("pids", PID_ORDERS)
def test_every_holder_is_found_whatever_the_pid_order(host, pids):
    """A daemonized helper (double fork) is no relative of the parent: only a scan of every process
    finds both, in either pid order."""
    info = share(host, "rogue", ["rogue-helper"], (pids[0], pids[1]), "--daemonize")
    everyone = sorted([info["parent"]] + info["children"])
    owners = host.module("port_owners_info", {"ports": [PORT], "expected": EXPECTED})
    assert holders_of(owners) == everyone, owners["sockets"]
    assert sorted(r["pid"] for r in owners["conflicts"]) == everyone
