"""The zookeeper_connections role (playbooks/remediate_zookeeper.yml) against the lab's real 3-node
ZooKeeper 3.8 ensemble, over real SSH, with real client processes on client1.

One lab for the whole module (the session fixture `lab` from tests/support/lab.py). Every test starts
from and returns to the same state: zoo.cfg as it was when the module started (maxClientCnxns 20), every
node serving, no fault of ours running, no zoo.cfg backups. Only faults injected here are undone.
"""
# pylint: disable=disallowed-name
import glob
import json
import os
import socket
import subprocess
import threading
import time
import uuid

import pytest

from tests.support.lab import LabError, ansible_env, lab, read_jsonl, verify_acknowledged_writes  # noqa: F401

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(ROOT, "playbooks", "remediate_zookeeper.yml")
CONF = "/etc/zookeeper/conf/zoo.cfg"
LIMIT = 20


# ------------------------------------------------------------------------------------------ helpers
def zk_hosts(lab):
    return lab.group("zookeeper")


def read_cfg(lab, host):
    return lab.exec(host, ["cat", CONF]).stdout


def write_cfg(lab, host, text):
    lab.exec(host, ["sh", "-c", "cat > %s.tmp && mv %s.tmp %s" % (CONF, CONF, CONF)], input=text)


def cfg_value(text, key):
    value = None
    for line in text.splitlines():
        k, sep, v = line.partition("=")
        if sep and k.strip() == key:
            value = v.strip()
    return value


def backups(lab, host):
    out = lab.exec(host, ["sh", "-c", "ls %s.*~ 2>/dev/null || true" % CONF]).stdout
    return [line for line in out.splitlines() if line.strip()]


def zk_pid(lab, host):
    out = lab.exec(host, ["cat", "/run/zookeeper.pid"], check=False).stdout.strip()
    return int(out) if out.isdigit() else None


def running_limit(lab, host):
    return cfg_value(lab.four_letter(host, "conf"), "maxClientCnxns")


def last_start_marker(lab, host):
    """time of the last `zkctl start` (the marker zkctl writes into zookeeper.out), as a sortable string."""
    out = lab.exec(host, ["sh", "-c", "grep '=== zkctl start' /var/log/zookeeper/zookeeper.out | tail -1"]).stdout
    return out.strip()


def saturated_now(lab, threshold=80.0):
    """(host, ip, count, limit) at or over threshold, read from the controller (cons + conf)."""
    found = []
    for host in zk_hosts(lab):
        limit = int(running_limit(lab, host))
        counts = {}
        for line in lab.four_letter(host, "cons").splitlines():
            line = line.strip()
            if not line.startswith("/"):
                continue
            ip = line[1:].rsplit(":", 1)[0]
            counts[ip] = counts.get(ip, 0) + 1
        counts.pop(lab.spec["network"]["controller_address"], None)  # our own probe
        for ip, n in counts.items():
            if limit and 100.0 * n >= threshold * limit:
                found.append((host, ip, n, limit))
    return found


def run_playbook(lab, report_dir, *extra, check=False, timeout=300):
    """ansible-playbook remediate_zookeeper.yml; returns (CompletedProcess, report dict or None)."""
    run_id = "t" + uuid.uuid4().hex[:10]
    argv = [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), PLAYBOOK, "-i", lab.inventory_path,
            "-e", "remediation_common_run_id=%s" % run_id, "-e", "zookeeper_connections_sample_interval=2"]
    for item in extra:
        argv += ["-e", item]
    if check:
        argv += ["--check", "--diff"]
    env = ansible_env({"ALERTOPS_REPORT_DIR": str(report_dir), "ANSIBLE_NOCOLOR": "1"})
    proc = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout, check=False)
    reports = glob.glob(os.path.join(str(report_dir), "zookeeper_connections", run_id, "*.json"))
    report = None
    if reports:
        with open(reports[0]) as fh:
            report = json.load(fh)
    return proc, report


def recap_changed(output):
    """{host: changed count} from the PLAY RECAP."""
    out = {}
    recap = output.rsplit("PLAY RECAP", 1)[-1]
    for line in recap.splitlines():
        if "changed=" in line and ":" in line:
            host = line.split(":", 1)[0].strip()
            out[host] = int(line.split("changed=", 1)[1].split()[0])
    return out


class Poller(object):
    """Asks every member `srvr` from the controller every 0.1 s: 'down' (refused/timeout), 'not_serving'
    (up, no quorum or electing) or the Mode."""

    def __init__(self, lab):
        self.targets = dict((h, lab.address(h)) for h in zk_hosts(lab))
        self.samples = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def probe(self, addr):
        try:
            with socket.create_connection((addr, 2181), timeout=1.0) as s:
                s.sendall(b"srvr")
                data = b""
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    data += chunk
        except OSError:
            return "down"
        text = data.decode(errors="replace")
        if "not currently serving" in text:
            return "not_serving"
        for line in text.splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
        return "down"  # closed without a reply: the JVM is going away

    def run(self):
        while not self.stop.is_set():
            self.samples.append((time.time(), dict((h, self.probe(a)) for h, a in self.targets.items())))
            self.stop.wait(0.1)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture(scope="module")
def baseline(lab):
    """zoo.cfg of every member when the module starts, with maxClientCnxns at the lab's 20."""
    base = {}
    for host in zk_hosts(lab):
        text = read_cfg(lab, host)
        lines = ["maxClientCnxns=%d" % LIMIT if line.startswith("maxClientCnxns=") else line
                 for line in text.split("\n")]
        base[host] = "\n".join(lines)
    restore(lab, base)
    return base


def restore(lab, base):
    """Put every member back to its baseline zoo.cfg (followers first, the leader last) and wait for quorum."""
    modes = dict((h, lab.zk_mode(h)) for h in zk_hosts(lab))
    order = sorted(zk_hosts(lab), key=lambda h: modes[h] == "leader")
    for host in order:
        for path in backups(lab, host):
            lab.exec(host, ["rm", "-f", path])
        if read_cfg(lab, host) != base[host] or modes[host] in (None, "not_serving"):
            write_cfg(lab, host, base[host])
            lab.zkctl(host, "restart", check=False)
            lab.wait_quorum(90)
    lab.wait_quorum(90)


@pytest.fixture
def ensemble(lab, baseline):
    """The lab at baseline; faults injected through `inject` are undone and the baseline restored after."""
    injected = []

    def inject(*args, **kwargs):
        handle = lab.inject(*args, **kwargs)
        injected.append(handle)
        return handle

    lab.inject_ours = inject
    try:
        yield lab
    finally:
        for handle in injected:
            try:
                handle.undo()
            except Exception:  # noqa: BLE001 - already gone is fine
                pass
        restore(lab, baseline)


def growth_clients(lab, host="zk1", count=17):
    """order-service on client1 with `count` steady sessions to `host` (17 of 20 = 85%)."""
    client_ip = lab.address("client1")
    deadline = time.time() + 20
    while time.time() < deadline and any(l.strip().startswith("/%s:" % client_ip) for l in lab.four_letter(host, "cons").splitlines()):
        time.sleep(0.5)  # sessions of an earlier client still closing
    handle = lab.inject_ours("zk-clients", "client1", str(count), "--server", host)
    assert handle.info and handle.info["opened"] == count, handle.info
    return handle


def roles(lab):
    modes = lab.wait_quorum(60)
    followers = [h for h in zk_hosts(lab) if modes[h] == "follower"]
    leader = [h for h in zk_hosts(lab) if modes[h] == "leader"][0]
    return followers, leader


# ------------------------------------------------------------------------------------------ tests
def test_growth_raises_the_limit_followers_then_leader_under_writes(ensemble, tmp_path):
    lab = ensemble
    followers, leader = roles(lab)
    log = os.path.join(lab.state_dir, "zk-writes-%s.jsonl" % uuid.uuid4().hex[:8])
    writer = lab.inject_ours("zk-writes", "client1", "--servers", ",".join(zk_hosts(lab)), "--log", log)
    growth_clients(lab, followers[0])
    assert saturated_now(lab), "the fault did not saturate anything"
    pids_before = dict((h, zk_pid(lab, h)) for h in zk_hosts(lab))

    with Poller(lab) as poller:
        proc, report = run_playbook(lab, tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert report["status"] == "remediated", report["summary"]
    plan = report["data"]["plan"]
    assert (plan["old_limit"], plan["new_limit"]) == (20, 40)  # max(20 x 2, 17 x 1.5)

    # the order: every follower before the leader, the leader last -- from the report ...
    rollout = report["data"]["rollout"]
    assert [r["node"] for r in rollout] == followers + [leader]
    assert [r["role_before"] for r in rollout] == ["follower"] * len(followers) + ["leader"]
    assert all(r["gate"] == "passed" and r["synced_followers"] == 2 for r in rollout), rollout
    # ... from the run's output (the restart tasks in that order) ...
    restarted = [line.split("on ", 1)[1].split()[0].strip("]*") for line in proc.stdout.splitlines()
                 if line.startswith("TASK [") and "Restart ZooKeeper with the service command on" in line]
    assert restarted == followers + [leader]
    # ... and from the nodes themselves: new JVMs, started in that order
    starts = [last_start_marker(lab, h) for h in followers + [leader]]
    assert starts == sorted(starts) and len(set(starts)) == 3, starts
    assert all(zk_pid(lab, h) != pids_before[h] for h in zk_hosts(lab))

    for host in zk_hosts(lab):
        assert cfg_value(read_cfg(lab, host), "maxClientCnxns") == "40"
        assert running_limit(lab, host) == "40"
        assert len(backups(lab, host)) == 1
    assert saturated_now(lab) == []  # the alarm condition is gone

    # quorum: never more than one member down at once, and the poller saw each one go down
    down = [(t, [h for h, m in s.items() if m == "down"]) for t, s in poller.samples]
    assert max(len(d) for _, d in down) <= 1, [x for x in down if len(x[1]) > 1][:5]
    assert set(h for _, d in down for h in d) == set(zk_hosts(lab))

    # no acknowledged write is missing
    try:
        writer.undo()
    except LabError:  # already undone by another session's `lab/inject undo all`: it stopped cleanly
        pass
    result = verify_acknowledged_writes(lab, log)
    assert result["acknowledged"] > 20 and result["missing"] == [] and result["wrong_value"] == [], result
    events = [e["event"] for e in read_jsonl(log + ".events")]
    assert "stopped" in events

    # idempotence: the second run changes nothing
    proc2, report2 = run_playbook(lab, tmp_path)
    assert proc2.returncode == 0, proc2.stdout[-3000:]
    assert report2["status"] == "healthy" and report2["data"]["rollout"] == []
    assert set(recap_changed(proc2.stdout).values()) == {0}, proc2.stdout[-2000:]


def test_check_mode_prints_the_plan_and_changes_nothing(ensemble, tmp_path):
    lab = ensemble
    followers, leader = roles(lab)
    growth_clients(lab, followers[0])
    cfg_before = dict((h, read_cfg(lab, h)) for h in zk_hosts(lab))
    pids_before = dict((h, zk_pid(lab, h)) for h in zk_hosts(lab))

    proc, report = run_playbook(lab, tmp_path, check=True)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert report["status"] == "dry-run" and report["check_mode"] is True
    assert "PLAN (check mode, nothing is changed): raise maxClientCnxns 20 -> 40" in proc.stdout
    assert " -> ".join(followers + [leader]) + " (leader last)" in proc.stdout
    assert proc.stdout.count("-maxClientCnxns=20") == 3 and proc.stdout.count("+maxClientCnxns=40") == 3
    assert [r["gate"] for r in report["data"]["rollout"]] == ["planned"] * 3
    for host in zk_hosts(lab):
        assert read_cfg(lab, host) == cfg_before[host]
        assert zk_pid(lab, host) == pids_before[host]
        assert backups(lab, host) == []
        assert running_limit(lab, host) == "20"


def test_leak_names_the_process_and_leaves_the_limit(ensemble, tmp_path):
    lab = ensemble
    followers, dummy = roles(lab)
    leaky = lab.inject_ours("zk-clients", "client1", "15", "--server", followers[0], "--leak")
    time.sleep(1.5)  # over 80 % before the run starts
    cfg_before = dict((h, read_cfg(lab, h)) for h in zk_hosts(lab))
    pids_before = dict((h, zk_pid(lab, h)) for h in zk_hosts(lab))

    proc, report = run_playbook(lab, tmp_path, "zookeeper_connections_sample_interval=3")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert report["status"] == "leak", report["summary"]
    analysis = report["data"]["analysis"]
    assert len(analysis) == 1 and analysis[0]["ip"] == lab.address("client1") and analysis[0]["host"] == "client1"
    assert analysis[0]["leak"] is True and (analysis[0]["rising"] or analysis[0]["pressing"])
    holder = analysis[0]["holders"][0]
    assert holder["name"] == "leaky-app" and holder["pid"] == leaky.pid
    assert holder["count"] >= 16 and "--leak" in holder["cmdline"]
    assert "leaky-app pid %d" % leaky.pid in report["summary"] and "left at 20" in report["summary"]
    assert report["data"]["rollout"] == []
    for host in zk_hosts(lab):
        assert read_cfg(lab, host) == cfg_before[host]
        assert zk_pid(lab, host) == pids_before[host]
        assert backups(lab, host) == []

    # the leak can still be made fatal for a pipeline that wants it so
    proc2, report2 = run_playbook(lab, tmp_path, "zookeeper_connections_fail_on_leak=true")
    assert proc2.returncode != 0 and report2["status"] == "leak"


def test_srvr_only_whitelist_uses_the_admin_server(ensemble, tmp_path):
    lab = ensemble
    followers, leader = roles(lab)
    target = followers[0]
    text = read_cfg(lab, target)
    write_cfg(lab, target, text.replace("4lw.commands.whitelist=srvr,mntr,conf,cons,ruok",
                                        "4lw.commands.whitelist=srvr"))
    lab.zkctl(target, "restart")
    lab.wait_quorum(60)
    assert "not in the whitelist" in lab.four_letter(target, "cons")
    growth_clients(lab, target)

    proc, report = run_playbook(lab, tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert report["status"] == "remediated"
    before = dict((s["name"], s) for s in report["data"]["servers_before"])
    assert before[target]["source"] == "admin" and set(before[target]["whitelist_limited"]) >= {"mntr", "conf", "cons"}
    assert before[target]["counts"][lab.address("client1")] == 17
    assert [r["node"] for r in report["data"]["rollout"]][-1] == leader
    assert running_limit(lab, leader) == "40"
    assert cfg_value(read_cfg(lab, target), "maxClientCnxns") == "40"
    assert cfg_value(read_cfg(lab, target), "4lw.commands.whitelist") == "srvr"  # untouched


def test_a_follower_that_cannot_restart_stops_the_rollout(ensemble, tmp_path):
    """A change that keeps a node from starting (a dataDir without its myid, written by the role itself
    through zookeeper_connections_extra_settings) -> that node's zoo.cfg is restored byte for byte and it
    runs again, the rollout stops, and the nodes after it are not touched (neither restarted nor edited)."""
    lab = ensemble
    followers, leader = roles(lab)
    growth_clients(lab, followers[0])
    cfgs = dict((h, read_cfg(lab, h)) for h in zk_hosts(lab))
    pids_before = dict((h, zk_pid(lab, h)) for h in zk_hosts(lab))
    broken = '{"zookeeper_connections_extra_settings": {"dataDir": "/var/lib/zookeeper/not-initialised"}}'

    proc, report = run_playbook(lab, tmp_path, "zookeeper_connections_restart_timeout=30", broken)
    assert proc.returncode != 0
    assert report["status"] == "failed"
    rollout = report["data"]["rollout"]
    assert len(rollout) == 1, rollout
    bad = rollout[0]["node"]
    assert bad in followers, "a follower goes first, the leader last"
    assert "%s did not come back" % bad in report["summary"], report["summary"]
    assert rollout[0]["gate"] == "failed" and rollout[0]["restored"] is True
    assert rollout[0]["restarted_again"] is True
    after = [h for h in zk_hosts(lab) if h != bad]
    assert sorted(rollout[0]["not_touched"]) == sorted(after)
    assert "not touched: " in report["summary"] and leader in report["summary"]

    # its zoo.cfg is back byte for byte and it runs again with it, as a quorum member with the old limit
    assert read_cfg(lab, bad) == cfgs[bad]
    assert lab.wait_quorum(60)[bad] in ("follower", "leader")
    assert running_limit(lab, bad) == "20"
    # the nodes after it: same process, same file, no backup
    for host in after:
        assert zk_pid(lab, host) == pids_before[host] and read_cfg(lab, host) == cfgs[host]
        assert running_limit(lab, host) == "20" and backups(lab, host) == []
    assert lab.zk_mode(leader) == "leader"  # quorum kept throughout


@pytest.mark.parametrize("extra,needle", [
    ("zookeeper_connections_conf_path=/nonexistent/zoo.cfg", "zoo.cfg /nonexistent/zoo.cfg does not exist"),
    ("zookeeper_connections_max_limit=abc", "zookeeper_connections_max_limit"),
    ("zookeeper_connections_max_limit=10", "zookeeper_connections_max_limit=10 is below the current maxClientCnxns"),
    ("zookeeper_connections_port=2999", "cannot connect to ZooKeeper at"),
])
def test_bad_input_is_a_clear_error_and_changes_nothing(ensemble, tmp_path, extra, needle):
    lab = ensemble
    followers, dummy = roles(lab)
    growth_clients(lab, followers[0])  # there is something to fix, yet nothing may change
    cfg_before = dict((h, read_cfg(lab, h)) for h in zk_hosts(lab))
    pids_before = dict((h, zk_pid(lab, h)) for h in zk_hosts(lab))

    proc, dummy = run_playbook(lab, tmp_path, extra)
    assert proc.returncode != 0
    assert needle in proc.stdout, proc.stdout[-3000:]
    assert "Nothing was changed" in proc.stdout or "validating arguments" in proc.stdout.lower()
    for host in zk_hosts(lab):
        assert read_cfg(lab, host) == cfg_before[host]
        assert zk_pid(lab, host) == pids_before[host]
        assert backups(lab, host) == []
