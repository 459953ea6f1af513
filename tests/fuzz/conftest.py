"""The fuzz suite's shared directory and the seed in the header of every run."""
import os
import shutil
import tempfile

import pytest

from tests.fuzz import harness


def pytest_report_header(config):
    return "fuzz: FUZZ_SEED=%d FUZZ_CASES=%d FUZZ_JOBS=%d" % (harness.SEED, harness.CASES, harness.JOBS)


@pytest.fixture(scope="session")
def fuzz_root():
    """Where the cases' directories live: one any user can enter (cases also run as uid 65534)."""
    path = tempfile.mkdtemp(prefix="alertops-fuzz-")
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
