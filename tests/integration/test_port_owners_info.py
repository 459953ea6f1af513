"""port_owners_info against real processes and sockets on this host."""
import os
import socket

import pytest
from tests.support.modrun import run_module


def owners(port, **extra):
    args = {"ports": [port], "expected": {str(port): ["node_exporter"]}}
    args.update(extra)
    result, rc = run_module("port_owners_info", args)
    assert rc == 0, result
    return result


def test_foreign_listener_found(started, free_port):
    proc = started.start("holder.py", free_port)
    result = owners(free_port)
    assert result["conflict"] is True and result["free_ports"] == []
    [conflict] = result["conflicts"]
    assert (conflict["pid"], conflict["kind"], conflict["state"], conflict["local_address"]) == \
        (proc.pid, "foreign_listener", "LISTEN", "127.0.0.1")
    assert conflict["process"]["exe"].startswith("/usr/bin/python3")
    assert conflict["process"]["user"] == "root"


def test_listener_of_nobody_shows_that_user(started, free_port):
    proc = started.start("holder.py", free_port, user="nobody")
    [row] = owners(free_port)["sockets"]
    assert row["pid"] == proc.pid and row["process"]["user"] == "nobody" and row["uid"] == 65534


def test_bound_then_connected_out_is_outbound_ephemeral(started, free_port):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        proc = started.start("holder.py", free_port, "--connect", "127.0.0.1:%d" % server.getsockname()[1])
        result = owners(free_port)
        [conflict] = result["conflicts"]
        assert (conflict["pid"], conflict["kind"], conflict["state"]) == (proc.pid, "outbound_ephemeral",
                                                                          "ESTABLISHED")
        assert conflict["remote_port"] == server.getsockname()[1]
    finally:
        server.close()


def test_rightful_owner_and_free_port(started, free_port):
    started.start("holder.py", free_port, "--name", "node_exporter")
    result = owners(free_port)
    assert result["conflicts"] == [] and result["conflict"] is False
    assert owners(free_port, expected={str(free_port): ["node_exporter"], "1": ["x"]},
                  ports=[1, free_port])["free_ports"] == [1]


def test_protected_by_argv0(started, free_port):
    proc = started.start("holder.py", free_port, argv0="observer")
    [conflict] = owners(free_port)["conflicts"]
    assert conflict["pid"] == proc.pid and conflict["kind"] == "protected"
    assert conflict["process"]["cmdline"].startswith("observer ")


def test_remote_ports_selects_clients(started, free_port):
    started.start("holder.py", free_port)
    client = socket.create_connection(("127.0.0.1", free_port))
    try:
        result, rc = run_module("port_owners_info", {"remote_ports": [free_port]})
        assert rc == 0

        assert [(r["pid"], r["local_port"]) for r in result["sockets"]] == \
            [(os.getpid(), client.getsockname()[1])]
    finally:
        client.close()


@pytest.mark.parametrize("ports", ["62881-", "70000", "63881-62881", "abc", []])
def test_bad_ports(ports):
    result, rc = run_module("port_owners_info", {"ports": ports if ports == [] else [ports]})
    assert rc == 1 and result["failed"]
    assert (repr(ports) if ports else "empty") in result["msg"]


def test_unknown_states():
    result, rc = run_module("port_owners_info", {"states": "listening"})
    assert rc == 1 and "listening" in result["msg"]
