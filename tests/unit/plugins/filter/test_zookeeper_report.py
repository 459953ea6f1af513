"""zookeeper_report: the document remediation_common writes (status, summary, plan, done, sections, data),
for every way a run ends."""
import pytest

from ansible_collections.alertops.remediation.plugins.filter.zookeeper import zookeeper_failed, zookeeper_report
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_ensemble as ensemble
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_record as recording
from ansible_collections.alertops.remediation.plugins.plugin_utils import report_doc
from tests.support import reports
import tests.unit.plugins.filter.zookeeper_recorded as rec

KEYS = {"status", "summary", "plan", "done", "sections", "data"}
NAMES = ["zk1", "zk2", "zk3"]


def survey_of(members):
    hostvars = rec.hostvars_of(members)
    return ensemble.survey([m.name for m in members], hostvars, list(hostvars), rec.options())


def document(plan, record=None, verify=None, failures=None, check_mode=False, members=None):
    hostvars = dict((n, {"__zookeeper_connections_failure": f}) for n, f in (failures or {}).items())
    return zookeeper_report(survey_of(members or rec.ensemble_at(zk2=17)), hostvars, NAMES, plan, record, verify,
                            check_mode, rec.options(alarm_client_ip=rec.CLIENT))


def check_shape(doc):
    """The contract: remediation_common's writer takes it and it keeps docs/report.schema.json."""
    assert set(doc) == KEYS
    report_doc.check(doc)
    assert reports.errors(doc, "document") == []
    assert doc["status"] in ("remediated", "healthy", "dry-run", "failed", "leak", "refused")
    assert isinstance(doc["summary"], str) and "\n" not in doc["summary"]
    assert all(isinstance(x, str) for x in doc["plan"] + doc["done"])
    for section in doc["sections"]:
        assert section["title"].split()[0] not in ("Plan", "Done")
        if "rows" in section:
            assert all(len(row) == len(section["columns"]) for row in section["rows"]), section["title"]
        else:
            assert all(isinstance(line, str) for line in section["lines"])


def live_plan():
    return rec.decide(rec.ensemble_at(zk2=17), probes=dict((n, dict(rec.PROBE_OK)) for n in NAMES))


def test_remediated_live():
    plan = live_plan()
    hv = dict((n, rec.live_step(node=n)) for n in plan["order"])
    record = recording.record(plan, hv)
    verify = {"ok": True, "saturated": [], "members": {"zk2": {"mode": "follower", "max_client_cnxns": 40,
                                                               "connections_by_ip": {rec.CLIENT: 17}}}}
    doc = document(plan, record, verify)
    check_shape(doc)
    assert doc["status"] == "remediated"
    assert doc["summary"] == ("maxClientCnxns raised 20 -> 40 live on zk2, zk3, zk1, one at a time, each checked with "
                              "conf; zoo.cfg persisted, nothing restarted; no client IP is over the threshold any more")
    assert doc["plan"][0] == plan["summary"] and doc["plan"][1:] == plan["steps"]
    assert doc["done"] == record["done"] and doc["done"]
    live = [s for s in doc["sections"] if s["title"].startswith("Live relief")][0]
    assert [row[1] for row in live["rows"]] == ["zk2", "zk3", "zk1"]
    after = [s for s in doc["sections"] if s["title"] == "Client connections per IP after"][0]
    assert after["rows"] == [["zk2", "follower", 40, rec.CLIENT, 17, "42.5%"]]
    assert doc["data"]["changed"] is True and doc["data"]["plan"]["method"] == "live"


def test_remediated_by_the_fallback_says_why():
    plan = live_plan()
    failed = {"failed": True, "reason": "attach_refused", "msg": "attach is disabled"}
    hv = {"zk2": rec.live_step(node="zk2"), "zk3": rec.live_step(jmx=failed, gate_=False, cfg={"skipped": True}, node="zk3")}
    hv.update({"zk3": dict(hv["zk3"], **rec.restart_step("zk3")), "zk1": rec.restart_step("zk1")})
    record = recording.record(plan, hv)
    doc = document(plan, record, {"ok": True, "saturated": [], "members": {}})
    check_shape(doc)
    assert doc["status"] == "remediated"
    assert "with a rolling restart of zk3, zk1" in doc["summary"]
    assert "live relief was given up: live relief failed on zk3: JMX attach_refused: attach is disabled" in doc["summary"]


def test_leak_report_names_the_process_and_recommends():
    first = rec.ensemble_at(zk2=16)
    plan = rec.decide(first, second={"zk2": rec.ensemble_at(zk2=18)[1]},
                      owners=rec.owners({"10.0.0.2": 18}, name="leaky-app", pid=777, start_time=360000),
                      uptime=rec.uptime(7200))
    doc = document(plan, members=first)
    check_shape(doc)
    assert doc["status"] == "leak" and "leaky-app pid 777 (18 connections)" in doc["summary"]
    sections = dict((s["title"], s) for s in doc["sections"])
    holders = sections["Who holds the connections (port_owners_info on the client host)"]["rows"]
    assert holders[0][:7] == [rec.CLIENT, "client1", 777, "leaky-app", "app", 18, "3600s"]
    assert sections["Recommended action"]["lines"] == [plan["analysis"][0]["recommendation"]]
    evidence = sections["Leak or growth: every piece of evidence with its weight"]["rows"]
    assert [(r[2], r[3], r[4], r[5]) for r in evidence] == [
        ("count rose between the samples", "decisive", "yes", "yes"),
        ("refused at the limit while the client keeps opening", "decisive", "no", "no"),
        ("the holder keeps opening connections", "decisive", "no", "no"),
        ("sessions idle and never used", "supporting", "yes", "yes")]
    assert any("a leak from 10.0.0.50" in line for line in sections["Left alone (and why)"]["lines"])
    assert doc["done"] == []


def test_dry_run_plans_and_does_nothing():
    plan = live_plan()
    doc = document(plan, recording.record(plan, {}, True), check_mode=True)
    check_shape(doc)
    assert doc["status"] == "dry-run" and doc["summary"].startswith("plan (check mode, nothing was changed): raise")
    assert doc["done"] == [] and doc["plan"]


@pytest.mark.parametrize("plan_change, status", [
    ({"refusal": "zookeeper_connections_max_limit=10 is below ... Nothing was changed."}, "refused"),
    ({}, "failed"),
])
def test_failures_end_the_report_failed_or_refused(plan_change, status):
    plan = live_plan()
    plan.update(plan_change)
    doc = document(plan, failures={"zk2": "Decide | Stop: something", "zk3": "Decide | Stop: something"})
    check_shape(doc)
    assert doc["status"] == status and doc["summary"] == "Decide | Stop: something"
    assert doc["data"]["failures"] == ["Decide | Stop: something"]


def test_a_run_that_failed_before_detect_still_reports():
    doc = zookeeper_report(None, {"zk1": {"__zookeeper_connections_failure": "Lock | another run holds it"}}, NAMES,
                           None, None, None, False, rec.options())
    check_shape(doc)
    assert doc["status"] == "failed" and doc["plan"] == [] and doc["data"]["servers_before"] == []


def test_healthy():
    plan = rec.decide(rec.ensemble_at(zk2=5))
    doc = document(plan, members=rec.ensemble_at(zk2=5))
    check_shape(doc)
    assert doc["status"] == "healthy" and doc["done"] == [] and "nothing to do" in doc["summary"]


def test_failed_members_are_found():
    hv = {"zk1": {}, "zk2": {"__zookeeper_connections_failure": "x"}}
    assert zookeeper_failed(["zk1", "zk2", "zk3"], hv) == ["zk2"]
