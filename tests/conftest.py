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


def pytest_collection_modifyitems(items):
    """Mark every test that needs the built-in lab as `lab`: `-m "not lab"` selects the tests that may run in
    parallel (pytest-xdist) and next to a lab, `-m lab` the ones that share one lab bring-up (Makefile,
    `make test`). A test needs the lab when it uses tests/support/lab.py's `lab` fixture (directly or
    through another fixture) or its module uses `lab_with_spec`; a test module's own fixture that happens
    to be called `lab` does not count."""
    for item in items:
        if _needs_lab(item):
            item.add_marker(pytest.mark.lab)
        if _uses_spec_lab(item):
            item.add_marker(pytest.mark.lab_spec)


def _from_lab_support(obj, name):
    return getattr(obj, "__module__", None) == "tests.support.lab" and getattr(obj, "__name__", None) == name


def _needs_lab(item):
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.get("lab", ()) if info else ()
    if defs and _from_lab_support(defs[-1].func, "lab"):
        return True
    return _uses_spec_lab(item)


def _uses_spec_lab(item):
    module = getattr(item, "module", None)
    return module is not None and any(_from_lab_support(v, "lab_with_spec") for v in vars(module).values())
