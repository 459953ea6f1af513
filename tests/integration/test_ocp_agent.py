"""ocp_agent against the OCP-Agent simulator, both generations, in a private namespace host (the
agent's fixed ports are free there and nothing outside is touched)."""
# pylint: disable=disallowed-name
import os
import shutil

import pytest

from tests.support.nshost import FAULTS, PY, Agent, private_host

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network/PID namespaces)"),
    pytest.mark.skipif(not shutil.which("nsenter"), reason="needs nsenter"),
]

FLAVORS = ["legacy", "agentctl"]


@pytest.fixture
def host():
    with private_host("ocp-agent-mod-") as h:
        yield h


def names(result):
    return {p["name"]: p for p in result["processes"]}


@pytest.mark.parametrize("flavor", FLAVORS)
def test_start_check_mode_then_start_then_no_change(host, flavor):
    agent = Agent(host, flavor)
    plan = host.module("ocp_agent", {"home": agent.home, "state": "started"}, check_mode=True)
    assert plan["changed"] and plan["flavor"] == flavor and not plan["ready"]
    assert any(step.startswith("start: ") for step in plan["plan"])
    assert not [p for p in host.procs() if p["comm"] == "ocp_agentd"], "check mode started the agent"

    started = host.module("ocp_agent", {"home": agent.home, "state": "started", "timeout": 60})
    assert started["changed"] and started["ready"], started
    procs = names(started)
    for name, (port, _path) in agent.layout.items():
        assert procs[name]["ports"] == [port] and procs[name]["http_status"] == 200
        assert procs[name]["pid"] in [p["pid"] for p in host.procs(name)]
    assert started["diff"]["before"] != started["diff"]["after"]
    assert sorted(int(p) for p in started["expected_ports"]) == sorted(p for p, _ in agent.layout.values())

    again = host.module("ocp_agent", {"home": agent.home, "state": "started"})
    assert not again["changed"] and again["ready"]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_stop_leaves_no_agent_process_and_is_idempotent(host, flavor):
    agent = Agent(host, flavor)
    assert host.module("ocp_agent", {"home": agent.home, "state": "started"})["ready"]
    stopped = host.module("ocp_agent", {"home": agent.home, "state": "stopped"})
    assert stopped["changed"] and stopped["plan"][0].startswith("stop: ")
    left = [p for p in host.procs() if p["comm"] in ("ocp_agentd",) + tuple(agent.layout)]
    assert left == []
    assert host.module("ocp_agent", {"home": agent.home, "state": "stopped"})["changed"] is False


@pytest.mark.parametrize("flavor", FLAVORS)
def test_start_blocked_by_a_foreign_listener_fails_with_holder_and_logs(host, flavor):
    agent = Agent(host, flavor)
    rogue, info = host.spawn([PY, os.path.join(FAULTS, "rogue_listener.py"), "62888"])
    try:
        failed = host.module("ocp_agent", {"home": agent.home, "state": "started", "timeout": 8})
        assert failed.get("failed"), failed
        assert "did not become ready" in failed["msg"] and "62888" in failed["msg"]
        holder = failed["port_holders"]["62888"][0]
        assert holder["pid"] == info["pid"] and holder["process"]["name"] == "rogue-http"
        guardian_log = os.path.join(agent.home, "log", "ocp_agentd.log")
        assert guardian_log in failed["log_tail"] and failed["log_tail"][guardian_log]
    finally:
        host.term(info["pid"], rogue)
    # The guardian gave the child up: the port is free but only a restart brings it back.
    recovered = host.module("ocp_agent", {"home": agent.home, "state": "started", "timeout": 60})
    assert recovered["changed"] and recovered["ready"], recovered
    assert [s.split(":")[0] for s in recovered["plan"][:2]] == ["stop", "start"]


@pytest.mark.parametrize("flavor", FLAVORS)
def test_restarted_replaces_every_process(host, flavor):
    agent = Agent(host, flavor)
    before = names(host.module("ocp_agent", {"home": agent.home, "state": "started"}))
    after = host.module("ocp_agent", {"home": agent.home, "state": "restarted", "timeout": 60})
    assert after["changed"] and after["ready"]
    for name, row in names(after).items():
        assert row["pid"] and row["pid"] != before[name]["pid"]


def test_bad_input_is_a_clear_failure(host):
    missing = host.module("ocp_agent", {"home": "/nonexistent/ocp_agent"})
    assert missing["failed"] and "/nonexistent/ocp_agent does not exist" in missing["msg"]
    empty = host.module("ocp_agent", {"home": host.tmp})
    assert empty["failed"] and "no OCP-Agent control script" in empty["msg"]
    agent = Agent(host, "agentctl")
    wrong = host.module("ocp_agent", {"home": agent.home, "flavor": "legacy"})
    assert wrong["failed"] and "ocp_agent_ctl.py is missing" in wrong["msg"]
    bad_flavor = host.module("ocp_agent", {"home": agent.home, "flavor": "newest"})
    assert bad_flavor["failed"] and "newest" in bad_flavor["msg"]
    assert not [p for p in host.procs() if p["comm"] == "ocp_agentd"]
