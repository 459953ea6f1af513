# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read a file a module was pointed at without letting it hang or flood the module.

Opened non-blocking (a FIFO would block a plain open), checked to be a regular file on the open handle
(no FIFO, device, socket or directory, whatever a path or link said before the open), read up to a
bound. Links are followed with the caller's own rights: a link only reaches what the caller may read.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import stat


class NotRegularFileError(ValueError):
    """The path is not a regular file, or is larger than allowed."""


def read_regular_file(path, limit):
    """Bytes of the regular file ``path`` (at most ``limit`` of them).

    Raises OSError when it cannot be opened or read, NotRegularFileError when it is not a regular file
    or holds more than ``limit`` bytes.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegularFileError("%s is not a regular file" % path)
        chunks = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise NotRegularFileError("%s is larger than %d bytes" % (path, limit))
    return b"".join(chunks)
