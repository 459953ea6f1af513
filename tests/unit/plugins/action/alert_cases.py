"""Shared test data of the alert routing unit tests: the routes file, an inventory, an alert."""
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
with open(os.path.join(ROOT, "playbooks", "vars", "alert_routes.yml")) as _fh:
    _ROUTES_FILE = yaml.safe_load(_fh)
ROUTES = _ROUTES_FILE["alert_routes"]
FORBIDDEN = _ROUTES_FILE["alert_route_forbidden_chars"]
PORTS = "no_port_mapping_for_exporter"
ZK = "ALM-13007"
START = "2026-11-21T10:15:30.123456789Z"

# the inventory of the playbook-level suites too (tests/eda/conftest.py fake_inventory)
FAKE_HOSTS = {
    "agent1": {"ansible_host": "198.18.0.11"},
    "agent2": {"ansible_host": "198.18.0.12"},
    "zk1": {"ansible_host": "198.18.0.13"},
    "zk2": {"ansible_host": "198.18.0.14"},
    "zk3": {"ansible_host": "198.18.0.15"},
    "zkb1": {"ansible_host": "198.18.0.23", "zookeeper_connections_group": "zookeeper_b"},
    "zkb2": {"ansible_host": "198.18.0.24", "zookeeper_connections_group": "zookeeper_b"},
    "twin": {"ansible_host": "198.18.0.11"},
}
FAKE_GROUPS = {
    "ocp_agents": ["agent1", "agent2"],
    "zookeeper": ["zk1", "zk2", "zk3", "zkb1", "zkb2"],
    "zookeeper_b": ["zkb1", "zkb2"],
}
# and corner cases for the unit tables: no ansible_host, ensemble groups that are wrong in three ways
HOSTS = dict(FAKE_HOSTS, noaddr={},
             zkx={"ansible_host": "198.18.0.30", "zookeeper_connections_group": "zookeeper_x"},
             zky={"ansible_host": "198.18.0.31", "zookeeper_connections_group": "no_such_group"},
             zkz={"ansible_host": "198.18.0.32", "zookeeper_connections_group": "zookeeper_b"})
GROUPS = dict(FAKE_GROUPS, all=list(HOSTS), ocp_agents=FAKE_GROUPS["ocp_agents"] + ["noaddr"],
              zookeeper=FAKE_GROUPS["zookeeper"] + ["zkx", "zky", "zkz"], zookeeper_x=["zkx", "agent2"])


def firing(labels, **extra):
    alert = {"status": "firing", "labels": labels, "startsAt": START, "endsAt": "2026-11-21T10:18:30Z",
             "annotations": {"summary": "x"}, "fingerprint": "a1b2c3d4e5f60718"}
    alert.update(extra)
    return alert
