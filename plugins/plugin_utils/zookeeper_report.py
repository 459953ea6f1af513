# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ZooKeeper runbook's report document (the shape remediation_common's writer takes): status,
summary, plan (what was decided), done (what ran, from results), sections (tables and lines), data."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.alertops.remediation.plugins.plugin_utils.zookeeper_ensemble import FAILURE


def _percent(count, limit):
    return ("%s%%" % round(100.0 * count / limit, 1)) if limit else "unlimited"


def _before_rows(servers):
    rows = []
    for s in servers:
        label = "%s (%s)" % (s["name"], s["address"])
        version = (s["version"] or "?").split(",")[0]
        counts = sorted(s["counts"].items(), key=lambda kv: (-kv[1], kv[0]))
        for ip, n in counts or [("-", 0)]:
            rows.append([label, s["mode"], version, s["limit"], s["conf_limit"], ip, n,
                         _percent(n, s["limit"]) if ip != "-" else "", s["idle"].get(ip, 0), s["source"]])
    return rows


def _evidence_rows(analysis):
    rows = []
    for a in analysis:
        for e in a["evidence"]:
            rows.append([a["ip"], a["verdict"], e["sign"], e["weight"],
                         "yes" if e["observed"] else "no", "yes" if e["counted"] else "no", e["detail"]])
    return rows


def _holder_rows(analysis):
    rows = []
    for a in analysis:
        for h in a["holders"]:
            rows.append([a["ip"], a["host"], h["pid"], h["name"], h["user"], h["count"],
                         "-" if h.get("age_seconds") is None else "%ss" % h["age_seconds"],
                         ", ".join("%s:%d" % kv for kv in sorted(h["servers"].items())), h["cmdline"]])
        if a["host"] and not a["holders"]:
            rows.append([a["ip"], a["host"], "-", "-", "-", 0, "-", "",
                         a["holders_error"] or "no process holds a connection to the members now"])
        if not a["host"]:
            rows.append([a["ip"], "-", "-", "-", "-", "-", "-", "",
                         "not a host of the inventory: look on that machine (behind NAT many clients share one IP)"])
    return rows


def _live_rows(rows):
    return [[r["step"], r["node"], "%s -> %s" % (r["old_limit"], r["new_limit"]), r["jmx"],
             "%s %s" % (r["method"] or "-", r["pid"] or ""), r["conf_check"], r["config"],
             "-" if r["seconds"] is None else r["seconds"], r["error"] or ""] for r in rows]


def _rollout_rows(rows):
    return [[r["step"], r["node"], r["role_before"], "%s -> %s" % (r["old_limit"], r["new_limit"]), r["config"],
             "yes" if r["restarted"] else "no", r["gate"] + ((": " + r["error"]) if r["error"] else ""),
             r["mode_after"] or "-", r["leader_after"] or "-",
             "-" if r["synced_followers"] is None else r["synced_followers"],
             "-" if r["synced_observers"] is None else r["synced_observers"],
             "-" if r["seconds"] is None else r["seconds"]] for r in rows]


def _after_rows(verify):
    rows = []
    for name, m in sorted(((verify or {}).get("members") or {}).items()):
        counts = sorted((m.get("connections_by_ip") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
        for ip, n in counts or [("-", 0)]:
            rows.append([name, m.get("mode") or "?", m.get("max_client_cnxns"), ip, n,
                         _percent(n, m.get("max_client_cnxns")) if ip != "-" else ""])
    return rows


def _left_alone(plan, record):
    lines = list(plan.get("notes") or [])
    if plan.get("action") == "leak":
        lines.append("maxClientCnxns left at %d on every member: a leak from %s, and a higher limit would only "
                     "let it hold more connections (zookeeper_connections_raise_on_leak is false)"
                     % (plan["old_limit"], ", ".join(plan["leak_ips"])))
    for r in (record or {}).get("rollout", []):
        if r.get("not_touched") is not None:
            lines.append("not touched after the failure on %s: %s" % (r["node"], ", ".join(r["not_touched"]) or "none"))
    if (record or {}).get("live_failed") and plan.get("apply") == "live":
        lines.append(record["live_failed"])
    return lines


def _status(plan, failures, check_mode, refused):
    if failures:
        return "refused" if refused else "failed"
    if check_mode:
        return "dry-run"
    return {"raise": "remediated", "leak": "leak"}.get(plan.get("action"), "healthy")


def _summary(status, plan, record, failures, verify):
    if failures:
        return failures[0]
    if status == "dry-run":
        return "plan (check mode, nothing was changed): %s" % plan.get("summary", "")
    if status == "remediated":
        record = record or {}
        if record.get("rollout"):
            how = "with a rolling restart of %s (leader last, quorum gate passed after each)%s" % (
                ", ".join(r["node"] for r in record["rollout"] if r["restarted"]) or "no member",
                ("; live relief was given up: %s" % record["live_failed"]) if record.get("fallback") else "")
        else:
            how = "live on %s, one at a time, each checked with conf; zoo.cfg persisted, nothing restarted" % (
                ", ".join(r["node"] for r in record.get("live", []) if r["jmx"] == "set") or "no member")
        still = "no client IP is over the threshold any more" if verify and not verify.get("saturated") else \
            "still over the threshold: %s" % ", ".join((verify or {}).get("saturated") or ["unknown"])
        return "maxClientCnxns raised %d -> %d %s; %s" % (plan["old_limit"], plan["new_limit"], how, still)
    return plan.get("summary", "")


def failed(hostvars, names):
    """The hosts among ``names`` that kept a failure message."""
    return [n for n in names or [] if (hostvars.get(n) or {}).get(FAILURE)]


def failures_of(hostvars, names):
    """The failure messages the play's hosts kept, each once, in the play's order."""
    out = []
    for name in names or []:
        text = " ".join(str((hostvars.get(name) or {}).get(FAILURE) or "").split())
        if text and text not in out:
            out.append(text)
    return out


def report(survey, hostvars, names, plan, record, verify, check_mode, options):
    """The document, for the play's hosts ``names`` (their failure messages make the run failed)."""
    survey = survey or {}
    plan = plan or {}
    failures = failures_of(hostvars, names)
    refused = bool(survey.get("problems") or plan.get("refusal"))
    status = _status(plan, failures, check_mode, refused)
    analysis = plan.get("analysis") or []
    sections = [
        {"title": "Client connections per IP before (per server)",
         "columns": ["server", "mode", "version", "maxClientCnxns", "zoo.cfg", "client IP", "connections", "percent",
                     "idle never used", "source"],
         "rows": _before_rows(survey.get("servers") or []), "empty": "no member could be read"},
        {"title": "Leak or growth: every piece of evidence with its weight",
         "columns": ["client IP", "verdict", "sign", "weight", "observed", "counted", "detail"],
         "rows": _evidence_rows(analysis), "empty": "no client IP was at or over the threshold",
         "note": "A leak needs a decisive sign; idle sessions only strengthen one (a steady client that keeps "
                 "its sessions alive with pings is growth)."},
        {"title": "Who holds the connections (port_owners_info on the client host)",
         "columns": ["client IP", "host", "pid", "process", "user", "connections", "running for", "servers", "cmdline"],
         "rows": _holder_rows(analysis), "empty": "no saturated client IP to look into"},
        {"title": "Recommended action", "lines": [a["recommendation"] for a in analysis if a["leak"]],
         "empty": "no leak: nothing to do on the client side"},
        {"title": "Live relief (JMX MaxClientCnxnsPerHost, one member at a time, no restart)",
         "columns": ["step", "node", "maxClientCnxns", "JMX", "how", "conf check", "zoo.cfg", "seconds", "error"],
         "rows": _live_rows((record or {}).get("live") or []), "empty": "nothing was relieved live",
         "note": plan.get("method_reason") or ""},
        {"title": "Rolling restart (observers, followers one at a time, the leader last; quorum gate after each)",
         "columns": ["step", "node", "role before", "maxClientCnxns", "zoo.cfg", "restarted", "gate", "mode after",
                     "leader after", "synced followers", "synced observers", "seconds"],
         "rows": _rollout_rows((record or {}).get("rollout") or []), "empty": "nothing was restarted"},
        {"title": "Client connections per IP after",
         "columns": ["server", "mode", "maxClientCnxns", "client IP", "connections", "percent"],
         "rows": _after_rows(verify), "empty": "not read again (nothing was changed)"},
        {"title": "Left alone (and why)", "lines": _left_alone(plan, record), "empty": "nothing was left alone"},
    ]
    return {
        "status": status,
        "summary": _summary(status, plan, record, failures, verify),
        "plan": ([plan["summary"]] + list(plan.get("steps") or [])) if plan.get("summary") else [],
        "done": list((record or {}).get("done") or []),
        "sections": sections,
        "data": {
            "plan": plan, "servers_before": survey.get("servers") or [], "analysis": analysis,
            "live": (record or {}).get("live") or [], "rollout": (record or {}).get("rollout") or [],
            "after": (verify or {}).get("members") or {}, "changed": bool((record or {}).get("changed")),
            "failures": failures,
            "alarm": {"client_ip": options.get("alarm_client_ip", ""), "server_ip": options.get("alarm_server_ip", "")},
        },
    }
