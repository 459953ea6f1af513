# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which processes to signal so that the foreign sockets on the agent's ports close (pure decisions).

A socket closes only when every process that holds it has ended, so the decision is taken per socket:
a socket is released only when each of its holders may be signalled, and a process is signalled only
when every socket it holds on those ports is a foreign one and at least one of them will be released.
A socket that a rightful or a protected process holds, or an outbound connection, is never a reason to
signal anyone, and a process that shares it is left alone too.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.alertops.remediation.plugins.module_utils import portspec

REASON_PROTECTED = "protected process: never signalled"
REASON_OUTBOUND = ("only outbound connections that use the port as their ephemeral source port: never signalled "
                   "(reserve the ports with net.ipv4.ip_local_reserved_ports)")
REASON_UNKNOWN = "owner unknown: cannot signal it"


def _describe(rows):
    process = rows[0].get("process") or {}
    return "%s (pid %s)" % (process.get("name") or "?", rows[0].get("pid"))


def _own_reason(pid, rows, sockets, policy, refuse):
    """Why this holder must not be signalled whatever the others do, or None."""
    expected, protected = policy
    for row in rows:
        port = row["local_port"]
        if row["kind"] == portspec.KIND_RIGHTFUL:
            rightful = set(expected.get(port, []))
            if portspec.process_names(row) & rightful:
                return "the rightful process of port %s: never signalled" % port
            owner = [r for r in sockets[row["inode"]] if portspec.process_names(r) & rightful]
            return "shares the socket of the rightful %s on port %s: never signalled" % (
                _describe(owner) if owner else "process", port)
        if row["kind"] == portspec.KIND_PROTECTED:
            if portspec.process_names(row) & protected:
                return REASON_PROTECTED
            keeper = [r for r in sockets[row["inode"]] if portspec.process_names(r) & protected]
            return "shares its socket on port %s with the protected %s: never signalled" % (
                port, _describe(keeper) if keeper else "process")
    if any(row["kind"] == portspec.KIND_OUTBOUND for row in rows):
        if all(row["kind"] == portspec.KIND_OUTBOUND for row in rows if row["kind"] in portspec.CONFLICT_KINDS):
            return REASON_OUTBOUND
        ports = sorted(set(r["local_port"] for r in rows if r["kind"] == portspec.KIND_OUTBOUND))
        return "also holds an outbound connection from port(s) %s: never signalled" % (
            ", ".join(str(p) for p in ports))
    return refuse(pid, rows)


def _entry(pid, rows, reason):
    conflicts = [r for r in rows if r["kind"] in portspec.CONFLICT_KINDS]
    holders = set()
    for row in conflicts:
        holders.update(row.get("holders") or [])
    return dict(pid=pid, name=(rows[0].get("process") or {}).get("name"),
                ports=sorted(set(r["local_port"] for r in conflicts)),
                kinds=sorted(set(r["kind"] for r in conflicts)), holders=sorted(holders), reason=reason)


def plan(rows, expected, protected, refuse):
    """Decide per socket whom to signal.

    rows: portspec.classify(...)["rows"] for the ports to free (one row per socket and holder, with kind).
    expected, protected: the port policy given to classify. refuse(pid, rows): the host's own guards
    (pid 1, this process and its ancestors, an allow list), a reason or None.

    Returns (targets, skipped): targets {pid: [its conflict rows]}; skipped, one entry per other holder
    of a conflict socket (pid None for an unknown one): {pid, name, ports, kinds, holders, reason}.
    """
    policy = (expected, set(protected))
    sockets = {}
    by_pid = {}
    unknown = []
    for row in rows:
        sockets.setdefault(row["inode"], []).append(row)
        if row.get("pid") is None:
            if row["kind"] in portspec.CONFLICT_KINDS:
                unknown.append(row)
        else:
            by_pid.setdefault(row["pid"], []).append(row)
    involved = sorted(pid for pid, held in by_pid.items()
                      if any(r["kind"] in portspec.CONFLICT_KINDS for r in held))
    reasons = {}
    for pid in involved:
        reason = _own_reason(pid, by_pid[pid], sockets, policy, refuse)
        if reason:
            reasons[pid] = reason
    releasable = set(inode for inode, held in sockets.items()
                     if held[0]["kind"] == portspec.KIND_FOREIGN
                     and all(r.get("pid") is not None and r["pid"] not in reasons for r in held))
    targets = {}
    skipped = []
    for pid in involved:
        held = by_pid[pid]
        if pid not in reasons and any(r["inode"] in releasable for r in held):
            targets[pid] = [r for r in held if r["kind"] in portspec.CONFLICT_KINDS]
            continue
        reason = reasons.get(pid)
        if reason is None:
            blockers = sorted(set(
                "pid %s" % r["pid"] if r.get("pid") is not None else "an unknown process"
                for row in held if row["kind"] in portspec.CONFLICT_KINDS
                for r in sockets[row["inode"]] if r.get("pid") != pid))
            reason = ("shares its socket(s) with %s, left alone: ending it alone would not free the port; "
                      "not signalled" % ", ".join(blockers))
        skipped.append(_entry(pid, held, reason))
    for row in unknown:
        skipped.append(_entry(None, [row], REASON_UNKNOWN))
    return targets, skipped


def signal_order(targets):
    """Target pids, parents before their children (a pre-fork master stops its own workers), then by pid."""
    parents = dict((pid, (rows[0].get("process") or {}).get("ppid")) for pid, rows in targets.items())

    def depth(pid):
        seen = set()
        level = 0
        while parents.get(pid) in parents and pid not in seen:
            seen.add(pid)
            pid = parents[pid]
            level += 1
        return level
    return sorted(targets, key=lambda pid: (depth(pid), pid))
