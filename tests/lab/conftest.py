"""The lab suite: one lab for the whole session (tests/support/lab.py), torn down at the end."""
from tests.support.lab import lab  # noqa: F401  pylint: disable=unused-import
