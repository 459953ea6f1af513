"""zookeeper_info in-process (patch_module_args) with a fake loopback 4lw server replaying recorded
replies, plus one run as Ansible runs it on a host (modrun)."""
import os

import pytest

from ansible_collections.alertops.remediation.plugins.modules import zookeeper_info
from tests.support.fakeserver import drip, replay_words, servers, zk_fixture as fixture
from tests.support.modrun import run_main
from tests.support.modrun import run_module


@pytest.fixture
def hostile():
    with servers() as make:
        yield make


@pytest.fixture
def replay(hostile):
    return lambda replies: hostile(replay_words(replies))


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
    assert r.received == ["srvr", "mntr", "conf", "cons"]


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
    ({"threshold_percent": "nan"}, "threshold_percent must be > 0"),
    ({"port": 0}, "port must be a whole number from 1 to 65535"),
    ({"port": "\u0662\u0661\u0668\u0661"}, "port must be a whole number from 1 to 65535"),
    ({"port": True}, "port must be a whole number from 1 to 65535"),
    ({"admin_url": "localhost:8080"}, "admin_url must look like"),
    ({"admin_url": "http://127.0.0.1:8080\r\nX-Injected: 1"}, "admin_url must look like"),
    ({"admin_url": "http://127.0.0.1:8080/\x00"}, "admin_url must look like"),
    ({"timeout": "inf"}, "timeout must be a finite number"),
    ({"timeout": "nan"}, "timeout must be a finite number"),
    ({"timeout": 1e308}, "timeout must be a finite number"),
    ({"timeout": 0}, "timeout must be a finite number"),
    ({"idle_min_age": "inf"}, "idle_min_age must be a finite number"),
    ({"idle_min_age": -1}, "idle_min_age must be a finite number"),
    ({"source_address": "127.0.0.1\n"}, "source_address must be an IP address"),
    ({"host": "127.0.0.1\r\n"}, "host must be a host name"),
])
def test_bad_options(args, needle, capsys):
    out, rc = run(args, capsys)
    assert rc == 1 and needle in out["msg"]
    assert "Traceback" not in out["msg"]


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
    assert rc == 1 and "idle_min_age must be a finite number of seconds from 0" in out["msg"]


# ---------------------------------------------------------------- hostile servers and files
DRIP = drip(60, 0.5)  # one byte every 0.5 s, 60 of them (30 s): held for minutes by a per-read timeout


def test_timeout_bounds_the_whole_reply_of_a_dripping_server(hostile, capsys):
    h = hostile(DRIP)
    out, rc = run({"port": h.port, "timeout": 2}, capsys)
    assert rc == 1 and "deadline" in out["msg"]
    assert h.sent < 20  # about 4 bytes: cut off at the 2 s deadline, not after the server's 30 s


def test_timeout_bounds_all_requests_together(replay, hostile, capsys):
    # srvr answers; the three words the whitelist refuses go to an AdminServer that drips
    words = replay(recorded("standalone", refuse=("mntr", "conf", "cons")))
    h = hostile(DRIP)
    out, rc = run({"port": words.port, "admin_url": "http://127.0.0.1:%d" % h.port, "timeout": 2}, capsys)
    assert rc == 1 and "deadline has passed" in out["msg"]
    assert h.sent < 20  # 2 s in all, not 2 s per request (nor 30 s per request with a per-read timeout)


@pytest.mark.parametrize("word,reply,needle", [
    ("srvr", "Zookeeper version: 3.8.0\nConnections: abc\nMode: standalone\n", "Connections"),
    ("srvr", "\x00\x01garbage\xff\n", "srvr reply without Mode"),
    ("mntr", "zk_server_state\tstandalone\nzk_num_alive_connections\tabc\n", "num_alive_connections"),
    ("conf", "maxClientCnxns=2147483648\n", "maxClientCnxns"),
    ("cons", "HTTP/1.1 400 Bad Request\r\n\r\n", "unexpected cons line"),
])
def test_garbage_replies_fail_with_a_clear_message(replay, capsys, word, reply, needle):
    replies = recorded("standalone")
    replies[word] = reply
    r = replay(replies)
    out, rc = run({"port": r.port}, capsys)
    assert rc == 1 and out["failed"] is True and needle in out["msg"]
    assert "ZooKeeper at 127.0.0.1:%d" % r.port in out["msg"]  # which server said it


def answer_srvr(self, conn):
    conn.recv(4096)
    conn.sendall(fixture("standalone_srvr.txt").encode())


def test_admin_url_that_is_not_http_is_a_clear_fallback_failure(replay, hostile, capsys):
    # the admin_url port answers, but not HTTP (e.g. a four-letter-word port given by mistake)
    words = replay(recorded("standalone", refuse=("mntr", "conf", "cons")))
    other = hostile(answer_srvr)
    out, rc = run({"port": words.port, "admin_url": "http://127.0.0.1:%d" % other.port}, capsys)
    assert rc == 0 and out["connections_by_ip"] is None
    assert "did not answer HTTP" in out["msg"]


def test_tls_ca_fifo_refused_without_opening_it(replay, capsys, tmp_path):
    fifo = str(tmp_path / "ca.pem")
    os.mkfifo(fifo)
    r = replay(recorded("standalone"))
    for args in ({"tls": True}, {"admin_url": "https://127.0.0.1:%d" % r.port}):
        args.update(port=r.port, tls_ca_path=fifo)
        out, rc = run(args, capsys)
        assert rc == 1 and "tls_ca_path" in out["msg"] and "not a regular file" in out["msg"]


def test_observer_and_its_leader(replay, capsys):
    r = replay(recorded("observer"))
    out, rc = run({"port": r.port}, capsys)
    assert rc == 0 and out["mode"] == "observer" and out["synced_observers"] is None
    r = replay(recorded("leader_with_observer"))
    out, rc = run({"port": r.port}, capsys)
    assert rc == 0 and out["mode"] == "leader"
    assert (out["synced_followers"], out["synced_observers"], out["synced_non_voting_followers"]) == (2, 1, 0)


def test_deadline_spent_on_a_dripping_admin_server_names_it(replay, hostile, capsys):
    # mntr is refused, so the AdminServer stands in; it drips until the deadline, and the next four-letter
    # word finds no time left: the message says where the time went, not only what came next
    words = replay(recorded("standalone", refuse=("mntr", "conf", "cons")))
    admin = hostile(drip(1000, 0.2))
    out, rc = run({"port": words.port, "admin_url": "http://127.0.0.1:%d" % admin.port, "timeout": 1}, capsys)
    assert rc == 1 and "127.0.0.1:%d" % admin.port in out["msg"] and "deadline" in out["msg"]
