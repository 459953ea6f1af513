# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Cut a time window out of time-ordered log files without reading the whole file.

Pure standard library, importable on Python 3.6 (no zoneinfo there: the TZif reader below reads the
host's time-zone database itself). Nothing here writes to a source log.

Vocabulary:
  * instant      integer microseconds since the epoch (UTC); every comparison uses these.
  * wall time    the naive date and time written in a log line, read in the log's time zone.
  * entry        a timestamped line plus the lines without a timestamp that follow it (stack
                 traces). An entry is selected or not as a whole, by its first line's timestamp.
  * window       [start, end], both inclusive, as instants.

Lines before the first timestamped line of a file (the tail of an entry that began in the previous
rotated file) are attached to the file's first entry.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import bisect
import calendar
import datetime
import glob
import gzip
import hashlib
import json
import os
import re
import struct
import tarfile
import time

try:
    import zoneinfo as _zoneinfo  # Python >= 3.9
except ImportError:  # pragma: no cover - exercised on Python 3.6-3.8
    _zoneinfo = None

US = 1000000
_EPOCH = datetime.datetime(1970, 1, 1)
TZPATH = ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo")


class LogWindowError(Exception):
    """Bad input: the message names the offending value or file."""


# ---------------------------------------------------------------------------------------------
# Time zones
# ---------------------------------------------------------------------------------------------

def _wall_seconds(year, month, day, hour=0, minute=0, second=0):
    """Seconds since the epoch of a wall time read as if it were UTC (no DST, no zone)."""
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


class Zone(object):
    """A time zone: maps wall seconds to UTC seconds (PEP 495 fold=0 semantics) and back."""

    name = None

    def utc_from_wall(self, wall):
        """UTC seconds for wall seconds. An ambiguous wall time (clocks set back) is read as its
        first occurrence; a wall time in a gap (clocks set forward) is read with the offset in force
        before the gap, exactly as datetime/zoneinfo do with fold=0."""
        raise NotImplementedError

    def offset_at(self, utc):
        """UTC offset in seconds in force at UTC seconds."""
        raise NotImplementedError


class FixedZone(Zone):
    def __init__(self, offset, name=None):
        self.offset = int(offset)
        self.name = name or format_offset(self.offset)

    def utc_from_wall(self, wall):
        return wall - self.offset

    def offset_at(self, utc):
        return self.offset


class TransitionZone(Zone):
    """Zone given by UTC transition instants, the offsets after them, and an optional POSIX rule."""

    def __init__(self, name, transitions, offsets, first_offset, rule=None, until_year=2200):
        self.name = name
        trans = list(transitions)
        offs = list(offsets)
        if rule is not None:
            last = trans[-1] if trans else None
            year0 = time.gmtime(last).tm_year if last is not None else 1970
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


class ZoneInfoZone(Zone):
    """The same interface over the standard library's zoneinfo (Python >= 3.9)."""

    def __init__(self, name):
        self.name = name
        self.zi = _zoneinfo.ZoneInfo(name)

    def utc_from_wall(self, wall):
        naive = _EPOCH + datetime.timedelta(seconds=wall)
        off = naive.replace(tzinfo=self.zi).utcoffset()
        return wall - int(off.total_seconds())

    def offset_at(self, utc):
        aware = datetime.datetime.fromtimestamp(utc, self.zi)
        return int(aware.utcoffset().total_seconds())


class HostLocalZone(Zone):
    """Last resort for the host's zone: the C library (time.mktime / time.localtime)."""

    name = "localtime"

    def utc_from_wall(self, wall):
        tm = time.gmtime(wall)
        return int(time.mktime((tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                                0, 0, -1)))

    def offset_at(self, utc):
        return calendar.timegm(time.localtime(utc)) - int(utc)


_POSIX_NAME = r"(?:<[^>]+>|[A-Za-z]{3,})"
_POSIX_OFF = r"([+-]?\d{1,3}(?::\d{1,2}){0,2})"
_POSIX_TZ = re.compile(r"^" + _POSIX_NAME + _POSIX_OFF + r"(?:(" + _POSIX_NAME + r")" + _POSIX_OFF + r"?"
                       r"(?:,([^,/]+)(?:/([+-]?[\d:]+))?,([^,/]+)(?:/([+-]?[\d:]+))?)?)?$")


def _hms(text):
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")]
    parts += [0] * (3 - len(parts))
    return sign * (parts[0] * 3600 + parts[1] * 60 + parts[2])


class PosixRule(object):
    """A POSIX TZ string such as ``CET-1CEST,M3.5.0,M10.5.0/3`` (the TZif v2+ footer)."""

    def __init__(self, text):
        m = _POSIX_TZ.match(text)
        if not m:
            raise LogWindowError("unsupported POSIX TZ rule %r" % text)
        self.text = text
        self.std_offset = -_hms(m.group(1))
        self.has_dst = bool(m.group(2))
        self.dst_offset = -_hms(m.group(3)) if m.group(3) else self.std_offset + 3600
        if self.has_dst and not m.group(4):
            # No rule given: the POSIX default (US rules) is what glibc assumes.
            self.start, self.start_time = "M3.2.0", 7200
            self.end, self.end_time = "M11.1.0", 7200
        elif self.has_dst:
            self.start = m.group(4)
            self.start_time = _hms(m.group(5)) if m.group(5) else 7200
            self.end = m.group(6)
            self.end_time = _hms(m.group(7)) if m.group(7) else 7200

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
            return _wall_seconds(year, month, day)
        if spec.startswith("J"):
            n = int(spec[1:])  # 1..365, February 29th never counted
            base = _wall_seconds(year, 1, 1) + (n - 1) * 86400
            if calendar.isleap(year) and n >= 60:
                base += 86400
            return base
        return _wall_seconds(year, 1, 1) + int(spec) * 86400

    def transitions(self, year):
        """[(utc, offset after)] for year, in time order."""
        if not self.has_dst:
            return []
        start = self._day(self.start, year) + self.start_time - self.std_offset
        end = self._day(self.end, year) + self.end_time - self.dst_offset
        pairs = [(start, self.dst_offset), (end, self.std_offset)]
        pairs.sort()
        return pairs


def read_tzif(data, name="tzif"):
    """Parse TZif (RFC 8536) bytes into a TransitionZone. Leap-second records are ignored."""
    if data[:4] != b"TZif":
        raise LogWindowError("%s is not a TZif file" % name)
    version = data[4:5]

    def header(pos):
        return struct.unpack(">6l", data[pos + 20:pos + 44])

    isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = header(0)
    pos = 44
    tsize = 4
    if version >= b"2":
        # Skip the 32-bit block and read the 64-bit one that follows it.
        pos += timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstdcnt + isutcnt
        isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt = header(pos)
        pos += 44
        tsize = 8
    fmt = ">%d%s" % (timecnt, "q" if tsize == 8 else "l")
    trans = list(struct.unpack(fmt, data[pos:pos + timecnt * tsize]))
    pos += timecnt * tsize
    idx = list(data[pos:pos + timecnt])
    pos += timecnt
    types = []
    for i in range(typecnt):
        utoff, isdst, _abbr = struct.unpack(">lBB", data[pos + i * 6:pos + i * 6 + 6])
        types.append(utoff)
    pos += typecnt * 6 + charcnt + leapcnt * (tsize + 4) + isstdcnt + isutcnt
    rule = None
    if version >= b"2":
        footer = data[pos:].strip(b"\n").split(b"\n")[0].decode("ascii", "replace")
        if footer:
            rule = PosixRule(footer)
    offsets = [types[i] for i in idx]
    first_offset = types[0] if types else 0
    return TransitionZone(name, trans, offsets, first_offset, rule)


_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*$")


def load_tzif(name, tzpath=TZPATH):
    """IANA name -> TransitionZone, read from the host's time-zone database."""
    if not _ZONE_NAME.match(name or "") or ".." in name:
        raise LogWindowError("invalid time zone name %r" % name)
    for base in tzpath:
        path = os.path.join(base, name)
        if os.path.isfile(path):
            with open(path, "rb") as fh:
                data = fh.read()
            if data[:4] == b"TZif":
                return read_tzif(data, name)
    raise LogWindowError("unknown time zone %r: not found in the host's time-zone database (%s)"
                         % (name, ", ".join(tzpath)))


_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d\d))?$")


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


def host_zone():
    """The host's local zone: $TZ (IANA name or POSIX rule), else /etc/localtime, else the C library."""
    tz = os.environ.get("TZ")
    if tz:
        tz = tz.lstrip(":")
        if tz.startswith("/") and os.path.isfile(tz):
            with open(tz, "rb") as fh:
                return read_tzif(fh.read(), tz)
        try:
            return get_zone(tz)
        except LogWindowError:
            try:
                return TransitionZone(tz, [], [], 0, PosixRule(tz))
            except LogWindowError:
                pass
    if os.path.isfile("/etc/localtime"):
        try:
            with open("/etc/localtime", "rb") as fh:
                zone = read_tzif(fh.read(), "localtime")
            target = os.path.realpath("/etc/localtime")
            for base in TZPATH:
                if target.startswith(base + "/"):
                    zone.name = target[len(base) + 1:]
            return zone
        except (IOError, OSError, LogWindowError, struct.error):
            pass
    return HostLocalZone()


def get_zone(spec, prefer_zoneinfo=True):
    """Time zone from the module's ``timezone`` value: empty/None (the host's), a fixed offset
    (``+08:00``, ``Z``, ``UTC``) or an IANA name. IANA names go through zoneinfo when the Python has it,
    else through the TZif reader; both read the host's database."""
    if spec is None or spec in ("", "local", "localtime"):
        return host_zone()
    spec = str(spec).strip()
    off = parse_offset(spec)
    if off is not None:
        return FixedZone(off, spec if spec in ("UTC", "GMT", "Z") else None)
    if prefer_zoneinfo and _zoneinfo is not None:
        if not _ZONE_NAME.match(spec) or ".." in spec:
            raise LogWindowError("invalid time zone name %r" % spec)
        try:
            return ZoneInfoZone(spec)
        except Exception:  # zoneinfo raises several types for unknown names
            raise LogWindowError("unknown time zone %r: not in the host's time-zone database" % spec)
    return load_tzif(spec)


# ---------------------------------------------------------------------------------------------
# Times given by the user
# ---------------------------------------------------------------------------------------------

_ISO = re.compile(r"^\s*(\d{4})-(\d\d)-(\d\d)(?:[T ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d{1,9}))?)?)?"
                  r"\s*(Z|z|UTC|[+-]\d\d(?::?\d\d)?)?\s*$")
_EPOCH_RE = re.compile(r"^\s*\d+(?:\.\d+)?\s*$")


def parse_time(value, zone, what="at"):
    """ISO 8601 (zone optional; without one it is a wall time in ``zone``) or epoch seconds
    (values above 1e11 are read as epoch milliseconds) -> instant (microseconds)."""
    if isinstance(value, bool):
        raise LogWindowError("%s=%r is not a time" % (what, value))
    if isinstance(value, (int, float)):
        num = float(value)
    elif _EPOCH_RE.match(str(value or "")):
        num = float(value)
    else:
        num = None
    if num is not None:
        if num > 1e11:
            num /= 1000.0
        return int(round(num * US))
    text = str(value or "")
    m = _ISO.match(text)
    if not m:
        raise LogWindowError("%s=%r is not an ISO 8601 time or epoch seconds" % (what, value))
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    hour, minute, second = int(m.group(4) or 0), int(m.group(5) or 0), int(m.group(6) or 0)
    frac = int((m.group(7) or "0")[:6].ljust(6, "0"))
    try:
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError as exc:
        raise LogWindowError("%s=%r is not a valid time: %s" % (what, value, exc))
    wall = _wall_seconds(year, month, day, hour, minute, second)
    if m.group(8):
        off = parse_offset(m.group(8))
        if off is None:
            raise LogWindowError("%s=%r has an invalid UTC offset %r" % (what, value, m.group(8)))
        utc = wall - off
    else:
        utc = zone.utc_from_wall(wall)
    return utc * US + frac


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


# ---------------------------------------------------------------------------------------------
# Line formats
# ---------------------------------------------------------------------------------------------

_D = br"(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)"
_T = br"(?P<hour>\d\d):(?P<minute>\d\d):(?P<second>\d\d)"
_FRAC = br"(?:[.,](?P<frac>\d{1,9}))?"
_TZ = br"(?P<tz>Z|[+-]\d\d(?::?\d\d)?)?"
_MONTHS = {b"Jan": 1, b"Feb": 2, b"Mar": 3, b"Apr": 4, b"May": 5, b"Jun": 6, b"Jul": 7, b"Aug": 8,
           b"Sep": 9, b"Oct": 10, b"Nov": 11, b"Dec": 12}


class Format(object):
    """A named line format. ``detect`` recognises a line of the format (used for auto-detection,
    stricter); ``stamp`` finds the timestamp (used for every line)."""

    def __init__(self, name, detect, stamp, search=False, description=""):
        self.name = name
        self.detect = re.compile(detect)
        self.stamp = re.compile(stamp)
        self.search = search
        self.description = description


FORMATS = [
    Format("zookeeper",
           br"^" + _D + b" " + _T + br",\d{3} (?:\[myid:\d*\] )?- [A-Z]+ +\[",
           br"^" + _D + b" " + _T + _FRAC,
           description="ZooKeeper log4j/logback: 2026-11-21 10:15:30,123 [myid:1] - WARN  [...] - msg"),
    Format("mrs",
           br"^" + _D + b" " + _T + br",\d{3} \| [A-Z]+ +\|",
           br"^" + _D + b" " + _T + _FRAC,
           description="MRS ZooKeeper: 2020-01-20 16:33:43,816 | INFO | main | msg | class(File.java:335)"),
    Format("go",
           br"(?:^|[\s{,])\"?(?:ts|time)\"?[=:]\"?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d",
           br"(?:^|[\s{,])\"?(?:ts|time)\"?[=:]\"?" + _D + b"[T ]" + _T + _FRAC + _TZ,
           search=True,
           description="Go agent logs: ts=2026-11-21T10:15:30.123+08:00 ..., time=\"...\", \"ts\":\"...\""),
    Format("iso8601",
           br"^\[?" + _D + b"[T ]" + _T + _FRAC + _TZ + br"(?:\]|\s|$)",
           br"^\[?" + _D + b"[T ]" + _T + _FRAC + _TZ,
           description="lines starting with an ISO 8601 / RFC 3339 timestamp"),
    Format("syslog",
           br"^(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d\d:\d\d:\d\d \S+ ",
           br"^(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?P<day>[ \d]\d) " + _T,
           description="syslog (RFC 3164): Nov 21 10:15:30 host prog[1]: msg, year inferred"),
]
FORMAT_NAMES = [f.name for f in FORMATS]


def detect_format(sample, formats=None):
    """Best format for a sample of lines (bytes): the one whose detect pattern matches most of the
    first 200 non-empty lines. None when no line matches any format."""
    lines = [ln for ln in sample.split(b"\n")[:200] if ln.strip()]
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
        m = self.find(line)
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
        wall = _wall_seconds(year, month, day, hour, minute)
        if tz:
            return (wall - parse_offset(tz.decode("ascii"))) * US
        return self.zone.utc_from_wall(wall) * US


class PatternParser(object):
    """Explicit format: ``pattern`` is a regular expression with a named group ``ts`` (searched in
    each line; anchor it with ^ if it must start the line) and ``time_format`` a strptime format for
    the group's text. ``%z`` accepts +0800, +08:00 and Z; without it the time is a wall time in the
    log's zone."""

    def __init__(self, pattern, time_format, zone):
        try:
            self.regex = re.compile(pattern.encode("utf-8"))
        except re.error as exc:
            raise LogWindowError("format.pattern %r is not a valid regular expression: %s" % (pattern, exc))
        if "ts" not in self.regex.groupindex:
            raise LogWindowError("format.pattern %r has no named group (?P<ts>...)" % pattern)
        if not time_format:
            raise LogWindowError("format.time_format is required with format.pattern")
        self.time_format = time_format
        self.zone = zone
        self.fmt = Format("pattern", self.regex.pattern, self.regex.pattern, search=True)

    def __call__(self, line):
        m = self.regex.search(line)
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
        wall = _wall_seconds(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)
        if dt.tzinfo is not None:
            utc = wall - int(dt.utcoffset().total_seconds())
        else:
            utc = self.zone.utc_from_wall(wall)
        return utc * US + micro


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------

def is_gzip(path):
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def read_sample(path, size=65536):
    """First bytes of a file (decompressed for gzip), for format detection."""
    if is_gzip(path):
        with gzip.open(path, "rb") as fh:
            return fh.read(size)
    with open(path, "rb") as fh:
        return fh.read(size)


class Probe(object):
    """Random access to the timestamped lines of an uncompressed file."""

    BLOCK = 8192

    def __init__(self, fh, size, parse):
        self.fh = fh
        self.size = size
        self.parse = parse
        self.reads = 0

    def first_line_at(self, off):
        """Offset of the first line starting at or after off (off itself when it starts a line)."""
        if off <= 0:
            return 0
        pos = off - 1
        fh = self.fh
        while pos < self.size:
            fh.seek(pos)
            block = fh.read(self.BLOCK)
            self.reads += 1
            nl = block.find(b"\n")
            if nl >= 0:
                return pos + nl + 1
            pos += len(block)
        return self.size

    def next_stamp(self, off):
        """(offset, instant) of the first timestamped line starting at or after off; (size, None)
        at the end of the file."""
        pos = self.first_line_at(off)
        fh = self.fh
        buf = b""
        buf_start = pos
        while True:
            nl = buf.find(b"\n")
            while nl < 0:
                if buf_start + len(buf) >= self.size:
                    break
                fh.seek(buf_start + len(buf))
                block = fh.read(self.BLOCK)
                self.reads += 1
                if not block:
                    break
                buf += block
                nl = buf.find(b"\n")
            line = buf if nl < 0 else buf[:nl]
            if line:
                ts = self.parse(line)
                if ts is not None:
                    return buf_start, ts
            if nl < 0:
                return self.size, None
            buf = buf[nl + 1:]
            buf_start += nl + 1

    def search(self, target):
        """Offset of the first timestamped line whose instant is >= target (size if none)."""
        lo, hi = 0, self.size
        while lo < hi:
            mid = (lo + hi) // 2
            line_off, ts = self.next_stamp(mid)
            if ts is None or ts >= target:
                hi = mid
            else:
                # Every offset up to that line's start resolves to the same line.
                lo = max(mid, line_off) + 1
        return self.next_stamp(lo)[0]

    def last_stamp_before(self, end, floor=0):
        """(instant, line) of the last timestamped line starting before offset end and at or after
        floor; (None, None) when there is none. Reads backwards in 64 KiB steps."""
        pos = end
        tail = b""
        while pos > floor:
            start = max(floor, pos - 65536)
            self.fh.seek(start)
            data = self.fh.read(pos - start) + tail
            self.reads += 1
            lines = data.split(b"\n")
            # The first piece may be a partial line unless the read began at floor.
            complete = lines if start == floor else lines[1:]
            for line in reversed(complete):
                if line:
                    ts = self.parse(line)
                    if ts is not None:
                        return ts, line
            tail = lines[0] if start != floor else b""
            pos = start
        return None, None


class Slice(object):
    """What a window selects in one file."""

    def __init__(self, path):
        self.path = path
        self.compressed = False
        self.format = None
        self.start_off = 0
        self.end_off = 0
        self.bytes = 0
        self.lines = 0
        self.first = None
        self.last = None
        self.first_text = None
        self.last_text = None
        self.truncated = False
        self.skipped = None
        self.file_first = None
        self.file_last = None
        self.sha256 = None
        self.parser = None
        self.member = None
        self.head = HEAD_FIRST
        self.eof = False

    def as_dict(self):
        return {
            "path": self.path, "compressed": self.compressed, "format": self.format,
            "bytes": self.bytes, "lines": self.lines, "truncated": self.truncated,
            "first_timestamp": self.first_text, "last_timestamp": self.last_text,
            "first_utc": iso_utc(self.first), "last_utc": iso_utc(self.last),
            "sha256": self.sha256,
        }


def _stamp_text(line, parser):
    m = parser.fmt.stamp.search(line) if parser.fmt.search else parser.fmt.stamp.match(line)
    if m is None:
        return None
    if "ts" in m.groupdict():
        return m.group("ts").decode("utf-8", "replace")
    text = m.group(0).decode("utf-8", "replace")
    # Keep only the time itself for formats whose pattern starts with a key (ts=, "time":).
    k = re.search(r"\d{4}-\d\d-\d\d|[A-Z][a-z]{2} [ \d]\d", text)
    return text[k.start():] if k else text


def make_parser(fmt_spec, path, zone, sample=None, ref=None):
    """LineParser (or PatternParser) for a file: fmt_spec is 'auto', a format name, or a dict with
    pattern and time_format. None when auto-detection finds no known format."""
    if isinstance(fmt_spec, dict):
        return PatternParser(fmt_spec.get("pattern") or "", fmt_spec.get("time_format") or "", zone)
    if fmt_spec in (None, "", "auto"):
        fmt = detect_format(sample if sample is not None else read_sample(path))
        if fmt is None:
            return None
    else:
        by_name = dict((f.name, f) for f in FORMATS)
        if fmt_spec not in by_name:
            raise LogWindowError("format=%r is not one of auto, %s" % (fmt_spec, ", ".join(FORMAT_NAMES)))
        fmt = by_name[fmt_spec]
    return LineParser(fmt, zone, ref=ref)


HEAD_FIRST, HEAD_INCLUDE, HEAD_EXCLUDE = "first", "include", "exclude"


def slice_plain(path, parser, start, end, max_bytes=None, head=HEAD_FIRST):
    """Select [start, end] in an uncompressed file by binary search: O(log size) probes, then the
    slice's bounds (the bytes are read later, see iter_range). Returns a Slice.

    ``head`` decides the lines before the file's first timestamp (the tail of an entry begun in the
    previous rotated file): HEAD_INCLUDE when that entry is in the window, HEAD_EXCLUDE when it is not,
    HEAD_FIRST (no previous file known) to keep them with the file's first entry."""
    sl = Slice(path)
    sl.format = parser.fmt.name
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        probe = Probe(fh, size, parser)
        first_off, first_ts = probe.next_stamp(0)
        if first_ts is None:
            sl.skipped = "no timestamped line" if size else "empty file"
            return sl
        sl.file_first = first_ts
        sl.file_last = probe.last_stamp_before(size)[0]
        sl.eof = True
        orphans_in = head == HEAD_INCLUDE and first_off > 0
        if (sl.file_last < start or first_ts > end) and not orphans_in:
            sl.skipped = "outside the window"
            return sl
        s_off = probe.search(start)
        e_off = probe.search(end + 1)
        if orphans_in or (head == HEAD_FIRST and s_off == first_off):
            s_off = 0
        if e_off <= s_off:
            sl.start_off = sl.end_off = s_off
            return sl
        if max_bytes is not None and e_off - s_off > max_bytes:
            fh.seek(s_off)
            chunk = fh.read(max_bytes)
            cut = chunk.rfind(b"\n")
            e_off = s_off + (cut + 1 if cut >= 0 else max_bytes)
            sl.truncated = True
        sl.start_off, sl.end_off = s_off, e_off
        sl.bytes = e_off - s_off
        # First and last timestamps inside the slice.
        f_off, first = probe.next_stamp(s_off)
        if f_off < e_off:
            sl.first = first
            fh.seek(f_off)
            sl.first_text = _stamp_text(fh.readline(), parser)
        sl.last, last_line = probe.last_stamp_before(e_off, s_off)
        if last_line is not None:
            sl.last_text = _stamp_text(last_line, parser)
    return sl


def iter_range(path, start_off, end_off, bufsize=1 << 20):
    """The bytes [start_off, end_off) of a file, in chunks."""
    with open(path, "rb") as fh:
        fh.seek(start_off)
        left = end_off - start_off
        while left > 0:
            chunk = fh.read(min(bufsize, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk


def stream_lines(path, parser, start, end, sl, max_bytes=None, opener=None, head=HEAD_FIRST):
    """Generator: the lines [start, end] selects in a stream (a .gz file), read line by line; stops
    at the first entry after end. ``head`` as for slice_plain. Fills ``sl`` (a Slice) as it goes: its
    counts are final once the generator is exhausted."""
    sl.format = parser.fmt.name
    sl.compressed = True
    opener = opener or gzip.open
    pending = []        # orphan lines at the top of the file
    selected = False    # the current entry is inside the window
    seen_stamp = False
    written = 0
    lines = 0
    last_line = None
    sl.eof = False
    with opener(path, "rb") as fh:
        for line in fh:
            ts = parser(line.rstrip(b"\r\n"))
            if ts is None:
                if not seen_stamp:
                    pending.append(line)
                    continue
                if not selected:
                    continue
                group = [line]
            else:
                first_entry = not seen_stamp
                seen_stamp = True
                if sl.file_first is None:
                    sl.file_first = ts
                sl.file_last = ts
                selected = start <= ts <= end
                group = [line] if selected else []
                if first_entry and (head == HEAD_INCLUDE or (head == HEAD_FIRST and selected)):
                    group = pending + group
                pending = []
                if not group:
                    if ts > end:
                        break
                    continue
            stop = False
            for item in group:
                if max_bytes is not None and written + len(item) > max_bytes:
                    sl.truncated = True
                    stop = True
                    break
                written += len(item)
                lines += 1
                sl.bytes, sl.lines = written, lines
                yield item
            if stop:
                break
            if ts is not None:
                if not selected:    # only the orphans of a first entry outside the window
                    if ts > end:
                        break
                    continue
                if sl.first is None:
                    sl.first = ts
                    sl.first_text = _stamp_text(line, parser)
                sl.last = ts
                last_line = line
        else:
            sl.eof = True
    if not seen_stamp:
        sl.skipped = "no timestamped line" if pending else "empty file"
    if last_line is not None:
        sl.last_text = _stamp_text(last_line, parser)
    sl.bytes, sl.lines = written, lines


# ---------------------------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------------------------

_GLOB_CHARS = re.compile(r"[*?\[]")


def expand_groups(patterns, siblings=True):
    """Files named by patterns (paths or globs), each with its rotated siblings (``name.*`` and
    ``name-*``: zookeeper.log.1, zookeeper.log.2.gz, app.log-20261120.gz) as one rotation group.
    Returns (groups, unmatched patterns). A file (same real path) appears once, in its first group."""
    seen = set()
    groups = []
    unmatched = []
    for pat in patterns:
        pat = os.path.expanduser(str(pat))
        hits = sorted(glob.glob(pat)) if _GLOB_CHARS.search(pat) else ([pat] if os.path.lexists(pat) else [])
        hits = [h for h in hits if not os.path.isdir(h)]
        if not hits:
            unmatched.append(pat)
            continue
        for hit in hits:
            group = [hit]
            if siblings:
                group += sorted(glob.glob(glob.escape(hit) + ".*") + glob.glob(glob.escape(hit) + "-*"),
                                key=_rotation_key)
            members = []
            for path in group:
                if os.path.isdir(path):
                    continue
                real = os.path.realpath(path)
                if real in seen:
                    continue
                seen.add(real)
                members.append(path)
            if members:
                groups.append(members)
    return groups, unmatched


def expand_paths(patterns, siblings=True):
    """expand_groups flattened: (files, unmatched patterns)."""
    groups, unmatched = expand_groups(patterns, siblings)
    return [path for group in groups for path in group], unmatched


def _rotation_key(path):
    nums = re.findall(r"\d+", os.path.basename(path))
    return (int(nums[-1]) if nums else 0, path)


def member_name(path, compressed):
    """Name of a slice inside the bundle: its original path, relative, without .gz when decompressed."""
    name = os.path.abspath(path).lstrip("/")
    if compressed and name.endswith(".gz"):
        name = name[:-3]
    return name


# ---------------------------------------------------------------------------------------------
# Selection over many files, and the bundle
# ---------------------------------------------------------------------------------------------

GZ_MTIME_SLACK = 86400


def _first_stamp(sample, parser):
    for line in sample.split(b"\n")[:-1] or sample.split(b"\n"):
        ts = parser(line)
        if ts is not None:
            return ts
    return None


def select(paths, start, end, zone, fmt_spec="auto", max_bytes=None):
    """Plan the slices of every file for [start, end]. ``paths`` is a list of files or a list of
    rotation groups (lists of files, see expand_groups). Within a group the files are taken oldest
    first, so that lines at the top of a file without a timestamp (an entry continued from the previous
    generation) follow that entry in or out of the window.

    Reads only what it needs: the probes of the binary search for plain files, one streaming pass that
    stops after the window for .gz files. Returns (slices, skipped), skipped a list of {path, reason}.
    Raises LogWindowError naming a file that cannot be read."""
    groups = [p if isinstance(p, (list, tuple)) else [p] for p in paths]
    slices = []
    skipped = []
    for group in groups:
        plans = []
        for path in group:
            try:
                st = os.stat(path)
                with open(path, "rb") as fh:
                    magic = fh.read(2)
                sample = read_sample(path)
            except (IOError, OSError, EOFError) as exc:
                raise LogWindowError("cannot read %s: %s" % (path, getattr(exc, "strerror", None) or exc))
            if not sample:
                skipped.append({"path": path, "reason": "empty file"})
                continue
            parser = make_parser(fmt_spec, path, zone, sample=sample, ref=st.st_mtime)
            if parser is None:
                skipped.append({"path": path, "reason": "no recognised timestamp format"})
                continue
            first = _first_stamp(sample, parser)
            plans.append((first if first is not None else -1, len(plans), path, parser,
                          magic == b"\x1f\x8b", st.st_mtime))
        plans.sort(key=lambda item: (item[0], item[1]))
        previous_in = None      # None: no previous generation; else was its last entry in the window
        for _first, _i, path, parser, compressed, mtime in plans:
            head = HEAD_FIRST if previous_in is None else (HEAD_INCLUDE if previous_in else HEAD_EXCLUDE)
            if compressed and (mtime + GZ_MTIME_SLACK) * US < start:
                skipped.append({"path": path, "reason": "compressed file last modified more than a day "
                                                        "before the window"})
                previous_in = False
                continue
            if compressed:
                sl = Slice(path)
                try:
                    for _line in stream_lines(path, parser, start, end, sl, max_bytes=max_bytes, head=head):
                        pass
                except (IOError, OSError, EOFError) as exc:
                    raise LogWindowError("cannot read %s: %s" % (path, exc))
            else:
                sl = slice_plain(path, parser, start, end, max_bytes=max_bytes, head=head)
            sl.parser = parser
            sl.head = head
            if sl.file_first is not None:
                previous_in = bool(sl.eof and sl.file_last is not None and start <= sl.file_last <= end)
            if sl.skipped:
                skipped.append({"path": path, "reason": sl.skipped})
            elif not sl.bytes:
                skipped.append({"path": path, "reason": "nothing in the window"})
            else:
                slices.append(sl)
    used = set()
    for sl in slices:
        name = member_name(sl.path, sl.compressed)
        while name in used or name == "MANIFEST.json":
            name += ".dup"
        used.add(name)
        sl.member = name
    return slices, skipped


def slice_chunks(sl, start, end):
    """The bytes of a planned slice, in chunks (a second streaming pass for .gz files)."""
    if sl.compressed:
        again = Slice(sl.path)
        return stream_lines(sl.path, sl.parser, start, end, again, max_bytes=sl.bytes, head=sl.head)
    return iter_range(sl.path, sl.start_off, sl.end_off)


class _ChunkReader(object):
    """File-like reader over byte chunks that hashes and counts exactly what it hands out."""

    def __init__(self, chunks):
        self.it = iter(chunks)
        self.cur = b""
        self.pos = 0
        self.hash = hashlib.sha256()
        self.total = 0
        self.lines = 0
        self.last = b""

    def read(self, n=-1):
        out = []
        need = n
        while need != 0:
            if self.pos >= len(self.cur):
                try:
                    self.cur = next(self.it)
                except StopIteration:
                    break
                self.pos = 0
                continue
            piece = self.cur[self.pos:] if need < 0 else self.cur[self.pos:self.pos + need]
            self.pos += len(piece)
            out.append(piece)
            if need > 0:
                need -= len(piece)
        data = b"".join(out)
        if data:
            self.hash.update(data)
            self.total += len(data)
            self.lines += data.count(b"\n")
            self.last = data[-1:]
        return data

    def exhausted(self):
        if self.pos < len(self.cur):
            return False
        for chunk in self.it:
            if chunk:
                return False
        return True


class HashingSink(object):
    """Write-only file object that keeps only the size and sha256 of what is written (check mode)."""

    def __init__(self):
        self.hash = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.hash.update(data)
        self.size += len(data)
        return len(data)

    def flush(self):
        pass


def manifest_json(manifest):
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_bundle(fileobj, slices, start, end, manifest):
    """Write the tar.gz bundle to fileobj: each slice under its member name, then MANIFEST.json.
    Deterministic: the same slices give the same bytes (gzip and member times are fixed).
    Fills in each slice's sha256 and lines and manifest['files']."""
    gz = gzip.GzipFile(filename="", mode="wb", fileobj=fileobj, mtime=0, compresslevel=6)
    tar = tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT)
    files = []
    try:
        for sl in slices:
            info = tarfile.TarInfo(sl.member)
            info.size = sl.bytes
            info.mtime = (sl.last or sl.first or 0) // US
            info.mode = 0o600
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            reader = _ChunkReader(slice_chunks(sl, start, end))
            try:
                tar.addfile(info, reader)
            except (IOError, OSError) as exc:
                raise LogWindowError("%s changed while it was read (%s): run again" % (sl.path, exc))
            if reader.total != sl.bytes or not reader.exhausted():
                raise LogWindowError("%s changed while it was read: run again" % sl.path)
            sl.sha256 = reader.hash.hexdigest()
            sl.lines = reader.lines + (1 if reader.last and reader.last != b"\n" else 0)
            entry = sl.as_dict()
            entry["member"] = sl.member
            files.append(entry)
        manifest["files"] = files
        manifest["matched"] = sum(f["lines"] for f in files)
        data = manifest_json(manifest)
        info = tarfile.TarInfo("MANIFEST.json")
        info.size = len(data)
        info.mtime = end // US if end is not None else 0
        info.mode = 0o600
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        tar.addfile(info, _ChunkReader([data]))
    finally:
        tar.close()
        gz.close()
    return manifest
