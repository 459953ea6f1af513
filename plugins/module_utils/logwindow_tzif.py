# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time zones as the log window uses them, and the TZif (RFC 8536) reader that builds them.

A zone maps wall seconds (a naive date and time read as if it were UTC) to UTC seconds and tells the
offset in force at a UTC instant. The host's time-zone database is read directly (Python 3.6 has no
zoneinfo), with the same answers as zoneinfo: an ambiguous wall time (clocks set back) is its first
occurrence, a wall time in a gap (clocks set forward) is read with the offset before the gap (PEP 495
fold=0). Corrupt TZif data is a ValueError. Pure standard library (Python 3.6+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import bisect
import re
import struct

from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzrule import PosixRule

# Years for which the footer rule of a TZif file is unrolled into transitions.
FIRST_RULE_YEAR = 1800
RULE_UNTIL_YEAR = 2200
_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])([0-9]{1,2})(?::?([0-9]{2}))?\Z")


def parse_offset(text):
    """'+08:00', '+0800', '+08', 'Z', 'UTC' -> seconds, or None when text is no offset."""
    if text in ("Z", "z", "UTC", "GMT", "Etc/UTC", "UTC0"):
        return 0
    m = _OFFSET.match(text)
    if not m:
        return None
    hours, minutes = int(m.group(2)), int(m.group(3) or 0)
    if hours > 23 or minutes > 59:
        return None
    off = hours * 3600 + minutes * 60
    return -off if m.group(1) == "-" else off


def format_offset(off):
    sign = "-" if off < 0 else "+"
    off = abs(off)
    return "%s%02d:%02d" % (sign, off // 3600, (off % 3600) // 60)


class FixedZone(object):
    """A zone with one offset for all time."""

    def __init__(self, offset, name=None):
        self.offset = int(offset)
        self.name = name or format_offset(self.offset)

    def utc_from_wall(self, wall):
        return wall - self.offset

    def offset_at(self, utc):
        return self.offset


class TransitionZone(object):
    """Zone given by UTC transition instants, the offsets after them, and an optional POSIX rule for
    the years after the last transition."""

    def __init__(self, name, transitions, offsets, first_offset, rule=None, until_year=RULE_UNTIL_YEAR):
        self.name = name
        trans = list(transitions)
        offs = list(offsets)
        if rule is not None:
            last = trans[-1] if trans else None
            # The year of the last transition, roughly (a year early is harmless: earlier rule changes
            # are dropped below), kept to years the rule can be unrolled for.
            year0 = 1970 if last is None else min(max(1969 + last // 31556952, FIRST_RULE_YEAR), until_year)
            for year in range(year0, until_year + 1):
                for when, off in rule.transitions(year):
                    if last is None or when > last:
                        trans.append(when)
                        offs.append(off)
            if not trans:
                first_offset = rule.std_offset
        self.trans = trans
        self.offs = offs
        self.first_offset = first_offset
        # Wall time of each transition, seen with the larger of the two offsets around it: a wall
        # time before that instant still belongs to the previous period (fold=0).
        wall = []
        before = first_offset
        for when, off in zip(trans, offs):
            wall.append(when + max(before, off))
            before = off
        self.wall = wall

    def utc_from_wall(self, wall):
        idx = bisect.bisect_right(self.wall, wall)
        off = self.offs[idx - 1] if idx else self.first_offset
        return wall - off

    def offset_at(self, utc):
        idx = bisect.bisect_right(self.trans, utc)
        return self.offs[idx - 1] if idx else self.first_offset


def _counts(data, pos):
    counts = struct.unpack(">6l", data[pos + 20:pos + 44])
    if min(counts) < 0:
        raise ValueError("negative count")
    return counts


def read_tzif(data, name="tzif"):
    """Parse TZif bytes into a TransitionZone. Leap-second records are ignored. Raises ValueError for
    anything that is not well-formed TZif."""
    if data[:4] != b"TZif":
        raise ValueError("%s is not a TZif file" % name)
    try:
        return _read_tzif(data, name)
    except (struct.error, IndexError, ValueError, UnicodeError) as exc:
        raise ValueError("%s: corrupt TZif data (%s)" % (name, exc))


def _read_tzif(data, name):
    version = data[4:5]
    isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = _counts(data, 0)
    pos = 44
    tsize = 4
    if version >= b"2":
        # Skip the 32-bit block and read the 64-bit one that follows it.
        pos += timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt
        isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = _counts(data, pos)
        pos += 44
        tsize = 8
    if typecnt < 1 or pos + timecnt * (tsize + 1) + typecnt * 6 > len(data):
        raise ValueError("counts beyond the end of the data")
    fmt = ">%d%s" % (timecnt, "q" if tsize == 8 else "l")
    trans = list(struct.unpack(fmt, data[pos:pos + timecnt * tsize]))
    pos += timecnt * tsize
    idx = list(bytearray(data[pos:pos + timecnt]))
    pos += timecnt
    types = []
    for i in range(typecnt):
        utoff, dummy_isdst, dummy_abbr = struct.unpack(">lBB", data[pos + i * 6:pos + i * 6 + 6])
        types.append(utoff)
    pos += typecnt * 6 + charcnt + leapcnt * (tsize + 4) + isstdcnt + isutcnt
    rule = None
    if version >= b"2":
        footer = data[pos:].strip(b"\n").split(b"\n")[0].decode("ascii")
        if footer:
            rule = PosixRule(footer)
    offsets = [types[i] for i in idx]
    return TransitionZone(name, trans, offsets, types[0], rule)
