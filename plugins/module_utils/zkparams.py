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

from ansible_collections.alertops.remediation.plugins.module_utils.zookeeper import (
    DEFAULT_PORT, DEFAULT_TIMEOUT, ZkClient, make_ssl_context,
)

MAX_TIMEOUT = 3600
_DIGITS = re.compile(r"[0-9]{1,12}\Z")
_DECIMAL = re.compile(r"[0-9]{1,12}(?:\.[0-9]{0,12})?\Z|\.[0-9]{1,12}\Z")
_SCOPE = re.compile(r"[A-Za-z0-9_.\-]{1,15}\Z")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.\-]{0,252})\Z")


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
    if isinstance(value, str) and (_HOST.match(value) or _is_ip(value)):
        return value
    raise ValueError("%s must be a host name or IP address, got %r" % (option, value))


def ip_address(option, value):
    if isinstance(value, str) and _is_ip(value):
        return value
    raise ValueError("%s must be an IP address of this host, got %r" % (option, value))


def _is_ip(text):
    address, percent_sign, scope = text.partition("%")
    if percent_sign:  # fe80::1%eth0: a link-local IPv6 address with its interface
        return bool(_SCOPE.match(scope)) and ":" in address and _is_ip(address)
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, address)
            return True
        except (OSError, ValueError):
            continue
    return False


def zookeeper_argument_spec():
    """Connection options shared by the zookeeper modules (doc fragment alertops.remediation.zookeeper)."""
    return dict(
        host=dict(type="str", default="127.0.0.1"),
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
    context = None
    if params.get("tls"):
        context = make_ssl_context(params.get("tls_ca_path"), params.get("tls_cert_path"),
                                   params.get("tls_key_path"), params.get("validate_certs", True))
    admin_tls = dict(validate_certs=params.get("validate_certs", True), ca_path=params.get("tls_ca_path"),
                     client_cert=params.get("tls_cert_path"), client_key=params.get("tls_key_path"))
    return ZkClient(address, port, timeout, source, ssl_context=context, admin_url=params.get("admin_url"),
                    admin_tls=admin_tls, total_timeout=timeout)
