"""The built-in lab for test suites: a session fixture and helpers.

Use it from a conftest.py:

    pytest_plugins = ["tests.support.lab"]      # gives the session fixture `lab`

The fixture brings the lab up when it is not up (and repairs it when it is: `up` is idempotent), and
brings it down at the end of the session only when it brought it up, also when tests fail or the run is
interrupted. LAB_KEEP=1 keeps a lab this session created (for debugging). Faults this session injected
and still running at the end are undone; other sessions' faults are left alone.

LAB_SHARED=1: the lab was brought up by `make lab-up` for several sessions, which may also run at the same
time (`make -j2 lab-ensemble lab-agents`). The lab must be up already, and it is not repaired: a repair
restarts a ZooKeeper member another session stopped on purpose.
"""
# pylint: disable=disallowed-name
import contextlib
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB_DIR = os.path.join(ROOT, "lab")
if LAB_DIR not in sys.path:
    sys.path.insert(0, LAB_DIR)

from labapi import Lab, LabError  # noqa: E402,F401  pylint: disable=unused-import


@pytest.fixture(scope="session")
def lab():
    """a Lab (lab/labapi.py) that is up for the whole session."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (namespaces, veth, mounts)")
    the_lab = Lab.load()
    created = not the_lab.is_up() and not os.path.exists(os.path.join(the_lab.state_dir, "lab.json"))
    if os.environ.get("LAB_SHARED") == "1":
        if created or not the_lab.is_up():
            pytest.fail("LAB_SHARED=1 but the lab is not up (make lab-up)")
        try:
            yield the_lab
        finally:
            _finish(the_lab, take_down=False)
        return
    try:
        the_lab._created_by_session = created
        the_lab.up()  # creates, or repairs/reports (idempotent); a failed first up undoes itself
        yield the_lab
    finally:
        _finish(the_lab, take_down=created and not os.environ.get("LAB_KEEP"))


def _finish(a_lab, take_down):
    """undo this session's faults still running, then take the lab down when asked (also when undoing fails)."""
    try:
        if os.path.exists(os.path.join(a_lab.state_dir, "lab.json")):
            a_lab.undo_mine()
    finally:
        if take_down:
            a_lab.down()


@contextlib.contextmanager
def lab_with_spec(spec_path):
    """The lab built from another spec (e.g. lab/specs/observer.yml) for the duration of the block.

    Only one lab fits on the machine: a lab that is up when the block starts (the session's) is taken
    down first and brought back (same spec, alert URL and fleet) afterwards, also when the block fails.
    """
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (namespaces, veth, mounts)")
    current = Lab.load()
    state = current.state()
    previous = state and (state["spec_path"], state.get("alert_url") or None, state.get("agents"))
    if previous:
        current.undo_all()
        current.down()
    other = Lab.load(spec_path)
    try:
        other.up()
        yield other
    finally:
        try:
            _finish(other, take_down=True)
        finally:
            if previous:
                Lab.load(previous[0]).up(alertmanager_url=previous[1], agents=previous[2])


def ansible_env(extra=None):
    """environment for running ansible/ansible-playbook from tests against lab/inventory.yml."""
    env = dict(os.environ)
    bin_dir = os.path.join(ROOT, ".venv", "bin")
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    env.setdefault("ANSIBLE_CONFIG", os.path.join(ROOT, "ansible.cfg"))
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".build", "collections"))
    env.setdefault("ANSIBLE_LOCAL_TEMP", os.path.join(ROOT, ".build", "ansible-tmp"))
    env.setdefault("ANSIBLE_HOME", os.path.join(ROOT, ".build", "ansible-home"))
    env.setdefault("ANSIBLE_DEPRECATION_WARNINGS", "False")
    env.update(extra or {})
    return env


def run_ansible(lab, argv, timeout=300, check=False):
    """run an ansible CLI (argv[0] e.g. 'ansible' or 'ansible-playbook') with -i lab/inventory.yml."""
    exe = os.path.join(ROOT, ".venv", "bin", argv[0])
    p = subprocess.run([exe, "-i", lab.inventory_path] + list(argv[1:]), env=ansible_env(), cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout, check=False)
    if check and p.returncode != 0:
        raise AssertionError("%s failed (rc=%d)\n%s\n%s" % (" ".join(argv), p.returncode, p.stdout, p.stderr))
    return p


def read_jsonl(path):
    out = []
    try:
        with open(path) as fh:
            for line in fh:
                if line.endswith("\n") and line.strip():
                    out.append(json.loads(line))
    except FileNotFoundError:
        pass
    return out


def verify_acknowledged_writes(lab, log_path, timeout=15.0):
    """read every write zk-writes logged as acknowledged back from the ensemble (from the controller).
    Returns {"acknowledged": n, "missing": [paths], "wrong_value": [paths]}."""
    from kazoo.client import KazooClient
    from kazoo.exceptions import NoNodeError

    writes = read_jsonl(log_path)
    hosts = ",".join("%s:2181" % lab.address(h) for h in lab.group("zookeeper"))
    zk = KazooClient(hosts=hosts, timeout=10.0)
    zk.start(timeout=timeout)
    missing, wrong = [], []
    try:
        zk.sync("/")
        for w in writes:
            try:
                data, _ = zk.get(w["path"])
            except NoNodeError:
                missing.append(w["path"])
                continue
            if data.decode() != w["value"]:
                wrong.append(w["path"])
    finally:
        zk.stop()
        zk.close()
    return {"acknowledged": len(writes), "missing": missing, "wrong_value": wrong}
