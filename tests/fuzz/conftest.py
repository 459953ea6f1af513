"""The fuzz suite's shared directory and the seed in the header of every run."""
import os
import shutil
import tempfile

import pytest

from tests.fuzz import harness


def _settings():
    return "fuzz: FUZZ_SEED=%d FUZZ_CASES=%d FUZZ_JOBS=%d" % (harness.SEED, harness.CASES, harness.JOBS)


def pytest_report_header(config):
    return _settings()


def pytest_terminal_summary(terminalreporter):
    """The seed at the end of every run (-q hides the header): replay a failure with it."""
    terminalreporter.write_line(_settings())


@pytest.fixture(scope="session")
def fuzz_root():
    """Where the cases' directories live: one any user can enter (cases also run as uid 65534)."""
    path = tempfile.mkdtemp(prefix="alertops-fuzz-")
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
