"""ocp_agent's decisions with the host's processes, sockets and HTTP replaced: what it plans, when it
changes nothing, how it fails. The real simulator runs in tests/integration/test_ocp_agent.py."""

import pytest

from ansible_collections.alertops.remediation.plugins.modules import ocp_agent
from tests.support.modrun import run_main
from tests.unit.plugins.module_utils.test_agent_layout import make_home


def run(capsys, args, check_mode=False):
    return run_main(ocp_agent.main, capsys, args, check_mode=check_mode)


@pytest.fixture
def host(monkeypatch):
    """A fake host: which agent processes run and which ports they hold; commands are recorded."""
    state = {"procs": [], "listening": {}, "commands": []}

    def find_processes(names):
        return [p for p in state["procs"] if p["name"] in names]

    def read_sockets(local_ports=None, states=None):
        return [{"local_port": port, "inode": port} for port in local_ports if port in state["listening"]]

    def find_owners(sockets):
        return {}, {}

    def owned_sockets(sockets, owners, unresolved):
        return [dict(s, pid=state["listening"][s["local_port"]]["pid"],
                     process=state["listening"][s["local_port"]]) for s in sockets], []

    monkeypatch.setattr(ocp_agent.procfs, "find_processes", find_processes)
    monkeypatch.setattr(ocp_agent.procfs, "read_sockets", read_sockets)
    monkeypatch.setattr(ocp_agent.procfs, "find_owners", find_owners)
    monkeypatch.setattr(ocp_agent.procfs, "owned_sockets", owned_sockets)
    monkeypatch.setattr(ocp_agent, "http_status", lambda port, path: 200)
    return state


def running_agent(state, flavor):
    pid = 100
    state["procs"] = [{"pid": pid, "name": "ocp_agentd"}]
    for name, (port, _path) in ocp_agent.agent_layout.SERVICES[flavor].items():
        pid += 1
        proc = {"pid": pid, "name": name}
        state["procs"].append(proc)
        state["listening"][port] = proc


@pytest.mark.parametrize("flavor", ["legacy", "agentctl"])
def test_running_and_ready_means_no_change(tmp_path, capsys, host, flavor):
    running_agent(host, flavor)
    result, code = run(capsys, {"home": make_home(tmp_path, flavor)})
    assert code == 0 and result["changed"] is False and result["ready"] is True and result["plan"] == []
    assert result["flavor"] == flavor


def test_check_mode_plans_a_start_and_runs_nothing(tmp_path, capsys, host, monkeypatch):
    calls = []
    monkeypatch.setattr(ocp_agent.AnsibleModule, "run_command", lambda self, *a, **k: calls.append(a) or (0, "", ""))
    result, code = run(capsys, {"home": make_home(tmp_path, "agentctl")}, check_mode=True)
    assert code == 0 and result["changed"] is True and calls == []
    assert result["plan"][0].endswith("bin/ocp_agentctl start")


def test_guardian_running_children_given_up_plans_stop_then_start(tmp_path, capsys, host):
    host["procs"] = [{"pid": 7, "name": "ocp_agentd"}]
    result, code = run(capsys, {"home": make_home(tmp_path, "legacy"), "python": "python2"}, check_mode=True)
    assert code == 0 and result["changed"] is True and result["ready"] is False
    stop, start, wait = result["plan"]
    assert stop.startswith("stop: python2 ") and stop.endswith("/ocp_agent_ctl.py stop ocp_agent")
    assert start.startswith("start: python2 ") and start.endswith("/ocp_agent_ctl.py start ocp_agent")
    assert wait.startswith("wait up to 60s for ")


def test_stopped_when_nothing_runs_is_no_change(tmp_path, capsys, host):
    result, code = run(capsys, {"home": make_home(tmp_path, "agentctl"), "state": "stopped"})
    assert code == 0 and result["changed"] is False


@pytest.mark.parametrize("args, message", [
    ({"home": "/nonexistent/ocp_agent"}, "OCP-Agent home /nonexistent/ocp_agent does not exist"),
    ({"timeout": 0}, "timeout must be a positive number of seconds, got 0"),
])
def test_bad_input(tmp_path, capsys, host, args, message):
    result, code = run(capsys, dict({"home": make_home(tmp_path, "agentctl")}, **args))
    assert code == 1 and result["failed"] and message in result["msg"]


def test_a_failing_control_script_is_reported_with_its_output_and_logs(tmp_path, capsys, host, monkeypatch):
    home = make_home(tmp_path, "agentctl")
    (tmp_path / "ocp_agent" / "log" / "ocp_agentd.log").write_text("line 1\nguardian could not start\n")
    monkeypatch.setattr(ocp_agent.AnsibleModule, "run_command", lambda self, *a, **k: (2, "", "boom"))
    result, code = run(capsys, {"home": home})
    assert code == 1 and "exited 2" in result["msg"] and result["stderr"] == "boom"
    assert result["log_tail"][home + "/log/ocp_agentd.log"][-1] == "guardian could not start"
