"""exporter_ports_report: the report document from the registered results, table-driven.

Every case is also checked against the document contract (keys, types, no Plan/Done section) and
against the truth rule: each `done` line comes from a result of something that ran."""

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.alertops.remediation.plugins.filter.exporter_ports_decide import exporter_ports_decide
from ansible_collections.alertops.remediation.plugins.filter.exporter_ports_report import exporter_ports_report
from ansible_collections.alertops.remediation.plugins.plugin_utils.report_markdown import render

STATUSES = {"remediated", "healthy", "dry-run", "failed", "leak", "refused"}
SKIPPED = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}
PROCESSES = [{"name": "ocp_agentd", "pid": 10, "ports": [], "listening": None, "http_status": None, "ready": True},
             {"name": "ocp_mgragent", "pid": 11, "ports": [62888], "listening": True, "http_status": 200,
              "ready": True}]
AGENT_UP = {"changed": False, "flavor": "agentctl", "ready": True, "processes": PROCESSES, "not_ready": [],
            "port_holders": {}, "expected_ports": {"62888": ["ocp_mgragent"], "62889": ["ocp_monagent"]}}
AGENT_DOWN = dict(AGENT_UP, ready=False, processes=PROCESSES[:1])


def sock(port, pid, name, kind, state="LISTEN", remote=("0.0.0.0", 0), holders=None):
    return {"protocol": "tcp", "local_address": "0.0.0.0", "local_port": port, "remote_address": remote[0],
            "remote_port": remote[1], "state": state, "inode": 1000 + port, "uid": 0, "pid": pid, "kind": kind,
            "holders": holders or [pid],
            "process": {"name": name, "user": "root", "start_time": 5000, "exe": "/usr/bin/" + name}}


ROGUE = [sock(62888, 7, "rogue", "foreign_listener", holders=[7, 8]),
         sock(62888, 8, "rogue-worker", "foreign_listener", holders=[7, 8])]
OWNERS_ROGUE = {"changed": False, "sockets": ROGUE, "conflicts": ROGUE, "coexisting": [], "free_ports": [62889],
                "unresolved": [], "conflict": True}
OWNERS_HEALTHY = {"changed": False, "sockets": [sock(62888, 11, "ocp_mgragent", "rightful")], "conflicts": [],
                  "coexisting": [], "free_ports": [], "unresolved": [], "conflict": False}


def terminated(pid, name):
    return {"pid": pid, "name": name, "ports": [62888], "holders": [7, 8], "start_time": 5000,
            "exe": "/usr/bin/python3", "signal": "SIGTERM", "signal_method": "pidfd"}


AGENT_ACTIONS = ["stop: /h/bin/ocp_agentctl stop: exit 0", "waited 1s until no agent process was left",
                 "start: /h/bin/ocp_agentctl start: exit 0",
                 "waited 3s until every exporter answered HTTP 200 (ocp_mgragent on 62888, ocp_monagent on 62889)"]
AGENT_AFTER = dict(AGENT_UP, changed=True, plan=["stop: /h/bin/ocp_agentctl stop", "start: /h/bin/ocp_agentctl start",
                                                 "wait up to 30s for ..."], actions=AGENT_ACTIONS)


def read(agent, owners, port_range="32768 60999", reserved=""):
    """An ocp_agent_info result as detect and verify register it."""
    return dict(agent, owners=owners, ip_local_port_range=port_range, ip_local_reserved_ports=reserved)


HEALTHY_AFTER = read(AGENT_UP, OWNERS_HEALTHY)


def results(owners=None, agent=None, port_range="32768 60999", reserved="", check_mode=False, **ran):
    before = read(AGENT_UP if agent is None else agent, OWNERS_HEALTHY if owners is None else owners,
                  port_range, reserved)
    base = {"before": before, "sysctl_file": "/etc/sysctl.d/60-ocp-agent-reserved-ports.conf", "release": SKIPPED,
            "reservation": SKIPPED, "outbound_wait": SKIPPED, "agent_after": SKIPPED, "after": None,
            "failure": None, "check_mode": check_mode}
    base["decision"] = exporter_ports_decide(before)
    base.update(ran)
    return base


SUPERVISOR = {"pid": 6, "name": "supervise-http", "cmdline": "supervise-http -I /opt/respawner.py 62888 --delay 4",
              "unit": None}
TAKEN_BACK = {"port": 62888, "service": "ocp_mgragent", "pid": 20, "name": "rogue", "user": "root",
              "cmdline": "rogue -I /opt/rogue_listener.py 62888", "unit": None, "state": "LISTEN", "ppid": 6,
              "parent": SUPERVISOR}


CASES = {
    "healthy host": (results(after=HEALTHY_AFTER), "healthy", 0),
    "prefork rogue removed, agent restarted": (results(
        owners=OWNERS_ROGUE, agent=AGENT_DOWN,
        release={"changed": True, "terminated": [terminated(7, "rogue"), terminated(8, "rogue-worker")],
                 "skipped": [], "survivors": [], "would_terminate": [], "released_ports": [62888]},
        agent_after=AGENT_AFTER, after=HEALTHY_AFTER), "remediated", 6),
    "the port is taken back before the agent binds it: the start is given up, naming who took it": (results(
        owners=OWNERS_ROGUE, agent=AGENT_DOWN,
        release={"changed": True, "terminated": [terminated(7, "rogue")], "skipped": [], "survivors": [],
                 "released_ports": [62888]},
        agent_after={"failed": True, "msg": "the agent was started, but ocp_mgragent cannot bind: ...",
                     "flavor": "agentctl", "plan": AGENT_AFTER["plan"], "actions": AGENT_ACTIONS[:3],
                     "processes": PROCESSES[:1], "port_holders": {}, "port_blockers": [TAKEN_BACK]},
        failure="Act | Restart the agent so its guardian takes the children back: the agent was started, but "
                "ocp_mgragent cannot bind: port 62888 (ocp_mgragent) is held by rogue (pid 20, ...)"),
        "failed", 4),
    "a holder that survives": (results(
        owners=OWNERS_ROGUE, agent=AGENT_DOWN,
        release={"changed": True, "failed": True, "terminated": [], "skipped": [],
                 "survivors": [dict(terminated(7, "rogue"), reason="still running 3s after SIGTERM; escalate is "
                                                                   "false, so it was left running")]},
        failure="Act | Terminate: pid 7 (rogue) still running"), "failed", 1),
    "dry run": (results(
        owners=OWNERS_ROGUE, agent=AGENT_DOWN, check_mode=True,
        release={"changed": True, "terminated": [], "skipped": [], "survivors": [],
                 "would_terminate": [ROGUE[0], ROGUE[1]]},
        reservation={"changed": True}, agent_after=dict(AGENT_AFTER, actions=[])), "dry-run", 0),
    "protected holder refused": (results(
        owners=dict(OWNERS_HEALTHY, conflicts=[sock(62889, 9, "observer", "protected")]), agent=AGENT_DOWN,
        failure="Decide | Leave protected holders alone: port 62889 is held by observer"), "refused", 0),
    "outbound connection waited for, reservation made": (results(
        owners=dict(OWNERS_HEALTHY, conflicts=[
            sock(62889, 9, "observer", "outbound_ephemeral", "ESTABLISHED", ("10.0.0.5", 2882))]),
        agent=AGENT_DOWN, port_range="3500\t65535\n",
        reservation={"changed": True}, outbound_wait={"changed": False, "attempts": 4, "conflicts": []},
        agent_after=AGENT_AFTER, after=HEALTHY_AFTER), "remediated", 6),
    "nothing read: detect failed": (
        {"failure": "Detect | Read the agent's state: OCP-Agent home /x does not exist", "check_mode": False},
        "failed", 0),
}


def done_from_results(res):
    """What ran, independently of the filter: each entry is how a done line about it must begin."""
    ran = []
    if res.get("check_mode"):
        return ran
    release = res.get("release") or {}
    if not release.get("skipped"):
        ran += ["terminated %s (pid %s, " % (t["name"], t["pid"]) for t in release.get("terminated", [])]
        ran += ["sent %s to %s (pid %s) " % (s["signal"], s["name"], s["pid"]) for s in release.get("survivors", [])]
    reservation = res.get("reservation") or {}
    if not reservation.get("skipped") and reservation.get("changed"):
        ran.append("reserved ports ")
    wait = res.get("outbound_wait") or {}
    if wait and not wait.get("skipped"):
        ran.append("waited for the outbound connection(s) ")
    agent = res.get("agent_after") or {}
    if not agent.get("skipped"):
        ran += agent.get("actions", [])
    return ran


@pytest.mark.parametrize("case", sorted(CASES))
def test_report(case):
    res, status, done_count = CASES[case]
    doc = exporter_ports_report(res, ["62881-63881"])
    assert sorted(doc) == sorted(["status", "summary", "plan", "done", "sections", "data"])
    assert doc["status"] == status and doc["status"] in STATUSES
    assert isinstance(doc["summary"], str) and doc["summary"] and "\n" not in doc["summary"]
    assert all(isinstance(line, str) for line in doc["plan"] + doc["done"])
    assert isinstance(doc["data"], dict)
    for section in doc["sections"]:
        assert section["title"] and section["title"].split()[0] not in ("Plan", "Done")
        assert isinstance(section.get("lines"), list) or (
            isinstance(section["columns"], list) and all(len(r) == len(section["columns"]) for r in section["rows"]))
    # The truth rule: every done line is one thing that ran, and everything that ran is said once.
    ran = done_from_results(res)
    assert len(doc["done"]) == len(ran) == done_count, doc["done"]
    for line, fact in zip(doc["done"], ran):
        assert line.startswith(fact), (line, fact)


def test_a_port_taken_back_is_named_with_its_supervisor_first_and_only_what_ran_is_done():
    res, _status, _count = CASES["the port is taken back before the agent binds it: the start is given up, naming who took it"]
    doc = exporter_ports_report(res, ["62881-63881"])
    assert doc["done"][0].startswith("terminated rogue (pid 7, ")
    assert doc["done"][1:] == AGENT_ACTIONS[:3], "the agent's stop and start ran; its wait for readiness did not"
    taken = doc["sections"][0]
    assert taken["title"] == "Agent ports held by another process when the agent was started"
    [line] = taken["lines"]
    for words in ("port 62888 (ocp_mgragent) is held by rogue (pid 20", "rogue_listener.py 62888",
                  "parent pid 6 supervise-http", SUPERVISOR["cmdline"],
                  "it took the port back after this run terminated rogue (pid 7)"):
        assert words in line, line
    markdown = render(dict(doc, runbook="exporter_ports", host="agent1", run_id="r", check_mode=False,
                           written_at="2026-11-29T00:00:00Z"))
    assert SUPERVISOR["cmdline"] in markdown and "rogue (pid 20" in markdown


def test_no_taken_back_section_when_the_agent_started():
    res, _status, _count = CASES["prefork rogue removed, agent restarted"]
    titles = [s["title"] for s in exporter_ports_report(res, ["62881-63881"])["sections"]]
    assert not [t for t in titles if "held by another process" in t]


def test_dry_run_plan_says_would_and_nothing_is_done():
    res, _status, _count = CASES["dry run"]
    doc = exporter_ports_report(res, ["62881-63881"])
    assert doc["done"] == []
    assert "would terminate rogue (pid 7) on port 62888" in doc["plan"]
    assert "would stop: /h/bin/ocp_agentctl stop" in doc["plan"]
    assert doc["summary"] == "plan: 2 holder(s) to terminate, no reservation, restart the agent"


def test_found_section_lists_every_holder_with_its_kind():
    res, _status, _count = CASES["prefork rogue removed, agent restarted"]
    found = exporter_ports_report(res, ["62881-63881"])["sections"][0]  # no start was given up: Found is first
    assert found["title"] == "Found (who held ports in 62881-63881)"
    assert [(r[0], r[2], r[3], r[7]) for r in found["rows"]] == [
        (62888, "foreign_listener", 7, "7,8"), (62888, "foreign_listener", 8, "7,8")]


def test_report_refuses_what_is_not_a_dict():
    with pytest.raises(AnsibleFilterError):
        exporter_ports_report(["not", "results"])
