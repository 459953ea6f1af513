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


@pytest.mark.parametrize("args, words", [
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
