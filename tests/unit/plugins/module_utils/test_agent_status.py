"""agent_status: HTTP probes under a deadline against real local servers, and the pure decisions."""
import signal
import socket
import threading
import time

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import agent_status


class Hung(Exception):
    pass


@pytest.fixture
def deadline():
    """Fail a test whose code under test would hang, instead of hanging the suite."""
    def expire(_signum, _frame):
        raise Hung("did not return within 30 s")
    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def server(request):
    """A one-connection-at-a-time TCP server on 127.0.0.1 that answers with `behaviour(conn)`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    stop = threading.Event()

    def serve(behaviour):
        def loop():
            while not stop.is_set():
                try:
                    conn, _addr = listener.accept()
                except OSError:
                    return
                with conn:
                    conn.recv(4096)
                    behaviour(conn, stop)
        threading.Thread(target=loop, daemon=True).start()
        return listener.getsockname()[1]

    def close():
        stop.set()
        listener.close()
    request.addfinalizer(close)
    return serve


def answer(text):
    return lambda conn, _stop: conn.sendall(text)


def silent(_conn, stop):
    stop.wait(60)


def drip(conn, stop):
    """One byte at a time, never a line break: a status line that never ends."""
    conn.sendall(b"HTTP/1.1 2")
    while not stop.wait(0.2):
        try:
            conn.sendall(b"0")
        except OSError:
            return


@pytest.mark.parametrize("reply, status", [
    (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 200),
    (b"HTTP/1.0 404 Not Found\r\n\r\n", 404),
    (b"HTTP/1.1 200\r\n\r\n", 200),
    (b"SSH-2.0-OpenSSH_9.2\r\n", None),
    (b"HTTP/1.1 abc OK\r\n\r\n", None),
    (b"", None),
])
def test_http_status(server, reply, status):
    port = server(answer(reply))
    assert agent_status.http_status(port, "/metrics", time.monotonic() + 10) == status


@pytest.mark.parametrize("behaviour", [silent, drip], ids=["silent", "drip"])
def test_http_status_stops_at_the_deadline(server, deadline, behaviour):
    port = server(behaviour)
    assert agent_status.http_status(port, "/metrics", time.monotonic() + 1) is None


def test_http_status_refused_or_past_deadline():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nobody listens there now
    assert agent_status.http_status(port, "/", time.monotonic() + 5) is None
    assert agent_status.http_status(port, "/", time.monotonic() - 1) is None


ROWS = [
    {"name": "ocp_agentd", "pid": 10, "ports": [], "listening": None, "http_status": None, "ready": True},
    {"name": "ocp_mgragent", "pid": 11, "ports": [62888], "listening": True, "http_status": 200, "ready": True},
    {"name": "ocp_monagent", "pid": None, "ports": [62889], "listening": False, "http_status": None, "ready": False},
]


def test_missing_and_foreign_holders():
    assert agent_status.missing(ROWS) == ["ocp_monagent (port 62889: not listening)"]
    holders = {62888: [{"process": {"name": "ocp_mgragent"}}],
               62889: [{"pid": 7, "process": {"name": "rogue-http"}}]}
    assert agent_status.foreign_holders(ROWS, holders) == {"62889": [{"pid": 7, "process": {"name": "rogue-http"}}]}
    assert not agent_status.is_ready(ROWS) and agent_status.is_ready(ROWS[:2])


@pytest.mark.parametrize("state, ready, alive, needs", [
    ("started", True, ["x"], (False, False)),
    ("started", False, [], (False, True)),
    ("started", False, ["guardian gave up"], (True, True)),
    ("stopped", True, ["x"], (True, False)),
    ("stopped", False, [], (False, False)),
    ("restarted", True, ["x"], (True, True)),
    ("restarted", False, [], (False, True)),
])
def test_needs(state, ready, alive, needs):
    assert agent_status.needs(state, ready, alive) == needs
