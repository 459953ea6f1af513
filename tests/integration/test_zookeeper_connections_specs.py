"""The zookeeper_connections role on lab ensembles of other shapes (run under the lab lock; each test brings
up its own lab spec and puts the session's lab back afterwards):

- lab/specs/observer.yml: 3 participants + 1 observer. The 0.1.0 gate wanted synced followers = members - 1
  and never passed there (every node's backup was restored); the gate now counts participants and
  observers as ZooKeeper reports them.
- lab/specs/noattach.yml: zk3's JVM runs with -XX:+DisableAttachMechanism. apply=auto falls back to the
  rolling restart and says why; apply=live fails with nothing changed.
"""
# pylint: disable=disallowed-name
import os

import pytest

from tests.integration import zkrole_support as zk
from tests.support.lab import lab_with_spec

SPECS = os.path.join(zk.ROOT, "lab", "specs")


def _spec_lab(name):
    @pytest.fixture(scope="module")
    def spec_lab():
        with lab_with_spec(os.path.join(SPECS, name)) as the_lab:
            yield the_lab
    return spec_lab


observer_spec, noattach_spec = _spec_lab("observer.yml"), _spec_lab("noattach.yml")


def _at_baseline(spec_fixture):
    @pytest.fixture
    def at_baseline(request):
        """The spec's lab; zoo.cfg and the running limits put back as the test found them."""
        the_lab = request.getfixturevalue(spec_fixture)
        base = zk.baseline_of(the_lab)
        try:
            yield the_lab
        finally:
            zk.restore(the_lab, base)
    return at_baseline


observer_lab, noattach_lab = _at_baseline("observer_spec"), _at_baseline("noattach_spec")


@pytest.fixture
def clients():
    started = []
    yield started
    for stop in reversed(started):
        stop()


def saturate(lab, clients, server):
    app = zk.KazooApp(lab, "client1", server, 17)
    clients.append(app.stop)
    assert app.info["opened"] == 17
    return app


def test_observer_ensemble_rolling_restart_passes_the_gate(observer_lab, clients, validated_report_dir):
    lab = observer_lab
    modes = lab.wait_quorum(90)
    assert sorted(modes.values()) == ["follower", "follower", "leader", "observer"]
    followers = sorted(h for h, m in modes.items() if m == "follower")
    leader = [h for h, m in modes.items() if m == "leader"][0]
    saturate(lab, clients, followers[0])
    before = zk.state(lab)

    with zk.Poller(lab) as poller:
        proc, report = zk.run_playbook(lab, validated_report_dir, "zookeeper_connections_apply=restart")
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert report["status"] == "remediated", report["summary"]
    plan = report["data"]["plan"]
    assert (plan["participants"], plan["observers"]) == (3, 1)
    rollout = report["data"]["rollout"]
    assert [r["node"] for r in rollout] == ["zk4"] + followers + [leader]   # the observer first, the leader last
    assert all(r["gate"] == "passed" and r["restarted"] for r in rollout), rollout
    assert all(r["synced_followers"] == 2 and r["synced_observers"] == 1 for r in rollout), rollout
    assert [r["mode_after"] for r in rollout[:3]] == ["observer", "follower", "follower"]
    after = zk.state(lab)
    for host in before:
        assert after[host][0] != before[host][0] and after[host][1:] == ("40", "40", 1)
    assert poller.most_down_at_once() <= 1, poller.when_down()[:5]


def test_observer_ensemble_live_relief(observer_lab, clients, validated_report_dir):
    lab = observer_lab
    modes = lab.wait_quorum(90)
    observer = [h for h, m in modes.items() if m == "observer"][0]
    saturate(lab, clients, observer)
    before = zk.state(lab)
    proc, report = zk.run_playbook(lab, validated_report_dir)
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert report["data"]["plan"]["method"] == "live" and len(report["data"]["live"]) == 4
    after = zk.state(lab)
    for host in before:
        assert after[host] == (before[host][0], "40", "40", 1)


def test_auto_falls_back_to_the_rolling_restart_where_attach_is_refused(noattach_lab, clients, validated_report_dir):
    lab = noattach_lab
    followers, leader = zk.roles(lab)
    saturate(lab, clients, followers[0])
    before = zk.state(lab)

    # apply=live: refused before anything is changed
    proc, report = zk.run_playbook(lab, validated_report_dir, "zookeeper_connections_apply=live")
    assert proc.returncode != 0
    assert report["status"] == "refused", report["summary"]
    assert "zookeeper_connections_apply is live, but live relief is not possible: zk3: attach_refused" in report["summary"]
    assert "Nothing was changed." in report["summary"]
    assert zk.state(lab) == before

    # apply=auto: the whole ensemble takes the rolling restart, and the report says why
    proc, report = zk.run_playbook(lab, validated_report_dir)
    assert proc.returncode == 0, proc.stdout[-5000:]
    assert report["status"] == "remediated", report["summary"]
    plan = report["data"]["plan"]
    assert plan["method"] == "restart" and "zk3: attach_refused" in plan["method_reason"]
    assert "rolling restart of the ensemble instead" in plan["method_reason"]
    assert [r["node"] for r in report["data"]["rollout"]] == followers + [leader]
    assert report["data"]["live"] == []
    live_section = [s for s in report["sections"] if s["title"].startswith("Live relief")][0]
    assert "zk3: attach_refused" in live_section["note"]
    after = zk.state(lab)
    for host in before:
        assert after[host][0] != before[host][0] and after[host][1:] == ("40", "40", 1)
