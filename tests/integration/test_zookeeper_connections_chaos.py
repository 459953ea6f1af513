"""Chaos on the lab: the controller's ansible-playbook is killed with SIGKILL in the middle of the rolling
restart, then the playbook runs again. It converges (every member serves with the new limit, one leader),
quorum was never lost (never more than one member down at once), and no acknowledged write is lost.
Run under the lab lock."""
# pylint: disable=disallowed-name
import glob
import os
import signal
import time
import uuid

import pytest

from tests.integration import zkrole_support as zk
from tests.support.lab import LabError, lab, verify_acknowledged_writes  # noqa: F401  pylint: disable=unused-import

# restarts and edits the lab's ensemble: apart from the other lab suites (tests/conftest.py, make test)
pytestmark = pytest.mark.ensemble


@pytest.fixture
def ensemble(lab):
    base = zk.baseline_of(lab)
    zk.restore(lab, base)
    faults = []
    lab.inject_ours = lambda *a: faults.append(lab.inject(*a)) or faults[-1]
    try:
        yield lab
    finally:
        for handle in faults:
            try:
                handle.undo()
            except LabError:
                pass
        zk.restore(lab, base)


def wait_for_line(path, needle, proc, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path) as fh:
            if needle in fh.read():
                return
        assert proc.poll() is None, "the playbook ended before %r" % needle
        time.sleep(0.05)
    raise AssertionError("no %r in the playbook's output after %ss" % (needle, timeout))


def kill_controller(proc, timeout=120):
    """SIGKILL to the ansible-playbook we started; its orphaned workers finish their task and go: wait for
    its process group (its own session) to empty, and end what is left of it after the deadline."""
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)


def wait_remote_idle(lab, host, timeout=120):
    """Wait until no Ansible module runs on host any more. The remote side of the task the killed run had
    under way (a zoo.cfg write, or a restart) goes on after the controller's processes are gone: sshd does
    not end a command without a terminal when its client goes. Every module runs under `... && sleep 0`."""
    listing = "for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f 2>/dev/null; echo; done"
    deadline = time.time() + timeout
    while time.time() < deadline:
        if "&& sleep 0" not in lab.exec(host, ["sh", "-c", listing]).stdout:
            return
        time.sleep(0.5)
    raise AssertionError("a module of the killed run still runs on %s after %ss" % (host, timeout))


def test_killed_mid_rollout_then_run_again_converges(ensemble, validated_report_dir):
    lab = ensemble
    followers, leader = zk.roles(lab)
    log = os.path.join(lab.state_dir, "zk-writes-%s.jsonl" % uuid.uuid4().hex[:8])
    writes = lab.inject_ours("zk-writes", "client1", "--servers", ",".join(zk.zk_hosts(lab)), "--log", log)
    lab.inject_ours("zk-clients", "client1", "17", "--server", followers[0])

    with zk.Poller(lab) as poller:
        proc, pattern, out = zk.run_playbook(lab, validated_report_dir, "zookeeper_connections_apply=restart", popen=True)
        # the first follower is restarted and gated; kill while the second one's zoo.cfg is being written
        wait_for_line(out, "Rollout | Write the new settings into zoo.cfg, backup first, on %s" % followers[1], proc)
        time.sleep(0.5)
        kill_controller(proc)
        killed_at = zk.state(lab)
        assert glob.glob(pattern) == [], "a killed controller writes no report"
        # the leader, last, was not reached; the second follower may be anywhere in its step: the task
        # the killed run had under way there finishes on the host, so read it once that is over
        assert killed_at[followers[0]][1] == "40" and killed_at[leader][1:3] == ("20", "20"), killed_at
        wait_remote_idle(lab, followers[1])
        lab.wait_quorum(60)
        settled = zk.state(lab)
        assert settled[followers[1]][1] in ("20", "40"), settled

        proc2, report = zk.run_playbook(lab, validated_report_dir, "zookeeper_connections_apply=restart")
    assert proc2.returncode == 0, proc2.stdout[-5000:]
    assert report["status"] == "remediated", report["summary"]
    plan = report["data"]["plan"]
    assert plan["new_limit"] == 40 and leader in plan["unfinished"]
    assert (followers[1] in plan["unfinished"]) == (settled[followers[1]][1] == "20"), (plan, settled)
    assert followers[0] not in plan["restart"], "the member that already runs 40 is not restarted again"
    assert [r["node"] for r in report["data"]["rollout"]][-1] == leader

    final = zk.state(lab)
    assert all(final[h][1:3] == ("40", "40") for h in final), final
    already = [h for h in followers if settled[h][1] == "40"]
    assert all(final[h][0] == settled[h][0] for h in already), ("restarted again", settled, final)
    modes = lab.wait_quorum(60)
    assert sorted(modes.values()) == ["follower", "follower", "leader"]
    assert poller.most_down_at_once() <= 1, ("quorum was lost", poller.when_down()[:5])

    writes.undo()
    result = verify_acknowledged_writes(lab, log)
    assert result["acknowledged"] > 20 and result["missing"] == [] and result["wrong_value"] == [], result
    with open(out) as fh:
        assert "PLAY RECAP" not in fh.read()  # the first run really died mid-way
