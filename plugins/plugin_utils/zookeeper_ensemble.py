# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ensemble as its members report it: who serves in which role, with which limit, what is wrong.

Input is what the role's detect step left on each member's host: ``__zookeeper_connections_self`` (how
the member is reached), ``__zookeeper_connections_before`` (the zookeeper_info result) and
``__zookeeper_connections_conf`` (the slurped zoo.cfg). Roles are counted the way ZooKeeper reports
them: ``leader``/``follower`` are participants (they vote), ``observer`` does not vote, ``standalone``
is an ensemble of one.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import binascii

from ansible_collections.alertops.remediation.plugins.module_utils import zoocfg
from ansible_collections.alertops.remediation.plugins.plugin_utils.zookeeper_options import JAVA_INT_MAX

SELF = "__zookeeper_connections_self"
BEFORE = "__zookeeper_connections_before"
CONF = "__zookeeper_connections_conf"
# What a member's rescue keeps when it failed: it left the run.
FAILURE = "__zookeeper_connections_failure"

PARTICIPANT = "participant"
OBSERVER = "observer"
STANDALONE = "standalone"
MODES_BY_ROLE = {PARTICIPANT: ("leader", "follower"), OBSERVER: ("observer",), STANDALONE: ("standalone",)}
# ZooKeeper's own default when zoo.cfg does not set maxClientCnxns.
DEFAULT_MAX_CLIENT_CNXNS = 60


def role_of(mode):
    if mode == "observer":
        return OBSERVER
    if mode == "standalone":
        return STANDALONE
    return PARTICIPANT


def _get(mapping, key, default=None):
    try:
        value = mapping.get(key, default)
    except AttributeError:
        return default
    return default if value is None else value


def _text(value):
    return " ".join(str(value or "").split())


def conf_limit(slurped):
    """maxClientCnxns written in a slurped zoo.cfg: (value, error). Absent key -> ZooKeeper's default."""
    try:
        text = zoocfg.decode(base64.b64decode(_get(slurped, "content", "")))
    except (TypeError, ValueError, binascii.Error) as exc:
        return None, "cannot decode the slurped zoo.cfg: %s" % exc
    raw = zoocfg.get(text, "maxClientCnxns")
    if raw is None:
        return DEFAULT_MAX_CLIENT_CNXNS, None
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or int(raw) > JAVA_INT_MAX:
        return None, "zoo.cfg sets maxClientCnxns=%r, not a number ZooKeeper accepts" % raw
    return int(raw), None


def _problem(name, group, hv):
    """Why a member cannot be analysed, or None."""
    before = _get(hv, BEFORE)
    me = _get(hv, SELF, {})
    if not before:
        return "%s: not in this play (every member of %s must be)" % (name, group)
    if _get(before, "unreachable", False):
        return "%s: unreachable: %s" % (name, _text(_get(before, "msg", "")))
    if _get(before, "failed", False):
        return "%s: %s" % (name, _text(_get(before, "msg", "zookeeper_info failed")))
    if _get(before, "mode") == "not_serving":
        return ("%s: ZooKeeper runs but is not serving requests (no quorum or an election in progress): %s"
                % (name, _text(_get(before, "msg", ""))))
    if _get(before, "connections_by_ip") is None:
        return "%s: %s" % (name, _text(_get(before, "msg", "no per-IP connection counts")))
    if _get(before, "max_client_cnxns") is None:
        return "%s: maxClientCnxns is unknown (conf refused and no AdminServer): %s" % (
            name, _text(_get(before, "msg", "")))
    conf = _get(hv, CONF, {})
    if not conf or _get(conf, "failed", False) or _get(conf, "unreachable", False):
        return "%s: zoo.cfg %s does not exist or cannot be read (%s)" % (
            name, _get(me, "conf_path", "?"), _text(_get(conf, "msg", "zookeeper_connections_conf_path")))
    dummy, error = conf_limit(conf)
    if error:
        return "%s: %s (%s)" % (name, error, _get(me, "conf_path", "?"))
    return None


def server_row(name, hv):
    """One member as the plan and the report see it (only for members without a problem)."""
    before = _get(hv, BEFORE, {})
    me = _get(hv, SELF, {})
    mode = _get(before, "mode")
    limit_in_conf, dummy = conf_limit(_get(hv, CONF, {}))
    return {
        "name": name,
        "address": _get(me, "address", name),
        "conf_path": _get(me, "conf_path"),
        "mode": mode,
        "role": role_of(mode),
        "version": _get(before, "version"),
        "limit": int(_get(before, "max_client_cnxns", 0)),
        "conf_limit": limit_in_conf,
        "counts": dict(_get(before, "connections_by_ip", {})),
        "idle": dict(_get(before, "idle_by_ip", {})),
        "saturated": list(_get(before, "saturated", [])),
        "rejected": _get(before, "connection_rejected"),
        "synced_followers": _get(before, "synced_followers"),
        "synced_observers": _get(before, "synced_observers"),
        "synced_non_voting_followers": _get(before, "synced_non_voting_followers"),
        "source": _get(before, "source"),
        "whitelist_limited": list(_get(before, "whitelist_limited", [])),
    }


def _client_hosts(inventory, hostvars):
    """client IP or name -> inventory host (by inventory name, then by ansible_host)."""
    found = {}
    for host in inventory:
        found.setdefault(host, host)
        address = _get(_get(hostvars, host, {}), "ansible_host")
        if address:
            found.setdefault(str(address), host)
    return found


def survey(members, hostvars, inventory, options):
    """Tabulate the ensemble and say what is wrong with it and what may need a change.

    Returns a dict: members, problems (list of str; non-empty means nothing may be changed), servers,
    focus (members the alarm points at), candidates (client IPs at or over the threshold there),
    holder_lookups ([{ip, host}] for candidates that are inventory hosts), versions, mixed_versions,
    participants, observers.
    """
    members = list(members or [])
    group = options.get("group", "zookeeper")
    problems = [p for p in (_problem(m, group, _get(hostvars, m, {})) for m in members) if p]
    if not members:
        problems.append("the group %s has no members in the inventory" % group)
    out = {"members": members, "problems": problems, "servers": [], "focus": [], "candidates": [],
           "holder_lookups": [], "versions": {}, "mixed_versions": False, "participants": 0, "observers": 0,
           "target": 0, "behind": [], "may_change": False}
    if problems:
        return out
    servers = [server_row(m, _get(hostvars, m, {})) for m in members]
    server_ip = options.get("alarm_server_ip", "")
    client_ip = options.get("alarm_client_ip", "")
    focus = [s["name"] for s in servers if not server_ip or server_ip in (s["name"], s["address"])]
    if not focus:
        problems.append("the alarm's ServerIP %s is not a member of %s (%s)" % (
            server_ip, group, ", ".join(s["address"] for s in servers)))
    candidates = []
    for s in servers:
        if s["name"] not in focus:
            continue
        for entry in s["saturated"]:
            ip = entry.get("ip")
            if (not client_ip or ip == client_ip) and ip not in candidates:
                candidates.append(ip)
    hosts = _client_hosts(inventory or [], hostvars)
    versions = dict((s["name"], s["version"]) for s in servers)
    target, behind = unfinished(servers)
    out.update({
        "target": target, "behind": behind, "may_change": bool(candidates or behind) and not problems,
        "servers": servers,
        "focus": focus,
        "candidates": candidates,
        "holder_lookups": [{"ip": ip, "host": hosts[ip]} for ip in candidates if ip in hosts],
        "versions": versions,
        "mixed_versions": len(set(_release(v) for v in versions.values())) > 1,
        "participants": len([s for s in servers if s["role"] == PARTICIPANT]),
        "observers": len([s for s in servers if s["role"] == OBSERVER]),
    })
    return out


def _release(version):
    """'3.8.0-abc, built on ...' -> '3.8.0'."""
    return str(version or "?").split("-", 1)[0].split(",", 1)[0].strip()


def unlocked(members, hostvars, play_hosts):
    """Members whose remediation lock this run does not hold (remediation_common's public fact
    ``remediation_common_lock_held``), or that are not in the play at all."""
    return [m for m in members or [] if m not in (play_hosts or []) or
            str(_get(_get(hostvars, m, {}), "remediation_common_lock_held", False)).lower() != "true"]


def unfinished(servers):
    """An earlier change that stopped half way: (target, behind). target is the highest limit any member
    runs with or has in its zoo.cfg, behind the members that run below it. Members with
    maxClientCnxns=0 (unlimited) take no part: nothing is ever lowered."""
    limited = [s for s in servers if s["limit"]]
    target = max([s["limit"] for s in limited] + [s["conf_limit"] for s in limited] or [0])
    return target, [s["name"] for s in limited if s["limit"] < target]


def leader_of(servers):
    for s in servers:
        if s["mode"] in ("leader", "standalone"):
            return s["name"]
    return None


def order(servers, names):
    """The order to act in: observers (they never vote), followers, the leader last."""
    rank = {"observer": 0, "follower": 1, "leader": 2, "standalone": 2}
    wanted = [s for s in servers if s["name"] in names]
    return [s["name"] for s in sorted(wanted, key=lambda s: (rank.get(s["mode"], 1), s["name"]))]
