# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The window search in an uncompressed, time-ordered log: a binary search over byte offsets for the
first and last entry of [start, end], then only those bytes are read.

Vocabulary: an *entry* is a timestamped line plus the lines without a timestamp that follow it (stack
traces); it is selected or not as a whole, by its first line's timestamp. Lines before the first
timestamped line of a file (the tail of an entry begun in the previous rotated file) go with the file's
first entry, as ``head`` decides.

The work is linear in the worst case and logarithmic in the usual one: reads go through a 64 KiB
read-ahead window, a line's timestamp is looked for in its first LINE_HEAD bytes, and each forward scan
is remembered as a stretch of offsets that all lead to the same timestamped line, so however long the
lines or the runs of lines without a timestamp, no byte is scanned twice by one search.
Pure standard library (Python 3.6+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import bisect
import re

from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_formats import LINE_HEAD
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_formats import stamp_text
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import iso_utc

HEAD_FIRST, HEAD_INCLUDE, HEAD_EXCLUDE = "first", "include", "exclude"
CACHE = 65536


class Slice(object):
    """What a window selects in one file."""

    def __init__(self, path=None):
        self.path = path
        self.log = None
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
        self.truncated_by = None
        self.skipped = None
        self.file_first = None
        self.file_last = None
        self.sha256 = None
        self.parser = None
        self.member = None
        self.head = HEAD_FIRST
        self.head_taken = False
        self.eof = False

    def as_dict(self):
        return {
            "path": self.path, "compressed": self.compressed, "format": self.format,
            "bytes": self.bytes, "lines": self.lines, "truncated": self.truncated,
            "truncated_by": self.truncated_by,
            "first_timestamp": self.first_text, "last_timestamp": self.last_text,
            "first_utc": iso_utc(self.first), "last_utc": iso_utc(self.last),
            "sha256": self.sha256,
        }


class Probe(object):
    """Random access to the line starts and timestamped lines of the first ``size`` bytes of a file.

    ``lead`` (a byte class, see logwindow_formats.Format) lets the scans pass over lines that cannot
    start with a timestamp without looking at each of them in Python."""

    def __init__(self, fh, size, parse, lead=None):
        self.fh = fh
        self.size = size
        self.parse = parse
        self._lead = re.compile(b"\n" + lead) if lead else None
        self.reads = 0
        self._cstart = 0
        self._cbuf = b""
        # Scanned stretches: every offset in [_from[i], _answer[i][0]] leads to _answer[i].
        self._from = []
        self._answer = []

    def _fill(self, pos):
        self.fh.seek(pos)
        self._cbuf = self.fh.read(min(CACHE, self.size - pos))
        self._cstart = pos
        self.reads += 1

    def _cached(self, pos):
        return self._cstart <= pos < self._cstart + len(self._cbuf)

    def _eol(self, pos, limit):
        """Offset of the first line break in [pos, limit), or limit (at most size) when there is none."""
        limit = min(limit, self.size)
        while pos < limit:
            if not self._cached(pos):
                self._fill(pos)
                if not self._cbuf:
                    return limit
            rel = self._cbuf.find(b"\n", pos - self._cstart, limit - self._cstart)
            if rel >= 0:
                return self._cstart + rel
            pos = self._cstart + len(self._cbuf)
        return limit

    def _last_nl(self, lo, hi):
        """Offset of the last line break in [lo, hi), or None."""
        hi = min(hi, self.size)
        while hi > lo:
            if not self._cached(hi - 1):
                self._fill(max(lo, hi - CACHE))
                if not self._cached(hi - 1):
                    return None
            low = max(lo, self._cstart)
            rel = self._cbuf.rfind(b"\n", low - self._cstart, hi - self._cstart)
            if rel >= 0:
                return self._cstart + rel
            hi = low
        return None

    def _next_start(self, pos, stop):
        """The first line start after pos and before stop that may hold a timestamp; stop when none."""
        limit = min(stop, self.size)
        if self._lead is None:
            nxt = self._eol(pos, limit - 1) + 1
            return nxt if nxt < limit else stop
        while pos < limit - 1:
            if not (self._cstart <= pos and pos + 1 < self._cstart + len(self._cbuf)):
                self._fill(pos)
                if len(self._cbuf) < 2:
                    break
            c0 = self._cstart
            m = self._lead.search(self._cbuf, pos - c0, limit - c0)
            if m:
                return c0 + m.start() + 1
            # A line break at the end of the window may have its first byte in the next one.
            pos = c0 + len(self._cbuf) - 1
        return stop

    def head(self, pos):
        """The first LINE_HEAD bytes of the line starting at pos, without its line break."""
        want = min(LINE_HEAD, self.size - pos)
        rel = pos - self._cstart
        if not (self._cached(pos) and (pos + want <= self._cstart + len(self._cbuf)
                                       or self._cbuf.find(b"\n", rel, rel + want) >= 0)):
            self._fill(pos)
        rel = pos - self._cstart
        data = self._cbuf[rel:rel + want]
        nl = data.find(b"\n")
        return data if nl < 0 else data[:nl]

    def next_stamp(self, off):
        """(offset, instant) of the first timestamped line starting at or after off; (size, None)
        when there is none."""
        off = max(0, off)
        i = bisect.bisect_right(self._from, off) - 1
        if i >= 0 and off <= self._answer[i][0]:
            return self._answer[i]
        j = i + 1
        known = j < len(self._from)
        stop = self._from[j] if known else self.size + 1
        pos = 0 if off == 0 else self._next_start(off - 1, stop)
        while True:
            if pos >= stop:
                answer = self._answer[j] if known else (self.size, None)
                break
            if pos >= self.size:
                answer = (self.size, None)
                break
            ts = self.parse(self.head(pos))
            if ts is not None:
                answer = (pos, ts)
                break
            pos = self._next_start(pos, stop)
        if known and self._answer[j] == answer:
            self._from[j] = off
        else:
            self._from.insert(j, off)
            self._answer.insert(j, answer)
        return answer

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
        """(instant, line head) of the last timestamped line starting before offset end and at or after
        floor (a line start); (None, None) when there is none. Reads backwards."""
        if self._lead is not None:
            return self._last_with_lead(end, floor)
        hi = min(end, self.size)
        while hi > floor:
            nl = self._last_nl(floor, hi - 1)
            start = floor if nl is None else nl + 1
            line = self.head(start)
            ts = self.parse(line)
            if ts is not None:
                return ts, line
            hi = start
        return None, None

    def _last_with_lead(self, end, floor):
        """last_stamp_before over the line starts that may hold a timestamp, window by window."""
        hi = min(end, self.size)
        while hi > floor + 1:
            low = max(floor, hi - CACHE)
            self._fill(low)
            starts = [low + m.start() + 1 for m in self._lead.finditer(self._cbuf, 0, hi - low)]
            for start in reversed(starts):
                line = self.head(start)
                ts = self.parse(line)
                if ts is not None:
                    return ts, line
            if low == floor:
                break
            # Overlap by one byte: the line starting at low has its line break just before it.
            hi = low + 1
        if floor < min(end, self.size):
            line = self.head(floor)
            ts = self.parse(line)
            if ts is not None:
                return ts, line
        return None, None

    def cut(self, start, cap):
        """End offset of the first cap bytes from start, moved back to just after a line break when
        there is one in them."""
        nl = self._last_nl(start, start + cap)
        return start + cap if nl is None else nl + 1


def slice_plain(fh, size, parser, start, end, max_bytes=None, head=HEAD_FIRST):
    """Select [start, end] in the first ``size`` bytes of an uncompressed file: O(log size) probes,
    then the slice's bounds (the bytes are read later, see iter_range). Returns a Slice.

    ``head`` decides the lines before the file's first timestamp (the tail of an entry begun in the
    previous rotated file): HEAD_INCLUDE when that entry is in the window, HEAD_EXCLUDE when it is not,
    HEAD_FIRST (no previous file known) to keep them with the file's first entry."""
    sl = Slice()
    sl.format = parser.fmt.name
    probe = Probe(fh, size, parser, parser.fmt.lead)
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
        e_off = probe.cut(s_off, max_bytes)
        sl.truncated = True
    sl.start_off, sl.end_off = s_off, e_off
    sl.bytes = e_off - s_off
    # First and last timestamps inside the slice.
    f_off, first = probe.next_stamp(s_off)
    if f_off < e_off:
        sl.first = first
        sl.first_text = stamp_text(probe.head(f_off), parser)
    sl.last, last_line = probe.last_stamp_before(e_off, s_off)
    if last_line is not None:
        sl.last_text = stamp_text(last_line, parser)
    return sl


def iter_range(fh, start_off, end_off, bufsize=1 << 20):
    """The bytes [start_off, end_off) of a file object, in chunks."""
    fh.seek(start_off)
    left = end_off - start_off
    while left > 0:
        chunk = fh.read(min(bufsize, left))
        if not chunk:
            break
        left -= len(chunk)
        yield chunk
