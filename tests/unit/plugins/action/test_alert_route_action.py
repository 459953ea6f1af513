"""The routing step as the action plugin runs it (route_and_record): the alert read from the variables
as stored, everything returned unrendered on this ansible-core (2.16 and 2.19: make units runs both),
the decision record, the attempt ledger and the bad option values."""
import glob
import json
import os
import urllib.parse

import pytest
import yaml

from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

from ansible_collections.alertops.remediation.plugins.action import alert_route as action

try:  # 2.19+: only templates from trusted sources render; extra vars and playbooks are trusted
    from ansible.template import trust_as_template
except ImportError:  # 2.16-2.18: every string renders unless marked unsafe
    def trust_as_template(value):
        return value

from tests.unit.plugins.action.alert_cases import FORBIDDEN, GROUPS, HOSTS, PORTS, ROUTES, ZK, firing

HOUR = 3600
NOW = 1_800_000_000.0
# A rendered "{{ 7 * 7 }}" shows as 49; a rendered lookup would raise here (the plugin loader is not set up
# in unit tests), so either way rendering cannot go unnoticed.
JINJA = "{{ 7 * 7 }}{{ lookup('ansible.builtin.pipe', 'touch %s') }}"


def args(report_dir, **extra):
    out = {"routes": ROUTES, "forbidden_chars": FORBIDDEN, "report_dir": str(report_dir), "ledger_path": None,
           "dry_run": False, "plan_only": False, "max_attempts": 3, "attempt_window": HOUR}
    out.update(extra)
    return out


def task_vars(**variables):
    out = {"groups": GROUPS, "hostvars": HOSTS, "ansible_play_hosts_all": list(HOSTS)}
    # variables as Ansible stores extra vars: trusted templates on 2.19, plain strings before
    out.update({k: trust_as_template(v) if isinstance(v, str) else v for k, v in variables.items()})
    return out


def payload(alert):
    return urllib.parse.quote(json.dumps(alert))


def render(value):
    """what a later task gets when it reads value through a template: {{ v }}"""
    return Templar(loader=DataLoader(), variables={"v": value}).template(trust_as_template("{{ v }}"))


def strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from strings(v)


def records(report_dir):
    out = []
    for path in sorted(glob.glob(os.path.join(str(report_dir), "alerts", "*.json"))):
        with open(path) as fh:
            out.append(json.load(fh))
    return out


# ------------------------------------------------------------------------------------------ alert text is data
def test_returned_strings_never_render(tmp_path):
    marker = tmp_path / "executed"
    jinja = JINJA % marker
    alert = firing({"alertname": PORTS, "instance": "agent1", "note": jinja},
                   annotations={"summary": jinja}, startsAt=jinja, fingerprint=jinja)
    result = action.route_and_record(task_vars(alert_payload=payload(alert)), args(tmp_path, plan_only=True), False)
    assert result["refused"] == "" and result["decision"]["labels"]["note"] == jinja
    found = list(strings(result))
    assert any(jinja in s for s in found)
    for s in found:
        assert render(s) == s, s
    assert render(result["decision"]) == result["decision"]
    assert not marker.exists()


def test_a_refusal_message_never_renders(tmp_path):
    marker = tmp_path / "executed"
    jinja = JINJA % marker + "agent1"
    result = action.route_and_record(task_vars(alert_name=PORTS, alert_host=jinja), args(tmp_path), False)
    assert "contain characters no host name" in result["refused"]
    assert render(result["refused"]) == result["refused"]
    assert not marker.exists()


def test_the_same_value_does_render_when_not_marked():
    """the check above can fail: text as Ansible stores an extra var is rendered when read."""
    assert str(render(trust_as_template("{{ 7 * 7 }}"))) == "49"
    with pytest.raises(Exception):
        render(trust_as_template(JINJA % "/nonexistent/x"))


def test_survey_variables_are_read_as_stored(tmp_path):
    marker = tmp_path / "executed"
    jinja = JINJA % marker
    result = action.route_and_record(task_vars(alert_name=PORTS, alert_host="agent1", alert_time=jinja,
                                               zk_alarm_client_ip=jinja), args(tmp_path, plan_only=True), False)
    assert result["decision"]["alarm_time_ignored"] == jinja
    assert result["decision"]["source"] == "survey"
    for s in strings(result):  # on 2.19 the survey's text arrives trusted: wrap_var must untrust it
        assert render(s) == s, s
    assert not marker.exists()


# ------------------------------------------------------------------------------------------ records and stats
def test_decision_record_and_stats(tmp_path):
    alert = firing({"alertname": ZK, "ServerIP": "198.18.0.23", "ClientIP": "198.18.0.16"})
    result = action.route_and_record(task_vars(alert_payload=payload(alert)), args(tmp_path), False, now=NOW)
    [rec] = records(tmp_path)
    assert rec == json.loads(json.dumps(result["decision"]))
    assert rec["decision"] == "remediate" and rec["limit"] == ["zkb1", "zkb2"] and rec["run"] is True
    assert rec["decided_at"] == "2027-01-15T08:00:00.000000Z"
    assert os.path.dirname(result["record"]) == str(tmp_path / "alerts")
    assert "-zookeeper_connections-zkb1-" in os.path.basename(result["record"])
    stats = result["ansible_stats"]
    assert stats["per_host"] is False and stats["data"]["alertops_alert"]["hosts"] == ["zkb1", "zkb2"]
    assert stats["data"]["alertops_alert"]["mode"] == "remediate"
    assert "-> runbook zookeeper_connections on zkb1, zkb2: remediate" in result["msg"]
    assert oct(os.stat(result["record"]).st_mode & 0o777) == "0o640"


def test_refusals_write_no_record(tmp_path):
    result = action.route_and_record(task_vars(alert_name=PORTS, alert_host="agent9"), args(tmp_path), False)
    assert "is not in the inventory" in result["refused"] and records(tmp_path) == []


@pytest.mark.parametrize("option, value", [
    ("max_attempts", 0), ("max_attempts", "\u0663"), ("max_attempts", "3.0"), ("max_attempts", True),
    ("max_attempts", 1001), ("max_attempts", "nan"), ("attempt_window", "inf"), ("attempt_window", 59),
    ("attempt_window", "1e9"), ("attempt_window", -3600), ("attempt_window", "9" * 40), ("attempt_window", None),
])
def test_bad_limits_fail_naming_option_and_value(tmp_path, option, value):
    result = action.route_and_record(task_vars(alert_name=PORTS, alert_host="agent1"),
                                     args(tmp_path, **{option: value}), False)
    assert result["failed"] is True
    assert result["msg"].startswith(option + ": ") and json.dumps(value)[:10] in result["msg"]
    assert not os.path.exists(tmp_path / "alerts")


@pytest.mark.parametrize("option, value", [
    ("report_dir", ""), ("report_dir", "reports"), ("report_dir", "/tmp/a\x00b"), ("report_dir", "/tmp/a\nb"),
    ("report_dir", "/" + "x" * 4096), ("ledger_path", "attempts.json"), ("ledger_path", "/tmp/a\x00b"),
    ("ledger_path", "/tmp/\r\n"), ("forbidden_chars", [""]), ("forbidden_chars", ["{{"]),
])
def test_bad_paths_and_characters_fail_naming_option_and_value(tmp_path, monkeypatch, option, value):
    """A relative folder would be resolved against wherever ansible-playbook was started; an empty
    forbidden character is in every text and a two-character one is no character: all are typos."""
    monkeypatch.chdir(tmp_path)
    given = dict(args(tmp_path), **{option: value})
    result = action.route_and_record(task_vars(alert_name=PORTS, alert_host="agent1"), given, False)
    assert result.get("failed") is True, result
    assert result["msg"].startswith(option + ": ") and json.dumps(value)[1:8] in result["msg"]
    assert os.listdir(str(tmp_path)) == []


def test_limits_as_digit_text_are_fine(tmp_path):
    result = action.route_and_record(task_vars(alert_name=PORTS, alert_host="agent1"),
                                     args(tmp_path, max_attempts="2", attempt_window="600"), False)
    assert result["refused"] == "" and result["decision"]["run"] is True


def test_broken_routes_fail_naming_the_route(tmp_path):
    result = action.route_and_record(task_vars(alert_name=PORTS, alert_host="agent1"),
                                     args(tmp_path, routes=[{"name": "x"}]), False)
    assert result["failed"] is True and result["msg"].startswith("routes[0].runbook")


# ------------------------------------------------------------------------------------------ the attempt ledger
def fire(tmp_path, starts_at, now, fingerprint="f00d", status="firing", host="agent1", **extra):
    alert = firing({"alertname": PORTS, "instance": host}, startsAt=starts_at, fingerprint=fingerprint, status=status)
    return action.route_and_record(task_vars(alert_payload=payload(alert)), args(tmp_path, **extra), False, now=now)


def test_an_alert_that_comes_back(tmp_path):
    first = fire(tmp_path, "2026-11-21T10:00:00Z", NOW)
    assert first["decision"]["decision"] == "remediate" and first["decision"]["run"] is True
    repeat = fire(tmp_path, "2026-11-21T10:00:00Z", NOW + 4 * HOUR)  # Alertmanager's repeat_interval
    assert repeat["refused"] == "" and repeat["decision"]["decision"] == "duplicate"
    assert repeat["decision"]["run"] is False and repeat["decision"]["duplicate_of"] == first["decision"]["decided_at"]
    resolved = fire(tmp_path, "2026-11-21T10:00:00Z", NOW + 4 * HOUR + 10, status="resolved")
    assert resolved["decision"]["decision"] == "record only"
    again = fire(tmp_path, "2026-11-21T14:01:00Z", NOW + 4 * HOUR + 60)  # a new episode, a minute later
    assert again["decision"]["decision"] == "remediate"
    other = fire(tmp_path, "2026-11-21T10:00:00Z", NOW + 10, host="agent2")
    assert other["decision"]["decision"] == "remediate"


def test_a_target_that_keeps_failing_needs_a_human(tmp_path):
    for i in range(3):
        r = fire(tmp_path, "2026-11-21T10:0%d:00Z" % i, NOW + 60 * i)
        assert r["decision"]["decision"] == "remediate", r
    stop = fire(tmp_path, "2026-11-21T10:05:00Z", NOW + 300)
    assert stop["decision"]["decision"] == "needs human" and stop["decision"]["run"] is False
    assert "NEEDS A HUMAN" in stop["refused"] and "tried 3 times within 3600 s" in stop["refused"]
    assert "no further attempt until 2027-01-15T09:00:00.000000Z" in stop["refused"]
    assert stop["record"] in stop["refused"]
    rec = [r for r in records(tmp_path) if r["decision"] == "needs human"]
    assert len(rec) == 1 and len(rec[0]["attempts"]) == 3
    # a human can still launch it (survey), and once the window has passed alerts run again
    human = action.route_and_record(task_vars(alert_name=PORTS, alert_host="agent1"), args(tmp_path), False,
                                    now=NOW + 400)
    assert human["decision"]["decision"] == "remediate"
    later = fire(tmp_path, "2026-11-21T11:30:00Z", NOW + HOUR + 120)
    assert later["decision"]["decision"] == "remediate"


def test_plan_only_consults_but_never_records(tmp_path):
    for i in range(3):
        assert fire(tmp_path, "2026-11-21T10:0%d:00Z" % i, NOW + i, plan_only=True)["decision"]["decision"] == "record only"
    assert not os.path.exists(tmp_path / "alert_attempts.json")
    fire(tmp_path, "2026-11-21T10:00:00Z", NOW)
    assert fire(tmp_path, "2026-11-21T10:00:00Z", NOW + 1, plan_only=True)["decision"]["decision"] == "duplicate"


def test_verifications_do_not_count(tmp_path):
    for i in range(5):
        r = fire(tmp_path, "2026-11-21T10:0%d:00Z" % i, NOW + i, dry_run=True)
        assert r["decision"]["decision"] == "record only"
    assert fire(tmp_path, "2026-11-21T10:09:00Z", NOW + 10)["decision"]["decision"] == "remediate"


def test_a_broken_ledger_refuses_and_names_it(tmp_path):
    (tmp_path / "alert_attempts.json").write_text("{broken")
    r = fire(tmp_path, "2026-11-21T10:00:00Z", NOW)
    assert "alert_attempts.json is not JSON" in r["refused"] and "Nothing was run" in r["refused"]
    assert records(tmp_path) == []


def test_max_attempts_from_the_playbook(tmp_path):
    with open(os.path.join(os.path.dirname(action.__file__), "..", "..", "playbooks", "remediate_alert.yml")) as fh:
        play_vars = yaml.safe_load(fh)[0]["vars"]
    assert play_vars["remediate_alert_max_attempts"] == 3 and play_vars["remediate_alert_attempt_window"] == HOUR


@pytest.mark.parametrize("text, part", [
    ("agent1", "agent1"), ("zk-1.example_b", "zk-1.example_b"), ("../../etc/passwd", ".._.._etc_passwd"),
    ("h\u00f6st\x00", "h_st_"), ("a" * 100, "a" * 64),
])
def test_record_file_names_stay_in_the_folder(text, part):
    assert action.file_part(text) == part
