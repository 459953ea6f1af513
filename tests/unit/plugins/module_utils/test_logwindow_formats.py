# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/logwindow_formats.py: format detection and line parsing."""
import calendar

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import logwindow_formats as fm
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import LogWindowError
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import FixedZone
from tests.support.logsamples import TRACE
from tests.support.logsamples import UTC
from tests.support.logsamples import instant

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
    fmt = fm.detect_format(sample)
    assert fmt is not None and fmt.name == expected


def test_detect_format_with_stack_traces_and_unknown():
    sample = b"\n".join([SAMPLES["mrs"][0]] + TRACE.encode().splitlines() + [SAMPLES["mrs"][1]])
    assert fm.detect_format(sample).name == "mrs"
    assert fm.detect_format(b"just some text\nwithout any time\n") is None
    assert fm.detect_format(b"") is None


def test_parse_each_format():
    shanghai = FixedZone(8 * 3600)
    zk = fm.LineParser(fm.detect_format(SAMPLES["zookeeper"][0]), shanghai)
    assert zk(SAMPLES["zookeeper"][0]) == instant(2026, 11, 21, 2, 15, 30, 123000)
    deb = fm.LineParser(fm.detect_format(SAMPLES["zookeeper-debian"][0]), UTC)
    assert deb(SAMPLES["zookeeper-debian"][0]) == instant(2026, 11, 21, 23, 16, 13, 580000)
    assert deb(b"\tat org.apache.Foo(Foo.java:1)") is None
    mrs = fm.LineParser(fm.detect_format(SAMPLES["mrs"][0]), UTC)
    assert mrs(SAMPLES["mrs"][0]) == instant(2020, 1, 20, 16, 33, 43, 816000)
    iso = fm.LineParser(fm.detect_format(b"\n".join(SAMPLES["iso8601"])), UTC)
    # Offsets in the line win over the zone.
    assert iso(SAMPLES["iso8601"][0]) == instant(2026, 11, 21, 2, 15, 30, 123456)
    assert iso(SAMPLES["iso8601"][1]) == instant(2026, 11, 21, 2, 15, 31)
    go = fm.LineParser(fm.detect_format(b"\n".join(SAMPLES["go"])), UTC)
    assert go(SAMPLES["go"][0]) == instant(2026, 11, 21, 2, 15, 30, 123000)
    assert go(SAMPLES["go"][1]) == instant(2026, 11, 21, 2, 15, 31)
    assert go(SAMPLES["go"][2]) == instant(2026, 11, 21, 2, 15, 32, 500000)
    assert go(b'level=info msg="no time here"') is None


def test_syslog_year_inferred_from_reference_time():
    fmt = fm.detect_format(b"\n".join(SAMPLES["syslog"]))
    ref = calendar.timegm((2027, 1, 3, 0, 0, 0))     # file written early January 2027
    parse = fm.LineParser(fmt, UTC, ref=ref)
    assert parse(SAMPLES["syslog"][0]) == instant(2026, 11, 21, 10, 15, 30)   # November: last year
    assert parse(b"Jan  2 23:59:59 h p: x") == instant(2027, 1, 2, 23, 59, 59)
    ref = calendar.timegm((2026, 11, 22, 0, 0, 0))
    assert fm.LineParser(fmt, UTC, ref=ref)(SAMPLES["syslog"][0]) == instant(2026, 11, 21, 10, 15, 30)


def test_iso_parse_variants_in_lines():
    fmt = fm.detect_format(b"2026-11-21 10:15:30 plain\n")
    assert fmt.name == "iso8601"
    parse = fm.LineParser(fmt, FixedZone(-5 * 3600))
    assert parse(b"2026-11-21 10:15:30 x") == instant(2026, 11, 21, 15, 15, 30)
    assert parse(b"2026-11-21T10:15:30,5+0100 x") == instant(2026, 11, 21, 9, 15, 30, 500000)
    assert parse(b"2026-11-21T10:15:30.123456789Z x") == instant(2026, 11, 21, 10, 15, 30, 123456)
    assert parse(b"2026-13-21T10:15:30Z invalid month") is None
    # An offset the line format allows but no zone has: no timestamp, not a crash.
    assert parse(b"2026-11-21T10:15:30+99:99 x") is None


def test_timestamp_looked_for_in_the_line_head_only():
    go = fm.LineParser(fm.FORMATS[fm.FORMAT_NAMES.index("go")], UTC)
    near = b"level=info " + b"x" * 100 + b" ts=2026-11-21T10:15:30Z"
    far = b"level=info " + b"x" * fm.LINE_HEAD + b" ts=2026-11-21T10:15:30Z"
    assert go(near) == instant(2026, 11, 21, 10, 15, 30)
    assert go(far) is None


def test_explicit_pattern():
    parser = fm.make_parser({"pattern": r"\[(?P<ts>[^\]]+)\]", "time_format": "%d/%b/%Y:%H:%M:%S %z"}, UTC)
    line = b'10.0.0.1 - - [21/Nov/2026:10:15:30 +08:00] "GET / HTTP/1.1" 200'
    assert parser(line) == instant(2026, 11, 21, 2, 15, 30)
    local = fm.make_parser({"pattern": r"^(?P<ts>\d{8} \d{6})", "time_format": "%Y%m%d %H%M%S"}, FixedZone(3600))
    assert local(b"20261121 101530 hello") == instant(2026, 11, 21, 9, 15, 30)
    assert local(b"no time") is None
    with pytest.raises(LogWindowError, match="named group"):
        fm.make_parser({"pattern": r"^\d+", "time_format": "%s"}, UTC)
    with pytest.raises(LogWindowError, match="not a valid regular expression"):
        fm.make_parser({"pattern": r"(?P<ts>", "time_format": "%Y"}, UTC)


@pytest.mark.parametrize("spec,needle", [
    ("log4j", "format='log4j'"),
    ("zookeeper\x00", "format='zookeeper\\x00'"),
    (5, "format=5"),
    (["zookeeper"], "format=['zookeeper']"),
    ({"pattern": 5, "time_format": "%Y"}, "format.pattern=5"),
    ({"pattern": "(?P<ts>x)"}, "format.time_format=None"),
    ({"pattern": "(?P<ts>x)", "time_format": ""}, "format.time_format=''"),
    ({"pattern": "x" * (fm.MAX_PATTERN + 1), "time_format": "%Y"}, "format.pattern="),
    ({"pattern": "(?P<ts>x)", "time_format": "%Y", "flags": "i"}, "unknown key(s) flags"),
])
def test_bad_format_named(spec, needle):
    with pytest.raises(LogWindowError) as exc:
        fm.make_parser(spec, UTC, sample=b"")
    assert needle in str(exc.value)


def test_stamp_text():
    parser = fm.make_parser("auto", UTC, sample=SAMPLES["go"][0])
    assert fm.stamp_text(SAMPLES["go"][0], parser) == "2026-11-21T10:15:30.123+08:00"
    zk = fm.make_parser("zookeeper", UTC)
    assert fm.stamp_text(SAMPLES["zookeeper"][0], zk) == "2026-11-21 10:15:30,123"
    assert fm.stamp_text(b"no stamp", zk) is None


@pytest.mark.parametrize("spec, words", [
    # a directive strptime does not know would make every line "no timestamp": an empty bundle, no error
    ({"pattern": "(?P<ts>.*)", "time_format": "%Q"}, ["format.time_format", "'%Q'"]),
    ({"pattern": "(?P<ts>.*)", "time_format": "%Y %"}, ["format.time_format", "'%Y %'"]),
    # judged before any file is read, not when the first file's parser is made
    ({"pattern": "(", "time_format": "%Y"}, ["format.pattern", "'('"]),
    ({"pattern": "no group", "time_format": "%Y"}, ["format.pattern", "(?P<ts>"]),
    # a key that is missing: the message shows the format as given
    ({"pattern": "(?P<ts>.*)"}, ["format.time_format", "'(?P<ts>.*)'"]),
])
def test_check_format_refuses_what_could_never_parse_a_line(spec, words):
    with pytest.raises(LogWindowError) as err:
        fm.check_format(spec)
    for word in words:
        assert word in str(err.value)


def test_check_format_takes_a_working_pattern():
    spec = {"pattern": r"^(?P<ts>\S+ \S+)", "time_format": "%Y-%m-%d %H:%M:%S,%f"}
    assert fm.check_format(spec) == spec
