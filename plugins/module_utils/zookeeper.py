# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ZooKeeper client: one TCP (or TLS) round trip per four-letter word, the AdminServer over HTTP.

Standard library only; importable on Python 3.6. Every round trip runs under one deadline that covers
the connection, the TLS handshake and the whole reply (a server that drips its answer byte by byte is
cut off), and replies are capped in size. The parsers live in zkreplies.py, the errors in zkerrors.py,
what the connection lists mean in zkconns.py; the names other code imports from here are re-exported.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import json
import os
import re
import socket
import ssl
import stat
import threading
import time

from ansible_collections.alertops.remediation.plugins.module_utils import zkhttp
from ansible_collections.alertops.remediation.plugins.module_utils.regular_file import (
    NotRegularFileError, read_regular_file,
)
from ansible_collections.alertops.remediation.plugins.module_utils.zkconns import count_by_ip
from ansible_collections.alertops.remediation.plugins.module_utils.zkerrors import (
    NOT_SERVING, ZkAdminError, ZkConnectError, ZkConnectionClosedError, ZkError, ZkNotServingError,
    ZkParseError, ZkWhitelistError, check_reply,
)
from ansible_collections.alertops.remediation.plugins.module_utils.zkreplies import (
    conf_max_client_cnxns, parse_admin, parse_admin_configuration, parse_admin_connections,
    parse_admin_monitor, parse_conf, parse_cons, parse_mntr, parse_srvr, parse_stat,
)

# Tests, the lab and the checkers import these from here.
__all__ = [
    "DEFAULT_PORT", "DEFAULT_TIMEOUT", "FOUR_LETTER_WORDS", "MAX_REPLY_BYTES", "ZkClient", "is_ip", "make_ssl_context",
    "ZkError", "ZkConnectError", "ZkConnectionClosedError", "ZkWhitelistError", "ZkNotServingError",
    "ZkAdminError", "ZkParseError", "conf_max_client_cnxns", "count_by_ip",
]

DEFAULT_PORT = 2181
DEFAULT_TIMEOUT = 10.0
FOUR_LETTER_WORDS = (
    "conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "hash", "isro", "mntr", "ruok", "srst",
    "srvr", "stat", "stmk", "wchc", "wchp", "wchs",
)
MAX_REPLY_BYTES = 256 * 1024 * 1024
MAX_PEM_BYTES = 4 * 1024 * 1024
_SCOPE = re.compile(r"[A-Za-z0-9_.\-]{1,15}\Z")


def _regular_file(option, path):
    """Refuse anything but a regular file before ssl opens it itself (a FIFO would block the open)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise ValueError("%s %r cannot be used: %s" % (option, path, exc.strerror or exc))
    if not stat.S_ISREG(mode):
        raise ValueError("%s %r is not a regular file" % (option, path))


def _read_pem(option, path):
    """Text of a CA bundle, read here (not by ssl) so that only a regular file is ever opened."""
    try:
        return read_regular_file(path, MAX_PEM_BYTES).decode("ascii", "replace")
    except NotRegularFileError as exc:
        raise ValueError("%s %r cannot be used: %s" % (option, path, exc))
    except (IOError, OSError) as exc:
        raise ValueError("%s %r cannot be read: %s" % (option, path, exc.strerror or exc))


def make_ssl_context(ca_path=None, cert_path=None, key_path=None, validate_certs=True):
    """An SSL context for the 4lw TLS port or an https AdminServer; ValueError naming a bad path."""
    cadata = _read_pem("tls_ca_path", ca_path) if ca_path else None
    try:
        context = ssl.create_default_context(cadata=cadata)
    except ssl.SSLError as exc:
        raise ValueError("tls_ca_path %r holds no usable certificate: %s" % (ca_path, exc))
    if not validate_certs:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert_path:
        _regular_file("tls_cert_path", cert_path)
        if key_path:
            _regular_file("tls_key_path", key_path)
        try:
            context.load_cert_chain(cert_path, key_path)
        except (ssl.SSLError, OSError) as exc:
            raise ValueError("tls_cert_path %r / tls_key_path %r cannot be loaded: %s" % (cert_path, key_path, exc))
    return context


class ZkClient(object):
    """One TCP round trip per four-letter word; the AdminServer over HTTP/1.0.

    ``timeout``: seconds for one whole round trip (connect, TLS, the complete reply).
    ``total_timeout``: when given, every round trip of this client also ends by this many seconds after
    the client was made, so a module that asks several questions still answers within its deadline.
    ``source_address``: local IP to connect from (a saturated client IP is refused even for 4lw).
    ``ssl_context``: wrap the 4lw connection in TLS (secureClientPort).
    ``admin_url``: AdminServer base URL; ``admin_tls``: for an https one, dict of validate_certs, ca_path,
    client_cert, client_key.
    After each :meth:`command`, ``last_local_address`` is the (ip, port) this client used, so a
    ``cons`` reply can leave out the probe connection itself.
    """

    def __init__(self, host="127.0.0.1", port=DEFAULT_PORT, timeout=DEFAULT_TIMEOUT, source_address=None,
                 ssl_context=None, admin_url=None, admin_tls=None, total_timeout=None):
        self.host = host
        self.port = int(port)
        self.timeout = _seconds("timeout", timeout)
        self.deadline = None if total_timeout is None else time.monotonic() + _seconds("total_timeout", total_timeout)
        self.source_address = source_address
        self.ssl_context = ssl_context
        self._admin = zkhttp.split_admin_url(admin_url) if admin_url else None
        self.admin_url = self._admin.url if self._admin else None
        self.admin_tls = dict(admin_tls or {})
        self._admin_context = None
        if self._admin is not None and self._admin.tls:
            tls = self.admin_tls
            self._admin_context = make_ssl_context(tls.get("ca_path"), tls.get("client_cert"),
                                                   tls.get("client_key"), tls.get("validate_certs", True))
        self.last_local_address = None

    def _where(self):
        src = (" from %s" % self.source_address) if self.source_address else ""
        return "%s:%d%s" % (self.host, self.port, src)

    # ---------------------------------------------------------------- one bounded round trip
    def _exchange(self, host, port, payload, what, peer, context=None, source_address=None):
        """Connect, send ``payload``, read until the peer closes; all within one deadline.

        Raises ZkConnectError (unreachable, timed out, too big) or ZkConnectionClosedError (accepted,
        then closed or reset before the first byte)."""
        deadline = time.monotonic() + self.timeout
        if self.deadline is not None:
            deadline = min(deadline, self.deadline)
        where = "%s %s:%d" % (peer, host, port) + ((" from %s" % source_address) if source_address else "")
        try:
            sock = _connect(host, port, source_address, deadline, what, where)
        except socket.timeout:
            raise ZkConnectError("timed out connecting to %s (deadline %ss)" % (where, self.timeout))
        except (OSError, socket.error) as exc:
            if _is_reset(exc):
                raise ZkConnectionClosedError(what)
            raise ZkConnectError("cannot connect to %s: %s" % (where, exc))
        chunks = []
        total = 0
        try:
            self.last_local_address = sock.getsockname()[:2]
            if context is not None:
                sock.settimeout(_left(deadline, what, where))
                sock = context.wrap_socket(sock, server_hostname=host)
            sock.settimeout(_left(deadline, what, where))
            sock.sendall(payload)
            while True:
                sock.settimeout(_left(deadline, what, where))
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
                total += len(data)
                if total > MAX_REPLY_BYTES:
                    raise ZkConnectError("%s from %s exceeds %d bytes" % (what, where, MAX_REPLY_BYTES))
        except socket.timeout:
            raise ZkConnectError("no complete %s from %s within the %ss deadline" % (what, where, self.timeout))
        except (OSError, socket.error, ssl.SSLError) as exc:
            if not chunks and _is_reset(exc):
                raise ZkConnectionClosedError(what)
            raise ZkConnectError("%s from %s failed: %s" % (what, where, exc))
        finally:
            try:
                sock.close()
            except (OSError, socket.error):
                pass
        if not chunks:
            raise ZkConnectionClosedError(what)
        return b"".join(chunks)

    # ---------------------------------------------------------------- four-letter words
    def raw(self, command):
        """Send ``command`` and return the whole reply (str) without classifying it."""
        if command not in FOUR_LETTER_WORDS:
            raise ValueError("unknown four-letter word: %r" % command)
        try:
            data = self._exchange(self.host, self.port, command.encode("ascii"), "%s reply" % command,
                                  "ZooKeeper at", self.ssl_context, self.source_address)
        except ZkConnectionClosedError:
            raise ZkConnectionClosedError(
                "ZooKeeper at %s accepted the connection and closed it at once without answering %s: "
                "this client IP is probably over maxClientCnxns (the server then refuses even four-letter "
                "words from it); query from another local address (source_address) or through the "
                "AdminServer" % (self._where(), command))
        return data.decode("utf-8", "replace")

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

    # ---------------------------------------------------------------- AdminServer
    def admin(self, command):
        """GET ``<admin_url>/commands/<command>`` and return the decoded JSON object."""
        if self._admin is None:
            raise ZkAdminError("no admin_url given")
        url = "%s/commands/%s" % (self.admin_url, command)
        try:
            data = self._exchange(self._admin.host, self._admin.port, self._admin.request(command),
                                  "reply", "the AdminServer at", self._admin_context)
        except ZkConnectionClosedError:
            raise ZkAdminError("the AdminServer at %s closed the connection without answering" % url)
        except ZkConnectError as exc:
            raise ZkAdminError("%s (%s)" % (exc, url))
        status, body = zkhttp.parse_response(data, url)
        if status != 200:
            return parse_admin(command, _http_error_payload(command, url, status, body))
        return parse_admin(command, body)

    def admin_connections(self):
        return parse_admin_connections(self.admin("connections"))

    def admin_configuration(self):
        return parse_admin_configuration(self.admin("configuration"))

    def admin_monitor(self):
        return parse_admin_monitor(self.admin("monitor"))


def _connect(host, port, source_address, deadline, what, where):
    """socket.create_connection, with the name lookup inside the deadline too: a resolver can hang for
    longer than any reply would."""
    source = (source_address, 0) if source_address else None
    if is_ip(host):
        return socket.create_connection((host, port), timeout=_left(deadline, what, where), source_address=source)
    found = {}

    def lookup():
        try:
            found["addresses"] = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except (OSError, socket.error) as exc:
            found["error"] = exc

    resolver = threading.Thread(target=lookup, name="resolve %s" % host)
    resolver.daemon = True  # a hung lookup must not keep the module from exiting
    resolver.start()
    resolver.join(_left(deadline, what, where))
    if resolver.is_alive():
        raise ZkConnectError("looking up the address of %s did not finish within the deadline" % where)
    if "error" in found:
        raise ZkConnectError("cannot resolve %s: %s" % (where, found["error"]))
    error = None
    for family, dummy, dummy, dummy, address in found["addresses"]:
        try:
            return socket.create_connection(address[:2], timeout=_left(deadline, what, where), source_address=source)
        except socket.timeout:
            raise
        except (OSError, socket.error) as exc:
            error = exc
    raise error or ZkConnectError("%s has no address" % where)


def is_ip(text):
    """True for an IPv4 or IPv6 literal, fe80::1%eth0 (link-local with its interface) included."""
    address, percent_sign, scope = text.partition("%")
    if percent_sign:
        return bool(_SCOPE.match(scope)) and ":" in address and is_ip(address)
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, address)
            return True
        except (OSError, ValueError):
            continue
    return False


def _seconds(name, value):
    seconds = float(value)
    if not 0 < seconds < float("inf"):
        raise ValueError("%s must be a finite number of seconds > 0, got %r" % (name, value))
    return seconds


def _left(deadline, what, where):
    left = deadline - time.monotonic()
    if left <= 0:
        raise ZkConnectError("no time left for %s from %s: the deadline has passed" % (what, where))
    return left


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
    return getattr(exc, "errno", None) in (errno.ECONNRESET, errno.EPIPE, errno.ECONNABORTED)
