"""EDA / AWX suite: real Alertmanager, real ansible-rulebook, real ansible-runner, the built-in lab.
Helpers live in eda_support.py; every server a fixture starts is stopped by pid in its finalizer."""
import json

import pytest

from tests.support.lab import lab  # noqa: F401  pylint: disable=unused-import
from tests.eda.eda_support import TOKEN, Alertmanager, Rulebook
from tests.unit.plugins.action.alert_cases import FAKE_GROUPS, FAKE_HOSTS


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
    inv = {"all": {"vars": {"ansible_connection": "alertops_no_such_connection"}, "hosts": FAKE_HOSTS,
                   "children": {group: {"hosts": dict.fromkeys(hosts)} for group, hosts in FAKE_GROUPS.items()}}}
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
