"""Fault injectors of the ZooKeeper runbook (zk-clients, zk-writes), the dispatcher lab/inject, undo."""
import json
import os
import subprocess
import time

import pytest

from tests.support.lab import ROOT, LabError, read_jsonl, verify_acknowledged_writes

INJECT = os.path.join(ROOT, "lab", "inject")


def cons_from(lab, zk_host, source):
    """connections ZooKeeper lists for a source address (asked from the controller, another address)."""
    return [line for line in lab.four_letter(zk_host, "cons").splitlines() if line.strip().startswith("/%s:" % source)]


def mntr(lab, zk_host):
    out = {}
    for line in lab.four_letter(zk_host, "mntr").splitlines():
        if "\t" in line:
            k, v = line.split("\t", 1)
            out[k] = v
    return out


def wait_for(pred, timeout=20.0, interval=0.2):
    deadline = time.time() + timeout
    while True:
        value = pred()
        if value or time.time() > deadline:
            return value
        time.sleep(interval)


def in_host_comm(lab, host, pid):
    p = lab.exec(host, ["cat", "/proc/%d/comm" % pid], check=False)
    return p.stdout.strip() if p.returncode == 0 else None


def test_zk_clients_holds_sessions_and_undo_releases_them(lab):
    client = lab.address("client1")
    f = lab.inject("zk-clients", "zk1", "5", "--from", "client1")  # the form: ZK host first
    try:
        assert f.host == "client1" and f.info["server"] == lab.address("zk1") + ":2181"
        assert f.info["opened"] == 5 and f.info["source"] == client
        assert f.info["pid"] == f.pid
        assert len(wait_for(lambda: len(cons_from(lab, "zk1", client)) == 5 and cons_from(lab, "zk1", client))) == 5
        # the holder is visible on client1 with its pid and an application's name
        assert in_host_comm(lab, "client1", f.pid) == "order-service"
        cmd = lab.exec("client1", ["cat", "/proc/%d/cmdline" % f.pid]).stdout.split("\0")
        assert cmd[0] == "order-service"
        ss = lab.exec("client1", ["ss", "-Htnp", "dst", "%s:2181" % lab.address("zk1")]).stdout
        assert ss.count("pid=%d," % f.pid) == 5
    finally:
        res = f.undo()
    assert res["stopped"] and not res["killed"]
    assert in_host_comm(lab, "client1", f.pid) is None
    assert wait_for(lambda: cons_from(lab, "zk1", client) == [], timeout=10) == [] or cons_from(lab, "zk1", client) == []


def test_zk_clients_over_max_client_cnxns_is_rejected_and_visible_from_elsewhere(lab):
    client = lab.address("client1")
    before = int(mntr(lab, "zk2")["zk_connection_rejected"])
    f = lab.inject("zk-clients", "client1", "25", "--server", "zk2")
    try:
        assert f.info["opened"] == 20, f.info
        assert f.info["rejected"] == 5, f.info
        assert len(cons_from(lab, "zk2", client)) == 20
        assert int(mntr(lab, "zk2")["zk_connection_rejected"]) >= before + 5
        log = lab.exec("zk2", ["grep", "-c", "Too many connections from /%s - max is 20" % client,
                               "/var/log/zookeeper/zookeeper.log"], check=False).stdout.strip()
        assert int(log or 0) >= 1
    finally:
        f.undo()
    assert wait_for(lambda: cons_from(lab, "zk2", client) == [], timeout=10) == [] or not cons_from(lab, "zk2", client)


def test_zk_clients_leak_keeps_opening_sessions(lab):
    client = lab.address("client1")
    f = lab.inject("zk-clients", "client1", "2", "--server", "zk3", "--leak", "--leak-interval", "0.3")
    try:
        assert f.info["leak"] is True
        assert in_host_comm(lab, "client1", f.pid) == "leaky-app"
        grown = wait_for(lambda: len(cons_from(lab, "zk3", client)) >= 6, timeout=30)
        assert grown, cons_from(lab, "zk3", client)
    finally:
        f.undo()
    assert in_host_comm(lab, "client1", f.pid) is None


def test_zk_writes_records_acknowledged_writes_through_a_follower_restart(lab):
    log = os.path.join(lab.state_dir, "test-zk-writes.jsonl")
    f = lab.inject("zk-writes", "client1", "--servers", "zk1,zk2,zk3", "--log", log)
    try:
        assert f.info["log"] == log
        assert wait_for(lambda: len(read_jsonl(log)) >= 20, timeout=30)
        m = lab.wait_quorum(60)
        follower = sorted(h for h, mode in m.items() if mode == "follower")[0]
        lab.zkctl(follower, "restart")
        lab.wait_quorum(60)
        n = len(read_jsonl(log))
        assert wait_for(lambda: len(read_jsonl(log)) >= n + 20, timeout=30)
    finally:
        res = f.undo()
    assert res["stopped"]
    events = read_jsonl(log + ".events")
    assert events[0]["event"] == "starting"
    assert any(e["event"] == "state" and e["state"] == "CONNECTED" for e in events)
    stopped = [e for e in events if e["event"] == "stopped"]
    assert stopped and stopped[0]["acknowledged"] == len(read_jsonl(log))
    result = verify_acknowledged_writes(lab, log)
    assert result["acknowledged"] >= 40
    assert result["missing"] == [] and result["wrong_value"] == []


def test_inject_cli_start_list_undo(lab):
    p = subprocess.run([INJECT, "zk-clients", "client1", "3", "--server", "zk1"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["host"] == "client1" and isinstance(out["pid"], int) and out["info"]["opened"] == 3
    faults = json.load(open(os.path.join(lab.state_dir, "faults.json")))["faults"]
    rec = faults[str(out["id"])]
    expected = ("client1", "zk-clients", out["pid"], ["3", "--server", "zk1"])
    assert (rec["host"], rec["fault"], rec["pid"], rec["args"]) == expected
    listed = json.loads(subprocess.run([INJECT, "list"], stdout=subprocess.PIPE, text=True, check=False).stdout)
    assert out["id"] in [r["id"] for r in listed]
    u = subprocess.run([INJECT, "undo", str(out["id"])], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60, check=False)
    assert u.returncode == 0, u.stderr
    assert json.loads(u.stdout)["stopped"] is True
    assert in_host_comm(lab, "client1", out["pid"]) is None
    assert str(out["id"]) not in json.load(open(os.path.join(lab.state_dir, "faults.json")))["faults"]


def test_inject_rejects_unknown_fault_and_host(lab):
    p = subprocess.run([INJECT, "no-such-fault", "client1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    assert p.returncode == 1 and "unknown fault 'no-such-fault'" in p.stderr
    p = subprocess.run([INJECT, "zk-clients", "nohost", "1", "--server", "zk1"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, check=False)
    assert p.returncode == 1 and "unknown lab host 'nohost'" in p.stderr
    p = subprocess.run([INJECT, "undo", "999999"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    assert p.returncode == 1 and "no fault with id 999999" in p.stderr


def test_a_fault_that_dies_at_once_is_reported_and_not_recorded(lab):
    with pytest.raises(Exception) as exc:
        lab.inject("zk-clients", "client1", "--server", "zk1")  # N missing: argparse exits 2
    assert "exited at once" in str(exc.value)


def test_a_fault_that_reports_an_error_is_not_recorded_as_there(lab):
    """A rogue listener on a port the agent holds prints its bind error and exits: the test that asked
    for it must hear so, not go on against a host that was never broken (an EDA lock test once saw two
    runs find nothing to do)."""
    agent = lab.group("ocp_agents")[0]
    port = "62889"
    assert lab.exec(agent, ["python3", "-c", "import socket; s=socket.socket(); s.bind(('0.0.0.0', %s))" % port],
                    check=False).returncode != 0, "the agent does not hold %s" % port
    before = [f.id for f in lab.faults()]
    with pytest.raises(LabError) as exc:
        lab.inject("rogue-listener", agent, port)
    assert "did not start" in str(exc.value) and "bind" in str(exc.value)
    assert [f.id for f in lab.faults()] == before


def test_a_session_undoes_only_its_own_faults(lab):
    """Two test sessions share the lab in make test: undo_mine (the session fixture's clean-up) stops the
    faults this process injected and leaves the other session's running."""
    mine = lab.inject("zk-clients", "client1", "1", "--server", "zk1")
    theirs = json.loads(subprocess.run([INJECT, "zk-clients", "client1", "1", "--server", "zk2"], cwd=ROOT, check=True,
                                       stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1])
    try:
        undone = [r["id"] for r in lab.undo_mine()]
        assert mine.id in undone and theirs["id"] not in undone
        assert not mine.alive()
        assert [f for f in lab.faults() if f.id == theirs["id"]][0].alive()
    finally:
        for fault in lab.faults():
            if fault.id == theirs["id"]:
                fault.undo()
