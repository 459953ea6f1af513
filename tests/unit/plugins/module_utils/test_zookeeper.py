"""Parsers and client of module_utils/zookeeper.py against replies recorded from a real 3.8 server."""
import json
import os
import socket
import threading

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import zookeeper as zk

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "zookeeper")


def fixture(name):
    with open(os.path.join(FIX, name)) as fh:
        return fh.read()


# ---------------------------------------------------------------- srvr / stat
@pytest.mark.parametrize("role,mode,zxid", [
    ("standalone", "standalone", "0x4"),
    ("leader", "leader", "0x100000003"),
    ("follower", "follower", "0x100000003"),
])
def test_parse_srvr_recorded(role, mode, zxid):
    out = zk.parse_srvr(fixture("%s_srvr.txt" % role))
    assert out["mode"] == mode
    assert out["zxid"] == zxid
    assert out["zxid_int"] == int(zxid, 16)
    assert out["version"].startswith("3.8.0")
    assert isinstance(out["connections"], int)


def test_parse_srvr_leader_epoch_and_proposals():
    out = zk.parse_srvr(fixture("leader_srvr.txt"))
    assert out["epoch"] == 1
    assert out["proposal_sizes"] == [48, 48, 48]
    assert (out["latency_min"], out["latency_avg"], out["latency_max"]) == (0, 0.0, 0)


def test_parse_stat_has_clients_and_summary():
    out = zk.parse_stat(fixture("standalone_stat.txt"))
    assert out["mode"] == "standalone"
    assert len(out["clients"]) == out["connections"] == 5
    assert {c["ip"] for c in out["clients"]} == {"127.0.0.1"}


def test_srvr_garbage_is_parse_error():
    with pytest.raises(zk.ZkParseError):
        zk.parse_srvr("hello\nworld\n")


# ---------------------------------------------------------------- refusals are never data
@pytest.mark.parametrize("name,cmd", [("whitelist_srvr_only_cons.txt", "cons"),
                                      ("whitelist_srvr_only_mntr.txt", "mntr")])
def test_whitelist_reply_raises(name, cmd):
    parser = getattr(zk, "parse_" + cmd)
    with pytest.raises(zk.ZkWhitelistError) as err:
        parser(fixture(name))
    assert err.value.command == cmd


@pytest.mark.parametrize("cmd", ["srvr", "stat", "mntr", "cons", "conf"])
def test_not_serving_reply_raises(cmd):
    with pytest.raises(zk.ZkNotServingError):
        getattr(zk, "parse_" + cmd)(fixture("not_serving_%s.txt" % cmd))


def test_whitelist_and_not_serving_are_distinct():
    assert not issubclass(zk.ZkWhitelistError, zk.ZkNotServingError)
    assert not issubclass(zk.ZkNotServingError, zk.ZkWhitelistError)
    assert not issubclass(zk.ZkConnectionClosedError, zk.ZkConnectError)


# ---------------------------------------------------------------- mntr / conf
def test_parse_mntr_leader():
    out = zk.parse_mntr(fixture("leader_mntr.txt"))
    assert out["server_state"] == "leader"
    assert out["synced_followers"] == 2
    assert out["connection_rejected"] == 0
    assert isinstance(out["avg_latency"], float)


def test_parse_mntr_follower_has_no_synced_followers():
    out = zk.parse_mntr(fixture("follower_mntr.txt"))
    assert out["server_state"] == "follower"
    assert "synced_followers" not in out


def test_parse_conf_standalone_and_ensemble():
    conf = zk.parse_conf(fixture("standalone_conf.txt"))
    assert zk.conf_max_client_cnxns(conf) == 10
    leader = zk.parse_conf(fixture("leader_conf.txt"))
    assert zk.conf_max_client_cnxns(leader) == 60
    assert leader["server.1"].startswith("127.0.0.1:")
    assert zk.conf_max_client_cnxns({"clientPort": "1"}) is None
    with pytest.raises(zk.ZkParseError):
        zk.conf_max_client_cnxns({"maxClientCnxns": "lots"})


# ---------------------------------------------------------------- cons
def test_parse_cons_recorded_follower():
    conns = zk.parse_cons(fixture("follower_cons.txt"))
    assert len(conns) == 4
    with_session = [c for c in conns if "sid" in c]
    assert len(with_session) == 3
    c = with_session[0]
    assert c["ip"] == "127.0.0.1" and c["port"] == 40569 and c["lop"] == "SESS" and c["to"] == 120000
    assert c["sid"] == "0x1000007f42a0000"
    probe = [c for c in conns if "sid" not in c][0]
    assert probe["recved"] == 1 and probe["sent"] == 0


@pytest.mark.parametrize("line,ip,port", [
    (" /[0:0:0:0:0:0:0:1]:51022[1](queued=0,recved=1,sent=1)", "0:0:0:0:0:0:0:1", 51022),
    (" /0:0:0:0:0:0:0:1:51022[1](queued=0,recved=1,sent=1)", "0:0:0:0:0:0:0:1", 51022),
    (" /10.1.2.3:2[0](queued=0,recved=0,sent=0)", "10.1.2.3", 2),
])
def test_parse_cons_address_forms(line, ip, port):
    (c,) = zk.parse_cons(line + "\n\n")
    assert (c["ip"], c["port"]) == (ip, port)


def test_parse_cons_rejects_garbage_line():
    with pytest.raises(zk.ZkParseError):
        zk.parse_cons(" /127.0.0.1:1[1](queued=0)\nnot a connection\n")


def test_parse_cons_without_detail_keeps_address():
    full = zk.parse_cons(fixture("follower_cons.txt"))
    light = zk.parse_cons(fixture("follower_cons.txt"), detail=False)
    assert [(c["ip"], c["port"]) for c in light] == [(c["ip"], c["port"]) for c in full]
    assert "sid" not in light[0]


def test_parse_cons_empty():
    assert zk.parse_cons("\n") == []


# ---------------------------------------------------------------- AdminServer
def test_admin_connections_recorded():
    conns = zk.parse_admin_connections(fixture("standalone_admin_connections.json"))
    assert len(conns) == 4
    assert all(c["ip"] == "127.0.0.1" and c["secure"] is False for c in conns)
    assert zk.count_by_ip(conns) == {"127.0.0.1": 4}


def test_admin_configuration_and_monitor_recorded():
    conf = zk.parse_admin_configuration(fixture("leader_admin_configuration.json"))
    assert zk.conf_max_client_cnxns(conf) == 60
    mon = zk.parse_admin_monitor(fixture("leader_admin_monitor.json"))
    assert mon["server_state"] == "leader" and mon["synced_followers"] == 2


def test_admin_not_serving_json_and_html():
    with pytest.raises(zk.ZkNotServingError):
        zk.parse_admin_connections(fixture("not_serving_admin_connections.json"))
    with pytest.raises(zk.ZkNotServingError):
        zk.parse_admin("monitor", fixture("not_serving_admin_monitor.json"))


def test_admin_other_error_is_admin_error():
    with pytest.raises(zk.ZkAdminError):
        zk.parse_admin("connections", json.dumps({"command": "connections", "error": "boom"}))
    with pytest.raises(zk.ZkAdminError):
        zk.parse_admin("connections", "<html>404</html>")


# ---------------------------------------------------------------- counts and saturation
def test_count_by_ip_excludes_probe():
    conns = zk.parse_cons(fixture("follower_cons.txt"))
    assert zk.count_by_ip(conns) == {"127.0.0.1": 4}
    assert zk.count_by_ip(conns, exclude=[("127.0.0.1", 51022)]) == {"127.0.0.1": 3}


def test_saturation_threshold_and_order():
    counts = {"10.0.0.1": 48, "10.0.0.2": 60, "10.0.0.3": 47, "10.0.0.4": 70}
    sat = zk.saturation(counts, 60, 80)
    assert [s["ip"] for s in sat] == ["10.0.0.4", "10.0.0.2", "10.0.0.1"]
    assert sat[0] == {"ip": "10.0.0.4", "count": 70, "limit": 60, "percent": 116.7}
    assert sat[2]["percent"] == 80.0


def test_saturation_unlimited_and_unknown():
    assert zk.saturation({"10.0.0.1": 100000}, 0) == []
    assert zk.saturation({"10.0.0.1": 5}, None) == []
    assert zk.ip_saturation(5, 0) == {"count": 5, "limit": 0, "percent": None}
    assert zk.ip_saturation(5, 10) == {"count": 5, "limit": 10, "percent": 50.0}


def test_split_address_forms():
    assert zk.split_address("127.0.0.1:5") == ("127.0.0.1", 5)
    assert zk.split_address("/[::1]:5") == ("::1", 5)
    assert zk.split_address("[::ffff:10.0.0.1]:5") == ("10.0.0.1", 5)
    with pytest.raises(zk.ZkParseError):
        zk.split_address("nohost")


# ---------------------------------------------------------------- client against a fake TCP server
class OneShotServer(object):
    """Loopback server answering each connection with `behaviour(conn)`."""

    def __init__(self, behaviour):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.behaviour = behaviour
        self.received = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            try:
                conn, dummy = self.sock.accept()
            except OSError:
                return
            with conn:
                self.behaviour(self, conn)

    def close(self):
        self.sock.close()


@pytest.fixture
def server(request):
    servers = []

    def make(behaviour):
        s = OneShotServer(behaviour)
        servers.append(s)
        return s
    yield make
    for s in servers:
        s.close()


def reply_with(text):
    def behaviour(self, conn):
        self.received.append(conn.recv(4))
        conn.sendall(text.encode())
    return behaviour


def test_client_one_round_trip(server):
    s = server(reply_with(fixture("standalone_srvr.txt")))
    client = zk.ZkClient("127.0.0.1", s.port, timeout=5)
    assert client.srvr()["mode"] == "standalone"
    assert s.received == [b"srvr"]
    assert client.last_local_address[0] == "127.0.0.1"


def test_client_whitelist_refusal(server):
    s = server(reply_with("cons is not executed because it is not in the whitelist.\n"))
    with pytest.raises(zk.ZkWhitelistError):
        zk.ZkClient("127.0.0.1", s.port, timeout=5).cons()


def test_client_closed_at_once_is_distinct(server):
    s = server(lambda self, conn: None)  # accept, then close without a byte
    with pytest.raises(zk.ZkConnectionClosedError) as err:
        zk.ZkClient("127.0.0.1", s.port, timeout=5).srvr()
    assert "maxClientCnxns" in str(err.value)


def test_client_timeout(server):
    done = threading.Event()
    s = server(lambda self, conn: done.wait(5))
    with pytest.raises(zk.ZkConnectError) as err:
        zk.ZkClient("127.0.0.1", s.port, timeout=0.3).srvr()
    done.set()
    assert "0.3" in str(err.value)


def test_client_connection_refused():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # bound then closed: nothing listens there now
    with pytest.raises(zk.ZkConnectError) as err:
        zk.ZkClient("127.0.0.1", port, timeout=2).srvr()
    assert "127.0.0.1:%d" % port in str(err.value)


def test_client_cons_leaves_out_its_own_probe(server):
    def behaviour(self, conn):
        conn.recv(4)
        ip, port = conn.getpeername()
        conn.sendall((" /%s:%d[0](queued=0,recved=1,sent=0)\n /10.0.0.9:1[1](queued=0,recved=1,sent=1)\n\n"
                      % (ip, port)).encode())
    s = server(behaviour)
    conns = zk.ZkClient("127.0.0.1", s.port, timeout=5).cons()
    assert [c["ip"] for c in conns] == ["10.0.0.9"]


def test_unknown_word_refused():
    with pytest.raises(ValueError):
        zk.ZkClient().raw("kill")


# ---------------------------------------------------------------- gather_info with a fake client
class FakeClient(object):
    """Replays recorded replies; `refuse` lists words answered with the whitelist reply."""

    def __init__(self, role="standalone", refuse=(), admin=False, closed=False, not_serving=False):
        self.host, self.port = "127.0.0.1", 2181
        self.role, self.refuse, self.closed, self.not_serving = role, refuse, closed, not_serving
        self.admin_url = "http://127.0.0.1:8080" if admin else None
        self.calls = []

    def _word(self, word):
        self.calls.append(word)
        if self.closed:
            raise zk.ZkConnectionClosedError("closed it at once")
        if self.not_serving:
            return fixture("not_serving_%s.txt" % word)
        if word in self.refuse:
            return "%s is not executed because it is not in the whitelist.\n" % word
        return fixture("%s_%s.txt" % (self.role, word))

    def srvr(self):
        return zk.parse_srvr(self._word("srvr"))

    def mntr(self):
        return zk.parse_mntr(self._word("mntr"))

    def conf(self):
        return zk.parse_conf(self._word("conf"))

    def cons(self, detail=True):
        return zk.parse_cons(self._word("cons"), detail=detail)

    def _admin(self, what):
        self.calls.append("admin_" + what)
        return fixture("%s_admin_%s.json" % (self.role, what))

    def admin_connections(self):
        return zk.parse_admin_connections(self._admin("connections"))

    def admin_configuration(self):
        return zk.parse_admin_configuration(self._admin("configuration"))

    def admin_monitor(self):
        return zk.parse_admin_monitor(self._admin("monitor"))


def test_gather_all_4lw_standalone():
    info = zk.gather_info(FakeClient("standalone"), 80)
    assert info["mode"] == "standalone" and info["source"] == "4lw"
    assert info["max_client_cnxns"] == 10
    assert info["connections_by_ip"] == {"127.0.0.1": 5}
    assert info["whitelist_limited"] == [] and info["admin_used"] is False
    assert info["synced_followers"] is None


def test_gather_leader_synced_followers():
    info = zk.gather_info(FakeClient("leader"), 80)
    assert info["mode"] == "leader" and info["synced_followers"] == 2


def test_gather_srvr_only_falls_back_to_admin():
    client = FakeClient("standalone", refuse=("mntr", "conf", "cons"), admin=True)
    info = zk.gather_info(client, 80)
    assert info["whitelist_limited"] == ["mntr", "conf", "cons"]
    assert info["source"] == "admin" and info["admin_used"] is True
    assert info["connections_by_ip"] == {"127.0.0.1": 4}
    assert info["max_client_cnxns"] == 10
    assert info["saturated"] == []  # 4 of 10 is under 80 %
    assert zk.gather_info(client, 40)["saturated"][0]["percent"] == 40.0


def test_gather_srvr_only_without_admin_says_so():
    info = zk.gather_info(FakeClient("standalone", refuse=("mntr", "conf", "cons")), 80)
    assert info["connections_by_ip"] is None and info["source"] is None
    text = " ".join(info["messages"])
    assert "No per-IP connection counts are available" in text
    assert "not in 4lw.commands.whitelist" in text and "admin_url" in text
    assert info["mode"] == "standalone"


def test_gather_not_serving():
    info = zk.gather_info(FakeClient(not_serving=True), 80)
    assert info["mode"] == "not_serving" and info["connections_by_ip"] is None


def test_gather_closed_without_admin_raises():
    with pytest.raises(zk.ZkConnectionClosedError):
        zk.gather_info(FakeClient(closed=True), 80)


def test_gather_closed_with_admin_uses_admin_and_stops_4lw():
    client = FakeClient("standalone", closed=True, admin=True)
    info = zk.gather_info(client, 80)
    assert info["source"] == "admin" and info["mode"] == "standalone"
    assert client.calls.count("srvr") == 1 and "cons" not in client.calls
    assert any("closed it at once" in m for m in info["messages"])


def test_argument_spec_and_client_from_params():
    spec = zk.zookeeper_argument_spec()
    params = dict((k, v.get("default")) for k, v in spec.items())
    client = zk.client_from_params(params)
    assert (client.host, client.port, client.admin_url) == ("127.0.0.1", 2181, None)
    with pytest.raises(ValueError):
        zk.client_from_params(dict(params, port=70000))
    with pytest.raises(ValueError):
        zk.client_from_params(dict(params, admin_url="127.0.0.1:8080"))


# ---------------------------------------------------------------- idle, never-used sessions (leak evidence)
# Recorded from a 3.8 server in the lab: sessions of a client that only did the handshake (and pings),
# one that wrote, and a 4lw probe without a session.
IDLE_CONS = (
    " /198.18.0.16:40998[1](queued=0,recved=1,sent=1,sid=0x1000011457d0005,lop=SESS,est=1795307595851,"
    "to=30000,lcxid=0x0,lzxid=0x10000001f,lresp=1136383,llat=3,minlat=0,avglat=3,maxlat=3)\n"
    " /198.18.0.16:41008[1](queued=0,recved=4,sent=4,sid=0x1000011457d0006,lop=PING,est=1795307595903,"
    "to=30000,lcxid=0x0,lzxid=0x100000020,lresp=1136436,llat=4,minlat=0,avglat=4,maxlat=4)\n"
    " /198.18.0.17:41022[1](queued=0,recved=9,sent=9,sid=0x1000011457d0007,lop=CREA,est=1795307595934,"
    "to=30000,lcxid=0x8,lzxid=0x100000021,lresp=1136467,llat=4,minlat=0,avglat=4,maxlat=4)\n"
    " /198.18.0.1:35694[0](queued=0,recved=1,sent=0)\n"
)
NOW_MS = 1795307595934 + 600 * 1000


def test_idle_by_ip_counts_sessions_that_never_sent_a_request():
    conns = zk.parse_cons(IDLE_CONS)
    assert zk.idle_by_ip(conns, 300, NOW_MS) == {"198.18.0.16": 2}
    # younger than the minimum age: not (yet) evidence of anything
    assert zk.idle_by_ip(conns, 900, NOW_MS) == {}
    # a session that sent a request (lcxid 8, lop CREA) and a probe without a session never count
    assert not zk.is_idle_never_used(conns[2], 0, NOW_MS)
    assert not zk.is_idle_never_used(conns[3], 0, NOW_MS)


def test_idle_by_ip_on_admin_connections():
    payload = {"connections": [
        {"remote_socket_address": "198.18.0.16:40998", "session_id": 72057668218191877, "last_operation": "SESS",
         "established": 1795307595851, "last_cxid": 0},
        {"remote_socket_address": "198.18.0.16:40999", "session_id": 72057668218191878, "last_operation": "GETD",
         "established": 1795307595851, "last_cxid": 3},
    ], "secure_connections": [], "error": None}
    conns = zk.parse_admin_connections(payload)
    assert zk.idle_by_ip(conns, 300, NOW_MS) == {"198.18.0.16": 1}


class IdleClient(FakeClient):
    def cons(self, detail=True):
        self.calls.append("cons-detail" if detail else "cons")
        return zk.parse_cons(IDLE_CONS, detail=detail)


def test_gather_idle_only_when_asked():
    client = IdleClient("standalone")
    info = zk.gather_info(client, 80)
    assert info["idle_by_ip"] is None and "cons" in client.calls
    client = IdleClient("standalone")
    info = zk.gather_info(client, 80, idle_min_age=300, now_ms=NOW_MS)
    assert info["idle_by_ip"] == {"198.18.0.16": 2} and "cons-detail" in client.calls
    assert info["connections_by_ip"] == {"198.18.0.16": 2, "198.18.0.17": 1, "198.18.0.1": 1}
