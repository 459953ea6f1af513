"""lab-up twice is idempotent; after down nothing of the lab remains. Runs last (file name)."""
# pylint: disable=disallowed-name
import os
import subprocess

import pytest

from tests.support.lab import ROOT

LABCTL = [os.path.join(ROOT, ".venv", "bin", "python"), os.path.join(ROOT, "lab", "labctl.py")]


def test_up_twice_is_idempotent(lab):
    inits = {h: lab.init_pid(h) for h in lab.hosts}
    inventory = open(lab.inventory_path).read()
    for _ in range(2):
        p = subprocess.run(LABCTL + ["up"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
        assert p.returncode == 0, p.stderr
        assert "already up: nothing to repair" in p.stderr
    assert {h: lab.init_pid(h) for h in lab.hosts} == inits
    assert open(lab.inventory_path).read() == inventory
    # one veth per host plus the controller's on the bridge, one controller interface on the machine
    sw = lab._state()["switch"]["pid"]
    links = subprocess.run(["nsenter", "-t", str(sw), "-n", "ip", "-o", "link", "show", "master", "br0"],
                           stdout=subprocess.PIPE, text=True, check=False).stdout.splitlines()
    assert len(links) == len(lab.hosts) + 1
    ctl_if = lab.spec["network"]["controller_interface"]
    addrs = subprocess.run(["ip", "-o", "-4", "addr", "show"], stdout=subprocess.PIPE, text=True, check=False).stdout
    assert [line.split()[1] for line in addrs.splitlines() if " 198.18." in line] == [ctl_if]
    st = subprocess.run(LABCTL + ["status"], stdout=subprocess.PIPE, text=True, check=False)
    assert st.returncode == 0 and st.stdout.startswith("lab: up")


def namespaces_of(pid):
    out = set()
    for ns in ("net", "pid", "mnt", "uts"):
        try:
            out.add(os.readlink("/proc/%d/ns/%s" % (pid, ns)))
        except OSError:
            pass
    return out


def test_down_leaves_nothing(lab):
    state = lab._state()
    if state.get("up_at") is None or not getattr(lab, "_created_by_session", True):
        pytest.skip("lab not created by this session")
    mine = namespaces_of(os.getpid())
    lab_ns = set()
    pids = [state["switch"]["pid"]]
    for rec in state["hosts"].values():
        pids += [rec["init"]["pid"], rec["unshare"]["pid"]]
        lab_ns |= namespaces_of(rec["init"]["pid"])
    lab_ns |= namespaces_of(state["switch"]["pid"])
    lab_ns -= mine
    assert len(lab_ns) >= 4 * len(lab.hosts)
    p = subprocess.run(LABCTL + ["down"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120, check=False)
    assert p.returncode == 0, p.stderr
    # no process of the lab
    for pid in pids:
        assert not os.path.exists("/proc/%d" % pid) or b"labctl.py" not in open("/proc/%d/cmdline" % pid, "rb").read()
    leftovers = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            cmd = open("/proc/%s/cmdline" % d, "rb").read()
        except OSError:
            continue
        if os.path.join(ROOT, "lab").encode() in cmd or namespaces_of(int(d)) & lab_ns:
            leftovers.append((d, cmd))
    assert leftovers == []
    # no namespace (nobody holds one), no interface, no address, no mount, no state file
    ctl_if = lab.spec["network"]["controller_interface"]
    assert subprocess.run(["ip", "link", "show", "dev", ctl_if], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, check=False).returncode != 0
    assert " 198.18." not in subprocess.run(["ip", "-o", "addr"], stdout=subprocess.PIPE, text=True, check=False).stdout
    assert ".state" not in open("/proc/self/mountinfo").read()
    assert not os.path.exists(lab.state_dir)
    assert not os.path.exists(lab.inventory_path)
    if os.path.isdir("/run/netns"):
        assert not [n for n in os.listdir("/run/netns") if n.startswith(("lab", "alab"))]
    # and down again is harmless
    assert subprocess.run(LABCTL + ["down"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False).returncode == 0
