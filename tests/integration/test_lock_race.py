# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Races for a stale lock: N concurrent runs find the same stale lock and exactly one of them acts,
every round. First with the real module started N times at once (many rounds, cheap), then with N
real ansible-playbook runs of the role (the whole path: action plugin, module, flock).

Stale means: its lease ran out (owner on another controller, so only the lease can tell), or its owner
ran on this controller and its process is gone (the action plugin proves it; the module breaks the lock
only if it still holds the token that was judged dead).
"""
import json
import os
import subprocess
import sys
import time

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import hostlock
from ansible_collections.alertops.remediation.plugins.plugin_utils import controller_run
from tests.support.lockruns import Runs, lock_record
from tests.support.modrun import COLLECTIONS, module_path

ROUNDS = 5
RACERS = 8


def dead_pid():
    """The pid of a process that has exited and was reaped."""
    proc = subprocess.Popen(["/bin/true"])
    proc.wait()
    return proc.pid


def stale_record(kind):
    if kind == "dead-owner":
        controller = controller_run.current(pid=os.getpid())
        controller["pid"] = dead_pid()
        # The lease is far from over: only the dead process makes it stale.
        return lock_record("stale-" + kind, controller=controller)
    return lock_record("stale-" + kind, expires_in=-5)


def plant(path, record):
    with open(path, "wb") as fh:
        fh.write(hostlock.serialize(record))


def read_record(path):
    with open(path, "rb") as fh:
        return hostlock.parse(fh.read())


def race_modules(path, break_token=None):
    """RACERS module processes started together; returns their results."""
    here = controller_run.current(pid=os.getpid())
    procs = []
    for n in range(RACERS):
        args = {"path": path, "token": "racer%04d%s" % (n, "x" * 8), "owner": "racer-%d" % n, "wait": 0,
                "lease": 600, "controller": here}
        if break_token:
            args.update(break_token=break_token, break_reason="its process is gone")
        argsfile = "%s.args%d" % (path, n)
        with open(argsfile, "w") as fh:
            json.dump({"ANSIBLE_MODULE_ARGS": args}, fh)
        procs.append((subprocess.Popen([sys.executable, module_path("remediation_lock"), argsfile],
                                       stdout=subprocess.PIPE, env=dict(os.environ, PYTHONPATH=COLLECTIONS)), argsfile))
    results = []
    for proc, argsfile in procs:
        out = proc.communicate(timeout=120)[0].decode()
        os.unlink(argsfile)
        results.append(json.loads(out[out.index("{"):]))
    return results


@pytest.mark.parametrize("kind", ["expired-lease", "dead-owner"])
def test_module_racers_exactly_one_takes_a_stale_lock(tmp_path, kind):
    path = str(tmp_path / "alertops-remediation.lock")
    for _round in range(ROUNDS):
        stale = stale_record(kind)
        plant(path, stale)
        # The dead owner's token is what the controllers of all racers judged dead.
        results = race_modules(path, break_token=stale["token"] if kind == "dead-owner" else None)
        assert all(not r.get("failed") for r in results), results
        winners = [r for r in results if r["held"]]
        assert len(winners) == 1, results
        assert winners[0]["broke"]["owner"]["label"] == "stale-" + kind
        losers = [r for r in results if not r["held"]]
        assert all(r["holder"]["owner"]["label"] == winners[0]["invocation"]["module_args"]["owner"] for r in losers)
        assert read_record(path)["token"] == winners[0]["invocation"]["module_args"]["token"]


@pytest.mark.parametrize("kind", ["expired-lease", "dead-owner"])
def test_concurrent_playbook_runs_exactly_one_acts_each_round(tmp_path, kind):
    for rnd in range(3):
        runs = Runs(tmp_path / ("round%d" % rnd))
        try:
            plant(runs.lock_path, stale_record(kind))
            names = ["run%d" % n for n in range(4)]
            for name in names:
                runs.start(name, lock_wait=2)
            # Every run either acted (and now waits for its go) or ended; only then is anyone let go.
            deadline = time.time() + 240
            while sum(runs.acted(n) or runs.procs[n].poll() is not None for n in names) < len(names):
                assert time.time() < deadline, [runs.output(n) for n in names]
                time.sleep(0.2)
            acted = [n for n in names if runs.acted(n)]
            assert len(acted) == 1, [runs.output(n) for n in names]
            winner = acted[0]
            for name in names:
                if name != winner:
                    rc, out = runs.finish(name)
                    assert rc != 0 and "another remediation holds the lock" in out and winner in out, out
            runs.go(winner)
            rc, out = runs.finish(winner)
            assert rc == 0, out
            assert "broke the lock" in out and "stale-" + kind in out
            assert read_record(runs.lock_path)["state"] == "free"
        finally:
            runs.stop_all()
