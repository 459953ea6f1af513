"""Every default is explained to an operator: each role variable (meta/argument_specs.yml) and each module
option that has a default says what the default does, and the role specs state the defaults that
defaults/main.yml sets."""
import glob
import json
import os
import subprocess

import pytest
import yaml

from tests.release.release_support import BIN, FQCN, ROOT

ROLES = sorted(p.split(os.sep)[-3] for p in glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml")))
MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")))


def text(description):
    return " ".join(description) if isinstance(description, list) else (description or "")


def load(*parts):
    with open(os.path.join(ROOT, *parts)) as fh:
        return yaml.safe_load(fh) or {}


def role_options(role):
    for entry, spec in load("roles", role, "meta", "argument_specs.yml")["argument_specs"].items():
        for name, option in (spec.get("options") or {}).items():
            yield entry, name, option


@pytest.mark.parametrize("role", ROLES)
def test_role_variables_say_what_their_default_does(role):
    silent = ["%s:%s" % (e, n) for e, n, o in role_options(role) if "default" in o and "default" not in text(o.get("description")).lower()]
    assert not silent, "say what the default does (\"By default ...\"): %s" % silent


@pytest.mark.parametrize("role", ROLES)
def test_role_specs_state_the_defaults_of_defaults_main(role):
    defaults = load("roles", role, "defaults", "main.yml")
    specs = dict((n, o) for e, n, o in role_options(role))
    for name, value in defaults.items():
        if name.startswith("__"):
            continue
        assert name in specs, "%s is in defaults/main.yml but not in meta/argument_specs.yml" % name
        if isinstance(value, str) and "{{" in value:
            assert "default" not in specs[name], "%s: computed in defaults/main.yml, described in words" % name
        else:
            assert specs[name].get("default") == value, name


@pytest.fixture(scope="module")
def module_docs():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    p = subprocess.run([os.path.join(BIN, "ansible-doc"), "-t", "module", "--json"] + [FQCN + "." + m for m in MODULES],
                       env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("module", MODULES)
def test_module_options_say_what_their_default_does(module_docs, module):
    options = module_docs[FQCN + "." + module]["doc"].get("options") or {}
    silent = [n for n, o in options.items() if o.get("default") is not None and "default" not in text(o.get("description")).lower()]
    assert not silent, "say what the default does (\"By default ...\"): %s" % silent
