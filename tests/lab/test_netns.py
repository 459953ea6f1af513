"""The lab's switch is set up only inside its own network namespace (lab/labkit/netns.py). No lab needed.

`unshare --net -- python labctl.py _switch` is one process that unshares and then execs: until it has
unshared, nsenter into its pid lands in this machine's namespace. The lab once created its bridge there."""
import os
import subprocess
import sys

import pytest

from tests.support.lab import ROOT

sys.path.insert(0, os.path.join(ROOT, "lab"))
from labkit import netns  # noqa: E402  pylint: disable=wrong-import-position
from labkit.base import LabError  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture
def started():
    procs = []

    def start(argv):
        procs.append(subprocess.Popen(argv))
        return procs[-1]
    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


@pytest.mark.skipif(os.geteuid() != 0, reason="unshare --net needs root")
def test_waits_until_the_process_has_its_own_network_namespace(started):
    proc = started(["unshare", "--net", "--", "sleep", "30"])
    netns.wait_own_netns(proc.pid, timeout=10)
    assert os.readlink("/proc/%d/ns/net" % proc.pid) != os.readlink("/proc/self/ns/net")


def test_a_process_that_never_unshares_is_refused(started):
    proc = started(["sleep", "30"])
    with pytest.raises(LabError, match="network namespace of its own"):
        netns.wait_own_netns(proc.pid, timeout=0.3)


def test_a_process_that_exits_is_refused(started):
    proc = started(["true"])
    proc.wait()
    with pytest.raises(LabError, match="network namespace of its own"):
        netns.wait_own_netns(proc.pid, timeout=0.3)
