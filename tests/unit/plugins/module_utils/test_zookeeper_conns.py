"""What the connection lists mean (module_utils/zkconns.py): per-IP counts, idle never-used sessions,
saturation."""

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import zkconns
from ansible_collections.alertops.remediation.plugins.module_utils import zkreplies as zr
from tests.support.fakeserver import zk_fixture as fixture


def test_count_by_ip_excludes_probe():
    conns = zr.parse_cons(fixture("follower_cons.txt"))
    assert zkconns.count_by_ip(conns) == {"127.0.0.1": 4}
    assert zkconns.count_by_ip(conns, exclude=[("127.0.0.1", 51022)]) == {"127.0.0.1": 3}


def test_count_by_ip_admin_connections():
    conns = zr.parse_admin_connections(fixture("standalone_admin_connections.json"))
    assert zkconns.count_by_ip(conns) == {"127.0.0.1": 4}


def test_saturation_threshold_and_order():
    counts = {"10.0.0.1": 48, "10.0.0.2": 60, "10.0.0.3": 47, "10.0.0.4": 70}
    sat = zkconns.saturation(counts, 60, 80)
    assert [s["ip"] for s in sat] == ["10.0.0.4", "10.0.0.2", "10.0.0.1"]
    assert sat[0] == {"ip": "10.0.0.4", "count": 70, "limit": 60, "percent": 116.7}
    assert sat[2]["percent"] == 80.0


def test_saturation_unlimited_and_unknown():
    assert zkconns.saturation({"10.0.0.1": 100000}, 0) == []
    assert zkconns.saturation({"10.0.0.1": 5}, None) == []
    assert zkconns.ip_saturation(5, 0) == {"count": 5, "limit": 0, "percent": None}
    assert zkconns.ip_saturation(5, 10) == {"count": 5, "limit": 10, "percent": 50.0}


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
    conns = zr.parse_cons(IDLE_CONS)
    assert zkconns.idle_by_ip(conns, 300, NOW_MS) == {"198.18.0.16": 2}
    # younger than the minimum age: not (yet) evidence of anything
    assert zkconns.idle_by_ip(conns, 900, NOW_MS) == {}
    # a session that sent a request (lcxid 8, lop CREA) and a probe without a session never count
    assert not zkconns.is_idle_never_used(conns[2], 0, NOW_MS)
    assert not zkconns.is_idle_never_used(conns[3], 0, NOW_MS)


def test_idle_by_ip_on_admin_connections():
    payload = {"connections": [
        {"remote_socket_address": "198.18.0.16:40998", "session_id": 72057668218191877, "last_operation": "SESS",
         "established": 1795307595851, "last_cxid": 0},
        {"remote_socket_address": "198.18.0.16:40999", "session_id": 72057668218191878, "last_operation": "GETD",
         "established": 1795307595851, "last_cxid": 3},
    ], "secure_connections": [], "error": None}
    conns = zr.parse_admin_connections(payload)
    assert zkconns.idle_by_ip(conns, 300, NOW_MS) == {"198.18.0.16": 1}


@pytest.mark.parametrize("est,cxid", [
    ("\u0669\u0669", 0), ("9" * 5000, 0), (True, 0), ("abc", 0), (1795307595851, "0x" + "f" * 40), (1795307595851, True),
])
def test_idle_fields_that_are_not_numbers_never_count(est, cxid):
    conn = {"ip": "10.0.0.1", "port": 1, "session_id": 5, "last_operation": "SESS", "established": est,
            "last_cxid": cxid}
    assert zkconns.is_idle_never_used(conn, 0, NOW_MS) is False
