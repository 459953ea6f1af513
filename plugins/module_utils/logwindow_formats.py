# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Log line formats: recognise a file's format from a sample, and read the instant of a line.

A timestamp is looked for in the first LINE_HEAD bytes of a line only, so a line of any length costs
the same to parse. Pure standard library (Python 3.6+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import datetime
import re
import time

from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import US
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import LogWindowError
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import parse_offset
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzrule import wall_seconds

LINE_HEAD = 8192
MAX_PATTERN = 1024
MAX_TIME_FORMAT = 256

_D = br"(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)"
_T = br"(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d)"
_FRAC = br"(?:[.,](?P<frac>\d{1,9}))?"
_TZ = br"(?P<tz>Z|[+-]\d\d(?::?\d\d)?)?"
_MONTHS = {b"Jan": 1, b"Feb": 2, b"Mar": 3, b"Apr": 4, b"May": 5, b"Jun": 6, b"Jul": 7, b"Aug": 8,
           b"Sep": 9, b"Oct": 10, b"Nov": 11, b"Dec": 12}


class Format(object):
    """A named line format. ``detect`` recognises a line of the format (used for auto-detection,
    stricter); ``stamp`` finds the timestamp (used for every line); ``lead``, for a format whose
    timestamp starts the line, is a byte class every timestamped line starts with, so that a search can
    pass over other lines (stack traces) at the speed of the regular expression engine."""

    def __init__(self, name, detect, stamp, search=False, lead=None, description=""):
        self.name = name
        self.detect = re.compile(detect)
        self.stamp = re.compile(stamp)
        self.search = search
        self.lead = lead
        self.description = description


FORMATS = [
    Format("zookeeper",
           br"^" + _D + b" " + _T + br",\d{3} (?:\[myid:\d*\] )?- [A-Z]+ +\[",
           br"^" + _D + b" " + _T + _FRAC, lead=br"[0-9]",
           description="ZooKeeper log4j/logback: 2026-11-21 10:15:30,123 [myid:1] - WARN  [...] - msg"),
    Format("mrs",
           br"^" + _D + b" " + _T + br",\d{3} \| [A-Z]+ +\|",
           br"^" + _D + b" " + _T + _FRAC, lead=br"[0-9]",
           description="MRS ZooKeeper: 2020-01-20 16:33:43,816 | INFO | main | msg | class(File.java:335)"),
    Format("go",
           br"(?:^|[\s{,])\"?(?:ts|time)\"?[=:]\"?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d",
           br"(?:^|[\s{,])\"?(?:ts|time)\"?[=:]\"?" + _D + b"[T ]" + _T + _FRAC + _TZ,
           search=True,
           description="Go agent logs: ts=2026-11-21T10:15:30.123+08:00 ..., time=\"...\", \"ts\":\"...\""),
    Format("iso8601",
           br"^\[?" + _D + b"[T ]" + _T + _FRAC + _TZ + br"(?:\]|\s|$)",
           br"^\[?" + _D + b"[T ]" + _T + _FRAC + _TZ, lead=br"[\[0-9]",
           description="lines starting with an ISO 8601 / RFC 3339 timestamp"),
    Format("syslog",
           br"^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \S+ ",
           br"^(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?P<day>[ \d]\d) " + _T,
           lead=br"[ADFJMNOS]",
           description="syslog (RFC 3164): Nov 21 10:15:30 host prog[1]: msg, year inferred"),
]
FORMAT_NAMES = [f.name for f in FORMATS]


def detect_format(sample, formats=None):
    """Best format for a sample of lines (bytes): the one whose detect pattern matches most of the
    first 200 non-empty lines. None when no line matches any format."""
    lines = [ln[:LINE_HEAD] for ln in sample.split(b"\n")[:200] if ln.strip()]
    best, best_count = None, 0
    for fmt in formats or FORMATS:
        pat = fmt.detect
        count = sum(1 for ln in lines if pat.search(ln))
        if count > best_count:
            best, best_count = fmt, count
    return best


class LineParser(object):
    """Instant of a line (or None for a line without a timestamp) for one file and format.

    ``ref`` (UTC seconds, usually the file's modification time) gives syslog lines their year: the
    latest year that does not put the line more than a day after ``ref``.
    """

    def __init__(self, fmt, zone, ref=None):
        self.fmt = fmt
        self.zone = zone
        self.ref = time.time() if ref is None else ref
        self.find = fmt.stamp.search if fmt.search else fmt.stamp.match
        self.cache = {}

    def __call__(self, line):
        m = self.find(line[:LINE_HEAD])
        if m is None:
            return None
        g = m.groupdict()
        tz = g.get("tz")
        if "mon" in g:
            key = (g["mon"], g["day"], g["hour"], g["minute"])
        else:
            key = (g["year"], g["month"], g["day"], g["hour"], g["minute"], tz)
        base = self.cache.get(key)
        if base is None:
            base = self._minute(g, tz)
            if base is None:
                return None
            if len(self.cache) > 100000:
                self.cache.clear()
            self.cache[key] = base
        sec = int(g["second"])
        frac = g.get("frac")
        micro = int(frac[:6].ljust(6, b"0")) if frac else 0
        return base + sec * US + micro

    def _minute(self, g, tz):
        try:
            if "mon" in g:
                month, day = _MONTHS[g["mon"]], int(g["day"])
                ref = time.gmtime(self.ref + self.zone.offset_at(self.ref) + 86400)
                year = ref.tm_year
                if (month, day) > (ref.tm_mon, ref.tm_mday):
                    year -= 1
                if month == 2 and day == 29 and not calendar.isleap(year):
                    return None
            else:
                year, month, day = int(g["year"]), int(g["month"]), int(g["day"])
            hour, minute = int(g["hour"]), int(g["minute"])
            if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]
                    and hour < 24 and minute < 60):
                return None
        except (ValueError, KeyError):
            return None
        wall = wall_seconds(year, month, day, hour, minute)
        if tz:
            off = parse_offset(tz.decode("ascii"))
            return None if off is None else (wall - off) * US
        return self.zone.utc_from_wall(wall) * US


class PatternParser(object):
    """Explicit format: ``pattern`` is a regular expression with a named group ``ts`` (searched in
    each line; anchor it with ^ if it must start the line) and ``time_format`` a strptime format for
    the group's text. ``%z`` accepts +0800, +08:00 and Z; without it the time is a wall time in the
    log's zone."""

    def __init__(self, pattern, time_format, zone):
        self.regex = _compile_pattern(pattern)
        self.time_format = time_format
        self.zone = zone
        self.fmt = Format("pattern", self.regex.pattern, self.regex.pattern, search=True)

    def __call__(self, line):
        m = self.regex.search(line[:LINE_HEAD])
        if m is None or m.group("ts") is None:
            return None
        text = m.group("ts").decode("utf-8", "replace").strip()
        if "%z" in self.time_format:
            text = re.sub(r"(?:Z|z)$", "+0000", text)
            text = re.sub(r"([+-]\d\d):(\d\d)$", r"\1\2", text)
        try:
            dt = datetime.datetime.strptime(text, self.time_format)
        except ValueError:
            return None
        micro = dt.microsecond
        wall = wall_seconds(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)
        if dt.tzinfo is not None:
            utc = wall - int(dt.utcoffset().total_seconds())
        else:
            utc = self.zone.utc_from_wall(wall)
        return utc * US + micro


def _compile_pattern(pattern):
    try:
        regex = re.compile(pattern.encode("utf-8"))
    except (re.error, OverflowError, RecursionError) as exc:
        raise LogWindowError("format.pattern=%r is not a valid regular expression: %s" % (pattern, exc))
    if "ts" not in regex.groupindex:
        raise LogWindowError("format.pattern=%r has no named group (?P<ts>...)" % (pattern,))
    return regex


def check_format(spec):
    """The ``format`` option as given, or LogWindowError naming what is wrong with it."""
    if isinstance(spec, dict):
        extra = sorted(set(spec) - set(["pattern", "time_format"]))
        if extra:
            raise LogWindowError("format=%r: unknown key(s) %s; a format dict has pattern and time_format"
                                 % (spec, ", ".join(str(k) for k in extra)))
        for key, limit in (("pattern", MAX_PATTERN), ("time_format", MAX_TIME_FORMAT)):
            value = spec.get(key)
            if not isinstance(value, str) or not value or len(value) > limit or "\x00" in value:
                raise LogWindowError("format.%s=%r must be a non-empty string of at most %d characters (format=%r)"
                                     % (key, value, limit, spec))
        _compile_pattern(spec["pattern"])
        try:
            datetime.datetime.strptime("", spec["time_format"])
        except ValueError as exc:
            # strptime reads its format before the text: these two say the format itself is wrong
            if "bad directive" in str(exc) or "stray %" in str(exc):
                raise LogWindowError("format.time_format=%r is not a strptime format: %s" % (spec["time_format"], exc))
        return spec
    if spec != "auto" and spec not in FORMAT_NAMES:
        raise LogWindowError("format=%r is not one of auto, %s or a dict with pattern and time_format"
                             % (spec, ", ".join(FORMAT_NAMES)))
    return spec


def make_parser(fmt_spec, zone, sample=b"", ref=None):
    """LineParser (or PatternParser) for a file: fmt_spec is 'auto', a format name, or a dict with
    pattern and time_format (see check_format). None when auto-detection finds no known format."""
    fmt_spec = check_format(fmt_spec)
    if isinstance(fmt_spec, dict):
        return PatternParser(fmt_spec["pattern"], fmt_spec["time_format"], zone)
    if fmt_spec == "auto":
        fmt = detect_format(sample)
        if fmt is None:
            return None
    else:
        fmt = FORMATS[FORMAT_NAMES.index(fmt_spec)]
    return LineParser(fmt, zone, ref=ref)


def stamp_text(line, parser):
    """The timestamp as written in a line (for the manifest), or None."""
    line = line[:LINE_HEAD]
    m = parser.fmt.stamp.search(line) if parser.fmt.search else parser.fmt.stamp.match(line)
    if m is None:
        return None
    if "ts" in m.groupdict():
        return m.group("ts").decode("utf-8", "replace")
    text = m.group(0).decode("utf-8", "replace")
    # Keep only the time itself for formats whose pattern starts with a key (ts=, "time":).
    k = re.search(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[A-Z][a-z]{2} [ 0-9][0-9]", text)
    return text[k.start():] if k else text
