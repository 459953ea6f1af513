"""zookeeper_config on a real server's zoo.cfg (run as on a host), and the real server reading the
result after a restart."""
import os
import stat
import time

import pytest

from tests.support.modrun import run_module
from tests.support.zkserver import ZkCluster, start_cluster

HEADER = b"# Managed by hand, keep this comment\r\n# caf\xe9: latin-1 byte on purpose\n\n"


@pytest.fixture
def zk(request):
    cluster = start_cluster(request, nodes=1, max_client_cnxns=10)
    node = cluster.nodes[0]
    with open(node.zoo_cfg, "rb") as fh:
        body = fh.read()
    with open(node.zoo_cfg, "wb") as fh:
        fh.write(HEADER + body)
    os.chmod(node.zoo_cfg, 0o640)
    return cluster


def read(path):
    with open(path, "rb") as fh:
        return fh.read()


def test_set_limit_restart_and_server_reads_it(zk):
    node = zk.nodes[0]
    before = read(node.zoo_cfg)
    result, rc = run_module("zookeeper_config", {"path": node.zoo_cfg, "settings": {"maxClientCnxns": 3},
                                                 "backup": True}, diff=True)
    assert rc == 0 and result["changed"] is True, result
    after = read(node.zoo_cfg)
    assert after == before.replace(b"maxClientCnxns=10\n", b"maxClientCnxns=3\n")
    assert after.startswith(HEADER)  # comments, CRLF and the latin-1 byte kept
    assert read(result["backup_file"]) == before
    assert stat.S_IMODE(os.stat(node.zoo_cfg).st_mode) == 0o640
    assert "maxClientCnxns=10" in result["diff"]["before"] and "maxClientCnxns=3" in result["diff"]["after"]
    assert result["changes"] == [{"key": "maxClientCnxns", "before": "10", "after": "3",
                                  "action": "replaced", "line": result["changes"][0]["line"]}]
    # idempotent
    again, rc = run_module("zookeeper_config", {"path": node.zoo_cfg, "settings": {"maxClientCnxns": 3},
                                                "backup": True})
    assert rc == 0 and again["changed"] is False and "backup_file" not in again
    assert read(node.zoo_cfg) == after
    # the real server runs with the new value after a restart
    node.restart()
    zk.wait_serving()
    info, rc = run_module("zookeeper_info", {"host": node.ip, "port": node.client_port})
    assert rc == 0 and info["max_client_cnxns"] == 3


def test_appended_key_is_read_by_server(zk):
    node = zk.nodes[0]
    before = read(node.zoo_cfg)
    result, rc = run_module("zookeeper_config", {"path": node.zoo_cfg,
                                                 "settings": {"4lw.commands.whitelist": "srvr"}})
    # the helper wrote a whitelist already: this replaces it in place
    assert rc == 0 and result["changed"] is True
    assert read(node.zoo_cfg) == before.replace(b"4lw.commands.whitelist=*\n", b"4lw.commands.whitelist=srvr\n")
    result, rc = run_module("zookeeper_config", {"path": node.zoo_cfg, "settings": {"maxCnxns": 50}})
    assert result["changes"][0]["action"] == "appended"
    assert read(node.zoo_cfg).endswith(b"\nmaxCnxns=50\n")
    node.restart()
    zk.wait_serving()
    info, rc = run_module("zookeeper_info", {"host": node.ip, "port": node.client_port})
    assert rc == 0 and info["whitelist_limited"] == ["mntr", "conf", "cons"]


def test_check_mode_writes_nothing(zk):
    node = zk.nodes[0]
    before = read(node.zoo_cfg)
    mtime = os.stat(node.zoo_cfg).st_mtime_ns
    result, rc = run_module("zookeeper_config", {"path": node.zoo_cfg, "settings": {"maxClientCnxns": 99},
                                                 "backup": True}, check_mode=True, diff=True)
    assert rc == 0 and result["changed"] is True
    assert "maxClientCnxns=99" in result["diff"]["after"]
    assert read(node.zoo_cfg) == before and os.stat(node.zoo_cfg).st_mtime_ns == mtime
    assert sorted(os.listdir(node.conf_dir)) == ["log4j.properties", "zoo.cfg"]


@pytest.mark.parametrize("settings,needle", [
    ({"maxClientCnxns": "many"}, "maxClientCnxns must be an integer, got 'many'"),
    ({"maxClientCnxns": -1}, "maxClientCnxns must be >= 0"),
    ({"MaxClientCnxns": 5}, "did you mean 'maxClientCnxns'"),
])
def test_invalid_value_file_untouched(zk, settings, needle):
    node = zk.nodes[0]
    before = read(node.zoo_cfg)
    result, rc = run_module("zookeeper_config", {"path": node.zoo_cfg, "settings": settings, "backup": True})
    assert rc == 1 and needle in result["msg"]
    assert read(node.zoo_cfg) == before
    assert sorted(os.listdir(node.conf_dir)) == ["log4j.properties", "zoo.cfg"]


def test_missing_file(tmp_path):
    path = str(tmp_path / "zoo.cfg")
    result, rc = run_module("zookeeper_config", {"path": path, "settings": {"maxClientCnxns": 5}})
    assert rc == 1 and "does not exist" in result["msg"] and not os.path.exists(path)


def test_symlinked_zoo_cfg_is_edited_where_it_points(zk):
    node = zk.nodes[0]
    real_dir = node.conf_dir + ".real"
    os.mkdir(real_dir)
    real = os.path.join(real_dir, "zoo.cfg")
    os.rename(node.zoo_cfg, real)
    os.symlink(real, node.zoo_cfg)  # the server is started with conf/zoo.cfg, a link
    before = read(real)
    result, rc = run_module("zookeeper_config", {"path": node.zoo_cfg, "settings": {"maxClientCnxns": 4},
                                                 "backup": True})
    assert rc == 0 and result["changed"] is True and result["target"] == real, result
    assert os.path.islink(node.zoo_cfg) and os.readlink(node.zoo_cfg) == real
    assert read(real) == before.replace(b"maxClientCnxns=10\n", b"maxClientCnxns=4\n")
    assert read(result["backup_file"]) == before
    node.restart()
    zk.wait_serving()
    info, rc = run_module("zookeeper_info", {"host": node.ip, "port": node.client_port})
    assert rc == 0 and info["max_client_cnxns"] == 4


def test_dynamic_configuration_keys_are_refused_and_the_limit_stays_static(request):
    cluster = ZkCluster(nodes=1, max_client_cnxns=10)
    request.addfinalizer(cluster.cleanup)
    node = cluster.nodes[0]
    # a one-member quorum with 3.5+ dynamic configuration: membership and client port in the dynamic file
    static = [ln for ln in read(node.zoo_cfg).decode().splitlines() if not ln.startswith("clientPort")]
    dynamic = os.path.join(node.conf_dir, "zoo.cfg.dynamic.100000000")
    with open(dynamic, "w") as fh:
        fh.write("server.1=%s:%d:%d:participant;%s:%d\n" % (node.ip, node.quorum_port, node.election_port,
                                                            node.ip, node.client_port))
    with open(os.path.join(node.data_dir, "myid"), "w") as fh:
        fh.write("1\n")
    with open(node.zoo_cfg, "w") as fh:
        fh.write("\n".join(static + ["standaloneEnabled=false", "reconfigEnabled=true",
                                     "dynamicConfigFile=%s" % dynamic]) + "\n")
    node.start()
    wait_mode(node, "leader")
    files = read(node.zoo_cfg), read(dynamic)
    for settings, needle in (({"server.2": "127.0.0.9:1:2"}, "server.2 lives in the dynamic configuration file"),
                             ({"clientPort": node.client_port + 1}, "the client port is given in dynamic form")):
        result, rc = run_module("zookeeper_config", {"path": node.zoo_cfg, "settings": settings, "backup": True})
        assert rc == 1 and needle in result["msg"] and dynamic in result["msg"], result
        assert (read(node.zoo_cfg), read(dynamic)) == files
    result, rc = run_module("zookeeper_config", {"path": node.zoo_cfg, "settings": {"maxClientCnxns": 3}})
    assert rc == 0 and result["changed"] is True and read(dynamic) == files[1]
    node.restart()
    wait_mode(node, "leader")
    info, rc = run_module("zookeeper_info", {"host": node.ip, "port": node.client_port})
    assert rc == 0 and info["max_client_cnxns"] == 3 and info["mode"] == "leader", info


def wait_mode(node, mode, timeout=60):
    deadline = time.monotonic() + timeout
    while node.mode() != mode:
        assert node.proc.poll() is None, "ZooKeeper exited: see %s" % node.log_dir
        assert time.monotonic() < deadline, "ZooKeeper not %s after %ss" % (mode, timeout)
        time.sleep(0.2)


@pytest.mark.parametrize("settings,needle", [
    ({"maxClientCnxns": 2147483648}, "maxClientCnxns must be <= 2147483647"),
    ({"tickTime": "99999999999999999999"}, "tickTime must be <= 2147483647"),
    ({"dataDir": "/data\x00/x"}, "control characters"),
])
def test_values_the_server_could_not_start_with_are_refused(zk, settings, needle):
    node = zk.nodes[0]
    before = read(node.zoo_cfg)
    result, rc = run_module("zookeeper_config", {"path": node.zoo_cfg, "settings": settings, "backup": True})
    assert rc == 1 and needle in result["msg"]
    assert read(node.zoo_cfg) == before and sorted(os.listdir(node.conf_dir)) == ["log4j.properties", "zoo.cfg"]
