# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediation_common's meta/argument_specs.yml: every entry point is documented (antsibull-docs refuses
one without a description) and every default it states is the one defaults/main.yml sets."""
import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLE = os.path.join(ROOT, "roles", "remediation_common")


def load(*parts):
    with open(os.path.join(ROLE, *parts)) as fh:
        return yaml.safe_load(fh)


SPECS = load("meta", "argument_specs.yml")["argument_specs"]
DEFAULTS = load("defaults", "main.yml")
TASK_FILES = sorted(f[:-4] for f in os.listdir(os.path.join(ROLE, "tasks")) if f.endswith(".yml"))


def test_every_task_file_is_an_entry_point():
    assert sorted(SPECS) == TASK_FILES


@pytest.mark.parametrize("entry", TASK_FILES)
def test_entry_point_is_described(entry):
    spec = SPECS[entry]
    assert spec.get("short_description", "").strip()
    description = spec.get("description")
    assert description and all(isinstance(d, str) and d.strip() for d in description)
    for name, option in (spec.get("options") or {}).items():
        assert option.get("description"), name
        assert option.get("type"), name


@pytest.mark.parametrize("entry", TASK_FILES)
def test_stated_defaults_are_the_role_defaults(entry):
    for name, option in (SPECS[entry].get("options") or {}).items():
        if "default" in option:
            assert DEFAULTS[name] == option["default"], name
        elif not option.get("required"):
            assert name not in DEFAULTS or name == "remediation_common_run_id", name


def test_every_default_is_documented():
    documented = set(n for spec in SPECS.values() for n in (spec.get("options") or {}))
    assert set(DEFAULTS) <= documented
