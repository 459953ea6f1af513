import os
import signal
import sys

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import signals
from ansible_collections.alertops.remediation.plugins.modules import port_release
from tests.support.modrun import run_main

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "procfs"))
import fakeproc  # noqa: E402
from fakeproc import fake_proc, write_process  # noqa: E402,F401 pylint: disable=unused-import


@pytest.fixture
def kills(fake_proc, monkeypatch):
    """os.kill that records the signal and makes the fake process exit (unless it is in `stubborn`).

    The fake pids are no processes of this machine: pidfd_open is replaced too, so nothing real is ever
    opened or signalled (kernels without pidfds take this path: signal_method pid+start_time)."""
    root = fake_proc[0]
    sent = []
    stubborn = set()
    monkeypatch.setattr(signals, "pidfd_open", lambda pid: None)

    def exit_process(pid):
        fakeproc.exit_process(root, pid, keep=[1005])  # 1005 is pid 1's (its fds are unreadable)

    def kill(pid, signum):
        sent.append((pid, signum))
        if pid not in stubborn or signum == signal.SIGKILL:
            exit_process(pid)
    monkeypatch.setattr(signals.os, "kill", kill)
    monkeypatch.setattr(port_release, "KILL_GRACE", 0.2)
    kill.sent = sent
    kill.stubborn = stubborn
    kill.exit_process = exit_process
    kill.root = root
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
    assert [(t["pid"], t["signal"], t["ports"], t["holders"], t["signal_method"]) for t in result["terminated"]] == [
        (200, "SIGTERM", [63000], [200], "pid+start_time"), (300, "SIGTERM", [62888], [300, 301], "pid+start_time"),
        (301, "SIGTERM", [62888], [300, 301], "pid+start_time")]
    assert (result["terminated"][0]["start_time"], result["terminated"][0]["exe"]) == (5000, "/usr/bin/nc.openbsd")
    assert result["released_ports"] == [62888, 63000] and result["still_held"] == [62889]
    assert "outbound" in result["skipped"][0]["reason"]
    assert result["diff"]["after"]["holders"] == [h for h in result["diff"]["before"]["holders"] if "400" in h]
    second, _code = run(capsys, {})
    assert second["changed"] is False and len(kills.sent) == 3


def reuse_pid_before_pin(monkeypatch, fake_proc, pid, **changes):
    """Between the scan and the signal, pid becomes another process (or exec's another program)."""
    root, tree = fake_proc
    real_pin = signals.Process.pin

    def pin(self):
        write_process(root, pid, dict(tree["processes"][str(pid)], **changes))
        return real_pin(self)
    monkeypatch.setattr(signals.Process, "pin", pin)


def test_pid_reused_between_scan_and_signal_is_not_signalled(kills, capsys, monkeypatch, fake_proc):
    reuse_pid_before_pin(monkeypatch, fake_proc, 200, start_time=5001, comm="bash")
    result, code = run(capsys, {"ports": [63000]})
    assert code == 0 and kills.sent == [] and result["changed"] is False
    assert result["skipped"][0]["pid"] == 200 and "pid reused by another process (bash)" in result["skipped"][0]["reason"]
    assert result["still_held"] == [63000] and result["terminated"] == []


def test_exec_between_scan_and_signal_is_not_signalled(kills, capsys, monkeypatch, fake_proc):
    reuse_pid_before_pin(monkeypatch, fake_proc, 200, exe="/usr/bin/other")
    result, code = run(capsys, {"ports": [63000]})
    assert code == 0 and kills.sent == [] and result["terminated"] == []
    assert "exec'd since the scan" in result["skipped"][0]["reason"]


def test_no_sigkill_when_the_identity_changed_after_sigterm(kills, capsys, monkeypatch, fake_proc):
    """The holder ignores SIGTERM and exec's another program: the guard refuses SIGKILL, and the entry is
    a survivor with what happened, not `terminated`."""
    root, tree = fake_proc
    kills.stubborn.add(200)
    real_wait = signals.wait_gone

    def wait_then_exec(processes, seconds):
        write_process(root, 200, dict(tree["processes"]["200"], exe="/usr/bin/other"))
        return real_wait(processes, seconds)
    monkeypatch.setattr(signals, "wait_gone", wait_then_exec)
    result, code = run(capsys, {"ports": [63000], "timeout": 0.2})
    assert code == 1 and kills.sent == [(200, signal.SIGTERM)]
    assert result["terminated"] == []
    [survivor] = result["survivors"]
    assert survivor["pid"] == 200 and survivor["signal"] == "SIGTERM"
    assert "SIGKILL was not sent" in survivor["reason"] and "/usr/bin/other" in survivor["reason"]
    assert "pid 200" in result["msg"] and "SIGKILL was not sent" in result["msg"]


def test_pidfd_path_signals_through_the_pidfd(kills, capsys, monkeypatch):
    """A kernel with pidfds: the signal goes through the descriptor pinned before the identity check."""
    pipes = {}

    def pidfd_open(pid):
        read_end, write_end = os.pipe()
        pipes[read_end] = (pid, write_end)
        return read_end

    def pidfd_send_signal(pidfd, signum):
        pid, write_end = pipes[pidfd]
        kills.sent.append((pid, signum))
        kills.exit_process(pid)
        os.write(write_end, b"x")  # the pidfd polls readable once the process has exited
    monkeypatch.setattr(signals, "pidfd_open", pidfd_open)
    monkeypatch.setattr(signals, "pidfd_send_signal", pidfd_send_signal)
    result, code = run(capsys, {"ports": [63000]})
    assert code == 0 and kills.sent == [(200, signal.SIGTERM)]
    assert [(t["pid"], t["signal_method"]) for t in result["terminated"]] == [(200, "pidfd")]
    for _pid, write_end in pipes.values():
        os.close(write_end)


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
    assert result["terminated"] == [] and [s["pid"] for s in result["survivors"]] == [200]
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
    ({"ports": ["\u0669"]}, ["ports", "'\u0669'"]),
    ({"protected": ["a\0b"]}, ["protected", "'a\\x00b'"]),
    ({"expected": {"63000": [""]}}, ["expected[63000]", "''"]),
    ({"signal": "NOPE"}, ["signal", "'NOPE'"]),
    ({"signal": "\u0669"}, ["signal", "'\u0669'"]),     # int() would read an Arabic-Indic 9: SIGKILL
    ({"signal": "0"}, ["signal", "'0'"]),
    ({"timeout": -1}, ["timeout", "-1"]),
    ({"timeout": "nan"}, ["timeout", "'nan'"]),
    ({"timeout": "inf"}, ["timeout", "'inf'"]),
    ({"timeout": 1e308}, ["timeout", "1e+308", "3600"]),
    ({"timeout": "\u0669"}, ["timeout", "'\u0669'"]),
    ({"timeout": "1_0"}, ["timeout", "'1_0'"]),
    ({"timeout": True}, ["timeout", "True"]),
    ({"timeout": [1]}, ["timeout", "[1]"]),
    ({"respawn_window": "nan"}, ["respawn_window", "'nan'"]),
    ({"respawn_window": float("inf")}, ["respawn_window", "inf"]),
    ({"respawn_window": 601}, ["respawn_window", "601", "600"]),
    ({"allow": ["("]}, ["allow", "'('"]),
    ({"allow": ["x" * 1001]}, ["allow", "1 to 1000 characters"]),
    # Ansible's list of str would turn these into names ("1", "{}", "12.5") and drop the default protection
    ({"protected": [1]}, ["protected", "1"]),
    ({"protected": [None]}, ["protected", "None"]),
    ({"protected": 12.5}, ["protected", "12.5"]),
    ({"protected": True}, ["protected", "True"]),
    ({"allow": [{}]}, ["allow", "{}"]),
    ({"allow": 7}, ["allow", "7"]),
    ({"allow": ["a\nb"]}, ["allow", "'a\\nb'"]),
    ({"allow": ["a\r\nb"]}, ["allow", "'a\\r\\nb'"]),
    ({"allow": [""]}, ["allow", "''"]),                  # matches no process: every holder would be skipped
])
def test_bad_input_does_nothing(kills, capsys, args, words):
    result, code = run(capsys, args)
    assert code == 1 and kills.sent == []
    for word in words:
        assert word in result["msg"]


def test_a_signal_the_kernel_refuses_is_a_clear_failure(kills, capsys, monkeypatch):
    """Not root, or a sandbox: kill(2) answers EPERM. The module fails naming the process, no traceback."""
    def refuse(pid, signum):
        kills.sent.append((pid, signum))
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(signals.os, "kill", refuse)
    result, code = run(capsys, {"ports": [63000]})
    assert code == 1 and result["failed"] and kills.sent == [(200, signal.SIGTERM)]
    assert result["msg"] == "could not send SIGTERM to pid 200 (nc): [Errno 1] Operation not permitted"
    assert result["terminated"] == []


def test_holders_signalled_before_a_refusal_are_reported(kills, capsys, monkeypatch):
    """Signals go out one by one: when the kernel refuses the second, the first was already sent, and
    the result says so instead of dropping it."""
    real_kill = signals.os.kill

    def refuse_300(pid, signum):
        if pid == 300:
            raise PermissionError(1, "Operation not permitted")
        real_kill(pid, signum)
    monkeypatch.setattr(signals.os, "kill", refuse_300)
    result, code = run(capsys, {})
    assert code == 1 and "could not send SIGTERM to pid 300 (java)" in result["msg"]
    assert [(s["pid"], s["reason"]) for s in result["survivors"]] == [
        (200, "signalled; not followed up because the run stopped on an error")]
    assert result["terminated"] == [] and kills.sent == [(200, signal.SIGTERM)]
