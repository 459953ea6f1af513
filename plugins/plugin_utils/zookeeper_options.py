# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The zookeeper_connections role's options, checked once before anything is read twice or changed.

Role variables reach the filters as whatever the inventory or ``-e`` gave: ints, floats, strings of
digits, booleans as strings. Every number must be finite and inside its bounds (NaN and infinity pass
a ``float`` type check); every refusal names the variable and the value.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import re

JAVA_INT_MAX = 2147483647
APPLY_CHOICES = ("auto", "live", "restart")

_INT = re.compile(r"^[0-9]+$")
_FLOAT = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0")

# name -> (kind, low, high); a bound of None is open. Names without the role prefix.
NUMBERS = {
    "port": ("int", 1, 65535),
    "threshold_percent": ("float", 0.1, 100),
    "sample_interval": ("int", 0, 3600),
    "leak_min_growth": ("int", 1, JAVA_INT_MAX),
    "idle_min_age": ("float", 0, 31536000),
    "idle_leak_percent": ("float", 0.1, 100),
    "raise_factor": ("float", 1, 1000),
    "headroom": ("float", 1, 1000),
    "max_limit": ("int", 1, JAVA_INT_MAX),
    "restart_timeout": ("int", 1, 86400),
    "gate_delay": ("float", 0.1, 600),
    "query_timeout": ("float", 0.1, 3600),
}
BOOLEANS = ("raise_on_leak", "fail_on_leak")
PREFIX = "zookeeper_connections_"


class OptionError(ValueError):
    """A role variable with a value the runbook cannot work with."""


def _as_number(name, value, kind, low, high):
    shown = "%s%s=%r" % (PREFIX, name, value)
    if isinstance(value, bool) or value is None:
        raise OptionError("%s is not a number" % shown)
    if isinstance(value, str):
        text = value.strip()
        pattern = _INT if kind == "int" else _FLOAT
        # ASCII digits only: int() would also take other scripts' digits and "1_000".
        if not pattern.match(text):
            raise OptionError("%s is not a%s number" % (shown, "n integer" if kind == "int" else " decimal"))
        value = int(text) if kind == "int" else float(text)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise OptionError("%s is not a finite number" % shown)
        if kind == "int":
            if value != int(value):
                raise OptionError("%s is not an integer" % shown)
            value = int(value)
    elif not isinstance(value, int):
        raise OptionError("%s is not a number" % shown)
    if (low is not None and value < low) or (high is not None and value > high):
        raise OptionError("%s is out of range (%s to %s)" % (shown, low, high))
    return value


def _as_bool(name, value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise OptionError("%s%s=%r is not a boolean" % (PREFIX, name, value))


def _as_ip(name, value):
    text = "" if value is None else str(value).strip()
    if any(c.isspace() or ord(c) < 32 for c in text) or len(text) > 255:
        raise OptionError("%s%s=%r is not an address" % (PREFIX, name, value))
    return text


def check(options):
    """options (dict, names without the role prefix) -> the same options, typed and bounded.

    Raises OptionError naming the first bad variable and its value.
    """
    out = dict(options)
    for name, (kind, low, high) in NUMBERS.items():
        if name in options:
            out[name] = _as_number(name, options[name], kind, low, high)
    for name in BOOLEANS:
        if name in options:
            out[name] = _as_bool(name, options[name])
    for name in ("alarm_client_ip", "alarm_server_ip"):
        if name in options:
            out[name] = _as_ip(name, options[name])
    if "apply" in options and options["apply"] not in APPLY_CHOICES:
        raise OptionError("%sapply=%r is not one of %s" % (PREFIX, options["apply"], ", ".join(APPLY_CHOICES)))
    extra = options.get("extra_settings")
    if extra is not None:
        if not isinstance(extra, dict):
            raise OptionError("%sextra_settings=%r is not a mapping of zoo.cfg keys to values" % (PREFIX, extra))
        if "maxClientCnxns" in extra:
            raise OptionError("%sextra_settings=%r sets maxClientCnxns, which the runbook computes itself"
                              % (PREFIX, extra))
        out["extra_settings"] = dict(extra)
    return out
