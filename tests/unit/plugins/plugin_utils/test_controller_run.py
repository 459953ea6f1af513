# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""controller_run against the real /proc: this process's identity, and processes that are alive, gone,
reused or zombies, all started by the test."""
import os
import re
import subprocess
import time

import pytest

from ansible_collections.alertops.remediation.plugins.plugin_utils import controller_run


@pytest.fixture
def here():
    return controller_run.current(pid=os.getpid())


def test_identity_of_a_process(here):
    assert here["pid"] == os.getpid() and here["hostname"] and re.match(r"^[0-9a-f-]{36}$", here["boot_id"])
    assert here["pid_ns"].startswith("pid:[") and here["start_ticks"] > 0
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", here["started_at"])


def test_worker_names_its_parent():
    """Action plugins run in workers forked from ansible-playbook: the parent is the run."""
    read, write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(read)
        os.write(write, str(controller_run.current()["pid"]).encode())
        os._exit(0)
    os.close(write)
    named = int(os.read(read, 64))
    os.close(read)
    os.waitpid(child, 0)
    assert named == os.getpid()


def test_token_and_run_id(here):
    assert controller_run.token(here) == controller_run.token(dict(here))
    for key, value in (("pid", here["pid"] + 1), ("start_ticks", 1), ("hostname", "x"), ("boot_id", "y"), ("pid_ns", "z")):
        assert controller_run.token(dict(here, **{key: value})) != controller_run.token(here)
    assert re.match(r"^[0-9a-f]{32}$", controller_run.token(here))
    assert controller_run.run_id(dict(here, started_at="2026-11-21T10:15:30Z", pid=42)) == "20261121T101530Z-42"


def test_a_live_process_is_not_gone(here):
    assert controller_run.gone(here, here) is None


def test_an_exited_process_is_gone(here):
    proc = subprocess.Popen(["sleep", "30"])
    try:
        recorded = controller_run.current(pid=proc.pid)
        assert controller_run.gone(recorded, here) is None
    finally:
        proc.kill()
        proc.wait()
    reason = controller_run.gone(recorded, here)
    assert reason and "pid %d" % proc.pid in reason and reason.endswith("is gone")


def test_a_zombie_is_gone(here):
    proc = subprocess.Popen(["sleep", "30"])
    recorded = controller_run.current(pid=proc.pid)
    proc.kill()
    deadline = time.time() + 30
    while controller_run.stat_fields(proc.pid)[0] != "Z":
        assert time.time() < deadline
        time.sleep(0.02)
    try:
        assert "has exited" in controller_run.gone(recorded, here)
    finally:
        proc.wait()


def test_a_reused_pid_is_gone(here):
    recorded = dict(here, start_ticks=here["start_ticks"] - 1)
    assert "now belongs to a process started later" in controller_run.gone(recorded, here)


@pytest.mark.parametrize("change", [
    {"hostname": "elsewhere"}, {"boot_id": "another-boot"}, {"pid_ns": "pid:[9]"}, {"hostname": ""},
    {"pid": "1"}, {"pid": True}, {"pid": -5}, {"start_ticks": None},
])
def test_what_cannot_be_proven_is_not_gone(here, change):
    """Another controller, boot or pid namespace, or a malformed record: only the lease can tell."""
    recorded = dict(here, pid=999999999, **{k: v for k, v in change.items() if k != "pid"})
    if "pid" in change:
        recorded["pid"] = change["pid"]
    assert controller_run.gone(recorded, here) is None
    assert controller_run.gone("not a dict", here) is None


def fake_proc(tmp_path, pid1_cmdline):
    root = tmp_path / "proc"
    (root / "self").mkdir(parents=True)
    (root / "1" / "ns").mkdir(parents=True)
    (root / "1" / "cmdline").write_bytes(pid1_cmdline)
    (root / "1" / "stat").write_text("1 (ansible-playboo) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 4242 0 0\n")
    os.symlink("pid:[4026532000]", str(root / "1" / "ns" / "pid"))
    (root / "stat").write_text("cpu 1 2 3\nbtime 1795219200\n")
    (root / "sys" / "kernel" / "random").mkdir(parents=True)
    (root / "sys" / "kernel" / "random" / "boot_id").write_text("11111111-2222-3333-4444-555555555555\n")
    return str(root)


def test_ansible_playbook_as_pid_1_of_a_container_is_the_run(tmp_path):
    proc = fake_proc(tmp_path, b"/usr/bin/python3\0/usr/local/bin/ansible-playbook\0site.yml\0")
    identity = controller_run.current(proc=proc, pid=1)
    assert identity["pid"] == 1 and identity["start_ticks"] == 4242 and identity["pid_ns"] == "pid:[4026532000]"
    assert identity["boot_id"] == "11111111-2222-3333-4444-555555555555"
    started = 1795219200 + 4242 // os.sysconf("SC_CLK_TCK")
    assert identity["started_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))


def test_a_worker_adopted_by_init_has_no_run(tmp_path):
    proc = fake_proc(tmp_path, b"/sbin/init\0")
    with pytest.raises(controller_run.RunUnknown) as err:
        controller_run.current(proc=proc, pid=1)
    assert "parent process is gone" in str(err.value)


def test_a_controller_without_proc_is_named(tmp_path):
    with pytest.raises(controller_run.RunUnknown) as err:
        controller_run.current(proc=str(tmp_path / "absent"))
    assert "need a Linux controller" in str(err.value)
