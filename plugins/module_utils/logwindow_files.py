# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which files a log window reads, and how each one is opened.

``paths`` names files and globs; every file found brings its rotated siblings (``name.*``, ``name-*``)
as one rotation group. A path written literally in ``paths`` is *named*; a glob's hits and all siblings
are *found*. Both are opened through safefile (regular files only, never blocking, no link owned by
someone who could not read the file at its end), and:

  * a found file that is a symbolic link, a FIFO, a device or unreadable is skipped with its reason;
  * a named file that is a symbolic link is followed under safefile's rule (the operator named it), and a
    named file that cannot be read that way is an error: the operator asked for exactly that file.

Every later read of a file checks that it is still the file first opened (same device and inode).
Pure standard library (Python 3.6+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re

from ansible_collections.alertops.remediation.plugins.module_utils import safefile
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import LogWindowError

_GLOB_CHARS = re.compile(r"[*?\[]")
_NUMBER = re.compile(r"[0-9]+")
MAX_FILES = 4096


class Unusable(Exception):
    """A file that is not read; str() is the reason for the report."""


class LogFile(object):
    """One log file: its path, whether it was named, and (once opened) its identity."""

    def __init__(self, path, named=True):
        self.path = path
        self.named = named
        self.identity = None
        self.mtime = None

    def __repr__(self):
        return "LogFile(%r, named=%r)" % (self.path, self.named)

    def open(self):
        """A binary file object for reading. The first open checks the file (Unusable when it must be
        skipped, LogWindowError for a named file); later opens must find the same file."""
        try:
            fd, st, dummy_real = safefile.open_regular(self.path, follow=self.named)
        except safefile.Refused as exc:
            self._refuse(str(exc))
        except (IOError, OSError) as exc:
            self._refuse("cannot read: %s" % (exc.strerror or exc))
        identity = (st.st_dev, st.st_ino)
        if self.identity is None:
            self.identity = identity
            self.mtime = st.st_mtime
        elif identity != self.identity:
            os.close(fd)
            raise LogWindowError("%s was replaced while it was read: run again" % self.path)
        return os.fdopen(fd, "rb")

    def _refuse(self, reason):
        if self.identity is not None:
            raise LogWindowError("%s changed while it was read (%s): run again" % (self.path, reason))
        if self.named:
            raise LogWindowError("paths: %r: %s" % (self.path, reason))
        raise Unusable(reason)


def rotation_key(path):
    """Order of rotated generations: by the last number in the name (zookeeper.log.2 before .10)."""
    nums = _NUMBER.findall(os.path.basename(path))
    last = nums[-1].lstrip("0") if nums else ""
    return (len(last), last, path)


def _is_dir(path):
    try:
        return os.path.isdir(path)
    except ValueError:
        return False


def expand_groups(patterns, siblings=True):
    """Rotation groups (lists of LogFile) for patterns (paths or globs), and the patterns that matched
    no file. A file appears once, in its first group: the same real path for a regular file, the same
    path for a link (it is not followed, so its target may still come in on its own)."""
    seen = set()
    groups = []
    unmatched = []
    count = 0
    for pat in patterns:
        pat = os.path.expanduser(pat)
        named = not _GLOB_CHARS.search(pat)
        if named:
            hits = [pat] if os.path.lexists(pat) else []
        else:
            hits = sorted(glob.glob(pat))
        hits = [h for h in hits if not _is_dir(h)]
        if not hits:
            unmatched.append(pat)
            continue
        for hit in hits:
            group = [LogFile(hit, named=named)]
            if siblings:
                found = glob.glob(glob.escape(hit) + ".*") + glob.glob(glob.escape(hit) + "-*")
                group += [LogFile(p, named=False) for p in sorted(found, key=rotation_key)]
            members = []
            for member in group:
                if _is_dir(member.path):
                    continue
                key = os.path.realpath(member.path) if member.named or not os.path.islink(member.path) \
                    else os.path.abspath(member.path)
                if key in seen:
                    continue
                seen.add(key)
                members.append(member)
            count += len(members)
            if count > MAX_FILES:
                raise LogWindowError("paths: %r brings the number of files over %d; name fewer files"
                                     % (pat, MAX_FILES))
            if members:
                groups.append(members)
    return groups, unmatched


def member_name(path, compressed):
    """Name of a slice inside the bundle: its original path, relative, without .gz when decompressed."""
    name = os.path.abspath(path).lstrip("/")
    if compressed and name.endswith(".gz"):
        name = name[:-3]
    return name
