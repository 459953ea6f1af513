# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""POSIX TZ rules (``CET-1CEST,M3.5.0,M10.5.0/3``): the footer of a TZif v2+ file, or $TZ itself.

Gives the UTC instants of a year's daylight-saving changes. Every field is checked against the ranges
POSIX and RFC 8536 allow, so a hostile $TZ or a corrupt footer is a ValueError, never a traceback.
Pure standard library (Python 3.6+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import datetime
import re


def wall_seconds(year, month, day, hour=0, minute=0, second=0):
    """Seconds since the epoch of a wall time read as if it were UTC (no DST, no zone)."""
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


_NAME = r"(?:<[A-Za-z0-9+-]{1,32}>|[A-Za-z]{3,32})"
_OFF = r"([+-]?[0-9]{1,3}(?::[0-9]{1,2}){0,2})"
_DATE = r"(M[0-9]{1,2}\.[0-9]\.[0-9]|J[0-9]{1,3}|[0-9]{1,3})"
_RULE = re.compile(r"^" + _NAME + _OFF + r"(?:(" + _NAME + r")" + _OFF + r"?"
                   r"(?:," + _DATE + r"(?:/" + _OFF + r")?," + _DATE + r"(?:/" + _OFF + r")?)?)?\Z")
# Offsets: POSIX allows 0-24 hours; RFC 8536 lets rule times run from -167 to 167 hours.
MAX_OFFSET_HOURS = 24
MAX_RULE_TIME_HOURS = 167


def _hms(text, max_hours):
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    parts += [0] * (3 - len(parts))
    hours, minutes, seconds = parts
    if hours > max_hours or minutes > 59 or seconds > 59:
        raise ValueError("%r is out of range" % text)
    return sign * (hours * 3600 + minutes * 60 + seconds)


def _check_date(spec):
    if spec.startswith("M"):
        month, week, wday = [int(x) for x in spec[1:].split(".")]
        if not (1 <= month <= 12 and 1 <= week <= 5 and 0 <= wday <= 6):
            raise ValueError("%r is not a valid Mm.w.d date" % spec)
    elif spec.startswith("J"):
        if not 1 <= int(spec[1:]) <= 365:
            raise ValueError("%r is not a valid Jn date" % spec)
    elif not 0 <= int(spec) <= 365:
        raise ValueError("%r is not a valid day of the year" % spec)
    return spec


class PosixRule(object):
    """A POSIX TZ string. Raises ValueError when it is not one."""

    def __init__(self, text):
        m = _RULE.match(text)
        if not m:
            raise ValueError("unsupported POSIX TZ rule %r" % text)
        try:
            self.std_offset = -_hms(m.group(1), MAX_OFFSET_HOURS)
            self.has_dst = bool(m.group(2))
            self.dst_offset = -_hms(m.group(3), MAX_OFFSET_HOURS) if m.group(3) else self.std_offset + 3600
            if self.has_dst and not m.group(4):
                # No rule given: the POSIX default (US rules) is what glibc assumes.
                self.start, self.start_time = "M3.2.0", 7200
                self.end, self.end_time = "M11.1.0", 7200
            elif self.has_dst:
                self.start = _check_date(m.group(4))
                self.start_time = _hms(m.group(5), MAX_RULE_TIME_HOURS) if m.group(5) else 7200
                self.end = _check_date(m.group(6))
                self.end_time = _hms(m.group(7), MAX_RULE_TIME_HOURS) if m.group(7) else 7200
        except ValueError as exc:
            raise ValueError("POSIX TZ rule %r: %s" % (text, exc))
        self.text = text

    @staticmethod
    def _day(spec, year):
        """Wall seconds of 00:00 on the day a rule names in year."""
        if spec.startswith("M"):
            month, week, wday = [int(x) for x in spec[1:].split(".")]
            first = datetime.date(year, month, 1)
            # POSIX weekday 0 = Sunday; date.weekday() 0 = Monday.
            delta = (wday - (first.weekday() + 1) % 7) % 7
            day = 1 + delta + (week - 1) * 7
            mdays = calendar.monthrange(year, month)[1]
            while day > mdays:
                day -= 7
            return wall_seconds(year, month, day)
        if spec.startswith("J"):
            n = int(spec[1:])  # 1..365, February 29th never counted
            base = wall_seconds(year, 1, 1) + (n - 1) * 86400
            if calendar.isleap(year) and n >= 60:
                base += 86400
            return base
        return wall_seconds(year, 1, 1) + int(spec) * 86400

    def transitions(self, year):
        """[(utc, offset after)] for year, in time order."""
        if not self.has_dst:
            return []
        start = self._day(self.start, year) + self.start_time - self.std_offset
        end = self._day(self.end, year) + self.end_time - self.dst_offset
        pairs = [(start, self.dst_offset), (end, self.std_offset)]
        pairs.sort()
        return pairs
