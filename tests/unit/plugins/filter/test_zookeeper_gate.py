"""zookeeper_member_ready / zookeeper_gate: the quorum gate counts participants and observers the way
ZooKeeper reports them (recorded replies of an ensemble with an observer, and of a 3.5 leader)."""
import pytest

from ansible_collections.alertops.remediation.plugins.filter.zookeeper import zookeeper_gate, zookeeper_member_ready
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_ensemble as ensemble
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_plan as planning
from ansible_collections.alertops.remediation.plugins.plugin_utils.zookeeper_gate import member_problem
import tests.unit.plugins.filter.zookeeper_recorded as rec

READ = "__zookeeper_connections_gate_read"


def plan_for(members):
    hostvars = rec.hostvars_of(members)
    o = rec.options()
    return planning.plan(ensemble.survey([m.name for m in members], hostvars, list(hostvars), o), hostvars, [], [], o)


def reads(members, **changes):
    """{member: {READ: its zookeeper_info result}}, with per-member result changes."""
    out = {}
    for m in members:
        result = m.info()
        result.update(changes.get(m.name, {}))
        out[m.name] = {READ: result}
    return out


def test_observer_ensemble_passes_the_gate():
    """The 0.1.0 gate wanted synced followers = members - 1 = 3 here and never passed (issue 10)."""
    members = rec.observer_ensemble()
    plan = plan_for(members)
    leader = reads(members)["zk3"][READ]
    assert (leader["synced_followers"], leader["synced_observers"]) == (2, 1) and len(members) - 1 == 3
    verdict = zookeeper_gate(plan, reads(members), ["zk1", "zk2", "zk3", "zk4"])
    assert verdict["ok"] is True, verdict["problems"]
    assert verdict["leader"] == "zk3" and verdict["members"]["zk4"]["mode"] == "observer"


@pytest.mark.parametrize("name, change, limit, problem", [
    ("zk1", {}, None, None),
    ("zk1", {}, 20, None),
    ("zk1", {}, 40, "zk1: maxClientCnxns 20, wanted 40"),
    ("zk4", {}, None, None),
    ("zk4", {"mode": "follower"}, None, "zk4: mode follower, wanted observer"),
    ("zk1", {"mode": "observer"}, None, "zk1: mode observer, wanted leader/follower"),
    ("zk1", {"mode": "not_serving"}, None, "zk1: mode not_serving, wanted leader/follower"),
    ("zk1", {"failed": True, "msg": "cannot connect to ZooKeeper at 127.0.0.1:2181"}, None,
     "zk1: cannot connect to ZooKeeper at 127.0.0.1:2181"),
    ("zk1", {"unreachable": True, "msg": "ssh: timed out"}, None, "zk1: ssh: timed out"),
    ("zk3", {}, None, None),
    ("zk3", {"synced_followers": 1}, None, "zk3 (leader): synced followers 1 of 2"),
    ("zk3", {"synced_followers": None}, None, "zk3 (leader): synced followers None of 2"),
    ("zk3", {"synced_observers": 0}, None, "zk3 (leader): synced observers 0 of 1"),
    ("zk3", {"synced_observers": None}, None, None),   # a leader that does not report observers (3.5)
])
def test_member_ready(name, change, limit, problem):
    members = rec.observer_ensemble()
    for m in members:
        m.limit(20)
    plan = plan_for(members)
    read = reads(members)[name][READ]
    read.update(change)
    assert member_problem(read, plan, name, limit) == problem
    assert zookeeper_member_ready(read, plan, name, limit) is (problem is None)


def test_a_35_leader_is_judged_by_its_followers():
    members = rec.mixed_versions()
    plan = plan_for(members)
    verdict = zookeeper_gate(plan, reads(members), ["zk1", "zk2", "zk3", "zk4"])
    assert verdict["ok"] is True and verdict["members"]["zk3"]["synced_observers"] is None


@pytest.mark.parametrize("modes, problem", [
    ({"zk3": "follower"}, "0 members report Mode leader (none), wanted exactly one"),
    ({"zk1": "leader"}, "2 members report Mode leader (zk1, zk3), wanted exactly one"),
])
def test_exactly_one_leader_when_every_member_was_read(modes, problem):
    members = rec.three_nodes()
    plan = plan_for(members)
    hostvars = reads(members)
    # zk1 is the recorded leader; make the ensemble's modes as the case says
    hostvars["zk1"][READ]["mode"] = "follower"
    hostvars["zk3"][READ]["mode"] = "leader"
    hostvars["zk3"][READ]["synced_followers"] = 2
    for name, mode in modes.items():
        hostvars[name][READ]["mode"] = mode
        hostvars[name][READ]["synced_followers"] = 2
    plan["roles"] = dict.fromkeys(plan["roles"], "participant")
    verdict = zookeeper_gate(plan, hostvars, ["zk1", "zk2", "zk3"])
    assert problem in verdict["problems"] and verdict["ok"] is False


def test_gate_over_one_member_does_not_ask_for_a_leader():
    members = rec.three_nodes()
    plan = plan_for(members)
    verdict = zookeeper_gate(plan, reads(members), ["zk2"], {"zk2": 60})
    assert verdict["ok"] is True and verdict["leader"] is None and list(verdict["members"]) == ["zk2"]


def test_gate_lists_what_is_still_saturated():
    members = rec.three_nodes()
    members[1].limit(20).add_sessions(rec.sessions("10.0.0.50", 17))
    plan = plan_for(members)
    verdict = zookeeper_gate(plan, reads(members), ["zk1", "zk2", "zk3"])
    assert verdict["saturated"] == ["10.0.0.50 on zk2 (17/20)"]
    assert verdict["members"]["zk2"]["connections_by_ip"]["10.0.0.50"] == 17
