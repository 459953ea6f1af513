"""Hostile alerts through playbooks/remediate_alert.yml on the declared floor (ansible-core 2.16, from
.build/floor-venv: make floor-venv) and on the pinned core (2.19, .venv): nothing an alert carries runs.

Hostile text goes into every field (labels, annotations, startsAt, fingerprint, generatorURL, the alert
name), through alert_payload (as the rulebook sends it, and raw), through the survey variables (-e, as
a JSON file so NUL and newlines survive, and as YAML !unsafe) and through ansible_eda.event. Each run
must leave the marker file absent and either refuse the alert ("Nothing was run") or treat the text as
data. The canaries show that the same values do run code when a playbook reads them the unsafe way, so
the suite can fail. The inventory's hosts have a connection plugin that does not exist: contacting one
would fail differently. No lab needed.
"""
import concurrent.futures
import json
import os
import subprocess
import urllib.parse

import pytest
import yaml

from tests.eda.eda_support import ALERT_PLAYBOOK, ROOT, decisions, eda_env

CORES = {"2.16": os.path.join(ROOT, ".build", "floor-venv", "bin"), "2.19": os.path.join(ROOT, ".venv", "bin")}
PORTS = "no_port_mapping_for_exporter"
NOTHING = "Nothing was run"
START = "2026-11-21T10:15:30Z"


def kinds(marker):
    """(kind, value): template syntax in its forms, encodings, size, unicode, NUL; each would touch marker."""
    run = "lookup('ansible.builtin.pipe', 'touch %s')" % marker
    expr = "{{ %s }}" % run
    return [
        ("lookup", expr + "agent1"),
        ("statement", "{%% set x = %s %%}agent1" % run),
        ("comment then expression", "{# note #}" + expr),
        ("unsafe tag as text", "!unsafe " + expr),
        ("url-encoded delimiters", urllib.parse.quote(expr)),
        ("double url-encoded", urllib.parse.quote(urllib.parse.quote(expr))),
        ("query lookup", "{{ query('ansible.builtin.pipe', 'touch %s') }}" % marker),
        ("very long", expr + "a" * 20000),
        ("unicode", "\u0430\u0433\u0435\u043d\u04421 \u2713 " + expr),
        ("NUL and newline", "agent1\x00\n" + expr),
    ]


def core_bin(core):
    path = CORES[core]
    if not os.path.exists(os.path.join(path, "ansible-playbook")):
        pytest.fail("ansible-core %s is not installed in %s: run `make floor-venv`" % (core, os.path.dirname(path)))
    return path


def playbook(core, inventory, report_dir, extra_args, play=ALERT_PLAYBOOK):
    argv = [os.path.join(core_bin(core), "ansible-playbook"), "-i", inventory, play] + list(extra_args)
    return subprocess.run(argv, env=eda_env(report_dir), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=300, check=False)


def vars_file(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data))  # JSON: every character survives (NUL, newlines)
    return "@%s" % path


def payload(alert):
    return urllib.parse.quote(json.dumps(alert))


def firing(labels, **extra):
    alert = {"status": "firing", "labels": labels, "startsAt": START, "endsAt": "0001-01-01T00:00:00Z",
             "annotations": {}, "fingerprint": "5f1c0a6e0d2b9c41", "generatorURL": "http://agent1/ocp_agent"}
    alert.update(extra)
    return alert


def run_all(core, fake_inventory, tmp_path, cases):
    """cases: (kind, [extra args]) -> {kind: (process, report_dir)}; two runs at a time (2 cores)."""
    def one(case):
        kind, extra = case
        rep = tmp_path / ("reports-%s-%d" % (core, cases.index(case)))
        rep.mkdir()
        return kind, (playbook(core, fake_inventory, str(rep), extra), str(rep))
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        return dict(pool.map(one, cases))


def refused_everywhere(results, marker):
    problems = []
    for kind, (p, rep) in results.items():
        if p.returncode == 0 or NOTHING not in p.stdout:
            problems.append("%s: not refused (rc %s)\n%s" % (kind, p.returncode, p.stdout[-2000:]))
        if "alertops_no_such_connection" in p.stdout:
            problems.append("%s: a host was contacted" % kind)
        if decisions(rep):
            problems.append("%s: a decision was recorded" % kind)
        if "Traceback" in p.stdout:
            problems.append("%s: traceback\n%s" % (kind, p.stdout[-2000:]))
    assert not marker.exists(), "an alert ran code on the controller"
    assert not problems, "\n".join(problems)


@pytest.fixture(params=sorted(CORES))
def core(request):
    p = subprocess.run([os.path.join(core_bin(request.param), "ansible-playbook"), "--version"],
                       stdout=subprocess.PIPE, text=True, check=True)
    assert "[core %s." % request.param in p.stdout.splitlines()[0], p.stdout
    return request.param


# ------------------------------------------------------------------------------------------ the canaries
def test_canary_set_fact_renders_alert_text_on_the_floor(fake_inventory, tmp_path):
    """the unsafe way the routing play read alerts before: set_fact of the decoded payload, then a read.
    On 2.16 it runs the label's lookup: the hostile values below are live and the marker check works."""
    marker = tmp_path / "executed"
    play = tmp_path / "unsafe.yml"
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"ansible.builtin.set_fact": {"alert": "{{ alert_payload | ansible.builtin.urldecode | ansible.builtin.from_json }}"}},
        {"ansible.builtin.debug": {"msg": "{{ alert.labels.instance }}"}}]}]))
    alert = firing({"alertname": PORTS, "instance": kinds(marker)[0][1]})
    playbook("2.16", fake_inventory, str(tmp_path), ["-e", "alert_payload=" + payload(alert)], play=str(play))
    assert marker.exists()


def test_canary_extra_vars_render_on_every_core(core, fake_inventory, tmp_path):
    """a survey variable read through a template runs its lookup on 2.16 and on 2.19 alike."""
    marker = tmp_path / "executed"
    play = tmp_path / "unsafe.yml"
    play.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"ansible.builtin.debug": {"msg": "{{ alert_host }}"}}]}]))
    playbook(core, fake_inventory, str(tmp_path), ["-e", vars_file(tmp_path, "v.json", {"alert_host": kinds(marker)[0][1]})],
             play=str(play))
    assert marker.exists()


# ------------------------------------------------------------------------------------------ refused
def test_hostile_host_labels_through_alert_payload(core, fake_inventory, tmp_path):
    marker = tmp_path / "executed"
    cases = []
    for kind, value in kinds(marker):
        alert = firing({"alertname": PORTS, "instance": value, "svr_ip": value, "note": value},
                       annotations={"summary": value}, startsAt=value, fingerprint=value, generatorURL=value)
        cases.append((kind, ["-e", vars_file(tmp_path, "p%d.json" % len(cases), {"alert_payload": payload(alert)})]))
    refused_everywhere(run_all(core, fake_inventory, tmp_path, cases), marker)


def test_hostile_values_through_survey_variables(core, fake_inventory, tmp_path):
    marker = tmp_path / "executed"
    cases = []
    for i, (kind, value) in enumerate(kinds(marker)):
        survey = {"alert_name": PORTS, "alert_host": value, "alert_time": value, "alert_status": "firing",
                  "zk_alarm_client_ip": value, "zk_alarm_server_ip": value}
        cases.append((kind, ["-e", vars_file(tmp_path, "survey%d.json" % i, survey)]))
        zk = dict(survey, alert_name="ALM-13007", alert_host="", zk_alarm_server_ip="198.18.0.14")
        cases.append(("ALM-13007 client ip: " + kind, ["-e", vars_file(tmp_path, "zk%d.json" % i, zk)]))
    unsafe = tmp_path / "unsafe.yml"
    unsafe.write_text("alert_name: %s\nalert_host: !unsafe %s\n" % (PORTS, json.dumps(kinds(marker)[0][1])))
    cases.append(("YAML !unsafe survey answer", ["-e", "@%s" % unsafe]))
    refused_everywhere(run_all(core, fake_inventory, tmp_path, cases), marker)


def test_hostile_payloads_and_names(core, fake_inventory, tmp_path):
    marker = tmp_path / "executed"
    expr = kinds(marker)[0][1]
    cases = [
        ("raw template as alert_payload", ["-e", vars_file(tmp_path, "raw.json", {"alert_payload": expr})]),
        ("payload that is a whole webhook", ["-e", "alert_payload=" + payload(
            {"alerts": [firing({"alertname": PORTS, "instance": expr})]})]),
        ("alert name with a template", ["-e", "alert_payload=" + payload(firing({"alertname": expr, "instance": "agent1"}))]),
        ("status with a template", ["-e", "alert_payload=" + payload(
            firing({"alertname": PORTS, "instance": "agent1"}, status=expr))]),
        ("ansible_eda.event", ["-e", vars_file(tmp_path, "eda.json", {"ansible_eda": {"event": firing(
            {"alertname": PORTS, "instance": expr, "svr_ip": expr})}})]),
        ("survey alert name with a template",
         ["-e", vars_file(tmp_path, "name.json", {"alert_name": expr, "alert_host": "agent1"})]),
        ("host label that names no inventory host next to one that does", ["-e", "alert_payload=" + payload(
            firing({"alertname": PORTS, "instance": "agent1", "svr_ip": "198.18.0.99"}))]),
    ]
    refused_everywhere(run_all(core, fake_inventory, tmp_path, cases), marker)


# ------------------------------------------------------------------------------------------ treated as data
def test_hostile_text_outside_the_routing_labels_is_data(core, fake_inventory, tmp_path):
    """an alert for a real host whose other fields are hostile: accepted, recorded verbatim, nothing runs."""
    marker = tmp_path / "executed"
    values = dict(kinds(marker))
    labels = {"alertname": PORTS, "instance": "agent1"}
    labels.update(("x_%d" % i, v) for i, v in enumerate(values.values()))
    alert = firing(labels, annotations=dict(values), startsAt=values["lookup"], fingerprint=values["statement"],
                   generatorURL=values["unicode"])
    survey = {"alert_name": PORTS, "alert_host": "agent1", "alert_time": values["lookup"],
              "zk_alarm_client_ip": values["statement"], "zk_alarm_server_ip": values["NUL and newline"]}
    cases = [("payload", ["-e", vars_file(tmp_path, "p.json", {"alert_payload": payload(alert)}),
                          "-e", "remediate_alert_plan_only=true"]),
             ("survey", ["-e", vars_file(tmp_path, "s.json", survey), "-e", "remediate_alert_plan_only=true"])]
    results = run_all(core, fake_inventory, tmp_path, cases)
    assert not marker.exists()
    for kind, (p, rep) in results.items():
        assert p.returncode == 0, p.stdout
        [rec] = decisions(rep)
        assert rec["limit"] == ["agent1"] and rec["decision"] == "record only"
        assert rec["alarm_time"] == "" and rec["alarm_time_ignored"] == values["lookup"]
    [rec] = decisions(results["payload"][1])
    assert rec["labels"] == labels and rec["episode"] == {"fingerprint": values["statement"], "startsAt": values["lookup"]}
