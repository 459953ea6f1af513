# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AdminServer's HTTP, kept small enough to bound: the base URL checked, one HTTP/1.0 GET request
written, the response split into status and body.

The client (zookeeper.py) sends the request over the same deadline-bounded socket exchange as the
four-letter words, so a server that drips its answer, or answers something that is not HTTP, is cut off
or refused with a clear message instead of holding the module or ending in a traceback.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible_collections.alertops.remediation.plugins.module_utils.zkerrors import ZkAdminError

MAX_URL_LENGTH = 2048
# scheme://host[:port][/prefix]: no user info, query or fragment; printable ASCII only (no CR, LF, NUL,
# space), so nothing from the option can end up as an extra header line.
_URL_RE = re.compile(
    r"(https?)://(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,252}))(?::([0-9]{1,5}))?"
    r"(/[A-Za-z0-9._~!$&'()*+,;=:%/\-]*)?\Z")
_STATUS_RE = re.compile(br"HTTP/1\.[01] ([0-9]{3})(?: [^\r\n]*)?\r?\n")
_CHUNK_SIZE_RE = re.compile(br"([0-9A-Fa-f]{1,8})[^\r\n]*\r?\n")


class AdminUrl(object):
    """A checked AdminServer base URL."""

    __slots__ = ("url", "scheme", "host", "port", "prefix")

    def __init__(self, url, scheme, host, port, prefix):
        self.url, self.scheme, self.host, self.port, self.prefix = url, scheme, host, port, prefix

    @property
    def tls(self):
        return self.scheme == "https"

    def request(self, command):
        """Bytes of the GET request for ``/commands/<command>``."""
        host = self.host if ":" not in self.host else "[%s]" % self.host
        return ("GET %s/commands/%s HTTP/1.0\r\nHost: %s:%d\r\nAccept: application/json\r\n"
                "User-Agent: alertops.remediation\r\nConnection: close\r\n\r\n"
                % (self.prefix, command, host, self.port)).encode("ascii")


def split_admin_url(url):
    """'http://10.0.0.5:8080' -> AdminUrl; ValueError naming the value otherwise."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise ValueError("admin_url must be a URL of at most %d characters, got %r" % (MAX_URL_LENGTH, url))
    match = _URL_RE.match(url)
    if match is None:
        raise ValueError("admin_url must look like http://HOST:PORT (printable ASCII, no user, query or "
                         "fragment), got %r" % url)
    scheme, host, port, prefix = match.groups()
    port = int(port) if port else (443 if scheme == "https" else 80)
    if not 0 < port < 65536:
        raise ValueError("admin_url port must be 1-65535, got %r" % url)
    if host.startswith("["):
        host = host[1:-1]
    return AdminUrl(url.rstrip("/"), scheme, host, port, (prefix or "").rstrip("/"))


def parse_response(data, url):
    """Raw HTTP response bytes -> (status, body text). ZkAdminError when it is not HTTP."""
    match = _STATUS_RE.match(data)
    if match is None:
        raise ZkAdminError("the AdminServer at %s did not answer HTTP: %r" % (url, data[:120]))
    head_end = data.find(b"\r\n\r\n", match.end() - 2)
    sep = 4
    if head_end < 0:
        head_end, sep = data.find(b"\n\n", match.end() - 1), 2
    if head_end < 0:
        raise ZkAdminError("the AdminServer at %s sent an incomplete HTTP header" % url)
    headers = {}
    for line in data[match.end():head_end].splitlines():
        name, colon, value = line.partition(b":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    body = data[head_end + sep:]
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        body = _unchunk(body, url)
    elif b"content-length" in headers:
        length = headers[b"content-length"]
        if not length.isdigit() or len(length) > 12:
            raise ZkAdminError("the AdminServer at %s sent a bad Content-Length: %r" % (url, length[:40]))
        if len(body) < int(length):
            raise ZkAdminError("the AdminServer at %s closed the connection after %d of %s body bytes"
                               % (url, len(body), length.decode("ascii")))
        body = body[:int(length)]
    return int(match.group(1)), body.decode("utf-8", "replace")


def _unchunk(body, url):
    parts = []
    pos = 0
    while True:
        match = _CHUNK_SIZE_RE.match(body, pos)
        if match is None:
            raise ZkAdminError("the AdminServer at %s sent a malformed chunked body" % url)
        size = int(match.group(1), 16)
        pos = match.end()
        if size == 0:
            return b"".join(parts)
        if pos + size > len(body):
            raise ZkAdminError("the AdminServer at %s closed the connection inside a chunk" % url)
        parts.append(body[pos:pos + size])
        pos += size
        if body[pos:pos + 2] == b"\r\n":
            pos += 2
        elif body[pos:pos + 1] == b"\n":
            pos += 1
