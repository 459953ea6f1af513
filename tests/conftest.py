"""Make the checkout importable as ansible_collections.alertops.remediation (make creates the link)."""
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
for path in (COLLECTIONS, ROOT):
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture
def validated_report_dir(tmp_path):
    """A report directory for a test; every report written into it must keep docs/report.schema.json
    (checked when the test ends, see tests/support/reports.py)."""
    from tests.support.reports import assert_valid_reports

    path = tmp_path / "reports"
    path.mkdir()
    yield str(path)
    assert_valid_reports(str(path), minimum=0)
