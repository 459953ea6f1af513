"""Lab specs for ZooKeeper: an observer (`zookeeper.peer_type`) and extra JVM flags (`zookeeper.jvm_flags`).

The module brings up its own small lab (2 participants + 1 observer, one member's JVM refusing attach)
with tests.support.lab.lab_with_spec; a lab that was up comes back afterwards. The file sorts before the
suites that use the session lab, so in `make lab-tests` nothing has to be taken down first.
"""
# pylint: disable=redefined-outer-name
import subprocess

import pytest
import yaml

from tests.support.lab import lab_with_spec

NOATTACH = "-XX:+DisableAttachMechanism"
SPEC = """
zookeeper: {max_client_cnxns: 20, four_letter_words: "srvr,mntr,conf,cons,ruok", heap_mb: 96}
hosts:
  zk1: {address: 198.18.0.13, groups: [zookeeper], zookeeper: {myid: 1, jvm_flags: [%s]}}
  zk2: {address: 198.18.0.14, groups: [zookeeper], zookeeper: {myid: 2}}
  zk3: {address: 198.18.0.15, groups: [zookeeper], zookeeper: {myid: 3, peer_type: observer}}
""" % NOATTACH


@pytest.fixture(scope="module")
def small_lab(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "observer.yml"
    path.write_text(SPEC)
    with lab_with_spec(str(path)) as lab:
        yield lab


def java_argv(lab, host):
    pid = lab.exec(host, ["cat", "/run/zookeeper.pid"]).stdout.strip()
    return lab.exec(host, ["cat", "/proc/%s/cmdline" % pid]).stdout.split("\0"), pid


def test_observer_is_an_observer_and_every_member_knows_it(small_lab):
    lab = small_lab
    modes = lab.wait_quorum(90)
    assert modes["zk3"] == "observer"
    assert sorted((modes["zk1"], modes["zk2"])) == ["follower", "leader"]
    assert "Mode: observer" in lab.four_letter("zk3", "srvr")
    for host in ("zk1", "zk2", "zk3"):
        cfg = lab.exec(host, ["cat", "/etc/zookeeper/conf/zoo.cfg"]).stdout.splitlines()
        assert "server.3=198.18.0.15:2888:3888:observer" in cfg, (host, cfg)
        assert "server.1=198.18.0.13:2888:3888" in cfg and "server.2=198.18.0.14:2888:3888" in cfg
        assert ("peerType=observer" in cfg) == (host == "zk3"), (host, cfg)
    leader = [h for h, m in modes.items() if m == "leader"][0]
    mntr = dict(line.split("\t", 1) for line in lab.four_letter(leader, "mntr").splitlines() if "\t" in line)
    assert mntr["zk_synced_followers"] == "1"
    assert mntr["zk_synced_observers"] == "1"
    inventory = yaml.safe_load(open(lab.inventory_path))["all"]["hosts"]
    assert [inventory[h]["lab_zookeeper_peer_type"] for h in ("zk1", "zk2", "zk3")] == \
        ["participant", "participant", "observer"]


def test_jvm_flags_reach_the_running_java_and_refuse_attach(small_lab):
    lab = small_lab
    lab.wait_quorum(90)
    flagged, flagged_pid = java_argv(lab, "zk1")
    plain, plain_pid = java_argv(lab, "zk2")
    assert NOATTACH in flagged and "-Xmx96m" in flagged
    assert flagged.index(NOATTACH) < flagged.index("-cp")
    assert NOATTACH not in plain
    # what the flag is for: the attach API (jcmd uses it) reaches zk2's JVM and not zk1's
    ok = lab.exec("zk2", ["jcmd", plain_pid, "VM.version"], check=False, timeout=60)
    assert ok.returncode == 0 and "OpenJDK" in ok.stdout, ok.stdout + ok.stderr
    refused = lab.exec("zk1", ["jcmd", flagged_pid, "VM.version"], check=False, timeout=60)
    assert refused.returncode != 0, refused.stdout


def test_flags_and_peer_type_survive_a_restart_by_zkctl_over_ssh(small_lab):
    lab = small_lab
    lab.wait_quorum(90)
    for host in ("zk1", "zk3"):
        old_pid = java_argv(lab, host)[1]
        p = subprocess.run(lab.ssh_argv(host) + [lab.zkctl_path, "restart"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=120, check=False)
        assert p.returncode == 0, p.stderr
        argv, new_pid = java_argv(lab, host)
        assert new_pid != old_pid
        assert (NOATTACH in argv) == (host == "zk1")
        modes = lab.wait_quorum(90)
        assert modes["zk3"] == "observer"
