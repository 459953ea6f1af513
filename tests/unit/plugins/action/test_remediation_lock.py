# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's acquire loop of remediation_lock with a scripted module and fake clock: how many
round trips each case costs, and that only a holder proven gone on this controller is broken."""
import os

import pytest

from ansible_collections.alertops.remediation.plugins.action.remediation_lock import acquire
from ansible_collections.alertops.remediation.plugins.plugin_utils import controller_run


class Host(object):
    """A scripted module: answers in turn; records the extra arguments of every call."""

    def __init__(self, clock, *answers):
        self.clock, self.answers, self.calls = clock, list(answers), []

    def __call__(self, extra):
        self.calls.append(extra)
        answer = self.answers.pop(0)
        self.clock.now += answer.pop("_takes", 0)
        return answer


class Clock(object):
    now = 0.0

    def __call__(self):
        return self.now


def holder(token, controller):
    return {"held": False, "holder": {"token": token, "owner": {"label": token, "controller": controller}}}


@pytest.fixture
def here():
    return controller_run.current(pid=os.getpid())


@pytest.fixture
def dead(here):
    return dict(here, pid=os.getpid(), start_ticks=here["start_ticks"] - 1)     # pid reused: gone


def test_free_lock_costs_one_call(here):
    clock = Clock()
    host = Host(clock, {"held": True, "holder": None})
    assert acquire(host, here, 60, clock)["held"]
    assert host.calls == [{"wait": 60.0}]


def test_dead_local_owner_is_broken_with_a_second_call(here, dead):
    clock = Clock()
    host = Host(clock, holder("dead", dead), {"held": True, "holder": None, "broke": {"reason": "x"}})
    assert acquire(host, here, 60, clock)["held"]
    assert len(host.calls) == 2
    assert host.calls[1]["break_token"] == "dead" and "now belongs to a process started later" in host.calls[1]["break_reason"]


def test_dead_local_owner_is_broken_even_without_waiting(here, dead):
    clock = Clock()
    host = Host(clock, holder("dead", dead), {"held": True, "holder": None})
    assert acquire(host, here, 0, clock)["held"]
    assert host.calls[1]["wait"] == 0


def test_live_local_owner_is_vouched_and_judged_again(here):
    clock = Clock()
    host = Host(clock, holder("alive", here), dict(holder("alive", here), _takes=5),
                {"held": True, "holder": None})
    assert acquire(host, here, 60, clock)["held"]
    assert host.calls[1] == {"vouched": "alive", "wait": 60.0}
    assert host.calls[2] == {"vouched": "alive", "wait": 55.0}


def test_remote_owner_is_waited_for_on_the_host_then_reported(here):
    clock = Clock()
    remote = dict(here, hostname="another-controller")
    host = Host(clock, dict(holder("remote", remote), _takes=30))
    result = acquire(host, here, 30, clock)
    assert not result["held"] and result["holder"]["token"] == "remote"
    assert host.calls == [{"wait": 30.0}]


def test_module_failure_is_returned_as_is(here):
    clock = Clock()
    host = Host(clock, {"failed": True, "msg": "path: x exists and is a directory"})
    assert acquire(host, here, 60, clock)["failed"]
    assert len(host.calls) == 1


def test_endless_dead_owners_are_bounded(here, dead):
    clock = Clock()
    host = Host(clock, *[holder("dead%d" % n, dead) for n in range(100)])
    result = acquire(host, here, 0, clock)
    assert not result["held"] and len(host.calls) <= 25
