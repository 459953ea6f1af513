# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for the window search in one file: logwindow_search (binary search in a plain file) and
logwindow_stream (two passes over a gzip stream). Every selection is compared with reference_select,
an independent full linear scan."""
import datetime
import gzip
import os
import random
import shutil

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import logwindow_search as ls
from ansible_collections.alertops.remediation.plugins.module_utils import logwindow_stream as st
from tests.support.logsamples import TRACE
from tests.support.logsamples import ZK_PATTERN
from tests.support.logsamples import US
from tests.support.logsamples import gen_entries
from tests.support.logsamples import instant
from tests.support.logsamples import parser_for
from tests.support.logsamples import plain_bytes
from tests.support.logsamples import plain_slice
from tests.support.logsamples import ref_ts
from tests.support.logsamples import reference_select
from tests.support.logsamples import stream_select
from tests.support.logsamples import write
from tests.support.logsamples import zk_log
from tests.support.logsamples import zk_line


@pytest.fixture
def zkfile(tmp_path):
    return zk_log(tmp_path)


def gzip_copy(path):
    gz = path + ".gz"
    with open(path, "rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return gz


# ------------------------------------------------------------------------------------------------
# Binary search edges
# ------------------------------------------------------------------------------------------------

def test_window_before_first_line(zkfile):
    path, lines = zkfile
    start, end = instant(2026, 11, 21, 8, 0), instant(2026, 11, 21, 8, 59, 59)
    data, sl = plain_slice(path, start, end)
    assert sl.skipped == "outside the window" and sl.bytes == 0 and data == b""
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
    assert plain_bytes(path2, instant(2026, 11, 21, 9), instant(2026, 11, 21, 11)) == \
        zk_line(t, "only").rstrip("\n").encode()


def test_file_without_timestamps(tmp_path):
    path = write(str(tmp_path / "z.log"), [zk_line(datetime.datetime(2026, 11, 21), "x")])
    parser = parser_for(path)
    other = write(str(tmp_path / "plain.txt"), ["no stamp\n"] * 10)
    with open(other, "rb") as fh:
        sl = ls.slice_plain(fh, os.path.getsize(other), parser, 0, 10 ** 18)
    assert sl.skipped == "no timestamped line"
    with open(other, "rb") as fh:
        assert ls.slice_plain(fh, 0, parser, 0, 10 ** 18).skipped == "empty file"


def test_leading_orphans_go_with_first_entry(tmp_path):
    rng = random.Random(3)
    lines = gen_entries(datetime.datetime(2026, 11, 21, 9, 0, 0), 50, rng, head_orphans=3)
    path = write(str(tmp_path / "z.log"), lines)
    first = ref_ts(lines[3])
    got = plain_bytes(path, first, first + 3600 * US)
    assert got.startswith(b"\tat orphan")
    assert got == reference_select(lines, first, first + 3600 * US)
    assert not plain_bytes(path, first + 1, first + 3600 * US).startswith(b"\tat orphan")
    gz = gzip_copy(path)
    assert stream_select(gz, first, first + 3600 * US)[0] == got


def test_max_bytes_truncates_at_line_end(zkfile):
    path, lines = zkfile
    t0 = ref_ts(lines[0])
    start, end = t0, t0 + 3600 * US
    full = reference_select(lines, start, end)
    data, sl = plain_slice(path, start, end, max_bytes=5000)
    assert sl.truncated and 0 < sl.bytes <= 5000
    assert full.startswith(data) and data.endswith(b"\n")
    assert sl.last_text and ref_ts(data.decode().splitlines()[-1] + "\n") in (sl.last, None)
    gz_data, gz_sl = stream_select(path, start, end, max_bytes=5000)   # the stream path reads plain files too
    assert gz_sl.truncated and gz_data == data


def test_max_bytes_without_a_line_end_keeps_the_cap(tmp_path):
    t = datetime.datetime(2026, 11, 21, 10, 0, 0)
    lines = [zk_line(t, "long " + "y" * 300000), zk_line(t + datetime.timedelta(seconds=1), "next")]
    path = write(str(tmp_path / "z.log"), lines)
    data, sl = plain_slice(path, instant(2026, 11, 21), instant(2026, 11, 22), max_bytes=1000)
    assert sl.truncated and data == lines[0].encode()[:1000]
    assert stream_select(path, instant(2026, 11, 21), instant(2026, 11, 22), max_bytes=1000)[0] == data


def test_binary_search_reads_little(tmp_path):
    """The probes stay logarithmic: a 20 MB file is answered in a few dozen reads."""
    rng = random.Random(5)
    lines = gen_entries(datetime.datetime(2026, 11, 21, 0, 0, 0), 150000, rng, max_step_ms=800)
    path = write(str(tmp_path / "big.log"), lines)
    parser = parser_for(path)
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        probe = ls.Probe(fh, size, parser)
        target = ref_ts(lines[len(lines) // 2]) or ref_ts(lines[len(lines) // 2 + 5])
        probe.search(target)
    assert size > 10 * 2 ** 20
    assert probe.reads < 120


# ------------------------------------------------------------------------------------------------
# Property: binary search == streaming == full linear scan, byte for byte
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["auto", ZK_PATTERN], ids=["zookeeper", "pattern"])
def test_random_windows_equal_linear_scan(tmp_path, fmt):
    rng = random.Random(20261121)
    lines = gen_entries(datetime.datetime(2026, 11, 21, 9, 0, 0), 6000, rng, head_orphans=2)
    path = write(str(tmp_path / "z.log"), lines)
    gz = gzip_copy(path)
    stamps = [ref_ts(x) for x in lines if ref_ts(x) is not None]
    lo, hi = stamps[0] - 120 * US, stamps[-1] + 120 * US
    for dummy in range(300 if fmt == "auto" else 100):
        kind = rng.randrange(3)
        if kind == 0:          # arbitrary instants
            a, b = sorted(rng.randrange(lo, hi) for dummy in range(2))
        elif kind == 1:        # exactly on line timestamps (inclusive edges)
            a, b = sorted(rng.choice(stamps) for dummy in range(2))
        else:                  # one microsecond around a timestamp
            s = rng.choice(stamps)
            a, b = s + rng.choice([-1, 0, 1]), s + rng.choice([0, 1, 10 ** 6])
        expected = reference_select(lines, a, b)
        assert plain_bytes(path, a, b, fmt=fmt) == expected, (a, b)
        if kind == 0 and rng.randrange(5) == 0 and fmt == "auto":
            assert stream_select(gz, a, b)[0] == expected


def test_gz_stream_equals_plain(zkfile):
    path, lines = zkfile
    gz = gzip_copy(path)
    t0 = ref_ts(lines[0])
    for start, end in [(t0 + 600 * US, t0 + 1800 * US), (t0 - US, t0), (t0 + 10 ** 12, t0 + 10 ** 13)]:
        data, sl = stream_select(gz, start, end)
        plain, psl = plain_slice(path, start, end)
        assert data == plain == reference_select(lines, start, end)
        assert (sl.first, sl.last, sl.first_text, sl.last_text) == (psl.first, psl.last, psl.first_text,
                                                                    psl.last_text)


# ------------------------------------------------------------------------------------------------
# Long stretches without a line break, or without a timestamp: linear work, bounded pieces
# ------------------------------------------------------------------------------------------------

class CountingFile(object):
    """A file object that counts the bytes handed out by read()."""

    def __init__(self, fh):
        self.fh = fh
        self.read_bytes = 0

    def seek(self, *args):
        return self.fh.seek(*args)

    def tell(self):
        return self.fh.tell()

    def read(self, n=-1):
        data = self.fh.read(n)
        self.read_bytes += len(data)
        return data

    def readline(self, n=-1):
        data = self.fh.readline(n)
        self.read_bytes += len(data)
        return data


def long_line_log(path, stretch, newlines=False):
    """Stamped lines, then one line of ``stretch`` bytes (or that many bytes of short lines without a
    timestamp), then stamped lines again."""
    t = datetime.datetime(2026, 11, 21, 9, 0, 0)
    lines = [zk_line(t + datetime.timedelta(seconds=i), "before %d" % i) for i in range(300)]
    if newlines:
        lines += ["\tat a.b.C.d(C.java:1)\n"] * (stretch // 22)
    else:
        lines.append(zk_line(t + datetime.timedelta(seconds=300), "a huge line: ").rstrip("\n") + "x" * stretch + "\n")
    lines += [zk_line(t + datetime.timedelta(seconds=301 + i), "after %d" % i) for i in range(300)]
    write(path, lines)
    return lines


@pytest.mark.parametrize("fmt", ["auto", ZK_PATTERN], ids=["zookeeper", "pattern"])
@pytest.mark.parametrize("newlines", [False, True])
def test_search_reads_each_byte_a_bounded_number_of_times(tmp_path, newlines, fmt):
    path = str(tmp_path / "long.log")
    lines = long_line_log(path, 2 ** 20, newlines)
    size = os.path.getsize(path)
    parser = parser_for(path, fmt=fmt)
    with open(path, "rb") as raw:
        fh = CountingFile(raw)
        probe = ls.Probe(fh, size, parser, parser.fmt.lead)
        for line in lines[250:310] + lines[-60:]:
            ts = ref_ts(line)
            if ts is None:
                continue
            probe.search(ts)
            probe.search(ts + 1)
        probe.last_stamp_before(size)
        probe.last_stamp_before(size - 4000, 1000)
    assert fh.read_bytes <= 3 * size, (fh.read_bytes, size)
    start, end = ref_ts(lines[299]), ref_ts(lines[-299])
    assert plain_bytes(path, start, end, fmt=fmt) == reference_select(lines, start, end)
    # A window that ends inside the stretch, and a file that ends with it.
    assert plain_bytes(path, start, ref_ts(lines[299]) + 1, fmt=fmt) == reference_select(lines, start, start + 1)
    tail = str(tmp_path / "tail.log")
    head = lines[:301 if not newlines else len(lines) - 300]
    write(tail, head)
    assert plain_bytes(tail, start, end, fmt=fmt) == reference_select(head, start, end)


def test_stream_hands_out_bounded_pieces_of_a_long_line(tmp_path):
    path = str(tmp_path / "long.log")
    lines = long_line_log(path, 4 * 2 ** 20)
    gz = gzip_copy(path)
    start, end = ref_ts(lines[299]), ref_ts(lines[302])
    parser = parser_for(path)
    with gzip.open(gz, "rb") as fh:
        sl = st.plan_stream(fh, parser, start, end)
    with gzip.open(gz, "rb") as fh:
        pieces = list(st.stream_bytes(fh, parser, start, end, sl))
    assert max(len(p) for p in pieces) <= st.LINE_PIECE
    assert b"".join(pieces) == reference_select(lines, start, end)
    assert sl.first_text == "2026-11-21 09:04:59,000" and sl.last_text == "2026-11-21 09:05:02,000"
