"""The lab spec (lab/labkit/spec.py): loading, `extends`, ZooKeeper options, what zoo.cfg and java.env say
(lab/labkit/hostfiles.py). No lab needed."""
import os
import sys

import pytest

from tests.support.lab import ROOT

sys.path.insert(0, os.path.join(ROOT, "lab"))
from labkit import hostfiles  # noqa: E402  pylint: disable=wrong-import-position
from labkit.base import LabError  # noqa: E402  pylint: disable=wrong-import-position
from labkit.spec import load_spec  # noqa: E402  pylint: disable=wrong-import-position


def write(tmp_path, text, name="spec.yml"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def zk_host(myid, address, **zk):
    zk["myid"] = myid
    return {"address": address, "groups": ["zookeeper"], "zookeeper": zk}


def test_shipped_specs_load():
    default = load_spec()
    assert [default["hosts"][h]["zookeeper"]["peer_type"] for h in ("zk1", "zk2", "zk3")] == ["participant"] * 3
    obs = load_spec(os.path.join(ROOT, "lab", "specs", "observer.yml"))
    assert list(obs["hosts"]) == list(default["hosts"]) + ["zk4"]
    assert obs["hosts"]["zk4"]["zookeeper"]["peer_type"] == "observer"
    assert obs["zookeeper"]["max_client_cnxns"] == default["zookeeper"]["max_client_cnxns"]
    cfg = hostfiles.zoo_cfg(obs, "zk1").splitlines()
    assert "server.4=198.18.0.17:2888:3888:observer" in cfg and "peerType=observer" not in cfg
    assert "peerType=observer" in hostfiles.zoo_cfg(obs, "zk4").splitlines()
    noattach = load_spec(os.path.join(ROOT, "lab", "specs", "noattach.yml"))
    assert noattach["hosts"]["zk3"]["zookeeper"]["jvm_flags"] == ["-XX:+DisableAttachMechanism"]
    assert noattach["hosts"]["zk3"]["zookeeper"]["max_client_cnxns"] == 20  # defaults still apply
    assert 'SERVER_JVMFLAGS="-XX:+DisableAttachMechanism"' in hostfiles.java_env(noattach["hosts"]["zk3"]["zookeeper"])
    assert 'SERVER_JVMFLAGS=""' in hostfiles.java_env(noattach["hosts"]["zk1"]["zookeeper"])


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
    with pytest.raises(LabError) as exc:
        load_spec(write(tmp_path, yaml.safe_dump(spec)))
    assert message in str(exc.value) and "zk2" in str(exc.value)


def test_an_observer_needs_two_participants(tmp_path):
    import yaml

    spec = {"hosts": {"zk1": zk_host(1, "198.18.0.13"), "zk2": zk_host(2, "198.18.0.14", peer_type="observer")}}
    with pytest.raises(LabError, match="an observer needs at least 2 participants"):
        load_spec(write(tmp_path, yaml.safe_dump(spec)))


def test_extends_replaces_a_host_and_keeps_the_order(tmp_path):
    write(tmp_path, "zookeeper: {max_client_cnxns: 7}\nhosts:\n"
                    "  a: {address: 198.18.0.20}\n  b: {address: 198.18.0.21}\n", "base.yml")
    os.makedirs(str(tmp_path / "sub"))
    child = write(tmp_path, "extends: ../base.yml\nzookeeper: {tick_time: 500}\nhosts:\n"
                            "  a: {address: 198.18.0.30, groups: [x]}\n  c: {address: 198.18.0.22}\n", "sub/child.yml")
    spec = load_spec(child)
    assert list(spec["hosts"]) == ["a", "b", "c"]
    assert spec["hosts"]["a"] == {"address": "198.18.0.30", "groups": ["x"]}
    assert spec["zookeeper"] == {"max_client_cnxns": 7, "tick_time": 500}


def test_fleet_yml_is_the_default_lab_plus_40_alternating_agents():
    spec = load_spec(os.path.join(ROOT, "lab", "fleet.yml"))
    default = load_spec()
    fleet = [n for n, h in spec["hosts"].items() if "fleet" in h["groups"]]
    assert list(spec["hosts"]) == list(default["hosts"]) + fleet
    assert fleet == ["fleet%03d" % i for i in range(1, 41)]
    assert [spec["hosts"][n]["address"] for n in fleet] == ["198.18.0.%d" % i for i in range(100, 140)]
    assert [spec["hosts"][n]["ocp_agent_flavor"] for n in fleet] == ["legacy", "agentctl"] * 20
    assert all(spec["hosts"][n]["groups"] == ["ocp_agents", "fleet"] for n in fleet)
    # --agents replaces the spec's number, on any spec
    assert len([h for h in load_spec(os.path.join(ROOT, "lab", "fleet.yml"), agents=3)["hosts"].values()
                if "fleet" in h["groups"]]) == 3
    assert "fleet155" in load_spec(agents=155)["hosts"] and load_spec(agents=0)["hosts"] == default["hosts"]


@pytest.mark.parametrize("fleet, agents, message", [
    ({}, 156, "a fleet of 156 agents from 198.18.0.100 does not fit"),
    ({"first_address": 250}, 6, "(at most 5 from there)"),
    ({"first_address": 16}, 1, "address 198.18.0.16 used twice"),
    ({"agents": -1}, None, "fleet.agents -1 is not a whole number"),
    ({"agents": "40"}, None, "fleet.agents '40' is not a whole number"),
    ({"flavors": ["legacy", "newest"]}, 2, "fleet.flavors"),
    ({"flavors": []}, 2, "fleet.flavors"),
    ({"prefix": "agent"}, 1, "fleet host agent001 is also a host"),
    ({"prefix": "fl-eet"}, 1, "fleet.prefix 'fl-eet' is not 1-9 letters"),
])
def test_bad_fleets_are_refused(tmp_path, fleet, agents, message):
    import yaml

    hosts = {"agent001": {"address": "198.18.0.15", "groups": ["ocp_agents"]},
             "client1": {"address": "198.18.0.16"}}
    with pytest.raises(LabError) as exc:
        load_spec(write(tmp_path, yaml.safe_dump({"hosts": hosts, "fleet": fleet})), agents=agents)
    assert message in str(exc.value)


@pytest.mark.parametrize("value", ["-3", "x", "4.5", "\u0664"])
def test_labctl_refuses_an_agent_count_that_is_not_a_number(value):
    import subprocess

    p = subprocess.run([os.path.join(ROOT, ".venv", "bin", "python"), os.path.join(ROOT, "lab", "labctl.py"), "up",
                        "--agents", value], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60,
                       check=False)
    assert p.returncode == 2 and "--agents: not a number of hosts: %r" % value in p.stderr, p.stderr


def test_importing_the_lab_api_leaves_the_collection_unloaded():
    """Conftests import the lab API before pytest-ansible installs Ansible's collection loader; a collection
    module imported then, past that loader, leaves the collection without its metadata, and every later
    import from it fails ("collection metadata was not loaded"). The lab imports the collection's
    ZooKeeper client when it first needs it."""
    import subprocess

    code = ("import sys; sys.path.insert(0, %r); import labapi, labkit.lifecycle; "
            "print(sorted(m for m in sys.modules if m.startswith('ansible_collections')))" % os.path.join(ROOT, "lab"))
    p = subprocess.run([os.path.join(ROOT, ".venv", "bin", "python"), "-c", code], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
