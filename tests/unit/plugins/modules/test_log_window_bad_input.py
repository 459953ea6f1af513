# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""log_window with hostile values for every option: each run gives one JSON result, no traceback,
``failed`` with a message that names the option and the value, and nothing written or left behind."""
import datetime
import os

import pytest

from ansible_collections.alertops.remediation.plugins.modules import log_window
from tests.support.modrun import run_main


def zk_line(dt, msg):
    return "%s,000 [myid:1] - INFO  [main:Foo@1] - %s\n" % (dt.strftime("%Y-%m-%d %H:%M:%S"), msg)


T0 = datetime.datetime(2026, 11, 21, 9, 0, 0)
NAN, INF = float("nan"), float("inf")
ARABIC_TEN = u"\u0661\u0660"                       # "10" in Arabic-Indic digits
FULLWIDTH_EPOCH = u"\uff11\uff17\uff19\uff15\uff12\uff12\uff17\uff13\uff13\uff10"

HOSTILE = [
    # (option, value, extra options)
    ("paths", [], {}),
    ("paths", ["/tmp/zoo\x00keeper.log"], {}),
    ("at", "99999999999999999999", {}),
    ("at", "1795227330" + "0" * 300, {}),
    ("at", 1e308, {}),
    ("at", NAN, {}),
    ("at", INF, {}),
    ("at", -INF, {}),
    ("at", "nan", {}),
    ("at", "inf", {}),
    ("at", "-5", {}),
    ("at", FULLWIDTH_EPOCH, {}),
    ("at", u"\u0662\u0660\u0662\u0666-11-21T10:00:00Z", {}),
    ("at", "2026-11-21T10:00:00\n", {}),
    ("at", "0001-01-01T00:00:00", {"timezone": "-05:00"}),
    ("at", "9999-12-31T23:59:59", {"timezone": "+14:00"}),
    ("at", True, {}),
    ("at", [1795227330], {}),
    ("at", {"t": 1}, {}),
    ("start", "99999999999999999999", {"end": "2026-11-21T10:00:00Z"}),
    ("end", NAN, {"start": "2026-11-21T10:00:00Z"}),
    ("end", "9999-12-31T23:59:59Z", {"start": "2026-11-21T10:00:00Z", "timezone": "+14:00"}),
    ("before", "nan", {}),
    ("before", "inf", {}),
    ("before", NAN, {}),
    ("before", 1e308, {}),
    ("before", "1e308", {}),
    ("before", -1, {}),
    ("before", ARABIC_TEN, {}),
    ("before", "10 minutes", {}),
    ("before", True, {}),
    ("before", [10], {}),
    ("after", "-inf", {}),
    ("after", INF, {}),
    ("after", 10 ** 30, {}),
    ("after", ARABIC_TEN, {}),
    ("timezone", "Etc/\x00UTC", {}),
    ("timezone", "../../../etc/passwd", {}),
    ("timezone", "A" * 5000, {}),
    ("timezone", "+99:00", {}),
    ("format", 5, {}),
    ("format", ["zookeeper"], {}),
    ("format", "zookeeper\x00", {}),
    ("format", {"pattern": 5, "time_format": "%Y"}, {}),
    ("format", {"pattern": "(?P<ts>x)", "time_format": 5}, {}),
    ("format", {"pattern": "(?P<ts>", "time_format": "%Y"}, {}),
    ("format", {"pattern": "x", "time_format": "%Y"}, {}),
    ("format", {"pattern": "(?P<ts>x)"}, {}),
    ("format", {"pattern": "(?P<ts>x)", "time_format": "%Y", "flags": "i"}, {}),
    ("dest", "", {}),
    ("dest", "/nonexistent-lw-dir/b.tar.gz", {}),
    ("dest", "b\x00.tar.gz", {}),
    # a relative dest lands in whatever the module's working directory is (12 becomes "12" there)
    ("dest", "b.tar.gz", {}),
    ("dest", 12, {}),
    ("dest", "/tmp/b\r\n.tar.gz", {}),
    ("paths", ["/tmp/zoo\nkeeper.log"], {}),
    # formats that can never read a line: an empty bundle instead of an error
    ("format", {"pattern": "(?P<ts>.*)", "time_format": "%Q"}, {}),
    ("max_bytes", 0, {}),
    ("max_bytes", -1, {}),
    ("max_bytes", "nan", {}),
    ("max_bytes", "1e3", {}),
    ("max_bytes", ARABIC_TEN, {}),
    ("max_bytes", 2 ** 70, {}),
    ("max_bytes", "9" * 40, {}),
    ("max_bytes", 1.5, {}),
    ("max_bytes", True, {}),
    ("max_total_bytes", 0, {}),
    ("max_total_bytes", "inf", {}),
    ("max_total_bytes", ARABIC_TEN, {}),
    ("max_total_bytes", 2 ** 70, {}),
]


@pytest.fixture
def logdir(tmp_path):
    log = tmp_path / "zookeeper.log"
    log.write_text("".join(zk_line(T0 + datetime.timedelta(seconds=10 * i), "entry %d" % i) for i in range(720)))
    return tmp_path


def _id(case):
    option, value, _extra = case
    return "%s=%s" % (option, repr(value)[:40])


@pytest.mark.parametrize("case", HOSTILE, ids=[_id(c) for c in HOSTILE])
def test_hostile_value_fails_naming_option(logdir, capsys, case):
    option, value, extra = case
    dest = str(logdir / "b.tar.gz")
    args = dict(paths=[str(logdir / "zookeeper.log")], at="2026-11-21T10:00:00Z", timezone="UTC", dest=dest)
    if option in ("start", "end"):
        del args["at"]
    args.update(extra)
    args[option] = value
    before = sorted(os.listdir(str(logdir)))
    res, rc = run_main(log_window.main, capsys, args)
    assert rc == 1 and res["failed"] is True, res
    assert option in res["msg"], res["msg"]
    assert "Traceback" not in res["msg"] and "exception" not in res
    assert sorted(os.listdir(str(logdir))) == before
