#!/usr/bin/env python3
"""End-to-end cost of the exporter-ports runbook on one lab host against its floor, both measured in the
same run: the cheapest possible playbook against the same host (a one-task `ping`) plus the agent's own
restart (its control script's stop and start until every exporter answers HTTP 200, timed inside the
host). Goal (issue 12): remediate_ports.yml <= 2x that floor.

Each round: break agent1 (rogue listener on 62888 while the agent restarts, the guardian gives the
child up), time `ansible-playbook playbooks/remediate_ports.yml -l agent1` until it returns with
healthy exporters (the role verifies them), time the one-task playbook, and time the agent's own
restart. Rounds interleave the runs so machine noise hits all alike. The remediation's breakdown comes
from its per-task timings (ansible.posix.profile_tasks when installed, else none). Brings the lab up and
down itself.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "lab"))
from labapi import Lab  # noqa: E402  pylint: disable=wrong-import-position

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# The tasks that run a module on the host (each one SSH round trip), by a part of their names.
HOST_CALLS = ("Lock | Take", "Detect |", "Act | Terminate", "Act | Restart the agent", "Verify | Read",
              "Unlock | Release")
HOME = "/home/admin/ocp_agent"
ONE_TASK = """---
- name: One task
  hosts: agent1
  gather_facts: false
  tasks:
    - name: Ping
      ansible.builtin.ping:
"""


# Runs inside agent1: the legacy agent's own stop and start, then the wait until each exporter answers
# HTTP 200 on its metrics path; prints the seconds that took.
AGENT_RESTART = r"""
import subprocess, sys, time, urllib.request
home = sys.argv[1]
start = time.monotonic()
for action in ("stop", "start"):
    subprocess.run(["/usr/bin/python3", home + "/ocp_agent_ctl.py", action, "ocp_agent"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
urls = ["http://127.0.0.1:62888/", "http://127.0.0.1:62889/metrics/stat", "http://127.0.0.1:63000/metrics"]
while urls and time.monotonic() - start < 60:
    try:
        if urllib.request.urlopen(urls[0], timeout=1).status == 200:
            urls.pop(0)
            continue
    except Exception:
        pass
    time.sleep(0.02)
print("%.3f" % (time.monotonic() - start) if not urls else "timeout")
"""


def timed(argv, env):
    start = time.perf_counter()
    proc = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout.decode()[-4000:])
        raise SystemExit("%s failed" % " ".join(argv[:3]))
    return elapsed, proc.stdout.decode()


def task_times(output):
    """{task name: seconds} from profile_tasks' recap lines ("name ---- 1.23s")."""
    times = {}
    for line in output.splitlines():
        match = re.match(r"^(.*\S) -+ (\d+\.\d+)s$", line.strip())
        if match:
            times[match.group(1)] = float(match.group(2))
    return times


def break_agent(lab):
    fault = lab.inject("rogue-listener", "agent1", "62888", "--home", HOME)
    lab.exec("agent1", ["sh", "-c", "for i in $(seq 100); do grep -q 'giving up' %s/log/ocp_agentd.log && exit 0; "
                                    "sleep 0.2; done" % HOME], check=False)
    return fault


def main():
    lab = Lab.load()
    created = not lab.is_up()
    lab.up()
    reports = tempfile.mkdtemp(prefix="bench-reports-")
    env = dict(os.environ, ALERTOPS_REPORT_DIR=reports, PATH=os.path.join(ROOT, ".venv", "bin") + ":" + os.environ["PATH"],
               ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    playbook = os.path.join(ROOT, ".venv", "bin", "ansible-playbook")
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as fh:
        fh.write(ONE_TASK)
        one_task = fh.name
    remediate, baseline, restart, breakdowns = [], [], [], []
    profile = dict(env, ANSIBLE_CALLBACKS_ENABLED="ansible.posix.profile_tasks", PROFILE_TASKS_SORT_ORDER="none",
                   PROFILE_TASKS_TASK_OUTPUT_LIMIT="all")
    try:
        for _ in range(ROUNDS):
            fault = break_agent(lab)
            baseline.append(timed([playbook, "-i", lab.inventory_path, one_task], env)[0])
            elapsed, output = timed([playbook, "-i", lab.inventory_path, "playbooks/remediate_ports.yml",
                                     "-l", "agent1", "-e", "exporter_ports_kill_timeout=3"], profile)
            remediate.append(elapsed)
            breakdowns.append(task_times(output))
            fault.undo()
            lab.exec("agent1", ["sh", "-c", ": > %s/log/ocp_agentd.log" % HOME], check=False)
            seconds = lab.exec("agent1", ["/usr/bin/python3", "-c", AGENT_RESTART, HOME]).stdout.strip()
            if seconds == "timeout":
                raise SystemExit("the agent's own restart did not become ready within 60 s")
            restart.append(float(seconds))
    finally:
        os.unlink(one_task)
        if created:
            lab.down()
    r, b, a = statistics.median(remediate), statistics.median(baseline), statistics.median(restart)
    print("## remediate_ports.yml end to end (issue 12: <= 2x one-task playbook + the agent's own restart)\n")
    print("One lab host (agent1, legacy agent) broken by a rogue listener on 62888 whose agent child was given up; "
          "%d interleaved rounds. The remediation run covers the lock, detect, release, agent restart, verify "
          "(exporters answer HTTP 200), unlock and the reports.\n" % ROUNDS)
    print("| run | median s | all runs s |")
    print("|---|---:|---|")
    print("| one-task playbook (ping) | %.2f | %s |" % (b, ", ".join("%.2f" % x for x in baseline)))
    print("| the agent's own restart (control script stop + start until HTTP 200, inside the host) | %.2f | %s |" % (
        a, ", ".join("%.2f" % x for x in restart)))
    print("| remediate_ports.yml -l agent1 | %.2f | %s |" % (r, ", ".join("%.2f" % x for x in remediate)))
    print("\nRatio remediation / (one-task playbook + agent restart): **%.2fx** (goal <= 2x); "
          "remediation / one-task playbook alone: %.1fx.\n" % (r / (b + a), r / b))
    names = [n for n in breakdowns[0]] if breakdowns and breakdowns[0] else []
    if names:
        print("Where the remediation's time goes (profile_tasks, median per task over the rounds; tasks under "
              "0.05 s left out; the rest is ansible-playbook's own start, play set-up and the recap):\n")
        print("| task | median s |")
        print("|---|---:|")
        total = 0.0
        for name in names:
            value = statistics.median(d.get(name, 0.0) for d in breakdowns)
            total += value
            if value >= 0.05:
                print("| %s | %.2f |" % (name.replace("|", "\\|"), value))
        print("| (sum of all tasks) | %.2f |" % total)
        median = dict((n, statistics.median(d.get(n, 0.0) for d in breakdowns)) for n in names)
        calls = [n for n in names if any(k in n for k in HOST_CALLS)]
        agent_call = sum(median[n] for n in calls if "Act | Restart the agent" in n)
        others = [median[n] for n in calls if "Act | Restart the agent" not in n]
        if others:
            per_call = statistics.median(others)
            floor = b + a + 3 * per_call
            print("\nHost calls: %d (%s), %.2f s together, %.2f s median each but the agent's; the agent call "
                  "takes %.2f s more than the agent's own restart (its module start, the check that every old "
                  "process is gone, readiness polls). Playbook start, controller tasks and recap: %.2f s. "
                  "The floor that stops the 2x goal: the runbook needs at least four host calls in order "
                  "(detect, release, restart, verify), and each costs about %.2f s here (an SSH round trip "
                  "and a Python module start on 2 cores shared with the lab's hosts): one-task playbook + "
                  "agent restart + 3 more calls = %.2f s, already %.2fx. Folding the lock into detect and the "
                  "unlock into verify would take off two calls (about %.2f s)." % (
                      len(calls), ", ".join(n.split(" : ")[-1].split(" |")[0] for n in calls),
                      sum(median[n] for n in calls), per_call, agent_call - a, r - total, per_call, floor,
                      floor / (b + a), 2 * per_call))
        verified = [i for i, n in enumerate(names) if "Verify | Every agent port" in n]
        if verified:
            after = sum(statistics.median(d.get(n, 0.0) for d in breakdowns) for n in names[verified[0] + 1:])
            print("\nHealthy (verify's assert) to the last task: %.2f s (%s); then ansible-playbook's "
                  "recap and exit." % (after, ", ".join(n.split(" : ")[-1] for n in names[verified[0] + 1:])))


if __name__ == "__main__":
    main()
