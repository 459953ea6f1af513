"""lab/labctl.py's spec: loading, `extends`, ZooKeeper options, what zoo.cfg and java.env say (no lab needed)."""
import os
import sys

import pytest

from tests.support.lab import ROOT

sys.path.insert(0, os.path.join(ROOT, "lab"))
import labctl  # noqa: E402  pylint: disable=wrong-import-position


def write(tmp_path, text, name="spec.yml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def zk_host(myid, address, **zk):
    zk["myid"] = myid
    return {"address": address, "groups": ["zookeeper"], "zookeeper": zk}


def test_shipped_specs_load():
    default = labctl.load_spec()
    assert [default["hosts"][h]["zookeeper"]["peer_type"] for h in ("zk1", "zk2", "zk3")] == ["participant"] * 3
    obs = labctl.load_spec(os.path.join(ROOT, "lab", "specs", "observer.yml"))
    assert list(obs["hosts"]) == list(default["hosts"]) + ["zk4"]
    assert obs["hosts"]["zk4"]["zookeeper"]["peer_type"] == "observer"
    assert obs["zookeeper"]["max_client_cnxns"] == default["zookeeper"]["max_client_cnxns"]
    cfg = labctl.zoo_cfg(obs, "zk1").splitlines()
    assert "server.4=198.18.0.17:2888:3888:observer" in cfg and "peerType=observer" not in cfg
    assert "peerType=observer" in labctl.zoo_cfg(obs, "zk4").splitlines()
    noattach = labctl.load_spec(os.path.join(ROOT, "lab", "specs", "noattach.yml"))
    assert noattach["hosts"]["zk3"]["zookeeper"]["jvm_flags"] == ["-XX:+DisableAttachMechanism"]
    assert noattach["hosts"]["zk3"]["zookeeper"]["max_client_cnxns"] == 20  # defaults still apply
    assert 'SERVER_JVMFLAGS="-XX:+DisableAttachMechanism"' in labctl.java_env(noattach["hosts"]["zk3"]["zookeeper"])
    assert 'SERVER_JVMFLAGS=""' in labctl.java_env(noattach["hosts"]["zk1"]["zookeeper"])


@pytest.mark.parametrize("zk, message", [
    ({"peer_type": "leader"}, "peer_type 'leader' is not participant|observer"),
    ({"jvm_flags": "-XX:+DisableAttachMechanism"}, "jvm_flags must be a list"),
    ({"jvm_flags": ["-Xmx1g -Dx=1"]}, "jvm_flags must be a list"),
    ({"jvm_flags": ['-Dx="$(id)"']}, "jvm_flags must be a list"),
    ({"jvm_flags": ["Xmx1g"]}, "jvm_flags must be a list"),
    ({"heap_mb": "lots"}, "heap_mb 'lots' is not a number"),
    ({"heap_mb": 1 << 40}, "is not a number of MB"),
])
def test_bad_zookeeper_options_are_refused(tmp_path, zk, message):
    import yaml

    spec = {"hosts": {"zk1": zk_host(1, "198.18.0.13"), "zk2": zk_host(2, "198.18.0.14", **zk)}}
    with pytest.raises(labctl.LabError) as exc:
        labctl.load_spec(write(tmp_path, yaml.safe_dump(spec)))
    assert message in str(exc.value) and "zk2" in str(exc.value)


def test_an_observer_needs_two_participants(tmp_path):
    import yaml

    spec = {"hosts": {"zk1": zk_host(1, "198.18.0.13"), "zk2": zk_host(2, "198.18.0.14", peer_type="observer")}}
    with pytest.raises(labctl.LabError, match="an observer needs at least 2 participants"):
        labctl.load_spec(write(tmp_path, yaml.safe_dump(spec)))


def test_extends_replaces_a_host_and_keeps_the_order(tmp_path):
    write(tmp_path, "zookeeper: {max_client_cnxns: 7}\nhosts:\n"
                    "  a: {address: 198.18.0.20}\n  b: {address: 198.18.0.21}\n", "base.yml")
    os.makedirs(str(tmp_path / "sub"))
    child = write(tmp_path, "extends: ../base.yml\nzookeeper: {tick_time: 500}\nhosts:\n"
                            "  a: {address: 198.18.0.30, groups: [x]}\n  c: {address: 198.18.0.22}\n", "sub/child.yml")
    spec = labctl.load_spec(child)
    assert list(spec["hosts"]) == ["a", "b", "c"]
    assert spec["hosts"]["a"] == {"address": "198.18.0.30", "groups": ["x"]}
    assert spec["zookeeper"] == {"max_client_cnxns": 7, "tick_time": 500}
