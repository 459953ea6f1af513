"""ansible-playbook runs that take the host's remediation lock (remediation_common tasks_from: lock),
act, and release it, for the lock suites. Each run "acts" by creating a marker file and then waits for
the test's go file, so no test depends on timing; every run is started in a session of its own and
killed by its process group only."""
import json
import os
import signal
import subprocess
import sys
import time

from tests.support import localplay

ACT = r"""
import os, sys, time
work, name = sys.argv[1], sys.argv[2]
open(os.path.join(work, "acted-" + name), "w").close()
deadline = time.time() + 300
while not os.path.exists(os.path.join(work, "go-" + name)) and time.time() < deadline:
    time.sleep(0.1)
"""

PLAYBOOK = """---
- name: Act under the host's remediation lock
  hosts: all
  gather_facts: false
  tasks:
    - name: Remediate under the lock
      block:
        - name: Take the lock
          ansible.builtin.include_role:
            name: alertops.remediation.remediation_common
            tasks_from: lock
          vars:
            remediation_common_lock_owner: "{{ run_name }}"

        - name: Act, then wait for the test's go
          ansible.builtin.command:
            argv: ["%(python)s", "-c", %(act)s, "{{ work }}", "{{ run_name }}"]
          changed_when: false

      always:
        - name: Release the lock
          ansible.builtin.include_role:
            name: alertops.remediation.remediation_common
            tasks_from: unlock

        - name: Show whether this run still holds the lock
          ansible.builtin.debug:
            msg: "held after unlock: {{ remediation_common_lock_held | default('undefined') }}"

        - name: Report what happened
          ansible.builtin.include_role:
            name: alertops.remediation.remediation_common
            tasks_from: report
          vars:
            remediation_common_runbook: lock_test
            remediation_common_report_dir: "{{ work }}/reports"
            remediation_common_report:
              status: "{{ 'failed' if ansible_failed_result is defined else 'remediated' }}"
              summary: "{{ run_name }}"
              plan: ["act under the lock"]
              done: []
              sections: []
              data: {}
""" % {"python": sys.executable, "act": json.dumps(ACT)}


# A controller that is not this one: the lease is the only way to judge its runs.
ELSEWHERE = {"hostname": "another-controller", "boot_id": "b" * 36, "pid_ns": "pid:[1]", "pid": 4242,
             "start_ticks": 1, "started_at": "2026-11-21T00:00:00Z"}


def lock_record(label, controller=None, expires_in=3600.0, token="deadbeef" * 4):
    """A lock record held by another run (by default on another controller, lease far from over)."""
    now = time.time()
    return {"state": "held", "token": token, "owner": {"label": label, "controller": controller or dict(ELSEWHERE)},
            "acquired_at": now - 7200, "renewed_at": now - 7200, "expires_at": now + expires_in}


class Runs(object):
    """ansible-playbook runs of one test; each is killed by its own process group at the end."""

    def __init__(self, tmp_path):
        tmp_path.mkdir(parents=True, exist_ok=True)
        self.tmp = tmp_path
        self.work = tmp_path / "work"
        self.work.mkdir()
        (tmp_path / "run").mkdir()
        self.lock_path = str(tmp_path / "run" / "alertops-remediation.lock")
        self.inventory = localplay.inventory(tmp_path)
        self.playbook = localplay.write_playbook(tmp_path, "act.yml", PLAYBOOK)
        self.procs = {}

    def variables(self, name, **extra):
        out = {"run_name": name, "work": str(self.work), "remediation_common_lock_path": self.lock_path,
               "remediation_common_lock_wait": 2, "remediation_common_lock_stale_after": 3600}
        out.update(("remediation_common_" + k, v) for k, v in extra.items())
        return out

    def start(self, name, playbook=None, **extra):
        self.procs[name] = localplay.start(self.tmp, playbook or self.playbook, self.inventory,
                                           self.variables(name, **extra), log_name=name + ".log")
        return self.procs[name]

    def run(self, name, playbook=None, check=False, **extra):
        """Run to the end; it does not wait for a go."""
        self.go(name)
        return localplay.run(self.tmp, playbook or self.playbook, self.inventory, self.variables(name, **extra),
                             check=check)

    def acted(self, name):
        return (self.work / ("acted-" + name)).exists()

    def go(self, name):
        (self.work / ("go-" + name)).touch()

    def wait_acted(self, name, limit=120):
        deadline = time.time() + limit
        while not self.acted(name):
            assert self.procs[name].poll() is None, self.output(name)
            assert time.time() < deadline, "%s never acted:\n%s" % (name, self.output(name))
            time.sleep(0.1)

    def finish(self, name, limit=300):
        rc = self.procs[name].wait(limit)
        return rc, self.output(name)

    def output(self, name):
        with open(str(self.tmp / (name + ".log")), "rb") as fh:
            return fh.read().decode("utf-8", "replace")

    def interrupt(self, name, signum, group, limit=120):
        """Ctrl-C in a terminal (SIGINT to the whole process group) or AWX's cancel (SIGTERM to
        ansible-playbook); waits until ansible-playbook has ended."""
        proc = self.procs[name]
        if group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
        proc.wait(limit)

    def kill(self, name):
        proc = self.procs[name]
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()

    def report(self, name):
        for root, _dirs, files in os.walk(str(self.work / "reports")):
            for f in files:
                if f.endswith(".json"):
                    with open(os.path.join(root, f)) as fh:
                        doc = json.load(fh)
                    if doc["summary"] == name:
                        return doc, open(os.path.join(root, f[:-5] + ".md")).read()
        raise AssertionError("no report of %s" % name)

    def stop_all(self):
        for name, proc in self.procs.items():
            self.go(name)
        for name in list(self.procs):
            try:
                self.procs[name].wait(30)
            except subprocess.TimeoutExpired:
                pass
            self.kill(name)
