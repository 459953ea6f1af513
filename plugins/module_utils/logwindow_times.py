# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The values a user gives the log window (times, minutes, byte counts), read strictly, and instants
written back as text.

Vocabulary: an *instant* is an integer number of microseconds since the epoch (UTC); every comparison
uses instants. Values are accepted only in ASCII digits, finite, and within bounds that keep every
instant and every local rendering inside what datetime can represent, so bad input is a LogWindowError
that names the option and the value, never an overflow. Pure standard library (Python 3.6+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import math
import re

from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import format_offset
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import parse_offset
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzrule import wall_seconds

US = 1000000
_EPOCH = datetime.datetime(1970, 1, 1)
# Times given by the user lie in [1900, 9000); with at most ten years before or after, every window
# edge, rendered in any zone, stays inside datetime's years 1..9999.
MIN_INSTANT = wall_seconds(1900, 1, 1) * US
MAX_INSTANT = wall_seconds(9000, 1, 1) * US
MAX_MINUTES = 3653 * 24 * 60
MAX_SIZE = 1 << 40
# Epoch values above this are read as milliseconds.
EPOCH_MS_THRESHOLD = 1e11
MAX_TEXT = 64

_ISO = re.compile(r"^ *([0-9]{4})-([0-9]{2})-([0-9]{2})"
                  r"(?:[T ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?)?"
                  r" *(Z|z|UTC|[+-][0-9]{2}(?::?[0-9]{2})?)? *\Z")
_DECIMAL = re.compile(r"^ *[0-9]{1,20}(?:\.[0-9]{1,9})? *\Z")
_INTEGER = re.compile(r"^ *[0-9]{1,20} *\Z")


class LogWindowError(Exception):
    """Bad input or a file that cannot be used: the message names the option or the file and the value."""


def _number(what, value, pattern):
    """A finite number from an int/float or from ASCII digits; None when value is neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise LogWindowError("%s=%r must be a finite number" % (what, value))
        return value
    if isinstance(value, str) and pattern.match(value):
        return float(value) if "." in value else int(value)
    return None


def parse_minutes(what, value):
    """Minutes (before/after): a number from 0 to MAX_MINUTES."""
    num = _number(what, value, _DECIMAL)
    if num is None:
        raise LogWindowError("%s=%r is not a number of minutes (ASCII digits, optionally with a decimal "
                             "point)" % (what, value))
    if not 0 <= num <= MAX_MINUTES:
        raise LogWindowError("%s=%r must be between 0 and %d minutes" % (what, value, MAX_MINUTES))
    return num


def parse_size(what, value):
    """A byte count from 1 to MAX_SIZE: an integer or ASCII digits."""
    num = _number(what, value, _INTEGER)
    if num is None or (isinstance(num, float) and not num.is_integer()):
        raise LogWindowError("%s=%r is not a whole number of bytes (ASCII digits)" % (what, value))
    if not 1 <= num <= MAX_SIZE:
        raise LogWindowError("%s=%r must be between 1 and %d bytes" % (what, value, MAX_SIZE))
    return int(num)


def _in_range(what, value, instant):
    if not MIN_INSTANT <= instant < MAX_INSTANT:
        raise LogWindowError("%s=%r is out of range: give a time from 1900 to 8999" % (what, value))
    return instant


def parse_time(value, zone, what="at"):
    """ISO 8601 (zone optional; without one it is a wall time in ``zone``) or epoch seconds (values
    above 1e11 are read as epoch milliseconds) -> instant (microseconds)."""
    num = _number(what, value, _DECIMAL)
    if num is not None:
        if num < 0:
            raise LogWindowError("%s=%r is not a time: epoch seconds cannot be negative" % (what, value))
        if num > EPOCH_MS_THRESHOLD:
            num /= 1000.0
        _in_range(what, value, num * US)
        return int(round(num * US))
    m = _ISO.match(value) if isinstance(value, str) and len(value) <= MAX_TEXT else None
    if not m:
        raise LogWindowError("%s=%r is not an ISO 8601 time or epoch seconds" % (what, value))
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hour, minute, second = int(m.group(4) or 0), int(m.group(5) or 0), int(m.group(6) or 0)
    frac = int((m.group(7) or "0")[:6].ljust(6, "0"))
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise LogWindowError("%s=%r is not a valid time: %s" % (what, value, exc))
    _in_range(what, value, wall_seconds(year, month, day) * US)
    wall = wall_seconds(year, month, day, hour, minute, second)
    if m.group(8):
        off = parse_offset(m.group(8))
        if off is None:
            raise LogWindowError("%s=%r has an invalid UTC offset %r" % (what, value, m.group(8)))
        utc = wall - off
    else:
        utc = zone.utc_from_wall(wall)
    return _in_range(what, value, utc * US + frac)


def iso_utc(instant):
    if instant is None:
        return None
    dt = _EPOCH + datetime.timedelta(microseconds=instant)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_local(instant, zone):
    if instant is None:
        return None
    secs = instant // US
    off = zone.offset_at(secs)
    dt = _EPOCH + datetime.timedelta(microseconds=instant + off * US)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f") + format_offset(off)
