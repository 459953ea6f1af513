"""Closed loops on the built-in lab with the real tools: Alertmanager -> ansible-rulebook (the collection's
rulebook) -> playbooks/remediate_alert.yml -> the runbook roles; the webhook's token; hostile alerts; an
alert storm; the per-host lock; the AWX path through ansible-runner.

Waits are bounded polls for a state, never assertions on time. Every server is stopped by its fixture.
"""
# pylint: disable=disallowed-name
import glob
import json
import os
import shutil
import subprocess
import threading

import pytest
import yaml

from ansible_collections.alertops.remediation.plugins.module_utils import hostlock
from tests.eda.eda_support import ROOT, VENV_BIN, decisions, eda_env, run_alert_playbook, utc_now, wait_for
from tests.support.lockruns import lock_record

PORTS = "no_port_mapping_for_exporter"
AGENT = "agent1"
LEGACY_CTL = "cd /home/admin/ocp_agent && exec /usr/bin/python3 ocp_agent_ctl.py %s ocp_agent"
LOCK = "/run/alertops-remediation.lock"
OUR_FAULTS = []


# ------------------------------------------------------------------------------------------ helpers
def descendants(pid):
    """pids of every live descendant of pid (from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def playbooks_running(rb):
    names = []
    for pid in descendants(rb.proc.pid):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        if any(a.endswith(b"ansible-playbook") for a in argv[:2]):
            names.append(pid)
    return names


def wait_idle(rb, sentinel_count, timeout=240):
    """the rulebook processed every event sent before the sentinel and no playbook of it still runs."""
    wait_for(lambda: rb.output().count("no runbook for this alert") >= sentinel_count, timeout,
             what="the sentinel event in the rulebook's output")
    wait_for(lambda: not playbooks_running(rb), timeout, what="the rulebook's playbooks to finish")


def sentinel(rb):
    return rb.post({"alerts": [{"status": "firing", "labels": {"alertname": "AlertopsTestSentinel"}}]})


def alert(labels, status="firing"):
    return {"status": status, "labels": labels, "annotations": {}, "startsAt": "2026-11-21T10:15:30Z",
            "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "0"}


def agent_ctl(lab, action):
    return lab.exec(AGENT, ["/bin/sh", "-c", LEGACY_CTL % action], check=False, timeout=120)


def ports_reports(report_dir, host=AGENT):
    out = []
    for path in sorted(glob.glob(os.path.join(report_dir, "exporter_ports", "*", "%s.json" % host))):
        with open(path) as fh:
            out.append(json.load(fh))
    return out


def runs(report_dir, host=AGENT, decision="remediate"):
    return [r for r in decisions(report_dir) if r["host"] == host and r["decision"] == decision]


def rogue_on_agent(lab, *extra):
    """stop the agent, put a rogue listener on pos_proxy's port, start the agent: its child cannot bind.
    (lab.inject raises when the rogue could not bind: the test must not go on against a healthy host.)"""
    p = agent_ctl(lab, "stop")
    assert p.returncode == 0, p.stdout + p.stderr
    fault = lab.inject("rogue-listener", AGENT, "62888", *extra)
    OUR_FAULTS.append(fault)
    p = agent_ctl(lab, "start")
    assert p.returncode == 0, p.stdout + p.stderr
    return fault


def lab_alert_url(lab):
    with open(os.path.join(lab.state_dir, "lab.json")) as fh:
        return json.load(fh).get("alert_url", "")


@pytest.fixture
def healthy_agent(lab):
    """agent1 with every child on its port before and after the test (the lock released)."""
    def heal():
        lab.exec(AGENT, ["rm", "-rf", LOCK], check=False)
        while OUR_FAULTS:  # only faults this suite injected (the lab is shared)
            fault = OUR_FAULTS.pop()
            try:
                fault.undo()  # also forgets a fault the remediation already ended
            except Exception:  # noqa: BLE001 - already forgotten
                pass
        agent_ctl(lab, "stop")
        agent_ctl(lab, "start")
    heal()
    yield lab
    heal()


@pytest.fixture
def lab_rulebook(lab, rulebook_factory, report_dir):
    return rulebook_factory(lab.inventory_path, report_dir).wait_ready()


# ------------------------------------------------------------------------------------------ webhook safety
def test_webhook_without_token_runs_nothing(lab_rulebook, report_dir):
    rb = lab_rulebook
    payload = {"alerts": [alert({"alertname": PORTS, "instance": AGENT, "svr_ip": "198.18.0.11"})]}
    assert rb.post(payload, token=None) == 401
    assert rb.post(payload, token="wrong-token-0123456789") == 401
    assert sentinel(rb) == 200
    wait_idle(rb, 1)
    assert decisions(report_dir) == []
    assert ports_reports(report_dir) == []


def test_rulebook_refuses_to_start_without_a_token(lab, rulebook_factory, report_dir):
    rb = rulebook_factory(lab.inventory_path, report_dir, token="short")
    wait_for(lambda: rb.proc.poll() is not None, 120, what="ansible-rulebook to exit")
    assert rb.proc.returncode != 0
    assert "ERROR_ALERTOPS_WEBHOOK_TOKEN_must_be_set" in rb.output()


def test_hostile_alert_through_the_webhook_changes_nothing(lab_rulebook, report_dir, tmp_path):
    rb = lab_rulebook
    marker = tmp_path / "executed"
    jinja = "{{ lookup('ansible.builtin.pipe', 'touch %s') }}" % marker
    hostile = [
        {"alertname": PORTS, "instance": "x; rm -rf /tmp/alertops-never", "svr_ip": "198.18.0.11"},
        {"alertname": PORTS, "instance": jinja},
        {"alertname": PORTS, "instance": "agent1:agent2"},
        {"alertname": PORTS, "instance": "not-in-inventory"},
        {"alertname": "ALM-13007", "ServerIP": "198.18.0.14", "ClientIP": "$(touch %s)" % marker},
    ]
    assert rb.post({"alerts": [alert(lbl) for lbl in hostile]}) == 200
    assert sentinel(rb) == 200
    wait_idle(rb, 1)
    out = rb.output()
    assert out.count("Nothing was run") >= len(hostile), out
    assert not marker.exists()
    assert decisions(report_dir) == []
    assert ports_reports(report_dir) == []


# ------------------------------------------------------------------------------------------ storm
def test_alert_storm_runs_one_remediation_per_host(healthy_agent, lab_rulebook, report_dir):
    rb = lab_rulebook
    lbl = {AGENT: {"alertname": PORTS, "instance": AGENT, "svr_ip": "198.18.0.11"},
           "agent2": {"alertname": PORTS, "instance": "agent2", "svr_ip": "198.18.0.12"}}
    codes = []

    def burst(host):
        for _ in range(100):
            codes.append(rb.post({"alerts": [alert(lbl[host])]}))
    threads = [threading.Thread(target=burst, args=(h,)) for h in lbl]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert codes.count(200) == 200
    assert sentinel(rb) == 200
    wait_idle(rb, 1)
    recs = decisions(report_dir)
    for host in lbl:
        assert len(runs(report_dir, host)) == 1, recs
        assert len(ports_reports(report_dir, host)) == 1
    assert len(recs) == 2


# ------------------------------------------------------------------------------------------ lock
def test_lock_second_remediation_waits_then_stops_clearly(healthy_agent, tmp_path):
    lab = healthy_agent
    fault = rogue_on_agent(lab)
    # A lock held by a run of another controller whose lease is far from over.
    lab.exec(AGENT, ["/bin/sh", "-c", "cat > %s" % LOCK],
             input=hostlock.serialize(lock_record("exporter_ports run-by-test")).decode())
    rep = str(tmp_path / "blocked")
    p = run_alert_playbook(lab.inventory_path, rep, ["-e", "alert_name=" + PORTS, "-e", "alert_host=" + AGENT,
                                                     "-e", json.dumps({"remediation_common_lock_wait": 4})],
                           env=eda_env(rep))
    assert p.returncode != 0
    assert "another remediation holds the lock %s: exporter_ports run-by-test" % LOCK in p.stdout, p.stdout
    blocked = ports_reports(rep)[0]
    assert blocked["status"] == "failed" and "Nothing was changed by this run" in blocked["summary"]
    assert not blocked["data"]["release"] and not blocked["data"]["agent_after"] and blocked["done"] == [], \
        "the blocked run must neither signal the holder nor restart the agent"

    # two runs at the same time: one remediates, the other waits for the lock; one termination in total
    lab.exec(AGENT, ["rm", "-rf", LOCK])
    assert fault.alive(), "the rogue listener is gone before the two runs: %s" % fault.output()
    dirs = [str(tmp_path / ("run%d" % i)) for i in range(2)]
    procs = [subprocess.Popen([os.path.join(VENV_BIN, "ansible-playbook"), "-i", lab.inventory_path,
                               os.path.join(ROOT, "playbooks", "remediate_alert.yml"), "-e", "alert_name=" + PORTS,
                               "-e", "alert_host=" + AGENT], env=eda_env(d), cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for d in dirs]
    outs = [pr.communicate(timeout=400)[0] for pr in procs]
    reports = [ports_reports(d)[0] for d in dirs]
    terminated = [t for r in reports for t in r["data"]["release"].get("terminated", [])]
    restarted = [r for r in reports if r["data"]["agent_after"].get("changed")]
    assert len(terminated) == 1, (reports, outs)
    assert len(restarted) == 1, outs
    assert sorted(r["status"] for r in reports) in (["healthy", "remediated"], ["failed", "remediated"]), outs
    wait_for(lambda: not fault.alive(), 30, what="the rogue listener to be gone")


# ------------------------------------------------------------------------------------------ closed loop
@pytest.fixture
def lab_with_alertmanager(healthy_agent, alertmanager_factory, rulebook_factory, report_dir):
    lab = healthy_agent
    rb = rulebook_factory(lab.inventory_path, report_dir).wait_ready()
    am = alertmanager_factory(lab.spec["network"]["controller_address"] if hasattr(lab, "spec") else "198.18.0.1",
                              rb.url + "/alerts")
    before = lab_alert_url(lab)
    lab.set_alert_url(am.url)
    try:
        yield lab, am, rb
    finally:
        lab.set_alert_url(before)
        agent_ctl(lab, "stop")
        agent_ctl(lab, "start")


def test_closed_loop_exporter_ports(lab_with_alertmanager, report_dir):
    lab, am, rb = lab_with_alertmanager
    fault = rogue_on_agent(lab)
    # the agent pushes no_port_mapping_for_exporter to Alertmanager, which sends it to the rulebook
    wait_for(lambda: am.alerts(alertname=PORTS, instance=AGENT), 90, what="the alert in Alertmanager")
    wait_for(lambda: runs(report_dir), 120,
             what="the remediation run started by the rulebook")
    wait_for(lambda: not fault.alive(), 180, what="the rogue listener to be released")
    # the agent's children bind again, the agent clears the alert, Alertmanager resolves it
    wait_for(lambda: not [a for a in am.alerts(alertname=PORTS, instance=AGENT)
                          if a["status"]["state"] == "active"], 180, what="the alert to be resolved")
    wait_for(lambda: [r for r in decisions(report_dir) if r["host"] == AGENT and r["status"] == "resolved"], 120,
             what="the resolved notification's verification run")
    wait_for(lambda: not playbooks_running(rb), 240, what="the rulebook's runs to finish")
    recs = decisions(report_dir)
    assert [r["decision"] for r in recs] == ["remediate", "record only"], recs
    assert [r["check"] for r in recs if r["status"] == "resolved"] == [True]
    # the resolved notification ran nothing (a verification needs a check-mode run): one report only
    reports = ports_reports(report_dir)
    assert [(r["status"], r["check_mode"]) for r in reports] == [("remediated", False)], reports
    assert [t["pid"] for t in reports[0]["data"]["release"]["terminated"]] == [fault.pid]
    events = [json.loads(line) for line in lab.exec(AGENT, ["cat", "/home/admin/ocp_agent/log/alerts.jsonl"]).stdout
              .splitlines() if line.strip()]
    assert events[-1]["event"] == "resolved"


def active_alert(am):
    alerts = [a for a in am.alerts(alertname=PORTS, instance=AGENT) if a["status"]["state"] == "active"]
    return alerts[0] if alerts else None


def test_closed_loop_fault_comes_back_within_a_minute(lab_with_alertmanager, report_dir):
    """fault, fix, the same fault again right after: a new episode (new startsAt), remediated again; the
    rulebook's throttle (by episode) and the attempt ledger let it through, the repeats of each episode not."""
    lab, am, rb = lab_with_alertmanager
    faults = []
    for episode in (1, 2):
        faults.append(rogue_on_agent(lab))
        wait_for(lambda: active_alert(am), 90, what="alert %d in Alertmanager" % episode)
        wait_for(lambda: len(runs(report_dir)) >= episode, 120, what="remediation %d started by the rulebook" % episode)
        wait_for(lambda: not faults[-1].alive(), 180, what="rogue listener %d released" % episode)
        wait_for(lambda: not active_alert(am), 180, what="alert %d resolved" % episode)
        # Alertmanager notifies once per group_interval: a fault back before it sent "resolved" is one episode
        wait_for(lambda: len(runs(report_dir, decision="record only")) >= episode, 120,
                 what="the rulebook's run for resolved alert %d" % episode)
        wait_for(lambda: not playbooks_running(rb), 240, what="the rulebook's runs to finish")
    remediated = runs(report_dir)
    assert len(remediated) == 2, decisions(report_dir)
    assert remediated[0]["episode"]["startsAt"] != remediated[1]["episode"]["startsAt"]
    reports = [r for r in ports_reports(report_dir) if not r["check_mode"]]
    assert [r["status"] for r in reports] == ["remediated", "remediated"], reports
    assert sorted(t["pid"] for r in reports for t in r["data"]["release"]["terminated"]) == sorted(f.pid for f in faults)


def test_fault_the_runbook_cannot_fix_stops_after_bounded_attempts(lab_with_alertmanager, report_dir):
    """a protected process holds the agent's port: every run refuses to touch it and fails. Each time the
    agent's alarm resolves and fires again (a new episode) the rulebook runs the runbook, up to
    remediate_alert_max_attempts (3) within the hour; the fourth episode gets the stop record instead: the
    run fails with NEEDS A HUMAN in the rulebook's output and a decision record, and nothing acts."""
    lab, am, rb = lab_with_alertmanager
    holder = rogue_on_agent(lab, "--name", "observer")
    for episode in range(1, 5):
        alert = wait_for(lambda: active_alert(am), 90, what="alert %d in Alertmanager" % episode)
        wait_for(lambda: len(runs(report_dir)) + len(runs(report_dir, decision="needs human")) >= episode, 180,
                 what="the rulebook's run for episode %d" % episode)
        wait_for(lambda: not playbooks_running(rb), 240, what="the rulebook's runs to finish")
        if episode == 4:
            break
        # the alarm flaps, as when someone restarts the agent: it resolves, then fires with a new startsAt
        agent_ctl(lab, "stop")
        lab.exec(AGENT, ["rm", "-f", "/home/admin/ocp_agent/run/alert.json"])
        am.post_alerts([{"labels": alert["labels"], "annotations": alert["annotations"],
                         "startsAt": alert["startsAt"], "endsAt": utc_now()}])
        wait_for(lambda: len(runs(report_dir, decision="record only")) >= episode, 120,
                 what="the rulebook's run for resolved alert %d" % episode)
        assert agent_ctl(lab, "start").returncode == 0
    assert holder.alive(), "a protected process was signalled"
    assert len(runs(report_dir)) == 3, decisions(report_dir)
    [stop] = runs(report_dir, decision="needs human")
    assert len(stop["attempts"]) == 3 and stop["run"] is False
    reports = [r for r in ports_reports(report_dir) if not r["check_mode"]]
    assert len(reports) == 3 and all(r["status"] in ("refused", "failed") for r in reports), reports
    out = rb.output()
    assert "NEEDS A HUMAN" in out and "tried 3 times" in out, out[-5000:]


@pytest.mark.ensemble
def test_closed_loop_zookeeper_saturation(lab, alertmanager_factory, rulebook_factory, report_dir, tmp_path):
    zk_hosts = lab.group("zookeeper")
    saved = {h: lab.exec(h, ["cat", "/etc/zookeeper/conf/zoo.cfg"]).stdout for h in zk_hosts}
    rb = rulebook_factory(lab.inventory_path, report_dir).wait_ready()
    am = alertmanager_factory("127.0.0.1", rb.url + "/alerts")
    log = tmp_path / "checker.jsonl"
    checker = subprocess.Popen([os.path.join(VENV_BIN, "python"), os.path.join(ROOT, "lab", "zk_alarm_checker.py"),
                                "--alertmanager-url", am.url, "--interval", "5", "--log", str(log)],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    fault = None
    try:
        fault = lab.inject("zk-clients", "client1", "18", "--server", "zk2")
        client_ip = lab.address("client1")
        wait_for(lambda: am.alerts(alertname="ALM-13007", ClientIP=client_ip), 90, what="ALM-13007 in Alertmanager")
        wait_for(lambda: [r for r in decisions(report_dir) if r["runbook"] == "zookeeper_connections"
                          and r["decision"] == "remediate"], 120, what="the ZooKeeper remediation run")
        wait_for(lambda: not [a for a in am.alerts(alertname="ALM-13007", ClientIP=client_ip)
                              if a["status"]["state"] == "active"], 400, what="ALM-13007 to be resolved")
        events = [json.loads(x) for x in log.read_text().splitlines() if x.strip()]
        assert [e["event"] for e in events if e.get("ClientIP") == client_ip and e["event"] in ("firing", "resolved")][-1] \
            == "resolved"
        wait_for(lambda: not playbooks_running(rb), 400, what="the rulebook's runs to finish")
        rec = [r for r in decisions(report_dir) if r["decision"] == "remediate"][0]
        assert sorted(rec["limit"]) == sorted(zk_hosts) and rec["vars"]["zk_alarm_client_ip"] == client_ip
    finally:
        from tests.eda.eda_support import stop_process
        stop_process(checker)
        if fault is not None:
            fault.undo()
        for h in zk_hosts:  # the limit back as it was: followers first, leader last
            lab.exec(h, ["/bin/sh", "-c", "cat > /etc/zookeeper/conf/zoo.cfg"], input=saved[h])
        for h in sorted(zk_hosts, key=lambda h: lab.zk_mode(h) == "leader"):
            lab.zkctl(h, "restart")
            lab.wait_quorum(90)


# ------------------------------------------------------------------------------------------ AWX path
def awx_extravars(answers):
    """extra vars as AWX writes them for a job: every string marked !unsafe (launch-time answers)."""
    lines = []
    for key, value in answers.items():
        if isinstance(value, str):
            lines.append("%s: !unsafe %s" % (key, json.dumps(value)))
        else:
            lines.append("%s: %s" % (key, json.dumps(value)))
    return "\n".join(lines) + "\n"


def survey_answers(name, **overrides):
    with open(os.path.join(ROOT, "awx", "job_templates.yml")) as fh:
        t = next(t for t in yaml.safe_load(fh)["awx_job_templates"] if t["name"] == name)
    answers = {q["variable"]: q["default"] for q in t["survey"]}
    answers.update(overrides)
    return t, answers


def run_like_awx(lab, tmp_path, template, answers, limit=None, job_type="run"):
    """ansible-runner as AWX drives it: a private data dir with env/extravars (unsafe answers), the
    inventory, the project checked out (here: this checkout), job type check -> --check, the limit."""
    import ansible_runner
    pdd = tmp_path / ("pdd-" + template["name"].replace(" ", "_"))
    (pdd / "env").mkdir(parents=True)
    (pdd / "inventory").mkdir()
    shutil.copy(lab.inventory_path, pdd / "inventory" / "hosts.yml")
    (pdd / "env" / "extravars").write_text(awx_extravars(answers))
    reports = str(tmp_path / ("reports-" + template["name"].replace(" ", "_")))
    env = eda_env(reports)
    envvars = {k: env[k] for k in ("ANSIBLE_CONFIG", "ANSIBLE_COLLECTIONS_PATH", "ALERTOPS_REPORT_DIR",
                                   "ANSIBLE_LOCAL_TEMP", "ANSIBLE_HOME", "PATH")}
    r = ansible_runner.run(private_data_dir=str(pdd), project_dir=ROOT, playbook=template["playbook"],
                           inventory=str(pdd / "inventory"), limit=limit, envvars=envvars,
                           cmdline="--check" if job_type == "check" else None, quiet=True, timeout=600)
    stats = [e for e in r.events if e.get("event") == "playbook_on_stats"]
    artifact = stats[-1]["event_data"].get("artifact_data", {}) if stats else {}
    return r, artifact, reports


def test_awx_remediate_exporter_ports_dry_run_then_run(healthy_agent, tmp_path):
    lab = healthy_agent
    t, answers = survey_answers("Remediate exporter ports", exporter_ports_alarm_time="2026-11-21T10:15:30+08:00")
    r, artifact, _ = run_like_awx(lab, tmp_path, t, answers, limit=AGENT, job_type="check")
    assert r.status == "successful" and r.rc == 0
    assert artifact["alertops_reports"][AGENT]["status"] == "dry-run"
    assert set(artifact["alertops_reports"]) == {AGENT}
    fault = rogue_on_agent(lab)
    r, artifact, _ = run_like_awx(lab, tmp_path / "run", t, answers, limit=AGENT)
    assert r.status == "successful", r.stdout.read()
    assert artifact["alertops_reports"][AGENT]["status"] == "remediated"
    wait_for(lambda: not fault.alive(), 30, what="the rogue listener to be gone")


def test_awx_release_foreign_false_touches_nothing(healthy_agent, tmp_path):
    lab = healthy_agent
    fault = rogue_on_agent(lab)
    t, answers = survey_answers("Remediate exporter ports", exporter_ports_release_foreign="false")
    r, artifact, _ = run_like_awx(lab, tmp_path, t, answers, limit=AGENT)
    assert r.status == "failed"
    assert artifact["alertops_reports"][AGENT]["status"] == "refused"  # nothing done, on purpose
    assert "exporter_ports_release_foreign is false" in artifact["alertops_reports"][AGENT]["summary"]
    assert fault.alive()


def test_awx_remediate_alert_survey(healthy_agent, tmp_path):
    lab = healthy_agent
    t, answers = survey_answers("Remediate alert", alert_host=AGENT, alert_time="2026-11-21T02:15:30Z",
                                remediate_alert_dry_run="true")
    r, artifact, reports = run_like_awx(lab, tmp_path, t, answers, job_type="check")
    assert r.status == "successful"
    assert artifact["alertops_alert"]["host"] == AGENT and artifact["alertops_alert"]["mode"] == "verify (check mode)"
    assert artifact["alertops_reports"][AGENT]["runbook"] == "exporter_ports"
    # (AWX's YAML may hand the answer over as a timestamp: both spellings name the same instant)
    assert decisions(reports)[0]["alarm_time"] in ("2026-11-21T02:15:30Z", "2026-11-21 02:15:30+00:00")
    # a hostile survey answer is data: refused, nothing run
    t, answers = survey_answers("Remediate alert", alert_host="{{ lookup('ansible.builtin.pipe', 'id') }}")
    r, artifact, reports = run_like_awx(lab, tmp_path / "hostile", t, answers)
    assert r.status == "failed" and "alertops_reports" not in artifact
    assert decisions(reports) == []


def test_awx_collect_logs(lab, tmp_path):
    t, answers = survey_answers("Collect logs", collect_logs_at="2026-11-21T10:15:30Z", collect_logs_before=1.0,
                                collect_logs_after=1.0)
    r, artifact, _ = run_like_awx(lab, tmp_path, t, answers, limit=AGENT)
    assert r.status == "successful" and r.rc == 0


@pytest.mark.ensemble
def test_awx_remediate_zookeeper_dry_run(lab, tmp_path):
    if not os.path.exists(os.path.join(ROOT, "roles", "zookeeper_connections", "tasks", "main.yml")):
        pytest.skip("roles/zookeeper_connections is not there yet")
    t, answers = survey_answers("Remediate ZooKeeper connections", zk_alarm_server_ip=lab.address("zk2"))
    r, artifact, _ = run_like_awx(lab, tmp_path, t, answers, limit="zookeeper", job_type="check")
    assert r.status == "successful", r.stdout.read()
    assert artifact["alertops_reports"] and set(artifact["alertops_reports"]) <= set(lab.group("zookeeper"))
