"""The lab's ZooKeeper ensemble seen from the controller: four-letter words through the collection's
ZkClient (plugins/module_utils/zookeeper.py), modes, the quorum wait, starting a stopped server."""
import sys
import time

from labkit.base import COLLECTIONS, ZKCTL, LabError
from labkit.netns import exec_in_host

def zookeeper():
    """the collection's ZooKeeper client module, imported when first needed: conftests import the lab API
    before pytest-ansible installs Ansible's collection loader, and a collection module imported that
    early would leave the collection without the metadata every later import from it needs."""
    if COLLECTIONS not in sys.path:
        sys.path.insert(0, COLLECTIONS)
    try:
        from ansible_collections.alertops.remediation.plugins.module_utils import zookeeper as module
    except ImportError as exc:
        raise LabError("cannot import the collection's ZooKeeper client (%s): run `make setup`, which links this "
                       "checkout under %s, and use .venv/bin/python (it has ansible-core)" % (exc, COLLECTIONS))
    return module


def four_letter(addr, word, port=2181, timeout=3.0):
    """the reply to a four-letter word as text (refusals such as the whitelist's included);
    ZkError when the server cannot be reached or closes the connection without a reply."""
    return zookeeper().ZkClient(host=addr, port=port, timeout=timeout).raw(word)


def zk_mode(addr):
    """leader, follower, observer or standalone; None while the server does not serve."""
    zk = zookeeper()
    try:
        return zk.ZkClient(host=addr, timeout=3.0).srvr()["mode"]
    except zk.ZkError:
        return None


def wait_quorum(spec, timeout=60):
    zk_hosts = [n for n, h in spec["hosts"].items() if "zookeeper" in h["groups"]]
    if not zk_hosts:
        return {}
    observers = [n for n in zk_hosts if spec["hosts"][n]["zookeeper"]["peer_type"] == "observer"]
    deadline = time.time() + timeout
    while True:
        modes = {n: zk_mode(spec["hosts"][n]["address"]) for n in zk_hosts}
        vals = list(modes.values())
        if len(zk_hosts) == 1 and vals == ["standalone"]:
            return modes
        if vals.count("leader") == 1 and vals.count("follower") == len(zk_hosts) - len(observers) - 1 \
                and all(modes[n] == "observer" for n in observers):
            return modes
        if time.time() > deadline:
            raise LabError("ZooKeeper has no quorum after %ds: %s" % (timeout, modes))
        time.sleep(0.3)


def ensure_zookeeper(state, name):
    """start ZooKeeper on a zk host when it is not running (zkctl start is a no-op when it runs)."""
    p = exec_in_host(state, name, [ZKCTL, "status"], check=False)
    if p.returncode == 0:
        return False
    exec_in_host(state, name, [ZKCTL, "start", "--no-wait"])
    return True
