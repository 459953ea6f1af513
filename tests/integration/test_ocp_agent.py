"""ocp_agent against the OCP-Agent simulator, both generations, in a private namespace host (the
agent's fixed ports are free there and nothing outside is touched)."""
# pylint: disable=disallowed-name
import os
import pathlib
import shutil

import pytest

from tests.support.nshost import FAULTS, PY, Agent, private_host
from tests.unit.plugins.module_utils.test_agent_layout import make_home
from tests.unit.plugins.modules.test_ocp_agent import agentctl_script

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
        # given up at once (not after the timeout), naming the holder
        assert "cannot bind" in failed["msg"] and "62888" in failed["msg"] and "rogue-http" in failed["msg"]
        assert "did not become ready" not in failed["msg"]
        blocker = [b for b in failed["port_blockers"] if b["port"] == 62888][0]
        assert blocker["pid"] == info["pid"] and blocker["name"] == "rogue-http"
        holder = failed["port_holders"]["62888"][0]
        assert holder["pid"] == info["pid"] and holder["process"]["name"] == "rogue-http"
        guardian_log = os.path.join(agent.home, "log", "ocp_agentd.log")
        assert guardian_log in failed["log_tail"]
    finally:
        host.term(info["pid"], rogue)
    # With the port free again, a start brings every exporter up (restarting the agent if its guardian
    # gave the child up meanwhile).
    recovered = host.module("ocp_agent", {"home": agent.home, "state": "started", "timeout": 60})
    assert recovered["ready"], recovered
    assert [s.split(":")[0] for s in recovered["plan"][:2]] in ([], ["stop", "start"]), recovered["plan"]


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


def fake_home(host, script):
    """An agent home (agentctl generation) whose control script is `script` (sh), with a log directory."""
    home = make_home(pathlib.Path(host.tmp), "agentctl")
    agentctl_script(home, script)
    return home


def test_a_hanging_control_script_is_bounded_by_timeout(host):
    home = fake_home(host, "sleep 600 &\nwait\n")
    failed = host.module("ocp_agent", {"home": home, "timeout": 3}, timeout=60)
    assert failed.get("failed") and "did not finish within timeout=3s" in failed["msg"], failed
    assert "bin/ocp_agentctl start" in failed["msg"]
    assert not host.procs("sleep"), "the script's process group was not killed"


def test_logs_that_are_not_regular_files_are_never_read(host):
    home = fake_home(host, "echo boom >&2\nexit 3\n")
    log = os.path.join(home, "log")
    with open(os.path.join(log, "ocp_agentd.log"), "w") as handle:
        handle.write("".join("line %d\n" % i for i in range(100)))
    os.mkfifo(os.path.join(log, "fifo.log"))
    secret = os.path.join(host.tmp, "root-only")
    with open(secret, "w") as handle:
        handle.write("SECRET\n")
    os.chmod(secret, 0o600)
    os.symlink(secret, os.path.join(log, "link.log"))
    failed = host.module("ocp_agent", {"home": home, "log_lines": 5}, timeout=60)
    assert failed["msg"] == "the agent's control script failed: %s/bin/ocp_agentctl start exited 3" % home
    assert failed["log_tail"][os.path.join(log, "ocp_agentd.log")] == ["line %d" % i for i in range(95, 100)]
    assert failed["log_tail"][os.path.join(log, "fifo.log")][0].startswith("<not read: not a regular file")
    assert failed["log_tail"][os.path.join(log, "link.log")] == ["<not read: a symbolic link: not followed>"]
    assert "SECRET" not in str(failed)


@pytest.mark.parametrize("args, words", [
    ({"log_lines": -5}, ["log_lines", "-5"]),
    ({"log_lines": 100000000}, ["log_lines", "100000000"]),
    ({"timeout": "\u0669"}, ["timeout", "'\u0669'"]),
    ({"timeout": "nan"}, ["timeout", "'nan'"]),
    ({"timeout": 1e308}, ["timeout", "1e+308"]),
])
def test_bad_numbers_are_refused_before_anything_runs(host, args, words):
    home = fake_home(host, "touch %s/ran\nexit 3\n" % host.tmp)
    failed = host.module("ocp_agent", dict({"home": home}, **args), timeout=60)
    assert failed.get("failed"), failed
    for word in words:
        assert word in failed["msg"], failed["msg"]
    assert not os.path.exists(os.path.join(host.tmp, "ran")), "the control script ran on bad input"


@pytest.mark.parametrize("flavor", FLAVORS)
def test_info_reads_without_changing_anything(host, flavor):
    agent = Agent(host, flavor)
    down = host.module("ocp_agent_info", {"home": agent.home})
    assert down["changed"] is False and down["ready"] is False and down["flavor"] == flavor
    assert not [p for p in host.procs() if p["comm"] == "ocp_agentd"], "the info module started the agent"
    assert host.module("ocp_agent", {"home": agent.home, "state": "started", "timeout": 60})["ready"]
    up = host.module("ocp_agent_info", {"home": agent.home})
    assert up["changed"] is False and up["ready"] is True
    pids = dict((p["comm"], p["pid"]) for p in host.procs())
    assert dict((r["name"], r["pid"]) for r in up["processes"]) == dict(
        (name, pids[name]) for name in ["ocp_agentd"] + list(agent.layout))
    assert sorted(int(p) for p in up["expected_ports"]) == sorted(p for p, _ in agent.layout.values())
    assert up["port_holders"] == {}
    checked = host.module("ocp_agent_info", {"home": agent.home}, check_mode=True)
    assert checked["changed"] is False and checked["ready"] is True
