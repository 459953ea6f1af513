# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-host lock of remediation_common (tasks_from: lock / unlock) through the real ansible-playbook
against this machine: runs killed with SIGKILL, a run that waits, runs that outlived their lease, lock
paths that are not locks, renewal, check mode. (Races for a stale lock: test_lock_race.py.)
"""
import json
import os
import signal
import stat
import time

import pytest

from tests.support import localplay
from tests.support.lockruns import Runs

RENEW = """---
- name: Take the lock twice in one run
  hosts: all
  gather_facts: false
  tasks:
    - name: Take the lock
      ansible.builtin.include_role:
        name: alertops.remediation.remediation_common
        tasks_from: lock
      vars:
        remediation_common_lock_owner: renewer

    - name: Read the lock record
      ansible.builtin.slurp:
        src: "{{ remediation_common_lock_path }}"
      register: first

    - name: Take it again (a heartbeat between two steps of a long runbook)
      ansible.builtin.include_role:
        name: alertops.remediation.remediation_common
        tasks_from: lock
      vars:
        remediation_common_lock_owner: renewer

    - name: Read the lock record again
      ansible.builtin.slurp:
        src: "{{ remediation_common_lock_path }}"
      register: second

    - name: Save both records for the test
      ansible.builtin.copy:
        content: "{{ {'first': first.content | b64decode, 'second': second.content | b64decode,
                      'held': remediation_common_lock_held} | to_json }}"
        dest: "{{ work }}/records.json"
        mode: "0600"

    - name: Release the lock
      ansible.builtin.include_role:
        name: alertops.remediation.remediation_common
        tasks_from: unlock
"""


@pytest.fixture
def runs(tmp_path):
    r = Runs(tmp_path)
    yield r
    r.stop_all()


def tree(path):
    """Every path below `path` with its type, mode, owner and content: to prove nothing was touched."""
    out = {}
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            p = os.path.join(root, name)
            st = os.lstat(p)
            content = open(p, "rb").read() if stat.S_ISREG(st.st_mode) else None
            out[p] = (stat.S_IFMT(st.st_mode), st.st_mode, st.st_uid, st.st_mtime_ns, content)
    return out


def test_lock_left_by_a_killed_run_is_broken_at_once_with_the_reason(runs):
    first = runs.start("first")
    runs.wait_acted("first")
    runs.kill("first")                          # the controller dies mid-remediation: no `always`
    # The lease (an hour) is far from over: only the proof that the owner is gone lets the next run in.
    rc, out = runs.run("second", lock_wait=20)
    assert rc == 0, out
    doc, md = runs.report("second")
    assert doc["status"] == "remediated"
    reason = doc["lock_broken"]["reason"]
    assert "gone" in reason
    assert doc["lock_broken"]["owner"]["label"] == "first"
    assert doc["lock_broken"]["owner"]["controller"]["pid"] == first.pid   # ansible-playbook itself
    assert reason in md
    assert "broke the lock" in out


@pytest.mark.parametrize("signum, group", [(signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["ctrl-c", "awx-cancel"])
def test_an_interrupted_run_never_blocks_the_next(runs, signum, group):
    """Interrupted mid-remediation, a run either releases its lock on the way out or leaves one whose
    owner is provably gone: the next run acts at once (the lease, an hour, is far from over)."""
    runs.start("first")
    runs.wait_acted("first")
    runs.interrupt("first", signum, group)
    rc, out = runs.run("second", lock_wait=20)
    assert rc == 0, runs.output("first") + out
    doc = runs.report("second")[0]
    assert doc["status"] == "remediated"
    if "lock_broken" in doc:
        assert "gone" in doc["lock_broken"]["reason"] and doc["lock_broken"]["owner"]["label"] == "first"
    else:
        assert "held after unlock: False" in runs.output("first")


def test_second_run_waits_then_fails_naming_the_owner_and_changes_nothing(runs):
    runs.start("first")
    runs.wait_acted("first")
    with open(runs.lock_path, "rb") as fh:
        before = fh.read()
    rc, out = runs.run("second", lock_wait=1)
    assert rc != 0
    assert not runs.acted("second")
    assert "first" in out and "Nothing was changed" in out
    with open(runs.lock_path, "rb") as fh:
        assert fh.read() == before
    runs.go("first")
    rc, out = runs.finish("first")
    assert rc == 0, out


def test_run_that_outlived_its_lease_does_not_release_the_next_owners_lock(runs):
    runs.start("first", lock_stale_after=2)
    runs.wait_acted("first")
    time.sleep(3)                               # let the lease of `first` run out (no assertion on time)
    runs.start("second", lock_stale_after=2)
    runs.wait_acted("second")                   # took over the expired lock
    runs.go("first")
    rc, out = runs.finish("first")
    assert "held after unlock: False" in out
    assert "not held by this run" in out
    assert os.path.isfile(runs.lock_path)
    with open(runs.lock_path) as fh:
        assert '"label": "second"' in fh.read()
    runs.go("second")
    rc, out = runs.finish("second")
    assert rc == 0, out
    assert "held after unlock: False" in out


@pytest.mark.parametrize("kind", ["directory", "file", "foreign-file", "symlink", "fifo"])
def test_lock_path_that_is_not_a_lock_is_never_touched(runs, tmp_path, kind):
    path = runs.lock_path
    old = time.time() - 7200                    # older than any stale limit
    if kind == "directory":
        os.mkdir(path)
        with open(os.path.join(path, "keep"), "w") as fh:
            fh.write("precious")
        os.utime(os.path.join(path, "keep"), (old, old))
    elif kind in ("file", "foreign-file"):
        with open(path, "w") as fh:
            fh.write("precious\n")
        if kind == "foreign-file":
            if os.geteuid() != 0:
                pytest.skip("needs root to give the file away")
            os.chown(path, 65534, 65534)
    elif kind == "symlink":
        target = tmp_path / "target"
        target.write_text("precious\n")
        os.symlink(str(target), path)
    else:
        os.mkfifo(path)
    if not os.path.islink(path):
        os.utime(path, (old, old))
    before = tree(str(tmp_path / "run")), tree(str(tmp_path / "target")) if kind == "symlink" else None
    rc, out = runs.run("taker", lock_wait=1, lock_stale_after=1)
    assert rc != 0
    assert not runs.acted("taker")
    assert "remediation_common_lock_path" in out and path in out
    after = tree(str(tmp_path / "run")), tree(str(tmp_path / "target")) if kind == "symlink" else None
    assert after == before


def test_calling_lock_again_renews_the_lease(runs, tmp_path):
    playbook = localplay.write_playbook(tmp_path, "renew.yml", RENEW)
    rc, out = runs.run("renewer", playbook=playbook)
    assert rc == 0, out
    records = json.loads((runs.work / "records.json").read_text())
    assert records["held"] is True
    first = json.loads(records["first"].splitlines()[-1])
    second = json.loads(records["second"].splitlines()[-1])
    assert first["token"] == second["token"] and first["acquired_at"] == second["acquired_at"]
    assert second["expires_at"] > first["expires_at"]
    assert second["renewed_at"] > first["renewed_at"]


def test_check_mode_takes_no_lock(runs):
    rc, out = runs.run("dry", check=True)
    assert rc == 0, out
    assert not os.path.exists(runs.lock_path)
    assert "held after unlock: False" in out
