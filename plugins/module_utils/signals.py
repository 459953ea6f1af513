# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Signals that reach the process a scan saw, and nothing else.

Where the kernel has them (Linux >= 5.3), a pidfd is opened first and the process's identity (pid,
start time, executable) checked after: the pidfd then pins that very process, so a pid reused later
can never receive the signal (`signal_method: pidfd`). Elsewhere (older kernels, seccomp filters that
refuse the calls, other architectures on Python < 3.9) the identity is checked right before each
kill(2) (`signal_method: pid+start_time`), which leaves only the window between check and kill.

Python 3.9 has os.pidfd_open and signal.pidfd_send_signal; older ones reach the same system calls
through ctypes (434 and 424 on x86_64 and aarch64 alike).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ctypes
import errno
import os
import platform
import select
import signal
import time

from ansible_collections.alertops.remediation.plugins.module_utils import procfs

METHOD_PIDFD = "pidfd"
METHOD_GUARD = "pid+start_time"
POLL = 0.05
_SYSCALLS = {"x86_64": (434, 424), "aarch64": (434, 424)}  # pidfd_open, pidfd_send_signal
# No pidfd here: no such system call, a sandbox that refuses it, or a kernel that refuses the arguments.
_NO_PIDFD = (errno.ENOSYS, errno.EPERM, errno.EINVAL)
_libc = []


def _syscall(index, *args):
    numbers = _SYSCALLS.get(platform.machine())
    if numbers is None:
        raise OSError(errno.ENOSYS, "no pidfd system call numbers for %s" % platform.machine())
    if not _libc:
        _libc.append(ctypes.CDLL(None, use_errno=True))
    call = _libc[0].syscall
    call.restype = ctypes.c_long
    result = call(ctypes.c_long(numbers[index]), *[ctypes.c_long(a) for a in args])
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def syscall_pidfd_open(pid):
    return _syscall(0, pid, 0)


def syscall_pidfd_send_signal(pidfd, signum):
    _syscall(1, pidfd, signum, 0, 0)  # no siginfo, no flags


def pidfd_open(pid):
    """A pidfd for pid, or None where pidfds are not available; ProcessLookupError when pid is gone."""
    opener = getattr(os, "pidfd_open", syscall_pidfd_open)
    try:
        return opener(pid)
    except OSError as exc:
        if exc.errno == errno.ESRCH:
            raise ProcessLookupError(errno.ESRCH, "no process %d" % pid)
        if exc.errno in _NO_PIDFD:
            return None
        raise


def pidfd_send_signal(pidfd, signum):
    """Signal the process behind pidfd; ProcessLookupError once it has exited."""
    sender = getattr(signal, "pidfd_send_signal", syscall_pidfd_send_signal)
    try:
        sender(pidfd, signum)
    except OSError as exc:
        if exc.errno == errno.ESRCH:
            raise ProcessLookupError(errno.ESRCH, "the process has exited")
        raise


class Process(object):
    """One process as a scan saw it ({pid, start_time, exe, name}), to be signalled and waited for."""

    def __init__(self, identity, root=None):
        self.identity = identity
        self.root = root
        self.pidfd = None
        self.method = METHOD_GUARD

    def pin(self):
        """Take hold of the process; None when it is still the one the scan saw, else the reason not to
        signal it ("exited", or what changed)."""
        try:
            self.pidfd = pidfd_open(self.identity["pid"])
        except ProcessLookupError:
            return "exited since the scan"
        if self.pidfd is not None:
            self.method = METHOD_PIDFD
        if procfs.same_process(self.identity, self.root):
            return None
        self.close()
        return self.changed()

    def changed(self):
        """What differs from the scan's view of the process (it is not the one seen any more)."""
        current = procfs.process_identity(self.identity["pid"], self.root)
        if current is None:
            return "exited since the scan"
        if current["start_time"] != self.identity["start_time"]:
            return "pid reused by another process (%s) since the scan" % current["name"]
        if not procfs.still_running(self.identity, self.root):
            return "exited since the scan"
        return "now runs %s instead of %s (exec'd since the scan)" % (current["exe"], self.identity.get("exe"))

    def send(self, signum):
        """True when the signal was sent to the process seen; False when it has exited or (without a
        pidfd) is no longer that process. Other errors (EPERM) are raised."""
        if self.pidfd is not None:
            try:
                pidfd_send_signal(self.pidfd, signum)
            except ProcessLookupError:
                return False
            return True
        if not procfs.same_process(self.identity, self.root):
            return False
        try:
            os.kill(self.identity["pid"], signum)
        except ProcessLookupError:
            return False
        return True

    def running(self):
        """True until the process has exited (its descriptors, sockets included, are closed by then)."""
        if self.pidfd is not None:
            poller = select.poll()
            poller.register(self.pidfd, select.POLLIN)
            return not poller.poll(0)
        return procfs.still_running(self.identity, self.root)

    def close(self):
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None


def wait_gone(processes, seconds):
    """Wait until every process has exited or `seconds` have passed (one deadline for all of them);
    returns those still running."""
    deadline = time.monotonic() + seconds
    left = [p for p in processes if p.running()]
    while left and time.monotonic() < deadline:
        time.sleep(min(POLL, max(0.0, deadline - time.monotonic())))
        left = [p for p in left if p.running()]
    return left


def parse_signal(value, option="signal"):
    """A signal given by name (TERM, SIGTERM, any case) or number, in ASCII only -> its number."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if isinstance(text, str) and 0 < len(text) <= 16 and all(ord(c) < 128 for c in text):
        text = text.strip(" \t").upper()
        if text and all("0" <= c <= "9" for c in text):
            if len(text) <= 2 and int(text) in set(s.value for s in signal.Signals):
                return int(text)
        elif text and all("A" <= c <= "Z" or "0" <= c <= "9" for c in text):
            name = text if text.startswith("SIG") else "SIG" + text
            if hasattr(signal.Signals, name):
                return getattr(signal.Signals, name).value
    raise ValueError("%s: %r is not a signal name or number" % (option, value))


def signal_name(signum):
    return signal.Signals(signum).name
