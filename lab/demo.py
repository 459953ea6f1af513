#!/usr/bin/env python3
"""`make demo`: the exporter-ports runbook end to end on the built-in lab.

1. bring the lab up (namespaced SSH hosts with the OCP-Agent simulator),
2. break both agent hosts the two ways it happens in production:
   agent1 (legacy agent): a rogue program grabbed 62888 while the agent was down;
   agent2 (OCP >= 3.2 agent): an `observer` outbound connection took 62888 as its ephemeral port
   because the host's ip_local_port_range was widened the OceanBase way,
3. show the alert each agent raises (no_port_mapping_for_exporter),
4. dry run, then run playbooks/remediate_ports.yml,
5. show the report and the alert cleared, and bring the lab down (also on failure or Ctrl-C).
"""
import glob
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from labapi import Lab  # noqa: E402  pylint: disable=wrong-import-position

HOME = "/home/admin/ocp_agent"
BIN = os.path.join(ROOT, ".venv", "bin")
REPORTS = os.path.join(ROOT, "reports", "demo")


def say(text):
    print("\n\033[1m== %s\033[0m" % text, flush=True)


def alert_events(lab, host):
    out = lab.exec(host, ["cat", HOME + "/log/alerts.jsonl"], check=False).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def wait_alert(lab, host, status, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        events = alert_events(lab, host)
        if events and events[-1].get("event") == status:
            return events[-1]
        time.sleep(1)
    raise SystemExit("%s: the agent's alert did not become %s within %ds" % (host, status, timeout))


def playbook(*args):
    env = dict(os.environ, ALERTOPS_REPORT_DIR=REPORTS, ANSIBLE_FORCE_COLOR="0")
    # ansible.cfg names no collections path (make exports it): this checkout is the collection here.
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".build", "collections"))
    argv = [os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(HERE, "inventory.yml"),
            os.path.join(ROOT, "playbooks", "remediate_ports.yml")] + list(args)
    print("$ " + " ".join(os.path.relpath(a, ROOT) if a.startswith(ROOT) else a for a in argv), flush=True)
    return subprocess.run(argv, env=env, cwd=ROOT, check=False).returncode


def main():
    started = time.monotonic()
    lab = Lab.load()
    say("Bringing the lab up (agent1: legacy agent, agent2: ocp_agentctl agent)")
    lab.up(quiet=False)
    try:
        say("Breaking agent1: a rogue HTTP server takes 62888 while the agent restarts")
        rogue = lab.inject("rogue-listener", "agent1", "62888", "--home", HOME)
        print("rogue-http pid %s on agent1:62888" % rogue.pid)
        say("Breaking agent2: observer's outbound connection takes 62888 as an ephemeral port")
        eph = lab.inject("ephemeral", "agent2", "--home", HOME, "--recycle", "40")
        print("observer pid %s holds %s -> %s (ip_local_port_range now %s)" % (
            eph.pid, eph.info.get("local"), eph.info.get("remote"), eph.info.get("range")))

        say("The agents raise no_port_mapping_for_exporter")
        for host in ("agent1", "agent2"):
            event = wait_alert(lab, host, "firing")
            print("%s: %s" % (host, event.get("summary") or json.dumps(event)))

        say("Dry run (check mode): the plan, nothing changed")
        playbook("--check")
        say("Remediation: ansible-playbook playbooks/remediate_ports.yml")
        rc = playbook()

        say("Reports (one per host; JSON next to each)")
        runs = sorted(glob.glob(os.path.join(REPORTS, "exporter_ports", "*")))
        for path in sorted(glob.glob(os.path.join(runs[-1], "*.md"))) if runs else []:
            print(open(path).read())
        if rc != 0:
            raise SystemExit("remediate_ports.yml failed (exit %d)" % rc)

        say("The alerts are cleared")
        for host in ("agent1", "agent2"):
            event = wait_alert(lab, host, "resolved")
            print("%s: resolved at %s" % (host, event.get("ts")))
        still = lab.exec("agent2", ["sh", "-c", "ps -o pid=,comm= -p %s" % eph.pid], check=False).stdout.strip()
        print("observer still running on agent2 (never signalled): %s" % (still or "NO"))
        print("\ndemo finished in %.0fs; reports under %s" % (time.monotonic() - started, os.path.relpath(REPORTS, ROOT)))
    finally:
        say("Bringing the lab down")
        lab.down(quiet=False)


if __name__ == "__main__":
    main()
