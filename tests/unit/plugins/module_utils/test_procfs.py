import os
import socket
import sys

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import procfs

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "procfs"))
from fakeproc import fake_proc, write_process  # noqa: E402,F401 pylint: disable=unused-import


def by_port(rows):
    return dict((r["local_port"], r) for r in rows if r["state"] == "LISTEN" or r["remote_port"] != 62888)


def test_ipv4_ipv6_and_mapped_addresses(fake_proc):
    rows = by_port(procfs.read_sockets(states=["LISTEN"]))
    rows.update(by_port(procfs.read_sockets([8080, 40012])))
    assert rows[63000]["local_address"] == "127.0.0.1" and rows[63000]["protocol"] == "tcp"
    assert rows[62888]["local_address"] == "0.0.0.0"
    assert rows[9100]["local_address"] == "::" and rows[9100]["protocol"] == "tcp6"
    assert rows[62999]["local_address"] == "127.0.0.1" and rows[62999]["protocol"] == "tcp6"
    assert (rows[8080]["local_address"], rows[8080]["remote_address"], rows[8080]["remote_port"]) == \
        ("::1", "::1", 40000)
    assert rows[40012]["local_address"] == "fe80::1"
    assert rows[63000]["uid"] == 65534 and rows[63000]["inode"] == 1001


def test_every_tcp_state(fake_proc):
    states = set(r["state"] for r in procfs.read_sockets())
    assert states == {"ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
                      "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING"}


def test_filters(fake_proc):
    assert sorted(r["local_port"] for r in procfs.read_sockets([62888, 63000])) == [62888, 62888, 63000]
    assert sorted(r["local_port"] for r in procfs.read_sockets([62888], states=["LISTEN"])) == [62888]
    remote = procfs.read_sockets(remote_ports=[2181])
    assert sorted(r["state"] for r in remote) == ["CLOSE", "CLOSE_WAIT", "CLOSING", "ESTABLISHED", "FIN_WAIT1",
                                                  "FIN_WAIT2", "LAST_ACK", "SYN_SENT"]
    assert procfs.read_sockets([]) == []
    both = procfs.read_sockets([63000], remote_ports=[62888])
    assert sorted((r["local_port"], r["remote_port"]) for r in both) == [(50000, 62888), (63000, 0)]


def test_shared_socket_gives_every_holder(fake_proc):
    sockets = procfs.read_sockets([62888], states=["LISTEN"])
    owners, unresolved = procfs.find_owners(sockets)
    assert owners == {1002: [300, 301]} and unresolved == {}
    rows, lost = procfs.owned_sockets(sockets, owners, unresolved)
    assert [(r["pid"], r["inode"], r["holders"]) for r in rows] == [(300, 1002, [300, 301]), (301, 1002, [300, 301])]
    assert rows[1]["process"]["unit"] == "ocp-monitor.service" and lost == []


def test_unrelated_holders_are_found_whatever_the_pid_order(fake_proc):
    """A socket shared with a process that is no relative (a daemon's double fork, SCM_RIGHTS): the
    holder with the highest pid and another uid is found too."""
    root, tree = fake_proc
    for pid, uid in ((900, 1000), (90, 0)):
        write_process(root, pid, dict(tree["processes"]["200"], comm="stray", ppid=1, uid=uid,
                                      fds={"7": "socket:[1001]"}))
    owners, _unresolved = procfs.find_owners(procfs.read_sockets([63000]))
    assert owners == {1001: [90, 200, 900]}


def test_unknown_owner_and_permission_denied_are_unresolved(fake_proc):
    sockets = procfs.read_sockets([22, 63001, 62890])
    owners, unresolved = procfs.find_owners(sockets)
    assert owners == {}
    assert "permission denied" in unresolved[1005] and "pid 1" in unresolved[1005]
    assert "permission denied" in unresolved[1006]  # pid 1 was unreadable: it may be the holder
    rows, lost = procfs.owned_sockets(sockets, owners, unresolved)
    assert len(rows) == len(lost) == 3 and all(r["pid"] is None for r in rows)
    assert [r["reason"] for r in lost if r["inode"] == 0] == ["no owning process: the kernel holds it (TIME_WAIT)"]


def test_no_fd_scan_without_matching_socket(fake_proc, monkeypatch):
    def fail(*_args):
        raise AssertionError("fd scan")
    monkeypatch.setattr(procfs, "_socket_inodes", fail)
    assert procfs.find_owners(procfs.read_sockets([12345])) == ({}, {})
    assert procfs.find_owners(procfs.read_sockets([62890])) == ({}, {})  # TIME_WAIT only


def test_every_process_is_read_once_when_a_socket_matches(fake_proc, monkeypatch):
    scanned = []
    real = procfs._socket_inodes

    def spy(root, pid, links):
        scanned.append(pid)
        return real(root, pid, links)
    monkeypatch.setattr(procfs, "_socket_inodes", spy)
    owners, _unresolved = procfs.find_owners(procfs.read_sockets([63000]))
    assert owners == {1001: [200]}
    assert sorted(scanned) == sorted(int(p) for p in fake_proc[1]["processes"])


def test_process_identity(fake_proc):
    ident = procfs.process_identity(200)
    assert ident == {"pid": 200, "name": "nc", "exe": "/usr/bin/nc.openbsd", "cmdline": "nc -l 127.0.0.1 63000",
                     "uid": 65534, "user": "nobody", "start_time": 5000, "ppid": 150, "unit": None}
    assert procfs.process_identity(700)["name"] == "we ird) (name"
    kthread = procfs.process_identity(2)
    assert kthread["exe"] is None and kthread["cmdline"] == ""
    assert procfs.process_identity(400)["unit"] == "container:0123456789ab"
    assert procfs.process_identity(99999) is None


def test_same_process_detects_change_between_scan_and_signal(fake_proc):
    root, tree = fake_proc
    seen = procfs.process_identity(200)
    assert procfs.same_process(seen)
    changed = dict(tree["processes"]["200"], start_time=5001)  # pid reused by a later process
    write_process(root, 200, changed)
    assert not procfs.same_process(seen)
    write_process(root, 200, dict(changed, start_time=5000, exe="/usr/bin/other"))  # exec'd another program
    assert not procfs.same_process(seen)
    write_process(root, 200, dict(changed, start_time=5000, state="Z"))
    assert not procfs.same_process(seen)
    write_process(root, 200, tree["processes"]["200"])
    assert procfs.same_process(seen)


def test_find_processes_by_comm_or_argv0(fake_proc):
    assert [p["pid"] for p in procfs.find_processes(["observer"])] == [400]
    assert [p["pid"] for p in procfs.find_processes(["ocp_monagent", "nc"])] == [200, 600] or \
        sorted(p["pid"] for p in procfs.find_processes(["ocp_monagent", "nc"])) == [200, 600]
    assert procfs.find_processes(["nothing"]) == []


def test_ancestors(fake_proc):
    assert procfs.ancestors(200) == {150, 1}
    assert procfs.ancestors(1) == set()


def test_unit_parsing():
    assert procfs._unit("0::/system.slice/node_exporter.service\n") == "node_exporter.service"
    assert procfs._unit("1:name=systemd:/system.slice/sshd.service\n0::/\n") == "sshd.service"
    assert procfs._unit("0::/system.slice/docker-" + "a" * 64 + ".scope\n") == "container:" + "a" * 12
    assert procfs._unit("0::/user.slice/user-0.slice/session-1.scope\n") is None
    assert procfs._unit("0::/kubepods/burstable/pod1-2/" + "c" * 64 + "\n") == "container:" + "c" * 12


def test_unit_of_a_cgroup_path_without_container_id():
    assert procfs._unit("0::" + "/kubepods" * 7000 + "/" + "a" * 63 + "\n") is None


def test_real_netlink_matches_proc_net_tcp():
    """sock_diag and /proc/net/tcp* must give the same rows for our own sockets on this host."""
    listener = socket.socket(socket.AF_INET6)
    listener.bind(("::ffff:127.0.0.1", 0))
    listener.listen(1)
    plain = socket.socket()
    plain.bind(("127.0.0.1", 0))
    plain.listen(1)
    client = socket.create_connection(plain.getsockname())
    accepted = plain.accept()[0]
    try:
        ports = [listener.getsockname()[1], plain.getsockname()[1]]
        via_netlink = [r for r in procfs._read_netlink(None, frozenset(ports)) if r["local_port"] in ports]
        via_proc = [r for r in procfs._read_proc_net("/proc") if r["local_port"] in ports]
        assert sorted(map(sorted, (r.items() for r in via_netlink))) == \
            sorted(map(sorted, (r.items() for r in via_proc)))
        assert len(via_proc) == 3
        owners = procfs.find_owners(procfs.read_sockets(ports))[0]
        assert all(holders == [os.getpid()] for holders in owners.values()) and len(owners) == 3
    finally:
        for sock in (client, accepted, plain, listener):
            sock.close()


@pytest.mark.parametrize("failure", [OSError(93, "Protocol not supported"), socket.timeout("timed out")],
                         ids=["refused", "no answer"])
def test_netlink_failure_falls_back_to_proc(monkeypatch, failure):
    def broken(*_args):
        raise failure
    monkeypatch.setattr(procfs, "_read_netlink", broken)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        rows = procfs.read_sockets([server.getsockname()[1]])
        assert [(r["state"], r["local_address"]) for r in rows] == [("LISTEN", "127.0.0.1")]
    finally:
        server.close()


@pytest.mark.parametrize("exc", [FileNotFoundError, ProcessLookupError, PermissionError])
def test_vanishing_processes_never_crash(fake_proc, monkeypatch, exc):
    """pid 300 exits while the scan runs: its fd directory, then its exe link, are gone."""
    real_readlink, real_open = os.readlink, os.open

    def gone(path):
        if "/300/" in str(path):
            raise exc(2, "gone", str(path))

    def readlink(path, *args, **kwargs):
        gone(path)
        return real_readlink(path, *args, **kwargs)

    def open_(path, *args, **kwargs):
        gone(path)
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(os, "readlink", readlink)
    monkeypatch.setattr(os, "open", open_)
    owners, unresolved = procfs.find_owners(procfs.read_sockets([62888]))
    assert owners[1002] == [301]
    assert 1003 in unresolved
    assert procfs.process_identity(300)["exe"] is None


def test_descriptors_closed_mid_scan_are_skipped(fake_proc, monkeypatch):
    """A descriptor listed but closed before its link is read holds nothing; the others still count."""
    real_readlink = os.readlink

    def readlink(path, *args, **kwargs):
        if path == "5" and kwargs.get("dir_fd") is not None:
            raise FileNotFoundError(2, "closed", path)
        return real_readlink(path, *args, **kwargs)
    monkeypatch.setattr(os, "readlink", readlink)
    owners, _unresolved = procfs.find_owners(procfs.read_sockets([62888]))
    assert owners == {1003: [300]}  # fd 5 of 300 and 301 (socket 1002) closed; fd 6 of 300 remains


def test_still_running_ignores_exe_of_an_exiting_process(fake_proc):
    root, tree = fake_proc
    seen = procfs.process_identity(200)
    write_process(root, 200, dict(tree["processes"]["200"], exe=None))  # exiting: exe link unreadable
    assert procfs.still_running(seen) and not procfs.same_process(seen)
    write_process(root, 200, dict(tree["processes"]["200"], state="Z"))
    assert not procfs.still_running(seen)
    assert not procfs.still_running(dict(seen, pid=99999))


def test_a_netlink_read_has_a_deadline(monkeypatch):
    """A sandbox that swallows sock_diag requests must not hang the scan: the socket has a timeout."""
    created = []
    real_socket = socket.socket

    def recording(*args, **kwargs):
        sock = real_socket(*args, **kwargs)
        created.append(sock)
        return sock
    monkeypatch.setattr(procfs.socket, "socket", recording)
    procfs._read_netlink(["LISTEN"], frozenset([1]))
    assert created and all(s.gettimeout() == procfs._NETLINK_TIMEOUT for s in created)


def test_per_family_requests_when_the_one_walk_request_is_refused(monkeypatch):
    """Kernels without the TCPDIAG_GETSOCK compatibility interface get one request per family."""
    real_dump = procfs._netlink_dump
    types = []

    def dump(msg_type, request, local_ports):
        types.append(msg_type)
        if msg_type == procfs._TCPDIAG_GETSOCK:
            raise OSError(22, "Invalid argument")
        return real_dump(msg_type, request, local_ports)
    monkeypatch.setattr(procfs, "_netlink_dump", dump)
    v4, v6 = socket.socket(), socket.socket(socket.AF_INET6)
    v4.bind(("127.0.0.1", 0))
    v6.bind(("::1", 0))
    v4.listen(1)
    v6.listen(1)
    try:
        ports = [v4.getsockname()[1], v6.getsockname()[1]]
        rows = procfs._read_netlink(None, frozenset(ports))
        assert sorted((r["protocol"], r["local_port"]) for r in rows if r["local_port"] in ports) == \
            sorted([("tcp", ports[0]), ("tcp6", ports[1])])
        assert types == [procfs._TCPDIAG_GETSOCK, procfs._SOCK_DIAG_BY_FAMILY, procfs._SOCK_DIAG_BY_FAMILY]
    finally:
        v4.close()
        v6.close()
