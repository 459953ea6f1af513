"""Routing of one alert (plugin_utils/alert_route.py), table-driven: every refusal and every route.

Runs on the pinned ansible-core and on the declared floor (make units). The playbook-level suites
(tests/eda/test_routing.py, tests/eda/test_hostile_alerts.py) run the same decisions through ansible-playbook.
"""
import copy
import datetime
import json
import urllib.parse

import pytest

from ansible_collections.alertops.remediation.plugins.plugin_utils.alert_route import (
    MAX_PAYLOAD, Refused, RouteConfigError, alarm_time, check_routes, read_alert, route_alert)
from tests.unit.plugins.action.alert_cases import FORBIDDEN, GROUPS, HOSTS, PORTS, ROUTES, START, ZK, firing

ALL = list(HOSTS)


def route(alert, play_hosts=None, source="eda", **kw):
    return route_alert(alert, source, ROUTES, HOSTS, GROUPS, ALL if play_hosts is None else play_hosts,
                       forbidden_chars=FORBIDDEN, **kw)


def payload(alert):
    return urllib.parse.quote(json.dumps(alert))


# ------------------------------------------------------------------------------------------ routes
ROUTED = [
    ("ports by instance", {"alertname": PORTS, "instance": "agent2"}, "exporter_ports", ["agent2"], {}),
    ("ports by svr_ip", {"alertname": PORTS, "svr_ip": "198.18.0.12"}, "exporter_ports", ["agent2"], {}),
    ("ports by both labels, same host", {"alertname": PORTS, "instance": "agent2", "svr_ip": "198.18.0.12"},
     "exporter_ports", ["agent2"], {}),
    ("ports host without ansible_host", {"alertname": PORTS, "instance": "noaddr"}, "exporter_ports", ["noaddr"], {}),
    ("ports with other labels untouched", {"alertname": PORTS, "instance": "agent1", "service": "{{ x }}"},
     "exporter_ports", ["agent1"], {}),
    ("zookeeper ensemble by ServerIP", {"alertname": ZK, "ServerIP": "198.18.0.14", "ClientIP": "198.18.0.16"},
     "zookeeper_connections", GROUPS["zookeeper"], {"zk_alarm_client_ip": "198.18.0.16", "zk_alarm_server_ip": "198.18.0.14"}),
    ("zookeeper by HostName", {"alertname": ZK, "HostName": "zk2", "ClientIP": "198.18.0.16"},
     "zookeeper_connections", GROUPS["zookeeper"], {"zk_alarm_client_ip": "198.18.0.16", "zk_alarm_server_ip": ""}),
    ("zookeeper second ensemble", {"alertname": ZK, "ServerIP": "198.18.0.23", "ClientIP": "198.18.0.16"},
     "zookeeper_connections", ["zkb1", "zkb2"], {"zk_alarm_client_ip": "198.18.0.16", "zk_alarm_server_ip": "198.18.0.23"}),
    ("zookeeper alias name", {"alertname": "ZooKeeperClientConnectionsInsufficient", "ServerIP": "198.18.0.24",
                              "ClientIP": "fe80::1"},
     "zookeeper_connections", ["zkb1", "zkb2"], {"zk_alarm_client_ip": "fe80::1", "zk_alarm_server_ip": "198.18.0.24"}),
]


@pytest.mark.parametrize("case, labels, runbook, limit, label_vars", ROUTED, ids=[r[0] for r in ROUTED])
def test_routes(case, labels, runbook, limit, label_vars):
    d = route(firing(labels))
    assert (d["runbook"], d["limit"], d["check"], d["run"]) == (runbook, limit, False, True)
    assert d["host"] in limit and d["alarm_time"] == START and d["alarm_time_ignored"] == ""
    time_var = "exporter_ports_alarm_time" if runbook == "exporter_ports" else "zookeeper_connections_alarm_time"
    assert d["vars"] == dict(label_vars, **{time_var: START})
    assert d["episode"] == {"fingerprint": "a1b2c3d4e5f60718", "startsAt": START}
    assert d["ensemble_group"] == ("" if runbook == "exporter_ports" else
                                   ("zookeeper_b" if limit == ["zkb1", "zkb2"] else "zookeeper"))


@pytest.mark.parametrize("status, dry_run, plan_only, check_mode, check, run", [
    ("firing", False, False, False, False, True),
    ("firing", True, False, False, True, False),    # dry run outside check mode: recorded only
    ("firing", True, False, True, True, True),      # dry run in check mode: the verification runs
    ("firing", False, True, False, False, False),   # plan only
    ("firing", False, False, True, True, True),     # --check
    ("resolved", False, False, False, True, False),
    ("resolved", False, False, True, True, True),
    ("resolved", False, True, True, True, False),
])
def test_modes(status, dry_run, plan_only, check_mode, check, run):
    d = route(firing({"alertname": PORTS, "instance": "agent1"}, status=status), dry_run=dry_run,
              plan_only=plan_only, check_mode=check_mode)
    assert (d["status"], d["check"], d["run"]) == (status, check, run)


@pytest.mark.parametrize("value, used", [
    ("2026-11-21T10:15:30Z", True), ("2026-11-21T10:15:30+08:00", True), ("2026-11-21 10:15:30-05:30", True),
    ("2026-11-21T10:15:30.1Z", True), (START, True), ("2016-12-31T23:59:60Z", True),
    ("", False), ("0001-01-01T00:00:00Z", False), ("2026-13-21T10:15:30Z", False), ("2026-02-30T10:15:30Z", False),
    ("2026-11-21T24:15:30Z", False), ("2026-11-21T10:15:30+24:00", False), ("2026-11-21T10:15:30", False),
    ("2026-11-21T10:15:30.1234567890Z", False), ("\uff12\uff10\uff12\uff16-11-21T10:15:30Z", False),
    ("2026-11-21T10:15:30Z\n", False), ("yesterday; {{ 7 * 7 }}", False), ("2026-11-21T10:15:30Z" + "0" * 100, False),
    (1763720130, False), (None, False), (["2026-11-21T10:15:30Z"], False),
])
def test_alarm_time_only_a_real_rfc3339_time(value, used):
    time, ignored = alarm_time(value)
    if used:
        assert (time, ignored) == (value, "")
    else:
        assert time == ""
        assert ignored == ("" if value in ("", None) else (value if isinstance(value, str) else json.dumps(value)))


def test_bad_starts_at_is_recorded_not_used():
    d = route(firing({"alertname": PORTS, "instance": "agent1"}, startsAt="{{ lookup('pipe', 'id') }}"))
    assert d["alarm_time"] == "" and d["alarm_time_ignored"] == "{{ lookup('pipe', 'id') }}"
    assert d["vars"] == {"exporter_ports_alarm_time": ""} and d["run"] is True


# ------------------------------------------------------------------------------------------ refusals
REFUSED = [
    ("unknown alert", {"alertname": "DiskFull", "instance": "agent1"}, 'unknown alert "DiskFull"'),
    ("alert name is not matched by prefix", {"alertname": PORTS + "x", "instance": "agent1"}, "unknown alert"),
    ("alert name with a template", {"alertname": "{{ 7 * 7 }}" + PORTS, "instance": "agent1"}, "unknown alert"),
    ("host not in inventory", {"alertname": PORTS, "instance": "agent9"}, 'instance="agent9") is not in the inventory'),
    ("address not in inventory", {"alertname": PORTS, "svr_ip": "198.18.0.99"}, "is not in the inventory"),
    ("one label matches, the other names no host", {"alertname": PORTS, "instance": "agent1", "svr_ip": "198.18.0.99"},
     'svr_ip="198.18.0.99") is not in the inventory'),
    ("first label names no host, second matches", {"alertname": PORTS, "instance": "agent1.example", "svr_ip": "198.18.0.11"},
     'instance="agent1.example") is not in the inventory'),
    ("no host label", {"alertname": PORTS}, "it names no host (labels instance, svr_ip are empty)"),
    ("empty host labels", {"alertname": PORTS, "instance": "", "svr_ip": ""}, "it names no host"),
    ("labels name two hosts", {"alertname": PORTS, "instance": "agent1", "svr_ip": "198.18.0.12"},
     "name several hosts (agent1, agent2)"),
    ("ansible_host shared by two hosts", {"alertname": PORTS, "svr_ip": "198.18.0.11"}, "name several hosts (agent1, twin)"),
    ("host outside the runbook's group", {"alertname": PORTS, "instance": "zk1"}, "not in the inventory group ocp_agents"),
    ("zookeeper alert on an agent", {"alertname": ZK, "ServerIP": "198.18.0.12", "ClientIP": "198.18.0.16"},
     "not in the inventory group zookeeper"),
    ("label names the ensemble, not a host", {"alertname": ZK, "HostName": "zookeeper", "ClientIP": "198.18.0.16"},
     'HostName="zookeeper") is not in the inventory'),
    ("server ip names the ensemble", {"alertname": ZK, "ServerIP": "zookeeper", "ClientIP": "198.18.0.16"},
     'zk_alarm_server_ip="zookeeper" not in the expected form'),
    ("label names the group all", {"alertname": PORTS, "instance": "all"}, "is not in the inventory"),
    ("ensemble group holds a host outside the runbook's group", {"alertname": ZK, "ServerIP": "198.18.0.30"},
     "ensemble group zookeeper_x of host zkx holds hosts outside group zookeeper (agent2)"),
    ("ensemble group that does not exist", {"alertname": ZK, "ServerIP": "198.18.0.31"},
     'not in its ensemble group "no_such_group"'),
    ("host not in the ensemble group its variable names", {"alertname": ZK, "ServerIP": "198.18.0.32"},
     'not in its ensemble group "zookeeper_b"'),
    ("client ip not an address", {"alertname": ZK, "ServerIP": "198.18.0.14", "ClientIP": "zk1.example"},
     'zk_alarm_client_ip="zk1.example" not in the expected form'),
    ("client ip with a trailing newline", {"alertname": ZK, "ServerIP": "198.18.0.14", "ClientIP": "198.18.0.16\n"},
     "contain characters no host name"),
    ("prefix is not equality", {"alertname": PORTS, "instance": "agent"}, "is not in the inventory"),
    ("pattern is not equality", {"alertname": PORTS, "instance": "agent*"}, "is not in the inventory"),
    ("host pattern widening", {"alertname": PORTS, "instance": "agent1:agent2"}, "is not in the inventory"),
    ("label value is a number", {"alertname": PORTS, "instance": 1}, "label instance is int 1, not text"),
    ("label value is a list", {"alertname": PORTS, "instance": ["agent1"]}, "label instance is list"),
    ("label var is a mapping", {"alertname": ZK, "ServerIP": "198.18.0.14", "ClientIP": {"a": 1}}, "label ClientIP is dict"),
]


@pytest.mark.parametrize("case, labels, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_refusals(case, labels, message):
    with pytest.raises(Refused) as err:
        route(firing(labels))
    assert message in str(err.value)
    assert "Nothing was run" in str(err.value)


HOSTILE_VALUES = [
    ("jinja lookup", "{{ lookup('ansible.builtin.pipe', 'touch /tmp/x') }}agent1"),
    ("jinja statement", "{% set x = 1 %}agent1"),
    ("jinja comment", "{# c #}agent1"),
    ("command substitution", "$(touch /tmp/x)"),
    ("backticks", "`touch /tmp/x`"),
    ("shell separator", "agent1;id"),
    ("pipe", "agent1|id"),
    ("quote", "agent1'"),
    ("space", "agent1 agent2"),
    ("newline", "agent1\nagent2"),
    ("carriage return", "agent1\r"),
    ("tab", "agent1\t"),
    ("NUL", "agent1\x00"),
    ("DEL", "agent1\x7f"),
    ("url-encoded delimiters", "%7B%7B lookup('pipe','id') %7D%7D"),
    ("very long", "a" * 254),
]


@pytest.mark.parametrize("label", ["instance", "svr_ip"])
@pytest.mark.parametrize("case, value", HOSTILE_VALUES, ids=[h[0] for h in HOSTILE_VALUES])
def test_hostile_host_label_values_are_refused(case, value, label):
    with pytest.raises(Refused) as err:
        route(firing({"alertname": PORTS, label: value}))
    assert "contain characters no host name or address has" in str(err.value)
    assert json.dumps(value)[:20] in str(err.value)


@pytest.mark.parametrize("case, value", HOSTILE_VALUES, ids=[h[0] for h in HOSTILE_VALUES])
def test_hostile_label_vars_are_refused(case, value):
    with pytest.raises(Refused) as err:
        route(firing({"alertname": ZK, "ServerIP": "198.18.0.14", "ClientIP": value}))
    assert "Nothing was run" in str(err.value)


@pytest.mark.parametrize("value", ["!unsafe agent1", "agent\uff11", "\u0430gent1", "agent1\u200b", "AGENT1", "agent1."])
def test_lookalike_host_values_match_no_host(value):
    with pytest.raises(Refused) as err:
        route(firing({"alertname": PORTS, "instance": value}))
    assert "is not in the inventory" in str(err.value) or "contain characters" in str(err.value)


def test_job_limit_leaving_the_host_out_is_refused():
    with pytest.raises(Refused) as err:
        route(firing({"alertname": PORTS, "instance": "agent2"}), play_hosts=["agent1"])
    assert "needs agent2 but the job's limit leaves out agent2" in str(err.value)


def test_job_limit_leaving_an_ensemble_member_out_is_refused():
    with pytest.raises(Refused) as err:
        route(firing({"alertname": ZK, "ServerIP": "198.18.0.23"}), play_hosts=["zkb1"])
    assert "leaves out zkb2" in str(err.value)


@pytest.mark.parametrize("alert, message", [
    ({"alerts": [firing({"alertname": PORTS, "instance": "agent1"})] * 2, "status": "firing"},
     "whole webhook payload (2 alerts)"),
    ([firing({"alertname": PORTS, "instance": "agent1"})], "must be one Alertmanager alert"),
    ("agent1", "must be one Alertmanager alert"),
    ({"labels": "alertname=x"}, "with a `labels` mapping"),
    ({"labels": {"instance": "agent1"}}, "holding `alertname`"),
    ({"labels": {"alertname": "", "instance": "agent1"}}, "holding `alertname`"),
    ({"labels": {"alertname": 7, "instance": "agent1"}}, "holding `alertname`"),
    (firing({"alertname": PORTS, "instance": "agent1"}, status="pending"), 'status "pending" is neither'),
    (firing({"alertname": PORTS, "instance": "agent1"}, status=None), "status null is neither"),
])
def test_not_one_alert_is_refused(alert, message):
    with pytest.raises(Refused) as err:
        route(alert)
    assert message in str(err.value)


# ------------------------------------------------------------------------------------------ reading the alert
def test_read_alert_from_payload_first():
    alert = firing({"alertname": PORTS, "instance": "agent1"})
    got, source = read_alert({"alert_payload": payload(alert), "alert_name": ZK,
                              "ansible_eda": {"event": firing({"alertname": "other"})}})
    assert (got, source) == (alert, "eda")


def test_read_alert_decodes_once_only():
    alert = firing({"alertname": PORTS, "instance": "%7B%7B x %7D%7D", "plus": "a+b"})
    got = read_alert({"alert_payload": payload(alert)})[0]
    assert got["labels"]["instance"] == "%7B%7B x %7D%7D" and got["labels"]["plus"] == "a+b"


def test_read_alert_from_survey_variables():
    got, source = read_alert({"alert_name": PORTS, "alert_host": "agent1", "alert_time": "2026-11-21T10:15:30Z",
                              "zk_alarm_client_ip": None, "ansible_eda": {"event": {"labels": {}}}})
    assert source == "survey"
    assert got == {"labels": {"alertname": PORTS, "instance": "agent1", "ClientIP": "", "ServerIP": ""},
                   "startsAt": "2026-11-21T10:15:30Z", "status": "firing"}


def test_read_alert_survey_timestamp_and_numbers_become_text():
    when = datetime.datetime(2026, 11, 21, 2, 15, 30, tzinfo=datetime.timezone.utc)
    got = read_alert({"alert_name": PORTS, "alert_host": 12, "alert_time": when, "alert_status": "resolved"})[0]
    assert got["labels"]["instance"] == "12" and got["startsAt"] == "2026-11-21 02:15:30+00:00"
    assert got["status"] == "resolved" and alarm_time(got["startsAt"])[0] == got["startsAt"]


def test_read_alert_from_ansible_eda_event_as_data():
    event = firing({"alertname": PORTS, "instance": "{{ 7 * 7 }}"})
    got, source = read_alert({"ansible_eda": {"event": event}})
    assert (got, source) == (event, "ansible_eda")


@pytest.mark.parametrize("variables, message", [
    ({}, "no alert given"),
    ({"alert_payload": "", "alert_name": ""}, "no alert given"),
    ({"ansible_eda": {"ruleset": "x"}}, "no alert given"),
    ({"alert_payload": "%7Bnot json"}, "is not URL-encoded JSON"),
    ({"alert_payload": "{{ lookup('ansible.builtin.pipe', 'id') }}"}, "is not URL-encoded JSON"),
    ({"alert_payload": "[" * 100000 + "]" * 100000}, "is not URL-encoded JSON"),
    ({"alert_payload": "x" * (MAX_PAYLOAD + 1)}, "over the limit"),
    ({"alert_payload": 7}, "alert_payload must be a string"),
    ({"alert_payload": {"labels": {}}}, "alert_payload must be a string"),
    ({"alert_name": PORTS, "alert_host": ["agent1", "agent2"]}, "alert_host must be text, got list"),
    ({"alert_name": PORTS, "alert_host": {"a": 1}}, "alert_host must be text, got dict"),
    ({"alert_name": PORTS, "alert_host": True}, "alert_host must be text, got bool"),
    ({"alert_name": PORTS, "alert_host": "agent1", "alert_time": object()}, "alert_time must be text"),
])
def test_read_alert_refusals(variables, message):
    with pytest.raises(Refused) as err:
        read_alert(variables)
    assert message in str(err.value) and "Nothing was run" in str(err.value)


# ------------------------------------------------------------------------------------------ the routes file
def test_routes_file_is_valid():
    assert check_routes(ROUTES) is ROUTES


def _broken(index, **change):
    routes = copy.deepcopy(ROUTES)
    routes[index].update(change)
    return routes


@pytest.mark.parametrize("routes, message", [
    ([], "routes: expected a non-empty list"),
    ("x", "routes: expected a non-empty list"),
    ([7], "routes[0]: expected a mapping"),
    (_broken(0, runbook=""), "routes[0].runbook"),
    (_broken(1, group=None), "routes[1].group"),
    (_broken(0, alertnames=[]), "routes[0].alertnames"),
    (_broken(0, host_labels=["instance", 3]), "routes[0].host_labels"),
    (_broken(0, scope="fleet"), 'routes[0].scope: expected one of host, ensemble, got "fleet"'),
    (_broken(1, label_vars=["ClientIP"]), "routes[1].label_vars"),
    (_broken(1, label_patterns={"zk_alarm_client_ip": "(["}), "routes[1].label_patterns.zk_alarm_client_ip"),
    (_broken(1, time_var=3), "routes[1].time_var"),
    (_broken(1, alertnames=[PORTS]), "routes[1].alertnames: \"%s\" is already routed by routes[0]" % PORTS),
])
def test_broken_routes_are_named(routes, message):
    with pytest.raises(RouteConfigError) as err:
        check_routes(routes)
    assert message in str(err.value)
