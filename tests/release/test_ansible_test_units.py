"""`ansible-test units` is the unit suite, in the repository and on the tests the tarball ships: every group
runs its tests (none ends as "no tests ran", which ansible-test counts as a pass) and a failing test
fails the run."""
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from tests.release.release_support import BIN, NAME, NAMESPACE, ROOT, extract
from tests.support.modrun import shared_tempdir

PYTHON = "3.11"
FAILING = '''
def test_fails_on_purpose():
    assert 1 + 1 == 3, "a unit test that fails on purpose"
'''


def checkout_copy(collections_root):
    """The files git knows, laid out as ansible_collections/<ns>/<name> (what `make sanity` does)."""
    dest = os.path.join(collections_root, "ansible_collections", NAMESPACE, NAME)
    os.makedirs(dest)
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            stdout=subprocess.PIPE, check=True).stdout
    subprocess.run(["rsync", "-a", "--from0", "--ignore-missing-args", "--files-from=-", "./", dest + "/"],
                   cwd=ROOT, input=listed, check=True)
    return dest


@pytest.fixture(params=["repository", "tarball"])
def tree(request, tmp_path, tarball):
    """The collection as ansible-test runs it, where any user can read it (some unit tests run a module
    as nobody): the repository's files, or the tarball unpacked. HOME holds ansible-test's cache with
    its offline pip stand-in, as `make sanity` uses."""
    home = tmp_path / "home"
    cache = home / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "tests", "sanity", "bootstrap", "get_pip_offline.py"), str(cache / "get_pip_24_2.py"))
    with shared_tempdir("units-tree-") as shared:
        top = checkout_copy(shared) if request.param == "repository" else extract(tarball, shared)
        yield top, str(home)


def ansible_test_units(tree, home, *targets):
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "PYTEST_")))
    env.update(HOME=home, PATH=BIN + os.pathsep + env["PATH"])
    return subprocess.run([os.path.join(BIN, "ansible-test"), "units", "--local", "--python", PYTHON, "--color", "no"]
                          + list(targets), cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=1200, check=False)


def junit_counts(tree, group):
    suite = ET.parse(os.path.join(tree, "tests", "output", "junit", "python%s-%s-units.xml" % (PYTHON, group)))
    node = suite.getroot()
    node = node if node.tag == "testsuite" else node.find("testsuite")
    return dict((k, int(node.get(k))) for k in ("tests", "failures", "errors", "skipped"))


def test_every_group_runs_the_unit_tests(tree):
    top, home = tree
    run = ansible_test_units(top, home)
    assert run.returncode == 0, run.stdout[-6000:]
    for group in ("modules", "module_utils", "controller"):
        counts = junit_counts(top, group)
        assert counts["tests"] > counts["skipped"] and counts["failures"] == counts["errors"] == 0, (group, counts)
    assert not os.path.exists(os.path.join(top, "collections")), "a pytest plugin wrote links into the collection"


@pytest.mark.parametrize("where", ["plugins/modules", "plugins/filter"])
def test_a_failing_unit_test_fails_ansible_test(tree, where):
    top, home = tree
    target = os.path.join("tests", "unit", where, "test_fails_on_purpose.py")
    with open(os.path.join(top, target), "w") as fh:
        fh.write(FAILING)
    run = ansible_test_units(top, home, target)
    assert run.returncode != 0, run.stdout[-4000:]
    assert "test_fails_on_purpose" in run.stdout and "1 failed" in run.stdout, run.stdout[-4000:]
