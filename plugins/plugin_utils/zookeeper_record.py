# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the act step did, member by member, from the results it registered (never from the plan).

Each member keeps the raw results of its own step in a host fact: ``__zookeeper_connections_live_step``
(JMX set, conf check) and ``__zookeeper_connections_restart_step`` (zoo.cfg written, restart, gate, and on
failure the restore); after the live relief every relieved member registers
``__zookeeper_connections_persist`` (zoo.cfg written). This module turns them into the record (rows in the
plan's order), says whether a phase stopped, which members to persist, what the rolling restart still has
to do, and what was done.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.alertops.remediation.plugins.plugin_utils.zookeeper_ensemble import FAILURE

LIVE = "__zookeeper_connections_live_step"
PERSIST = "__zookeeper_connections_persist"
RESTART = "__zookeeper_connections_restart_step"


def _ok(result):
    return bool(result) and not result.get("skipped") and not result.get("failed") and not result.get("unreachable")


def _ran(result):
    return bool(result) and not result.get("skipped")


def _msg(result):
    return " ".join(str((result or {}).get("msg") or "failed").split())


def _seconds(step):
    try:
        return round(float(step["t1"]) - float(step["t0"]), 2)
    except (KeyError, TypeError, ValueError):
        return None


def _cfg_text(cfg, check_mode):
    if not _ran(cfg):
        return "not written"
    if not _ok(cfg):
        return "failed: %s" % _msg(cfg)
    if not cfg.get("changed"):
        return "already set"
    if check_mode:
        return "would change"
    return "changed, backup %s" % cfg.get("backup_file") if cfg.get("backup_file") else "changed"


def live_row(index, name, step, plan, check_mode):
    jmx, gate, cfg = step.get("jmx") or {}, step.get("gate") or {}, step.get("cfg") or {}
    error = ""
    if _ran(jmx) and not _ok(jmx):
        error = "JMX %s: %s" % (jmx.get("reason") or "failed", _msg(jmx))
    elif gate and not gate.get("ok", True):
        error = "conf does not show the new limit: %s" % "; ".join(gate.get("problems") or [])
    if _ok(jmx):
        jmx_text = ("would set" if check_mode else "set") if jmx.get("changed") else "already set"
    else:
        jmx_text = "failed" if _ran(jmx) else "not needed"
    return {
        "step": index + 1, "node": name, "old_limit": plan["limits_before"].get(name),
        "new_limit": plan["new_limit"], "set_live": _ran(jmx) and jmx.get("changed", False), "jmx": jmx_text,
        "method": jmx.get("method"), "pid": jmx.get("pid"), "after": jmx.get("after"),
        "conf_check": "passed" if gate.get("ok") else "failed" if gate else "not run",
        "config": _cfg_text(cfg, check_mode), "config_changed": _ok(cfg) and bool(cfg.get("changed")),
        "backup_file": cfg.get("backup_file"), "seconds": _seconds(step), "error": error,
        "persist_error": ("zoo.cfg not persisted: %s" % _msg(cfg)) if _ran(cfg) and not _ok(cfg) else "",
    }


def _live_rows(plan, hostvars, check_mode):
    """One row per member that had a live step or had its zoo.cfg persisted, in the plan's order."""
    rows = []
    for index, name in enumerate(plan["order"]):
        host = hostvars.get(name) or {}
        step, persist = host.get(LIVE) or {}, host.get(PERSIST) or {}
        if step or _ran(persist):
            rows.append(live_row(index, name, dict(step, cfg=persist), plan, check_mode))
    return rows


def restart_row(index, name, step, plan, check_mode):
    cfg, restart, gate = step.get("cfg") or {}, step.get("restart") or {}, step.get("gate") or {}
    error = ""
    if _ran(cfg) and not _ok(cfg):
        error = "zoo.cfg: %s" % _msg(cfg)
    elif _ran(restart) and not _ok(restart):
        lines = (restart.get("stderr_lines") or [])[-6:]
        error = "restart: %s%s" % (_msg(restart), (" | " + " | ".join(lines)) if lines else "")
    elif gate and not gate.get("ok"):
        error = "gate: %s" % "; ".join(gate.get("problems") or [])
    member = (gate.get("members") or {}).get(name) or {}
    leader = gate.get("leader")
    leader_read = (gate.get("members") or {}).get(leader) or {}
    row = {
        "step": index + 1, "node": name, "role_before": plan["modes"].get(name), "old_limit": plan["limits_before"].get(name), "new_limit": plan["new_limit"],
        "config": _cfg_text(cfg, check_mode), "config_changed": _ok(cfg) and bool(cfg.get("changed")),
        "config_changes": cfg.get("changes") or [], "backup_file": cfg.get("backup_file"),
        "restarted": _ran(restart),
        "gate": "failed" if error else "passed" if _ran(restart) else "planned" if check_mode else "not needed",
        "mode_after": member.get("mode"), "leader_after": leader,
        "synced_followers": leader_read.get("synced_followers"),
        "synced_observers": leader_read.get("synced_observers"),
        "gate_polls": member.get("polls"), "seconds": _seconds(step), "error": error,
    }
    if error:
        restore, again, back = step.get("restore") or {}, step.get("restart_again") or {}, step.get("back") or {}
        row.update({
            "restored": _ok(restore), "restarted_again": _ran(again), "restart_again_rc": again.get("rc"),
            "mode_after": ((back.get("members") or {}).get(name) or {}).get("mode") if back.get("ok") else "down",
            "not_touched": [],
        })
    return row


def _rows(plan, hostvars, key, order, make, check_mode):
    rows = []
    for index, name in enumerate(order):
        step = (hostvars.get(name) or {}).get(key)
        if step:
            rows.append(make(index, name, step, plan, check_mode))
    return rows


def _rollout_plan(plan, relieved, live_failed):
    if plan["method"] == "restart":
        return {"order": list(plan["order"]), "restart": list(plan["restart"])}
    if live_failed and plan["apply"] == "auto":
        order = [n for n in plan["restart"] if n not in relieved]
        return {"order": order, "restart": order}
    return {"order": [], "restart": []}


def dropped_out(plan, hostvars):
    """Members that left this run (a failed task sent them to the role's rescue): (name, reason) pairs."""
    out = []
    for name in plan["members"]:
        failure = (hostvars.get(name) or {}).get(FAILURE)
        if failure:
            out.append((name, " ".join(str(failure).split())))
    return out


def record(plan, hostvars, check_mode=False):
    """The record of the act step so far; see the filter zookeeper_record for the keys."""
    dropped = dropped_out(plan, hostvars)
    halt = "; ".join("%s dropped out of this run (%s)" % d for d in dropped)
    live = _live_rows(plan, hostvars, check_mode) if plan["method"] == "live" else []
    failed_live = [r for r in live if r["error"]]
    relieved = [r["node"] for r in live if r["jmx"] != "not needed" and not r["error"]]
    live_failed = ""
    if failed_live or (halt and plan["method"] == "live"):
        bad = failed_live[0] if failed_live else None
        live_failed = ("live relief %s. Already relieved live (nothing restarted): %s; not touched: %s" % (
            ("failed on %s: %s" % (bad["node"], bad["error"])) if bad else "stopped: " + halt,
            ", ".join(relieved) or "none",
            ", ".join(n for n in plan["restart"] if n not in relieved and (not bad or n != bad["node"])) or "none"))
    persist_failed = "; ".join("%s: %s" % (r["node"], r["persist_error"]) for r in live if r["persist_error"])
    rollout_plan = _rollout_plan(plan, relieved, bool(live_failed) and not halt)
    rollout = _rows(plan, hostvars, RESTART, rollout_plan["order"], restart_row, check_mode)
    rollout_failed, failed_node = "", None
    for row in rollout:
        if row["error"]:
            row["not_touched"] = rollout_plan["order"][row["step"]:]
            rollout_failed, failed_node = _rollout_message(row, rollout, plan), row["node"]
            break
    if halt and not rollout_failed and rollout_plan["order"]:
        done_nodes = [r["node"] for r in rollout]
        rollout_failed = "rollout stopped: %s; already run: %s; not touched: %s" % (
            halt, ", ".join(done_nodes) or "none", ", ".join(n for n in rollout_plan["order"] if n not in done_nodes) or "none")
    return {
        "live": live, "rollout": rollout, "live_failed": live_failed, "rollout_failed": rollout_failed,
        # Members that run the new limit now (relieved live, or already before) and only need zoo.cfg.
        "persist": [n for n in plan["order"] if n in relieved or n not in plan["restart"]]
        if plan["method"] == "live" and not halt else [],
        "persist_failed": ("zoo.cfg could not be written where the new limit runs live: %s" % persist_failed)
        if persist_failed else "",
        "failed_node": failed_node, "go": not rollout_failed,
        "fallback": bool(live_failed) and bool(rollout_plan["order"]) and plan["method"] == "live",
        "rollout_plan": rollout_plan, "done": [] if check_mode else done(live, rollout),
        "changed": any(r["config_changed"] for r in live + rollout) or any(r["set_live"] for r in live) or
        any(r["restarted"] for r in rollout),
    }


def _rollout_message(row, rows, plan):
    text = "%s did not come back with maxClientCnxns=%d: %s. " % (row["node"], plan["new_limit"], row["error"])
    if row["restored"]:
        text += "Its zoo.cfg was restored from %s" % row["backup_file"]
    else:
        text += "Its zoo.cfg was not changed"
    if row["restarted_again"]:
        if row["mode_after"] != "down":
            text += " and it serves again as %s" % row["mode_after"]
        else:
            text += (", but it did not start again with it either (rc %s): the node was broken before this run, "
                     "see its log" % row["restart_again_rc"])
    done_before = [r["node"] for r in rows if r["step"] < row["step"]]
    text += ". Rollout stopped%s; not touched: %s." % (
        (": %s already run with %d" % (", ".join(done_before), plan["new_limit"])) if done_before else "",
        ", ".join(row["not_touched"]) or "none")
    return text


def done(live, rollout):
    """Lines for what ran, each from a result."""
    lines = []
    for r in live:
        if r["jmx"] == "set":
            lines.append("%s: MaxClientCnxnsPerHost set %s -> %s live (pid %s, %s)%s" % (
                r["node"], r["old_limit"], r["after"], r["pid"], r["method"],
                ", conf shows %s" % r["new_limit"] if r["conf_check"] == "passed" else ""))
        if r["config_changed"]:
            lines.append("%s: zoo.cfg maxClientCnxns=%s written (%s)" % (r["node"], r["new_limit"], r["config"]))
    for r in rollout:
        if r["config_changed"]:
            lines.append("%s: zoo.cfg written (%s)" % (r["node"], r["config"]))
        if r["restarted"]:
            lines.append("%s: restarted; %s" % (r["node"], (
                "gate passed after %ss: serves as %s, leader %s" % (r["seconds"], r["mode_after"], r["leader_after"]))
                if r["gate"] == "passed" else "gate failed: %s" % r["error"]))
        if r.get("restored"):
            lines.append("%s: zoo.cfg restored from %s" % (r["node"], r["backup_file"]))
        if r.get("restarted_again"):
            lines.append("%s: restarted with its previous zoo.cfg (now %s)" % (r["node"], r["mode_after"]))
    return lines
