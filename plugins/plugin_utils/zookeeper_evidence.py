# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Leak or growth: the evidence for one saturated client IP, each piece with its weight, and who holds
the connections on the client host.

A leak is a client that keeps opening connections it never gives back. The signs that decide it are
movement: the count rose between the two samples, the servers refused connections at the limit while
the samples were taken (the client keeps trying), or the holding process on the client host holds more
connections than the servers counted a moment before. Sessions that are idle and were never used only
strengthen such a sign: a steady client that keeps long-lived sessions alive with pings looks exactly
like that for days and is growth, not a leak. (A session that stops pinging is expired and closed by the
server after its timeout, so abandoned sessions cannot pile up on the server side; the holder's socket
count on the client host is where abandoning shows.)
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

# /proc/PID/stat start times are in USER_HZ ticks, 100 on every architecture Linux hosts ZooKeeper on.
USER_HZ = 100

DECISIVE = "decisive"
SUPPORTING = "supporting"

AGAIN = "__zookeeper_connections_again"


def _sum(values):
    return sum(v for v in values if v is not None)


def _delta(first, second):
    if first is None or second is None:
        return None
    return second - first


def holders_from_owners(owners_result, addresses, port):
    """port_owners_info result on a client host -> holders of live connections to the members.

    Only ESTABLISHED connections count against maxClientCnxns: the TIME_WAIT left by refused connects
    has no owner. One entry per process, the biggest first: pid, name, cmdline, user, unit, start_time,
    count, servers ({member address: count}).
    """
    rows = list(owners_result.get("sockets") or []) + list(owners_result.get("unresolved") or [])
    by_pid = {}
    for row in rows:
        try:
            remote_port = int(row.get("remote_port"))
        except (TypeError, ValueError):
            continue
        if remote_port != port or row.get("remote_address") not in addresses or row.get("state") != "ESTABLISHED":
            continue
        process = row.get("process") or {}
        key = row.get("pid")
        entry = by_pid.setdefault(key, {
            "pid": key, "name": process.get("name") or "?", "cmdline": process.get("cmdline") or "",
            "user": process.get("user") or "?", "unit": process.get("unit"),
            "start_time": process.get("start_time"), "count": 0, "servers": {}})
        entry["count"] += 1
        address = row.get("remote_address")
        entry["servers"][address] = entry["servers"].get(address, 0) + 1
    return sorted(by_pid.values(), key=lambda h: (-h["count"], str(h["pid"])))


def process_age(start_time, uptime_text):
    """Seconds since a process started, from its start_time (ticks after boot) and /proc/uptime."""
    try:
        uptime = float(str(uptime_text).split()[0])
        return max(int(round(uptime - float(start_time) / USER_HZ)), 0)
    except (TypeError, ValueError, IndexError):
        return None


def _by_ip(results):
    """loop results whose item is {ip, host} -> {ip: result}."""
    out = {}
    for result in results or []:
        item = result.get("item") or {}
        if item.get("ip"):
            out[item["ip"]] = result
    return out


def _lookup_error(result):
    if result.get("failed") or result.get("unreachable"):
        return " ".join(str(result.get("msg") or "failed").split())
    return ""


def _decode_uptime(result):
    import base64
    try:
        return base64.b64decode(result.get("content") or "").decode("ascii", "replace")
    except (TypeError, ValueError):
        return None


def weigh(ip, servers, second, host, lookup, uptime, options):
    """The evidence for one client IP.

    servers: survey rows (first sample); second: {member: zookeeper_info result of the second sample};
    host: inventory host of the IP or None; lookup: its port_owners_info result or None; uptime: its
    slurped /proc/uptime or None.
    """
    interval = options["sample_interval"]
    per_server = []
    first_total = second_total = idle = peak = 0
    rejected = []
    at_limit = False
    for s in servers:
        again = second.get(s["name"]) or {}
        counts_again = again.get("connections_by_ip")
        n1 = s["counts"].get(ip, 0)
        n2 = (counts_again if counts_again is not None else s["counts"]).get(ip, 0)
        idle_again = again.get("idle_by_ip")
        i2 = (idle_again if idle_again is not None else s["idle"]).get(ip, 0)
        first_total += n1
        second_total += n2
        idle += i2
        peak = max(peak, n1, n2)
        if s["limit"] and n2 >= s["limit"]:
            at_limit = True
        rejected.append((s["name"], _delta(s["rejected"], again.get("connection_rejected", s["rejected"]))))
        per_server.append({"server": s["name"], "first": n1, "second": n2, "idle": i2, "limit": s["limit"]})

    holders, holders_error = [], ""
    if lookup is not None:
        holders_error = _lookup_error(lookup)
        if not holders_error:
            addresses = [s["address"] for s in servers]
            holders = holders_from_owners(lookup, addresses, options["port"])
            uptime_text = _decode_uptime(uptime) if uptime and not _lookup_error(uptime) else None
            for h in holders:
                h["age_seconds"] = process_age(h["start_time"], uptime_text)

    growth = options["leak_min_growth"]
    evidence = []
    rose = second_total - first_total
    evidence.append({
        "sign": "count rose between the samples", "weight": DECISIVE, "observed": rose >= growth,
        "detail": ("rose from %d to %d in %ss" % (first_total, second_total, interval)) if rose > 0 else
                  ("steady at %d over %ss" % (second_total, interval)) if rose == 0 else
                  ("fell from %d to %d in %ss" % (first_total, second_total, interval))})
    unknown = [name for name, d in rejected if d is None]
    refused = _sum(d for dummy, d in rejected)
    if unknown and not refused:
        detail = "not measurable: %s report no connection_rejected" % ", ".join(unknown)
    elif at_limit:
        detail = "at the limit and %d more connection(s) refused in %ss" % (refused, interval)
    else:
        detail = "below the limit on every server"
    evidence.append({"sign": "refused at the limit while the client keeps opening", "weight": DECISIVE,
                     "observed": bool(at_limit and refused > 0), "detail": detail})
    if host is None:
        detail, held = "%s is not a host of the inventory: not looked at" % ip, None
    elif holders_error:
        detail, held = "port_owners_info on %s failed: %s" % (host, holders_error), None
    else:
        held = _sum(h["count"] for h in holders)
        detail = "%d connection(s) held on %s right after the servers counted %d" % (held, host, second_total)
    evidence.append({"sign": "the holder keeps opening connections", "weight": DECISIVE,
                     "observed": held is not None and held - second_total >= growth, "detail": detail})
    idle_percent = round(100.0 * idle / second_total, 1) if second_total else 0.0
    evidence.append({
        "sign": "sessions idle and never used", "weight": SUPPORTING,
        "observed": idle > 0 and idle_percent >= options["idle_leak_percent"],
        "detail": "%d of %d (%s%%) idle and never used for %ss or more; strengthens a decisive sign, "
                  "proves nothing alone (kept-alive sessions look the same)"
                  % (idle, second_total, idle_percent, options["idle_min_age"])})
    decisive = [e for e in evidence if e["weight"] == DECISIVE and e["observed"]]
    supporting = [e for e in evidence if e["weight"] == SUPPORTING and e["observed"]]
    for e in evidence:
        e["counted"] = e["observed"] and (e["weight"] == DECISIVE or bool(decisive))
    leak = bool(decisive)
    return {
        "ip": ip, "host": host, "first": first_total, "second": second_total, "peak": peak,
        "idle": idle, "idle_percent": idle_percent, "servers": per_server, "evidence": evidence,
        "leak": leak, "verdict": ("leak (strong)" if supporting else "leak") if leak else "growth",
        "holders": holders, "holders_error": holders_error,
        "recommendation": recommend(ip, host, holders) if leak else "",
    }


def recommend(ip, host, holders):
    """What to do about a leak: the remedy is the client, not a higher limit."""
    if not holders:
        where = ("on %s (not a host of the inventory; behind NAT many clients share one IP)" % ip
                 if host is None else "on %s (no process holds a connection there now)" % host)
        return "find the process that opens ZooKeeper connections %s, fix its leak or restart it" % where
    top = holders[0]
    unit = top.get("unit") or ""
    how = ("systemctl restart %s" % unit) if unit.endswith(".service") else "restart it"
    age = top.get("age_seconds")
    return ("fix the connection leak in %s (pid %s, user %s%s) on %s, which holds %d connection(s)%s; until then "
            "%s: its sessions close and the servers accept others again"
            % (top["name"], top["pid"], top["user"], (", unit %s" % unit) if unit else "", host, top["count"],
               (", running for %ss" % age) if age is not None else "", how))


def analyse(survey, hostvars, owners_results, uptime_results, options):
    """weigh() every candidate IP of the survey -> (analysis, lost): lost names the members whose second
    sample failed (a decision on half the ensemble's numbers is not made)."""
    second, lost = {}, []
    for name in survey["members"] if survey["candidates"] else []:
        again = (hostvars.get(name) or {}).get(AGAIN) or {}
        if again.get("failed") or again.get("unreachable"):
            lost.append("%s (%s)" % (name, " ".join(str(again.get("msg") or "failed").split())))
        elif again and not again.get("skipped"):
            second[name] = again
    hosts = dict((x["ip"], x["host"]) for x in survey["holder_lookups"])
    owners = _by_ip(owners_results)
    uptimes = _by_ip(uptime_results)
    analysis = [weigh(ip, survey["servers"], second, hosts.get(ip), owners.get(ip) if ip in hosts else None,
                      uptimes.get(ip), options)
                for ip in survey["candidates"]]
    return analysis, lost
