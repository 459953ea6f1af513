#!/usr/bin/env python3
"""Live relief against the rolling restart, on the same lab ensemble, in the same run.

The lab's 3-node ZooKeeper 3.8 ensemble (brought up when it is not, and down again afterwards in that
case): an application on client1 holds 17 kazoo sessions of zk's 20 allowed on one follower (ALM-13007).
remediate_zookeeper.yml raises maxClientCnxns 20 -> 40 once with zookeeper_connections_apply=live and
once with apply=restart, interleaved BENCH_ZK_ROUNDS times (default 3), the ensemble put back to 20
between runs. Measured per run:
- relief: the sum of the members' act steps (the role's own timings; live: JMX set + conf check);
- the whole playbook's wall time;
- seconds without a leader: `srvr` to every member every 100 ms from the controller, the time between
  samples in which no member said Mode leader;
- sessions of the application that changed state (SUSPENDED/LOST) or were replaced.
Prints one Markdown section with the medians and the ratios. Goal: live relief under a third of the
rolling restart's time and zero seconds without a leader.
"""
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "lab"))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
sys.path.insert(0, ROOT)

from labapi import Lab  # noqa: E402
from tests.integration import zkrole_support as zk  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ZK_ROUNDS", "3"))
REPORTS = os.path.join(ROOT, "lab", ".state", "bench-reports")


def one_run(lab, base, apply):
    zk.restore(lab, base)
    followers, dummy = zk.roles(lab)
    app = zk.KazooApp(lab, "client1", followers[0], 17)
    try:
        with zk.Poller(lab) as poller:
            t0 = time.monotonic()
            proc, report = zk.run_playbook(lab, REPORTS, "zookeeper_connections_apply=%s" % apply,
                                           "zookeeper_connections_sample_interval=1")
            wall = time.monotonic() - t0
    finally:
        final = app.stop()
    if proc.returncode != 0 or report is None or report["status"] != "remediated":
        sys.stderr.write(proc.stdout[-5000:])
        raise SystemExit("remediate_zookeeper.yml apply=%s did not remediate (rc %d)" % (apply, proc.returncode))
    steps = report["data"]["live" if apply == "live" else "rollout"]
    disturbed = [s for s in final["sessions"] if s["changes"] or s["now_id"] != s["session_id"]]
    return {"relief": sum(s["seconds"] for s in steps), "wall": wall, "leaderless": poller.seconds_without_leader(),
            "down": poller.most_down_at_once(), "disturbed": len(disturbed), "sessions": len(final["sessions"]),
            "order": " -> ".join(s["node"] for s in steps)}


def main():
    lab = Lab.load()
    created = not lab.is_up()
    lab.up()
    runs = {"live": [], "restart": []}
    try:
        base = zk.baseline_of(lab)
        for dummy in range(ROUNDS):
            for apply in ("live", "restart"):
                runs[apply].append(one_run(lab, base, apply))
        zk.restore(lab, base)
    finally:
        if created:
            lab.down()
    med = dict((a, dict((k, statistics.median(r[k] for r in runs[a])) for k in ("relief", "wall", "leaderless", "down",
                                                                               "disturbed")))
               for a in runs)
    print("## ZooKeeper relief: live (JMX) vs the rolling restart\n")
    print("Lab ensemble (3 x ZooKeeper 3.8 over SSH), 17 kazoo sessions of 20 from client1 on one follower; "
          "remediate_zookeeper.yml raises maxClientCnxns 20 -> 40 with `zookeeper_connections_apply=live` and with "
          "`=restart`, interleaved, %d rounds, medians. Relief = the act step (the role's step timings: live = JMX "
          "set + conf check per member, zoo.cfg then written on every member at once and counted in the whole "
          "playbook only; restart = zoo.cfg + restart + quorum gate per member). "
          "Without a leader = `srvr` to every member every 100 ms. Order: live %s; restart %s.\n"
          % (ROUNDS, runs["live"][0]["order"], runs["restart"][0]["order"]))
    print("| measure | live relief | rolling restart | live / restart |")
    print("|---|---|---|---|")
    for key, label in (("relief", "relief (act step), s"), ("wall", "whole playbook, s")):
        print("| %s | %.2f | %.2f | %.2f |" % (label, med["live"][key], med["restart"][key],
                                             med["live"][key] / med["restart"][key]))
    print("| seconds without a leader | %.2f | %.2f | |" % (med["live"]["leaderless"], med["restart"]["leaderless"]))
    print("| members down at once (max) | %d | %d | |" % (max(r["down"] for r in runs["live"]),
                                                           max(r["down"] for r in runs["restart"])))
    print("| client sessions disturbed (of %d) | %d | %d | |" % (runs["live"][0]["sessions"], med["live"]["disturbed"],
                                                                  med["restart"]["disturbed"]))
    ratio = med["live"]["relief"] / med["restart"]["relief"]
    print("\nLive relief takes **%.0f%%** of the rolling restart's time (goal < 33%%) with **%.2f s** without a leader "
          "(goal 0; the rolling restart: %.2f s)." % (100 * ratio, med["live"]["leaderless"], med["restart"]["leaderless"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
