# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The window over many files: which slice each file gives, within a cap per file and a cap for all.

Within a rotation group the files are taken oldest first (by their first timestamp), so that lines at
the top of a file without a timestamp (an entry continued from the previous generation) follow that
entry in or out of the window. Files are planned in order and each may use what the total cap leaves;
a file that no longer fits is cut at a line end, the files after it are not read, and both are listed
in ``cut``. Pure standard library (Python 3.6+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import gzip
import os
import zlib

from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_files import LogFile
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_files import Unusable
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_files import member_name
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_formats import make_parser
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_search import HEAD_EXCLUDE
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_search import HEAD_FIRST
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_search import HEAD_INCLUDE
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_search import iter_range
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_search import slice_plain
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_stream import plan_stream
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_stream import stream_bytes
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import US
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import LogWindowError

GZ_MTIME_SLACK = 86400
SAMPLE_BYTES = 65536
# What reading a damaged gzip stream raises, depending on where the damage is.
GZIP_ERRORS = (IOError, OSError, EOFError, zlib.error)


class Selection(object):
    """The slices planned, the files left out with the reason, what the caps cut, and the warnings."""

    def __init__(self):
        self.slices = []
        self.skipped = []
        self.cut = []
        self.warnings = []

    def skip(self, path, reason, warn=False):
        self.skipped.append({"path": path, "reason": reason})
        if warn:
            self.warnings.append("%s: %s, skipped" % (path, reason))


class _Candidate(object):
    def __init__(self, log, parser, compressed, mtime, first):
        self.log = log
        self.parser = parser
        self.compressed = compressed
        self.mtime = mtime
        self.first = first


def _gzip(fh):
    return gzip.GzipFile(filename="", mode="rb", fileobj=fh)


def _first_stamp(sample, parser):
    for line in sample.split(b"\n")[:-1] or sample.split(b"\n"):
        ts = parser(line)
        if ts is not None:
            return ts
    return None


def _gunzip(read, *args):
    """read(*args) over a gzip stream, a damaged stream being a reason to skip the file."""
    try:
        return read(*args)
    except GZIP_ERRORS as exc:
        raise Unusable("corrupt gzip data (%s)" % exc)


def _read(log, sel, what):
    """what(file object) on the opened file; None, with the file skipped and the reason, when it cannot
    be used. A named file that cannot be read is an error."""
    try:
        with log.open() as fh:
            return what(fh)
    except Unusable as exc:
        sel.skip(log.path, str(exc), warn=True)
    except (IOError, OSError) as exc:       # a read failed after the open (EIO, a vanished mount)
        if log.named:
            raise LogWindowError("paths: %r: cannot read: %s" % (log.path, exc.strerror or exc))
        sel.skip(log.path, "cannot read: %s" % (exc.strerror or exc), warn=True)
    return None


def _look(log, zone, fmt_spec, sel):
    """A first look at a file: its format and first timestamp; None when it is skipped."""
    def sample(fh):
        st = os.fstat(fh.fileno())
        compressed = fh.read(2) == b"\x1f\x8b"
        fh.seek(0)
        data = _gunzip(_gzip(fh).read, SAMPLE_BYTES) if compressed else fh.read(SAMPLE_BYTES)
        return st.st_mtime, compressed, data

    looked = _read(log, sel, sample)
    if looked is None:
        return None
    mtime, compressed, data = looked
    if not data:
        sel.skip(log.path, "empty file")
        return None
    parser = make_parser(fmt_spec, zone, sample=data, ref=mtime)
    if parser is None:
        sel.skip(log.path, "no recognised timestamp format", warn=True)
        return None
    first = _first_stamp(data, parser)
    return _Candidate(log, parser, compressed, mtime, first if first is not None else -1)


def _plan(cand, start, end, cap, head, sel):
    """The Slice of one file; None when it is skipped."""
    def plan(fh):
        if cand.compressed:
            return _gunzip(plan_stream, _gzip(fh), cand.parser, start, end, cap, head)
        return slice_plain(fh, os.fstat(fh.fileno()).st_size, cand.parser, start, end, max_bytes=cap, head=head)

    return _read(cand.log, sel, plan)


def select(paths, start, end, zone, fmt_spec="auto", max_bytes=None, max_total_bytes=None):
    """Plan the slices of every file for [start, end]. ``paths`` holds files (LogFile or path) or
    rotation groups (lists of them, see logwindow_files.expand_groups). Reads only what it needs: the
    probes of the binary search for plain files, one streaming pass that stops after the window for
    .gz files. Returns a Selection; raises LogWindowError for a named file that cannot be read."""
    groups = [p if isinstance(p, (list, tuple)) else [p] for p in paths]
    sel = Selection()
    room = max_total_bytes
    for group in groups:
        looks = [_look(f if isinstance(f, LogFile) else LogFile(f), zone, fmt_spec, sel) for f in group]
        cands = sorted((c for c in looks if c is not None), key=lambda c: c.first)
        previous_in = None      # None: no previous generation; else was its last entry in the window
        for cand in cands:
            path = cand.log.path
            head = HEAD_FIRST if previous_in is None else (HEAD_INCLUDE if previous_in else HEAD_EXCLUDE)
            if room is not None and room <= 0:
                sel.skip(path, "not read: the bundle reached max_total_bytes=%d" % max_total_bytes)
                sel.cut.append({"path": path, "limit": "max_total_bytes", "bytes_kept": 0})
                continue
            if cand.compressed and (cand.mtime + GZ_MTIME_SLACK) * US < start:
                sel.skip(path, "compressed file last modified more than a day before the window")
                previous_in = False
                continue
            caps = [c for c in (max_bytes, room) if c is not None]
            cap = min(caps) if caps else None
            sl = _plan(cand, start, end, cap, head, sel)
            if sl is None:
                previous_in = None
                continue
            sl.path, sl.log, sl.parser, sl.head = path, cand.log, cand.parser, head
            if sl.file_first is not None:
                previous_in = bool(sl.eof and sl.file_last is not None and start <= sl.file_last <= end)
            if sl.skipped:
                sel.skip(path, sl.skipped)
            elif not sl.bytes:
                sel.skip(path, "nothing in the window")
            else:
                sel.slices.append(sl)
                if room is not None:
                    room -= sl.bytes
            if sl.truncated:
                sl.truncated_by = "max_bytes" if cap == max_bytes else "max_total_bytes"
                sel.cut.append({"path": path, "limit": sl.truncated_by, "bytes_kept": sl.bytes})
                if sl.truncated_by == "max_total_bytes":
                    room = 0
    _name_members(sel.slices)
    return sel


def _name_members(slices):
    used = set()
    for sl in slices:
        name = member_name(sl.path, sl.compressed)
        while name in used or name == "MANIFEST.json":
            name += ".dup"
        used.add(name)
        sl.member = name


def slice_chunks(sl, start, end):
    """The bytes of a planned slice, in chunks, read again from the same file (a second streaming pass
    for .gz files)."""
    with sl.log.open() as fh:
        if sl.compressed:
            yield from stream_bytes(_gzip(fh), sl.parser, start, end, sl)
        else:
            yield from iter_range(fh, sl.start_off, sl.end_off)
