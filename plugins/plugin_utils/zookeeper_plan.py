# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbook's decision for the whole ensemble: leave it, report a leak, or raise maxClientCnxns, to
which value, on which members in which order, and how (live through JMX or with a rolling restart).

Pure: takes the survey (zookeeper_ensemble.survey), the evidence inputs and the live-relief probes the
role gathered, returns the plan. A refusal (bad input, nothing sensible to do) is returned as
``refusal``; the role stops on it before anything is changed.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math

from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_ensemble as ensemble
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_evidence as evidence
from ansible_collections.alertops.remediation.plugins.plugin_utils.zookeeper_options import check

PROBE = "__zookeeper_connections_probe"
NOTHING_CHANGED = "Nothing was changed."


def new_limit(current, peak, options):
    """The formula, written once: max(current x raise_factor, peak x headroom), capped at max_limit."""
    wanted = max(int(math.ceil(current * options["raise_factor"])), int(math.ceil(peak * options["headroom"])))
    return min(wanted, options["max_limit"]), wanted


def _probe_refusal(server, probe):
    """Why live relief cannot be trusted on this member (None when it can)."""
    if not probe or probe.get("skipped"):
        return "%s: live relief was not probed" % server["name"]
    if probe.get("unreachable"):
        return "%s: unreachable: %s" % (server["name"], " ".join(str(probe.get("msg") or "").split()))
    if probe.get("failed"):
        return "%s: %s: %s" % (server["name"], probe.get("reason") or "failed",
                               " ".join(str(probe.get("msg") or "").split()))
    seen = probe.get("before")
    if seen != server["limit"]:
        # A JVM whose bean disagrees with what the client port reports is not the server we measured.
        return ("%s: the JVM found (pid %s) has MaxClientCnxnsPerHost=%r but the server on the client port "
                "runs with maxClientCnxns=%d" % (server["name"], probe.get("pid"), seen, server["limit"]))
    return None


def choose_method(options, servers, relieve, hostvars):
    """live or restart for the members to relieve -> (method, reason, refusal)."""
    apply = options["apply"]
    if apply == "restart":
        return "restart", "zookeeper_connections_apply is restart", None
    reasons = []
    if options.get("extra_settings"):
        reasons.append("zookeeper_connections_extra_settings (%s) take effect only at a restart"
                       % ", ".join(sorted(options["extra_settings"])))
    by_name = dict((s["name"], s) for s in servers)
    for name in relieve:
        refusal = _probe_refusal(by_name[name], (hostvars.get(name) or {}).get(PROBE))
        if refusal:
            reasons.append(refusal)
    if not reasons:
        return "live", "every member to relieve accepts live relief (JMX MaxClientCnxnsPerHost)", None
    why = "; ".join(reasons)
    if apply == "live":
        return None, why, ("zookeeper_connections_apply is live, but live relief is not possible: %s. Set it to "
                           "auto or restart to allow a rolling restart. %s" % (why, NOTHING_CHANGED))
    return "restart", "live relief is not possible (%s): rolling restart of the ensemble instead" % why, None


def _base(survey, options):
    servers = survey["servers"]
    return {
        "members": list(survey["members"]), "action": "none", "refusal": None, "method": None, "method_reason": "", "old_limit": 0,
        "new_limit": 0, "computed_limit": 0, "peak": 0, "unfinished": [], "order": [], "restart": [],
        "limits_after": {},
        "settings": {}, "leader": ensemble.leader_of(servers), "participants": survey["participants"],
        "observers": survey["observers"], "roles": dict((s["name"], s["role"]) for s in servers),
        "modes": dict((s["name"], s["mode"]) for s in servers),
        "limits_before": dict((s["name"], s["limit"]) for s in servers),
        "analysis": [], "leak_ips": [], "summary": "", "steps": [], "notes": [],
        "gate_retries": int(math.ceil(options["restart_timeout"] / options["gate_delay"])),
        "apply": options["apply"], "versions": survey["versions"], "mixed_versions": survey["mixed_versions"],
    }


def _notes(survey):
    notes = []
    if survey["mixed_versions"]:
        notes.append("the members run different ZooKeeper versions (%s): a rolling upgrade may be in progress"
                     % ", ".join("%s %s" % (n, (v or "?").split(",")[0]) for n, v in sorted(survey["versions"].items())))
    for s in survey["servers"]:
        if s["limit"] == 0:
            notes.append("%s: maxClientCnxns=0 (unlimited), nothing to raise there" % s["name"])
        elif s["conf_limit"] < s["limit"]:
            notes.append("%s: zoo.cfg holds maxClientCnxns=%d below the running %d (a change for the next "
                         "restart); not lowered by this runbook" % (s["name"], s["conf_limit"], s["limit"]))
    return notes


def plan(survey, hostvars, owners_results, uptime_results, options):
    """The decision. See the module docstring; the keys are documented in the filter zookeeper_plan."""
    options = check(options)
    out = _base(survey, options)
    if survey["problems"]:
        out["refusal"] = "cannot analyse the ensemble: %s. %s" % ("; ".join(survey["problems"]), NOTHING_CHANGED)
        return out
    servers = survey["servers"]
    limited = [s for s in servers if s["limit"]]
    current = max([s["limit"] for s in limited] or [0])
    out["old_limit"] = current
    out["notes"] = _notes(survey)
    if options["max_limit"] < current:
        out["refusal"] = ("zookeeper_connections_max_limit=%d is below the current maxClientCnxns (%s): a cap "
                          "cannot lower the limit. %s" % (options["max_limit"], ", ".join(
                              "%s=%d" % (s["name"], s["limit"]) for s in limited if s["limit"] > options["max_limit"]),
                              NOTHING_CHANGED))
        return out
    analysis, lost = evidence.analyse(survey, hostvars, owners_results, uptime_results, options)
    if lost:
        out["refusal"] = "could not sample %s again. %s" % (", ".join(lost), NOTHING_CHANGED)
        return out
    leaks = [a for a in analysis if a["leak"]]
    peak = max([a["peak"] for a in analysis] or [0])
    target, behind = survey["target"], survey["behind"]
    out.update({"analysis": analysis, "leak_ips": [a["ip"] for a in leaks], "peak": peak, "unfinished": behind})
    if not current:
        out["summary"] = "maxClientCnxns is 0 (unlimited) on every member: no client IP can be refused, nothing to raise"
        return out
    raise_for_alarm = bool(analysis) and (not leaks or options["raise_on_leak"])
    if not raise_for_alarm and not behind:
        if leaks:
            out["action"] = "leak"
        out["summary"] = _summary_without_change(out, leaks, options)
        return out
    # The formula starts from the limit the alarm saw, not from a member that already runs a higher one.
    by_name = dict((s["name"], s) for s in limited)
    alarm_limit = max([s["limit"] for s in limited if s["name"] in survey["focus"] and
                       any(e.get("ip") in survey["candidates"] for e in s["saturated"])] or [current])
    out["old_limit"] = alarm_limit if raise_for_alarm else min(by_name[n]["limit"] for n in behind)
    capped, wanted = new_limit(alarm_limit, peak, options) if raise_for_alarm else (target, target)
    if raise_for_alarm and max(capped, target) <= alarm_limit and not behind:
        out["refusal"] = ("cannot raise maxClientCnxns above %d: zookeeper_connections_max_limit is %d (wanted %d). "
                          "Raise the cap on purpose or reduce the connections of %s. %s"
                          % (alarm_limit, options["max_limit"], wanted, ", ".join(a["ip"] for a in analysis),
                             NOTHING_CHANGED))
        return out
    limit = max(capped, target)
    acting = [s["name"] for s in limited if s["limit"] != limit or s["conf_limit"] != limit]
    relieve = [s["name"] for s in limited if s["limit"] != limit]
    method, reason, refusal = choose_method(options, servers, relieve, hostvars)
    settings = dict(options.get("extra_settings") or {})
    settings["maxClientCnxns"] = limit
    out.update({
        "action": "raise", "new_limit": limit, "computed_limit": wanted, "order": ensemble.order(servers, acting),
        "restart": ensemble.order(servers, relieve), "method": method, "method_reason": reason,
        "limits_after": dict((name, limit) for name in (s["name"] for s in limited)),
        "refusal": refusal, "settings": settings,
    })
    out["steps"] = _steps(out, servers)
    out["summary"] = _summary_raise(out, leaks, behind, target)
    return out


def _summary_without_change(out, leaks, options):
    if leaks:
        parts = []
        for a in leaks:
            top = a["holders"][0] if a["holders"] else None
            parts.append("%s%s%s: %s" % (
                a["ip"], (" (%s)" % a["host"]) if a["host"] else "",
                (", held by %s pid %s (%d connections)" % (top["name"], top["pid"], top["count"])) if top else "",
                ", ".join(e["detail"] for e in a["evidence"] if e["counted"])))
        return ("connection leak from %s. maxClientCnxns left at %d: raising it would only feed the leak (set "
                "zookeeper_connections_raise_on_leak to raise anyway); %s"
                % ("; ".join(parts), out["old_limit"], leaks[0]["recommendation"]))
    where = "".join([" from %s" % options["alarm_client_ip"] if options.get("alarm_client_ip") else "",
                     " on %s" % options["alarm_server_ip"] if options.get("alarm_server_ip") else ""])
    return ("no client IP is at or over %s%% of maxClientCnxns%s: the alarm condition is not present, nothing to do"
            % (options["threshold_percent"], where))


def _summary_raise(out, leaks, behind, target):
    why = []
    if out["analysis"]:
        why.append("growth, peak %d connections from one IP on one server" % out["peak"]
                   if not leaks else "leak suspected but zookeeper_connections_raise_on_leak is set")
    if behind:
        why.append("an earlier run stopped half way: %s run below %d" % (", ".join(behind), target))
    how = ("live on %s, one at a time, then persisted in zoo.cfg without a restart" % ", ".join(out["restart"])
           if out["method"] == "live" else
           "with a rolling restart of %s (leader last)" % " -> ".join(out["restart"]) if out["restart"] else
           "in zoo.cfg only (the servers already run with it)")
    return "raise maxClientCnxns %d -> %d (%s) %s; %s" % (
        out["old_limit"], out["new_limit"], "; ".join(why), how, out["method_reason"])


def _steps(out, servers):
    """The plan in words: one line per change, in the order it will be made."""
    by_name = dict((s["name"], s) for s in servers)
    steps = []
    for name in out["order"]:
        s = by_name[name]
        if name in out["restart"] and out["method"] == "live":
            steps.append("%s (%s): set MaxClientCnxnsPerHost %d -> %d live through JMX and check it with conf"
                         % (name, s["mode"], s["limit"], out["new_limit"]))
        if s["conf_limit"] != out["new_limit"] or len(out["settings"]) > 1:
            extra = "".join(", %s=%s" % kv for kv in sorted(out["settings"].items()) if kv[0] != "maxClientCnxns")
            steps.append("%s: write maxClientCnxns=%d%s into %s (backup first)" % (
                name, out["new_limit"], extra, s["conf_path"]))
        if name in out["restart"] and out["method"] == "restart":
            steps.append("%s (%s): restart, then wait until it serves as %s with maxClientCnxns=%d and the "
                         "leader has every follower and observer in sync"
                         % (name, s["mode"], "/".join(ensemble.MODES_BY_ROLE[s["role"]]), out["new_limit"]))
            if s["role"] == ensemble.STANDALONE:
                steps.append("%s is the only server: its clients lose it during the restart" % name)
    return steps
