# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers of ZooKeeper's four-letter-word replies and AdminServer JSON.

Standard library only; importable on Python 3.6. They take the server's text (or decoded JSON) and never
touch the network, so they are unit-tested against replies recorded from a real 3.8 server. A reply that
is not what ZooKeeper sends raises ZkParseError (4lw) or ZkAdminError (AdminServer) naming the field and
the value; numbers are ASCII digits, bounded in length.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re

from ansible_collections.alertops.remediation.plugins.module_utils.zkerrors import (
    NOT_SERVING, ZkAdminError, ZkNotServingError, ZkParseError, check_reply,
)

JAVA_INT_MAX = 2 ** 31 - 1
# Bounded digit runs: int() of a huge digit string is slow (and refused on Python >= 3.11).
_INT_RE = re.compile(r"-?[0-9]{1,19}\Z")
_FLOAT_RE = re.compile(r"-?[0-9]{1,19}\.[0-9]{1,19}\Z")
_HEX_RE = re.compile(r"0x[0-9a-fA-F]{1,16}\Z")


# --------------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------------
def _number(value):
    """'12' -> 12, '3.5' -> 3.5 (ASCII digits only); anything else unchanged."""
    if _INT_RE.match(value):
        return int(value)
    if _FLOAT_RE.match(value):
        return float(value)
    return value


def reply_int(mapping, key, what, low=0, high=2 ** 63 - 1):
    """``mapping[key]`` as an int within [low, high], None when absent; ZkParseError naming ``what``,
    the key and the value otherwise (a bool, a float, 'abc', a huge number)."""
    value = mapping.get(key)
    if value is None:
        return None
    if isinstance(value, str) and _INT_RE.match(value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ZkParseError("%s: %s is not a whole number in %d..%d: %r" % (what, key, low, high, value))
    return value


def split_address(address):
    """'/127.0.0.1:2181', '127.0.0.1:2181', '[::1]:2181', '0:0:0:0:0:0:0:1:2181' -> (ip, port)."""
    if not isinstance(address, str):
        raise ZkParseError("not an address with a port: %r" % (address,))
    address = address.strip()
    if "/" in address:
        address = address.rsplit("/", 1)[1]
    host, sep, port = address.rpartition(":")
    if not sep or not host or not re.match(r"[0-9]{1,5}\Z", port) or int(port) > 65535:
        raise ZkParseError("not an address with a port: %r" % address[:200])
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host.startswith("::ffff:") and host.count(".") == 3:
        host = host[len("::ffff:"):]
    return host, int(port)


# --------------------------------------------------------------------------------------------------
# Four-letter words
# --------------------------------------------------------------------------------------------------
_SRVR_COUNTS = {
    "Received": "received",
    "Sent": "sent",
    "Connections": "connections",
    "Outstanding": "outstanding",
    "Node count": "node_count",
}


def parse_srvr(text):
    """Parse ``srvr`` (or the summary part of ``stat``).

    Returns a dict: version (str), mode (str), zxid (hex str, e.g. '0x100000003'), zxid_int (int),
    epoch (int), connections, received, sent, outstanding, node_count (int),
    latency_min/latency_avg/latency_max (numbers) and, on a leader, proposal_sizes (list of 3 ints).
    """
    check_reply("srvr", text)
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition(": ")
        if not sep:
            continue
        value = value.strip()
        if key in _SRVR_COUNTS:
            out[_SRVR_COUNTS[key]] = reply_int({key: value}, key, "srvr")
        elif key == "Zookeeper version":
            out["version"] = value
        elif key == "Mode":
            out["mode"] = value
        elif key == "Zxid":
            if not _HEX_RE.match(value):
                raise ZkParseError("srvr Zxid is not hexadecimal: %r" % value[:200])
            out["zxid"] = value
            out["zxid_int"] = int(value, 16)
            out["epoch"] = out["zxid_int"] >> 32
        elif key == "Latency min/avg/max":
            out["latency_min"], out["latency_avg"], out["latency_max"] = _numbers(key, value, 3)
        elif key == "Proposal sizes last/min/max":
            out["proposal_sizes"] = _numbers(key, value, 3)
    if "mode" not in out or "version" not in out:
        raise ZkParseError("srvr reply without Mode or version: %r" % text[:200])
    return out


def _numbers(key, value, count):
    parts = [_number(v) for v in value.split("/")]
    if len(parts) != count or any(isinstance(p, str) for p in parts):
        raise ZkParseError("srvr %s is not %d numbers: %r" % (key, count, value[:200]))
    return parts


def parse_stat(text):
    """Parse ``stat``: the ``srvr`` fields plus ``clients`` (list of parse_cons entries)."""
    check_reply("stat", text)
    head, sep, rest = text.partition("\nClients:\n")
    if not sep:
        return dict(parse_srvr(text), clients=[])
    clients_text, dummy, tail = rest.partition("\n\n")
    result = parse_srvr(head + "\n" + tail)
    result["clients"] = parse_cons(clients_text)
    return result


def parse_mntr(text):
    """Parse ``mntr`` (tab separated) -> dict without the ``zk_`` prefix, ASCII numbers converted.

    Keys therefore match the AdminServer's ``/commands/monitor`` keys (server_state,
    num_alive_connections, connection_rejected, synced_followers, synced_observers, ...). Values that
    are not numbers stay strings; callers read the ones they use with :func:`reply_int`.
    """
    check_reply("mntr", text)
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("\t")
        if not sep:
            continue
        if key.startswith("zk_"):
            key = key[3:]
        out[key] = value if key in ("version", "server_state") else _number(value)
    if "server_state" not in out:
        raise ZkParseError("mntr reply without zk_server_state: %r" % text[:200])
    return out


def parse_conf(text):
    """Parse ``conf`` -> dict of str -> str (``key=value`` lines; membership lines kept as-is).

    ``server.N`` lines of an ensemble appear as keys 'server.1', ...; ``version`` of the dynamic
    config is kept as 'version'. Use :func:`conf_max_client_cnxns` for the limit.
    """
    check_reply("conf", text)
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip():
            out[key.strip()] = value.strip()
    if not out:
        raise ZkParseError("conf reply without key=value lines: %r" % text[:200])
    return out


def conf_max_client_cnxns(conf):
    """maxClientCnxns from a parse_conf / AdminServer configuration dict, or None when absent."""
    for key in ("maxClientCnxns", "max_client_cnxns"):
        if key in conf:
            return reply_int(conf, key, "configuration", -JAVA_INT_MAX - 1, JAVA_INT_MAX)
    return None


# One connection of ``cons``, in the field order every 3.x server writes (ServerCnxn.dumpConnectionInfo):
#  /127.0.0.1:58220[1](queued=0,recved=1,sent=1,sid=0x...,lop=SESS,est=...,to=...,lcxid=0x0,lzxid=...,...)
# Only what the decisions use is captured: the address, and the session id, last operation, establishment
# time and last client xid that tell an idle, never-used session. A line that does not fit (another field
# order, garbage) lands in the last group and goes to the general parser, so one findall over the whole
# reply is the only pass in the common case. Every repeat is bounded (or runs to the end of the line at
# most once), so a hostile reply costs time linear in its length, never quadratic backtracking.
_CONS_FAST = re.compile(
    r"^[ \t]{0,64}(?:[^\s/]{0,255}/(\S{1,64}?):([0-9]{1,5})\[[0-9]{1,10}\]"
    r"\(queued=[0-9]{1,19},recved=[0-9]{1,19},sent=[0-9]{1,19}"
    r"(?:,sid=(0x[0-9a-fA-F]{1,16}),lop=(\w{1,16}),est=([0-9]{1,19}),to=[0-9]{1,19},lcxid=(-?0x[0-9a-fA-F]{1,16}),"
    r"[^)\s]{0,512})?\)[ \t\r]{0,64}$|[ \t]*(\S[^\n]*))", re.M)
_CONS_ANY = re.compile(
    r"(?:[^\s/]{0,255}/)?(\S{1,64}?):([0-9]{1,5})\[[0-9]{1,10}\]\(([^)\s]{0,4096})\)[ \t\r]{0,64}\Z")
_CONS_DETAIL = ("sid", "lop", "est", "lcxid")


def parse_cons(text, detail=True):
    """Parse ``cons`` (or the Clients: part of ``stat``) -> list of dicts in reply order.

    Each entry has ip (str) and port (int); with ``detail`` also sid (hex str), lop (str), est (epoch ms,
    int) and lcxid (hex str), each None for a connection without a session (a 4lw probe, a handshake
    in progress). Those are the fields :func:`zkconns.is_idle_never_used` reads; the other counters of
    the line are not parsed.
    """
    check_reply("cons", text)
    out = []
    append = out.append
    for ip, port, sid, lop, est, lcxid, other in _CONS_FAST.findall(text):
        if ip:
            port = int(port)
            if port > 65535:
                raise ZkParseError("unexpected cons line: port %d of %s" % (port, ip))
            if ip[0] == "[" and ip[-1] == "]":
                ip = ip[1:-1]
            if detail:
                append({"ip": ip, "port": port, "sid": sid or None, "lop": lop or None,
                        "est": int(est) if est else None, "lcxid": lcxid or None})
            else:
                append({"ip": ip, "port": port})
        elif other.strip():
            append(_cons_line(other.rstrip(), detail))
    return out


def _cons_line(line, detail):
    """One ``cons`` line in any field order (slow path)."""
    match = _CONS_ANY.match(line)
    if match is None or int(match.group(2)) > 65535:
        raise ZkParseError("unexpected cons line: %r" % line[:200])
    ip = match.group(1)
    if ip[0] == "[" and ip[-1] == "]":
        ip = ip[1:-1]
    entry = {"ip": ip, "port": int(match.group(2))}
    if detail:
        fields = dict(f.partition("=")[::2] for f in match.group(3).split(","))
        for key in _CONS_DETAIL:
            entry[key] = fields.get(key) or None
        entry["est"] = int(entry["est"]) if entry["est"] and _INT_RE.match(entry["est"]) else None
    return entry


# --------------------------------------------------------------------------------------------------
# AdminServer (JSON already decoded, or the raw text)
# --------------------------------------------------------------------------------------------------
def parse_admin(command, payload):
    """Decode an AdminServer ``/commands/<command>`` reply; raise on its ``error`` field."""
    if not isinstance(payload, dict):
        text = payload if isinstance(payload, str) else repr(payload)
        try:
            payload = json.loads(text)
        except ValueError:
            if ("zkServer" in text and "is null" in text) or NOT_SERVING in text:
                raise ZkNotServingError("AdminServer %s: %s" % (command, NOT_SERVING))
            raise ZkAdminError("AdminServer %s reply is not JSON: %r" % (command, text[:200]))
    if not isinstance(payload, dict):
        raise ZkAdminError("AdminServer %s reply is not a JSON object: %r" % (command, str(payload)[:200]))
    error = payload.get("error")
    if error:
        if NOT_SERVING in str(error):
            raise ZkNotServingError("AdminServer %s: %s" % (command, error))
        raise ZkAdminError("AdminServer %s: %s" % (command, str(error)[:500]))
    return payload


def parse_admin_connections(payload):
    """``/commands/connections`` -> list of dicts like parse_cons (ip, port, plus the JSON fields)."""
    payload = parse_admin("connections", payload)
    if not isinstance(payload.get("connections"), list):
        raise ZkAdminError("AdminServer connections reply has no 'connections' list")
    out = []
    for kind in ("connections", "secure_connections"):
        items = payload.get(kind) or []
        if not isinstance(items, list):
            raise ZkAdminError("AdminServer connections reply: %s is not a list" % kind)
        for item in items:
            if not isinstance(item, dict):
                raise ZkAdminError("AdminServer connections reply: an entry is not an object: %r" % (item,))
            try:
                ip, port = split_address(item.get("remote_socket_address"))
            except ZkParseError as exc:
                raise ZkAdminError("AdminServer connections reply: %s" % exc)
            entry = dict(item)
            entry.update(ip=ip, port=port, secure=(kind == "secure_connections"))
            out.append(entry)
    return out


def parse_admin_configuration(payload):
    """``/commands/configuration`` -> dict (max_client_cnxns, client_port, ...)."""
    payload = parse_admin("configuration", payload)
    if "client_port" not in payload and "max_client_cnxns" not in payload:
        raise ZkAdminError("AdminServer configuration reply lacks client_port/max_client_cnxns")
    return payload


def parse_admin_monitor(payload):
    """``/commands/monitor`` -> dict with the same keys as parse_mntr (server_state, ...)."""
    payload = parse_admin("monitor", payload)
    if not isinstance(payload.get("server_state"), str):
        raise ZkAdminError("AdminServer monitor reply lacks server_state")
    return payload
