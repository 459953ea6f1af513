"""Everything under plugins/ runs on managed hosts with Python 3.6: it must parse as 3.6 code."""
import ast
import glob
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = sorted(glob.glob(os.path.join(ROOT, "plugins", "**", "*.py"), recursive=True))


def test_plugins_found():
    assert any(f.endswith("port_release.py") for f in FILES)


@pytest.mark.parametrize("path", FILES, ids=lambda p: os.path.relpath(p, ROOT))
def test_parses_as_python36(path):
    with open(path) as handle:
        source = handle.read()
    ast.parse(source, filename=path, feature_version=(3, 6))
    assert "from __future__ import annotations" not in source
