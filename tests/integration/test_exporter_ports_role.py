"""The exporter_ports runbook on the lab, beyond the molecule scenario: dry run, supervisors that
respawn, a guardian that gave up, protected holders, releasing turned off, bad input and an
unreachable host. Each test leaves both agent hosts as it found them (faults undone, sysctls reset,
agent running)."""
import glob
import json
import os
import tempfile

import pytest

from tests.support.lab import lab, run_ansible  # noqa: F401  pylint: disable=unused-import

HOME = "/home/admin/ocp_agent"
PLAYBOOK = "playbooks/remediate_ports.yml"


@pytest.fixture
def reports():
    with tempfile.TemporaryDirectory(prefix="exporter-ports-reports-") as path:
        yield path


@pytest.fixture
def agents(lab):  # noqa: F811
    before = set(f.id for f in lab.faults())
    yield lab
    # Undo only the faults this test injected: other suites may share the lab.
    for fault in lab.faults():
        if fault.id not in before:
            fault.undo()
    for host in lab.group("ocp_agents"):
        lab.exec(host, ["sh", "-c", "echo > /proc/sys/net/ipv4/ip_local_reserved_ports; "
                                    "echo '32768 60999' > /proc/sys/net/ipv4/ip_local_port_range; "
                                    "rm -f /etc/sysctl.d/60-ocp-agent-reserved-ports.conf"])
        ctl(lab, host, "stop")
        ctl(lab, host, "start")


def ctl(lab, host, action):  # noqa: F811
    if lab.exec(host, ["test", "-x", HOME + "/bin/ocp_agentctl"], check=False).returncode == 0:
        argv = [HOME + "/bin/ocp_agentctl", action]
    else:
        argv = ["python3", HOME + "/ocp_agent_ctl.py", action, "ocp_agent"]
    return lab.exec(host, argv, check=False, timeout=90)


def alive(lab, host, pid):  # noqa: F811
    return lab.exec(host, ["test", "-e", "/proc/%d" % pid], check=False).returncode == 0


def playbook(lab, reports, *args, inventory=None):  # noqa: F811
    argv = ["ansible-playbook", PLAYBOOK, "-e", "exporter_ports_report_dir=" + reports,
            "-e", "exporter_ports_kill_timeout=3", "-e", "exporter_ports_agent_timeout=30"] + list(args)
    if inventory:
        argv += ["-i", inventory]
    return run_ansible(lab, argv, timeout=400)


def report(reports, host):
    paths = sorted(glob.glob(os.path.join(reports, "exporter_ports", "*", host + ".json")))
    assert paths, "no report for %s in %s" % (host, reports)
    with open(paths[-1]) as fh:
        return json.load(fh)


def section(doc, title):
    return next(s for s in doc["sections"] if s["title"].startswith(title))


def wait_given_up(lab, host, service):  # noqa: F811
    lab.exec(host, ["sh", "-c", "for i in $(seq 120); do grep -q 'giving up.*service=%s' %s/log/ocp_agentd.log "
                                "&& exit 0; sleep 0.5; done; exit 1" % (service, HOME)], timeout=90)


def test_dry_run_changes_nothing(agents, reports):
    rogue = agents.inject("rogue-listener", "agent1", "62888", "--home", HOME)
    run = playbook(agents, reports, "--check", "-l", "agent1")
    assert run.returncode == 0, run.stdout[-3000:]
    assert alive(agents, "agent1", rogue.pid), "a dry run signalled the rogue listener"
    doc = report(reports, "agent1")
    assert doc["status"] == "dry-run" and doc["check_mode"] is True and doc["done"] == []
    assert any("would terminate rogue-http (pid %d)" % rogue.pid in line for line in doc["plan"])
    assert any(line.startswith("would stop: ") for line in doc["plan"])


def test_supervisor_that_respawns_fails_naming_it_without_looping(agents, reports):
    stopped = ctl(agents, "agent1", "stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    sup = agents.inject("respawner", "agent1", "62888")
    ctl(agents, "agent1", "start")
    run = playbook(agents, reports, "-l", "agent1")
    assert run.returncode != 0
    assert "cannot bind" in run.stdout and "supervise-http" in run.stdout, run.stdout[-3000:]
    assert alive(agents, "agent1", sup.pid), "the supervisor itself must not be killed"
    doc = report(reports, "agent1")
    assert doc["status"] == "failed" and "supervise-http" in doc["summary"]
    # One kill only: the role fails instead of killing each new child in a loop.
    terminated = doc["data"]["release"].get("terminated", [])
    assert len(terminated) <= 1
    # The agent's start was given up on the held port: its wait for readiness is not listed as done.
    assert not [line for line in doc["done"] if "HTTP 200" in line], doc["done"]
    [taken] = [s for s in doc["sections"] if s["title"].startswith("Agent ports held by another process")]
    assert any("supervise-http" in line for line in taken["lines"]), taken


def test_guardian_gave_up_ports_free_restart_brings_children_back(agents, reports):
    rogue = agents.inject("rogue-listener", "agent2", "62888", "--home", HOME)
    wait_given_up(agents, "agent2", "ocp_mgragent")
    rogue.undo()  # the port is free now, but the guardian gave the child up
    run = playbook(agents, reports, "-l", "agent2")
    assert run.returncode == 0, run.stdout[-3000:]
    doc = report(reports, "agent2")
    assert doc["status"] == "remediated"
    done = doc["done"]
    assert done[0].startswith("stop: ") and done[2].startswith("start: "), done
    assert all(row[-1] is True for row in section(doc, "Agent after the run")["rows"])


def test_protected_holder_is_left_alone_with_the_reason(agents, reports):
    observer = agents.inject("rogue-listener", "agent1", "62888", "--name", "observer", "--home", HOME)
    run = playbook(agents, reports, "-l", "agent1")
    assert run.returncode != 0
    assert "observer" in run.stdout and "protected process" in run.stdout
    assert alive(agents, "agent1", observer.pid)
    doc = report(reports, "agent1")
    assert doc["status"] == "refused" and doc["done"] == []
    assert any("observer (pid %d)" % observer.pid in line for line in section(doc, "Left alone")["lines"])


def test_release_turned_off_leaves_the_listener(agents, reports):
    rogue = agents.inject("rogue-listener", "agent1", "62888", "--home", HOME)
    run = playbook(agents, reports, "-l", "agent1", "-e", "exporter_ports_release_foreign=false")
    assert run.returncode != 0 and "exporter_ports_release_foreign is false" in run.stdout
    assert alive(agents, "agent1", rogue.pid)


@pytest.mark.parametrize("extra, expected", [
    (["-e", "exporter_ports_home=/home/admin/no_such_agent"], "/home/admin/no_such_agent does not exist"),
    (["-e", "exporter_ports_flavor=newest"], "newest"),
    (["-e", '{"exporter_ports_range": ["62881-"]}'], "'62881-' is not a port"),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(agents, reports, extra, expected):
    rogue = agents.inject("rogue-listener", "agent1", "62888", "--home", HOME)
    run = playbook(agents, reports, "-l", "agent1", *extra)
    assert run.returncode != 0
    assert expected in run.stdout + run.stderr, (run.stdout + run.stderr)[-3000:]
    assert alive(agents, "agent1", rogue.pid), "bad input must change nothing"


def test_unreachable_host_does_not_stop_the_others(agents, reports):
    rogue = agents.inject("rogue-listener", "agent1", "62888", "--home", HOME)
    # A host of the group whose ssh port is closed: agent2's address, port 2222.
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as fh:
        fh.write("ocp_agents:\n  hosts:\n    ghost:\n      ansible_host: %s\n      ansible_port: 2222\n"
                 % agents.address("agent2"))
        ghost_inventory = fh.name
    try:
        run = playbook(agents, reports, "-l", "agent1,ghost", inventory=ghost_inventory)
    finally:
        os.unlink(ghost_inventory)
    assert run.returncode != 0
    assert "UNREACHABLE" in run.stdout
    assert "not remediated (failed or unreachable): ghost" in run.stdout
    assert not alive(agents, "agent1", rogue.pid)
    assert report(reports, "agent1")["status"] == "remediated"
