"""One real remediation from the installed collection: `ansible-playbook alertops.remediation.remediate_ports`
run by FQCN from a user's project directory against the lab's legacy agent, broken by a rogue listener,
with the agent's logs collected: reports and log bundle land under the directory the run started from,
nothing under the (read-only) install path. Needs the lab lock (`flock /tmp/alertops-lab.lock ...`); the lab fixture brings the lab up and down."""
import glob
import json
import os

import pytest

from tests.release.release_support import FQCN
from tests.support.lab import lab  # noqa: F401  pylint: disable=unused-import

HOME = "/home/admin/ocp_agent"
HOST = "agent1"


@pytest.fixture
def broken_agent(lab):  # noqa: F811
    """agent1 with a rogue listener on 62888, taken while its agent restarted (its proxy cannot bind);
    afterwards the faults undone, the kernel's port settings and the agent as the lab had them."""
    rogue = lab.inject("rogue-listener", HOST, "62888", "--home", HOME)
    yield lab, rogue
    if rogue.alive():
        rogue.undo()
    lab.exec(HOST, ["sh", "-c", "echo > /proc/sys/net/ipv4/ip_local_reserved_ports; "
                                "rm -f /etc/sysctl.d/60-ocp-agent-reserved-ports.conf; "
                                "python3 %s/ocp_agent_ctl.py stop ocp_agent; "
                                "python3 %s/ocp_agent_ctl.py start ocp_agent" % (HOME, HOME)], check=False, timeout=120)


def test_remediate_ports_by_fqcn_from_the_installed_copy(user, broken_agent):
    lab, rogue = broken_agent
    run = user.run(["ansible-playbook", "-i", lab.inventory_path, "-l", HOST, FQCN + ".remediate_ports",
                    "-e", "exporter_ports_collect_logs=always"], timeout=600)
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert not rogue.alive(), "the rogue listener still runs"
    # The report_dir rule: no ALERTOPS_REPORT_DIR, so reports/ under the directory the run started in.
    paths = glob.glob(os.path.join(user.project, "reports", "exporter_ports", "*", HOST + ".json"))
    assert len(paths) == 1, os.listdir(user.project)
    with open(paths[0]) as fh:
        report = json.load(fh)
    assert report["status"] == "remediated", report["summary"]
    assert any(line.startswith("terminated ") and str(rogue.pid) in line for line in report["done"]), report["done"]
    after = next(s for s in report["sections"] if s["title"].startswith("Agent after the run"))
    assert after["rows"] and all(row[-1] is True for row in after["rows"]), after
    # collect_logs, run from the installed role, puts its bundle under the same rule: reports/logs/<alarm>/
    bundles = glob.glob(os.path.join(user.project, "reports", "logs", "*", HOST + "*.tar.gz"))
    indexes = glob.glob(os.path.join(user.project, "reports", "logs", "*", "index.md"))
    assert bundles and indexes, sorted(os.listdir(os.path.join(user.project, "reports")))
