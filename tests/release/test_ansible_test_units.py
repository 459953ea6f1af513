"""`ansible-test units` is the unit suite, in the repository and on the tests the tarball ships: every group
runs its tests (none ends as "no tests ran", which ansible-test counts as a pass) and a failing test
fails the run."""
import contextlib
import os
import re
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


@contextlib.contextmanager
def units_tree(kind, tmp_path, tarball):
    """The collection as ansible-test runs it, where any user can read it (some unit tests run a module
    as nobody): the repository's files, or the tarball unpacked. HOME holds ansible-test's cache with
    its offline pip stand-in, as `make sanity` uses."""
    home = tmp_path / "home"
    cache = home / ".ansible" / "test" / "cache"
    cache.mkdir(parents=True)
    shutil.copy(os.path.join(ROOT, "tests", "sanity", "bootstrap", "get_pip_offline.py"), str(cache / "get_pip_24_2.py"))
    with shared_tempdir("units-tree-") as shared:
        top = checkout_copy(shared) if kind == "repository" else extract(tarball, shared)
        yield top, str(home)


@pytest.fixture(params=["repository", "tarball"])
def tree(request, tmp_path):
    tarball = request.getfixturevalue("tarball") if request.param == "tarball" else None
    with units_tree(request.param, tmp_path, tarball) as found:
        yield found


@pytest.fixture
def repository(tmp_path):
    with units_tree("repository", tmp_path, None) as found:
        yield found


@pytest.fixture
def unpacked(tmp_path, tarball):
    with units_tree("tarball", tmp_path, tarball) as found:
        yield found


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


def collected_per_group(output):
    """{group: tests collected} from `ansible-test units --collect-only` output."""
    counts, group = {}, None
    for line in output.splitlines():
        m = re.match(r"Unit test (\w+) with Python", line)
        if m:
            group = m.group(1)
        m = re.search(r"(\d+) tests? collected", line)
        if m and group:
            counts[group] = int(m.group(1))
    return counts


def pytest_collects(top):
    """how many tests plain pytest finds under tests/unit of the same tree (what `make units` runs)."""
    p = subprocess.run([os.path.join(BIN, "pytest"), "-p", "no:cacheprovider", "-q", "--collect-only", "tests/unit"],
                       cwd=top, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
    m = re.search(r"(\d+) tests? collected", p.stdout)
    assert m, p.stdout[-3000:]
    return int(m.group(1))


def test_every_group_collects_the_unit_suite_in_the_repository(repository):
    """The controller group collected nothing before: every group collects, together the whole suite
    plain pytest finds. (The repository's suite runs in full in `make units`; a failing test failing
    ansible-test is shown below on both trees.)"""
    top, home = repository
    run = ansible_test_units(top, home, "--collect-only")
    assert run.returncode == 0, run.stdout[-6000:]
    counts = collected_per_group(run.stdout)
    assert sorted(counts) == ["controller", "module_utils", "modules"] and min(counts.values()) > 0, counts
    assert not os.path.exists(os.path.join(top, "collections")), "a pytest plugin wrote links into the collection"
    assert sum(counts.values()) == pytest_collects(top), counts


def test_every_group_passes_on_the_shipped_tests(unpacked):
    """The tarball's unit tests pass under ansible-test as a user runs them from an unpacked copy."""
    top, home = unpacked
    run = ansible_test_units(top, home)
    assert run.returncode == 0, run.stdout[-6000:]
    for group in ("modules", "module_utils", "controller"):
        counts = junit_counts(top, group)
        assert counts["tests"] > counts["skipped"] and counts["failures"] == counts["errors"] == 0, (group, counts)


@pytest.mark.parametrize("where", ["plugins/modules", "plugins/filter"])
def test_a_failing_unit_test_fails_ansible_test(tree, where):
    top, home = tree
    target = os.path.join("tests", "unit", where, "test_fails_on_purpose.py")
    with open(os.path.join(top, target), "w") as fh:
        fh.write(FAILING)
    run = ansible_test_units(top, home, target)
    assert run.returncode != 0, run.stdout[-4000:]
    assert "test_fails_on_purpose" in run.stdout and "1 failed" in run.stdout, run.stdout[-4000:]
