"""zookeeper_plan: leak or growth, the new limit, the order, live relief or restart (table tests over
recorded replies; every refusal the role makes before changing anything)."""
import pytest

from ansible_collections.alertops.remediation.plugins.filter.zookeeper import zookeeper_plan
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_ensemble as ensemble
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_evidence as evidence
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_plan as planning
import tests.unit.plugins.filter.zookeeper_recorded as rec

CLIENT = rec.CLIENT
PROBE_OK = rec.PROBE_OK
decide, ensemble_at, owners, uptime = rec.decide, rec.ensemble_at, rec.owners, rec.uptime


# ----------------------------------------------------------------------------------- the formula
@pytest.mark.parametrize("current, peak, factor, headroom, cap, new, wanted", [
    (20, 17, 2.0, 1.5, 2000, 40, 40),      # max(20 x 2, 17 x 1.5 = 25.5 -> 26)
    (20, 30, 1.2, 1.5, 2000, 45, 45),      # the peak decides
    (60, 59, 2.0, 1.5, 100, 100, 120),     # capped
    (7, 7, 1.1, 1.0, 2000, 8, 8),          # ceil(7.7) = 8
    (2000, 2000, 2.0, 1.5, 2147483647, 4000, 4000),
])
def test_new_limit_formula(current, peak, factor, headroom, cap, new, wanted):
    opts = rec.options(raise_factor=factor, headroom=headroom, max_limit=cap)
    assert planning.new_limit(current, peak, opts) == (new, wanted)


# ----------------------------------------------------------------------------------- growth
def test_growth_raises_followers_first_the_leader_last():
    p = decide(ensemble_at(zk2=17), second={"zk2": ensemble_at(zk2=17)[1]}, owners=owners({"10.0.0.2": 17}),
               uptime=uptime(90000), apply="restart")
    assert p["refusal"] is None and p["action"] == "raise"
    assert (p["old_limit"], p["new_limit"], p["peak"]) == (20, 40, 17)
    assert p["order"] == ["zk2", "zk3", "zk1"] and p["restart"] == ["zk2", "zk3", "zk1"]
    assert p["leader"] == "zk1" and (p["participants"], p["observers"]) == (3, 0)
    assert p["method"] == "restart" and p["settings"] == {"maxClientCnxns": 40}
    assert p["limits_after"] == {"zk1": 40, "zk2": 40, "zk3": 40}
    assert p["analysis"][0]["verdict"] == "growth" and p["leak_ips"] == []
    assert "raise maxClientCnxns 20 -> 40" in p["summary"] and "zk2 -> zk3 -> zk1 (leader last)" in p["summary"]
    assert p["steps"][0] == "zk2: write maxClientCnxns=40 into /etc/zookeeper/conf/zoo.cfg (backup first)"
    assert p["steps"][1].startswith("zk2 (follower): restart, then wait until it serves as leader/follower")


def test_observers_go_first_they_never_vote():
    members = rec.observer_ensemble()
    members[0].add_sessions(rec.sessions("127.0.0.9", 12))  # 5 recorded + 12 = 17 of 20 on zk1
    p = decide(members, apply="restart")
    assert p["order"] == ["zk4", "zk1", "zk2", "zk3"] and p["leader"] == "zk3"
    assert (p["participants"], p["observers"]) == (3, 1) and p["roles"]["zk4"] == "observer"


def test_steady_kept_alive_client_is_growth_however_long_its_sessions_idle():
    """The issue's case: 36 long-lived sessions kept alive with pings, older than idle_min_age, a flat count."""
    members = ensemble_at(zk2=18, zk3=18)
    p = decide(members, second={"zk2": ensemble_at(zk2=18)[1], "zk3": ensemble_at(zk3=18)[2]},
               owners=owners({"10.0.0.2": 18, "10.0.0.3": 18}), uptime=uptime(90000), idle_min_age=300)
    a = p["analysis"][0]
    assert (a["first"], a["second"], a["idle"], a["idle_percent"]) == (36, 36, 36, 100.0)
    signs = dict((e["sign"], e) for e in a["evidence"])
    assert signs["sessions idle and never used"]["observed"] is True
    assert signs["sessions idle and never used"]["counted"] is False   # idleness alone proves nothing
    assert not any(e["observed"] for e in a["evidence"] if e["weight"] == "decisive")
    assert a["leak"] is False and a["verdict"] == "growth" and p["action"] == "raise" and p["new_limit"] == 40


@pytest.mark.parametrize("case", ["rising", "pressing", "holder"])
def test_a_decisive_sign_makes_a_leak_and_idleness_strengthens_it(case):
    first = ensemble_at(zk2=16)
    second = ensemble_at(zk2=19 if case == "rising" else 16)
    held = {"10.0.0.2": 16}
    if case == "pressing":
        first = ensemble_at(zk2=20)
        second = ensemble_at(zk2=20)
        second[1].rejected(5)
        held = {"10.0.0.2": 20}
    if case == "holder":
        held = {"10.0.0.2": 16, "10.0.0.3": 4}   # the process already holds more than the servers counted
    p = decide(first, second={"zk2": second[1]}, owners=owners(held, name="leaky-app"), uptime=uptime(7200))
    a = p["analysis"][0]
    counted = [e["sign"] for e in a["evidence"] if e["counted"]]
    assert {"rising": "count rose between the samples",
            "pressing": "refused at the limit while the client keeps opening",
            "holder": "the holder keeps opening connections"}[case] in counted
    assert "sessions idle and never used" in counted and a["verdict"] == "leak (strong)"
    assert p["action"] == "leak" and p["new_limit"] == 0 and p["order"] == [] and p["leak_ips"] == [CLIENT]


def test_a_leak_names_the_process_its_connections_its_age_and_what_to_do():
    first = ensemble_at(zk2=16)
    held = owners({"10.0.0.2": 18}, name="leaky-app", pid=777, start_time=360000)
    p = decide(first, second={"zk2": ensemble_at(zk2=18)[1]}, owners=held, uptime=uptime(7200))
    holder = p["analysis"][0]["holders"][0]
    assert (holder["name"], holder["pid"], holder["count"], holder["age_seconds"]) == ("leaky-app", 777, 18, 3600)
    assert "leaky-app pid 777 (18 connections)" in p["summary"] and "left at 20" in p["summary"]
    assert p["analysis"][0]["recommendation"].startswith("fix the connection leak in leaky-app (pid 777, user app) on client1")
    assert "running for 3600s" in p["analysis"][0]["recommendation"]


def test_raise_on_leak_keeps_its_meaning():
    p = decide(ensemble_at(zk2=16), second={"zk2": ensemble_at(zk2=18)[1]}, raise_on_leak=True, apply="restart")
    assert p["analysis"][0]["leak"] is True and p["action"] == "raise" and p["new_limit"] == 40
    assert "leak suspected but zookeeper_connections_raise_on_leak is set" in p["summary"]


def test_leak_from_an_ip_outside_the_inventory_says_where_to_look():
    p = decide(ensemble_at(zk2=16), second={"zk2": ensemble_at(zk2=19)[1]}, client_host=False)
    a = p["analysis"][0]
    assert a["host"] is None and a["holders"] == []
    assert "not a host of the inventory" in a["evidence"][2]["detail"]
    assert "behind NAT many clients share one IP" in a["recommendation"]


def test_mixed_versions_leave_refusals_unmeasured_and_say_so():
    members = rec.mixed_versions()
    for m in members:
        m.limit(20)
    members[2].add_sessions(rec.sessions(CLIENT, 17))          # on the 3.5.9 leader
    p = decide(members, apply="restart")
    pressing = p["analysis"][0]["evidence"][1]
    assert pressing["observed"] is False and "zk3 report no connection_rejected" in pressing["detail"]
    assert any(n.startswith("the members run different ZooKeeper versions") for n in p["notes"])
    assert p["order"][-1] == "zk3"


# ----------------------------------------------------------------------------------- nothing to do
def test_healthy_ensemble_needs_nothing():
    p = decide(ensemble_at(zk2=10), alarm_client_ip=CLIENT)
    assert p["action"] == "none" and p["refusal"] is None and p["order"] == []
    assert p["summary"] == ("no client IP is at or over 80% of maxClientCnxns from 10.0.0.50: the alarm condition "
                            "is not present, nothing to do")


def test_unlimited_everywhere_needs_nothing():
    members = ensemble_at(limit=0, zk2=30)
    p = decide(members)
    assert p["action"] == "none" and p["summary"].startswith("maxClientCnxns is 0 (unlimited) on every member")


# ----------------------------------------------------------------------------------- refusals
@pytest.mark.parametrize("opts, needle", [
    ({"max_limit": 10}, "zookeeper_connections_max_limit=10 is below the current maxClientCnxns (zk1=20, zk2=20, zk3=20)"),
    ({"max_limit": 20}, "cannot raise maxClientCnxns above 20: zookeeper_connections_max_limit is 20 (wanted 40)"),
])
def test_a_cap_that_leaves_no_room_is_refused(opts, needle):
    p = decide(ensemble_at(zk2=17), **opts)
    assert needle in p["refusal"] and p["refusal"].endswith("Nothing was changed.")


def test_a_member_that_could_not_be_sampled_again_is_refused():
    members = ensemble_at(zk2=17)
    hostvars = rec.hostvars_of(members)
    hostvars["zk3"]["__zookeeper_connections_again"] = {"unreachable": True, "msg": "ssh timed out"}
    o = rec.options()
    p = planning.plan(ensemble.survey(["zk1", "zk2", "zk3"], hostvars, list(hostvars), o), hostvars, [], [], o)
    assert p["refusal"] == "could not sample zk3 (ssh timed out) again. Nothing was changed."


def test_survey_problems_are_a_refusal():
    members = ensemble_at(zk2=17)
    members[2] = rec.not_serving()
    p = decide(members)
    assert p["refusal"].startswith("cannot analyse the ensemble: zk3: ZooKeeper runs but is not serving requests")


# ----------------------------------------------------------------------------------- an earlier run stopped
def test_an_unfinished_raise_is_finished_without_restarting_members_already_there():
    members = rec.three_nodes()
    members[0].limit(20)             # leader, not reached
    members[1].limit(40)             # restarted with 40 already
    members[2].limit(20, in_conf=40)  # written, killed before its restart
    p = decide(members, apply="restart")
    assert p["action"] == "raise" and p["new_limit"] == 40 and p["unfinished"] == ["zk1", "zk3"]
    assert p["order"] == ["zk3", "zk1"] and p["restart"] == ["zk3", "zk1"]
    assert "an earlier run stopped half way: zk1, zk3 run below 40" in p["summary"]
    assert not any(s.startswith("zk3: write") for s in p["steps"])  # its zoo.cfg already holds 40


def test_a_member_at_the_limit_with_an_old_zoo_cfg_is_only_persisted():
    members = rec.three_nodes()
    for m in members:
        m.limit(40)
    members[0].limit(40, in_conf=20)
    members[0].limit(20)
    members[1].limit(40, in_conf=20)   # runs 40 (set live earlier), zoo.cfg still 20
    p = decide(members, apply="restart")
    assert p["order"] == ["zk2", "zk1"] and p["restart"] == ["zk1"]


def test_the_formula_starts_from_the_limit_the_alarm_saw():
    """A member that already runs 40 is not doubled to 80 because a member at 20 is saturated; it is left alone."""
    members = ensemble_at(zk2=17)
    members[2].limit(40)
    p = decide(members, apply="restart")
    assert (p["old_limit"], p["new_limit"]) == (20, 40)
    assert p["order"] == ["zk2", "zk1"] and p["restart"] == ["zk2", "zk1"]


# ----------------------------------------------------------------------------------- live or restart
def probes_ok(names=("zk1", "zk2", "zk3")):
    return dict((n, dict(PROBE_OK)) for n in names)


@pytest.mark.parametrize("apply, probes, extra, method, reason, refusal", [
    ("auto", probes_ok(), {}, "live", "every member to relieve accepts live relief", None),
    ("live", probes_ok(), {}, "live", "every member to relieve accepts live relief", None),
    ("restart", {}, {}, "restart", "zookeeper_connections_apply is restart", None),
    ("auto", dict(probes_ok(), zk3={"failed": True, "reason": "attach_refused", "msg": "attach is disabled"}), {},
     "restart", "live relief is not possible (zk3: attach_refused: attach is disabled): rolling restart", None),
    ("live", dict(probes_ok(), zk3={"failed": True, "reason": "attach_refused", "msg": "attach is disabled"}), {},
     None, "zk3: attach_refused: attach is disabled",
     "zookeeper_connections_apply is live, but live relief is not possible: zk3: attach_refused: attach is disabled."),
    ("auto", dict(probes_ok(), zk1={"failed": True, "reason": "no_jdk", "msg": "no java"}), {},
     "restart", "zk1: no_jdk: no java", None),
    ("auto", dict(probes_ok(), zk2={"unreachable": True, "msg": "ssh"}), {}, "restart", "zk2: unreachable: ssh", None),
    ("auto", {"zk1": PROBE_OK, "zk2": PROBE_OK}, {}, "restart", "zk3: live relief was not probed", None),
    ("auto", dict(probes_ok(), zk2=dict(PROBE_OK, before=60, pid=999)), {}, "restart",
     "zk2: the JVM found (pid 999) has MaxClientCnxnsPerHost=60 but the server on the client port runs with "
     "maxClientCnxns=20", None),
    ("auto", probes_ok(), {"maxCnxns": 500}, "restart",
     "zookeeper_connections_extra_settings (maxCnxns) take effect only at a restart", None),
    ("live", probes_ok(), {"maxCnxns": 500}, None, "take effect only at a restart",
     "zookeeper_connections_apply is live, but live relief is not possible"),
])
def test_live_or_restart(apply, probes, extra, method, reason, refusal):
    p = decide(ensemble_at(zk2=17), probes=probes, apply=apply, extra_settings=extra)
    assert p["method"] == method
    assert reason in p["method_reason"]
    if refusal is None:
        assert p["refusal"] is None
    else:
        assert refusal in p["refusal"] and p["refusal"].endswith("Nothing was changed.")
    if method == "live":
        assert p["steps"][0] == "zk2 (follower): set MaxClientCnxnsPerHost 20 -> 40 live through JMX and check it with conf"
        assert "live on zk2, zk3, zk1, one at a time, then persisted in zoo.cfg without a restart" in p["summary"]


def test_extra_settings_ride_along_with_the_raise():
    p = decide(ensemble_at(zk2=17), apply="restart", extra_settings={"maxCnxns": 500})
    assert p["settings"] == {"maxClientCnxns": 40, "maxCnxns": 500}
    assert p["steps"][0] == "zk2: write maxClientCnxns=40, maxCnxns=500 into /etc/zookeeper/conf/zoo.cfg (backup first)"


def test_standalone_restart_says_its_clients_lose_it():
    member = rec.standalone()[0].limit(10).add_sessions(rec.sessions(CLIENT, 9))
    p = decide([member], apply="restart")
    assert p["order"] == ["zk1"] and p["roles"] == {"zk1": "standalone"}
    assert "zk1 is the only server: its clients lose it during the restart" in p["steps"]


def test_filter_refuses_bad_options_before_deciding():
    with pytest.raises(Exception) as err:
        zookeeper_plan({"problems": []}, {}, [], [], rec.options(headroom="nan"))
    assert "zookeeper_connections_headroom='nan'" in str(err.value)


# ----------------------------------------------------------------------------------- holders
def test_holders_count_only_established_connections_to_the_members():
    result = owners({"10.0.0.2": 3, "10.0.0.9": 2})[0]   # 10.0.0.9 is not a member
    holders = evidence.holders_from_owners(result, ["10.0.0.1", "10.0.0.2", "10.0.0.3"], 2181)
    assert [(h["pid"], h["count"], h["servers"]) for h in holders] == [(4242, 3, {"10.0.0.2": 3})]


@pytest.mark.parametrize("start_time, uptime_text, age", [
    (100000, "2000.7 10.0", 1001), (0, "5.0 1", 5), (10 ** 9, "100 1", 0), (None, "100 1", None), (100, "", None),
])
def test_process_age(start_time, uptime_text, age):
    assert evidence.process_age(start_time, uptime_text) == age
