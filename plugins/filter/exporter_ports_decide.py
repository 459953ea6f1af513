# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exporter_ports runbook's decisions (controller side, pure): what may be done about each holder of
an agent port, and when the run must stop and say why. roles/exporter_ports/tasks/decide.yml and act.yml
call these; the role's YAML only follows the decision."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.alertops.remediation.plugins.filter.portset import portset_missing, portset_union
from ansible_collections.alertops.remediation.plugins.module_utils.portspec import (
    KIND_FOREIGN as FOREIGN, KIND_OUTBOUND as OUTBOUND, KIND_PROTECTED as PROTECTED)


def holder(row):
    """`name (pid N)` of a socket row."""
    return "%s (pid %s)" % ((row.get("process") or {}).get("name") or "?", row.get("pid"))


def _unique(rows):
    """One row per (port, pid): a holder is named once per port whatever number of sockets it has."""
    seen = set()
    unique = []
    for row in rows:
        key = (row.get("local_port"), row.get("pid"))
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


def _ports(rows):
    return sorted(set(r["local_port"] for r in rows))


def _join(ports):
    return ",".join(str(p) for p in ports)


def _refusal(protected, foreign, release_foreign):
    if protected:
        return "".join(
            "port %s is held by %s, user %s, a protected process or one sharing its socket: it was left alone "
            "because stopping it to free an exporter port could take down a database or access to the host. " % (
                r["local_port"], holder(r), (r.get("process") or {}).get("user") or "?")
            for r in _unique(protected)) + \
            "Free the port by hand or change the protected list (exporter_ports_protected) on purpose."
    if foreign and not release_foreign:
        return "".join("port %s is held by %s; " % (r["local_port"], holder(r)) for r in _unique(foreign)) + \
            "left alone because exporter_ports_release_foreign is false."
    return None


def left_alone(decision):
    """What the run leaves as it is, and why, one line per holder."""
    lines = ["%s: outbound connection from port %s to %s:%s took an agent port as its ephemeral port; never "
             "signalled" % (holder(r), r["local_port"], r["remote_address"], r["remote_port"])
             for r in decision["outbound"]]
    lines += ["%s on port %s: protected process, or a process sharing a protected one's socket; never signalled"
              % (holder(r), r["local_port"]) for r in _unique(decision["protected"])]
    lines += ["%s: connection from port %s to %s:%s coexists with the agent's serving listener (both set "
              "SO_REUSEADDR): information only, nothing to do" % (
                  holder(r), r["local_port"], r["remote_address"], r["remote_port"])
              for r in decision["coexisting"]]
    return lines


def exporter_ports_decide(before, release_foreign=True, reserve_ports=True, wait_outbound=60, sysctl_file=""):
    """Decide from what detect read.

    before: the ocp_agent_info result of detect (the agent's state and expected ports, `owners` for the
    scanned range, and the texts of net.ipv4.ip_local_port_range and ip_local_reserved_ports). Returns a
    dict: agent_ports, foreign / outbound / protected / coexisting (socket rows on agent ports),
    release_ports, outbound_ports, at_risk, reserve, reserved_after, ensure_agent, refusal (the reason to
    stop, or None), plan (lines) and left_alone (lines).
    """
    keys = ("expected_ports", "owners", "ip_local_port_range", "ip_local_reserved_ports")
    if not isinstance(before, dict) or not all(k in before for k in keys) or not isinstance(before["owners"], dict):
        raise AnsibleFilterError("exporter_ports_decide needs the ocp_agent_info result of detect (with %s)" %
                                 ", ".join(keys))
    owners = before["owners"]
    port_range, reserved = str(before["ip_local_port_range"]), str(before["ip_local_reserved_ports"])
    agent_ports = sorted(int(p) for p in before["expected_ports"])
    conflicts = [r for r in owners.get("conflicts", []) if r.get("local_port") in agent_ports]
    decision = {
        "agent_ports": agent_ports,
        "foreign": [r for r in conflicts if r["kind"] == FOREIGN],
        "outbound": [r for r in conflicts if r["kind"] == OUTBOUND],
        "protected": [r for r in conflicts if r["kind"] == PROTECTED],
        "coexisting": [r for r in owners.get("coexisting", []) if r.get("local_port") in agent_ports],
        "at_risk": portset_missing(agent_ports, port_range.strip(), reserved.strip()),
    }
    decision["release_ports"] = _ports(decision["foreign"]) if release_foreign else []
    decision["outbound_ports"] = _ports(decision["outbound"])
    decision["reserve"] = bool(reserve_ports and decision["at_risk"])
    decision["reserved_after"] = portset_union(reserved.strip(), agent_ports) if decision["reserve"] else reserved.strip()
    decision["ensure_agent"] = bool(decision["release_ports"] or decision["outbound_ports"] or not before.get("ready"))
    decision["refusal"] = _refusal(decision["protected"], decision["foreign"], release_foreign)
    plan = []
    if decision["release_ports"]:
        plan.append("terminate every holder of the foreign socket(s) on port(s) %s: %s" % (
            _join(decision["release_ports"]), ", ".join(holder(r) for r in _unique(decision["foreign"]))))
    if decision["reserve"]:
        plan.append("reserve ports %s in net.ipv4.ip_local_reserved_ports, persisted in %s" % (
            _join(decision["at_risk"]), sysctl_file))
    if decision["outbound_ports"]:
        plan.append("wait up to %ss for the outbound connection(s) of %s on port(s) %s to close (never signalled)" % (
            wait_outbound, ", ".join(holder(r) for r in _unique(decision["outbound"])), _join(decision["outbound_ports"])))
    if decision["ensure_agent"]:
        plan.append("make sure the %s agent runs and every exporter answers HTTP 200 (restart it when it is "
                    "not ready)" % before.get("flavor", "?"))
    decision["plan"] = [] if decision["refusal"] else plan
    decision["left_alone"] = left_alone(decision)
    return decision


def exporter_ports_outbound_left(wait, wait_seconds, reserve_ports):
    """The reason to stop when outbound connections still hold agent ports after the wait, or ''."""
    if not isinstance(wait, dict) or wait.get("skipped"):
        return ""
    left = [r for r in wait.get("conflicts", []) if r.get("kind") == OUTBOUND]
    if not left:
        return ""
    return "".join(
        "port %s is still the ephemeral port of an outbound connection of %s to %s:%s after %ss; " % (
            r["local_port"], holder(r), r["remote_address"], r["remote_port"], wait_seconds) for r in left) + \
        "it was not signalled (it is an ordinary connection, not a rogue listener). " + \
        ("The ports are now reserved, so this will not recur once the connection closes." if reserve_ports
         else "Set exporter_ports_reserve_ports to prevent a repeat.")


class FilterModule(object):
    def filters(self):
        return {"exporter_ports_decide": exporter_ports_decide,
                "exporter_ports_outbound_left": exporter_ports_outbound_left}
