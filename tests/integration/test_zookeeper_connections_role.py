"""The zookeeper_connections role (playbooks/remediate_zookeeper.yml) against the lab's real 3-node
ZooKeeper 3.8 ensemble, over real SSH, with real clients on client1 (kazoo sessions, Debian's zkCli, the
lab's zk-clients and zk-writes).

One lab for the whole module (the session fixture `lab`; run under the lab lock). Every test starts
from and returns to the same state: zoo.cfg and the running limit as the module found them
(maxClientCnxns 20), every member serving, no client of ours running, no zoo.cfg backups.
"""
# pylint: disable=disallowed-name
import os
import subprocess
import time
import uuid

import pytest

from tests.integration import zkrole_support as zk
from tests.support.lab import LabError, ansible_env, lab, verify_acknowledged_writes  # noqa: F401  pylint: disable=unused-import

# restarts and edits the lab's ensemble: apart from the other lab suites (tests/conftest.py, make test)
pytestmark = pytest.mark.ensemble


@pytest.fixture(scope="module")
def baseline(lab):
    base = zk.baseline_of(lab)
    zk.restore(lab, base)
    return base


@pytest.fixture
def ensemble(lab, baseline):
    """The lab at baseline; faults and kazoo apps started through it are stopped, the baseline restored."""
    started = []

    def inject(*args, **kwargs):
        handle = lab.inject(*args, **kwargs)
        started.append(handle.undo)
        return handle

    def kazoo(server, sessions, host="client1"):
        app = zk.KazooApp(lab, host, server, sessions)
        started.append(app.stop)
        return app

    lab.inject_ours, lab.kazoo = inject, kazoo
    try:
        yield lab
    finally:
        for stop in reversed(started):
            try:
                stop()
            except (LabError, AssertionError):  # already stopped by the test
                pass
        zk.restore(lab, baseline)


def writer(lab):
    log = os.path.join(lab.state_dir, "zk-writes-%s.jsonl" % uuid.uuid4().hex[:8])
    return lab.inject_ours("zk-writes", "client1", "--servers", ",".join(zk.zk_hosts(lab)), "--log", log), log


def no_write_lost(lab, handle, log):
    try:
        handle.undo()
    except LabError:  # already undone by another session's `lab/inject undo all`: it stopped cleanly
        pass
    result = verify_acknowledged_writes(lab, log)
    assert result["acknowledged"] > 20 and result["missing"] == [] and result["wrong_value"] == [], result


# ------------------------------------------------------------------------------------------ live relief
def test_live_relief_raises_every_member_without_a_restart_and_keeps_every_session(ensemble, validated_report_dir):
    lab = ensemble
    followers, leader = zk.roles(lab)
    target = followers[0]
    handle, log = writer(lab)
    app = lab.kazoo(target, 17)
    assert app.info["opened"] == 17
    before = zk.state(lab)

    # the dry run plans live relief and changes nothing
    proc, report = zk.run_playbook(lab, validated_report_dir, check=True)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert report["status"] == "dry-run" and report["data"]["plan"]["method"] == "live", report["summary"]
    assert "PLAN (check mode, nothing is changed): raise maxClientCnxns 20 -> 40" in proc.stdout
    assert report["done"] == [] and zk.state(lab) == before

    with zk.Poller(lab) as poller:
        proc, report = zk.run_playbook(lab, validated_report_dir)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert report["status"] == "remediated", report["summary"]
    plan = report["data"]["plan"]
    assert (plan["method"], plan["old_limit"], plan["new_limit"]) == ("live", 20, 40)
    live = report["data"]["live"]
    assert [r["node"] for r in live] == followers + [leader]
    assert all(r["jmx"] == "set" and r["conf_check"] == "passed" and r["after"] == 40 for r in live), live
    assert report["data"]["rollout"] == []
    assert any(line.startswith("%s: MaxClientCnxnsPerHost set 20 -> 40 live" % target) for line in report["done"])

    # every member runs 40 and keeps it in zoo.cfg (one backup), with the same process as before
    after = zk.state(lab)
    for host in zk.zk_hosts(lab):
        assert after[host] == (before[host][0], "40", "40", 1), (host, before[host], after[host])
    assert poller.most_down_at_once() == 0 and poller.seconds_without_leader() == 0.0

    # every session survived without a state change; a client beyond the old limit gets in at once
    final = app.stop()
    assert [s["session_id"] for s in final["sessions"]] == app.info["session_ids"]
    assert all(s["state"] == "CONNECTED" and s["changes"] == [] and s["now_id"] == s["session_id"]
               for s in final["sessions"]), final
    more = lab.kazoo(target, 4)
    assert (more.info["opened"], more.info["refused"]) == (4, 0)
    cli = zk.zkcli(lab, "client1", target, "ls", "/")
    assert cli.returncode == 0 and "SyncConnected" in cli.stdout and "zookeeper]" in cli.stdout, cli.stdout + cli.stderr
    no_write_lost(lab, handle, log)

    # a second run changes nothing
    proc2, report2 = zk.run_playbook(lab, validated_report_dir)
    assert proc2.returncode == 0, proc2.stdout[-3000:]
    assert report2["status"] == "healthy" and report2["done"] == []
    assert set(zk.recap_changed(proc2.stdout).values()) == {0}, proc2.stdout[-2000:]
    assert zk.state(lab) == after


def test_steady_kept_alive_client_is_growth(ensemble, validated_report_dir):
    """36 long-lived sessions kept alive by kazoo's pings, older than idle_min_age, a flat count: growth.
    (0.1.0 called this a leak because 'idle and never used' counted on its own.)"""
    lab = ensemble
    followers, dummy = zk.roles(lab)
    apps = [lab.kazoo(followers[0], 18), lab.kazoo(followers[1], 18)]
    assert [a.info["opened"] for a in apps] == [18, 18]
    time.sleep(6)  # older than idle_min_age=5: the rule, not the wall time, is under test

    proc, report = zk.run_playbook(lab, validated_report_dir, "zookeeper_connections_idle_min_age=5")
    assert proc.returncode == 0, proc.stdout[-4000:]
    analysis = report["data"]["analysis"]
    assert len(analysis) == 1 and analysis[0]["ip"] == lab.address("client1"), analysis
    a = analysis[0]
    assert (a["first"], a["second"], a["idle"]) == (36, 36, 36) and a["verdict"] == "growth", a
    signs = dict((e["sign"], e) for e in a["evidence"])
    assert signs["sessions idle and never used"]["observed"] and not signs["sessions idle and never used"]["counted"]
    assert signs["the holder keeps opening connections"]["detail"].startswith("36 connection(s) held on client1")
    assert report["status"] == "remediated" and report["data"]["plan"]["new_limit"] == 40
    evidence = [s for s in report["sections"] if s["title"].startswith("Leak or growth")][0]
    assert [r[3] for r in evidence["rows"]] == ["decisive", "decisive", "decisive", "supporting"]


def test_leak_names_the_process_and_leaves_the_limit(ensemble, validated_report_dir):
    lab = ensemble
    followers, dummy = zk.roles(lab)
    leaky = lab.inject_ours("zk-clients", "client1", "15", "--server", followers[0], "--leak")
    time.sleep(1.5)  # over 80 % before the run starts
    before = zk.state(lab)

    proc, report = zk.run_playbook(lab, validated_report_dir, "zookeeper_connections_sample_interval=3")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert report["status"] == "leak", report["summary"]
    a = report["data"]["analysis"][0]
    assert a["ip"] == lab.address("client1") and a["host"] == "client1" and a["leak"] is True
    counted = [e["sign"] for e in a["evidence"] if e["counted"]]
    assert "count rose between the samples" in counted or "refused at the limit while the client keeps opening" in counted
    holder = a["holders"][0]
    assert holder["name"] == "leaky-app" and holder["pid"] == leaky.pid and "--leak" in holder["cmdline"]
    assert holder["count"] >= 16 and holder["age_seconds"] is not None and 0 <= holder["age_seconds"] < 600
    assert "leaky-app pid %d" % leaky.pid in report["summary"] and "left at 20" in report["summary"]
    assert a["recommendation"].startswith("fix the connection leak in leaky-app (pid %d" % leaky.pid)
    assert report["data"]["live"] == [] and report["data"]["rollout"] == [] and report["done"] == []
    assert zk.state(lab) == before

    # the leak can still be made fatal for a pipeline that wants it so
    proc2, report2 = zk.run_playbook(lab, validated_report_dir, "zookeeper_connections_fail_on_leak=true")
    assert proc2.returncode != 0 and report2["status"] == "leak"


def test_srvr_only_whitelist_uses_the_admin_server(ensemble, validated_report_dir):
    lab = ensemble
    followers, leader = zk.roles(lab)
    target = followers[0]
    text = zk.read_cfg(lab, target)
    zk.write_cfg(lab, target, text.replace("4lw.commands.whitelist=srvr,mntr,conf,cons,ruok", "4lw.commands.whitelist=srvr"))
    lab.zkctl(target, "restart")
    lab.wait_quorum(60)
    assert "not in the whitelist" in lab.four_letter(target, "cons")
    lab.kazoo(target, 17)

    proc, report = zk.run_playbook(lab, validated_report_dir)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert report["status"] == "remediated"
    before = dict((s["name"], s) for s in report["data"]["servers_before"])
    assert before[target]["source"] == "admin" and set(before[target]["whitelist_limited"]) >= {"mntr", "conf", "cons"}
    assert before[target]["counts"][lab.address("client1")] == 17
    assert report["data"]["after"][target]["max_client_cnxns"] == 40  # read back through the AdminServer
    assert zk.running_limit(lab, leader) == "40"
    assert zk.cfg_value(zk.read_cfg(lab, target), "maxClientCnxns") == "40"
    assert zk.cfg_value(zk.read_cfg(lab, target), "4lw.commands.whitelist") == "srvr"  # untouched


# ------------------------------------------------------------------------------------------ rolling restart
def test_rolling_restart_followers_then_leader_under_writes(ensemble, validated_report_dir):
    lab = ensemble
    followers, leader = zk.roles(lab)
    handle, log = writer(lab)
    lab.inject_ours("zk-clients", "client1", "17", "--server", followers[0])
    before = zk.state(lab)

    proc, report = zk.run_playbook(lab, validated_report_dir, "zookeeper_connections_apply=restart", check=True)
    assert proc.returncode == 0 and report["status"] == "dry-run", proc.stdout[-4000:]
    assert " -> ".join(followers + [leader]) + " (leader last)" in proc.stdout
    assert proc.stdout.count("-maxClientCnxns=20") == 3 and proc.stdout.count("+maxClientCnxns=40") == 3
    assert [r["gate"] for r in report["data"]["rollout"]] == ["planned"] * 3 and zk.state(lab) == before

    with zk.Poller(lab) as poller:
        proc, report = zk.run_playbook(lab, validated_report_dir, "zookeeper_connections_apply=restart")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert report["status"] == "remediated", report["summary"]
    rollout = report["data"]["rollout"]
    assert [r["node"] for r in rollout] == followers + [leader]
    assert [r["role_before"] for r in rollout] == ["follower"] * len(followers) + ["leader"]
    assert all(r["gate"] == "passed" and r["restarted"] and r["synced_followers"] == 2 for r in rollout), rollout
    restarted = [line.split(" on ", 1)[1].split("]")[0] for line in proc.stdout.splitlines()
                 if line.startswith("TASK [") and "Rollout | Restart ZooKeeper" in line]
    assert restarted == followers + [leader]
    after = zk.state(lab)
    for host in zk.zk_hosts(lab):
        assert after[host][0] != before[host][0] and after[host][1:] == ("40", "40", 1)
    # never more than one member down at once, each of them down once
    assert poller.most_down_at_once() <= 1, poller.when_down()[:5]
    assert set(h for dummy, s in poller.samples for h, m in s.items() if m == "down") == set(zk.zk_hosts(lab))
    no_write_lost(lab, handle, log)

    proc2, report2 = zk.run_playbook(lab, validated_report_dir, "zookeeper_connections_apply=restart")
    assert proc2.returncode == 0 and report2["status"] == "healthy" and report2["data"]["rollout"] == []
    assert set(zk.recap_changed(proc2.stdout).values()) == {0}, proc2.stdout[-2000:]


def test_a_member_already_at_the_new_limit_is_not_restarted(ensemble, validated_report_dir):
    """zk's zoo.cfg already holds 40 and it runs with 40: nothing to write, nothing to restart there."""
    lab = ensemble
    followers, leader = zk.roles(lab)
    ahead = followers[1]
    zk.set_cfg_limit(lab, ahead, 40)
    lab.zkctl(ahead, "restart")
    lab.wait_quorum(60)
    lab.inject_ours("zk-clients", "client1", "17", "--server", followers[0])
    before = zk.state(lab)
    assert before[ahead][1:3] == ("40", "40")

    proc, report = zk.run_playbook(lab, validated_report_dir, "zookeeper_connections_apply=restart")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert report["data"]["plan"]["order"] == [followers[0], leader]
    assert [r["node"] for r in report["data"]["rollout"]] == [followers[0], leader]
    after = zk.state(lab)
    assert after[ahead] == before[ahead]                       # same process, same file, no backup
    assert after[followers[0]][0] != before[followers[0]][0] and after[leader][0] != before[leader][0]


def test_a_follower_that_cannot_restart_stops_the_rollout(ensemble, validated_report_dir):
    """A change that keeps a node from starting (a dataDir without its myid, written by the role itself
    through zookeeper_connections_extra_settings) -> that node's zoo.cfg is restored byte for byte and it
    runs again, the rollout stops, and the nodes after it are not touched (neither restarted nor edited)."""
    lab = ensemble
    followers, leader = zk.roles(lab)
    lab.inject_ours("zk-clients", "client1", "17", "--server", followers[0])
    cfgs = dict((h, zk.read_cfg(lab, h)) for h in zk.zk_hosts(lab))
    before = zk.state(lab)
    broken = '{"zookeeper_connections_extra_settings": {"dataDir": "/var/lib/zookeeper/not-initialised"}}'

    proc, report = zk.run_playbook(lab, validated_report_dir, "zookeeper_connections_restart_timeout=30", broken)
    assert proc.returncode != 0
    assert report["status"] == "failed"
    assert "extra_settings (dataDir) take effect only at a restart" in report["data"]["plan"]["method_reason"]
    rollout = report["data"]["rollout"]
    assert len(rollout) == 1, rollout
    bad = rollout[0]["node"]
    assert bad == followers[0], "a follower goes first, the leader last"
    assert "%s did not come back" % bad in report["summary"], report["summary"]
    assert rollout[0]["gate"] == "failed" and rollout[0]["restored"] is True and rollout[0]["restarted_again"] is True
    after_bad = followers[1:] + [leader]
    assert rollout[0]["not_touched"] == after_bad
    assert "not touched: %s." % ", ".join(after_bad) in report["summary"]
    assert any(line.startswith("%s: zoo.cfg restored from" % bad) for line in report["done"])

    # its zoo.cfg is back byte for byte and it runs again with it, as a quorum member with the old limit
    assert zk.read_cfg(lab, bad) == cfgs[bad]
    assert lab.wait_quorum(60)[bad] in ("follower", "leader")
    assert zk.running_limit(lab, bad) == "20"
    for host in after_bad:
        assert zk.state(lab)[host] == before[host] and zk.read_cfg(lab, host) == cfgs[host]


# ------------------------------------------------------------------------------------------ the locks
HOLDER = """
- name: Another remediation holds one member's lock for a while
  hosts: {host}
  gather_facts: false
  tasks:
    - name: Hold the member's lock (the path remediation_common uses by default)
      alertops.remediation.remediation_lock:
        path: /run/alertops-remediation.lock
        owner: another-run
        lease: 300
    - name: Hold it
      ansible.builtin.pause:
        seconds: 25
    - name: Let it go
      alertops.remediation.remediation_lock:
        path: /run/alertops-remediation.lock
        state: unlocked
"""


def test_the_ensembles_locks_are_taken_before_anything_is_read(ensemble, validated_report_dir, tmp_path):
    """A run for the ensemble while another remediation holds one member's lock reads nothing, decides
    nothing and changes nothing (0.1.0 detected and decided first, then locked)."""
    lab = ensemble
    followers, dummy = zk.roles(lab)
    lab.inject_ours("zk-clients", "client1", "17", "--server", followers[0])
    before = zk.state(lab)
    holder_yml = tmp_path / "holder.yml"
    holder_yml.write_text(HOLDER.format(host=followers[1]))
    out = tmp_path / "holder.out"
    argv = [os.path.join(zk.ROOT, ".venv", "bin", "ansible-playbook"), str(holder_yml), "-i", lab.inventory_path]
    with open(str(out), "w") as fh:
        holder = subprocess.Popen(argv, cwd=zk.ROOT, env=ansible_env({"ANSIBLE_NOCOLOR": "1"}), stdout=fh,
                                  stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while "TASK [Hold it]" not in out.read_text():
            assert holder.poll() is None and time.time() < deadline, out.read_text()[-3000:]
            time.sleep(0.2)
        proc, report = zk.run_playbook(lab, validated_report_dir, "remediation_common_lock_wait=3")
    finally:
        holder.wait(120)
    assert proc.returncode != 0
    assert "another-run" in proc.stdout and followers[1] in report["summary"], report["summary"]
    assert "Detect |" not in proc.stdout and "Decide |" not in proc.stdout, "read or decided without the locks"
    assert report["status"] == "failed" and report["data"]["servers_before"] == [] and report["plan"] == []
    assert zk.state(lab) == before


# ------------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize("extra, needle", [
    ("zookeeper_connections_conf_path=/nonexistent/zoo.cfg", "zoo.cfg /nonexistent/zoo.cfg does not exist or cannot be read"),
    ("zookeeper_connections_max_limit=abc", "zookeeper_connections_max_limit"),
    ("zookeeper_connections_max_limit=10", "zookeeper_connections_max_limit=10 is below the current maxClientCnxns"),
    ("zookeeper_connections_max_limit=20", "cannot raise maxClientCnxns above 20"),
    ("zookeeper_connections_raise_factor=nan", "zookeeper_connections_raise_factor='nan' is not a decimal number"),
    ("zookeeper_connections_threshold_percent=0", "zookeeper_connections_threshold_percent='0' is out of range"),
    ("zookeeper_connections_apply=later", "zookeeper_connections_apply"),
    ("zookeeper_connections_port=2999", "cannot connect to ZooKeeper at"),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(ensemble, validated_report_dir, extra, needle):
    lab = ensemble
    followers, dummy = zk.roles(lab)
    lab.inject_ours("zk-clients", "client1", "17", "--server", followers[0])  # there is something to fix
    before = zk.state(lab)

    proc, dummy = zk.run_playbook(lab, validated_report_dir, extra)
    assert proc.returncode != 0
    assert needle in proc.stdout, proc.stdout[-3000:]
    assert "Nothing was changed" in proc.stdout or "validating arguments" in proc.stdout.lower()
    assert zk.state(lab) == before
