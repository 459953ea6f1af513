import os
import shutil
import signal
import sys

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import procfs
from ansible_collections.alertops.remediation.plugins.modules import port_release
from tests.support.modrun import run_main

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "procfs"))
from fakeproc import fake_proc  # noqa: E402,F401 pylint: disable=unused-import


@pytest.fixture
def kills(fake_proc, monkeypatch):
    """os.kill that records the signal and makes the fake process exit (unless it is in `stubborn`)."""
    root = fake_proc[0]
    sent = []
    stubborn = set()

    def exit_process(pid):
        shutil.rmtree(os.path.join(root, str(pid)))
        held = set()
        for other in os.listdir(root):
            if other.isdigit() and other != "1":  # pid 1's fd dir reads as denied
                held.update(os.readlink(os.path.join(root, other, "fd", fd))
                            for fd in os.listdir(os.path.join(root, other, "fd")))
        for name in ("tcp", "tcp6"):  # the kernel closes sockets no process holds any more
            path = os.path.join(root, "net", name)
            with open(path) as handle:
                lines = handle.read().splitlines(True)
            keep = [ln for ln in lines[1:] if ln.split()[9] == "0" or "socket:[%s]" % ln.split()[9] in held
                    or ln.split()[9] == "1005"]  # 1005 is pid 1's (unreadable)
            with open(path, "w") as handle:
                handle.write("".join(lines[:1] + keep))

    def kill(pid, signum):
        sent.append((pid, signum))
        if pid not in stubborn or signum == signal.SIGKILL:
            exit_process(pid)
    monkeypatch.setattr(port_release.os, "kill", kill)
    monkeypatch.setattr(port_release, "KILL_GRACE", 0.2)
    kill.sent = sent
    kill.stubborn = stubborn
    return kill


def run(capsys, args, check_mode=False):
    args = dict(args)
    args.setdefault("respawn_window", 0)
    return run_main(port_release.main, capsys, args, check_mode=check_mode, diff=True)


def test_check_mode_reports_and_signals_nothing(kills, capsys):
    result, code = run(capsys, {}, check_mode=True)
    assert code == 0 and result["changed"] is True and kills.sent == []
    assert sorted(set((r["pid"], r["local_port"]) for r in result["would_terminate"])) == [
        (200, 63000), (300, 62888), (301, 62888)]
    assert [(s["pid"], s["kinds"]) for s in result["skipped"]] == [(400, ["outbound_ephemeral"])]
    assert result["terminated"] == [] and result["released_ports"] == []
    assert result["still_held"] == [62889]
    assert len(result["diff"]["before"]["holders"]) == 5 and len(result["diff"]["after"]["holders"]) == 1


def test_release_terminates_foreign_listeners_only(kills, capsys):
    result, code = run(capsys, {})
    assert code == 0 and result["changed"] is True
    assert kills.sent == [(200, signal.SIGTERM), (300, signal.SIGTERM), (301, signal.SIGTERM)]
    assert [(t["pid"], t["signal"], t["ports"]) for t in result["terminated"]] == [
        (200, "SIGTERM", [63000]), (300, "SIGTERM", [62888]), (301, "SIGTERM", [62888])]
    assert result["released_ports"] == [62888, 63000] and result["still_held"] == [62889]
    assert "outbound" in result["skipped"][0]["reason"]
    assert result["diff"]["after"]["holders"] == [h for h in result["diff"]["before"]["holders"] if "400" in h]
    second, _code = run(capsys, {})
    assert second["changed"] is False and len(kills.sent) == 3


def test_pid_reused_between_scan_and_signal_is_not_signalled(kills, capsys, monkeypatch):
    monkeypatch.setattr(procfs, "same_process", lambda identity, root=None: False)
    result, code = run(capsys, {"ports": [63000]})
    assert code == 0 and kills.sent == [] and result["changed"] is False
    assert result["skipped"][0]["pid"] == 200 and "pid reused" in result["skipped"][0]["reason"]
    assert result["still_held"] == [63000]


def test_protected_allow_and_self(kills, capsys, monkeypatch):
    result, _code = run(capsys, {"protected": ["nc"], "allow": ["ja.a"]})
    assert [p for p, _s in kills.sent] == [300, 301]
    reasons = dict((s["pid"], s["reason"]) for s in result["skipped"])
    assert "protected" in reasons[200]
    result, _code = run(capsys, {"ports": [63000], "allow": ["java"]})
    assert "not matched by allow" in result["skipped"][0]["reason"]
    monkeypatch.setattr(port_release.os, "getpid", lambda: 200)
    result, _code = run(capsys, {"ports": [63000]})
    assert result["skipped"][0]["reason"] == "this module's own process"
    assert [p for p, _s in kills.sent] == [300, 301]


def test_escalation_and_failure_without_it(kills, capsys):
    kills.stubborn.add(200)
    result, code = run(capsys, {"ports": [63000], "timeout": 0.2, "escalate": False})
    assert code == 1 and "escalate is false" in result["msg"] and "pid 200" in result["msg"]
    assert kills.sent == [(200, signal.SIGTERM)]
    result, code = run(capsys, {"ports": [63000], "timeout": 0.2, "signal": "INT"})
    assert code == 0 and kills.sent[1:] == [(200, signal.SIGINT), (200, signal.SIGKILL)]
    assert result["terminated"][0]["signal"] == "SIGKILL"


@pytest.mark.parametrize("args, words", [
    ({"ports": ["62881-"]}, ["'62881-'"]),
    ({"ports": ["70000"]}, ["'70000'"]),
    ({"ports": ["63881-62881"]}, ["'63881-62881'"]),
    ({"ports": ["abc"]}, ["'abc'"]),
    ({"ports": []}, ["empty"]),
    ({"expected": {"0": ["a"]}}, ["expected key", "'0'"]),
    ({"signal": "NOPE"}, ["signal", "'NOPE'"]),
    ({"timeout": -1}, ["timeout", "-1"]),
    ({"allow": ["("]}, ["allow", "'('"]),
])
def test_bad_input_does_nothing(kills, capsys, args, words):
    result, code = run(capsys, args)
    assert code == 1 and kills.sent == []
    for word in words:
        assert word in result["msg"]
