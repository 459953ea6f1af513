"""zookeeper_record: what the act step did, from the members' own step results (never from the plan):
live rows, the fallback to the rolling restart, rollout rows, the failure messages, the Done lines."""
import pytest

from ansible_collections.alertops.remediation.plugins.filter.zookeeper import zookeeper_record
import tests.unit.plugins.filter.zookeeper_recorded as rec

BACKUP, SKIPPED = rec.BACKUP, rec.SKIPPED
gate, plan, live_step, restart_step = rec.gate, rec.step_plan, rec.live_step, rec.restart_step


def test_live_relief_on_every_member():
    hv = {"zk2": live_step(node="zk2"), "zk3": live_step(node="zk3"), "zk1": live_step(node="zk1")}
    r = zookeeper_record(plan(), hv)
    assert [(x["node"], x["jmx"], x["conf_check"], x["error"]) for x in r["live"]] == [
        ("zk2", "set", "passed", ""), ("zk3", "set", "passed", ""), ("zk1", "set", "passed", "")]
    assert r["live"][0]["seconds"] == 3.5 and r["live"][0]["config"] == "changed, backup %s" % BACKUP
    assert r["live_failed"] == "" and r["rollout_plan"] == {"order": [], "restart": []} and r["fallback"] is False
    assert r["changed"] is True and r["go"] is True
    assert r["done"][:2] == ["zk2: MaxClientCnxnsPerHost set 20 -> 40 live (pid 321, attach), conf shows 40",
                             "zk2: zoo.cfg maxClientCnxns=40 written (changed, backup %s)" % BACKUP]


@pytest.mark.parametrize("apply, fallback, rollout", [("auto", True, ["zk3", "zk1"]), ("live", False, [])])
def test_a_member_that_fails_live_relief(apply, fallback, rollout):
    failed = {"failed": True, "reason": "verify_failed", "msg": "read back 20 after setting 40"}
    hv = {"zk2": live_step(node="zk2"), "zk3": live_step(jmx=failed, gate_=False, cfg=SKIPPED, node="zk3")}
    r = zookeeper_record(plan(apply=apply), hv)
    assert r["live"][1]["error"] == "JMX verify_failed: read back 20 after setting 40"
    assert r["live_failed"] == ("live relief failed on zk3: JMX verify_failed: read back 20 after setting 40. "
                                "Already relieved live (nothing restarted): zk2; not touched: zk1")
    assert r["fallback"] is fallback and r["rollout_plan"]["order"] == rollout
    assert r["rollout_plan"]["restart"] == rollout


def test_zoo_cfg_is_persisted_where_the_new_limit_runs_live():
    p = plan()
    steps = {"zk2": {"__zookeeper_connections_live_step": live_step(node="zk2")["__zookeeper_connections_live_step"]}}
    assert zookeeper_record(p, steps)["persist"] == ["zk2"]          # relieved so far
    p["restart"] = ["zk2", "zk3"]                                     # zk1 already runs the new limit
    assert zookeeper_record(p, steps)["persist"] == ["zk2", "zk1"]
    failed = {"failed": True, "reason": "attach_refused", "msg": "no"}
    steps["zk3"] = {"__zookeeper_connections_live_step": live_step(jmx=failed, gate_=False, node="zk3")[
        "__zookeeper_connections_live_step"]}
    assert zookeeper_record(p, steps)["persist"] == ["zk2", "zk1"]   # not the member that refused


def test_a_zoo_cfg_that_cannot_keep_the_live_value_is_a_failure():
    hv = {"zk2": live_step(node="zk2", cfg={"failed": True, "msg": "cannot write zoo.cfg /etc/zookeeper/conf/zoo.cfg"})}
    r = zookeeper_record(plan(), hv)
    assert r["live"][0]["error"] == "" and r["live"][0]["config"].startswith("failed: cannot write")
    assert r["persist_failed"] == ("zoo.cfg could not be written where the new limit runs live: zk2: zoo.cfg not "
                                   "persisted: cannot write zoo.cfg /etc/zookeeper/conf/zoo.cfg")


def test_conf_that_does_not_show_the_new_limit_fails_the_step():
    hv = {"zk2": live_step(gate_=gate(ok=False, problems=["zk2: maxClientCnxns 20, wanted 40"]), cfg=SKIPPED)}
    r = zookeeper_record(plan(), hv)
    assert r["live"][0]["error"] == "conf does not show the new limit: zk2: maxClientCnxns 20, wanted 40"


def test_check_mode_records_what_would_be_done_and_nothing_as_done():
    would = {"changed": True, "before": 20, "after": 40, "pid": 321, "method": "attach"}
    hv = dict((n, {"__zookeeper_connections_live_step": {"jmx": would, "gate": None, "t0": 1, "t1": 2},
                   "__zookeeper_connections_persist": {"changed": True}}) for n in ("zk2", "zk3", "zk1"))
    r = zookeeper_record(plan(), hv, True)
    assert [(x["jmx"], x["conf_check"], x["config"]) for x in r["live"]] == [("would set", "not run", "would change")] * 3
    assert r["done"] == []


def test_rolling_restart_rows_and_a_member_that_needs_no_restart():
    p = plan(apply="restart", method="restart")
    p["restart"] = ["zk2", "zk1"]           # zk3 already runs 40: only its zoo.cfg is written
    hv = {"zk2": restart_step("zk2"), "zk3": restart_step("zk3", restart=SKIPPED, gate_=False),
          "zk1": restart_step("zk1", gate_=gate(leader="zk3", node="zk1", mode="follower"))}
    r = zookeeper_record(p, hv)
    rows = dict((x["node"], x) for x in r["rollout"])
    assert (rows["zk2"]["gate"], rows["zk2"]["restarted"], rows["zk2"]["role_before"]) == ("passed", True, "follower")
    assert (rows["zk3"]["gate"], rows["zk3"]["restarted"]) == ("not needed", False)
    assert (rows["zk1"]["role_before"], rows["zk1"]["mode_after"], rows["zk1"]["leader_after"]) == ("leader", "follower", "zk3")
    assert rows["zk2"]["synced_followers"] == 2 and rows["zk2"]["seconds"] == 4.25
    assert r["rollout_failed"] == "" and r["failed_node"] is None and r["go"] is True
    assert "zk3: restarted" not in " ".join(r["done"]) and "zk2: restarted; gate passed after 4.25s" in " ".join(r["done"])


def test_a_member_that_does_not_come_back_stops_the_rollout():
    p = plan(apply="restart", method="restart")
    back = gate(node="zk2", mode="follower")
    hv = {"zk2": restart_step("zk2", gate_=gate(ok=False, problems=["zk2: mode None, wanted leader/follower"]),
                              restore={"changed": True}, restart_again={"rc": 0, "changed": True}, back=back)}
    r = zookeeper_record(p, hv)
    row = r["rollout"][0]
    assert row["gate"] == "failed" and row["restored"] is True and row["restarted_again"] is True
    assert row["not_touched"] == ["zk3", "zk1"] and r["failed_node"] == "zk2" and r["go"] is False
    assert r["rollout_failed"] == (
        "zk2 did not come back with maxClientCnxns=40: gate: zk2: mode None, wanted leader/follower. Its zoo.cfg was "
        "restored from %s and it serves again as follower. Rollout stopped; not touched: zk3, zk1." % BACKUP)
    assert "zk2: zoo.cfg restored from %s" % BACKUP in r["done"]


def test_a_member_broken_before_the_run_is_named_so():
    p = plan(apply="restart", method="restart")
    hv = {"zk2": restart_step("zk2"),
          "zk3": restart_step("zk3", restart={"failed": True, "rc": 1, "msg": "non-zero return code",
                                              "stderr_lines": ["zkctl: ZooKeeper exited"]}, gate_=False,
                              restore={"changed": True}, restart_again={"rc": 1, "changed": True}, back=None)}
    r = zookeeper_record(p, hv)
    assert r["rollout"][1]["error"] == "restart: non-zero return code | zkctl: ZooKeeper exited"
    assert ("but it did not start again with it either (rc 1): the node was broken before this run" in r["rollout_failed"])
    assert "Rollout stopped: zk2 already run with 40; not touched: zk1." in r["rollout_failed"]


def test_a_member_that_dropped_out_stops_everything():
    p = plan(apply="restart", method="restart")
    hv = {"zk2": restart_step("zk2"),
          "zk3": {"__zookeeper_connections_failure": "Renew the lock: another run holds it"}}
    r = zookeeper_record(p, hv)
    assert r["go"] is False and r["failed_node"] is None
    assert r["rollout_failed"] == ("rollout stopped: zk3 dropped out of this run (Renew the lock: another run holds "
                                   "it); already run: zk2; not touched: zk3, zk1")


def test_done_lists_only_what_ran():
    p = plan(apply="restart", method="restart")
    r = zookeeper_record(p, {"zk2": restart_step("zk2")})
    assert [line.split(":")[0] for line in r["done"]] == ["zk2", "zk2"]
    assert zookeeper_record(p, {})["done"] == []
