"""remediate_alert.yml's decisions, on an inventory no connection can reach (nothing runs on any host).

Routing outcomes are read from the decision record the playbook writes (plan only); refusals must fail
with a message that says why, before any host is contacted, and hostile label values must neither execute
nor widen the limit.
"""
import os

import pytest
import yaml

from tests.eda.eda_support import ROOT, decisions, encode_alert, run_alert_playbook

PORTS = "no_port_mapping_for_exporter"


def plan(inventory, report_dir, *args):
    p = run_alert_playbook(inventory, report_dir, ["-e", "remediate_alert_plan_only=true"] + list(args))
    return p, decisions(report_dir)


def firing(labels, **extra):
    alert = {"status": "firing", "labels": labels, "startsAt": "2026-11-21T10:15:30.123456789Z",
             "endsAt": "2026-11-21T10:18:30Z", "annotations": {"summary": "x"}}
    alert.update(extra)
    return alert


@pytest.mark.parametrize("labels, runbook, hosts", [
    ({"alertname": PORTS, "instance": "agent2", "svr_ip": "198.18.0.12"}, "exporter_ports", ["agent2"]),
    ({"alertname": PORTS, "svr_ip": "198.18.0.12"}, "exporter_ports", ["agent2"]),
    ({"alertname": PORTS, "instance": "agent2"}, "exporter_ports", ["agent2"]),
    ({"alertname": "ALM-13007", "ServerIP": "198.18.0.14", "ClientIP": "198.18.0.16", "HostName": "zk2"},
     "zookeeper_connections", ["zk1", "zk2", "zk3", "zkb1", "zkb2"]),
    ({"alertname": "ALM-13007", "ServerIP": "198.18.0.23", "ClientIP": "198.18.0.16"},
     "zookeeper_connections", ["zkb1", "zkb2"]),
])
def test_routes_alert_to_runbook_and_host(fake_inventory, report_dir, labels, runbook, hosts):
    p, recs = plan(fake_inventory, report_dir, "-e", "alert_payload=" + encode_alert(firing(labels)))
    assert p.returncode == 0, p.stdout
    assert len(recs) == 1, p.stdout
    rec = recs[0]
    assert rec["runbook"] == runbook
    assert sorted(rec["limit"]) == hosts
    assert rec["check"] is False and rec["decision"] == "record only"
    assert rec["alarm_time"] == "2026-11-21T10:15:30.123456789Z"
    if runbook == "zookeeper_connections":
        assert rec["vars"]["zk_alarm_client_ip"] == "198.18.0.16"
        assert rec["vars"]["zk_alarm_server_ip"] == labels["ServerIP"]
        assert rec["vars"]["zookeeper_connections_alarm_time"] == rec["alarm_time"]
    else:
        assert rec["vars"] == {"exporter_ports_alarm_time": rec["alarm_time"]}


def test_resolved_alert_only_verifies(fake_inventory, report_dir):
    alert = firing({"alertname": PORTS, "instance": "agent1"}, status="resolved")
    p, recs = plan(fake_inventory, report_dir, "-e", "alert_payload=" + encode_alert(alert))
    assert p.returncode == 0, p.stdout
    assert recs[0]["check"] is True and recs[0]["status"] == "resolved"


def test_survey_variables_and_dry_run(fake_inventory, report_dir):
    p, recs = plan(fake_inventory, report_dir, "-e", "alert_name=" + PORTS, "-e", "alert_host=198.18.0.12",
                   "-e", "alert_time=2026-11-21T10:15:30+08:00", "-e", "remediate_alert_dry_run=true")
    assert p.returncode == 0, p.stdout
    rec = recs[0]
    assert (rec["runbook"], rec["limit"], rec["check"], rec["source"]) == ("exporter_ports", ["agent2"], True, "survey")
    assert rec["alarm_time"] == "2026-11-21T10:15:30+08:00"


def test_bad_alarm_time_is_dropped_not_used(fake_inventory, report_dir):
    alert = firing({"alertname": PORTS, "instance": "agent1"}, startsAt="yesterday; {{ 7 * 7 }}")
    p, recs = plan(fake_inventory, report_dir, "-e", "alert_payload=" + encode_alert(alert))
    assert p.returncode == 0, p.stdout
    assert recs[0]["alarm_time"] == "" and recs[0]["alarm_time_ignored"] == "yesterday; {{ 7 * 7 }}"
    assert "49" not in p.stdout


REFUSALS = [
    ("unknown alert", {"alertname": "DiskFull", "instance": "agent1"}, "unknown alert \"DiskFull\""),
    ("host not in inventory", {"alertname": PORTS, "instance": "agent9"}, "is not in the inventory"),
    ("address not in inventory", {"alertname": PORTS, "svr_ip": "198.18.0.99"}, "is not in the inventory"),
    ("one host label names no inventory host", {"alertname": PORTS, "instance": "agent1", "svr_ip": "198.18.0.99"},
     'svr_ip="198.18.0.99") is not in the inventory'),
    ("no host label", {"alertname": PORTS}, "it names no host"),
    ("labels name two hosts", {"alertname": PORTS, "instance": "agent1", "svr_ip": "198.18.0.12"},
     "name several hosts"),
    ("ansible_host shared by two hosts", {"alertname": PORTS, "svr_ip": "198.18.0.11"}, "name several hosts"),
    ("host outside the runbook's group", {"alertname": PORTS, "instance": "zk1"}, "not in the inventory group ocp_agents"),
    ("client ip not an address", {"alertname": "ALM-13007", "ServerIP": "198.18.0.14", "ClientIP": "zk1.example"},
     "not in the expected form"),
    ("prefix is not equality", {"alertname": PORTS, "instance": "agent"}, "is not in the inventory"),
    ("pattern is not equality", {"alertname": PORTS, "instance": "agent*"}, "is not in the inventory"),
]


@pytest.mark.parametrize("case, labels, message", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refuses_without_touching_any_host(fake_inventory, report_dir, case, labels, message):
    # not plan-only: a refusal must come before any host is contacted (the inventory's connection plugin
    # does not exist, so contacting a host would fail differently)
    p = run_alert_playbook(fake_inventory, report_dir, ["-e", "alert_payload=" + encode_alert(firing(labels))])
    assert p.returncode != 0
    assert message in p.stdout, p.stdout
    assert "Nothing was run" in p.stdout
    assert "alertops_no_such_connection" not in p.stdout
    assert decisions(report_dir) == []


def test_refuses_a_run_without_alert(fake_inventory, report_dir):
    p = run_alert_playbook(fake_inventory, report_dir, [])
    assert p.returncode != 0
    assert "no alert given" in p.stdout and "Nothing was run" in p.stdout
    assert decisions(report_dir) == []


def test_reads_ansible_eda_event_as_data(fake_inventory, report_dir, tmp_path):
    """without alert_payload, the event ansible-rulebook adds is read as it is stored, never rendered."""
    marker = tmp_path / "executed"
    ev = {"ansible_eda": {"event": {"status": "firing", "labels": {
        "alertname": PORTS, "instance": "{{ lookup('ansible.builtin.pipe', 'touch %s') }}agent1" % marker}}}}
    f = tmp_path / "ev.yml"
    f.write_text(yaml.safe_dump(ev))
    p = run_alert_playbook(fake_inventory, report_dir, ["-e", "@%s" % f])
    assert p.returncode != 0 and "contain characters no host name" in p.stdout, p.stdout
    assert not marker.exists()
    ev["ansible_eda"]["event"]["labels"]["instance"] = "agent2"
    f.write_text(yaml.safe_dump(ev))
    p, recs = plan(fake_inventory, report_dir, "-e", "@%s" % f)
    assert p.returncode == 0, p.stdout
    assert [(r["source"], r["limit"]) for r in recs] == [("ansible_eda", ["agent2"])]


HOSTILE = [
    ("shell metacharacters", "instance", "agent1; rm -rf /tmp/alertops-never"),
    ("command substitution", "instance", "$(touch {marker})"),
    ("backticks", "svr_ip", "`touch {marker}`"),
    ("jinja lookup", "instance", "{{{{ lookup('ansible.builtin.pipe', 'touch {marker}') }}}}"),
    ("jinja statement", "instance", "{{% set x = lookup('ansible.builtin.pipe', 'touch {marker}') %}}agent1"),
    ("host pattern widening", "instance", "agent1:agent2"),
    ("host pattern all", "instance", "all"),
    ("newline", "instance", "agent1\nagent2"),
]


@pytest.mark.parametrize("case, label, value", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_label_values_are_data(fake_inventory, report_dir, tmp_path, case, label, value):
    marker = tmp_path / "executed"
    value = value.format(marker=marker)
    labels = {"alertname": PORTS, label: value}
    p = run_alert_playbook(fake_inventory, report_dir, ["-e", "alert_payload=" + encode_alert(firing(labels))])
    assert p.returncode != 0, p.stdout
    assert "Nothing was run" in p.stdout
    assert "alertops_no_such_connection" not in p.stdout
    assert not marker.exists()
    assert decisions(report_dir) == []


def test_limit_that_leaves_out_the_alert_host_is_refused(fake_inventory, report_dir):
    p = run_alert_playbook(fake_inventory, report_dir, ["-e", "alert_name=" + PORTS, "-e", "alert_host=agent2",
                                                        "--limit", "agent1"])
    assert p.returncode != 0 and "leaves out agent2" in p.stdout, p.stdout


def test_rulebook_and_routes_know_the_same_alert_names():
    with open(os.path.join(ROOT, "playbooks", "vars", "alert_routes.yml")) as fh:
        routes = yaml.safe_load(fh)["alert_routes"]
    routed = sorted(n for r in routes for n in r["alertnames"])
    with open(os.path.join(ROOT, "extensions", "eda", "rulebooks", "remediate_alerts.yml")) as fh:
        text = fh.read()
    rulebook = yaml.safe_load(text)
    firing_rules = [r for r in rulebook[0]["rules"] if '"firing"' in r["condition"]]
    in_conditions = sorted(n for n in routed if any('"%s"' % n in r["condition"] for r in firing_rules))
    assert in_conditions == routed
    for name in routed:
        resolved = [r for r in rulebook[0]["rules"] if '"resolved"' in r["condition"]]
        assert any('"%s"' % name in r["condition"] for r in resolved), name


def test_repeats_of_one_episode_run_once_and_a_target_that_keeps_failing_stops(fake_inventory, report_dir):
    """the attempt ledger through ansible-playbook: the first run of an episode goes on to the runbook (which
    cannot reach the fake host), a repeat of it contacts nothing, a fourth episode within the hour is stopped
    with the stop record. The duplicates here pass the rulebook's throttle when they come hours apart."""
    def fire(starts_at):
        alert = firing({"alertname": PORTS, "instance": "agent1"}, startsAt=starts_at, fingerprint="5f1c0a6e0d2b9c41")
        return run_alert_playbook(fake_inventory, report_dir, ["-e", "alert_payload=" + encode_alert(alert)])

    first = fire("2026-11-21T10:00:00Z")
    assert "alertops_no_such_connection" in first.stdout, first.stdout  # went on to the runbook
    repeat = fire("2026-11-21T10:00:00Z")
    assert repeat.returncode == 0, repeat.stdout
    assert "duplicate (nothing run)" in repeat.stdout and "alertops_no_such_connection" not in repeat.stdout
    for start in ("2026-11-21T10:05:00Z", "2026-11-21T10:10:00Z"):
        assert "alertops_no_such_connection" in fire(start).stdout
    stop = fire("2026-11-21T10:15:00Z")
    assert stop.returncode != 0 and "NEEDS A HUMAN" in stop.stdout and "tried 3 times" in stop.stdout, stop.stdout
    assert "alertops_no_such_connection" not in stop.stdout
    recs = decisions(report_dir)
    assert [r["decision"] for r in recs].count("remediate") == 3
    assert [r["decision"] for r in recs if r["decision"] != "remediate"] == ["duplicate", "needs human"]
