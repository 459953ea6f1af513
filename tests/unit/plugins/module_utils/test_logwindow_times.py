# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/logwindow_times.py: the user's times, minutes and sizes."""
import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import logwindow_times as lt
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import FixedZone
from tests.support.logsamples import UTC
from tests.support.logsamples import instant


@pytest.mark.parametrize("value,expected", [
    ("2026-11-21T10:15:30", instant(2026, 11, 21, 2, 15, 30)),             # wall time in the zone
    ("2026-11-21 10:15:30.250", instant(2026, 11, 21, 2, 15, 30, 250000)),
    ("2026-11-21T10:15:30Z", instant(2026, 11, 21, 10, 15, 30)),           # explicit: that instant
    ("2026-11-21T10:15:30+01:00", instant(2026, 11, 21, 9, 15, 30)),
    ("2026-11-21T10:15:30-0500", instant(2026, 11, 21, 15, 15, 30)),
    ("2026-11-21T10:15", instant(2026, 11, 21, 2, 15)),
    (" 2026-11-21T10:15 ", instant(2026, 11, 21, 2, 15)),
    ("1795227330", instant(2026, 11, 21, 2, 15, 30)),
    (1795227330, instant(2026, 11, 21, 2, 15, 30)),
    (1795227330.5, instant(2026, 11, 21, 2, 15, 30, 500000)),
    ("1795227330000", instant(2026, 11, 21, 2, 15, 30)),                   # milliseconds
    (0, 0),
    ("1900-01-01T00:00:00Z", lt.MIN_INSTANT),
])
def test_parse_time(value, expected):
    assert lt.parse_time(value, FixedZone(8 * 3600)) == expected


@pytest.mark.parametrize("value", [
    "yesterday", "2026-02-30T10:00:00", "2026-11-21T25:00:00", "", True, None, [1], {"a": 1},
    "2026-11-21T10:15:30+99:00", "99999999999999999999", "9" * 400, 1e308, float("nan"), float("inf"),
    float("-inf"), -5, "-5", "nan", "inf", "1e9", u"\u0661\u0667\u0669\u0665\u0662\u0662\u0667\u0663\u0663\u0660",
    u"\uff12\uff10\uff12\uff16-11-21T10:00:00", "2026-11-21T10:00:00\n", "2026-11-21T10:00:00\r\nX: y",
    "0001-01-01T00:00:00", "1899-12-31T23:59:59Z", "9000-01-01T00:00:00Z", "2026-11-21T10:00:00" + " " * 100,
])
def test_parse_time_rejects(value):
    with pytest.raises(lt.LogWindowError) as exc:
        lt.parse_time(value, UTC, "at")
    assert str(exc.value).startswith("at=%r" % (value,))


@pytest.mark.parametrize("value,expected", [(10, 10), ("10", 10), ("0.5", 0.5), (0, 0), (2.5, 2.5),
                                            (lt.MAX_MINUTES, lt.MAX_MINUTES)])
def test_parse_minutes(value, expected):
    assert lt.parse_minutes("before", value) == expected


@pytest.mark.parametrize("value", ["nan", "inf", float("nan"), float("inf"), 1e308, "1e308", -1, "-1",
                                   u"\u0661\u0660", "10 minutes", True, [10], None, lt.MAX_MINUTES + 1, "0x10"])
def test_parse_minutes_rejects(value):
    with pytest.raises(lt.LogWindowError) as exc:
        lt.parse_minutes("before", value)
    assert str(exc.value).startswith("before=%r" % (value,))


@pytest.mark.parametrize("value,expected", [(1, 1), ("4096", 4096), (1024.0, 1024), (lt.MAX_SIZE, lt.MAX_SIZE)])
def test_parse_size(value, expected):
    assert lt.parse_size("max_bytes", value) == expected


@pytest.mark.parametrize("value", [0, -1, 1.5, "1e3", "nan", float("inf"), u"\u0661\u0660", True, None,
                                   lt.MAX_SIZE + 1, 2 ** 70, "9" * 40, "12 MB"])
def test_parse_size_rejects(value):
    with pytest.raises(lt.LogWindowError) as exc:
        lt.parse_size("max_bytes", value)
    assert str(exc.value).startswith("max_bytes=%r" % (value,))


def test_iso_renderings_at_the_edges():
    for edge in (lt.MIN_INSTANT - 10 * 366 * 86400 * lt.US, lt.MAX_INSTANT + 10 * 366 * 86400 * lt.US):
        for off in (-14 * 3600, 14 * 3600):
            assert lt.iso_local(edge, FixedZone(off))
        assert lt.iso_utc(edge)
