# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-host remediation lock, host side: one lock file that is never deleted, its owner record
read and rewritten only under a kernel flock on that file, so every decision (free, renew, stale,
break) and the write that follows it are one atomic step.

The record names its owner (a label and the identity of the controller's ansible-playbook process),
holds the owner's token (compare-and-swap: only that token renews or releases; a break names the
token it judged dead) and a lease that the owner renews. Stdlib only, Python 3.6+.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import errno
import fcntl
import json
import math
import os
import re
import stat
import time

# Every lock file starts with this line; a file without it is not a lock and is never written.
MAGIC = b"# alertops.remediation host lock: one remediation at a time. Do not edit; the record below is JSON.\n"
MAX_BYTES = 64 * 1024
POLL = 0.2                # seconds between two looks at a busy lock
FLOCK_POLL = 0.02         # the flock is held for one read-modify-write only
FLOCK_PATIENCE = 5.0      # ... so a few seconds are plenty even when the caller does not want to wait
LOCAL_RECHECK = 5.0       # a holder on the caller's controller is re-judged by the caller this often
CLOCK_BOOTTIME = getattr(time, "CLOCK_BOOTTIME", 7)
UNREADABLE = "unreadable"  # a record a run left half-written when it died (no one writes without the flock)
TIME_MAX = 2 ** 33         # seconds: the year 2242, far past any lease, inside every platform's time_t


DECIMAL = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,6})?$")
# Seconds, for the options of the module and of its action plugin alike (checked on both sides: the
# controller refuses before it contacts the host, in check mode too).
LEASE_RANGE = (1, 604800)
WAIT_RANGE = (0, 86400)


def seconds(value, low, high, name=None):
    """A duration given as a number or as ASCII digits, finite, within [low, high]; ValueError otherwise
    (its message starts with the option's `name` when given)."""
    prefix = "%s: " % name if name else ""
    if isinstance(value, str) and DECIMAL.match(value):
        number = float(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        raise ValueError("%s%r is not a number of seconds (ASCII digits)" % (prefix, value))
    if math.isnan(number) or not low <= number <= high:
        raise ValueError("%s%r is outside %s..%s seconds" % (prefix, value, low, high))
    return number


PATH_MAX = 4096


def lock_path(value):
    """The lock file's path: absolute text without NUL or line break, at most PATH_MAX characters (the
    kernel's limit); ValueError naming path otherwise."""
    if not isinstance(value, str) or not value.startswith("/") or len(value) > PATH_MAX or \
            any(c in value for c in "\0\r\n"):
        raise ValueError("path: %r must be an absolute path of at most %d characters, without NUL or line break"
                         % (value, PATH_MAX))
    return value


def one_line(name, value, limit, empty=False):
    """A label that ends up in messages and reports: text of printable characters, at most `limit` of
    them (at least one unless `empty`); ValueError naming the option and the value otherwise."""
    if not isinstance(value, str) or len(value) > limit or (not value and not empty) or \
            any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("%s: %r must be a line of %d to %d printable characters" % (
            name, value, 0 if empty else 1, limit))
    return value


class LockError(Exception):
    """The lock path cannot be used as a lock; nothing was changed."""


class Clock(object):
    """Wall time for humans and for another boot; boot time for leases (NTP steps do not move it)."""

    def wall(self):
        return time.time()

    def boot(self):
        return time.clock_gettime(CLOCK_BOOTTIME)

    def monotonic(self):
        return time.monotonic()

    def sleep(self, seconds):
        time.sleep(seconds)


def boot_id():
    try:
        with open("/proc/sys/kernel/random/boot_id", "rb") as handle:
            return handle.read(64).decode("ascii", "replace").strip()
    except OSError:
        return ""


def iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def describe(owner):
    """One line naming an owner: its label and the controller process that holds the lock."""
    owner = owner if isinstance(owner, dict) else {}
    ctl = owner.get("controller") if isinstance(owner.get("controller"), dict) else {}
    where = ""
    if ctl.get("pid"):
        where = " (ansible-playbook pid %s on %s, started %s)" % (
            ctl.get("pid"), ctl.get("hostname") or "?", ctl.get("started_at") or "?")
    return "%s%s" % (owner.get("label") or "an unnamed run", where)


def same_controller(a, b):
    """True when both identities name one controller, boot and pid namespace (so pids compare)."""
    keys = ("hostname", "boot_id", "pid_ns")
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    return all(a.get(k) and a.get(k) == b.get(k) for k in keys)


def expired(record, now_wall, now_boot, this_boot):
    if record.get("boot_id") == this_boot and isinstance(record.get("expires_boottime"), (int, float)):
        return now_boot >= record["expires_boottime"]
    return now_wall >= record["expires_at"]


def decide(record, request, now_wall, now_boot, this_boot):
    """What one attempt does with the record it read under the flock.

    record: None (no owner), UNREADABLE, or a dict with state 'held' / 'free'.
    request: token, controller, break_token, break_reason, vouched (see the module's options).
    Returns (verdict, reason): 'take' (reason says whose lock was broken and why, or None),
    'renew', 'busy-return' (the caller can judge the holder: answer now) or 'busy-wait'.
    """
    if record is None or (isinstance(record, dict) and record.get("state") == "free"):
        return "take", None
    if record == UNREADABLE:
        return "take", "the lock record was unreadable: the run that wrote it died while writing it"
    if record["token"] == request["token"]:
        return "renew", None
    if request.get("break_token") and record["token"] == request["break_token"]:
        return "take", request.get("break_reason") or "its owner is gone"
    if expired(record, now_wall, now_boot, this_boot):
        return "take", "its lease ran out at %s: the owner stopped renewing it (last renewed %s)" % (
            iso(record["expires_at"]), iso(record["renewed_at"]))
    local = same_controller((record.get("owner") or {}).get("controller"), request.get("controller"))
    if local and record["token"] != request.get("vouched"):
        return "busy-return", None
    return "busy-wait", None


def parse(data):
    """The record in a lock file's bytes (after MAGIC): None when free of owners, or UNREADABLE."""
    if len(data) > MAX_BYTES:
        return UNREADABLE
    body = data[len(MAGIC):].strip()
    if not body:
        return None
    try:
        record = json.loads(body.decode("utf-8"))
    except ValueError:
        return UNREADABLE
    if not isinstance(record, dict) or record.get("state") not in ("held", "free"):
        return UNREADABLE
    if record["state"] == "held":
        if not isinstance(record.get("token"), str) or not isinstance(record.get("owner"), dict):
            return UNREADABLE
        times = [record.get(k) for k in ("acquired_at", "renewed_at", "expires_at")]
        if "expires_boottime" in record:
            times.append(record["expires_boottime"])
        if not all(_a_time(t) for t in times):
            return UNREADABLE
    return record


def _a_time(value):
    """A time this lock's writers write: seconds, finite, from the epoch (or boot) to TIME_MAX. NaN or
    1e308 would make a lease that never ends (and that no clock or date can show)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= TIME_MAX


def serialize(record):
    return MAGIC + json.dumps(record, sort_keys=True).encode("utf-8") + b"\n"


def holder_view(record):
    """What a caller learns about the current owner (no internals of the file)."""
    return {
        "token": record["token"], "owner": record["owner"], "description": describe(record["owner"]),
        "acquired_at": iso(record["acquired_at"]), "expires_at": iso(record["expires_at"]),
    }


class LockFile(object):
    """An open lock file; refuses (LockError) any path that is not an alertops.remediation lock file
    owned by the current user: a directory, a link, a FIFO, a file without the header or of another
    user is neither opened for writing nor changed."""

    def __init__(self, path, create=True):
        self.path = path
        self.fd = None
        st = self._lstat()
        if st is None:
            if not create:
                return
            self._create()
            st = self._lstat()
            if st is None:
                raise LockError("%s vanished right after it was created" % path)
        self._check_type(st)
        try:
            fd = os.open(path, os.O_RDWR | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise LockError("%s cannot be opened: %s" % (path, exc.strerror))
        try:
            fst = os.fstat(fd)
            if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino):
                raise LockError("%s was replaced while it was opened; it is left as it is" % path)
            if fst.st_uid != os.geteuid():
                raise LockError("%s belongs to uid %d, not to the user taking the lock (uid %d): it is not this "
                                "collection's lock and is left as it is" % (path, fst.st_uid, os.geteuid()))
            if os.pread(fd, len(MAGIC), 0) != MAGIC:
                raise LockError("%s is not an alertops.remediation lock file (it lacks the lock header): it is "
                                "left as it is; choose another lock path" % path)
        except Exception:
            os.close(fd)
            raise
        self.fd = fd

    @property
    def exists(self):
        return self.fd is not None

    def _lstat(self):
        try:
            return os.lstat(self.path)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise LockError("%s cannot be examined: %s" % (self.path, exc.strerror))

    def _check_type(self, st):
        if stat.S_ISREG(st.st_mode):
            return
        kinds = ((stat.S_ISDIR, "a directory (the first release of alertops.remediation used a lock directory: "
                                "remove it once no run of that release is active)"),
                 (stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"))
        kind = next((name for test, name in kinds if test(st.st_mode)), "a device or special file")
        raise LockError("%s exists and is %s, not a lock file: it is left as it is" % (self.path, kind))

    def _create(self):
        """Create the file with its header in one step (write a private file, then link it), so a lock file
        without the header never exists and two creators cannot both win."""
        directory, name = os.path.split(self.path)
        tmp = os.path.join(directory, ".%s.%s.new" % (name, binascii.hexlify(os.urandom(6)).decode()))
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as exc:
            raise LockError("cannot create the lock file in %s: %s" % (directory or ".", exc.strerror))
        try:
            try:
                _write_all(fd, MAGIC, 0)
            finally:
                os.close(fd)
            try:
                os.link(tmp, self.path)
            except FileExistsError:
                pass              # another run created it first: use theirs
            except OSError as exc:
                raise LockError("cannot create %s: %s" % (self.path, exc.strerror))
        finally:
            try:
                os.unlink(tmp)
            except OSError:
                pass

    def close(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def update(self, change, clock, patience):
        """Under the flock: read the record, let change(record) return (new record or None, answer),
        write the new record, return the answer. Raises LockError when the flock stays busy."""
        deadline = clock.monotonic() + max(patience, FLOCK_PATIENCE)
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EINTR):
                    raise LockError("%s cannot be locked: %s" % (self.path, exc.strerror))
                if clock.monotonic() >= deadline:
                    raise LockError("%s stayed locked by another process for %.0f s while it updates the owner "
                                    "record" % (self.path, max(patience, FLOCK_PATIENCE)))
                clock.sleep(FLOCK_POLL)
        try:
            record = parse(os.pread(self.fd, MAX_BYTES + 1, 0))
            new, answer = change(record)
            if new is not None:
                data = serialize(new)
                _write_all(self.fd, data, 0)
                os.ftruncate(self.fd, len(data))
            return answer
        finally:
            fcntl.flock(self.fd, fcntl.LOCK_UN)


def _write_all(fd, data, offset):
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


def _held(request, record, now_wall, now_boot, this_boot, lease):
    """The record of a lock taken (record None) or renewed (record given) by the request."""
    return {
        "state": "held", "token": request["token"], "owner": request["owner"],
        "acquired_at": record["acquired_at"] if record else now_wall,
        "renewed_at": now_wall, "expires_at": now_wall + lease,
        "boot_id": this_boot, "expires_boottime": now_boot + lease,
    }


def acquire(path, request, lease, wait, check_mode=False, clock=None):
    """Take or renew the lock at path, waiting at most `wait` seconds while another run holds it.

    Returns a dict: acquired, renewed, broke ({owner, description, reason} of a lock taken over),
    holder (the current owner when busy), record (this run's, when acquired), waited.
    """
    clock = clock or Clock()
    start = clock.monotonic()
    deadline = start + wait
    this_boot = boot_id()
    with LockFile(path, create=not check_mode) as lock:
        while True:
            now_wall, now_boot = clock.wall(), clock.boot()

            def attempt(record):
                verdict, reason = decide(record, request, now_wall, now_boot, this_boot)
                answer = {"verdict": verdict, "reason": reason, "record": record}
                if verdict not in ("take", "renew") or check_mode:
                    return None, answer
                answer["new"] = _held(request, record if verdict == "renew" else None, now_wall, now_boot,
                                      this_boot, lease)
                if reason and isinstance(record, dict):
                    answer["new"]["broke"] = {"owner": record["owner"], "reason": reason, "at": now_wall}
                return answer["new"], answer

            if lock.exists:
                answer = lock.update(attempt, clock, deadline - clock.monotonic())
            else:
                answer = attempt(None)[1]   # check mode, no lock file yet: it would be created free
            verdict, record = answer["verdict"], answer["record"]
            waited = round(clock.monotonic() - start, 3)
            if verdict in ("take", "renew"):
                broke = None
                if answer["reason"]:
                    owner = record.get("owner", {}) if isinstance(record, dict) else {}
                    broke = {"owner": owner, "description": describe(owner) if owner else "an unreadable record",
                             "reason": answer["reason"]}
                return {"acquired": not check_mode, "would_acquire": check_mode, "renewed": verdict == "renew",
                        "broke": broke, "holder": None, "record": answer.get("new"), "waited": waited}
            now = clock.monotonic()
            local_vouched = verdict == "busy-wait" and record["token"] == request.get("vouched")
            if local_vouched:
                deadline = min(deadline, start + LOCAL_RECHECK)
            if verdict == "busy-return" or check_mode or now >= deadline:
                return {"acquired": False, "would_acquire": False, "renewed": False, "broke": None,
                        "holder": holder_view(record), "record": None, "waited": waited}
            clock.sleep(min(POLL, max(0.0, deadline - now)))


def release(path, token, check_mode=False, clock=None):
    """Release the lock at path when `token` holds it; anything else is left exactly as it is.

    Returns a dict: released (bool), holder (the current owner when it is someone else), reason."""
    clock = clock or Clock()
    with LockFile(path, create=False) as lock:
        if not lock.exists:
            return {"released": False, "holder": None, "reason": "there is no lock file"}

        def attempt(record):
            if not isinstance(record, dict) or record.get("state") != "held":
                return None, {"released": False, "holder": None, "reason": "nobody holds the lock"}
            if record["token"] != token:
                return None, {"released": False, "holder": holder_view(record),
                              "reason": "it is held by %s" % describe(record["owner"])}
            if check_mode:
                return None, {"released": False, "would_release": True, "holder": None, "reason": None}
            free = {"state": "free", "released": {"owner": record["owner"], "at": clock.wall()}}
            return free, {"released": True, "holder": None, "reason": None}

        return lock.update(attempt, clock, FLOCK_PATIENCE)
