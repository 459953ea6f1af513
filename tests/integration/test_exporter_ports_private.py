"""The exporter_ports runbook (playbooks/remediate_ports.yml, real ansible-playbook) on a private
namespace host with the agent simulator: no lab needed. The host's /run and /etc/sysctl.d are its own,
its sysctls are its network namespace's, and everything it ran ends with it.

What these runs prove: a healthy agent is reported with 0 changed; a connection sharing an exporter's
port with the serving agent (both SO_REUSEADDR) is information, not a failure; a foreign pre-fork
server is removed whole; and every "done" line of the report is something that ran.
"""
import glob
import json
import os
import re
import shutil

import pytest

from tests.support.nshost import FAULTS, PY, Agent, private_host

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network/PID namespaces)"),
    pytest.mark.skipif(not shutil.which("nsenter"), reason="needs nsenter"),
]

PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")
SHARED = os.path.join(PROGRAMS, "shared_socket.py")
PLAYBOOK = "playbooks/remediate_ports.yml"
FAST = ["-e", "exporter_ports_kill_timeout=3", "-e", "exporter_ports_agent_timeout=30",
        "-e", "exporter_ports_collect_logs=never"]


@pytest.fixture
def host():
    with private_host("exporter-ports-") as h:
        yield h


def remediate(host, *args):
    run = host.playbook(PLAYBOOK, *(FAST + list(args)))
    recap = re.search(r"agent\s+: ok=\d+\s+changed=(\d+)\s+unreachable=\d+\s+failed=(\d+)", run.stdout)
    assert recap, run.stdout[-3000:]
    return run, int(recap.group(1)), int(recap.group(2))


def changed_tasks(run):
    """Names of the tasks that reported changed, in order."""
    names = []
    for block in run.stdout.split("\nTASK [")[1:]:
        if "\nchanged: [agent]" in block:
            names.append(block.split("]", 1)[0].split(" : ", 1)[-1])
    return names


def reports(host):
    docs = []
    for path in sorted(glob.glob(os.path.join(host.tmp, "reports", "exporter_ports", "*", "agent.json"))):
        with open(path) as handle:
            docs.append(json.load(handle))
    return docs


def pids(host):
    """The pids running in the host, but the probe that lists them."""
    return set(p["pid"] for p in host.procs() if p["argv"][1:2] != ["-c"])


def started_agent(host, flavor):
    agent = Agent(host, flavor)
    agent.ctl("start")
    agent.wait_ready()
    return agent


def test_a_healthy_agent_is_reported_with_nothing_changed(host):
    agent = started_agent(host, "agentctl")
    run, changed, failed = remediate(host, "-e", "exporter_ports_home=" + agent.home)
    assert (changed, failed) == (0, 0), run.stdout[-4000:]
    [doc] = reports(host)
    assert doc["status"] == "healthy" and doc["done"] == [], doc


@pytest.mark.parametrize("flavor", ["legacy", "agentctl"])
def test_a_connection_next_to_the_serving_agent_is_information_not_a_failure(host, flavor):
    """observer binds 62889 with SO_REUSEADDR and connects out before the agent starts; the agent's
    listener (SO_REUSEADDR too) binds next to it and serves. Nothing is wrong and nothing is signalled."""
    _peer, peer = host.spawn([PY, SHARED, "2882", "--parent", "peer"])
    _conn, observer = host.spawn([PY, SHARED, "62889", "--parent", "observer", "--connect", "127.0.0.1:2882"])
    agent = started_agent(host, flavor)
    before = pids(host)
    run, changed, failed = remediate(host, "-e", "exporter_ports_home=" + agent.home)
    assert failed == 0 and changed == 0, run.stdout[-4000:]
    assert {observer["parent"], peer["parent"]} <= pids(host) and before <= pids(host)
    [doc] = reports(host)
    assert doc["status"] == "healthy" and doc["done"] == []
    coexisting = [line for s in doc["sections"] for line in s.get("lines", []) if "coexist" in line]
    assert any("observer (pid %d)" % observer["parent"] in line for line in coexisting), doc["sections"]


def test_a_foreign_prefork_server_is_removed_whole_and_a_second_run_changes_nothing(host):
    agent = Agent(host, "agentctl")
    _server, rogue = host.spawn([PY, SHARED, "62888", "--parent", "rogue", "--child", "rogue-worker",
                                 "--child", "rogue-worker", "--address", "0.0.0.0"])
    agent.ctl("start")
    everyone = sorted([rogue["parent"]] + rogue["children"])
    run, changed, failed = remediate(host, "-e", "exporter_ports_home=" + agent.home)
    assert failed == 0, run.stdout[-4000:]
    # Only the two steps that change something: reads (detect, verify) never report a change.
    assert changed_tasks(run) == ["Act | Terminate foreign listeners on the agent's ports",
                                  "Act | Restart the agent so its guardian takes the children back"], run.stdout
    assert not set(everyone) & pids(host)
    agent.wait_ready()
    [doc] = reports(host)
    assert doc["status"] == "remediated"
    terminated = [line for line in doc["done"] if line.startswith("terminated ")]
    assert sorted(int(re.search(r"pid (\d+)", line).group(1)) for line in terminated) == everyone
    assert any(line.startswith("start: ") for line in doc["done"]), doc["done"]
    again, changed, failed = remediate(host, "-e", "exporter_ports_home=" + agent.home)
    assert (changed, failed) == (0, 0), again.stdout[-4000:]
    assert reports(host)[-1]["status"] == "healthy"


def test_a_dry_run_signals_nothing_and_reports_only_a_plan(host):
    agent = Agent(host, "agentctl")
    _rogue, info = host.spawn([PY, os.path.join(FAULTS, "rogue_listener.py"), "62888"])
    agent.ctl("start")
    run, _changed, failed = remediate(host, "--check", "-e", "exporter_ports_home=" + agent.home)
    assert failed == 0, run.stdout[-4000:]
    assert info["pid"] in pids(host)
    [doc] = reports(host)
    assert doc["status"] == "dry-run" and doc["done"] == []
    assert any("rogue-http (pid %d)" % info["pid"] in line for line in doc["plan"]), doc["plan"]


def test_a_rogue_respawned_at_once_stops_the_agent_start_and_done_lists_only_what_ran(host):
    """A supervisor restarts the holder within 0.2 s: it takes the port back before the agent's child
    binds it. The agent's start is given up at once, naming the holder and its supervisor; the report
    lists the kill and the agent's stop and start (they ran), never a wait for readiness that did not."""
    agent = Agent(host, "agentctl")
    _sup, supervisor = host.spawn([PY, os.path.join(FAULTS, "respawner.py"), "62888"])
    agent.ctl("start")
    run, _changed, failed = remediate(host, "-e", "exporter_ports_home=" + agent.home)
    assert failed == 1 and "cannot bind" in run.stdout and "supervise-http" in run.stdout, run.stdout[-4000:]
    [doc] = reports(host)
    assert doc["status"] == "failed" and "supervise-http" in doc["summary"], doc["summary"]
    terminated = [line for line in doc["done"] if line.startswith("terminated ")]
    assert terminated, "the first holder was terminated: that ran"
    for line in terminated:
        match = re.match(r"terminated \S+ \(pid (\d+), start time \d+, exe [^)]+\) holding port\(s\) 62888 "
                         r"with SIG[A-Z]+ via (pidfd|pid\+start_time)$", line)
        assert match, "a done line that matches nothing that ran: %r" % line
        assert int(match.group(1)) != supervisor["pid"] and int(match.group(1)) not in pids(host)
    rest = doc["done"][len(terminated):]
    assert [line.split(":", 1)[0] for line in rest if not line.startswith("waited ")] == ["stop", "start"], rest
    assert not [line for line in rest if "HTTP 200" in line], "the wait for readiness never ended: %r" % rest
    assert supervisor["pid"] in pids(host)


def test_a_rogue_its_supervisor_restarts_after_4s_is_named_with_the_supervisor_and_the_run_fails_fast(host):
    """The supervisor restarts the rogue 4 s after it dies (longer than any watch of the freed port), and
    the agent's ocp_mgragent needs 8 s to bind (it loads its configuration first): the rogue takes 62888
    back while the agent starts. The run must fail as soon as the rogue holds the port (not when the
    agent's 90 s timeout runs out) and name the rogue and its supervisor's command line in the failure
    and in the Markdown report."""
    agent = Agent(host, "agentctl")
    _sup, supervisor = host.spawn([PY, os.path.join(FAULTS, "respawner.py"), "62888", "--delay", "4"])
    agent.ctl("start")
    with open(os.path.join(agent.home, "conf", "slow_start.json"), "w") as handle:
        json.dump({"name": "ocp_mgragent", "seconds": 8}, handle)
    conf = os.path.join(agent.home, "conf", "agent.json")
    with open(conf) as handle:
        settings = json.load(handle)
    interpreter = os.path.join(host.tmp, "slow-python")
    with open(interpreter, "w") as handle:
        handle.write('#!/bin/sh\nexec %s %s "$@"\n' % (PY, os.path.join(PROGRAMS, "slow_start.py")))
    os.chmod(interpreter, 0o755)
    settings["python"] = interpreter  # read by the agent's next start
    with open(conf, "w") as handle:
        json.dump(settings, handle)
    [sup_proc] = [p for p in host.procs() if p["pid"] == supervisor["pid"]]
    sup_cmdline = " ".join(sup_proc["argv"])
    run, _changed, failed = remediate(host, "-e", "exporter_ports_home=" + agent.home,
                                      "-e", "exporter_ports_agent_timeout=90")
    assert failed == 1, run.stdout[-4000:]
    failure = [block for block in run.stdout.split("\nTASK [")
               if block.startswith("alertops.remediation.exporter_ports : Act | Restart the agent")]
    assert failure and "fatal: [agent]" in failure[0], run.stdout[-4000:]
    message = failure[0]
    assert "did not become ready within" not in message, "it waited out the timeout: " + message[-2000:]
    for words in ("ocp_mgragent", "62888", "rogue-http", "supervise-http", sup_cmdline):
        assert words in message, (words, message[-3000:])
    [doc] = reports(host)
    assert doc["status"] == "failed"
    [markdown] = glob.glob(os.path.join(host.tmp, "reports", "exporter_ports", "*", "agent.md"))
    with open(markdown) as handle:
        text = handle.read()
    assert sup_cmdline in text and "rogue-http (pid" in text, text
    assert supervisor["pid"] in pids(host), "the supervisor is named, never signalled"
