"""remediation_lock (the module on the host) with hostile values and hostile lock paths: a bad value is
refused before the lock file is created or rewritten, and a path that is not this collection's lock file
(a directory, a link, a FIFO, a file of another user or without the header) is never changed.

The base takes a free lock (it creates the lock file: a write the valid cases may make). The action
plugin's options are fuzzed through ansible-playbook in test_fuzz_actions.py.
"""
import os

from tests.fuzz import harness, values


def LOCK(workdir):
    return os.path.join(workdir, "host.lock")


CONTROLLER = {"hostname": "controller1", "boot_id": "0d6ad4b0-1b2c-4c0d-9e1f-0123456789ab", "pid_ns": "4026531836",
              "pid": 4242, "start_ticks": 123456, "started_at": "2026-11-21T10:15:30Z"}
TARGET = harness.Target(
    "remediation_lock",
    base=lambda workdir: {"path": LOCK(workdir), "state": "locked", "owner": "exporter_ports", "lease": 60, "wait": 0,
                          "token": "fuzz-token-0001", "controller": dict(CONTROLLER)},
    writes=True,
    base_did=lambda result, check_mode: result["held"] is (not check_mode) and result["holder"] is None,
)
TOKENS = values.strings() + ["short", "a" * 129, "tok en1234", "token\x00001", "\u0669" * 10, "token/../x"]

TARGET.refuse("path", values.paths() + ["relative.lock", "x\x00", 12, [], {"a": 1}],
              always=[values.PathValue("directory"), values.PathValue("fifo"), values.PathValue("dangling_link"),
                      "relative.lock"])
TARGET.refuse("state", values.choices(["locked", "unlocked"]))
TARGET.refuse("owner", values.texts() + ["x" * 201])
TARGET.refuse("lease", values.numbers(), always=[0, "604801", "nan", "inf"])
TARGET.refuse("wait", values.numbers(), always=["86401", -1, "nan"])
for option in ("token", "break_token", "vouched"):
    TARGET.refuse(option, TOKENS, always=["short", "a" * 129])
TARGET.refuse("break_reason", [v for v in values.texts() if v != ""] + ["x" * 1025])
TARGET.refuse("controller", [
    "notadict", [], 12, {"bogus": 1}, {"pid": "12abc"}, {"pid": True}, {"pid": -1}, {"pid": 2 ** 63}, {"pid": 0},
    {"pid": "\u0664\u0662"}, {"pid": 4.5}, {"pid": None}, {"hostname": "a\nb"}, {"hostname": "x" * 257},
    {"hostname": ["a"]}, {"start_ticks": "1e3"}, {"boot_id": "b\x00"}, {"started_at": "\x1b[2J"},
], always=[{"pid": "\u0664\u0662"}, {"bogus": 1}, {"hostname": "a\nb"}])

TARGET.accept("owner", values.INERT + [("x" * 200, "the longest label")])
TARGET.accept("break_reason", values.INERT + [("", "no reason given (the plugin always gives one)")])
TARGET.accept("lease", [("604800", "a week: the upper bound"), (1.5, "a fraction of a second")])
TARGET.accept("wait", [("86400", "a day, on a free lock: nothing to wait for"), (0.5, "a fraction")])
TARGET.accept("token", [("A" * 128, "the longest token"), ("a-b_c-d1", "the shortest, with - and _")])
TARGET.accept("controller", [({}, "no identity: a run from elsewhere"), ({"pid": "4242"}, "a pid as ASCII digits")])
TARGET.accept("path", [(lambda w: os.path.join(w, ".", "host.lock"), "a path through .")])


def lock_file(content, owner=None, mode=0o644):
    def setup(workdir):
        with open(LOCK(workdir), "wb") as handle:
            handle.write(content)
        os.chmod(LOCK(workdir), mode)
        if owner is not None:
            os.chown(LOCK(workdir), owner, owner)
    return setup


HEADER = b"# alertops.remediation host lock: one remediation at a time. Do not edit; the record below is JSON.\n"
for title, setup, may_succeed in [
        ("a file without the lock header", lock_file(b"precious data\n"), False),
        ("a lock file of another user", lock_file(HEADER, owner=harness.NOBODY), False),
        ("a lock record that is garbage", lock_file(HEADER + os.urandom(4096)), True),
        ("a lock record of 100 MiB", lambda w: (lock_file(HEADER)(w), os.truncate(LOCK(w), 100 * 1024 * 1024)), True),
        ("a lock record whose numbers are not numbers", lock_file(
            HEADER + b'{"state": "held", "token": "t", "owner": {}, "acquired_at": "x", "renewed_at": 1e999, '
                     b'"expires_at": NaN}\n'), True),
        # a lease that never ends (1e308, NaN) is no lease this collection writes: the record is unreadable
        ("a lock record held by a run whose lease runs for ever", lock_file(
            HEADER + b'{"state": "held", "token": "other-token-1", "owner": {"label": "x"}, "acquired_at": 1, '
                     b'"renewed_at": 1, "expires_at": 1e308, "boot_id": "x", "expires_boottime": 1e308}\n'), True),
        ("a lock record whose lease is NaN", lock_file(
            HEADER + b'{"state": "held", "token": "other-token-1", "owner": {"label": "x"}, "acquired_at": 1, '
                     b'"renewed_at": 1, "expires_at": NaN}\n'), True),
]:
    TARGET.peer(title, setup=setup, may_succeed=may_succeed, may_write=may_succeed, names=["path"] if not may_succeed
                else [], verify=(lambda r: r.get("failed") or "unreadable" in (r["broke"] or {}).get("reason", ""))
                if may_succeed else None)
TARGET.peer("a lock directory the caller cannot write, as uid 65534",
            args={"path": lambda w: os.path.join(w, "root-only", "host.lock")},
            setup=lambda w: os.mkdir(os.path.join(w, "root-only"), 0o755), names=["path", "cannot create"],
            uid=harness.NOBODY)

globals().update(harness.module_tests([TARGET], peers=[TARGET]))
