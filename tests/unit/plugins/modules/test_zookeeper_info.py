"""zookeeper_info in-process (patch_module_args) with a fake loopback 4lw server replaying recorded
replies, plus one run as Ansible runs it on a host (modrun)."""
import os
import socket
import threading

import pytest

from ansible_collections.alertops.remediation.plugins.modules import zookeeper_info
from tests.support.modrun import run_main
from tests.support.modrun import run_module

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "zookeeper")


def fixture(name):
    with open(os.path.join(FIX, name)) as fh:
        return fh.read()


class Replay(object):
    """Loopback 4lw server: answers each word from `replies` (word -> text or None = close at once)."""

    def __init__(self, replies):
        self.replies = replies
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.words = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            with conn:
                word = conn.recv(4).decode()
                self.words.append(word)
                reply = self.replies.get(word)
                if reply is not None:
                    conn.sendall(reply.encode())


@pytest.fixture
def replay():
    made = []

    def make(replies):
        r = Replay(replies)
        made.append(r)
        return r
    yield make
    for r in made:
        r.sock.close()


def run(args, capsys):
    return run_main(zookeeper_info.main, capsys, args)


def recorded(role, refuse=()):
    replies = {}
    for word in ("srvr", "mntr", "conf", "cons"):
        if word in refuse:
            replies[word] = "%s is not executed because it is not in the whitelist.\n" % word
        else:
            replies[word] = fixture("%s_%s.txt" % (role, word))
    return replies


def test_leader_all_fields(replay, capsys):
    r = replay(recorded("leader"))
    out, rc = run({"host": "127.0.0.1", "port": r.port}, capsys)
    assert rc == 0 and out["changed"] is False
    assert out["mode"] == "leader" and out["zxid"] == "0x100000003"
    assert out["synced_followers"] == 2 and out["max_client_cnxns"] == 60
    assert out["connection_rejected"] == 0 and out["source"] == "4lw"
    assert out["whitelist_limited"] == [] and out["msg"] == ""
    assert r.words == ["srvr", "mntr", "conf", "cons"]


def test_standalone_saturation_threshold(replay, capsys):
    r = replay(recorded("standalone"))
    # recorded cons: 5 connections from 127.0.0.1, limit 10 (the replay's probe port differs)
    out, dummy = run({"port": r.port, "threshold_percent": 50}, capsys)
    assert out["connections_by_ip"] == {"127.0.0.1": 5}
    assert out["saturated"] == [{"ip": "127.0.0.1", "count": 5, "limit": 10, "percent": 50.0}]
    out, dummy = run({"port": r.port, "threshold_percent": 51}, capsys)
    assert out["saturated"] == []


def test_srvr_only_without_admin_says_so(replay, capsys):
    r = replay(recorded("standalone", refuse=("mntr", "conf", "cons")))
    out, rc = run({"port": r.port}, capsys)
    assert rc == 0
    assert out["whitelist_limited"] == ["mntr", "conf", "cons"]
    assert out["connections_by_ip"] is None and out["source"] is None
    assert "No per-IP connection counts are available" in out["msg"]


def test_not_serving(replay, capsys):
    r = replay(dict((w, fixture("not_serving_%s.txt" % w)) for w in ("srvr", "mntr", "conf", "cons")))
    out, rc = run({"port": r.port}, capsys)
    assert rc == 0 and out["mode"] == "not_serving" and "not serving" in out["msg"]


def test_closed_at_once_fails_clearly(replay, capsys):
    r = replay({})
    out, rc = run({"port": r.port}, capsys)
    assert rc == 1 and out["failed"] is True
    assert "closed it at once" in out["msg"] and "source_address" in out["msg"]


@pytest.mark.parametrize("args,needle", [
    ({"threshold_percent": 0}, "threshold_percent must be > 0"),
    ({"port": 0}, "port must be 1-65535"),
    ({"admin_url": "localhost:8080"}, "admin_url must look like"),
])
def test_bad_options(args, needle, capsys):
    out, rc = run(args, capsys)
    assert rc == 1 and needle in out["msg"]


def test_as_on_a_host(replay):
    r = replay(recorded("follower"))
    result, rc = run_module("zookeeper_info", {"port": r.port}, check_mode=True)
    assert rc == 0, result
    assert result["mode"] == "follower" and result["synced_followers"] is None


def test_idle_min_age_counts_never_used_sessions(replay, capsys):
    import time
    now_ms = int(time.time() * 1000)
    cons = (" /10.0.0.21:40998[1](queued=0,recved=3,sent=3,sid=0x1000011457d0005,lop=PING,est=%d,to=30000,"
            "lcxid=0x0,lzxid=0x10000001f,lresp=1136383,llat=3,minlat=0,avglat=3,maxlat=3)\n"
            " /10.0.0.21:40999[1](queued=0,recved=3,sent=3,sid=0x1000011457d0006,lop=SESS,est=%d,to=30000,"
            "lcxid=0x0,lzxid=0x10000001f,lresp=1136383,llat=3,minlat=0,avglat=3,maxlat=3)\n"
            " /10.0.0.22:41000[1](queued=0,recved=9,sent=9,sid=0x1000011457d0007,lop=GETD,est=%d,to=30000,"
            "lcxid=0x5,lzxid=0x10000001f,lresp=1136383,llat=3,minlat=0,avglat=3,maxlat=3)\n"
            % (now_ms - 3600 * 1000, now_ms - 1000, now_ms - 3600 * 1000))
    replies = recorded("standalone")
    replies["cons"] = cons
    r = replay(replies)
    out, rc = run({"port": r.port, "idle_min_age": 60}, capsys)
    assert rc == 0 and out["idle_by_ip"] == {"10.0.0.21": 1}
    assert out["connections_by_ip"] == {"10.0.0.21": 2, "10.0.0.22": 1}
    out, rc = run({"port": r.port}, capsys)
    assert rc == 0 and out["idle_by_ip"] is None
    out, rc = run({"port": r.port, "idle_min_age": -1}, capsys)
    assert rc == 1 and "idle_min_age must be >= 0" in out["msg"]
