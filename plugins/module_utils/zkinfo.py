# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Everything zookeeper_info reports about one server, from four-letter words with the AdminServer as
the fallback for what the whitelist (or a saturated client IP) refuses."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible_collections.alertops.remediation.plugins.module_utils.zkconns import count_by_ip, idle_by_ip, saturation
from ansible_collections.alertops.remediation.plugins.module_utils.zkerrors import (
    ZkAdminError, ZkConnectError, ZkConnectionClosedError, ZkError, ZkNotServingError, ZkWhitelistError,
)
from ansible_collections.alertops.remediation.plugins.module_utils.zkreplies import conf_max_client_cnxns, reply_int

# What a leader's mntr (or /commands/monitor) says about its learners, as ZooKeeper counts them.
LEADER_COUNTS = ("synced_followers", "synced_observers", "synced_non_voting_followers")


def gather_info(client, threshold_percent=80, idle_min_age=None, now_ms=None):
    """Collect mode, version, zxid, limit, per-IP counts, saturation from 4lw, falling back to the
    AdminServer for what the whitelist refuses. Raises ZkConnectError / ZkConnectionClosedError when
    nothing can be learnt, ZkParseError when a reply is not what ZooKeeper sends.

    With ``idle_min_age`` (seconds) the per-connection details are read too and ``idle_by_ip`` counts,
    per client IP, the sessions established at least that long ago that never sent a request
    (:func:`zkconns.is_idle_never_used`), measured against ``now_ms`` (epoch ms, default: this host's clock).

    Returns a dict with: mode, version, zxid, max_client_cnxns, alive_connections, connections_by_ip,
    idle_by_ip, saturated, connection_rejected, synced_followers, synced_observers,
    synced_non_voting_followers, whitelist_limited, source, admin_used, messages.
    """
    info = {
        "mode": None, "version": None, "zxid": None, "max_client_cnxns": None,
        "alive_connections": None, "connections_by_ip": None, "idle_by_ip": None, "saturated": [],
        "connection_rejected": None, "whitelist_limited": [],
        "source": None, "admin_used": False, "messages": [],
    }
    info.update((key, None) for key in LEADER_COUNTS)
    admin_errors = []
    closed = []

    def via_admin(what):
        if not client.admin_url:
            return None
        try:
            result = getattr(client, "admin_" + what)()
        except ZkNotServingError:
            raise
        except ZkAdminError as exc:
            admin_errors.append(str(exc))
            return None
        info["admin_used"] = True
        return result

    def fourlw(name, **kwargs):
        if closed:  # every further connection from this IP would be refused (and counted) too
            return None
        try:
            return getattr(client, name)(**kwargs)
        except ZkWhitelistError as exc:
            info["whitelist_limited"].append(exc.command)
        except ZkConnectionClosedError as exc:
            if not client.admin_url:
                raise
            closed.append(str(exc))
        return None

    try:
        srvr = fourlw("srvr")
        if srvr:
            info["mode"] = srvr.get("mode")
            info["version"] = srvr.get("version")
            info["zxid"] = srvr.get("zxid")
            if srvr.get("connections") is not None:
                info["alive_connections"] = max(srvr["connections"] - 1, 0)

        mntr = fourlw("mntr")
        own_probe = 1
        source = "mntr"
        if mntr is None:
            mntr = via_admin("monitor")
            own_probe = 0
            source = "AdminServer monitor"
        if mntr:
            info["mode"] = info["mode"] or mntr.get("server_state")
            info["version"] = info["version"] or mntr.get("version")
            alive = reply_int(mntr, "num_alive_connections", source)
            if alive is not None:
                info["alive_connections"] = max(alive - own_probe, 0)
            info["connection_rejected"] = reply_int(mntr, "connection_rejected", source)
            if info["mode"] == "leader":
                for key in LEADER_COUNTS:
                    info[key] = reply_int(mntr, key, source)

        conf = fourlw("conf")
        if conf is None:
            conf = via_admin("configuration")
        if conf:
            info["max_client_cnxns"] = conf_max_client_cnxns(conf)

        # per-IP counts need no session fields (faster); the idle analysis needs them
        conns = fourlw("cons", detail=idle_min_age is not None)
        if conns is not None:
            info["source"] = "4lw"
        else:
            conns = via_admin("connections")
            if conns is not None:
                info["source"] = "admin"
    except ZkConnectError as exc:
        if not admin_errors:
            raise
        # The AdminServer may have spent the deadline: say so, not only what found no time left after it.
        raise ZkConnectError("%s; before that the AdminServer fallback failed: %s" % (exc, "; ".join(admin_errors)))
    except ZkNotServingError:
        info["mode"] = "not_serving"
        info["messages"].append("ZooKeeper at %s:%d is running but not serving requests (no quorum or "
                                "leader election in progress): no connection data" % (client.host, client.port))
        return info

    if closed:
        info["messages"].append(closed[0] + " (answers came from the AdminServer instead)")
    if conns is not None:
        info["connections_by_ip"] = count_by_ip(conns)
        if idle_min_age is not None:
            if now_ms is None:
                now_ms = time.time() * 1000.0
            info["idle_by_ip"] = idle_by_ip(conns, idle_min_age, now_ms)
        if info["alive_connections"] is None:
            info["alive_connections"] = len(conns)
        info["saturated"] = saturation(info["connections_by_ip"], info["max_client_cnxns"], threshold_percent)
    else:
        reasons = []
        if "cons" in info["whitelist_limited"]:
            reasons.append("the cons four-letter word is not in 4lw.commands.whitelist")
        if closed:
            reasons.append("the server closed the four-letter-word connection at once")
        if not client.admin_url:
            reasons.append("no admin_url was given for the AdminServer fallback")
        reasons.extend("the AdminServer fallback failed: %s" % e for e in admin_errors)
        info["messages"].append("No per-IP connection counts are available: %s." % "; ".join(reasons))
    if info["max_client_cnxns"] is None and info["connections_by_ip"] is not None:
        info["messages"].append("maxClientCnxns is unknown (conf refused and no AdminServer), so "
                                "saturation cannot be computed")
    if info["mode"] is None:
        raise ZkError("ZooKeeper at %s:%d answered neither srvr nor mntr, and no AdminServer gave its "
                      "state: %s" % (client.host, client.port, "; ".join(admin_errors + closed) or "no source"))
    return info
