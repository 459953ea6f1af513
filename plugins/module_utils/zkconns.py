# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the connection lists say: connections per client IP, idle never-used sessions, saturation.

Pure functions over parse_cons / parse_admin_connections entries (zkreplies.py); no I/O.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# ASCII only and bounded: values come from the server (cons text or AdminServer JSON).
_INT_TEXT = re.compile(r"\s*(-?)(?:0[xX]([0-9a-fA-F]{1,16})|([0-9]{1,19}))\s*\Z")


def count_by_ip(connections, exclude=None):
    """{ip: count} over parse_cons / parse_admin_connections entries, skipping (ip, port) in exclude."""
    exclude = set(exclude or ())
    counts = {}
    for conn in connections:
        if exclude and (conn["ip"], conn["port"]) in exclude:
            continue
        counts[conn["ip"]] = counts.get(conn["ip"], 0) + 1
    return counts


# Last operations of a session that never sent a request: the handshake (SESS), pings, nothing yet.
NEVER_USED_OPS = ("SESS", "PING", "NA", "")
# The fields that tell it, as cons (zkreplies.parse_cons) and the AdminServer name them.
_CONS_KEYS = ("sid", "lcxid", "lop", "est")
_ADMIN_KEYS = ("session_id", "last_cxid", "last_operation", "established")
# Last client xid of a session that never sent a request, as written by the two sources.
_NO_REQUEST_CXIDS = ("0x0", 0)


def _as_int(value):
    """'0x1f' -> 31, '12' -> 12, 12 -> 12, anything else -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    match = _INT_TEXT.match(value) if isinstance(value, str) else None
    if match is None:
        return None
    sign, hexa, digits = match.groups()
    number = int(hexa, 16) if hexa else int(digits)
    return -number if sign else number


def is_idle_never_used(conn, min_age, now_ms):
    """True for a session that was established at least ``min_age`` seconds before ``now_ms`` (epoch ms)
    and never sent a request: it has a session id, its last client xid is 0 (pings carry xid -2 and do not
    count) and its last operation is the handshake (SESS), a PING or nothing (NA).

    Works on parse_cons entries (sid, lop, est, lcxid) and parse_admin_connections entries (session_id,
    last_operation, established, last_cxid). A connection without a session (a 4lw probe, a handshake in
    progress) is never idle-never-used.
    """
    sid_key, cxid_key, lop_key, est_key = _CONS_KEYS if "sid" in conn else _ADMIN_KEYS
    cxid = conn.get(cxid_key)
    if cxid not in _NO_REQUEST_CXIDS and _as_int(cxid) not in (0, -1):  # most sessions did send one
        return False
    if conn.get(sid_key) in (None, "", 0, "0x0"):
        return False
    if str(conn.get(lop_key) or "").upper() not in NEVER_USED_OPS:
        return False
    est = _as_int(conn.get(est_key))
    if est is None or est <= 0:
        return False
    return (now_ms - est) >= 1000.0 * min_age


def idle_by_ip(connections, min_age, now_ms):
    """{ip: number of idle, never-used sessions (see is_idle_never_used)}; IPs without any are left out."""
    counts = {}
    for conn in connections:
        if is_idle_never_used(conn, min_age, now_ms):
            counts[conn["ip"]] = counts.get(conn["ip"], 0) + 1
    return counts


def ip_saturation(count, limit):
    """{'count', 'limit', 'percent'} for one IP. limit 0 (unlimited) or None -> percent None."""
    if not limit:
        return {"count": count, "limit": limit, "percent": None}
    return {"count": count, "limit": limit, "percent": round(100.0 * count / limit, 1)}


def saturation(counts, limit, threshold_percent=80):
    """IPs whose count is at or over ``threshold_percent`` of ``limit``, busiest first.

    Returns a list of {'ip', 'count', 'limit', 'percent'}. ``limit`` 0 means unlimited: nothing is
    ever saturated. ``limit`` None (unknown) -> empty list too (the caller says the limit is unknown).
    """
    if not limit:
        return []
    out = []
    for ip, count in counts.items():
        entry = ip_saturation(count, limit)
        if 100.0 * count >= threshold_percent * limit:
            entry["ip"] = ip
            out.append(entry)
    out.sort(key=lambda e: (-e["count"], e["ip"]))
    return out
