# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attempt ledger: which alert episodes already ran a remediation, and how often each target was tried.

ansible-rulebook's throttle only knows "once within a window": it cannot tell a repeat of one firing
episode from a new episode, and it cannot count. The routing step (action plugin alert_route) consults
this ledger on the controller, under an exclusive file lock, before a remediation runs:

* a repeat of an episode already remediated (same alert name, Alertmanager fingerprint and startsAt)
  is a duplicate: nothing runs;
* a target (runbook + hosts of the run) tried max_attempts times within the window needs a human:
  nothing runs until the oldest of those attempts leaves the window;
* otherwise the attempt is recorded and the remediation runs.

``judge`` is the decision (pure); ``AttemptLedger`` is the locked file around it.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import errno
import fcntl
import json
import os
import stat
import time

VERDICT_RUN = "run"
VERDICT_DUPLICATE = "duplicate"
VERDICT_NEEDS_HUMAN = "needs human"
# Episodes are remembered this long (Alertmanager repeats a firing alert every repeat_interval, 4 h by
# default, for as long as it fires) and the file never holds more entries than this.
DEFAULT_RETENTION = 7 * 24 * 3600
MAX_ENTRIES = 20000
MAX_BYTES = 16 * 1024 * 1024
LOCK_POLL = 0.05


class LedgerError(Exception):
    """The ledger cannot be read, written or locked; str(exc) names the path and the reason."""


def episode_key(name, episode):
    """One firing episode: the alert name with Alertmanager's fingerprint and startsAt ('' when neither is
    known: such an alert is never taken for a duplicate)."""
    if not episode.get("fingerprint") and not episode.get("startsAt"):
        return ""
    return json.dumps([name, episode.get("fingerprint", ""), episode.get("startsAt", "")])


def judge(entries, target, episode, now, max_attempts, window, retention=DEFAULT_RETENTION, record=True):
    """Decide on one alert for one target.

    entries       the ledger's attempts: dicts with target, episode, at (epoch seconds)
    target        what a run acts on (runbook and hosts of the run)
    episode       episode_key() of the alert ('' never matches)
    record        False: judge only (plan only); True: the verdict run adds this attempt
    Returns dict(verdict, attempts (this target's attempts inside the window, oldest first), previous
    (the earlier attempt of this episode, for a duplicate), retry_after (epoch seconds, when a human is
    needed), entries (what the ledger holds afterwards: expired entries dropped, the new attempt added)).
    """
    horizon = now - max(retention, window)
    kept = [e for e in entries if e["at"] > horizon][-MAX_ENTRIES:]
    mine = [e for e in kept if e["target"] == target]
    recent = [e for e in mine if e["at"] > now - window]
    out = {"attempts": recent, "previous": None, "retry_after": None, "entries": kept}
    previous = [e for e in mine if episode and e["episode"] == episode]
    if previous:
        out.update(verdict=VERDICT_DUPLICATE, previous=previous[0])
        return out
    if len(recent) >= max_attempts:
        out.update(verdict=VERDICT_NEEDS_HUMAN, retry_after=recent[-max_attempts]["at"] + window)
        return out
    out["verdict"] = VERDICT_RUN
    if record:
        out["entries"] = (kept + [{"target": target, "episode": episode, "at": now}])[-MAX_ENTRIES:]
    return out


def record_attempt(entries, target, episode, now, retention=DEFAULT_RETENTION):
    """An attempt that is not judged (a human launched it): recorded, so it counts for the alerts after it."""
    kept = [e for e in entries if e["at"] > now - retention]
    return (kept + [{"target": target, "episode": episode, "at": now}])[-MAX_ENTRIES:]


def parse(text, path):
    """The ledger file's text -> its entries; LedgerError when it is not a ledger."""
    try:
        data = json.loads(text) if text.strip() else {"attempts": []}
    except ValueError as exc:
        raise LedgerError("attempt ledger %s is not JSON (%s): fix or move it away" % (path, exc))
    entries = data.get("attempts") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise LedgerError("attempt ledger %s has no list `attempts`: fix or move it away" % path)
    for entry in entries:
        if not (isinstance(entry, dict) and isinstance(entry.get("target"), str)
                and isinstance(entry.get("episode"), str) and isinstance(entry.get("at"), (int, float))
                and not isinstance(entry.get("at"), bool) and entry["at"] == entry["at"]):
            raise LedgerError("attempt ledger %s holds an entry that is not an attempt (%s): fix or move it away"
                              % (path, json.dumps(entry, default=repr)[:120]))
    return entries


class AttemptLedger(object):
    """The ledger file, JSON, read and replaced whole under an flock on PATH.lock.

        with AttemptLedger(path, timeout=30) as ledger:
            entries = ledger.read()
            ...
            ledger.write(new_entries)
    """

    def __init__(self, path, timeout=30.0):
        self.path = path
        self.timeout = timeout
        self._lock_fd = None

    def __enter__(self):
        directory = os.path.dirname(self.path) or "."
        try:
            os.makedirs(directory, mode=0o750, exist_ok=True)
            self._lock_fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640)
        except OSError as exc:
            raise LedgerError("attempt ledger %s: cannot open its lock %s.lock (%s)" % (self.path, self.path, exc.strerror))
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    os.close(self._lock_fd)
                    self._lock_fd = None
                    raise LedgerError("attempt ledger %s: not locked within %ss (%s): another routing step holds it"
                                      % (self.path, self.timeout, exc.strerror))
                time.sleep(LOCK_POLL)

    def __exit__(self, *exc_info):
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None
        return False

    def read(self):
        """The entries; [] when there is no ledger yet. Opens a regular file only, never through a link."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                return []
            raise LedgerError("attempt ledger %s cannot be opened (%s): fix or move it away" % (self.path, exc.strerror))
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise LedgerError("attempt ledger %s is not a regular file: move it away" % self.path)
            data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise LedgerError("attempt ledger %s is over %d bytes: not a ledger this plugin wrote" % (self.path, MAX_BYTES))
        return parse(data.decode("utf-8", "replace"), self.path)

    def write(self, entries):
        """Replace the ledger atomically (temp file, fsync, rename, fsync of the folder)."""
        directory = os.path.dirname(self.path) or "."
        tmp = "%s.%d.tmp" % (self.path, os.getpid())
        body = json.dumps({"version": 1, "attempts": entries}, sort_keys=True).encode("utf-8")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640)
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
            dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise LedgerError("attempt ledger %s cannot be written (%s)" % (self.path, exc.strerror))
