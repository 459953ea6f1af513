"""Make the checkout importable as ansible_collections.alertops.remediation (make creates the link)."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
for path in (COLLECTIONS, ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    """Under `ansible-test units` keep the collection path ansible-test chose. pytest-ansible (a dev
    requirement) otherwise points ANSIBLE_COLLECTIONS_PATH at a symlink tree it writes into the collection;
    ansible-test's xdist workers inherit that, cannot place a single test under it, crash, and the
    controller group ends as "no tests ran", which ansible-test counts as a pass. Its inject-only mode
    uses the path ansible-test set."""
    if "ansible_pytest_collections" in os.environ.get("PYTEST_PLUGINS", "").split(","):
        config.option.ansible_unit_inject_only = True


@pytest.fixture
def validated_report_dir(tmp_path):
    """A report directory for a test; every report written into it must keep docs/report.schema.json
    (checked when the test ends, see tests/support/reports.py)."""
    from tests.support.reports import assert_valid_reports

    path = tmp_path / "reports"
    path.mkdir()
    yield str(path)
    assert_valid_reports(str(path), minimum=0)
