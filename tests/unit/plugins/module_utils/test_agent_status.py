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


def ident(pid, name, ppid, cmdline=None):
    return {"pid": pid, "name": name, "exe": "/usr/bin/" + name, "cmdline": cmdline or name, "user": "root",
            "start_time": 1, "ppid": ppid, "unit": None}


def held(port, pid, name, ppid, state="LISTEN"):
    return {"local_port": port, "state": state, "inode": port * 10 + pid, "pid": pid,
            "process": ident(pid, name, ppid)}


# 62889 is ocp_monagent's port, and ocp_monagent does not listen (ROWS): who holds it blocks its bind.
@pytest.mark.parametrize("sockets, parents, expected", [
    ([], {}, []),
    ([held(62889, 7, "rogue-http", 6)], {6: ident(6, "supervise-http", 1, "supervise-http --delay 4")},
     [(62889, "ocp_monagent", 7, "rogue-http", "LISTEN", "supervise-http --delay 4")]),
    # a connection on the port is not read as a blocker: it may sit next to the exporter's listener
    ([held(62889, 7, "observer", 1, state="ESTABLISHED")], {1: ident(1, "init", 0)}, []),
    ([held(62889, 7, "rogue-http", 6)], {}, [(62889, "ocp_monagent", 7, "rogue-http", "LISTEN", None)]),
    # the exporter's own process, still binding, and a socket without a process (TIME_WAIT) block nothing
    ([held(62889, 12, "ocp_monagent", 10), dict(held(62889, 1, "x", 0), pid=None, process=None)], {}, []),
    # a listening exporter's port is not looked at
    ([held(62888, 7, "rogue-http", 6, state="ESTABLISHED")], {}, []),
    # one entry per holder and port, whatever number of listening sockets it holds there
    ([held(62889, 7, "rogue-http", 6), dict(held(62889, 7, "rogue-http", 6), inode=1)], {},
     [(62889, "ocp_monagent", 7, "rogue-http", "LISTEN", None)]),
])
def test_blockers(monkeypatch, sockets, parents, expected):
    asked = []
    monkeypatch.setattr(agent_status.procfs, "read_sockets",
                        lambda local_ports=None, states=None: asked.append((local_ports, states)) or
                        [s for s in sockets if s["local_port"] in local_ports and s["state"] in states])
    monkeypatch.setattr(agent_status.procfs, "find_owners", lambda rows: ({}, {}))
    monkeypatch.setattr(agent_status.procfs, "owned_sockets", lambda rows, owners, unresolved: (rows, []))
    monkeypatch.setattr(agent_status.procfs, "process_identity", parents.get)
    found = agent_status.blockers(ROWS)
    assert asked == [([62889], ["LISTEN"])]
    assert [(b["port"], b["service"], b["pid"], b["name"], b["state"], b["parent"] and b["parent"]["cmdline"])
            for b in found] == expected
    for entry in found:
        text = agent_status.describe_blocker(entry)
        assert "pid %d" % entry["pid"] in text and entry["name"] in text
        assert (entry["parent"]["cmdline"] if entry["parent"] else "parent pid 6, which is gone") in text


def test_blockers_of_a_ready_agent_read_nothing(monkeypatch):
    monkeypatch.setattr(agent_status.procfs, "read_sockets", lambda **kw: pytest.fail("read sockets"))
    assert agent_status.blockers(ROWS[:2]) == []


def test_describe_blocker_cuts_long_command_lines():
    entry = {"port": 62888, "service": "pos_proxy", "pid": 7, "name": "java", "user": "admin", "state": "LISTEN",
             "cmdline": "java " + "-Dx=y " * 1000, "unit": "monitor.service", "ppid": 1,
             "parent": {"pid": 1, "name": "systemd", "cmdline": "/sbin/init", "unit": None}}
    text = agent_status.describe_blocker(entry)
    assert len(text) < 1000 and "unit monitor.service" in text and "parent pid 1 systemd" in text
