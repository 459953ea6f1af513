# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options of the ZooKeeper modules: the shared connection options (doc fragment
alertops.remediation.zookeeper) and the strict reading of numbers and text the modules take.

Numbers are options of type ``raw`` read here rather than Ansible's ``int``/``float``: those accept
``True``, ``"nan"``, ``"inf"``, ``"1_000"`` and non-ASCII digits such as ``"\\u0669"``. Every refusal is a
ValueError whose message names the option and the value.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import re
import socket

from ansible_collections.alertops.remediation.plugins.module_utils import argcheck, zkhttp
from ansible_collections.alertops.remediation.plugins.module_utils.zookeeper import (
    DEFAULT_PORT, DEFAULT_TIMEOUT, ZkClient, is_ip, make_ssl_context,
)

MAX_TIMEOUT = 3600
_DIGITS = re.compile(r"[0-9]{1,12}\Z")
_DECIMAL = re.compile(r"[0-9]{1,12}(?:\.[0-9]{0,12})?\Z|\.[0-9]{1,12}\Z")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.\-]{0,252})\Z")
# A name made of numbers only: the resolver reads it as an IPv4 address in one of inet_aton's forms
# ("12" is 0.0.0.12, "0177.0.0.1" is 127.0.0.1), so it is no host name; an address is given as one.
_NUMERIC_NAME = re.compile(r"(?:[0-9]+|0[xX][0-9A-Fa-f]*)(?:\.(?:[0-9]+|0[xX][0-9A-Fa-f]*))*\.?\Z")


def integer(option, value, low, high):
    """An int (not a bool) or a string of ASCII digits, within [low, high]."""
    number = int(value) if isinstance(value, str) and _DIGITS.match(value) else value
    if isinstance(number, bool) or not isinstance(number, int) or not low <= number <= high:
        raise ValueError("%s must be a whole number from %d to %d (ASCII digits), got %r" % (option, low, high, value))
    return number


def seconds(option, value, low, high, low_inclusive=False):
    """A finite number of seconds (int, float or ASCII decimal string) in (low, high] or [low, high]."""
    number = None
    if isinstance(value, str) and _DECIMAL.match(value):
        number = float(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    if number is None or math.isnan(number) or number > high or number < low or \
            (number == low and not low_inclusive):
        bound = "from" if low_inclusive else "over"
        raise ValueError("%s must be a finite number of seconds %s %s up to %s (ASCII digits), got %r"
                         % (option, bound, low, high, value))
    return number


def percent(option, value):
    """A finite percentage in (0, 100]."""
    number = None
    if isinstance(value, str) and _DECIMAL.match(value):
        number = float(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    if number is None or math.isnan(number) or not 0 < number <= 100:
        raise ValueError("%s must be > 0 and <= 100, got %r" % (option, value))
    return number


def host(option, value):
    """A host name or an IP literal: no spaces, control characters or URL parts."""
    if isinstance(value, str) and (is_ip(value) or _HOST.match(value) and not _NUMERIC_NAME.match(value)):
        return value
    raise ValueError("%s must be a host name or IP address, got %r" % (option, value))


def ip_address(option, value):
    """An IP address this host has: one a socket can be bound to (else every connection fails later)."""
    if isinstance(value, str) and is_ip(value):
        family = socket.AF_INET6 if ":" in value else socket.AF_INET
        try:
            address = socket.getaddrinfo(value, 0, family, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)[0][4]
            probe = socket.socket(family, socket.SOCK_STREAM)
            try:
                probe.bind(address)
            finally:
                probe.close()
        except (OSError, socket.error) as exc:
            raise ValueError("%s must be an IP address of this host, got %r: %s" % (option, value, exc))
        return value
    raise ValueError("%s must be an IP address of this host, got %r" % (option, value))


def tls_paths(params):
    """The TLS file options as given (None when not given), each checked as a path: not empty, no NUL or
    line break, bounded; whether each is a regular file is checked where it is read."""
    paths = {}
    for option in ("tls_ca_path", "tls_cert_path", "tls_key_path"):
        value = params.get(option)
        if value is not None and not value:
            raise ValueError("%s: %r is not a path" % (option, value))
        paths[option] = argcheck.text(option, value)
    return paths


def zookeeper_argument_spec():
    """Connection options shared by the zookeeper modules (doc fragment alertops.remediation.zookeeper)."""
    return dict(
        host=dict(type="raw", default="127.0.0.1"),  # as given: Ansible's str would make YAML's yes "True"
        port=dict(type="raw", default=DEFAULT_PORT),
        admin_url=dict(type="str"),
        source_address=dict(type="str"),
        timeout=dict(type="raw", default=DEFAULT_TIMEOUT),
        tls=dict(type="bool", default=False),
        tls_ca_path=dict(type="path"),
        tls_cert_path=dict(type="path"),
        tls_key_path=dict(type="path"),
        validate_certs=dict(type="bool", default=True),
    )


def client_from_params(params):
    """Build a ZkClient from module params validated against zookeeper_argument_spec(); ValueError
    naming the option and its value when one is out of bounds. ``timeout`` bounds every reply and all of
    them together."""
    address = host("host", params["host"])
    port = integer("port", params["port"], 1, 65535)
    timeout = seconds("timeout", params["timeout"], 0, MAX_TIMEOUT)
    source = params.get("source_address")
    if source is not None:
        source = ip_address("source_address", source)
    paths = tls_paths(params)
    context = None
    if params.get("tls"):
        context = make_ssl_context(paths["tls_ca_path"], paths["tls_cert_path"], paths["tls_key_path"],
                                   params.get("validate_certs", True))
    admin_tls = dict(validate_certs=params.get("validate_certs", True), ca_path=paths["tls_ca_path"],
                     client_cert=paths["tls_cert_path"], client_key=paths["tls_key_path"])
    admin_url = params.get("admin_url")
    if admin_url is not None:
        zkhttp.split_admin_url(admin_url)  # given, so checked (an empty one is not "no AdminServer")
    return ZkClient(address, port, timeout, source, ssl_context=context, admin_url=admin_url,
                    admin_tls=admin_tls, total_timeout=timeout)
