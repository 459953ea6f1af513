# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The exporter_ports runbook's report document, from the registered results (controller side, pure).

It tells only the truth: `plan` holds the steps decided (in check mode, what would be done), `done`
only steps that ran, each taken from a task's result (a terminated process, a sysctl that changed, the
agent module's own `actions`). A step that never ran (the agent's wait for readiness, given up because
another process took a port back) is in neither.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.alertops.remediation.plugins.filter.exporter_ports_decide import holder
from ansible_collections.alertops.remediation.plugins.module_utils.agent_status import describe_blocker

# The raw results kept in the document's `data`: `before` and `after` are the ocp_agent_info reads of
# detect and verify (the agent, the holders of the ports in `owners`, the ephemeral port settings).
DATA_KEYS = ("before", "decision", "release", "reservation", "outbound_wait", "agent_after", "after")


def ran(result):
    """A registered result of a task that ran (not undefined, not skipped)."""
    return isinstance(result, dict) and bool(result) and not result.get("skipped")


def _done(results, check_mode):
    if check_mode:
        return []  # every task ran in check mode: nothing was done
    done = []
    release = results.get("release")
    if ran(release):
        for t in release.get("terminated", []):
            done.append("terminated %s (pid %s, start time %s, exe %s) holding port(s) %s with %s via %s" % (
                t.get("name"), t.get("pid"), t.get("start_time"), t.get("exe"),
                ",".join(str(p) for p in t.get("ports", [])), t.get("signal"), t.get("signal_method")))
        for s in release.get("survivors", []):
            done.append("sent %s to %s (pid %s) holding port(s) %s via %s; it still runs: %s" % (
                s.get("signal"), s.get("name"), s.get("pid"), ",".join(str(p) for p in s.get("ports", [])),
                s.get("signal_method"), s.get("reason")))
    reservation = results.get("reservation")
    if ran(reservation) and reservation.get("changed"):
        decision = results.get("decision") or {}
        done.append('reserved ports %s in net.ipv4.ip_local_reserved_ports (was "%s"), persisted in %s' % (
            ",".join(str(p) for p in decision.get("at_risk", [])), _before(results).get("ip_local_reserved_ports", ""),
            results.get("sysctl_file", "")))
    wait = results.get("outbound_wait")
    if ran(wait):
        left = [r for r in wait.get("conflicts", []) if r.get("kind") == "outbound_ephemeral"]
        done.append("waited for the outbound connection(s) on agent ports to close: %s probe(s), %s" % (
            wait.get("attempts", 1), "%d still open" % len(left) if left else "all closed"))
    agent = results.get("agent_after")
    if ran(agent):
        done.extend(agent.get("actions", []))
    return done


def _plan(results):
    plan = list((results.get("decision") or {}).get("plan", []))
    release = results.get("release")
    if ran(release) and results.get("check_mode"):
        plan.extend("would terminate %s on port %s" % (holder(r), r["local_port"])
                    for r in release.get("would_terminate", []))
    agent = results.get("agent_after")
    if ran(agent):
        plan.extend(("would " if results.get("check_mode") else "agent: ") + step for step in agent.get("plan", []))
    return plan


def _status(results):
    changed = any(ran(results.get(k)) and results[k].get("changed") for k in ("release", "reservation", "agent_after"))
    decision = results.get("decision") or {}
    if results.get("failure"):
        return ("refused" if decision.get("refusal") else "failed"), " ".join(str(results["failure"]).split())
    if results.get("check_mode"):
        release = results.get("release") or {}
        agent = results.get("agent_after") or {}
        return "dry-run", "plan: %d holder(s) to terminate, %s, %s" % (
            len(set(r.get("pid") for r in release.get("would_terminate", []))),
            "reserve ports " + ",".join(str(p) for p in decision["at_risk"]) if decision.get("reserve")
            else "no reservation",
            "restart the agent" if agent.get("plan") else "agent already ready")
    if changed:
        agent = results.get("agent_after") or _before(results)
        return "remediated", "exporter ports freed and the %s agent is ready" % agent.get("flavor", "?")
    extra = len(decision.get("coexisting", []))
    return "healthy", "nothing to do: every exporter port is held by its agent process%s" % (
        " (%d coexisting connection(s), information only)" % extra if extra else "")


def _before(results):
    """detect's read, {} when the run stopped before it."""
    return results.get("before") if ran(results.get("before")) else {}


def _found(results, port_range):
    owners = _before(results).get("owners") or {}
    rows = []
    kernel = 0
    for s in owners.get("sockets", []):
        if s.get("pid") is None:
            kernel += 1
            continue
        process = s.get("process") or {}
        rows.append([s["local_port"], s["state"], s.get("kind", "other"), s["pid"], process.get("name") or "?",
                     process.get("user") or "?",
                     "%s:%s" % (s["remote_address"], s["remote_port"]) if s.get("remote_port") else "",
                     ",".join(str(p) for p in s.get("holders", []))])
    return {"title": "Found (who held ports in %s)" % ",".join(str(p) for p in port_range),
            "columns": ["port", "state", "kind", "pid", "process", "user", "remote", "holders"],
            "rows": rows, "empty": "nobody held a port in the range",
            "note": "%d socket(s) without a process (TIME_WAIT and the like) not listed" % kernel if kernel else ""}


def _left(results):
    decision = results.get("decision") or {}
    lines = list(decision.get("left_alone", []))
    release = results.get("release")
    if ran(release):
        lines.extend("pid %s (%s): %s" % (s.get("pid"), s.get("name") or "?", s.get("reason"))
                     for s in release.get("skipped", []))
    return {"title": "Left alone (and why)", "lines": lines, "empty": "nothing was left alone"}


def _root_cause(results):
    decision = results.get("decision") or {}
    before = _before(results)
    at_risk = decision.get("at_risk", [])
    return {"title": "Root cause check", "lines": [
        "ephemeral port range (net.ipv4.ip_local_port_range): %s" % (
            "-".join(str(before.get("ip_local_port_range") or "?").split())),
        "reserved ports before the run: %s" % (str(before.get("ip_local_reserved_ports") or "").strip() or "(none)"),
        "agent ports the kernel could hand out to outbound connections: %s" % ",".join(str(p) for p in at_risk)
        if at_risk else "no agent port is inside the ephemeral range unreserved"]}


def _agent(results):
    section = {"title": "Agent after the run", "columns": ["process", "pid", "port", "listening", "http", "ready"],
               "rows": [], "empty": "the agent's state was not read"}
    for key in ("after", "agent_after", "before"):
        if ran(results.get(key)) and results[key].get("processes"):
            section["rows"] = [[p["name"], p["pid"], ",".join(str(x) for x in p["ports"]), p["listening"],
                                p["http_status"], p["ready"]] for p in results[key]["processes"]]
            break
    return section


def _taken(results):
    """Who held an agent port when the agent was started, so that the start was given up (None when
    nobody did): each holder with its parent, the supervisor that starts it again."""
    agent = results.get("agent_after")
    blockers = agent.get("port_blockers") if ran(agent) else None
    if not blockers:
        return None
    release = results.get("release")
    ended = release.get("terminated", []) if ran(release) else []
    lines = []
    for entry in blockers:
        before = ["%s (pid %s)" % (t.get("name"), t.get("pid")) for t in ended
                  if entry["port"] in t.get("ports", []) and t.get("pid") != entry["pid"]]
        lines.append("%s%s" % (describe_blocker(entry), "; it took the port back after this run terminated %s: "
                               "its parent starts it again, stop that first" % ", ".join(before) if before else ""))
    return {"title": "Agent ports held by another process when the agent was started", "lines": lines}


def exporter_ports_report(results, port_range=None):
    """The report document {status, summary, plan, done, sections, data} for remediation_common's writer.

    results: {before, decision, sysctl_file, release, reservation, outbound_wait, agent_after, after,
    failure, check_mode}, `before` and `after` the ocp_agent_info reads of detect and verify; any of the
    task results may be missing (the run stopped before it) or skipped.
    """
    if not isinstance(results, dict):
        raise AnsibleFilterError("exporter_ports_report needs a dict of the run's results, got %r" % type(results))
    status, summary = _status(results)
    taken = _taken(results)
    return {
        "status": status,
        "summary": summary,
        "plan": _plan(results),
        "done": _done(results, results.get("check_mode")),
        "sections": ([taken] if taken else []) + [_found(results, port_range or []), _left(results),
                                                  _root_cause(results), _agent(results)],
        "data": dict((k, results.get(k)) for k in DATA_KEYS),
    }


class FilterModule(object):
    def filters(self):
        return {"exporter_ports_report": exporter_ports_report}
