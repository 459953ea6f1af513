#!/usr/bin/env python3
"""The whole remediate_zookeeper.yml run against the sum of its three node restarts, in the same run.

On the lab's 3-node ensemble (brought up when it is not, and down again afterwards in that case):
order-service on client1 holds 17 of zk1's 20 allowed sessions (ALM-13007); the playbook samples
again, names the process, raises maxClientCnxns 20 -> 40 and restarts followers first, the leader last
(zookeeper_connections_apply=restart; bench_zookeeper_relief.py compares it with live relief).
"Node restarts" = for each node, `zkctl restart` plus its quorum gate (serving with the new limit, the
others serving, the leader's followers in sync), as the role timed them in the report of that same run.
Overhead = (playbook wall time - sum of node restarts) / sum of node restarts; target <= 20 %.
The ensemble is put back to maxClientCnxns 20 afterwards. Prints one Markdown section."""
import glob
import json
import os
import subprocess
import sys
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "lab"))
sys.path.insert(0, ROOT)

from labapi import Lab  # noqa: E402
from tests.support.lab import ansible_env  # noqa: E402

CONF = "/etc/zookeeper/conf/zoo.cfg"
SAMPLE_INTERVAL = int(os.environ.get("BENCH_ZK_SAMPLE_INTERVAL", "1"))


def set_limit(lab, value):
    """maxClientCnxns=value in every zoo.cfg, restarting changed nodes one at a time, leader last."""
    modes = lab.wait_quorum(90)
    for host in sorted(lab.group("zookeeper"), key=lambda h: modes[h] == "leader"):
        text = lab.exec(host, ["cat", CONF]).stdout
        lines = ["maxClientCnxns=%d" % value if line.startswith("maxClientCnxns=") else line
                 for line in text.split("\n")]
        lab.exec(host, ["sh", "-c", "rm -f %s.*~" % CONF])
        if "\n".join(lines) != text:
            lab.exec(host, ["sh", "-c", "cat > %s.tmp && mv %s.tmp %s" % (CONF, CONF, CONF)], input="\n".join(lines))
            lab.zkctl(host, "restart")
            lab.wait_quorum(90)


def main():
    lab = Lab.load()
    created = not lab.is_up()
    lab.up()
    report_dir = os.path.join(lab.state_dir, "bench-reports")
    run_id = "bench" + uuid.uuid4().hex[:8]
    fault = None
    try:
        set_limit(lab, 20)
        modes = lab.wait_quorum(90)
        follower = sorted(h for h in lab.group("zookeeper") if modes[h] == "follower")[0]
        fault = lab.inject("zk-clients", "client1", "17", "--server", follower)
        argv = [os.path.join(ROOT, ".venv", "bin", "ansible-playbook"), os.path.join(ROOT, "playbooks", "remediate_zookeeper.yml"),
                "-i", lab.inventory_path, "-e", "remediation_common_run_id=" + run_id,
                "-e", "zookeeper_connections_sample_interval=%d" % SAMPLE_INTERVAL,
                "-e", "zookeeper_connections_apply=restart"]
        env = ansible_env({"ALERTOPS_REPORT_DIR": report_dir})
        t0 = time.monotonic()
        proc = subprocess.run(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        total = time.monotonic() - t0
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout[-5000:])
            raise SystemExit("remediate_zookeeper.yml failed (rc %d)" % proc.returncode)
        with open(glob.glob(os.path.join(report_dir, "zookeeper_connections", run_id, "*.json"))[0]) as fh:
            report = json.load(fh)
    finally:
        if fault is not None:
            fault.undo()
        try:
            set_limit(lab, 20)
        finally:
            if created:
                lab.down()
    rollout = report["data"]["rollout"]
    restarts = sum(r["seconds"] for r in rollout)
    overhead = (total - restarts) / restarts
    print("## ZooKeeper rolling restart: remediate_zookeeper.yml vs its node restarts\n")
    print("Lab ensemble (3 x ZooKeeper 3.8 over SSH), one client IP at 17/20 sessions; the run detects, samples "
          "again after %ds, names the holder on client1, raises maxClientCnxns %s -> %s and restarts %s. "
          "Node restart = `zkctl restart` + quorum gate, timed by the role in the same run.\n"
          % (SAMPLE_INTERVAL, report["data"]["plan"]["old_limit"], report["data"]["plan"]["new_limit"],
             " -> ".join("%s (%s)" % (r["node"], r["role_before"]) for r in rollout)))
    print("| measure | seconds |")
    print("|---|---|")
    for r in rollout:
        print("| restart + gate %s (%s, %d gate polls) | %.2f |" % (r["node"], r["role_before"], r["gate_polls"], r["seconds"]))
    print("| sum of the node restarts | %.2f |" % restarts)
    print("| whole playbook (ansible-playbook wall time) | %.2f |" % total)
    print("| of which sample interval (deliberate wait) | %d |" % SAMPLE_INTERVAL)
    print("\nOverhead over the restarts: **%.0f%%** (target <= 20%%); without the deliberate sample wait: %.0f%%."
          % (100 * overhead, 100 * (total - SAMPLE_INTERVAL - restarts) / restarts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
