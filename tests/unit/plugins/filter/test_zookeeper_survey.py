"""zookeeper_survey and the role's options: the ensemble as its members report it, and what the runbook
refuses before it reads anything twice or changes anything (table tests over recorded replies)."""
import base64
import math

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.alertops.remediation.plugins.filter.zookeeper import zookeeper_survey
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_ensemble as ensemble
from ansible_collections.alertops.remediation.plugins.plugin_utils.zookeeper_options import OptionError, check
import tests.unit.plugins.filter.zookeeper_recorded as rec


def survey(members, inventory=None, **opts):
    hostvars = rec.hostvars_of(members)
    return ensemble.survey([m.name for m in members], hostvars, inventory or list(hostvars), rec.options(**opts))


def test_recorded_three_nodes_are_one_leader_two_followers_and_healthy():
    out = survey(rec.three_nodes())
    assert out["problems"] == []
    assert [(s["name"], s["mode"], s["role"], s["limit"]) for s in out["servers"]] == [
        ("zk1", "leader", "participant", 60), ("zk2", "follower", "participant", 60),
        ("zk3", "follower", "participant", 60)]
    assert (out["participants"], out["observers"]) == (3, 0)
    assert out["candidates"] == [] and out["may_change"] is False
    assert out["mixed_versions"] is False


def test_observers_are_counted_as_zookeeper_reports_them():
    out = survey(rec.observer_ensemble())
    roles = dict((s["name"], (s["mode"], s["role"])) for s in out["servers"])
    assert roles == {"zk1": ("follower", "participant"), "zk2": ("follower", "participant"),
                     "zk3": ("leader", "participant"), "zk4": ("observer", "observer")}
    assert (out["participants"], out["observers"]) == (3, 1)
    leader = [s for s in out["servers"] if s["mode"] == "leader"][0]
    assert (leader["synced_followers"], leader["synced_observers"]) == (2, 1)
    # the recorded 5 sessions from 127.0.0.9 on zk1: 5 of 20 is 25 %, below the alarm
    assert out["servers"][0]["counts"]["127.0.0.9"] == 5 and out["candidates"] == []


def test_standalone_is_an_ensemble_of_one():
    out = survey(rec.standalone())
    assert [(s["mode"], s["role"]) for s in out["servers"]] == [("standalone", "standalone")]
    assert (out["participants"], out["observers"]) == (0, 0)


def test_whitelist_limited_member_is_read_through_the_admin_server():
    members = rec.three_nodes()
    members[1] = rec.whitelist_limited(admin=True)
    out = survey(members)
    assert out["problems"] == []
    zk2 = out["servers"][1]
    assert zk2["source"] == "admin" and set(zk2["whitelist_limited"]) >= {"mntr", "conf", "cons"}
    assert zk2["counts"] == {"127.0.0.1": 3} and zk2["limit"] == 60


def test_mixed_versions_are_noticed():
    out = survey(rec.mixed_versions())
    assert out["mixed_versions"] is True
    assert out["versions"]["zk3"].startswith("3.5.9") and out["versions"]["zk1"].startswith("3.8.0")
    leader = [s for s in out["servers"] if s["name"] == "zk3"][0]
    assert leader["rejected"] is None and leader["synced_observers"] is None  # 3.5 reports neither


def test_saturated_ip_becomes_a_candidate_and_names_its_inventory_host():
    members = rec.three_nodes()
    members[1].limit(20).add_sessions(rec.sessions("10.0.0.50", 17))
    hostvars = rec.hostvars_of(members)
    hostvars["client1"] = {"ansible_host": "10.0.0.50"}
    out = ensemble.survey(["zk1", "zk2", "zk3"], hostvars, ["zk1", "zk2", "zk3", "client1"], rec.options())
    assert out["candidates"] == ["10.0.0.50"] and out["may_change"] is True
    assert out["holder_lookups"] == [{"ip": "10.0.0.50", "host": "client1"}]


@pytest.mark.parametrize("opts, candidates", [
    ({"alarm_client_ip": "10.0.0.50"}, ["10.0.0.50"]),
    ({"alarm_client_ip": "10.0.0.51"}, []),
    ({"alarm_server_ip": "10.0.0.2"}, ["10.0.0.50"]),
    ({"alarm_server_ip": "zk2"}, ["10.0.0.50"]),
    ({"alarm_server_ip": "zk3"}, []),
])
def test_the_alarm_focuses_the_analysis(opts, candidates):
    members = rec.three_nodes()
    members[1].limit(20).add_sessions(rec.sessions("10.0.0.50", 17))
    assert survey(members, **opts)["candidates"] == candidates


def test_unfinished_raise_is_found_from_running_limits_and_zoo_cfg():
    members = rec.three_nodes()
    members[0].limit(20)                 # leader: not reached yet
    members[1].limit(40)                 # restarted with the new value
    members[2].limit(20, in_conf=40)     # zoo.cfg written, not restarted
    out = survey(members)
    assert (out["target"], out["behind"]) == (40, ["zk1", "zk3"]) and out["may_change"] is True


def test_unlimited_members_take_no_part_and_lower_zoo_cfg_is_not_a_target():
    members = rec.three_nodes()
    members[0].limit(0)
    members[1].limit(20, in_conf=10)     # an operator's lowering for the next restart
    members[2].limit(20)
    out = survey(members)
    assert (out["target"], out["behind"]) == (20, [])


def slurp(text):
    return {"content": base64.b64encode(text.encode()).decode()}


@pytest.mark.parametrize("change, needle", [
    (lambda hv: hv.pop("zk3"), "zk3: not in this play (every member of zookeeper must be)"),
    (lambda hv: hv["zk3"].update(__zookeeper_connections_before={"unreachable": True, "msg": "ssh: no route"}),
     "zk3: unreachable: ssh: no route"),
    (lambda hv: hv["zk3"].update(__zookeeper_connections_before={"failed": True, "msg": "cannot connect to ZooKeeper"}),
     "zk3: cannot connect to ZooKeeper"),
    (lambda hv: hv["zk3"].update(__zookeeper_connections_conf={"failed": True, "msg": "file not found"}),
     "zk3: zoo.cfg /etc/zookeeper/conf/zoo.cfg does not exist or cannot be read (file not found)"),
    (lambda hv: hv["zk3"].update(__zookeeper_connections_conf=slurp("maxClientCnxns=abc\n")),
     "zk3: zoo.cfg sets maxClientCnxns='abc'"),
    (lambda hv: hv["zk3"].update(__zookeeper_connections_conf=slurp("maxClientCnxns=2147483648\n")),
     "zk3: zoo.cfg sets maxClientCnxns='2147483648'"),
    (lambda hv: hv["zk3"].update(__zookeeper_connections_conf=slurp("maxClientCnxns=\u0664\u0660\n")),
     "zk3: zoo.cfg sets maxClientCnxns="),
])
def test_a_member_that_cannot_be_analysed_is_a_problem(change, needle):
    members = rec.three_nodes()
    hostvars = rec.hostvars_of(members)
    change(hostvars)
    out = ensemble.survey(["zk1", "zk2", "zk3"], hostvars, list(hostvars), rec.options())
    assert any(needle in p for p in out["problems"]), out["problems"]
    assert out["servers"] == [] and out["may_change"] is False


def test_not_serving_and_no_counts_are_problems():
    members = rec.three_nodes()
    members[2] = rec.not_serving()
    members[1] = rec.whitelist_limited(admin=False)
    out = survey(members)
    assert any(p.startswith("zk3: ZooKeeper runs but is not serving requests") for p in out["problems"])
    assert any(p.startswith("zk2: No per-IP connection counts are available") for p in out["problems"])


def test_alarm_server_ip_outside_the_ensemble_is_a_problem():
    out = survey(rec.three_nodes(), alarm_server_ip="10.9.9.9")
    assert out["problems"] == ["the alarm's ServerIP 10.9.9.9 is not a member of zookeeper (10.0.0.1, 10.0.0.2, 10.0.0.3)"]


def test_empty_group_is_a_problem():
    out = ensemble.survey([], {}, [], rec.options())
    assert out["problems"] == ["the group zookeeper has no members in the inventory"]


@pytest.mark.parametrize("name, value, words", [
    ("max_limit", "abc", ["zookeeper_connections_max_limit='abc'", "not an integer"]),
    ("max_limit", "\u0664\u0660", ["zookeeper_connections_max_limit=", "not an integer"]),
    ("max_limit", 2147483648, ["zookeeper_connections_max_limit=2147483648", "out of range"]),
    ("max_limit", 0, ["zookeeper_connections_max_limit=0", "out of range"]),
    ("max_limit", True, ["zookeeper_connections_max_limit=True", "not a number"]),
    ("max_limit", 12.5, ["zookeeper_connections_max_limit=12.5", "not an integer"]),
    ("raise_factor", float("nan"), ["zookeeper_connections_raise_factor=nan", "not a finite number"]),
    ("raise_factor", "inf", ["zookeeper_connections_raise_factor='inf'", "not a decimal number"]),
    ("raise_factor", 0.5, ["zookeeper_connections_raise_factor=0.5", "out of range"]),
    ("headroom", math.inf, ["zookeeper_connections_headroom=inf", "not a finite number"]),
    ("threshold_percent", 0, ["zookeeper_connections_threshold_percent=0", "out of range"]),
    ("threshold_percent", 101, ["zookeeper_connections_threshold_percent=101", "out of range"]),
    ("sample_interval", -1, ["zookeeper_connections_sample_interval=-1", "out of range"]),
    ("sample_interval", "1e9", ["zookeeper_connections_sample_interval='1e9'", "not an integer"]),
    ("idle_min_age", "nan", ["zookeeper_connections_idle_min_age='nan'", "not a decimal number"]),
    ("leak_min_growth", 0, ["zookeeper_connections_leak_min_growth=0", "out of range"]),
    ("restart_timeout", 10 ** 9, ["zookeeper_connections_restart_timeout=1000000000", "out of range"]),
    ("gate_delay", 0, ["zookeeper_connections_gate_delay=0", "out of range"]),
    ("port", 70000, ["zookeeper_connections_port=70000", "out of range"]),
    ("raise_on_leak", "maybe", ["zookeeper_connections_raise_on_leak='maybe'", "not a boolean"]),
    ("apply", "later", ["zookeeper_connections_apply='later'", "auto, live, restart"]),
    ("extra_settings", "maxCnxns=10", ["zookeeper_connections_extra_settings='maxCnxns=10'", "not a mapping"]),
    ("extra_settings", {"maxClientCnxns": 99}, ["zookeeper_connections_extra_settings=", "computes itself"]),
    ("alarm_client_ip", "10.0.0.1\r\nx", ["zookeeper_connections_alarm_client_ip=", "not an address"]),
])
def test_bad_options_are_refused_naming_variable_and_value(name, value, words):
    with pytest.raises(OptionError) as err:
        check(rec.options(**{name: value}))
    for word in words:
        assert word in str(err.value)
    # through the filter: an Ansible error that says nothing was changed
    with pytest.raises(AnsibleFilterError) as err:
        zookeeper_survey(["zk1"], {}, [], rec.options(**{name: value}))
    assert words[0] in str(err.value) and "Nothing was changed." in str(err.value)


@pytest.mark.parametrize("name, value, typed", [
    ("max_limit", "2000", 2000), ("raise_factor", "2.5", 2.5), ("raise_factor", 3, 3), ("sample_interval", 2.0, 2),
    ("raise_on_leak", "true", True), ("raise_on_leak", "no", False), ("alarm_client_ip", " 10.0.0.5 ", "10.0.0.5"),
])
def test_options_from_extra_vars_are_typed(name, value, typed):
    assert check(rec.options(**{name: value}))[name] == typed
