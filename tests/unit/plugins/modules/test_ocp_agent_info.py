"""ocp_agent_info: a read never reports a change and never runs the control script."""
import subprocess

import pytest

from ansible_collections.alertops.remediation.plugins.modules import ocp_agent_info
from tests.support.modrun import run_main
from tests.unit.plugins.module_utils.test_agent_layout import make_home
from tests.unit.plugins.modules.test_ocp_agent import host, running_agent  # noqa: F401 pylint: disable=unused-import


@pytest.fixture
def no_commands(monkeypatch):
    """Records any attempt to run a program (the control script): a read runs none."""
    calls = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: calls.append(a))
    return calls


def run(capsys, args, check_mode=False):
    return run_main(ocp_agent_info.main, capsys, args, check_mode=check_mode)


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize("flavor", ["legacy", "agentctl"])
def test_down_agent_is_not_ready_and_nothing_changes(tmp_path, capsys, host, no_commands, flavor, check_mode):
    result, code = run(capsys, {"home": make_home(tmp_path, flavor)}, check_mode=check_mode)
    assert code == 0 and result["changed"] is False and result["ready"] is False and no_commands == []
    assert result["flavor"] == flavor and result["not_ready"][0] == "ocp_agentd (not running)"


@pytest.mark.parametrize("flavor", ["legacy", "agentctl"])
def test_running_agent_is_ready(tmp_path, capsys, host, no_commands, flavor):
    running_agent(host, flavor)
    result, code = run(capsys, {"home": make_home(tmp_path, flavor)})
    assert code == 0 and result["changed"] is False and result["ready"] is True and no_commands == []
    assert [r["name"] for r in result["processes"]][0] == "ocp_agentd" and result["not_ready"] == []
    assert result["port_holders"] == {}


def test_a_foreign_holder_is_named(tmp_path, capsys, host):
    running_agent(host, "agentctl")
    host["listening"][62888] = {"pid": 7, "name": "rogue-http"}
    result, _code = run(capsys, {"home": make_home(tmp_path, "agentctl")})
    assert result["ready"] is False and result["not_ready"] == ["ocp_mgragent (port 62888: not listening)"]
    assert result["port_holders"]["62888"][0]["pid"] == 7


def test_one_call_reads_the_holders_and_the_ephemeral_port_settings(tmp_path, capsys, host):
    """What the exporter ports runbook decides on comes back from one module call: the agent, every
    holder of the scanned ports judged against the agent's ports, and the two sysctls."""
    running_agent(host, "agentctl")
    host["listening"][62888] = {"pid": 7, "name": "rogue-http"}
    host["listening"][63500] = {"pid": 8, "name": "java"}
    result, code = run(capsys, {"home": make_home(tmp_path, "agentctl"), "ports": ["62881-63881"]})
    assert code == 0 and result["changed"] is False
    owners = result["owners"]
    assert [(c["local_port"], c["pid"], c["kind"]) for c in owners["conflicts"]] == [(62888, 7, "foreign_listener")]
    assert owners["conflict"] is True and owners["free_ports"] == []
    assert sorted(r["local_port"] for r in owners["sockets"]) == [62888, 62889, 63500]
    with open("/proc/sys/net/ipv4/ip_local_port_range") as fh:
        assert result["ip_local_port_range"] == " ".join(fh.read().split())
    with open("/proc/sys/net/ipv4/ip_local_reserved_ports") as fh:
        assert result["ip_local_reserved_ports"] == fh.read().strip()


def test_by_default_only_the_agents_ports_are_scanned(tmp_path, capsys, host):
    running_agent(host, "legacy")
    host["listening"][63500] = {"pid": 8, "name": "java"}
    result, _code = run(capsys, {"home": make_home(tmp_path, "legacy"), "protected": ["java"]})
    assert sorted(r["local_port"] for r in result["owners"]["sockets"]) == [62888, 62889, 63000]
    assert result["owners"]["conflict"] is False


@pytest.mark.parametrize("args, words", [
    ({"ports": ["62881-"]}, ["ports", "'62881-'"]),
    ({"ports": ["\u0669"]}, ["ports"]),
    ({"ports": []}, ["ports", "empty"]),
    ({"protected": ["a\nb"]}, ["protected", "'a\\nb'"]),
    ({"home": "/nonexistent/ocp_agent"}, ["OCP-Agent home /nonexistent/ocp_agent does not exist"]),
    ({"home": "/tmp/a\0b"}, ["home", "'/tmp/a\\x00b'"]),
    ({"flavor": "newest"}, ["flavor", "newest"]),
    ({"timeout": "nan"}, ["timeout", "'nan'"]),
    ({"timeout": 301}, ["timeout", "301", "300"]),
    ({"timeout": "\u0669"}, ["timeout", "'\u0669'"]),
])
def test_bad_input(tmp_path, capsys, host, args, words):
    result, code = run(capsys, dict({"home": make_home(tmp_path, "agentctl")}, **args))
    assert code == 1 and result["failed"]
    for word in words:
        assert word in result["msg"]
