# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ZooKeeper four-letter-word and AdminServer client, pure reply parsers, per-IP saturation.

Standard library only; importable on Python 3.6. The parsers take the server's text (or decoded JSON)
and never touch the network, so they are unit-tested against replies recorded from a real 3.8 server.

Error replies are never parsed as data:
  - ``<cmd> is not executed because it is not in the whitelist.``  -> ZkWhitelistError
  - ``This ZooKeeper instance is not currently serving requests``   -> ZkNotServingError
  - the server closing a connection at once, before any reply (the client IP is over
    ``maxClientCnxns``)                                               -> ZkConnectionClosedError
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import re
import socket
import ssl
import time

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import ConnectionError as UrlsConnectionError, open_url

DEFAULT_PORT = 2181
DEFAULT_TIMEOUT = 10.0
FOUR_LETTER_WORDS = (
    "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "hash", "isro", "mntr", "ruok", "srst",
    "srvr", "stat", "stmk", "wchc", "wchp", "wchs",
)
NOT_SERVING = "This ZooKeeper instance is not currently serving requests"
_WHITELIST_RE = re.compile(r"^\s*(\w+) is not executed because it is not in the whitelist\.?\s*$")
MAX_REPLY_BYTES = 256 * 1024 * 1024


class ZkError(Exception):
    """Base class of every error this module raises."""


class ZkConnectError(ZkError):
    """The TCP (or TLS) connection could not be made, or timed out."""


class ZkConnectionClosedError(ZkError):
    """The server accepted the TCP connection and closed it at once without a reply."""


class ZkWhitelistError(ZkError):
    """The four-letter word is not in ``4lw.commands.whitelist``."""

    def __init__(self, command, message=None):
        self.command = command
        ZkError.__init__(self, message or "%s is not executed because it is not in the whitelist" % command)


class ZkNotServingError(ZkError):
    """The server runs but is not serving requests (no quorum, still electing a leader)."""


class ZkAdminError(ZkError):
    """The AdminServer could not be reached or gave an unusable reply."""


class ZkParseError(ZkError):
    """A reply did not have the expected format."""


# --------------------------------------------------------------------------------------------------
# Reply classification
# --------------------------------------------------------------------------------------------------
def check_reply(command, text):
    """Raise the matching error when ``text`` is a refusal rather than data; return ``text``."""
    stripped = text.strip()
    match = _WHITELIST_RE.match(stripped)
    if match:
        raise ZkWhitelistError(match.group(1))
    if stripped.startswith(NOT_SERVING):
        raise ZkNotServingError("%s: %s" % (command, NOT_SERVING))
    return text


# --------------------------------------------------------------------------------------------------
# Small value helpers
# --------------------------------------------------------------------------------------------------
def _number(value):
    """'12' -> 12, '3.5' -> 3.5, anything else unchanged."""
    try:
        return int(value)
    except (TypeError, ValueError):
        pass
    try:
        return float(value)
    except (TypeError, ValueError):
        return value


def split_address(address):
    """'/127.0.0.1:2181', '127.0.0.1:2181', '[::1]:2181', '0:0:0:0:0:0:0:1:2181' -> (ip, port)."""
    address = address.strip()
    if "/" in address:
        address = address.rsplit("/", 1)[1]
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ZkParseError("not an address with a port: %r" % address)
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host.startswith("::ffff:") and host.count(".") == 3:
        host = host[len("::ffff:"):]
    return host, int(port)


# --------------------------------------------------------------------------------------------------
# Four-letter-word parsers
# --------------------------------------------------------------------------------------------------
_SRVR_KEYS = {
    "Zookeeper version": "version",
    "Received": "received",
    "Sent": "sent",
    "Connections": "connections",
    "Outstanding": "outstanding",
    "Zxid": "zxid",
    "Mode": "mode",
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
        if key in _SRVR_KEYS:
            name = _SRVR_KEYS[key]
            out[name] = value if name in ("version", "mode", "zxid") else _number(value)
        elif key == "Latency min/avg/max":
            parts = [_number(v) for v in value.split("/")]
            if len(parts) == 3:
                out["latency_min"], out["latency_avg"], out["latency_max"] = parts
        elif key == "Proposal sizes last/min/max":
            out["proposal_sizes"] = [_number(v) for v in value.split("/")]
    if "mode" not in out or "version" not in out:
        raise ZkParseError("srvr reply without Mode or version: %r" % text[:200])
    if "zxid" in out:
        try:
            out["zxid_int"] = int(out["zxid"], 16)
            out["epoch"] = out["zxid_int"] >> 32
        except ValueError:
            raise ZkParseError("srvr Zxid is not hexadecimal: %r" % out["zxid"])
    return out


def parse_stat(text):
    """Parse ``stat``: the ``srvr`` fields plus ``clients`` (list of parse_cons entries)."""
    check_reply("stat", text)
    head, sep, rest = text.partition("\nClients:\n")
    if not sep:
        return dict(parse_srvr(text), clients=[])
    clients_text, sep2, tail = rest.partition("\n\n")
    result = parse_srvr(head + "\n" + tail)
    result["clients"] = parse_cons(clients_text)
    return result


def parse_mntr(text):
    """Parse ``mntr`` (tab separated) -> dict without the ``zk_`` prefix, numbers converted.

    Keys therefore match the AdminServer's ``/commands/monitor`` keys (server_state,
    num_alive_connections, connection_rejected, synced_followers, ...).
    """
    check_reply("mntr", text)
    out = {}
    for line in text.splitlines():
        key, sep, value = line.partition("\t")
        if not sep:
            continue
        if key.startswith("zk_"):
            key = key[3:]
        out[key] = value if key == "version" or key == "server_state" else _number(value)
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
            try:
                return int(conf[key])
            except (TypeError, ValueError):
                raise ZkParseError("maxClientCnxns is not an integer: %r" % (conf[key],))
    return None


# ' /127.0.0.1:58220[1](queued=0,recved=1,sent=1,sid=0x...,lop=SESS,...)'
_CONS_RE = re.compile(r"^\s*(\S*?)/?(\S+):(\d+)\[(\d+)\]\((.*)\)\s*$")
_CONS_INT_FIELDS = ("queued", "recved", "sent", "est", "to", "lresp", "llat", "minlat", "avglat", "maxlat")


def parse_cons(text, detail=True):
    """Parse ``cons`` (or the Clients: part of ``stat``) -> list of dicts.

    Each entry has ip (str), port (int), interest_ops (int) and, with ``detail``, the counters
    queued, recved, sent (ints) and for connections with a session sid (hex str), lop (str), est
    (epoch ms), to (ms), lcxid, lzxid (hex str), lresp, llat, minlat, avglat, maxlat.
    A connection without a session (a 4lw probe, a handshake in progress) has no sid.
    """
    check_reply("cons", text)
    match = _CONS_RE.match
    out = []
    append = out.append
    for line in text.splitlines():
        if not line.strip():
            continue
        m = match(line)
        if m is None:
            raise ZkParseError("unexpected cons line: %r" % line[:200])
        ip = m.group(2)
        if ip.startswith("[") and ip.endswith("]"):
            ip = ip[1:-1]
        entry = {"ip": ip, "port": int(m.group(3)), "interest_ops": int(m.group(4))}
        if detail:
            for field in m.group(5).split(","):
                key, sep, value = field.partition("=")
                if not sep:
                    continue
                if key in _CONS_INT_FIELDS:
                    try:
                        value = int(value)
                    except ValueError:
                        pass
                entry[key] = value
        append(entry)
    return out


# --------------------------------------------------------------------------------------------------
# AdminServer reply parsers (JSON already decoded, or the raw text)
# --------------------------------------------------------------------------------------------------
def parse_admin(command, payload):
    """Decode an AdminServer ``/commands/<command>`` reply; raise on its ``error`` field."""
    if not isinstance(payload, dict):
        try:
            payload = json.loads(payload)
        except ValueError:
            text = payload if isinstance(payload, str) else repr(payload)
            if "zkServer" in text and "is null" in text or NOT_SERVING in text:
                raise ZkNotServingError("AdminServer %s: %s" % (command, NOT_SERVING))
            raise ZkAdminError("AdminServer %s reply is not JSON: %r" % (command, text[:200]))
    if not isinstance(payload, dict):
        raise ZkAdminError("AdminServer %s reply is not a JSON object" % command)
    error = payload.get("error")
    if error:
        if NOT_SERVING in str(error):
            raise ZkNotServingError("AdminServer %s: %s" % (command, error))
        raise ZkAdminError("AdminServer %s: %s" % (command, error))
    return payload


def parse_admin_connections(payload):
    """``/commands/connections`` -> list of dicts like parse_cons (ip, port, plus the JSON fields)."""
    payload = parse_admin("connections", payload)
    if "connections" not in payload:
        raise ZkAdminError("AdminServer connections reply has no 'connections' list")
    out = []
    for kind in ("connections", "secure_connections"):
        for item in payload.get(kind) or []:
            ip, port = split_address(item.get("remote_socket_address", ""))
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
    if "server_state" not in payload:
        raise ZkAdminError("AdminServer monitor reply lacks server_state")
    return payload


# --------------------------------------------------------------------------------------------------
# Aggregates
# --------------------------------------------------------------------------------------------------
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


def _as_int(value):
    """'0x1f' -> 31, '12' -> 12, 12 -> 12, anything else -> None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        text = str(value).strip()
        return int(text, 16) if text.lower().startswith(("0x", "-0x")) else int(text)
    except (TypeError, ValueError):
        return None


def is_idle_never_used(conn, min_age, now_ms):
    """True for a session that was established at least ``min_age`` seconds before ``now_ms`` (epoch ms)
    and never sent a request: it has a session id, its last client xid is 0 (pings carry xid -2 and do not
    count) and its last operation is the handshake (SESS), a PING or nothing (NA).

    Works on parse_cons entries (sid, lop, est, lcxid) and parse_admin_connections entries (session_id,
    last_operation, established, last_cxid). A connection without a session (a 4lw probe, a handshake in
    progress) is never idle-never-used.
    """
    sid = conn.get("sid", conn.get("session_id"))
    if sid in (None, "", 0, "0x0"):
        return False
    cxid = _as_int(conn.get("lcxid", conn.get("last_cxid")))
    if cxid not in (0, -1):
        return False
    if str(conn.get("lop", conn.get("last_operation", "")) or "").upper() not in NEVER_USED_OPS:
        return False
    est = _as_int(conn.get("est", conn.get("established")))
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


# --------------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------------
def make_ssl_context(ca_path=None, cert_path=None, key_path=None, validate_certs=True):
    context = ssl.create_default_context(cafile=ca_path)
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert_path:
        context.load_cert_chain(cert_path, key_path)
    return context


class ZkClient(object):
    """One TCP round trip per four-letter word; the AdminServer over urllib.

    ``source_address``: local IP to connect from (a saturated client IP is refused even for 4lw).
    ``ssl_context``: wrap the 4lw connection in TLS (secureClientPort) and use it for https admin_url.
    After each :meth:`command`, ``last_local_address`` is the (ip, port) this client used, so a
    ``cons`` reply can leave out the probe connection itself.
    """

    def __init__(self, host="127.0.0.1", port=DEFAULT_PORT, timeout=DEFAULT_TIMEOUT, source_address=None,
                 ssl_context=None, admin_url=None, admin_tls=None):
        self.host = host
        self.port = int(port)
        self.timeout = float(timeout)
        self.source_address = source_address
        self.ssl_context = ssl_context
        self.admin_url = admin_url.rstrip("/") if admin_url else None
        # open_url keyword arguments for an https admin_url: validate_certs, ca_path, client_cert, client_key
        self.admin_tls = dict(admin_tls or {})
        self.last_local_address = None

    def _where(self):
        src = (" from %s" % self.source_address) if self.source_address else ""
        return "%s:%d%s" % (self.host, self.port, src)

    def raw(self, command):
        """Send ``command`` and return the whole reply (str) without classifying it."""
        if command not in FOUR_LETTER_WORDS:
            raise ValueError("unknown four-letter word: %r" % command)
        source = (self.source_address, 0) if self.source_address else None
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout,
                                            source_address=source)
        except socket.timeout:
            raise ZkConnectError("timed out after %ss connecting to ZooKeeper at %s" % (self.timeout, self._where()))
        except (OSError, socket.error) as exc:
            if _is_reset(exc):  # accepted, then closed at once (seen as EPIPE/ECONNRESET here)
                raise self._closed(command)
            raise ZkConnectError("cannot connect to ZooKeeper at %s: %s" % (self._where(), exc))
        chunks = []
        total = 0
        try:
            self.last_local_address = sock.getsockname()[:2]
            if self.ssl_context is not None:
                sock = self.ssl_context.wrap_socket(sock, server_hostname=self.host)
            sock.sendall(command.encode("ascii"))
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
                total += len(data)
                if total > MAX_REPLY_BYTES:
                    raise ZkError("%s reply from %s exceeds %d bytes" % (command, self._where(), MAX_REPLY_BYTES))
        except socket.timeout:
            raise ZkConnectError("no complete %s reply from %s within %ss" % (command, self._where(), self.timeout))
        except (OSError, socket.error, ssl.SSLError) as exc:
            if not chunks and _is_reset(exc):
                raise self._closed(command)
            raise ZkConnectError("%s to %s failed: %s" % (command, self._where(), exc))
        finally:
            try:
                sock.close()
            except (OSError, socket.error):
                pass
        if not chunks:
            raise self._closed(command)
        return b"".join(chunks).decode("utf-8", "replace")

    def _closed(self, command):
        return ZkConnectionClosedError(
            "ZooKeeper at %s accepted the connection and closed it at once without answering %s: "
            "this client IP is probably over maxClientCnxns (the server then refuses even four-letter "
            "words from it); query from another local address (source_address) or through the AdminServer"
            % (self._where(), command))

    def command(self, command):
        """Send a four-letter word; return its text, raising on whitelist/not-serving refusals."""
        return check_reply(command, self.raw(command))

    def srvr(self):
        return parse_srvr(self.command("srvr"))

    def stat(self):
        return parse_stat(self.command("stat"))

    def mntr(self):
        return parse_mntr(self.command("mntr"))

    def conf(self):
        return parse_conf(self.command("conf"))

    def cons(self, include_self=False, detail=True):
        """parse_cons of ``cons``, without this probe's own connection unless include_self."""
        conns = parse_cons(self.command("cons"), detail=detail)
        if not include_self and self.last_local_address:
            me = tuple(self.last_local_address)
            conns = [c for c in conns if (c["ip"], c["port"]) != me]
        return conns

    def admin(self, command):
        """GET ``<admin_url>/commands/<command>`` and return the decoded JSON object."""
        if not self.admin_url:
            raise ZkAdminError("no admin_url given")
        url = "%s/commands/%s" % (self.admin_url, command)
        try:
            response = open_url(url, headers={"Accept": "application/json"}, timeout=self.timeout,
                                use_proxy=False, follow_redirects="none", **self.admin_tls)
            try:
                body = response.read().decode("utf-8", "replace")
            finally:
                response.close()
        except HTTPError as exc:
            body = exc.read().decode("utf-8", "replace")
            return parse_admin(command, _http_error_payload(command, url, exc.code, body))
        except (URLError, UrlsConnectionError, OSError, socket.error, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ZkAdminError("cannot reach the AdminServer at %s: %s" % (url, reason))
        return parse_admin(command, body)

    def admin_connections(self):
        return parse_admin_connections(self.admin("connections"))

    def admin_configuration(self):
        return parse_admin_configuration(self.admin("configuration"))

    def admin_monitor(self):
        return parse_admin_monitor(self.admin("monitor"))


def _http_error_payload(command, url, code, body):
    try:
        payload = json.loads(body)
        if isinstance(payload, dict) and payload.get("error"):
            return payload
    except ValueError:
        pass
    # 3.8 answers /commands/monitor with HTTP 500 (NullPointerException, zkServer is null) while the
    # server is not serving.
    if ("zkServer" in body and "is null" in body) or NOT_SERVING in body:
        raise ZkNotServingError("AdminServer %s: %s" % (command, NOT_SERVING))
    raise ZkAdminError("AdminServer %s answered HTTP %d" % (url, code))


def _is_reset(exc):
    import errno
    return getattr(exc, "errno", None) in (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED)


# --------------------------------------------------------------------------------------------------
# Gathering everything zookeeper_info reports
# --------------------------------------------------------------------------------------------------
def gather_info(client, threshold_percent=80, idle_min_age=None, now_ms=None):
    """Collect mode, version, zxid, limit, per-IP counts, saturation from 4lw, falling back to the
    AdminServer for what the whitelist refuses. Raises ZkConnectError / ZkConnectionClosedError when
    nothing can be learnt.

    With ``idle_min_age`` (seconds) the per-connection details are read too and ``idle_by_ip`` counts,
    per client IP, the sessions established at least that long ago that never sent a request
    (:func:`is_idle_never_used`), measured against ``now_ms`` (epoch ms, default: this host's clock).

    Returns a dict with: mode, version, zxid, max_client_cnxns, alive_connections, connections_by_ip,
    idle_by_ip, saturated, connection_rejected, synced_followers, whitelist_limited, source, admin_used,
    messages.
    """
    info = {
        "mode": None, "version": None, "zxid": None, "max_client_cnxns": None,
        "alive_connections": None, "connections_by_ip": None, "idle_by_ip": None, "saturated": [],
        "connection_rejected": None, "synced_followers": None, "whitelist_limited": [],
        "source": None, "admin_used": False, "messages": [],
    }
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
            info["alive_connections"] = max(srvr.get("connections", 1) - 1, 0)

        mntr = fourlw("mntr")
        own_probe = 1
        if mntr is None:
            mntr = via_admin("monitor")
            own_probe = 0
        if mntr:
            info["mode"] = info["mode"] or mntr.get("server_state")
            info["version"] = info["version"] or mntr.get("version")
            if "num_alive_connections" in mntr:
                info["alive_connections"] = max(int(mntr["num_alive_connections"]) - own_probe, 0)
            info["connection_rejected"] = mntr.get("connection_rejected")
            if info["mode"] == "leader":
                info["synced_followers"] = mntr.get("synced_followers")

        conf = fourlw("conf")
        if conf is None:
            conf = via_admin("configuration")
        if conf:
            info["max_client_cnxns"] = conf_max_client_cnxns(conf)

        # per-IP counts need no counters (3x faster); the idle analysis needs them
        conns = fourlw("cons", detail=idle_min_age is not None)
        if conns is not None:
            info["source"] = "4lw"
        else:
            conns = via_admin("connections")
            if conns is not None:
                info["source"] = "admin"
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


# --------------------------------------------------------------------------------------------------
# Shared module options (documented in doc_fragments/zookeeper.py)
# --------------------------------------------------------------------------------------------------
def zookeeper_argument_spec():
    """Connection options shared by the zookeeper modules (doc fragment alertops.remediation.zookeeper)."""
    return dict(
        host=dict(type="str", default="127.0.0.1"),
        port=dict(type="int", default=DEFAULT_PORT),
        admin_url=dict(type="str"),
        source_address=dict(type="str"),
        timeout=dict(type="float", default=DEFAULT_TIMEOUT),
        tls=dict(type="bool", default=False),
        tls_ca_path=dict(type="path"),
        tls_cert_path=dict(type="path"),
        tls_key_path=dict(type="path"),
        validate_certs=dict(type="bool", default=True),
    )


def client_from_params(params):
    """Build a ZkClient from module params validated against zookeeper_argument_spec()."""
    if not 0 < params["port"] < 65536:
        raise ValueError("port must be 1-65535, got %r" % params["port"])
    if params["timeout"] <= 0:
        raise ValueError("timeout must be > 0, got %r" % params["timeout"])
    admin_url = params.get("admin_url")
    if admin_url and not re.match(r"^https?://[^/]+", admin_url):
        raise ValueError("admin_url must look like http://HOST:PORT, got %r" % admin_url)
    context = None
    if params.get("tls"):
        context = make_ssl_context(params.get("tls_ca_path"), params.get("tls_cert_path"),
                                   params.get("tls_key_path"), params.get("validate_certs", True))
    admin_tls = dict(validate_certs=params.get("validate_certs", True), ca_path=params.get("tls_ca_path"),
                     client_cert=params.get("tls_cert_path"), client_key=params.get("tls_key_path"))
    return ZkClient(params["host"], params["port"], params["timeout"], params.get("source_address"),
                    ssl_context=context, admin_url=admin_url, admin_tls=admin_tls)
