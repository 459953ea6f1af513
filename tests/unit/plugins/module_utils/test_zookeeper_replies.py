"""Reply parsers (module_utils/zkreplies.py) against replies recorded from real 3.8 servers, and what they
do with replies no ZooKeeper sends."""
import json

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import zkreplies as zr
from ansible_collections.alertops.remediation.plugins.module_utils.zkerrors import (
    ZkAdminError, ZkConnectionClosedError, ZkConnectError, ZkNotServingError, ZkParseError, ZkWhitelistError,
)

from tests.support.cpulimit import cpu_limit
from tests.support.fakeserver import zk_fixture as fixture


# ---------------------------------------------------------------- srvr / stat
@pytest.mark.parametrize("role,mode,zxid", [
    ("standalone", "standalone", "0x4"),
    ("leader", "leader", "0x100000003"),
    ("follower", "follower", "0x100000003"),
    ("observer", "observer", "0x100000002"),
    ("leader_with_observer", "leader", "0x100000002"),
])
def test_parse_srvr_recorded(role, mode, zxid):
    out = zr.parse_srvr(fixture("%s_srvr.txt" % role))
    assert out["mode"] == mode
    assert out["zxid"] == zxid
    assert out["zxid_int"] == int(zxid, 16)
    assert out["version"].startswith("3.8.0")
    assert isinstance(out["connections"], int)


def test_parse_srvr_leader_epoch_and_proposals():
    out = zr.parse_srvr(fixture("leader_srvr.txt"))
    assert out["epoch"] == 1
    assert out["proposal_sizes"] == [48, 48, 48]
    assert (out["latency_min"], out["latency_avg"], out["latency_max"]) == (0, 0.0, 0)


def test_parse_stat_has_clients_and_summary():
    out = zr.parse_stat(fixture("standalone_stat.txt"))
    assert out["mode"] == "standalone"
    assert len(out["clients"]) == out["connections"] == 5
    assert {c["ip"] for c in out["clients"]} == {"127.0.0.1"}


def test_srvr_garbage_is_parse_error():
    with pytest.raises(ZkParseError):
        zr.parse_srvr("hello\nworld\n")


@pytest.mark.parametrize("line,needle", [
    ("Connections: abc", "Connections"),
    ("Connections: 99999999999999999999999", "Connections"),
    ("Connections: \u0669", "Connections"),
    ("Received: -1", "Received"),
    ("Zxid: 0xnothex", "Zxid"),
    ("Zxid: 0x" + "f" * 40, "Zxid"),
    ("Latency min/avg/max: 1/x/3", "Latency"),
    ("Latency min/avg/max: 1/2", "Latency"),
])
def test_srvr_non_numbers_are_parse_errors_naming_the_field(line, needle):
    text = fixture("standalone_srvr.txt")
    key = line.split(":")[0]
    lines = [ln for ln in text.splitlines() if not ln.startswith(key + ":")] + [line]
    with pytest.raises(ZkParseError) as err:
        zr.parse_srvr("\n".join(lines) + "\n")
    assert needle in str(err.value)


# ---------------------------------------------------------------- refusals are never data
@pytest.mark.parametrize("name,cmd", [("whitelist_srvr_only_cons.txt", "cons"),
                                      ("whitelist_srvr_only_mntr.txt", "mntr")])
def test_whitelist_reply_raises(name, cmd):
    parser = getattr(zr, "parse_" + cmd)
    with pytest.raises(ZkWhitelistError) as err:
        parser(fixture(name))
    assert err.value.command == cmd


@pytest.mark.parametrize("cmd", ["srvr", "stat", "mntr", "cons", "conf"])
def test_not_serving_reply_raises(cmd):
    with pytest.raises(ZkNotServingError):
        getattr(zr, "parse_" + cmd)(fixture("not_serving_%s.txt" % cmd))


def test_whitelist_and_not_serving_are_distinct():
    assert not issubclass(ZkWhitelistError, ZkNotServingError)
    assert not issubclass(ZkNotServingError, ZkWhitelistError)
    assert not issubclass(ZkConnectionClosedError, ZkConnectError)


# ---------------------------------------------------------------- mntr / conf
def test_parse_mntr_leader():
    out = zr.parse_mntr(fixture("leader_mntr.txt"))
    assert out["server_state"] == "leader"
    assert out["synced_followers"] == 2
    assert out["connection_rejected"] == 0
    assert isinstance(out["avg_latency"], float)


def test_parse_mntr_follower_has_no_synced_followers():
    out = zr.parse_mntr(fixture("follower_mntr.txt"))
    assert out["server_state"] == "follower"
    assert "synced_followers" not in out


def test_parse_mntr_observers_as_zookeeper_counts_them():
    leader = zr.parse_mntr(fixture("leader_with_observer_mntr.txt"))
    assert (leader["synced_followers"], leader["synced_observers"], leader["synced_non_voting_followers"]) == (2, 1, 0)
    observer = zr.parse_mntr(fixture("observer_mntr.txt"))
    assert observer["server_state"] == "observer" and "synced_observers" not in observer


def test_parse_mntr_keeps_non_numbers_as_text_for_reply_int_to_refuse():
    out = zr.parse_mntr("zk_server_state\tleader\nzk_num_alive_connections\tabc\nzk_x\t\u0669\n")
    assert out["num_alive_connections"] == "abc" and out["x"] == "\u0669"
    with pytest.raises(ZkParseError) as err:
        zr.reply_int(out, "num_alive_connections", "mntr")
    assert "num_alive_connections" in str(err.value) and "abc" in str(err.value)


@pytest.mark.parametrize("value,expected", [(3, 3), ("3", 3), (None, None), (0, 0)])
def test_reply_int_accepts(value, expected):
    assert zr.reply_int({"k": value}, "k", "x") == expected


@pytest.mark.parametrize("value", [True, 1.5, "1.5", "-3", -3, "\u0669", "9" * 30, [1], {"a": 1}, float("nan")])
def test_reply_int_refuses(value):
    with pytest.raises(ZkParseError):
        zr.reply_int({"k": value}, "k", "x")


def test_parse_conf_standalone_and_ensemble():
    conf = zr.parse_conf(fixture("standalone_conf.txt"))
    assert zr.conf_max_client_cnxns(conf) == 10
    leader = zr.parse_conf(fixture("leader_conf.txt"))
    assert zr.conf_max_client_cnxns(leader) == 60
    assert leader["server.1"].startswith("127.0.0.1:")
    assert zr.conf_max_client_cnxns({"clientPort": "1"}) is None
    with pytest.raises(ZkParseError):
        zr.conf_max_client_cnxns({"maxClientCnxns": "lots"})
    with pytest.raises(ZkParseError):
        zr.conf_max_client_cnxns({"maxClientCnxns": "2147483648"})


def test_parse_conf_observer_membership():
    conf = zr.parse_conf(fixture("observer_conf.txt"))
    assert conf["server.4"].endswith(":observer")
    assert conf["peerType"] == "1"  # LearnerType.OBSERVER as ZooKeeper prints it


# ---------------------------------------------------------------- cons
def test_parse_cons_recorded_follower():
    conns = zr.parse_cons(fixture("follower_cons.txt"))
    assert len(conns) == 4
    with_session = [c for c in conns if c["sid"]]
    assert len(with_session) == 3
    c = with_session[0]
    assert c == {"ip": "127.0.0.1", "port": 40569, "sid": "0x1000007f42a0000", "lop": "SESS",
                 "est": c["est"], "lcxid": "0x0"}
    assert isinstance(c["est"], int)
    probe = [c for c in conns if c["sid"] is None][0]
    assert probe["lop"] is None and probe["lcxid"] is None


@pytest.mark.parametrize("line,ip,port", [
    (" /[0:0:0:0:0:0:0:1]:51022[1](queued=0,recved=1,sent=1)", "0:0:0:0:0:0:0:1", 51022),
    (" /0:0:0:0:0:0:0:1:51022[1](queued=0,recved=1,sent=1)", "0:0:0:0:0:0:0:1", 51022),
    (" /10.1.2.3:2[0](queued=0,recved=0,sent=0)", "10.1.2.3", 2),
    # another field order goes through the general parser
    (" /10.1.2.3:7[1](sid=0x5,queued=0,recved=0,sent=0,lop=PING,est=12,lcxid=0x0)", "10.1.2.3", 7),
])
def test_parse_cons_address_forms(line, ip, port):
    (c,) = zr.parse_cons(line + "\n\n")
    assert (c["ip"], c["port"]) == (ip, port)


def test_parse_cons_general_order_keeps_the_decision_fields():
    (c,) = zr.parse_cons(" /10.1.2.3:7[1](sid=0x5,queued=0,recved=0,sent=0,lop=PING,est=12,lcxid=0x0,to=1)\n")
    assert (c["sid"], c["lop"], c["est"], c["lcxid"]) == ("0x5", "PING", 12, "0x0")


@pytest.mark.parametrize("text", [
    " /127.0.0.1:1[1](queued=0)\nnot a connection\n",
    " /127.0.0.1:99999[1](queued=0,recved=1,sent=1)\n",
    " /127.0.0.1:\u0669[1](queued=0,recved=1,sent=1)\n",
    "garbage",
])
def test_parse_cons_rejects_garbage_line(text):
    with pytest.raises(ZkParseError):
        zr.parse_cons(text)


def test_parse_cons_without_detail_keeps_address():
    full = zr.parse_cons(fixture("follower_cons.txt"))
    light = zr.parse_cons(fixture("follower_cons.txt"), detail=False)
    assert [(c["ip"], c["port"]) for c in light] == [(c["ip"], c["port"]) for c in full]
    assert "sid" not in light[0]


def test_parse_cons_empty():
    assert zr.parse_cons("\n") == []


@pytest.mark.parametrize("line", [
    " /" + "1" * (4 * 1024 * 1024),
    " /1:1[1](queued=1,recved=1,sent=1,sid=0x1,lop=A,est=1,to=1,lcxid=0x0," + "x" * (4 * 1024 * 1024),
    ":" * (4 * 1024 * 1024),
    " /" + "1:1[1](queued=1,recved=1,sent=1,sid=0x1,lop=A,est=1,to=1,lcxid=0x0," * 60000,
    " /1:1[1](queued=1" + " " * (4 * 1024 * 1024) + "x",
])
def test_parse_cons_is_linear_on_a_long_garbage_line(line):
    # one 4 MB line without the expected shape is refused, not backtracked over for minutes
    with cpu_limit(20):
        with pytest.raises(ZkParseError):
            zr.parse_cons(line + "\n")


# ---------------------------------------------------------------- AdminServer
def test_admin_connections_recorded():
    conns = zr.parse_admin_connections(fixture("standalone_admin_connections.json"))
    assert len(conns) == 4
    assert all(c["ip"] == "127.0.0.1" and c["secure"] is False for c in conns)


def test_admin_configuration_and_monitor_recorded():
    conf = zr.parse_admin_configuration(fixture("leader_admin_configuration.json"))
    assert zr.conf_max_client_cnxns(conf) == 60
    mon = zr.parse_admin_monitor(fixture("leader_admin_monitor.json"))
    assert mon["server_state"] == "leader" and mon["synced_followers"] == 2
    mon = zr.parse_admin_monitor(fixture("leader_with_observer_admin_monitor.json"))
    assert (mon["synced_followers"], mon["synced_observers"]) == (2, 1)


def test_admin_not_serving_json_and_html():
    with pytest.raises(ZkNotServingError):
        zr.parse_admin_connections(fixture("not_serving_admin_connections.json"))
    with pytest.raises(ZkNotServingError):
        zr.parse_admin("monitor", fixture("not_serving_admin_monitor.json"))


@pytest.mark.parametrize("payload", [
    json.dumps({"command": "connections", "error": "boom"}),
    "<html>404</html>",
    "[1, 2]",
    json.dumps({"connections": "abc"}),
    json.dumps({"connections": [1, 2]}),
    json.dumps({"connections": [{"remote_socket_address": 5}]}),
    json.dumps({"connections": [{"remote_socket_address": "10.0.0.1:99999"}]}),
    json.dumps({"connections": [], "secure_connections": "x"}),
])
def test_admin_connections_garbage_is_admin_error(payload):
    with pytest.raises(ZkAdminError):
        zr.parse_admin_connections(payload)


@pytest.mark.parametrize("payload", ['{"server_state": 5}', '{}', '"text"'])
def test_admin_monitor_garbage_is_admin_error(payload):
    with pytest.raises(ZkAdminError):
        zr.parse_admin_monitor(payload)


def test_split_address_forms():
    assert zr.split_address("127.0.0.1:5") == ("127.0.0.1", 5)
    assert zr.split_address("/[::1]:5") == ("::1", 5)
    assert zr.split_address("[::ffff:10.0.0.1]:5") == ("10.0.0.1", 5)
    for bad in ("nohost", ":5", "10.0.0.1:\u0669", "10.0.0.1:70000", None):
        with pytest.raises(ZkParseError):
            zr.split_address(bad)
