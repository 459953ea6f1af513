"""exporter_ports_decide / exporter_ports_outbound_left: the runbook's decisions, table-driven."""
import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.alertops.remediation.plugins.filter.exporter_ports_decide import (
    exporter_ports_decide, exporter_ports_outbound_left)

AGENT = {"flavor": "agentctl", "ready": True, "expected_ports": {"62888": ["ocp_mgragent"], "62889": ["ocp_monagent"]}}
DOWN = dict(AGENT, ready=False)


def row(port, kind, pid, name, remote=("0.0.0.0", 0), state="LISTEN"):
    return {"local_port": port, "kind": kind, "pid": pid, "state": state, "remote_address": remote[0],
            "remote_port": remote[1], "process": {"name": name, "user": "root"}}


ROGUE = [row(62888, "foreign_listener", 7, "rogue"), row(62888, "foreign_listener", 8, "rogue-worker")]
OBSERVER_OUT = row(62889, "outbound_ephemeral", 9, "observer", ("10.0.0.5", 2882), "ESTABLISHED")
OBSERVER_LISTEN = row(62889, "protected", 9, "observer")
COEXISTING = row(62889, "coexisting", 9, "observer", ("127.0.0.1", 2882), "ESTABLISHED")
# As ocp_agent_info returns them (white space collapsed); the filter also takes the kernel's own text.
DEFAULT_RANGE, OCEANBASE_RANGE = "32768 60999", "3500\t65535\n"


def detected(owners, agent, port_range, reserved):
    """The ocp_agent_info result of detect: the agent's state, the owners and the sysctls in one."""
    return dict(agent, owners=owners, ip_local_port_range=port_range, ip_local_reserved_ports=reserved)


CASES = {
    "healthy": (
        {"conflicts": [], "coexisting": []}, AGENT, DEFAULT_RANGE, "", {},
        dict(release_ports=[], outbound_ports=[], at_risk=[], reserve=False, ensure_agent=False, refusal=None,
             plan=[])),
    "a connection next to the serving agent is information": (
        {"conflicts": [], "coexisting": [COEXISTING]}, AGENT, DEFAULT_RANGE, "", {},
        dict(release_ports=[], ensure_agent=False, refusal=None, plan=[],
             left_alone=["observer (pid 9): connection from port 62889 to 127.0.0.1:2882 coexists with the agent's "
                         "serving listener (both set SO_REUSEADDR): information only, nothing to do"])),
    "foreign pre-fork server": (
        {"conflicts": ROGUE, "coexisting": []}, DOWN, DEFAULT_RANGE, "", {},
        dict(release_ports=[62888], ensure_agent=True, refusal=None,
             plan=["terminate every holder of the foreign socket(s) on port(s) 62888: rogue (pid 7), "
                   "rogue-worker (pid 8)",
                   "make sure the agentctl agent runs and every exporter answers HTTP 200 (restart it when it is "
                   "not ready)"])),
    "releasing turned off": (
        {"conflicts": ROGUE, "coexisting": []}, DOWN, DEFAULT_RANGE, "", {"release_foreign": False},
        dict(release_ports=[], plan=[],
             refusal="port 62888 is held by rogue (pid 7); port 62888 is held by rogue-worker (pid 8); left alone "
                     "because exporter_ports_release_foreign is false.")),
    "protected holder": (
        {"conflicts": [OBSERVER_LISTEN], "coexisting": []}, DOWN, DEFAULT_RANGE, "", {},
        dict(plan=[], refusal="port 62889 is held by observer (pid 9), user root, a protected process or one "
                              "sharing its socket: it was left alone because stopping it to free an exporter port "
                              "could take down a database or access to the host. Free the port by hand or change "
                              "the protected list (exporter_ports_protected) on purpose.")),
    "observer's ephemeral port on OceanBase's wide range": (
        {"conflicts": [OBSERVER_OUT], "coexisting": []}, DOWN, OCEANBASE_RANGE, "1000-1002", {"sysctl_file": "/f"},
        dict(release_ports=[], outbound_ports=[62889], at_risk=[62888, 62889], reserve=True,
             reserved_after="1000-1002,62888-62889", refusal=None,
             plan=["reserve ports 62888,62889 in net.ipv4.ip_local_reserved_ports, persisted in /f",
                   "wait up to 60s for the outbound connection(s) of observer (pid 9) on port(s) 62889 to close "
                   "(never signalled)",
                   "make sure the agentctl agent runs and every exporter answers HTTP 200 (restart it when it is "
                   "not ready)"])),
    "already reserved": (
        {"conflicts": [], "coexisting": []}, AGENT, OCEANBASE_RANGE, "62888-62889", {},
        dict(at_risk=[], reserve=False, reserved_after="62888-62889")),
    "reservation turned off": (
        {"conflicts": [], "coexisting": []}, AGENT, OCEANBASE_RANGE, "", {"reserve_ports": False},
        dict(at_risk=[62888, 62889], reserve=False, plan=[])),
    "conflicts on ports that are not the agent's are not acted on": (
        {"conflicts": [row(63000, "foreign_listener", 5, "nc")], "coexisting": []}, AGENT, DEFAULT_RANGE, "", {},
        dict(release_ports=[], foreign=[], ensure_agent=False)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_decide(case):
    owners, agent, port_range, reserved, settings, expected = CASES[case]
    decision = exporter_ports_decide(detected(owners, agent, port_range, reserved), **settings)
    assert decision["agent_ports"] == [62888, 62889]
    for key, value in expected.items():
        assert decision[key] == value, key


@pytest.mark.parametrize("before", [
    {"skipped": True},
    None,
    dict(AGENT, owners={"conflicts": []}, ip_local_port_range=DEFAULT_RANGE),
    dict(AGENT, owners=None, ip_local_port_range=DEFAULT_RANGE, ip_local_reserved_ports=""),
])
def test_decide_refuses_results_it_cannot_use(before):
    with pytest.raises(AnsibleFilterError, match="the ocp_agent_info result of detect"):
        exporter_ports_decide(before)


@pytest.mark.parametrize("wait, reserve, message", [
    ({"skipped": True}, True, ""),
    (None, True, ""),
    ({"conflicts": []}, True, ""),
    ({"conflicts": [OBSERVER_OUT]}, True,
     "port 62889 is still the ephemeral port of an outbound connection of observer (pid 9) to 10.0.0.5:2882 after "
     "60s; it was not signalled (it is an ordinary connection, not a rogue listener). The ports are now reserved, "
     "so this will not recur once the connection closes."),
    ({"conflicts": [OBSERVER_OUT]}, False, "Set exporter_ports_reserve_ports to prevent a repeat."),
])
def test_outbound_left(wait, reserve, message):
    text = exporter_ports_outbound_left(wait, 60, reserve)
    assert text.endswith(message) if message else text == ""
