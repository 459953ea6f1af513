"""The ZooKeeper ensemble on zk1..zk3 and its service script zkctl."""
import subprocess


def modes(lab):
    return {h: lab.zk_mode(h) for h in lab.group("zookeeper")}


def test_quorum_one_leader_two_followers(lab):
    m = lab.wait_quorum(60)
    assert sorted(m.values()) == ["follower", "follower", "leader"]
    for h in lab.group("zookeeper"):
        srvr = lab.four_letter(h, "srvr")
        assert "Zookeeper version: 3.8" in srvr
        conf = lab.four_letter(h, "conf")
        assert "maxClientCnxns=20" in conf
        assert "dataDir=/var/lib/zookeeper" in conf


def test_standard_paths_log_and_rotation(lab):
    h = "zk1"
    cfg = lab.exec(h, ["cat", "/etc/zookeeper/conf/zoo.cfg"]).stdout
    assert "clientPort=2181" in cfg and "admin.serverPort=8080" in cfg
    assert "4lw.commands.whitelist=srvr,mntr,conf,cons,ruok" in cfg
    assert lab.exec(h, ["cat", "/var/lib/zookeeper/myid"]).stdout.strip() == "1"
    log4j = lab.exec(h, ["cat", "/etc/zookeeper/conf/log4j.properties"]).stdout
    assert "log4j.appender.ROLLINGFILE=org.apache.log4j.RollingFileAppender" in log4j
    assert "\nlog4j.appender.ROLLINGFILE.MaxBackupIndex=" in log4j
    log = lab.exec(h, ["cat", "/var/log/zookeeper/zookeeper.log"]).stdout
    assert " - INFO  [" in log
    # the AdminServer answers from the controller
    import urllib.request

    body = urllib.request.urlopen("http://%s:8080/commands/monitor" % lab.address(h), timeout=5).read()
    assert b"server_state" in body


def test_follower_restart_via_zkctl_over_ssh_rejoins(lab):
    m = lab.wait_quorum(60)
    follower = sorted(h for h, mode in m.items() if mode == "follower")[0]
    old_pid = lab.exec(follower, ["cat", "/run/zookeeper.pid"]).stdout.strip()
    # the way the role calls it: over ssh; must return (ZooKeeper detached from the session)
    p = subprocess.run(lab.ssh_argv(follower) + [lab.zkctl_path, "restart"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=90, check=False)
    assert p.returncode == 0, p.stderr
    new_pid = lab.exec(follower, ["cat", "/run/zookeeper.pid"]).stdout.strip()
    assert new_pid != old_pid
    assert lab.zkctl(follower, "status").returncode == 0
    m2 = lab.wait_quorum(60)
    assert m2[follower] == "follower"
    assert sorted(m2.values()) == ["follower", "follower", "leader"]


def test_zkctl_status_and_stop_exit_codes(lab):
    m = lab.wait_quorum(60)
    follower = sorted(h for h, mode in m.items() if mode == "follower")[-1]
    try:
        assert lab.zkctl(follower, "stop").returncode == 0
        st = lab.zkctl(follower, "status", check=False)
        assert st.returncode == 3
        assert lab.exec(follower, ["test", "-e", "/run/zookeeper.pid"], check=False).returncode == 1
        assert lab.zkctl(follower, "stop").returncode == 0  # stopping a stopped server is fine
    finally:
        lab.zkctl(follower, "start")
    lab.wait_quorum(60)


def test_zkctl_start_fails_clearly_on_a_broken_zoo_cfg(lab):
    m = lab.wait_quorum(60)
    follower = sorted(h for h, mode in m.items() if mode == "follower")[0]
    cfg = "/etc/zookeeper/conf/zoo.cfg"
    good = lab.exec(follower, ["cat", cfg]).stdout
    try:
        lab.zkctl(follower, "stop")
        lab.exec(follower, ["sh", "-c", 'printf "%s" "$1" > "$2"', "sh",
                            good.replace("clientPort=2181", "clientPort=twenty-one-eighty-one"), cfg])
        p = lab.zkctl(follower, "start", check=False)
        assert p.returncode != 0
        assert "exited" in p.stderr and "twenty-one-eighty-one" in p.stderr
        assert "Invalid config" in p.stderr
        assert lab.zkctl(follower, "status", check=False).returncode == 3
    finally:
        lab.exec(follower, ["sh", "-c", 'printf "%s" "$1" > "$2"', "sh", good, cfg])
        lab.zkctl(follower, "start")
    m2 = lab.wait_quorum(60)
    assert sorted(m2.values()) == ["follower", "follower", "leader"]


def test_up_repairs_a_stopped_zookeeper(lab):
    m = lab.wait_quorum(60)
    follower = sorted(h for h, mode in m.items() if mode == "follower")[0]
    lab.zkctl(follower, "stop")
    report = lab.up()
    assert "ZooKeeper started on %s" % follower in report
    assert lab.wait_quorum(60)[follower] == "follower"


def test_pointing_the_alerts_elsewhere_repairs_nothing(lab):
    """set_alert_url is what a suite running next to the ZooKeeper suites calls (make test): a member they
    stopped stays stopped, while the agents and the inventory get the new URL."""
    m = lab.wait_quorum(60)
    follower = sorted(h for h, mode in m.items() if mode == "follower")[0]
    before = lab.state().get("alert_url", "")
    lab.zkctl(follower, "stop")
    try:
        lab.set_alert_url("http://198.18.0.1:9/elsewhere")
        assert lab.exec(follower, [lab.zkctl_path, "status"], check=False).returncode != 0
        assert lab.state()["alert_url"] == "http://198.18.0.1:9/elsewhere"
        with open(lab.inventory_path) as fh:
            assert "http://198.18.0.1:9/elsewhere" in fh.read()
        agent = lab.group("ocp_agents")[0]
        assert "http://198.18.0.1:9/elsewhere" in lab.exec(agent, ["cat", "/run/lab/host.json"]).stdout
    finally:
        lab.set_alert_url(before)
        lab.zkctl(follower, "start")
        lab.wait_quorum(60)
