"""zookeeper_info against real Debian ZooKeeper 3.8 servers on loopback (tests/support/zkserver.py).

Client connections are real sessions (ConnectRequest handshake), opened 30 ms apart.
"""
import re
import time

import pytest

from tests.support.modrun import run_module
from tests.support.zkserver import ZkCluster, free_ports, open_sessions, start_cluster


def info(node, **args):
    params = {"host": node.ip, "port": node.client_port, "timeout": 5}
    params.update(args)
    result, rc = run_module("zookeeper_info", params)
    return result, rc


@pytest.fixture
def sessions():
    opened = []
    yield opened
    for s in opened:
        s.close()


def test_standalone_counts_real_sessions(request, sessions):
    zk = start_cluster(request, nodes=1, max_client_cnxns=10)
    node = zk.nodes[0]
    ok, refused = open_sessions(node.ip, node.client_port, 4, source_address=("127.0.0.1", 0))
    sessions.extend(ok)
    assert (len(ok), refused) == (4, 0)
    more, dummy = open_sessions(node.ip, node.client_port, 2, source_address=("127.0.0.3", 0))
    sessions.extend(more)
    result, rc = info(node)
    assert rc == 0, result
    assert result["mode"] == "standalone"
    assert result["version"].startswith("3.8")
    assert re.match(r"^0x[0-9a-f]+$", result["zxid"])
    assert result["max_client_cnxns"] == 10
    assert result["connections_by_ip"] == {"127.0.0.1": 4, "127.0.0.3": 2}
    assert result["alive_connections"] == 6
    assert result["source"] == "4lw" and result["whitelist_limited"] == []
    assert result["saturated"] == []
    assert result["synced_followers"] is None
    # closing sessions is seen on the next call
    for s in more:
        s.close()
    time.sleep(0.5)
    result, rc = info(node)
    assert result["connections_by_ip"] == {"127.0.0.1": 4}


def test_saturated_ip_is_refused_and_diagnosed_from_another_source(request, sessions):
    zk = start_cluster(request, nodes=1, max_client_cnxns=5)
    node = zk.nodes[0]
    ok, refused = open_sessions(node.ip, node.client_port, 8, source_address=("127.0.0.1", 0))
    sessions.extend(ok)
    assert len(ok) <= 5 and refused >= 3
    # from the saturated IP even srvr is refused: a clear error, not a parse failure
    result, rc = info(node, source_address="127.0.0.1")
    assert rc == 1 and "closed it at once" in result["msg"] and "maxClientCnxns" in result["msg"]
    # from another local address the picture is complete
    result, rc = info(node, source_address="127.0.0.2")
    assert rc == 0, result
    assert result["connections_by_ip"] == {"127.0.0.1": len(ok)}
    assert result["max_client_cnxns"] == 5
    assert result["saturated"] == [{"ip": "127.0.0.1", "count": len(ok), "limit": 5,
                                    "percent": round(100.0 * len(ok) / 5, 1)}]
    # every refused session attempt plus the module's refused srvr probe
    assert result["connection_rejected"] == refused + 1


def test_saturated_ip_with_admin_url_falls_back(request, sessions):
    zk = start_cluster(request, nodes=1, max_client_cnxns=3)
    node = zk.nodes[0]
    ok, refused = open_sessions(node.ip, node.client_port, 5, source_address=("127.0.0.1", 0))
    sessions.extend(ok)
    result, rc = info(node, source_address="127.0.0.1", admin_url=node.admin_url)
    assert rc == 0, result
    assert result["source"] == "admin" and result["admin_used"] is True
    assert result["connections_by_ip"] == {"127.0.0.1": len(ok)}
    assert "closed it at once" in result["msg"]
    assert result["saturated"][0]["ip"] == "127.0.0.1"


def test_unlimited_is_never_saturated(request, sessions):
    zk = start_cluster(request, nodes=1, max_client_cnxns=0)
    node = zk.nodes[0]
    ok, dummy = open_sessions(node.ip, node.client_port, 3)
    sessions.extend(ok)
    result, rc = info(node, threshold_percent=1)
    assert rc == 0 and result["max_client_cnxns"] == 0
    assert result["connections_by_ip"] == {"127.0.0.1": 3} and result["saturated"] == []


def test_srvr_only_whitelist(request, sessions):
    zk = start_cluster(request, nodes=1, max_client_cnxns=10, whitelist="srvr")
    node = zk.nodes[0]
    ok, dummy = open_sessions(node.ip, node.client_port, 3)
    sessions.extend(ok)
    result, rc = info(node)
    assert rc == 0, result
    assert result["mode"] == "standalone"
    assert result["whitelist_limited"] == ["mntr", "conf", "cons"]
    assert result["connections_by_ip"] is None and result["source"] is None
    assert "No per-IP connection counts are available" in result["msg"]
    result, rc = info(node, admin_url=node.admin_url, threshold_percent=30)
    assert rc == 0, result
    assert result["source"] == "admin"
    assert result["connections_by_ip"] == {"127.0.0.1": 3}
    assert result["max_client_cnxns"] == 10 and result["connection_rejected"] == 0
    assert result["saturated"] == [{"ip": "127.0.0.1", "count": 3, "limit": 10, "percent": 30.0}]


def test_srvr_only_and_no_admin_server(request):
    zk = start_cluster(request, nodes=1, whitelist="srvr", admin=False)
    node = zk.nodes[0]
    result, rc = info(node, admin_url=node.admin_url)
    assert rc == 0, result
    assert result["connections_by_ip"] is None
    assert "No per-IP connection counts are available" in result["msg"]
    assert "AdminServer fallback failed" in result["msg"]


def test_ensemble_leader_and_follower(request, sessions):
    zk = start_cluster(request, nodes=3)
    leader = zk.leader()
    ok, dummy = open_sessions(leader.ip, leader.client_port, 1, source_address=(leader.ip, 0))
    sessions.extend(ok)  # a session is a transaction: the zxid now carries the elected epoch
    result, rc = info(leader)
    assert rc == 0, result
    assert result["mode"] == "leader" and result["synced_followers"] == 2
    assert int(result["zxid"], 16) >> 32 >= 1
    assert result["connections_by_ip"] == {leader.ip: 1}
    follower = zk.followers()[0]
    result, rc = info(follower)
    assert rc == 0 and result["mode"] == "follower" and result["synced_followers"] is None
    assert result["connections_by_ip"] == {}


def test_node_without_quorum_is_not_serving(request):
    zk = ZkCluster(nodes=3)
    request.addfinalizer(zk.cleanup)
    node = zk.nodes[0]
    node.start()
    deadline = time.time() + 30
    while node.mode() is None and time.time() < deadline:
        # running but without quorum: srvr answers "not currently serving" -> mode() is None
        try:
            from tests.support.zkserver import fourlw
            if "not currently serving" in fourlw(node.ip, node.client_port, "srvr"):
                break
        except OSError:
            time.sleep(0.2)
    result, rc = info(node)
    assert rc == 0, result
    assert result["mode"] == "not_serving" and result["connections_by_ip"] is None


def test_unreachable_server():
    (port,) = free_ports("127.0.0.1", 1)
    result, rc = run_module("zookeeper_info", {"host": "127.0.0.1", "port": port, "timeout": 2})
    assert rc == 1 and result["failed"] is True
    assert "cannot connect to ZooKeeper at 127.0.0.1:%d" % port in result["msg"]


def test_ensemble_with_an_observer_as_zookeeper_counts_it(request):
    zk = start_cluster(request, nodes=3, observers=1, max_client_cnxns=10)
    leader = zk.leader()
    result, rc = info(leader)
    assert rc == 0, result
    assert result["mode"] == "leader"
    assert (result["synced_followers"], result["synced_observers"], result["synced_non_voting_followers"]) == (2, 1, 0)
    (observer,) = zk.observers()
    result, rc = info(observer)
    assert rc == 0 and result["mode"] == "observer" and result["synced_observers"] is None, result


def test_observer_counts_through_the_admin_server(request):
    zk = start_cluster(request, nodes=3, observers=1, max_client_cnxns=10, whitelist="srvr")
    leader = zk.leader()
    result, rc = info(leader, admin_url=leader.admin_url)
    assert rc == 0 and result["whitelist_limited"] == ["mntr", "conf", "cons"], result
    assert (result["synced_followers"], result["synced_observers"]) == (2, 1)
