"""gather_info (module_utils/zkinfo.py) over recorded replies: 4lw first, the AdminServer for what the
whitelist or a saturated client IP refuses, observers as ZooKeeper counts them, replies that are not
what ZooKeeper sends refused."""

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import zkreplies as zr
from ansible_collections.alertops.remediation.plugins.module_utils.zkerrors import (
    ZkConnectionClosedError, ZkParseError,
)
from ansible_collections.alertops.remediation.plugins.module_utils.zkinfo import gather_info
from tests.support.fakeserver import zk_fixture as fixture


class FakeClient(object):
    """Replays recorded replies; `refuse` lists words answered with the whitelist reply, `replace` maps
    a word (or admin_<what>) to a reply of its own."""

    def __init__(self, role="standalone", refuse=(), admin=False, closed=False, not_serving=False, replace=None):
        self.host, self.port = "127.0.0.1", 2181
        self.role, self.refuse, self.closed, self.not_serving = role, refuse, closed, not_serving
        self.replace = replace or {}
        self.admin_url = "http://127.0.0.1:8080" if admin else None
        self.calls = []

    def _word(self, word):
        self.calls.append(word)
        if self.closed:
            raise ZkConnectionClosedError("closed it at once")
        if word in self.replace:
            return self.replace[word]
        if self.not_serving:
            return fixture("not_serving_%s.txt" % word)
        if word in self.refuse:
            return "%s is not executed because it is not in the whitelist.\n" % word
        return fixture("%s_%s.txt" % (self.role, word))

    def srvr(self):
        return zr.parse_srvr(self._word("srvr"))

    def mntr(self):
        return zr.parse_mntr(self._word("mntr"))

    def conf(self):
        return zr.parse_conf(self._word("conf"))

    def cons(self, detail=True):
        self.calls.append("cons-detail" if detail else "cons-light")
        return zr.parse_cons(self._word("cons"), detail=detail)

    def _admin(self, what):
        self.calls.append("admin_" + what)
        if "admin_" + what in self.replace:
            return self.replace["admin_" + what]
        return fixture("%s_admin_%s.json" % (self.role, what))

    def admin_connections(self):
        return zr.parse_admin_connections(self._admin("connections"))

    def admin_configuration(self):
        return zr.parse_admin_configuration(self._admin("configuration"))

    def admin_monitor(self):
        return zr.parse_admin_monitor(self._admin("monitor"))


def test_gather_all_4lw_standalone():
    info = gather_info(FakeClient("standalone"), 80)
    assert info["mode"] == "standalone" and info["source"] == "4lw"
    assert info["max_client_cnxns"] == 10
    assert info["connections_by_ip"] == {"127.0.0.1": 5}
    assert info["whitelist_limited"] == [] and info["admin_used"] is False
    assert info["synced_followers"] is None and info["synced_observers"] is None


def test_gather_leader_synced_followers():
    info = gather_info(FakeClient("leader"), 80)
    assert info["mode"] == "leader" and info["synced_followers"] == 2


@pytest.mark.parametrize("role,admin,expected", [
    ("leader_with_observer", False, ("leader", 2, 1, 0)),
    ("leader_with_observer", True, ("leader", 2, 1, 0)),
    ("observer", False, ("observer", None, None, None)),
    ("follower", False, ("follower", None, None, None)),
])
def test_gather_reports_observers_as_zookeeper_counts_them(role, admin, expected):
    refuse = ("mntr",) if admin else ()
    info = gather_info(FakeClient(role, refuse=refuse, admin=admin), 80)
    got = (info["mode"], info["synced_followers"], info["synced_observers"], info["synced_non_voting_followers"])
    assert got == expected


def test_gather_srvr_only_falls_back_to_admin():
    client = FakeClient("standalone", refuse=("mntr", "conf", "cons"), admin=True)
    info = gather_info(client, 80)
    assert info["whitelist_limited"] == ["mntr", "conf", "cons"]
    assert info["source"] == "admin" and info["admin_used"] is True
    assert info["connections_by_ip"] == {"127.0.0.1": 4}
    assert info["max_client_cnxns"] == 10
    assert info["saturated"] == []  # 4 of 10 is under 80 %
    assert gather_info(client, 40)["saturated"][0]["percent"] == 40.0


def test_gather_srvr_only_without_admin_says_so():
    info = gather_info(FakeClient("standalone", refuse=("mntr", "conf", "cons")), 80)
    assert info["connections_by_ip"] is None and info["source"] is None
    text = " ".join(info["messages"])
    assert "No per-IP connection counts are available" in text
    assert "not in 4lw.commands.whitelist" in text and "admin_url" in text
    assert info["mode"] == "standalone"


def test_gather_not_serving():
    info = gather_info(FakeClient(not_serving=True), 80)
    assert info["mode"] == "not_serving" and info["connections_by_ip"] is None


def test_gather_closed_without_admin_raises():
    with pytest.raises(ZkConnectionClosedError):
        gather_info(FakeClient(closed=True), 80)


def test_gather_closed_with_admin_uses_admin_and_stops_4lw():
    client = FakeClient("standalone", closed=True, admin=True)
    info = gather_info(client, 80)
    assert info["source"] == "admin" and info["mode"] == "standalone"
    assert client.calls.count("srvr") == 1 and "cons-light" not in client.calls
    assert any("closed it at once" in m for m in info["messages"])


def test_gather_reads_session_fields_only_for_the_idle_analysis():
    client = FakeClient("standalone")
    assert gather_info(client, 80)["idle_by_ip"] is None and "cons-light" in client.calls
    client = FakeClient("standalone")
    info = gather_info(client, 80, idle_min_age=0, now_ms=1795307595934 + 600 * 1000)
    # the recorded standalone server holds 4 sessions that only did the handshake, and the probe
    assert "cons-detail" in client.calls and info["idle_by_ip"] == {"127.0.0.1": 4}


@pytest.mark.parametrize("role,replace,needle", [
    ("standalone", {"srvr": "Zookeeper version: 3.8.0\nConnections: abc\nMode: standalone\n"}, "Connections"),
    ("standalone", {"mntr": "zk_server_state\tstandalone\nzk_num_alive_connections\tabc\n"}, "num_alive_connections"),
    ("leader", {"mntr": "zk_server_state\tleader\nzk_synced_followers\t-2\n"}, "synced_followers"),
    ("leader", {"mntr": "zk_server_state\tleader\nzk_synced_observers\tone\n"}, "synced_observers"),
    ("standalone", {"mntr": "zk_server_state\tstandalone\nzk_connection_rejected\t1.5\n"}, "connection_rejected"),
    ("standalone", {"conf": "maxClientCnxns=lots\n"}, "maxClientCnxns"),
    ("standalone", {"cons": "garbage line\n"}, "unexpected cons line"),
])
def test_gather_refuses_non_numbers_naming_them(role, replace, needle):
    with pytest.raises(ZkParseError) as err:
        gather_info(FakeClient(role, replace=replace), 80)
    assert needle in str(err.value)


def test_gather_refuses_admin_non_numbers():
    client = FakeClient("standalone", refuse=("mntr",), admin=True,
                        replace={"admin_monitor": {"server_state": "standalone", "num_alive_connections": "abc"}})
    with pytest.raises(ZkParseError) as err:
        gather_info(client, 80)
    assert "AdminServer monitor" in str(err.value) and "abc" in str(err.value)


def test_gather_admin_garbage_is_a_fallback_failure_not_a_crash():
    client = FakeClient("standalone", refuse=("cons",), admin=True, replace={"admin_connections": "<html>"})
    info = gather_info(client, 80)
    assert info["connections_by_ip"] is None
    assert "AdminServer fallback failed" in " ".join(info["messages"])
