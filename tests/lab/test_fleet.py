"""A fleet of OCP-Agent hosts next to the default lab (`labctl.py up --agents N`, lab/fleet.yml): added to
and removed from a running lab, both generations alternating, each a working agent host over SSH."""
# pylint: disable=redefined-outer-name
import os
import subprocess
import time
import urllib.error
import urllib.request

import pytest
import yaml

from tests.support.lab import ROOT, run_ansible

LABCTL = [os.path.join(ROOT, ".venv", "bin", "python"), os.path.join(ROOT, "lab", "labctl.py")]
N = 4
NAMES = ["fleet%03d" % i for i in range(1, N + 1)]
EXPORTERS = {"legacy": [(62888, "/"), (62889, "/metrics/stat"), (63000, "/metrics")],
             "agentctl": [(62888, "/api/v1/status"), (62889, "/metrics/node/host")]}


@pytest.fixture(scope="module")
def fleet(lab):
    """the session's lab with N fleet agents, added through the CLI; back to no fleet afterwards."""
    before = {h: lab.init_pid(h) for h in lab.hosts}
    try:
        p = subprocess.run(LABCTL + ["up", "--agents", str(N)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=300, check=False)
        assert p.returncode == 0, p.stderr
        lab.reload()
        yield lab, before, p.stderr
    finally:
        lab.up(agents=0)


def http_status(url):
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def bridge_ports(lab):
    sw = lab.state()["switch"]["pid"]
    out = subprocess.run(["nsenter", "-t", str(sw), "-n", "ip", "-o", "link", "show", "master", "br0"],
                         stdout=subprocess.PIPE, text=True, check=False).stdout
    return sorted(line.split(":")[1].strip().split("@")[0] for line in out.splitlines())


def test_fleet_hosts_are_added_next_to_the_default_hosts(fleet):
    lab, before, output = fleet
    assert lab.group("fleet") == NAMES
    assert [lab.address(n) for n in NAMES] == ["198.18.0.%d" % (100 + i) for i in range(N)]
    assert [lab.hosts[n]["ocp_agent_flavor"] for n in NAMES] == ["legacy", "agentctl"] * (N // 2)
    assert set(NAMES) <= set(lab.group("ocp_agents"))
    for name in NAMES:
        assert "host %s created" % name in output
    # the hosts that were up are left alone (same init), and nothing else was created
    assert {h: lab.init_pid(h) for h in before} == before
    assert "host agent1 created" not in output
    groups = yaml.safe_load(open(lab.inventory_path))["all"]["children"]
    assert sorted(groups["fleet"]["hosts"]) == NAMES
    assert set(NAMES) <= set(groups["ocp_agents"]["hosts"])
    assert bridge_ports(lab) == sorted(["sw-ctl"] + ["v-" + h for h in lab.hosts])
    # every host knows the fleet by name
    hosts_file = lab.exec("agent1", ["cat", "/etc/hosts"]).stdout
    assert "198.18.0.103\tfleet004" in hosts_file


def test_every_fleet_agent_serves_its_exporters(fleet):
    lab = fleet[0]
    deadline = time.monotonic() + 60
    for name in NAMES:
        for port, path in EXPORTERS[lab.hosts[name]["ocp_agent_flavor"]]:
            url = "http://%s:%d%s" % (lab.address(name), port, path)
            while http_status(url) != 200 and time.monotonic() < deadline:
                time.sleep(0.5)
            assert http_status(url) == 200, url


def test_ansible_reaches_every_fleet_host_over_ssh(fleet):
    lab = fleet[0]
    p = run_ansible(lab, ["ansible", "fleet", "-o", "-m", "ansible.builtin.command", "-a", "cat /etc/hostname"])
    assert p.returncode == 0, p.stdout + p.stderr
    lines = sorted(line for line in p.stdout.splitlines() if "CHANGED" in line)
    assert [line.split(" | ")[0] for line in lines] == NAMES
    for line in lines:
        assert line.endswith("(stdout) " + line.split(" | ")[0]), line


def test_status_reports_what_each_host_costs(fleet):
    lab = fleet[0]
    st = lab.status()
    assert st["up"] and st["agents"] == N
    for name in NAMES:
        cost = st["hosts"][name]["usage"]
        # init, sshd, the guardian and its children (the legacy agent's node_exporter too), and unshare
        assert cost["processes"] >= 5, cost
        assert 5 * 1024 < cost["pss_kib"] < 512 * 1024, cost
        assert cost["cpu_seconds"] >= 0
    text = subprocess.run(LABCTL + ["status"], stdout=subprocess.PIPE, text=True, check=False).stdout
    line = [row for row in text.splitlines() if row.split()[0] == "fleet001"][0]
    fields = line.split()
    assert fields[1:4] == ["198.18.0.100", "running", "ssh=ok"] and fields[4].isdigit() and fields[5] == "MiB", line


def test_up_keeps_the_fleet_and_a_smaller_number_removes_hosts(fleet):
    lab = fleet[0]
    report = lab.up()
    assert lab.group("fleet") == NAMES and not [line for line in report if "removed" in line]
    gone = {h: lab.init_pid(h) for h in NAMES[2:]}
    kept = {h: lab.init_pid(h) for h in NAMES[:2]}
    report = lab.up(agents=2)
    assert ["host %s removed" % h for h in NAMES[2:]] == [line for line in report if "removed" in line]
    assert lab.group("fleet") == NAMES[:2]
    assert {h: lab.init_pid(h) for h in NAMES[:2]} == kept
    for host, pid in gone.items():
        assert not os.path.exists("/proc/%d" % pid) or b"labctl.py" not in open("/proc/%d/cmdline" % pid, "rb").read()
        assert not os.path.exists(os.path.join(lab.state_dir, "hosts", host))
        assert host not in lab.state()["hosts"]
    assert bridge_ports(lab) == sorted(["sw-ctl"] + ["v-" + h for h in lab.hosts])
    assert "fleet003" not in open(lab.inventory_path).read()
    assert "fleet003" not in lab.exec("agent1", ["cat", "/etc/hosts"]).stdout


def test_a_host_made_again_at_the_same_address_is_reachable_at_once(fleet):
    """fleet003 was removed above; made again it has a new eth0, and the machine's (and the other
    hosts') ARP caches still hold the old one's address: the host must keep its MAC."""
    lab = fleet[0]
    report = lab.up(agents=3)  # up waits at most 20 s for each sshd, then fails
    assert "host fleet003 created" in report
    p = run_ansible(lab, ["ansible", "fleet003", "-o", "-m", "ansible.builtin.ping"])
    assert p.returncode == 0, p.stdout + p.stderr
    for host, octet in (("fleet002", 101), ("fleet003", 102)):
        link = lab.exec(host, ["ip", "-o", "link", "show", "dev", "eth0"]).stdout
        assert "link/ether 02:00:c6:12:00:%02x " % octet in link, link
