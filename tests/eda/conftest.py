"""EDA / AWX suite: real Alertmanager, real ansible-rulebook, real ansible-runner, the built-in lab.
Helpers live in eda_support.py; every server a fixture starts is stopped by pid in its finalizer."""
import json

import pytest

from tests.support.lab import lab  # noqa: F401  pylint: disable=unused-import
from tests.eda.eda_support import TOKEN, Alertmanager, Rulebook


# ------------------------------------------------------------------------------------------ fixtures
@pytest.fixture
def workdir(tmp_path):
    return str(tmp_path)


@pytest.fixture
def report_dir(tmp_path):
    path = tmp_path / "reports"
    path.mkdir()
    return str(path)


@pytest.fixture
def fake_inventory(tmp_path):
    """hosts that no connection can reach: any attempt to contact one fails with an unknown plugin."""
    inv = {
        "all": {
            "vars": {"ansible_connection": "alertops_no_such_connection"},
            "hosts": {
                "agent1": {"ansible_host": "198.18.0.11"},
                "agent2": {"ansible_host": "198.18.0.12"},
                "zk1": {"ansible_host": "198.18.0.13"},
                "zk2": {"ansible_host": "198.18.0.14"},
                "zk3": {"ansible_host": "198.18.0.15"},
                "zkb1": {"ansible_host": "198.18.0.23", "zookeeper_connections_group": "zookeeper_b"},
                "zkb2": {"ansible_host": "198.18.0.24", "zookeeper_connections_group": "zookeeper_b"},
                "twin": {"ansible_host": "198.18.0.11"},
            },
            "children": {
                "ocp_agents": {"hosts": {"agent1": None, "agent2": None}},
                "zookeeper": {"hosts": {"zk1": None, "zk2": None, "zk3": None, "zkb1": None, "zkb2": None}},
                "zookeeper_b": {"hosts": {"zkb1": None, "zkb2": None}},
            },
        }
    }
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inv))
    return str(path)


@pytest.fixture
def rulebook_factory(workdir):
    started = []

    def start(inventory, report_dir, **kw):
        rb = Rulebook(workdir, inventory, report_dir, **kw)
        started.append(rb)
        return rb

    yield start
    for rb in started:
        rb.stop()


@pytest.fixture
def alertmanager_factory(workdir):
    started = []

    def start(listen_address, webhook_url, token=TOKEN, group_by=("alertname", "instance", "ServerIP", "ClientIP")):
        am = Alertmanager(workdir, listen_address, webhook_url, token, list(group_by))
        started.append(am)
        return am

    yield start
    for am in started:
        am.stop()
