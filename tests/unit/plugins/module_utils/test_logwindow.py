# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/logwindow.py.

The reference selection used throughout (``reference_select``) is written independently of the
module: it parses every line with its own regular expression and walks the whole file.
"""
import calendar
import datetime
import gzip
import hashlib
import io
import json
import os
import random
import re
import shutil
import subprocess
import tarfile

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import logwindow as lw

try:
    import zoneinfo
except ImportError:  # pragma: no cover
    zoneinfo = None

US = 1000000
UTC = lw.FixedZone(0, "UTC")
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", "..", ".."))


def instant(*args):
    """UTC instant in microseconds for datetime args."""
    dt = datetime.datetime(*args)
    return calendar.timegm(dt.timetuple()) * US + dt.microsecond


# ------------------------------------------------------------------------------------------------
# Log generation and the independent reference scan
# ------------------------------------------------------------------------------------------------

def zk_line(dt, msg, myid=True):
    stamp = dt.strftime("%Y-%m-%d %H:%M:%S,") + "%03d" % (dt.microsecond // 1000)
    tag = "[myid:1] " if myid else ""
    return "%s %s- WARN  [main:Foo@12] - %s\n" % (stamp, tag, msg)


TRACE = "java.io.IOException: boom\n\tat org.apache.zookeeper.Foo.bar(Foo.java:12)\n\tat java.lang.Thread.run(Thread.java:750)\n"


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


def plain_bytes(path, start, end, zone=UTC, max_bytes=None):
    parser = lw.make_parser("auto", path, zone)
    if parser is None:
        return b""
    sl = lw.slice_plain(path, parser, start, end, max_bytes=max_bytes)
    with open(path, "rb") as fh:
        fh.seek(sl.start_off)
        return fh.read(sl.end_off - sl.start_off)


def stream_bytes(path, start, end, zone=UTC, max_bytes=None):
    parser = lw.make_parser("auto", path, zone)
    sl = lw.Slice(path)
    opener = gzip.open if path.endswith(".gz") else open
    return b"".join(lw.stream_lines(path, parser, start, end, sl, max_bytes=max_bytes, opener=opener)), sl


# ------------------------------------------------------------------------------------------------
# Format detection and line parsing
# ------------------------------------------------------------------------------------------------

SAMPLES = {
    "zookeeper": [
        b"2026-11-21 10:15:30,123 [myid:1] - WARN  [NIOServerCxnFactory:NIOServerCnxnFactory@558] - Too many connections from /10.0.0.7 - max is 60",
        b"2026-11-21 10:15:31,001 [myid:] - INFO  [main:QuorumPeerMain@132] - Starting quorum peer",
    ],
    "zookeeper-debian": [
        b"2026-11-21 23:16:13,580 - WARN  [NIOWorkerThread-1:RateLogger@87] - Message:Error accepting new connection",
        b"2026-11-21 23:16:14,002 - INFO  [main:ZooKeeperServerMain@123] - Starting server",
    ],
    "mrs": [
        b"2020-01-20 16:33:43,816 | INFO  | main | Starting quorum peer | org.apache.zookeeper.server.quorum.QuorumPeerMain(QuorumPeerMain.java:335)",
        b"2020-01-20 16:33:44,002 | WARN | NIOServerCxn.Factory | Too many connections from /10.0.0.7 - max is 2000 | "
        b"org.apache.zookeeper.server.NIOServerCnxnFactory.run(NIOServerCnxnFactory.java:247)",
    ],
    "iso8601": [
        b"2026-11-21T10:15:30.123456+08:00 INFO [1234,5678] caller=agent/main.go:42: started",
        b"2026-11-21T02:15:31Z WARN something else",
    ],
    "syslog": [
        b"Nov 21 10:15:30 host1 ocp_agentd[1234]: child exited",
        b"Nov  2 09:01:02 host1 kernel: eth0 link up",
    ],
    "go": [
        b'ts=2026-11-21T10:15:30.123+08:00 caller=main.go:42 level=info msg="listening" addr=:62889',
        b'level=warn time="2026-11-21T10:15:31+08:00" msg="service exited too quickly" name=ocp_monagent',
        b'{"level":"info","ts":"2026-11-21T02:15:32.5Z","msg":"ok"}',
    ],
}


@pytest.mark.parametrize("label", sorted(SAMPLES))
def test_detect_format_each(label):
    expected = label.split("-")[0]
    sample = b"\n".join(SAMPLES[label]) + b"\n"
    fmt = lw.detect_format(sample)
    assert fmt is not None and fmt.name == expected


def test_detect_format_with_stack_traces_and_unknown():
    sample = b"\n".join([SAMPLES["mrs"][0]] + TRACE.encode().splitlines() + [SAMPLES["mrs"][1]])
    assert lw.detect_format(sample).name == "mrs"
    assert lw.detect_format(b"just some text\nwithout any time\n") is None
    assert lw.detect_format(b"") is None


def test_parse_each_format():
    shanghai = lw.FixedZone(8 * 3600)
    zk = lw.LineParser(lw.detect_format(SAMPLES["zookeeper"][0]), shanghai)
    assert zk(SAMPLES["zookeeper"][0]) == instant(2026, 11, 21, 2, 15, 30, 123000)
    deb = lw.LineParser(lw.detect_format(SAMPLES["zookeeper-debian"][0]), UTC)
    assert deb(SAMPLES["zookeeper-debian"][0]) == instant(2026, 11, 21, 23, 16, 13, 580000)
    assert deb(b"\tat org.apache.Foo(Foo.java:1)") is None
    mrs = lw.LineParser(lw.detect_format(SAMPLES["mrs"][0]), UTC)
    assert mrs(SAMPLES["mrs"][0]) == instant(2020, 1, 20, 16, 33, 43, 816000)
    iso = lw.LineParser(lw.detect_format(b"\n".join(SAMPLES["iso8601"])), UTC)
    # Offsets in the line win over the zone.
    assert iso(SAMPLES["iso8601"][0]) == instant(2026, 11, 21, 2, 15, 30, 123456)
    assert iso(SAMPLES["iso8601"][1]) == instant(2026, 11, 21, 2, 15, 31)
    go = lw.LineParser(lw.detect_format(b"\n".join(SAMPLES["go"])), UTC)
    assert go(SAMPLES["go"][0]) == instant(2026, 11, 21, 2, 15, 30, 123000)
    assert go(SAMPLES["go"][1]) == instant(2026, 11, 21, 2, 15, 31)
    assert go(SAMPLES["go"][2]) == instant(2026, 11, 21, 2, 15, 32, 500000)
    assert go(b'level=info msg="no time here"') is None


def test_syslog_year_inferred_from_reference_time():
    fmt = lw.detect_format(b"\n".join(SAMPLES["syslog"]))
    ref = calendar.timegm((2027, 1, 3, 0, 0, 0))     # file written early January 2027
    parse = lw.LineParser(fmt, UTC, ref=ref)
    assert parse(SAMPLES["syslog"][0]) == instant(2026, 11, 21, 10, 15, 30)   # November: last year
    assert parse(b"Jan  2 23:59:59 h p: x") == instant(2027, 1, 2, 23, 59, 59)
    ref = calendar.timegm((2026, 11, 22, 0, 0, 0))
    assert lw.LineParser(fmt, UTC, ref=ref)(SAMPLES["syslog"][0]) == instant(2026, 11, 21, 10, 15, 30)


def test_iso_parse_variants_in_lines():
    fmt = lw.detect_format(b"2026-11-21 10:15:30 plain\n")
    assert fmt.name == "iso8601"
    parse = lw.LineParser(fmt, lw.FixedZone(-5 * 3600))
    assert parse(b"2026-11-21 10:15:30 x") == instant(2026, 11, 21, 15, 15, 30)
    assert parse(b"2026-11-21T10:15:30,5+0100 x") == instant(2026, 11, 21, 9, 15, 30, 500000)
    assert parse(b"2026-11-21T10:15:30.123456789Z x") == instant(2026, 11, 21, 10, 15, 30, 123456)
    assert parse(b"2026-13-21T10:15:30Z invalid month") is None


def test_explicit_pattern():
    parser = lw.make_parser({"pattern": r"\[(?P<ts>[^\]]+)\]", "time_format": "%d/%b/%Y:%H:%M:%S %z"},
                            "unused", UTC)
    line = b'10.0.0.1 - - [21/Nov/2026:10:15:30 +08:00] "GET / HTTP/1.1" 200'
    assert parser(line) == instant(2026, 11, 21, 2, 15, 30)
    local = lw.make_parser({"pattern": r"^(?P<ts>\d{8} \d{6})", "time_format": "%Y%m%d %H%M%S"},
                           "unused", lw.FixedZone(3600))
    assert local(b"20261121 101530 hello") == instant(2026, 11, 21, 9, 15, 30)
    assert local(b"no time") is None
    with pytest.raises(lw.LogWindowError, match="named group"):
        lw.make_parser({"pattern": r"^\d+", "time_format": "%s"}, "unused", UTC)
    with pytest.raises(lw.LogWindowError, match="not a valid regular expression"):
        lw.make_parser({"pattern": r"(?P<ts>", "time_format": "%Y"}, "unused", UTC)


def test_unknown_format_name():
    with pytest.raises(lw.LogWindowError, match="format='log4j'"):
        lw.make_parser("log4j", "unused", UTC, sample=b"")


# ------------------------------------------------------------------------------------------------
# Binary search edges
# ------------------------------------------------------------------------------------------------

@pytest.fixture
def zkfile(tmp_path):
    rng = random.Random(7)
    lines = gen_entries(datetime.datetime(2026, 11, 21, 9, 0, 0), 3000, rng)
    return write(str(tmp_path / "zookeeper.log"), lines), lines


def test_window_before_first_line(zkfile):
    path, lines = zkfile
    start, end = instant(2026, 11, 21, 8, 0), instant(2026, 11, 21, 8, 59, 59)
    parser = lw.make_parser("auto", path, UTC)
    sl = lw.slice_plain(path, parser, start, end)
    assert sl.skipped == "outside the window" and sl.bytes == 0
    assert reference_select(lines, start, end) == b""


def test_window_after_last_line(zkfile):
    path, lines = zkfile
    start, end = instant(2026, 11, 30, 0, 0), instant(2026, 11, 30, 1, 0)
    assert plain_bytes(path, start, end) == b"" == reference_select(lines, start, end)


def test_window_covering_everything(zkfile):
    path, lines = zkfile
    start, end = instant(2000, 1, 1), instant(2100, 1, 1)
    assert plain_bytes(path, start, end) == "".join(lines).encode()


def test_stack_trace_across_window_start(tmp_path):
    t = datetime.datetime(2026, 11, 21, 10, 0, 0)
    lines = [zk_line(t, "before")]
    lines += [zk_line(t + datetime.timedelta(seconds=50), "owner before the window")]
    lines += TRACE.splitlines(True) * 50          # a long trace, crossing many probe blocks
    lines += [zk_line(t + datetime.timedelta(seconds=70), "first inside")]
    lines += [zk_line(t + datetime.timedelta(seconds=80), "owner inside, trace after window end")]
    lines += TRACE.splitlines(True) * 40
    lines += [zk_line(t + datetime.timedelta(seconds=200), "after")]
    path = write(str(tmp_path / "z.log"), lines)
    start = instant(2026, 11, 21, 10, 1, 0)
    end = instant(2026, 11, 21, 10, 1, 30)
    got = plain_bytes(path, start, end)
    assert got == reference_select(lines, start, end)
    text = got.decode()
    assert text.startswith(zk_line(t + datetime.timedelta(seconds=70), "first inside"))
    assert "owner before the window" not in text
    # The trace of the last owner inside the window is kept whole, up to the next entry.
    assert text.count("java.io.IOException") == 40
    assert text.endswith(TRACE.splitlines(True)[-1])
    # A window that starts at the owner's own time keeps its trace.
    start2 = instant(2026, 11, 21, 10, 0, 50)
    got2 = plain_bytes(path, start2, end)
    assert got2 == reference_select(lines, start2, end)
    assert got2.decode().count("java.io.IOException") == 90


def test_one_line_file(tmp_path):
    t = datetime.datetime(2026, 11, 21, 10, 0, 0)
    path = write(str(tmp_path / "one.log"), [zk_line(t, "only")])
    assert plain_bytes(path, instant(2026, 11, 21, 10), instant(2026, 11, 21, 10)) == zk_line(t, "only").encode()
    assert plain_bytes(path, instant(2026, 11, 21, 10, 0, 1), instant(2026, 11, 21, 11)) == b""
    assert plain_bytes(path, instant(2026, 11, 21, 9), instant(2026, 11, 21, 9, 59, 59)) == b""
    # Without a final newline too.
    path2 = write(str(tmp_path / "one-nonl.log"), [zk_line(t, "only").rstrip("\n")])
    assert plain_bytes(path2, instant(2026, 11, 21, 9), instant(2026, 11, 21, 11)) == zk_line(t, "only").rstrip("\n").encode()


def test_empty_file(tmp_path):
    path = write(str(tmp_path / "empty.log"), [])
    slices, skipped = lw.select([path], instant(2026, 1, 1), instant(2027, 1, 1), UTC)
    assert slices == [] and skipped == [{"path": path, "reason": "empty file"}]
    sl = lw.slice_plain(path, lw.LineParser(lw.FORMATS[0], UTC), 0, 10 ** 18)
    assert sl.skipped == "empty file"


def test_leading_orphans_go_with_first_entry(tmp_path):
    rng = random.Random(3)
    lines = gen_entries(datetime.datetime(2026, 11, 21, 9, 0, 0), 50, rng, head_orphans=3)
    path = write(str(tmp_path / "z.log"), lines)
    first = ref_ts(lines[3])
    got = plain_bytes(path, first, first + 3600 * US)
    assert got.startswith(b"\tat orphan")
    assert got == reference_select(lines, first, first + 3600 * US)
    assert not plain_bytes(path, first + 1, first + 3600 * US).startswith(b"\tat orphan")


def test_rotation_boundary_and_gz(tmp_path):
    rng = random.Random(11)
    lines = gen_entries(datetime.datetime(2026, 11, 21, 9, 0, 0), 4000, rng, max_step_ms=500)
    # Three generations: .2.gz (oldest), .1, and the live file; cut inside a stack trace on purpose.
    cut1 = next(i for i in range(1300, 4000) if ref_ts(lines[i]) is None)
    cut2 = next(i for i in range(2600, 4000) if ref_ts(lines[i]) is not None)
    base = str(tmp_path / "zookeeper.log")
    with gzip.open(base + ".2.gz", "wb") as fh:
        fh.write("".join(lines[:cut1]).encode())
    write(base + ".1", lines[cut1:cut2])
    write(base, lines[cut2:])
    t_cut1 = max(ref_ts(x) for x in lines[:cut1] if ref_ts(x))
    t_cut2 = ref_ts(lines[cut2])
    groups, unmatched = lw.expand_groups([base])
    assert unmatched == [] and groups == [[base, base + ".1", base + ".2.gz"]]
    # The trace cut by the rotation: its owner is the last entry of .2.gz, its tail opens .1.
    owner = max(i for i in range(cut1) if ref_ts(lines[i]) is not None)
    next_entry = next(i for i in range(cut1, len(lines)) if ref_ts(lines[i]) is not None)
    windows = [(t_cut1 - 60 * US, t_cut2 + 60 * US), (t_cut2 - 5 * US, t_cut2 + 5 * US),
               (t_cut1 - 1, t_cut1 + 1), (t_cut1 - 10 * US, t_cut1),
               (t_cut1 + 1, ref_ts(lines[next_entry]) + 1)]
    for start, end in windows:
        slices, _skipped = lw.select(groups, start, end, UTC)
        by_path = dict((s.path, s) for s in slices)
        got = b""
        for path in (base + ".2.gz", base + ".1", base):   # oldest first
            if path in by_path:
                got += b"".join(lw.slice_chunks(by_path[path], start, end))
        assert got == reference_select(lines, start, end)
    # The window that ends at the owner keeps the owner's whole trace, across the files.
    slices, _skipped = lw.select(groups, t_cut1 - 10 * US, t_cut1, UTC)
    got = b"".join(b"".join(lw.slice_chunks(s, t_cut1 - 10 * US, t_cut1)) for s in slices)
    assert got.endswith("".join(lines[owner:next_entry]).encode())
    # A window entirely in the live file skips the older generations after a cheap look.
    start, end = t_cut2 + 60 * US, t_cut2 + 120 * US
    slices, skipped = lw.select(groups, start, end, UTC)
    assert [s.path for s in slices] == [base]
    assert sorted(s["path"] for s in skipped) == [base + ".1", base + ".2.gz"]


def test_gz_stream_equals_plain(zkfile, tmp_path):
    path, lines = zkfile
    gz = str(tmp_path / "z.log.gz")
    with open(path, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    t0 = ref_ts(lines[0])
    for start, end in [(t0 + 600 * US, t0 + 1800 * US), (t0 - US, t0), (t0 + 10 ** 12, t0 + 10 ** 13)]:
        data, _sl = stream_bytes(gz, start, end)
        assert data == plain_bytes(path, start, end) == reference_select(lines, start, end)


def test_max_bytes_truncates_at_line_end(zkfile):
    path, lines = zkfile
    t0 = ref_ts(lines[0])
    start, end = t0, t0 + 3600 * US
    full = reference_select(lines, start, end)
    parser = lw.make_parser("auto", path, UTC)
    sl = lw.slice_plain(path, parser, start, end, max_bytes=5000)
    assert sl.truncated and 0 < sl.bytes <= 5000
    data = plain_bytes(path, start, end, max_bytes=5000)
    assert full.startswith(data) and data.endswith(b"\n")
    gz_data, gz_sl = stream_bytes(path, start, end, max_bytes=5000)   # stream path reads plain files too
    assert gz_sl.truncated and gz_data == data


def test_binary_search_reads_little(tmp_path):
    """The probes stay logarithmic: a 20 MB file is answered in a few dozen reads."""
    rng = random.Random(5)
    lines = gen_entries(datetime.datetime(2026, 11, 21, 0, 0, 0), 150000, rng, max_step_ms=800)
    path = write(str(tmp_path / "big.log"), lines)
    parser = lw.make_parser("auto", path, UTC)
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        probe = lw.Probe(fh, size, parser)
        target = ref_ts(lines[len(lines) // 2]) or ref_ts(lines[len(lines) // 2 + 5])
        probe.search(target)
    assert size > 10 * 2 ** 20
    assert probe.reads < 120


# ------------------------------------------------------------------------------------------------
# Property: binary search == full linear scan, byte for byte
# ------------------------------------------------------------------------------------------------

def test_random_windows_equal_linear_scan(tmp_path):
    rng = random.Random(20261121)
    lines = gen_entries(datetime.datetime(2026, 11, 21, 9, 0, 0), 6000, rng, head_orphans=2)
    path = write(str(tmp_path / "z.log"), lines)
    stamps = [ref_ts(x) for x in lines if ref_ts(x) is not None]
    lo, hi = stamps[0] - 120 * US, stamps[-1] + 120 * US
    for dummy in range(300):
        kind = rng.randrange(3)
        if kind == 0:          # arbitrary instants
            a, b = sorted(rng.randrange(lo, hi) for dummy in range(2))
        elif kind == 1:        # exactly on line timestamps (inclusive edges)
            a, b = sorted(rng.choice(stamps) for dummy in range(2))
        else:                  # one microsecond around a timestamp
            s = rng.choice(stamps)
            a, b = s + rng.choice([-1, 0, 1]), s + rng.choice([0, 1, 10 ** 6])
        expected = reference_select(lines, a, b)
        assert plain_bytes(path, a, b) == expected, (a, b)
        if kind == 0 and rng.randrange(5) == 0:
            assert stream_bytes(path, a, b)[0] == expected


# ------------------------------------------------------------------------------------------------
# Time zones
# ------------------------------------------------------------------------------------------------

ZONES = ["Europe/Berlin", "Asia/Shanghai", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]


def dst_edges(name):
    """Wall times around every transition of 2020-2040 (and random ones) for a zone."""
    zi = zoneinfo.ZoneInfo(name)
    walls = []
    rng = random.Random(name)
    for dummy in range(300):
        walls.append(rng.randrange(lw._wall_seconds(1990, 1, 1), lw._wall_seconds(2060, 1, 1)))
    t = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    prev = t.astimezone(zi).utcoffset()
    while t.year < 2041:
        t2 = t + datetime.timedelta(hours=6)
        off = t2.astimezone(zi).utcoffset()
        if off != prev:
            base = calendar.timegm(t2.timetuple())
            for delta in range(-4 * 3600, 4 * 3600, 900):
                walls.append(base + int(off.total_seconds()) + delta)
            prev = off
        t = t2
    return walls


@pytest.mark.skipif(zoneinfo is None, reason="needs zoneinfo to compare against")
@pytest.mark.parametrize("name", ZONES)
def test_tzif_reader_equals_zoneinfo(name):
    tzif = lw.load_tzif(name)
    zi = lw.ZoneInfoZone(name)
    for wall in dst_edges(name):
        assert tzif.utc_from_wall(wall) == zi.utc_from_wall(wall), (name, wall)
        assert tzif.offset_at(wall) == zi.offset_at(wall), (name, wall)


@pytest.mark.skipif(zoneinfo is None, reason="needs zoneinfo to compare against")
def test_posix_rule_alone_equals_zoneinfo():
    """Years after the TZif transitions come from the footer rule; check the rule by itself."""
    zone = lw.TransitionZone("rule", [], [], 0, lw.PosixRule("CET-1CEST,M3.5.0,M10.5.0/3"))
    south = lw.TransitionZone("rule", [], [], 0, lw.PosixRule("AEST-10AEDT,M10.1.0,M4.1.0/3"))
    for wall in dst_edges("Europe/Berlin"):
        if wall >= lw._wall_seconds(1997, 1, 1):
            assert zone.utc_from_wall(wall) == lw.ZoneInfoZone("Europe/Berlin").utc_from_wall(wall)
    for wall in dst_edges("Australia/Sydney"):
        if wall >= lw._wall_seconds(2009, 1, 1):
            assert south.utc_from_wall(wall) == lw.ZoneInfoZone("Australia/Sydney").utc_from_wall(wall)


@pytest.mark.parametrize("prefer_zoneinfo", [True, False])
def test_berlin_dst_edges(prefer_zoneinfo):
    berlin = lw.get_zone("Europe/Berlin", prefer_zoneinfo=prefer_zoneinfo)
    w = lw._wall_seconds
    # Winter: +01:00, summer: +02:00.
    assert berlin.utc_from_wall(w(2026, 1, 15, 12)) == w(2026, 1, 15, 11)
    assert berlin.utc_from_wall(w(2026, 7, 15, 12)) == w(2026, 7, 15, 10)
    # Spring forward 2026-03-29 02:00 -> 03:00: 02:30 does not exist, read with the offset before.
    assert berlin.utc_from_wall(w(2026, 3, 29, 1, 59, 59)) == w(2026, 3, 29, 0, 59, 59)
    assert berlin.utc_from_wall(w(2026, 3, 29, 2, 30)) == w(2026, 3, 29, 1, 30)
    assert berlin.utc_from_wall(w(2026, 3, 29, 3, 0)) == w(2026, 3, 29, 1, 0)
    # Fall back 2026-10-25 03:00 -> 02:00: 02:30 happens twice, read as the first (CEST).
    assert berlin.utc_from_wall(w(2026, 10, 25, 2, 30)) == w(2026, 10, 25, 0, 30)
    assert berlin.utc_from_wall(w(2026, 10, 25, 3, 0)) == w(2026, 10, 25, 2, 0)
    assert berlin.offset_at(w(2026, 10, 25, 0, 59, 59)) == 7200
    assert berlin.offset_at(w(2026, 10, 25, 1, 0)) == 3600


@pytest.mark.parametrize("prefer_zoneinfo", [True, False])
def test_shanghai(prefer_zoneinfo):
    sh = lw.get_zone("Asia/Shanghai", prefer_zoneinfo=prefer_zoneinfo)
    assert sh.utc_from_wall(lw._wall_seconds(2026, 11, 21, 10, 15, 30)) == lw._wall_seconds(2026, 11, 21, 2, 15, 30)
    assert lw.parse_time("2026-11-21 10:15:30", sh) == instant(2026, 11, 21, 2, 15, 30)
    assert lw.iso_local(instant(2026, 11, 21, 2, 15, 30), sh) == "2026-11-21T10:15:30.000000+08:00"


@pytest.mark.parametrize("spec,offset", [("+08:00", 28800), ("+0800", 28800), ("-05:30", -19800),
                                         ("Z", 0), ("UTC", 0), ("+00:00", 0), ("-11", -39600)])
def test_fixed_offsets(spec, offset):
    zone = lw.get_zone(spec)
    assert isinstance(zone, lw.FixedZone) and zone.offset == offset
    assert zone.utc_from_wall(1000000) == 1000000 - offset


def test_bad_zone_names():
    for bad in ("Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "+25:00"):
        with pytest.raises(lw.LogWindowError):
            lw.get_zone(bad)
        with pytest.raises(lw.LogWindowError):
            lw.get_zone(bad, prefer_zoneinfo=False)


def test_host_zone_follows_tz(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    assert lw.host_zone().utc_from_wall(lw._wall_seconds(2026, 1, 1, 8)) == lw._wall_seconds(2026, 1, 1)
    monkeypatch.setenv("TZ", "CST-8")
    assert lw.host_zone().utc_from_wall(lw._wall_seconds(2026, 1, 1, 8)) == lw._wall_seconds(2026, 1, 1)
    monkeypatch.delenv("TZ")
    zone = lw.host_zone()
    # Whatever the host's zone is, it agrees with the C library.
    for utc in (lw._wall_seconds(2026, 1, 15, 12), lw._wall_seconds(2026, 7, 15, 12)):
        assert zone.offset_at(utc) == calendar.timegm(__import__("time").localtime(utc)) - utc


PY36 = os.path.expanduser("~/.pyenv/versions/3.6.15/bin/python3.6")


@pytest.mark.skipif(not os.path.exists(PY36) or zoneinfo is None, reason="needs Python 3.6 and zoneinfo")
def test_tzif_reader_on_python36_matches_zoneinfo():
    """On Python 3.6 (no zoneinfo) get_zone falls back to the TZif reader; same answers."""
    script = (
        "import sys, json; sys.path.insert(0, %r); import logwindow as lw\n"
        "walls = json.loads(sys.stdin.read()); out = {}\n"
        "for name, ws in walls.items():\n"
        "    z = lw.get_zone(name); assert type(z).__name__ == 'TransitionZone', type(z)\n"
        "    out[name] = [z.utc_from_wall(w) for w in ws]\n"
        "print(json.dumps(out))\n" % os.path.join(ROOT, "plugins", "module_utils"))
    walls = dict((name, dst_edges(name)) for name in ("Europe/Berlin", "Asia/Shanghai", "America/New_York"))
    proc = subprocess.run([PY36, "-c", script], input=json.dumps(walls).encode(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    got = json.loads(proc.stdout.decode())
    for name, ws in walls.items():
        zi = lw.ZoneInfoZone(name)
        assert got[name] == [zi.utc_from_wall(w) for w in ws]


# ------------------------------------------------------------------------------------------------
# Times given by the user
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value,expected", [
    ("2026-11-21T10:15:30", instant(2026, 11, 21, 2, 15, 30)),             # wall time in the zone
    ("2026-11-21 10:15:30.250", instant(2026, 11, 21, 2, 15, 30, 250000)),
    ("2026-11-21T10:15:30Z", instant(2026, 11, 21, 10, 15, 30)),           # explicit: that instant
    ("2026-11-21T10:15:30+01:00", instant(2026, 11, 21, 9, 15, 30)),
    ("2026-11-21T10:15:30-0500", instant(2026, 11, 21, 15, 15, 30)),
    ("2026-11-21T10:15", instant(2026, 11, 21, 2, 15)),
    ("1795227330", instant(2026, 11, 21, 2, 15, 30)),
    (1795227330, instant(2026, 11, 21, 2, 15, 30)),
    (1795227330.5, instant(2026, 11, 21, 2, 15, 30, 500000)),
    ("1795227330000", instant(2026, 11, 21, 2, 15, 30)),                   # milliseconds
])
def test_parse_time(value, expected):
    assert lw.parse_time(value, lw.FixedZone(8 * 3600)) == expected


@pytest.mark.parametrize("value", ["yesterday", "2026-02-30T10:00:00", "2026-11-21T25:00:00", "", True,
                                   "2026-11-21T10:15:30+99:00"])
def test_parse_time_rejects(value):
    with pytest.raises(lw.LogWindowError) as exc:
        lw.parse_time(value, UTC, "at")
    assert "at=" in str(exc.value) and repr(value) in str(exc.value)


# ------------------------------------------------------------------------------------------------
# Paths and bundle
# ------------------------------------------------------------------------------------------------

def test_expand_paths_globs_and_siblings(tmp_path):
    for name in ("zookeeper.log", "zookeeper.log.1", "zookeeper.log.2.gz", "zookeeper.log.10",
                 "other.log", "zookeeper.out"):
        (tmp_path / name).write_text("x\n")
    (tmp_path / "dir.log").mkdir()
    files, unmatched = lw.expand_paths([str(tmp_path / "zookeeper.log"), str(tmp_path / "*.log"),
                                        str(tmp_path / "missing.log")])
    names = [os.path.basename(f) for f in files]
    assert names == ["zookeeper.log", "zookeeper.log.1", "zookeeper.log.2.gz", "zookeeper.log.10", "other.log"]
    assert unmatched == [str(tmp_path / "missing.log")]


def test_member_names():
    assert lw.member_name("/var/log/zookeeper/zookeeper.log.2.gz", True) == "var/log/zookeeper/zookeeper.log.2"
    assert lw.member_name("/var/log/zookeeper/zookeeper.log.1", False) == "var/log/zookeeper/zookeeper.log.1"


def test_write_bundle_deterministic_with_manifest(zkfile, tmp_path):
    path, lines = zkfile
    t0 = ref_ts(lines[0])
    start, end = t0 + 300 * US, t0 + 900 * US
    blobs = []
    for dummy in range(2):
        slices, skipped = lw.select([path], start, end, UTC)
        buf = io.BytesIO()
        manifest = lw.write_bundle(buf, slices, start, end, {"version": 1, "skipped": skipped})
        blobs.append(buf.getvalue())
    assert blobs[0] == blobs[1]
    with tarfile.open(fileobj=io.BytesIO(blobs[0]), mode="r:gz") as tar:
        names = tar.getnames()
        data = tar.extractfile(lw.member_name(path, False)).read()
        on_disk = json.loads(tar.extractfile("MANIFEST.json").read().decode())
    assert names == [lw.member_name(path, False), "MANIFEST.json"]
    expected = reference_select(lines, start, end)
    assert data == expected
    entry = on_disk["files"][0]
    assert entry["sha256"] == hashlib.sha256(expected).hexdigest()
    assert entry["bytes"] == len(expected) and entry["lines"] == expected.count(b"\n")
    assert entry["truncated"] is False
    assert entry["first_utc"] == lw.iso_utc(ref_ts(expected.decode().splitlines()[0]))
    assert on_disk == manifest and on_disk["matched"] == entry["lines"]


def test_write_bundle_empty_window_is_valid(zkfile):
    path, _lines = zkfile
    slices, skipped = lw.select([path], instant(2030, 1, 1), instant(2030, 1, 2), UTC)
    buf = io.BytesIO()
    manifest = lw.write_bundle(buf, slices, instant(2030, 1, 1), instant(2030, 1, 2), {"version": 1})
    assert manifest["matched"] == 0 and manifest["files"] == []
    with tarfile.open(fileobj=io.BytesIO(buf.getvalue()), mode="r:gz") as tar:
        assert tar.getnames() == ["MANIFEST.json"]
    assert skipped == [{"path": path, "reason": "outside the window"}]


def test_unreadable_file_named(tmp_path):
    missing = str(tmp_path / "gone.log")
    with pytest.raises(lw.LogWindowError, match="gone.log"):
        lw.select([missing], 0, 1, UTC)
