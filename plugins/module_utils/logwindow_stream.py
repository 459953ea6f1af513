# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The window search in a stream (a gzip-compressed rotated log), which can only be read forwards.

Two passes over the same stream: plan_stream reads up to the first entry after the window and keeps
only counts and timestamps (no data, whatever the size of the window); stream_bytes reads again and
hands out exactly the bytes planned. Lines are read in pieces of at most LINE_PIECE bytes, so a line of
any length costs bounded memory; only a piece that starts a line is looked at for a timestamp.
Entries and the lines at the top of the file follow the same rules as in logwindow_search.
Pure standard library (Python 3.6+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_formats import stamp_text
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_search import HEAD_FIRST
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_search import HEAD_INCLUDE
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_search import Slice

LINE_PIECE = 65536
ORPHAN, FIRST, TAKE = "orphan", "first", "take"


def pieces(fh):
    """(piece, starts a line) over a binary stream, each piece at most LINE_PIECE bytes."""
    starts = True
    while True:
        piece = fh.readline(LINE_PIECE)
        if not piece:
            return
        yield piece, starts
        starts = piece.endswith(b"\n")


def walk(fh, parser, start, end, sl):
    """Events over a stream: (ORPHAN, piece, None) for the pieces before the first timestamped line;
    (FIRST, selected, None) when that line comes, selected telling whether it is in the window;
    (TAKE, piece, instant or None) for every piece of an entry in the window. Stops at the first entry
    after end. Sets sl.file_first, sl.file_last, and sl.eof when the stream was read to its end."""
    selected = False
    sl.eof = False
    for piece, starts in pieces(fh):
        ts = parser(piece.rstrip(b"\r\n")) if starts else None
        if ts is None:
            if sl.file_first is None:
                yield ORPHAN, piece, None
            elif selected:
                yield TAKE, piece, None
            continue
        first = sl.file_first is None
        if first:
            sl.file_first = ts
        sl.file_last = ts
        selected = start <= ts <= end
        if first:
            yield FIRST, selected, None
        if selected:
            yield TAKE, piece, ts
        elif ts > end:
            return
    sl.eof = True


class _Budget(object):
    """Bytes taken against a cap, remembering the last line end so that a cut falls on one."""

    def __init__(self, cap):
        self.cap = cap
        self.taken = 0
        self.line_end = 0
        self.full = False

    def take(self, piece):
        if self.cap is not None and self.taken + len(piece) > self.cap:
            self.full = True
            return False
        self.taken += len(piece)
        if piece.endswith(b"\n"):
            self.line_end = self.taken
        return True

    def kept(self):
        """Bytes kept: all that was taken, or when the cap was hit, up to the last line end within it
        (the whole cap when no line ended within it)."""
        return (self.line_end or self.cap) if self.full else self.taken


def plan_stream(fh, parser, start, end, max_bytes=None, head=HEAD_FIRST):
    """First pass: the Slice of [start, end] in a stream, with its size, first and last timestamps."""
    sl = Slice()
    sl.format = parser.fmt.name
    sl.compressed = True
    sl.head = head
    orphans = _Budget(max_bytes)
    budget = None
    stamped = None          # (instant, piece) of a timestamped line taken whose end is not taken yet
    last_piece = None
    for kind, piece, ts in walk(fh, parser, start, end, sl):
        if kind == ORPHAN:
            orphans.take(piece)
            continue
        if kind == FIRST:
            sl.head_taken = head == HEAD_INCLUDE or (head == HEAD_FIRST and piece)
            budget = orphans if sl.head_taken else _Budget(max_bytes)
            if budget.full:
                break
            continue
        if not budget.take(piece):
            break
        if ts is not None:
            stamped = (ts, piece)
        if stamped is not None and piece.endswith(b"\n"):
            last_piece = _confirm(sl, parser, stamped)
            stamped = None
    if budget is None:
        sl.skipped = "no timestamped line" if orphans.taken or orphans.full else "empty file"
        return sl
    if stamped is not None and (not budget.full or not budget.line_end):
        last_piece = _confirm(sl, parser, stamped)
    sl.bytes = budget.kept()
    sl.truncated = budget.full
    if last_piece is not None:
        sl.last_text = stamp_text(last_piece, parser)
    return sl


def _confirm(sl, parser, stamped):
    ts, piece = stamped
    if sl.first is None:
        sl.first = ts
        sl.first_text = stamp_text(piece, parser)
    sl.last = ts
    return piece


def stream_bytes(fh, parser, start, end, sl):
    """Second pass: the bytes plan_stream selected for sl, in pieces."""
    left = sl.bytes
    if not left:
        return
    for kind, piece, dummy_ts in walk(fh, parser, start, end, Slice()):
        if kind == FIRST or (kind == ORPHAN and not sl.head_taken):
            continue
        piece = piece[:left]
        left -= len(piece)
        yield piece
        if not left:
            return
