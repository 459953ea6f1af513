"""signals: pidfd first, the start-time guard as the fallback, on real child processes of this test."""
import errno
import os
import platform
import signal
import subprocess
import sys

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import procfs, signals

SLEEPER = [sys.executable, "-c", "import signal, sys, time\n"
           "if len(sys.argv) > 1: signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
           "print('ready', flush=True)\ntime.sleep(120)"]


@pytest.fixture
def child(request):
    """Start a sleeping child (ignoring SIGTERM when asked); killed and reaped afterwards."""
    started = []

    def start(ignore_term=False):
        proc = subprocess.Popen(SLEEPER + (["ignore"] if ignore_term else []), stdout=subprocess.PIPE)
        assert proc.stdout.readline() == b"ready\n"
        started.append(proc)
        return proc

    def stop():
        for proc in started:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            proc.stdout.close()
    request.addfinalizer(stop)
    return start


@pytest.fixture
def no_pidfd(monkeypatch):
    """A kernel or sandbox without pidfd_open (ENOSYS), whichever way it would be called."""
    def refuse(_pid):
        raise OSError(errno.ENOSYS, "Function not implemented")
    monkeypatch.setattr(os, "pidfd_open", refuse, raising=False)
    monkeypatch.setattr(signals, "syscall_pidfd_open", refuse)


def seen(proc):
    identity = procfs.process_identity(proc.pid)
    return dict(pid=proc.pid, start_time=identity["start_time"], exe=identity["exe"], name=identity["name"])


def test_pidfd_signals_the_process_seen(child):
    proc = child()
    handle = signals.Process(seen(proc))
    assert handle.pin() is None and handle.method == signals.METHOD_PIDFD
    assert handle.running() and handle.send(signal.SIGTERM)
    assert signals.wait_gone([handle], 30) == []
    assert not handle.running() and proc.wait(10) == -signal.SIGTERM
    assert handle.send(signal.SIGKILL) is False, "an exited process takes no signal through its pidfd"
    handle.close()


@pytest.mark.skipif(platform.machine() not in ("x86_64", "aarch64"), reason="syscall numbers known for x86_64/aarch64")
def test_ctypes_system_calls_as_python_3_6_uses_them(child):
    proc = child()
    pidfd = signals.syscall_pidfd_open(proc.pid)
    try:
        signals.syscall_pidfd_send_signal(pidfd, signal.SIGTERM)
        assert proc.wait(10) == -signal.SIGTERM
        with pytest.raises(OSError) as gone:
            signals.syscall_pidfd_send_signal(pidfd, signal.SIGTERM)
        assert gone.value.errno == errno.ESRCH
    finally:
        os.close(pidfd)


def test_fallback_without_pidfd_uses_the_start_time_guard(child, no_pidfd):
    proc = child()
    handle = signals.Process(seen(proc))
    assert handle.pin() is None and handle.method == signals.METHOD_GUARD and handle.pidfd is None
    assert handle.send(signal.SIGTERM) and proc.wait(10) == -signal.SIGTERM
    assert not handle.running() and handle.send(signal.SIGKILL) is False


@pytest.mark.parametrize("fallback", [False, True], ids=["pidfd", "pid+start_time"])
def test_a_reused_pid_is_never_signalled(child, request, fallback):
    if fallback:
        request.getfixturevalue("no_pidfd")
    proc = child()
    stale = dict(seen(proc), start_time=seen(proc)["start_time"] - 1)  # the scan saw an earlier process
    handle = signals.Process(stale)
    assert handle.pin().startswith("pid reused by another process")
    assert handle.pidfd is None and proc.poll() is None


@pytest.mark.parametrize("fallback", [False, True], ids=["pidfd", "pid+start_time"])
def test_a_process_that_exec_d_since_the_scan_is_not_signalled(child, request, fallback):
    if fallback:
        request.getfixturevalue("no_pidfd")
    proc = child()
    handle = signals.Process(dict(seen(proc), exe="/usr/sbin/some-daemon"))
    assert "exec'd since the scan" in handle.pin() and proc.poll() is None


def test_an_exited_process_is_not_signalled(child):
    proc = child()
    identity = seen(proc)
    proc.kill()
    proc.wait()
    assert signals.Process(identity).pin() == "exited since the scan"


def test_without_pidfd_the_guard_refuses_a_changed_process_at_send_time(child, no_pidfd):
    proc = child(ignore_term=True)
    identity = seen(proc)
    handle = signals.Process(identity)
    assert handle.pin() is None and handle.send(signal.SIGTERM)
    identity["exe"] = "/usr/sbin/other"  # what the guard sees once the process exec'd another program
    assert handle.send(signal.SIGKILL) is False and proc.poll() is None
    assert handle.running() and "exec'd since the scan" in handle.changed()


def test_wait_gone_has_one_deadline_for_all(child):
    stubborn = [signals.Process(seen(child(ignore_term=True))) for _index in range(3)]
    for handle in stubborn:
        assert handle.pin() is None and handle.send(signal.SIGTERM)
    assert signals.wait_gone(stubborn, 0.3) == stubborn
    for handle in stubborn:
        assert handle.send(signal.SIGKILL)
    assert signals.wait_gone(stubborn, 30) == []
    for handle in stubborn:
        handle.close()


@pytest.mark.parametrize("value, number", [("TERM", 15), ("sigterm", 15), ("SIGKILL", 9), ("9", 9), (15, 15),
                                           (" HUP", 1)])
def test_parse_signal(value, number):
    assert signals.parse_signal(value) == number


@pytest.mark.parametrize("value", ["\u0669", "1\u0665", "\u017figterm", "0", "99", "SIG_DFL", "", "TERM\0",
                                   True, None, 2.0, "x" * 100, [15]])
def test_parse_signal_refuses_naming_the_value(value):
    with pytest.raises(ValueError) as err:
        signals.parse_signal(value)
    assert str(err.value).startswith("signal: %r" % (value,))
