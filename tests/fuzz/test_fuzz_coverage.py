"""Every module and every option is fuzzed: the options with hostile cases are exactly each module's
argument spec (and its documentation), so a new module or a new option without fuzz cases fails here.

A module with main() is run standalone by the suite (its AnsibleModule argument spec is read by running
main() with AnsibleModule stood in); an action plugin's options (its _VALID_ARGS) are fuzzed through
ansible-playbook. Documented options come from ansible-doc, doc fragments included."""
import glob
import importlib
import json
import os
import subprocess
import sys

import pytest

from tests.fuzz import actions, harness

MODULES = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(harness.ROOT, "plugins", "modules", "*.py"))
                 if not p.endswith("__init__.py"))
PREFIX = "ansible_collections.alertops.remediation.plugins."


def fuzzed():
    """{(name, 'module' or 'action'): set of options with hostile cases} over every test_fuzz_* file."""
    out = {}
    for path in sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_fuzz_*.py"))):
        name = os.path.basename(path)[:-3]
        if name == "test_fuzz_coverage":
            continue
        for value in vars(importlib.import_module("tests.fuzz." + name)).values():
            if isinstance(value, harness.Target):
                kind = "action" if isinstance(value, actions.ActionTarget) else "module"
                out.setdefault((value.name, kind), set()).update(value.options)
    return out


class _Spec(Exception):
    def __init__(self, spec):
        Exception.__init__(self, "argument spec captured")
        self.spec = spec


def module_spec(name, monkeypatch):
    """The argument spec main() gives AnsibleModule, or None for a module run by its action plugin only."""
    module = importlib.import_module(PREFIX + "modules." + name)
    if not hasattr(module, "main"):
        return None

    def capture(argument_spec, **kwargs):
        raise _Spec(argument_spec)

    monkeypatch.setattr(module, "AnsibleModule", capture)
    with pytest.raises(_Spec) as captured:
        module.main()
    return set(captured.value.spec)


def action_options(name):
    path = os.path.join(harness.ROOT, "plugins", "action", name + ".py")
    if not os.path.exists(path):
        return None
    return set(importlib.import_module(PREFIX + "action." + name).ActionModule._VALID_ARGS)


@pytest.fixture(scope="module")
def documented():
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=harness.COLLECTIONS, ANSIBLE_CONFIG=os.path.join(harness.ROOT, "ansible.cfg"))
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", "module", "-j"]
                          + ["alertops.remediation." + m for m in MODULES], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    docs = json.loads(proc.stdout.decode())
    return dict((name.rsplit(".", 1)[1], set(doc["doc"].get("options") or {})) for name, doc in docs.items())


def test_the_suite_knows_every_module():
    assert "log_window" in MODULES and "remediation_lock" in MODULES and len(MODULES) >= 9


@pytest.mark.parametrize("name", MODULES)
def test_every_option_of_every_module_is_fuzzed(name, monkeypatch, documented):
    cases = fuzzed()
    spec = module_spec(name, monkeypatch)
    valid_args = action_options(name)
    assert spec is not None or valid_args is not None, "%s: neither a main() nor an action plugin" % name
    if spec is not None:
        assert cases.get((name, "module"), set()) == spec, \
            "%s: options with fuzz cases %s, argument spec %s" % (name, sorted(cases.get((name, "module"), ())), sorted(spec))
        assert spec == documented[name], "%s: argument spec and documentation differ" % name
    if valid_args is not None:
        assert cases.get((name, "action"), set()) == valid_args, \
            "%s action: options with fuzz cases %s, _VALID_ARGS %s" % (name, sorted(cases.get((name, "action"), ())),
                                                                       sorted(valid_args))
        assert valid_args <= documented[name], "%s action: options not documented" % name
