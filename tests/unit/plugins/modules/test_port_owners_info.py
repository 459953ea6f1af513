import os
import sys

import pytest

from ansible_collections.alertops.remediation.plugins.modules import port_owners_info
from tests.support.modrun import run_main

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "procfs"))
from fakeproc import fake_proc  # noqa: E402,F401 pylint: disable=unused-import


def run(capsys, args):
    return run_main(port_owners_info.main, capsys, args)


def summary(rows, *keys):
    return sorted(tuple(r[k] for k in keys) for r in rows)


def test_defaults_on_recorded_host(fake_proc, capsys):
    result, code = run(capsys, {})
    assert code == 0 and result["changed"] is False and result["conflict"] is True
    assert summary(result["conflicts"], "local_port", "pid", "state", "kind") == [
        (62888, 300, "ESTABLISHED", "foreign_listener"),   # the listener's accepted connection
        (62888, 300, "LISTEN", "foreign_listener"),
        (62888, 301, "LISTEN", "foreign_listener"),        # same socket, second holder
        (62889, 400, "ESTABLISHED", "outbound_ephemeral"),
        (63000, 200, "LISTEN", "foreign_listener"),
    ]
    assert result["free_ports"] == []
    assert summary(result["unresolved"], "local_port", "pid") == [(62890, None), (63001, None)]
    nc = [r for r in result["sockets"] if r["pid"] == 200][0]
    assert set(nc) == {"protocol", "local_address", "local_port", "remote_address", "remote_port", "state",
                       "inode", "uid", "pid", "process", "holders", "kind"}
    assert (nc["holders"], nc["kind"]) == ([200], "foreign_listener")
    shared = [r for r in result["sockets"] if r["inode"] == 1002]
    assert [(r["pid"], r["holders"], r["kind"]) for r in shared] == [(300, [300, 301], "foreign_listener"),
                                                                     (301, [300, 301], "foreign_listener")]
    assert result["coexisting"] == []
    assert nc["process"] == {"name": "nc", "exe": "/usr/bin/nc.openbsd", "cmdline": "nc -l 127.0.0.1 63000",
                             "user": "nobody", "start_time": 5000, "ppid": 150, "unit": None}
    assert 62999 in [r["local_port"] for r in result["sockets"]]


def test_listen_only_and_custom_policy(fake_proc, capsys):
    result, _code = run(capsys, {"states": "listen", "ports": ["62888-62889", 63000],
                                 "expected": {"62888": ["java"], "62889": ["x"], "63000": "node_exporter"},
                                 "protected": ["nc"]})
    assert summary(result["conflicts"], "local_port", "pid", "kind") == [(63000, 200, "protected")]
    assert result["free_ports"] == [62889]
    assert all(r["state"] == "LISTEN" for r in result["sockets"])


def test_remote_ports_select_clients(fake_proc, capsys):
    result, _code = run(capsys, {"remote_ports": [2181]})
    assert set(r["remote_port"] for r in result["sockets"]) == {2181}
    assert summary([r for r in result["sockets"] if r["pid"]], "local_port", "pid") == [
        (40002, 700), (40007, 1100), (40008, 1100), (40012, 1100)]
    assert result["conflict"] is True  # conflicts still cover the default range


@pytest.mark.parametrize("args, words", [
    ({"ports": ["62881-"]}, ["'62881-'"]),
    ({"ports": ["70000"]}, ["'70000'"]),
    ({"ports": ["63881-62881"]}, ["'63881-62881'", "starts after it ends"]),
    ({"ports": ["abc"]}, ["'abc'"]),
    ({"ports": []}, ["ports", "empty"]),
    ({"remote_ports": ["x"]}, ["remote_ports", "'x'"]),
    ({"expected": {"99999": ["a"]}}, ["expected key", "'99999'"]),
    ({"states": "bogus"}, ["states", "bogus"]),
    ({"ports": ["\u0669\u0669"]}, ["ports", "'\u0669\u0669'"]),
    ({"ports": [63000.5]}, ["ports", "63000.5"]),
    ({"ports": ["9" * 5000]}, ["ports", "not a port"]),
    ({"remote_ports": ["2181\n"]}, ["remote_ports", "'2181\\n'"]),
    ({"protected": ["ob\0server"]}, ["protected", "NUL"]),
    ({"protected": [1]}, ["protected", "1"]),
    ({"protected": 0.5}, ["protected", "0.5"]),
    ({"expected": {"63000": ["x" * 300]}}, ["expected[63000]", "1-255 characters"]),
])
def test_bad_input(fake_proc, capsys, args, words):
    result, code = run(capsys, args)
    assert code == 1 and result["failed"] is True
    for word in words:
        assert word in result["msg"]
    assert "sockets" not in result
