# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""hostlock: the decision table, the record format, and the lock file on a real filesystem (temporary
directory) with a fake clock, so leases and waits need no wall time."""
import fcntl
import os
import stat

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import hostlock

HERE = {"hostname": "ctl", "boot_id": "b1", "pid_ns": "pid:[1]", "pid": 100, "start_ticks": 5}
ELSEWHERE = dict(HERE, hostname="other")
T0 = 1_800_000_000.0


class FakeClock(hostlock.Clock):
    def __init__(self, wall=T0, boot=1000.0):
        self.now, self.boot_now, self.mono = wall, boot, 0.0
        self.slept = 0.0

    def wall(self):
        return self.now

    def boot(self):
        return self.boot_now

    def monotonic(self):
        return self.mono

    def sleep(self, seconds):
        self.now += seconds
        self.boot_now += seconds
        self.mono += seconds
        self.slept += seconds


def held(token="them", controller=None, expires=T0 + 100, boot="b-host", expires_boot=1100.0):
    return {"state": "held", "token": token, "owner": {"label": "theirs", "controller": controller or ELSEWHERE},
            "acquired_at": T0 - 10, "renewed_at": T0 - 10, "expires_at": expires,
            "boot_id": boot, "expires_boottime": expires_boot}


def request(token="mine", **extra):
    out = {"token": token, "owner": {"label": token, "controller": HERE}, "controller": HERE,
           "break_token": None, "break_reason": "", "vouched": None}
    out.update(extra)
    return out


@pytest.mark.parametrize("record, req, verdict, reason", [
    (None, request(), "take", None),
    ({"state": "free"}, request(), "take", None),
    (hostlock.UNREADABLE, request(), "take", "unreadable"),
    (held(token="mine"), request(), "renew", None),
    (held(token="mine", expires=T0 - 1, expires_boot=900.0), request(), "renew", None),   # ours, even late
    (held(), request(break_token="them", break_reason="its process is gone"), "take", "its process is gone"),
    (held(), request(break_token="someone-else"), "busy-wait", None),          # judged dead: another token
    (held(expires_boot=999.0), request(), "take", "lease ran out"),
    (held(expires=T0 - 1, expires_boot=1100.0), request(), "busy-wait", None),  # boot clock rules this boot
    (held(boot="old-boot", expires=T0 - 1, expires_boot=1100.0), request(), "take", "lease ran out"),
    (held(controller=HERE), request(), "busy-return", None),                  # the caller can judge it
    (held(controller=HERE), request(vouched="them"), "busy-wait", None),
    (held(controller=dict(HERE, pid_ns="pid:[2]")), request(), "busy-wait", None),
])
def test_decide(record, req, verdict, reason):
    got, why = hostlock.decide(record, req, T0, 1000.0, "b-host")
    assert got == verdict
    if reason is None:
        assert why is None
    else:
        assert reason in why


@pytest.mark.parametrize("body, expected", [
    (b"", None),
    (b"\n", None),
    (b'{"state": "free"}', {"state": "free"}),
    (b'{"state": "held"', hostlock.UNREADABLE),                   # a writer died mid-write
    (b'["held"]', hostlock.UNREADABLE),
    (b'{"state": "held", "token": "t", "owner": {}, "acquired_at": 1, "renewed_at": 1}', hostlock.UNREADABLE),
    (b'{"state": "held", "token": "t", "owner": {}, "acquired_at": 1, "renewed_at": 1, "expires_at": true}',
     hostlock.UNREADABLE),
    (b'{"state": "sold"}', hostlock.UNREADABLE),
    (b"\xff\xfe", hostlock.UNREADABLE),
    (b"x" * (hostlock.MAX_BYTES + 1), hostlock.UNREADABLE),
    # times no writer of this lock wrote: a lease that never ends (or never compares) holds the host for ever
    (b'{"state": "held", "token": "t", "owner": {}, "acquired_at": 1, "renewed_at": 1, "expires_at": 1e308}',
     hostlock.UNREADABLE),
    (b'{"state": "held", "token": "t", "owner": {}, "acquired_at": 1, "renewed_at": 1, "expires_at": NaN}',
     hostlock.UNREADABLE),
    (b'{"state": "held", "token": "t", "owner": {}, "acquired_at": -1, "renewed_at": 1, "expires_at": 2}',
     hostlock.UNREADABLE),
    (b'{"state": "held", "token": "t", "owner": {}, "acquired_at": 1, "renewed_at": 1, "expires_at": 2, '
     b'"boot_id": "b", "expires_boottime": Infinity}', hostlock.UNREADABLE),
])
def test_parse(body, expected):
    assert hostlock.parse(hostlock.MAGIC + body) == expected


def test_serialize_round_trip():
    record = held()
    assert hostlock.parse(hostlock.serialize(record)) == record


@pytest.mark.parametrize("value, expected", [
    (0, 0.0), (120, 120.0), ("120", 120.0), ("1.5", 1.5), (2.5, 2.5),
    ("nan", None), ("inf", None), (float("nan"), None), (float("inf"), None), (1e308, None), (-1, None),
    ("\u0669", None), ("12\u0669", None), (" 12", None), ("1e3", None), ("", None), (True, None), (None, None),
    ([1], None), ("99999999999999999999", None),
])
def test_seconds(value, expected):
    if expected is None:
        with pytest.raises(ValueError):
            hostlock.seconds(value, 0, 86400)
    else:
        assert hostlock.seconds(value, 0, 86400) == expected


@pytest.mark.parametrize("value", ["relative.lock", "", "/tmp/a\x00b", 12, None, ["/x"], "/" + "x" * 4096,
                                   "/tmp/a\r\nb", "/tmp/a\nb"])
def test_a_lock_path_is_absolute_text(value):
    with pytest.raises(ValueError) as err:
        hostlock.lock_path(value)
    assert str(err.value).startswith("path: %r" % (value,)[:100])


@pytest.mark.parametrize("value", ["", "a\nb", "a\x00b", "x" * 201, 12, [], None])
def test_a_label_is_one_printable_line(value):
    with pytest.raises(ValueError) as err:
        hostlock.one_line("owner", value, 200)
    assert str(err.value).startswith("owner: %r" % (value,))
    assert hostlock.one_line("break_reason", "", 1024, empty=True) == ""


def test_options_of_the_controller_and_the_host_share_their_bounds():
    assert hostlock.seconds("604800", *hostlock.LEASE_RANGE) == 604800.0
    with pytest.raises(ValueError):
        hostlock.seconds(86401, *hostlock.WAIT_RANGE)


@pytest.fixture
def lock_path(tmp_path):
    return str(tmp_path / "alertops-remediation.lock")


def take(path, clock, token="mine", wait=0, lease=60, **extra):
    return hostlock.acquire(path, request(token, **extra), lease, wait, clock=clock)


def record_of(path):
    with open(path, "rb") as fh:
        return hostlock.parse(fh.read())


def test_take_creates_the_file_with_header_and_renew_extends_the_lease(lock_path):
    clock = FakeClock()
    first = take(lock_path, clock)
    assert first["acquired"] and not first["renewed"] and first["broke"] is None
    with open(lock_path, "rb") as fh:
        assert fh.read().startswith(hostlock.MAGIC)
    assert stat.S_IMODE(os.stat(lock_path).st_mode) & 0o022 == 0
    clock.sleep(30)
    again = take(lock_path, clock)
    assert again["acquired"] and again["renewed"]
    rec = record_of(lock_path)
    assert rec["acquired_at"] == T0 and rec["renewed_at"] == T0 + 30 and rec["expires_at"] == T0 + 90
    assert os.listdir(os.path.dirname(lock_path)) == ["alertops-remediation.lock"]


def test_busy_lock_waits_then_answers_with_the_holder_and_writes_nothing(lock_path):
    clock = FakeClock()
    take(lock_path, clock, token="them")
    with open(lock_path, "rb") as fh:
        before = fh.read()
    other = hostlock.acquire(lock_path, dict(request("mine"), controller=ELSEWHERE, owner={"label": "me", "controller": ELSEWHERE}),
                             60, 10, clock=clock)
    assert not other["acquired"] and other["holder"]["token"] == "them"
    assert 10 <= other["waited"] < 11
    with open(lock_path, "rb") as fh:
        assert fh.read() == before


def test_local_holder_is_answered_at_once_and_vouched_one_within_the_recheck(lock_path):
    clock = FakeClock()
    take(lock_path, clock, token="them")          # owner controller HERE (same as the caller)
    now = take(lock_path, clock, wait=100)
    assert not now["acquired"] and now["waited"] == 0
    later = take(lock_path, clock, wait=100, vouched="them")
    assert not later["acquired"] and hostlock.LOCAL_RECHECK <= later["waited"] < hostlock.LOCAL_RECHECK + 1


def test_expired_lease_is_taken_over_with_the_reason(lock_path):
    clock = FakeClock()
    take(lock_path, clock, token="them", lease=60)
    clock.sleep(61)
    got = hostlock.acquire(lock_path, request("mine"), 60, 0, clock=clock)
    assert got["acquired"] and "lease ran out" in got["broke"]["reason"]
    assert record_of(lock_path)["broke"]["reason"] == got["broke"]["reason"]


def test_break_is_a_compare_and_swap_on_the_token(lock_path):
    clock = FakeClock()
    take(lock_path, clock, token="dead")
    # The dead owner's lock was taken over by a third run before this one acted on its judgement.
    take(lock_path, clock, token="third", break_token="dead", break_reason="gone")
    late = take(lock_path, clock, break_token="dead", break_reason="gone", controller=ELSEWHERE)
    assert not late["acquired"] and late["holder"]["token"] == "third"
    assert record_of(lock_path)["token"] == "third"


def test_unreadable_record_is_taken_with_the_reason(lock_path):
    with open(lock_path, "wb") as fh:
        fh.write(hostlock.MAGIC + b'{"state": "he')
    got = take(lock_path, FakeClock())
    assert got["acquired"] and "unreadable" in got["broke"]["reason"]


def test_release_only_by_the_owner(lock_path):
    clock = FakeClock()
    take(lock_path, clock, token="them")
    with open(lock_path, "rb") as fh:
        before = fh.read()
    other = hostlock.release(lock_path, "mine", clock=clock)
    assert not other["released"] and other["holder"]["token"] == "them" and "held by them" in other["reason"]
    with open(lock_path, "rb") as fh:
        assert fh.read() == before
    mine = hostlock.release(lock_path, "them", clock=clock)
    assert mine["released"]
    assert record_of(lock_path)["state"] == "free"
    assert os.path.exists(lock_path)          # never deleted
    assert not hostlock.release(lock_path, "them", clock=clock)["released"]


def test_release_without_a_lock_file_creates_nothing(lock_path):
    assert hostlock.release(lock_path, "mine")["released"] is False
    assert not os.path.exists(lock_path)


def test_check_mode_creates_and_writes_nothing(lock_path):
    clock = FakeClock()
    got = hostlock.acquire(lock_path, request(), 60, 0, check_mode=True, clock=clock)
    assert got["would_acquire"] and not got["acquired"] and not os.path.exists(lock_path)
    take(lock_path, clock, token="them")
    with open(lock_path, "rb") as fh:
        before = fh.read()
    assert hostlock.acquire(lock_path, request(controller=ELSEWHERE), 60, 100, check_mode=True, clock=clock)["waited"] == 0
    assert hostlock.release(lock_path, "them", check_mode=True, clock=clock)["would_release"]
    with open(lock_path, "rb") as fh:
        assert fh.read() == before


def snapshot(path):
    st = os.lstat(path)
    content = open(path, "rb").read() if stat.S_ISREG(st.st_mode) else None
    return stat.S_IFMT(st.st_mode), st.st_mode, st.st_uid, st.st_mtime_ns, content


@pytest.mark.parametrize("kind, message", [
    ("directory", "is a directory"),
    ("symlink", "is a symbolic link"),
    ("dangling-symlink", "is a symbolic link"),
    ("fifo", "is a FIFO"),
    ("no-header", "lacks the lock header"),
    ("empty", "lacks the lock header"),
    ("foreign", "belongs to uid 65534"),
])
def test_a_path_that_is_not_a_lock_is_refused_and_left_as_it_is(tmp_path, lock_path, kind, message):
    target = tmp_path / "target"
    target.write_bytes(hostlock.MAGIC)           # even a link to a lock file is refused
    if kind == "directory":
        os.mkdir(lock_path)
    elif kind == "symlink":
        os.symlink(str(target), lock_path)
    elif kind == "dangling-symlink":
        os.symlink(str(tmp_path / "nowhere"), lock_path)
    elif kind == "fifo":
        os.mkfifo(lock_path)
    elif kind == "foreign":
        with open(lock_path, "wb") as fh:
            fh.write(hostlock.MAGIC)
        if os.geteuid() != 0:
            pytest.skip("needs root to give the file away")
        os.chown(lock_path, 65534, 65534)
    else:
        with open(lock_path, "wb") as fh:
            fh.write(b"" if kind == "empty" else b"precious data\n")
    before = snapshot(lock_path), snapshot(str(target))
    for attempt in (lambda: take(lock_path, FakeClock()), lambda: hostlock.release(lock_path, "mine")):
        with pytest.raises(hostlock.LockError) as err:
            attempt()
        assert message in str(err.value) and lock_path in str(err.value)
    assert (snapshot(lock_path), snapshot(str(target))) == before
    assert not (tmp_path / "nowhere").exists()


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(hostlock.LockError) as err:
        take(str(tmp_path / "absent" / "x.lock"), FakeClock())
    assert "cannot create the lock file in %s" % (tmp_path / "absent") in str(err.value)


def test_flock_held_by_a_stuck_process_ends_in_a_bounded_error(lock_path):
    clock = FakeClock()
    take(lock_path, clock, token="them")
    stuck = os.open(lock_path, os.O_RDONLY)
    try:
        fcntl.flock(stuck, fcntl.LOCK_EX)
        with pytest.raises(hostlock.LockError) as err:
            take(lock_path, clock)
        assert "stayed locked" in str(err.value)
        assert clock.slept >= hostlock.FLOCK_PATIENCE
    finally:
        os.close(stuck)


def test_describe():
    assert hostlock.describe({"label": "exporter_ports", "controller": dict(HERE, started_at="2026-11-21T10:00:00Z")}) == \
        "exporter_ports (ansible-playbook pid 100 on ctl, started 2026-11-21T10:00:00Z)"
    assert hostlock.describe({}) == "an unnamed run"
