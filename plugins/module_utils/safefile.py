# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Open a file for reading on a managed host without being tricked into reading what its planter could not.

Modules run as root, and the files they read often sit in directories that service users write. A
service user can put a symbolic link, a FIFO or a device where a log is expected; root would then read
/var/log/secure into a bundle, block forever on the FIFO or read /dev/zero without end. The rules:

  * Only regular files are opened, with O_NONBLOCK (opening a FIFO never waits) and fstat afterwards.
  * A symbolic link on the path (the file itself or any directory above it) is followed only when its
    owner is root, the module's own user, or a user who could read the file it leads to (search on every
    directory above the file and read on the file, by the mode bits). ``follow=False`` refuses a link
    as the last component whoever owns it (rotated siblings found by a glob are never followed).
  * The descriptor opened must be the file that was checked (same device and inode), so a link swapped
    in between the check and the open is caught.
  * Hard links are left to the kernel: with fs.protected_hardlinks (the default on current
    distributions) a user cannot link a file they could not read and write.

Pure standard library (Python 3.6+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import stat

try:
    import pwd
except ImportError:  # pragma: no cover - not a POSIX host
    pwd = None

MAX_LINK_HOPS = 40

_KINDS = (
    (stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"), (stat.S_ISDIR, "directory"), (stat.S_ISLNK, "symbolic link"),
)


class Refused(Exception):
    """The file was not opened; str() is the reason, written for a report."""


def file_kind(mode):
    """'regular file', 'fifo', 'socket', ... for an st_mode."""
    if stat.S_ISREG(mode):
        return "regular file"
    for test, name in _KINDS:
        if test(mode):
            return name
    return "special file"


def resolve(path):
    """(real path, [(link, owner uid)]) for an absolute or relative path, walking it component by
    component as the kernel does and recording every symbolic link met. Raises OSError (ENOENT,
    ELOOP, ...) as open() would."""
    pending = os.path.abspath(path).split("/")[1:]
    pending.reverse()
    current = "/"
    links = []
    while pending:
        name = pending.pop()
        if name in ("", "."):
            continue
        if name == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, name)
        st = os.lstat(candidate)
        if not stat.S_ISLNK(st.st_mode):
            current = candidate
            continue
        if len(links) >= MAX_LINK_HOPS:
            raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), path)
        links.append((candidate, st.st_uid))
        target = os.readlink(candidate)
        if target.startswith("/"):
            current = "/"
        parts = target.split("/")
        parts.reverse()
        pending.extend(parts)
    return current, links


def _groups(uid):
    if pwd is None:
        return set()
    try:
        entry = pwd.getpwuid(uid)
    except KeyError:        # no such user: only the bits for others apply
        return set()
    try:
        return set(os.getgrouplist(entry.pw_name, entry.pw_gid))
    except OSError:
        return set([entry.pw_gid])


_SEARCH = (stat.S_IXUSR, stat.S_IXGRP, stat.S_IXOTH)
_READ = (stat.S_IRUSR, stat.S_IRGRP, stat.S_IROTH)
_WRITE_IN = (stat.S_IWUSR | stat.S_IXUSR, stat.S_IWGRP | stat.S_IXGRP, stat.S_IWOTH | stat.S_IXOTH)


def _allowed(st, uid, gids, bits):
    user, group, other = bits
    want = user if st.st_uid == uid else (group if st.st_gid in gids else other)
    return st.st_mode & want == want


def _may(uid, real, st, bits):
    """Whether uid has bits on real (a path without links) and search on every directory above it, by
    the mode bits. ACL entries are not consulted, so the answer errs towards no."""
    if uid == 0:
        return True
    gids = _groups(uid)
    directory = real
    while directory != "/":
        directory = os.path.dirname(directory)
        if not _allowed(os.stat(directory), uid, gids, _SEARCH):
            return False
    return _allowed(st if st is not None else os.stat(real), uid, gids, bits)


def may_read(uid, real, st=None):
    """Whether uid could read the file at real (a path without links)."""
    return _may(uid, real, st, _READ)


def may_write_in(uid, real, st=None):
    """Whether uid could create files in the directory at real (a path without links)."""
    return _may(uid, real, st, _WRITE_IN)


def _check_links(links, real, st, allowed, what):
    trusted = (0, os.geteuid())
    for link, uid in links:
        if uid not in trusted and not allowed(uid, real, st):
            raise Refused("reached through a symbolic link owned by %s (%s), who cannot %s %s: not followed"
                          % (user_name(uid), link, what, real))


def user_name(uid):
    if pwd is not None:
        try:
            return "uid %d (%s)" % (uid, pwd.getpwuid(uid).pw_name)
        except KeyError:
            pass
    return "uid %d" % uid


def open_regular(path, follow=True):
    """(fd, fstat result, real path) of the regular file at path, opened read-only and non-blocking.

    Raises Refused when a rule above forbids it and OSError when the file cannot be opened. The caller
    closes the descriptor."""
    first = os.lstat(path)
    if stat.S_ISLNK(first.st_mode):
        if not follow:
            raise Refused("symbolic link, not followed")
    elif not stat.S_ISREG(first.st_mode):
        raise Refused("not a regular file (%s)" % file_kind(first.st_mode))
    real, links = resolve(path)
    st = os.stat(real)
    if not stat.S_ISREG(st.st_mode):
        raise Refused("not a regular file (%s)" % file_kind(st.st_mode))
    _check_links(links, real, st, may_read, "read")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(real, flags)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
            raise Refused("replaced while it was opened: not read")
    except BaseException:
        os.close(fd)
        raise
    return fd, opened, real


def read_bounded(path, limit, follow=True):
    """The whole content of a small regular file (at most limit bytes), opened by open_regular.
    Raises Refused for a larger file."""
    fd = open_regular(path, follow=follow)[0]
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise Refused("larger than %d bytes: not read" % limit)
    return data


def open_directory(path):
    """(fd, real path) of the directory at path, for creating files in it relative to the descriptor
    (os.open(..., dir_fd=fd)), so that a link swapped in later changes nothing. A symbolic link on the
    way must be owned by root, the module's user, or a user who could create files there himself.
    Raises Refused or OSError; the caller closes the descriptor."""
    real, links = resolve(path)
    st = os.stat(real)
    if not stat.S_ISDIR(st.st_mode):
        raise Refused("not a directory (%s)" % file_kind(st.st_mode))
    _check_links(links, real, st, may_write_in, "create files in")
    fd = os.open(real, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    opened = os.fstat(fd)
    if (opened.st_dev, opened.st_ino) != (st.st_dev, st.st_ino):
        os.close(fd)
        raise Refused("replaced while it was opened: not used")
    return fd, real
