# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Log samples for the log window's tests, and the references they are checked against: an independent
full linear scan (``reference_select``) and a zone backed by the standard library's zoneinfo."""
import calendar
import datetime
import gzip
import os
import random
import re

from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_formats import make_parser
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_search import slice_plain
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_stream import plan_stream
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_stream import stream_bytes
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import FixedZone

try:
    import zoneinfo
except ImportError:  # pragma: no cover - Python < 3.9
    zoneinfo = None

US = 1000000
UTC = FixedZone(0, "UTC")
_EPOCH = datetime.datetime(1970, 1, 1)


def instant(*args):
    """UTC instant in microseconds for datetime args."""
    dt = datetime.datetime(*args)
    return calendar.timegm(dt.timetuple()) * US + dt.microsecond


def zk_line(dt, msg, myid=True):
    stamp = dt.strftime("%Y-%m-%d %H:%M:%S,") + "%03d" % (dt.microsecond // 1000)
    tag = "[myid:1] " if myid else ""
    return "%s %s- WARN  [main:Foo@12] - %s\n" % (stamp, tag, msg)


TRACE = ("java.io.IOException: boom\n\tat org.apache.zookeeper.Foo.bar(Foo.java:12)\n"
         "\tat java.lang.Thread.run(Thread.java:750)\n")


def gen_entries(t0, count, rng, max_step_ms=3000, trace_every=5, head_orphans=0):
    """Lines of a ZooKeeper log: time-ordered with repeats, gaps and stack traces."""
    lines = []
    for dummy in range(head_orphans):
        lines.append("\tat orphan.From.previous(File.java:1)\n")
    t = t0
    for i in range(count):
        lines.append(zk_line(t, "entry %d" % i))
        if rng.randrange(trace_every) == 0:
            lines.extend(TRACE.splitlines(True))
        step = rng.choice([0, 0, rng.randrange(max_step_ms), rng.randrange(max_step_ms * 20)])
        t = t + datetime.timedelta(milliseconds=step)
    return lines


_REF = re.compile(r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) ")


def ref_ts(line):
    m = _REF.match(line)
    if not m:
        return None
    y, mo, d, h, mi, s, ms = [int(x) for x in m.groups()]
    return instant(y, mo, d, h, mi, s, ms * 1000)


def reference_select(lines, start, end):
    """Full linear scan: entries whose first line's time is in [start, end]; leading orphans go with
    the first entry."""
    out = []
    keep = None
    first_seen = False
    pending = []
    for line in lines:
        ts = ref_ts(line)
        if ts is None:
            if not first_seen:
                pending.append(line)
            elif keep:
                out.append(line)
            continue
        keep = start <= ts <= end
        if not first_seen:
            first_seen = True
            if keep:
                out.extend(pending)
        if keep:
            out.append(line)
    return "".join(out).encode()


def write(path, lines):
    with open(path, "w") as fh:
        fh.write("".join(lines))
    return path


def zk_log(directory, seed=7, count=3000):
    """(path, lines) of a generated zookeeper.log in directory."""
    lines = gen_entries(datetime.datetime(2026, 11, 21, 9, 0, 0), count, random.Random(seed))
    return write(os.path.join(str(directory), "zookeeper.log"), lines), lines


def parser_for(path, zone=UTC, fmt="auto"):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        return make_parser(fmt, zone, sample=fh.read(65536))


# The ZooKeeper timestamp as an explicit pattern: the same instants as the built-in format, but a
# format without a leading byte class, so the searches look at every line.
ZK_PATTERN = {"pattern": r"^(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) ", "time_format": "%Y-%m-%d %H:%M:%S,%f"}


def plain_slice(path, start, end, zone=UTC, max_bytes=None, fmt="auto"):
    """(bytes, Slice) the binary search selects in an uncompressed file."""
    parser = parser_for(path, zone, fmt)
    with open(path, "rb") as fh:
        sl = slice_plain(fh, os.fstat(fh.fileno()).st_size, parser, start, end, max_bytes=max_bytes)
        fh.seek(sl.start_off)
        return fh.read(sl.end_off - sl.start_off), sl


def plain_bytes(path, start, end, zone=UTC, max_bytes=None, fmt="auto"):
    return plain_slice(path, start, end, zone, max_bytes, fmt)[0]


def stream_select(path, start, end, zone=UTC, max_bytes=None):
    """(bytes, Slice) the two streaming passes select (gzip or plain file read as a stream)."""
    parser = parser_for(path, zone)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        sl = plan_stream(fh, parser, start, end, max_bytes=max_bytes)
    with opener(path, "rb") as fh:
        data = b"".join(stream_bytes(fh, parser, start, end, sl))
    assert len(data) == sl.bytes
    return data, sl


class ZoneInfoZone(object):
    """The zone interface over the standard library's zoneinfo: the reference for the TZif reader."""

    def __init__(self, name):
        self.name = name
        self.zi = zoneinfo.ZoneInfo(name)

    def utc_from_wall(self, wall):
        naive = _EPOCH + datetime.timedelta(seconds=wall)
        off = naive.replace(tzinfo=self.zi).utcoffset()
        return wall - int(off.total_seconds())

    def offset_at(self, utc):
        aware = datetime.datetime.fromtimestamp(utc, self.zi)
        return int(aware.utcoffset().total_seconds())
