# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reads and runs with bounds: a command under one deadline, the tail of a regular file only.

A control script that hangs must not hang the module, and a log path that is a FIFO, a device or a
symbolic link (possibly to a file the caller could not read) must never be opened through: modules
run as root.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import os
import selectors
import signal
import stat
import subprocess
import time

OUTPUT_LIMIT = 64 * 1024
KILL_GRACE = 2.0
TAIL_BYTES = 64 * 1024
# A command that has exited but whose children (a daemon it started) keep its pipes open: stop reading
# after this much silence, as ansible's run_command does.
SETTLE = 1.0


class CommandTimeout(Exception):
    """The command outlived its deadline; its process group was killed."""

    def __init__(self, argv, seconds, out, err):
        Exception.__init__(self, "%s did not finish within %.1fs; its process group was killed" % (
            " ".join(argv), seconds))
        self.out, self.err = out, err


def _kill_group(proc):
    """SIGKILL the command's process group, then wait (at most KILL_GRACE) until none of it is left:
    a killed process takes a moment to exit, and a caller may look for it right after."""
    deadline = time.monotonic() + KILL_GRACE
    try:
        os.killpg(proc.pid, signal.SIGKILL)
        while time.monotonic() < deadline:
            if proc.poll() is None:
                time.sleep(0.02)
                continue
            os.killpg(proc.pid, 0)  # ProcessLookupError once no member is left
            time.sleep(0.02)
    except (ProcessLookupError, PermissionError):
        pass  # the group is gone


def run(argv, cwd, seconds, stdin=None, env=None):
    """Run argv (a list; no shell) in a process group of its own, under one deadline of `seconds`.

    stdin: text fed to the command (written as it reads it, under the same deadline), else it reads
    /dev/null. env: its environment (default: this process's).
    Returns (rc, stdout, stderr) as text, each cut to its last OUTPUT_LIMIT bytes. Raises OSError when
    it cannot be started and CommandTimeout (after killing the whole group) when it runs too long.
    """
    deadline = time.monotonic() + seconds
    proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True,
                            start_new_session=True, env=env)
    output = {proc.stdout: b"", proc.stderr: b""}
    selector = selectors.DefaultSelector()
    for pipe in output:
        selector.register(pipe, selectors.EVENT_READ)
    feed = _Feed(proc.stdin, stdin, selector) if stdin is not None else None
    exited_at = None
    try:
        while selector.get_map():
            now = time.monotonic()
            if now >= deadline:
                _kill_group(proc)
                raise CommandTimeout(argv, seconds, *_texts(proc, output))
            if proc.poll() is not None:
                exited_at = exited_at or now
                if now - exited_at >= SETTLE:
                    break
            for key, _event in selector.select(min(0.2, deadline - now)):
                if feed is not None and key.fileobj is proc.stdin:
                    feed.write()
                    continue
                chunk = os.read(key.fileobj.fileno(), 65536)
                if chunk:
                    output[key.fileobj] = (output[key.fileobj] + chunk)[-OUTPUT_LIMIT:]
                else:
                    selector.unregister(key.fileobj)
        try:
            proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise CommandTimeout(argv, seconds, *_texts(proc, output))
    finally:
        selector.close()
        for pipe in list(output) + ([proc.stdin] if proc.stdin else []):
            pipe.close()
        if proc.poll() is None:
            proc.wait()  # killed above: reap it
    out, err = _texts(proc, output)
    return proc.returncode, out, err


class _Feed(object):
    """The command's input, written whenever its pipe takes more (never blocking on a command that does
    not read), closed once all is written or the command is gone."""

    def __init__(self, pipe, text, selector):
        self.pipe, self.data, self.selector = pipe, memoryview(text.encode("utf-8")), selector
        os.set_blocking(pipe.fileno(), False)
        selector.register(pipe, selectors.EVENT_WRITE)

    def write(self):
        try:
            self.data = self.data[os.write(self.pipe.fileno(), self.data[:65536]):]
        except BlockingIOError:
            return
        except (BrokenPipeError, ConnectionResetError):
            self.data = self.data[:0]  # it exited without reading: its status and output say why
        if not self.data:
            self.selector.unregister(self.pipe)
            self.pipe.close()


def _texts(proc, output):
    return (output[proc.stdout].decode("utf-8", "replace"), output[proc.stderr].decode("utf-8", "replace"))


def tail(path, lines, limit=TAIL_BYTES):
    """The last `lines` lines of a regular file (from its last `limit` bytes), never following a
    symbolic link (the file's or its directory's) and never blocking on a FIFO or device.
    Returns (lines, None) or ([], reason)."""
    try:
        parent = os.open(os.path.dirname(path) or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            return [], "its directory is a symbolic link: not followed"
        return [], "unreadable: %s" % exc.strerror
    try:
        fd = os.open(os.path.basename(path), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY,
                     dir_fd=parent)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return [], "a symbolic link: not followed"
        return [], "unreadable: %s" % exc.strerror
    finally:
        os.close(parent)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return [], "not a regular file: not read"
        os.lseek(fd, max(0, info.st_size - limit), os.SEEK_SET)
        data = b""
        while len(data) < limit:
            chunk = os.read(fd, limit - len(data))
            if not chunk:
                break
            data += chunk
    except OSError as exc:
        return [], "unreadable: %s" % exc.strerror
    finally:
        os.close(fd)
    return (data.decode("utf-8", "replace").splitlines()[-lines:] if lines else []), None
