# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The quorum gate between two members: is a member back in its role, and is the ensemble whole again.

Counted the way ZooKeeper reports it: a participant serves as leader or follower, an observer as
observer, a lone server as standalone; the leader has every other participant among its synced
followers and, when it reports them (3.6 and later), every observer among its synced observers.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.alertops.remediation.plugins.plugin_utils.zookeeper_ensemble import FAILURE, MODES_BY_ROLE

READ = "__zookeeper_connections_gate_read"


def _missing_learners(read, plan):
    """What the leader still misses (list of str), judged from its own mntr."""
    missing = []
    followers = read.get("synced_followers")
    want = plan["participants"] - 1
    if followers is None or followers < want:
        missing.append("synced followers %s of %d" % (followers, want))
    observers = read.get("synced_observers")
    if plan["observers"] and observers is not None and observers < plan["observers"]:
        missing.append("synced observers %s of %d" % (observers, plan["observers"]))
    return missing


def member_problem(read, plan, name, limit=None):
    """Why the member is not ready yet (str), or None when it serves in its role (with ``limit`` when given)."""
    read = read or {}
    if read.get("skipped"):
        return "%s: not read" % name
    if read.get("unreachable") or read.get("failed"):
        return "%s: %s" % (name, " ".join(str(read.get("msg") or "down").split()))
    mode = read.get("mode")
    role = plan["roles"].get(name)
    if mode not in MODES_BY_ROLE.get(role, ()):
        return "%s: mode %s, wanted %s" % (name, mode, "/".join(MODES_BY_ROLE.get(role, ("?",))))
    if limit is not None and read.get("max_client_cnxns") != limit:
        return "%s: maxClientCnxns %s, wanted %s" % (name, read.get("max_client_cnxns"), limit)
    if mode == "leader":
        missing = _missing_learners(read, plan)
        if missing:
            return "%s (leader): %s" % (name, ", ".join(missing))
    return None


def member_ready(read, plan, name, limit=None):
    return member_problem(read, plan, name, limit) is None


def verdict(hostvars, names, plan, limits):
    """The gate over the members in ``names`` (each read itself into READ): ok, problems, leader, and per
    member what it reported. With every member read, exactly one of them must be the leader."""
    limits = limits or {}
    members, problems, leaders = {}, [], []
    for name in names:
        host = hostvars.get(name) or {}
        read = host.get(READ) or {}
        problem = member_problem(read, plan, name, limits.get(name))
        if host.get(FAILURE):
            # It left the run (its lock, its connection): what it read last is stale.
            problem = "%s: dropped out of this run: %s" % (name, " ".join(str(host.get(FAILURE)).split()))
        if problem:
            problems.append(problem)
        if read.get("mode") == "leader":
            leaders.append(name)
        members[name] = {
            "mode": read.get("mode"), "max_client_cnxns": read.get("max_client_cnxns"),
            "synced_followers": read.get("synced_followers"), "synced_observers": read.get("synced_observers"),
            "connections_by_ip": read.get("connections_by_ip"), "saturated": read.get("saturated") or [],
            "polls": read.get("attempts", 1), "ready": problem is None,
        }
    whole = set(names) >= set(plan["roles"])
    if whole and plan["participants"] > 1 and len(leaders) != 1:
        problems.append("%d members report Mode leader (%s), wanted exactly one" % (len(leaders), ", ".join(leaders) or "none"))
    saturated = ["%s on %s (%s/%s)" % (e.get("ip"), name, e.get("count"), e.get("limit"))
                 for name in names for e in members[name]["saturated"]]
    return {"ok": not problems, "problems": problems, "leader": leaders[0] if len(leaders) == 1 else None,
            "members": members, "saturated": saturated}
