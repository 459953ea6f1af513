"""zookeeper_config on a real server's zoo.cfg (run as on a host), and the real server reading the
result after a restart."""
import os
import stat

import pytest

from tests.support.modrun import run_module
from tests.support.zkserver import start_cluster

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
