# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/logwindow_select.py: the window over rotation groups, the caps,
and the files left out (real files, links and FIFOs in a temporary directory)."""
import datetime
import gzip
import os
import random

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import logwindow_select as lsel
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_files import LogFile
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_files import expand_groups
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import LogWindowError
from tests.support.logsamples import US
from tests.support.logsamples import UTC
from tests.support.logsamples import gen_entries
from tests.support.logsamples import instant
from tests.support.logsamples import ref_ts
from tests.support.logsamples import reference_select
from tests.support.logsamples import write


def selected_bytes(sel, start, end, order):
    by_path = dict((s.path, s) for s in sel.slices)
    return b"".join(b"".join(lsel.slice_chunks(by_path[p], start, end)) for p in order if p in by_path)


def last_stamp(lines):
    return max(ref_ts(x) for x in lines if ref_ts(x) is not None)


def reasons(sel):
    return dict((s["path"], s["reason"]) for s in sel.skipped)


@pytest.fixture
def rotated(tmp_path):
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
    return base, lines, cut1, cut2


def test_rotation_boundary_and_gz(rotated):
    base, lines, cut1, cut2 = rotated
    t_cut1 = max(ref_ts(x) for x in lines[:cut1] if ref_ts(x))
    t_cut2 = ref_ts(lines[cut2])
    groups, unmatched = expand_groups([base])
    assert unmatched == [] and [[f.path for f in g] for g in groups] == [[base, base + ".1", base + ".2.gz"]]
    order = (base + ".2.gz", base + ".1", base)     # oldest first
    # The trace cut by the rotation: its owner is the last entry of .2.gz, its tail opens .1.
    owner = max(i for i in range(cut1) if ref_ts(lines[i]) is not None)
    next_entry = next(i for i in range(cut1, len(lines)) if ref_ts(lines[i]) is not None)
    windows = [(t_cut1 - 60 * US, t_cut2 + 60 * US), (t_cut2 - 5 * US, t_cut2 + 5 * US),
               (t_cut1 - 1, t_cut1 + 1), (t_cut1 - 10 * US, t_cut1),
               (t_cut1 + 1, ref_ts(lines[next_entry]) + 1)]
    for start, end in windows:
        sel = lsel.select(groups, start, end, UTC)
        assert selected_bytes(sel, start, end, order) == reference_select(lines, start, end)
    # The window that ends at the owner keeps the owner's whole trace, across the files.
    sel = lsel.select(groups, t_cut1 - 10 * US, t_cut1, UTC)
    got = selected_bytes(sel, t_cut1 - 10 * US, t_cut1, order)
    assert got.endswith("".join(lines[owner:next_entry]).encode())
    # A window entirely in the live file skips the older generations after a cheap look.
    start, end = t_cut2 + 60 * US, t_cut2 + 120 * US
    sel = lsel.select(groups, start, end, UTC)
    assert [s.path for s in sel.slices] == [base]
    assert sorted(s["path"] for s in sel.skipped) == [base + ".1", base + ".2.gz"]


def test_empty_file(tmp_path):
    path = write(str(tmp_path / "empty.log"), [])
    sel = lsel.select([path], instant(2026, 1, 1), instant(2027, 1, 1), UTC)
    assert sel.slices == [] and sel.skipped == [{"path": path, "reason": "empty file"}]


def test_named_file_that_is_missing_is_an_error(tmp_path):
    missing = str(tmp_path / "gone.log")
    with pytest.raises(LogWindowError, match="gone.log"):
        lsel.select([missing], 0, 1, UTC)


def test_found_files_that_cannot_be_used_are_skipped(rotated, tmp_path):
    base, lines, cut1, cut2 = rotated
    os.mkfifo(base + ".7")
    os.symlink(base + ".1", base + ".8")
    os.symlink(str(tmp_path / "nowhere"), base + ".9")
    groups, dummy = expand_groups([base])
    start, end = ref_ts(lines[cut2]) - 60 * US, ref_ts(lines[cut2]) + 60 * US
    sel = lsel.select(groups, start, end, UTC)
    why = reasons(sel)
    assert why[base + ".7"] == "not a regular file (fifo)"
    assert why[base + ".8"] == why[base + ".9"] == "symbolic link, not followed"
    assert len(sel.warnings) == 3 and all("skipped" in w for w in sel.warnings)
    assert selected_bytes(sel, start, end, (base + ".2.gz", base + ".1", base)) == \
        reference_select(lines, start, end)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "header"])
def test_corrupt_gzip_is_skipped_with_the_reason(rotated, damage):
    base, lines, cut1, cut2 = rotated
    with gzip.open(base + ".2.gz", "rb") as fh:
        data = gzip.compress(fh.read())         # a header without a file name: deflate data at byte 10
    if damage == "truncated":
        data = data[:len(data) // 2]
    elif damage == "garbage":
        data = data[:10] + b"\x07" + data[11:]      # a deflate block of the reserved type
    else:
        data = b"\x1f\x8b" + bytes(100)
    with open(base + ".2.gz", "wb") as fh:
        fh.write(data)
    start, end = ref_ts(lines[0]), last_stamp(lines)
    sel = lsel.select(expand_groups([base])[0], start, end, UTC)
    assert reasons(sel)[base + ".2.gz"].startswith("corrupt gzip data")
    assert [s.path for s in sel.slices] == [base + ".1", base]


def test_total_cap_cuts_at_a_line_end_and_skips_the_rest(rotated):
    base, lines, cut1, cut2 = rotated
    start, end = ref_ts(lines[0]), last_stamp(lines)
    full = lsel.select(expand_groups([base])[0], start, end, UTC)
    sizes = dict((s.path, s.bytes) for s in full.slices)
    cap = sizes[base + ".2.gz"] + sizes[base + ".1"] // 2
    sel = lsel.select(expand_groups([base])[0], start, end, UTC, max_total_bytes=cap)
    kept = dict((s.path, s) for s in sel.slices)
    assert not kept[base + ".2.gz"].truncated
    assert kept[base + ".1"].truncated and kept[base + ".1"].truncated_by == "max_total_bytes"
    assert sum(s.bytes for s in sel.slices) <= cap
    data = selected_bytes(sel, start, end, (base + ".2.gz", base + ".1"))
    assert reference_select(lines, start, end).startswith(data) and data.endswith(b"\n")
    assert reasons(sel)[base] == "not read: the bundle reached max_total_bytes=%d" % cap
    assert sel.cut == [{"path": base + ".1", "limit": "max_total_bytes", "bytes_kept": kept[base + ".1"].bytes},
                       {"path": base, "limit": "max_total_bytes", "bytes_kept": 0}]
    # The per-file cap is named when it is the one that cut; a gzip generation is cut the same way.
    sel = lsel.select(expand_groups([base])[0], start, end, UTC, max_bytes=1000, max_total_bytes=cap)
    assert [c["limit"] for c in sel.cut] == ["max_bytes"] * 3
    assert all(0 < s.bytes <= 1000 for s in sel.slices)


def test_file_replaced_between_plan_and_bundle(rotated):
    base, lines, cut1, cut2 = rotated
    start, end = ref_ts(lines[cut2]), last_stamp(lines)
    sel = lsel.select([LogFile(base, named=False)], start, end, UTC)
    os.rename(base, base + ".old")
    write(base, lines[cut2:])
    with pytest.raises(LogWindowError, match="replaced while it was read"):
        b"".join(lsel.slice_chunks(sel.slices[0], start, end))
