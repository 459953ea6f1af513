"""Integration fixtures for the port modules: real processes on real ports, all stopped afterwards.

Only processes started here are ever signalled (by pid, or by the process group of a session started
here), ports are found free at run time, traffic stays on 127.0.0.1.
"""
import os
import random
import signal
import socket
import subprocess

import pytest

PROGRAMS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "programs")
# System Python: readable by `nobody` (the venv's interpreter may live under /root).
PYTHON = "/usr/bin/python3"
RANGE = (62881, 63881)


def port_is_free(port):
    """Bindable on 127.0.0.1 and 0.0.0.0 and no socket of any state uses it."""
    for address in ("0.0.0.0", "127.0.0.1"):
        probe = socket.socket()
        try:
            probe.bind((address, port))
        except OSError:
            return False
        finally:
            probe.close()
    with open("/proc/net/tcp") as tcp, open("/proc/net/tcp6") as tcp6:
        used = set(int(line.split()[1].rsplit(":", 1)[1], 16) for f in (tcp, tcp6) for line in list(f)[1:])
    return port not in used


@pytest.fixture
def free_port():
    """A currently free port inside the OCP-Agent range (other tenants may hold some of it)."""
    candidates = list(range(RANGE[0], RANGE[1] + 1))
    random.shuffle(candidates)
    for port in candidates:
        if port_is_free(port):
            return port
    pytest.skip("no free port in %d-%d on this host" % RANGE)


class Started(object):
    """Processes a test started; stop() kills what is left, by pid or own process group."""

    def __init__(self):
        self.procs = []

    def start(self, program, *args, argv0=None, user=None, session=False):
        argv = [argv0 or PYTHON, os.path.join(PROGRAMS, program)] + [str(a) for a in args]
        proc = subprocess.Popen(argv, executable=PYTHON, stdout=subprocess.PIPE, user=user,
                                start_new_session=session)
        self.procs.append((proc, session))
        line = proc.stdout.readline().decode().split()
        assert line[:1] == ["ready"], "%s did not start" % program
        return proc

    @staticmethod
    def alive(proc):
        """True while the process runs (a zombie child of the test counts as gone)."""
        try:
            with open("/proc/%d/stat" % proc.pid) as handle:
                return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
        except FileNotFoundError:
            return False

    def stop(self):
        for proc, session in self.procs:
            try:
                if session:
                    os.killpg(proc.pid, signal.SIGKILL)  # our own session: the supervisor and its children
                elif proc.poll() is None:
                    proc.kill()
            except ProcessLookupError:
                pass
            proc.wait()


@pytest.fixture
def started(request):
    procs = Started()
    request.addfinalizer(procs.stop)
    return procs
