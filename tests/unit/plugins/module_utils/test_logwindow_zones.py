# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the time zones of the log window: logwindow_tzrule (POSIX TZ rules), logwindow_tzif
(the TZif reader) and logwindow_zones (which zone). The TZif reader is checked against zoneinfo."""
import calendar
import datetime
import json
import os
import random
import subprocess
import time

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import logwindow_zones as lz
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import LogWindowError
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import iso_local
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import parse_time
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import FixedZone
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import TransitionZone
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import read_tzif
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzrule import PosixRule
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzrule import wall_seconds
from tests.support.logsamples import ZoneInfoZone
from tests.support.logsamples import instant
from tests.support.logsamples import zoneinfo
from tests.support.modrun import COLLECTIONS
ZONES = ["Europe/Berlin", "Asia/Shanghai", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
needs_zoneinfo = pytest.mark.skipif(zoneinfo is None, reason="needs zoneinfo to compare against")


def dst_edges(name):
    """Wall times around every transition of 2020-2040 (and random ones) for a zone."""
    zi = zoneinfo.ZoneInfo(name)
    walls = []
    rng = random.Random(name)
    for dummy in range(300):
        walls.append(rng.randrange(wall_seconds(1990, 1, 1), wall_seconds(2060, 1, 1)))
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


@needs_zoneinfo
@pytest.mark.parametrize("name", ZONES)
def test_tzif_reader_equals_zoneinfo(name):
    tzif = lz.load_tzif(name)
    zi = ZoneInfoZone(name)
    for wall in dst_edges(name):
        assert tzif.utc_from_wall(wall) == zi.utc_from_wall(wall), (name, wall)
        assert tzif.offset_at(wall) == zi.offset_at(wall), (name, wall)


@needs_zoneinfo
def test_posix_rule_alone_equals_zoneinfo():
    """Years after the TZif transitions come from the footer rule; check the rule by itself."""
    zone = TransitionZone("rule", [], [], 0, PosixRule("CET-1CEST,M3.5.0,M10.5.0/3"))
    south = TransitionZone("rule", [], [], 0, PosixRule("AEST-10AEDT,M10.1.0,M4.1.0/3"))
    for wall in dst_edges("Europe/Berlin"):
        if wall >= wall_seconds(1997, 1, 1):
            assert zone.utc_from_wall(wall) == ZoneInfoZone("Europe/Berlin").utc_from_wall(wall)
    for wall in dst_edges("Australia/Sydney"):
        if wall >= wall_seconds(2009, 1, 1):
            assert south.utc_from_wall(wall) == ZoneInfoZone("Australia/Sydney").utc_from_wall(wall)


def test_berlin_dst_edges():
    berlin = lz.get_zone("Europe/Berlin")
    w = wall_seconds
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


def test_shanghai():
    sh = lz.get_zone("Asia/Shanghai")
    assert sh.utc_from_wall(wall_seconds(2026, 11, 21, 10, 15, 30)) == wall_seconds(2026, 11, 21, 2, 15, 30)
    assert parse_time("2026-11-21 10:15:30", sh) == instant(2026, 11, 21, 2, 15, 30)
    assert iso_local(instant(2026, 11, 21, 2, 15, 30), sh) == "2026-11-21T10:15:30.000000+08:00"


@pytest.mark.parametrize("spec,offset", [("+08:00", 28800), ("+0800", 28800), ("-05:30", -19800),
                                         ("Z", 0), ("UTC", 0), ("+00:00", 0), ("-11", -39600)])
def test_fixed_offsets(spec, offset):
    zone = lz.get_zone(spec)
    assert isinstance(zone, FixedZone) and zone.offset == offset
    assert zone.utc_from_wall(1000000) == 1000000 - offset


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "+25:00",
                                 "Etc/\x00UTC", "A" * 5000, "Europe/Berlin\n", "America", 5, ["UTC"]])
def test_bad_zone_names(bad):
    with pytest.raises(LogWindowError) as exc:
        lz.get_zone(bad)
    assert str(exc.value).startswith("timezone=")


def test_host_zone_follows_tz(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    assert lz.host_zone().utc_from_wall(wall_seconds(2026, 1, 1, 8)) == wall_seconds(2026, 1, 1)
    monkeypatch.setenv("TZ", "CST-8")
    assert lz.host_zone().utc_from_wall(wall_seconds(2026, 1, 1, 8)) == wall_seconds(2026, 1, 1)
    monkeypatch.delenv("TZ")
    zone = lz.host_zone()
    # Whatever the host's zone is, it agrees with the C library.
    for utc in (wall_seconds(2026, 1, 15, 12), wall_seconds(2026, 7, 15, 12)):
        assert zone.offset_at(utc) == calendar.timegm(time.localtime(utc)) - utc


@pytest.mark.parametrize("tz", ["CET-1CEST,M13.5.0,M10.5.0/3", "CET-1CEST,M3.9.0,M10.5.0", "CET-1CEST,J400,J10",
                                "XYZ-99", "CET-1CEST,M3.5.0/999,M10.5.0", u"CET-\u0661", "<+1>-1<>"])
def test_hostile_tz_rules_fall_back_to_the_host_zone(monkeypatch, tz):
    with pytest.raises(ValueError):
        PosixRule(tz)
    monkeypatch.setenv("TZ", tz)
    zone = lz.host_zone()
    assert zone.offset_at(wall_seconds(2026, 1, 15, 12)) is not None


def test_tz_naming_a_fifo_does_not_hang(monkeypatch, tmp_path):
    fifo = str(tmp_path / "zone")
    os.mkfifo(fifo)
    monkeypatch.setenv("TZ", fifo)
    assert lz.host_zone() is not None


def test_corrupt_tzif_is_a_value_error():
    with open(os.path.join(lz.TZPATH[0], "Europe", "Berlin"), "rb") as fh:
        good = fh.read()
    assert read_tzif(good, "Berlin").offset_at(wall_seconds(2026, 7, 1)) == 7200
    rng = random.Random(13)
    damaged = [good[:30], good[:60], good[:len(good) // 2], b"TZif2" + b"\xff" * 60,
               good[:20] + b"\x7f\xff\xff\xff" * 6 + good[44:]]
    for dummy in range(200):
        data = bytearray(good)
        for dummy2 in range(rng.randrange(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        damaged.append(bytes(data))
    for data in damaged:
        try:
            read_tzif(data, "damaged")
        except ValueError:
            pass


@pytest.mark.parametrize("last", [2 ** 62, -2 ** 62, 0])
def test_rule_after_transitions_at_any_instant(last):
    zone = TransitionZone("x", [last], [3600], 0, PosixRule("CET-1CEST,M3.5.0,M10.5.0/3"))
    assert zone.offset_at(wall_seconds(2026, 7, 1)) in (0, 3600, 7200)


PY36 = os.path.expanduser("~/.pyenv/versions/3.6.15/bin/python3.6")


@pytest.mark.skipif(not os.path.exists(PY36) or zoneinfo is None, reason="needs Python 3.6 and zoneinfo")
def test_tzif_reader_on_python36_matches_zoneinfo():
    """Python 3.6 has no zoneinfo: the TZif reader gives the same answers there."""
    script = (
        "import sys, json; sys.path.insert(0, %r)\n"
        "from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_zones import get_zone\n"
        "walls = json.loads(sys.stdin.read()); out = {}\n"
        "for name, ws in walls.items():\n"
        "    z = get_zone(name); assert type(z).__name__ == 'TransitionZone', type(z)\n"
        "    out[name] = [z.utc_from_wall(w) for w in ws]\n"
        "print(json.dumps(out))\n" % COLLECTIONS)
    walls = dict((name, dst_edges(name)) for name in ("Europe/Berlin", "Asia/Shanghai", "America/New_York"))
    proc = subprocess.run([PY36, "-c", script], input=json.dumps(walls).encode(), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr.decode()
    got = json.loads(proc.stdout.decode())
    for name, ws in walls.items():
        zi = ZoneInfoZone(name)
        assert got[name] == [zi.utc_from_wall(w) for w in ws]
