"""The release check: the tarball `make dist` builds, installed offline with its dependency into a fresh
user's home (the default collections path, ~/.ansible/collections), and run from there."""
import os
import subprocess

import pytest

from tests.release.release_support import (
    BIN, FQCN, build_tarball, galaxy, installed_collection_dir, repack, snapshot, snapshot_diff, user_env,
)


READ_ONLY = 'mount --bind "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'


class User(object):
    """A user who installed the collection from its tarball: own HOME, a project directory without an
    ansible.cfg to run from, ansible-* commands from the pinned virtualenv."""

    def __init__(self, base):
        self.home = os.path.join(base, "home")
        self.project = os.path.join(base, "project")
        os.makedirs(self.home)
        os.makedirs(self.project)
        self.collections = os.path.join(self.home, ".ansible", "collections", "ansible_collections")
        self.path = os.path.join(self.collections, *FQCN.split("."))
        self.at_install = None

    def env(self, extra=None):
        env = user_env(self.home)
        env.update(extra or {})
        return env

    def run(self, argv, timeout=300, cwd=None, extra_env=None, read_only=True):
        """run an ansible CLI from the virtualenv as this user, from the project directory. read_only:
        in a private mount namespace where the installed collections are a read-only bind mount, as in an
        execution environment or a package-managed collections path: a write there fails the run (only
        Python's bytecode cache is skipped quietly), and assert_untouched() checks the tree too."""
        argv = [os.path.join(BIN, argv[0])] + list(argv[1:])
        if read_only:
            argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c", READ_ONLY, self.collections] + argv
        return subprocess.run(argv, cwd=cwd or self.project, env=self.env(extra_env), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=timeout, check=False)

    def install(self, *artifacts):
        return self.run(["ansible-galaxy", "collection", "install", "--offline"] + list(artifacts), read_only=False)

    def assert_untouched(self):
        changed = snapshot_diff(self.at_install, snapshot(self.collections))
        assert not changed, "written under the install path %s: %s" % (self.collections, changed[:20])


@pytest.fixture(scope="session")
def tarball(tmp_path_factory):
    """The collection tarball, built by `make dist`."""
    return build_tarball(str(tmp_path_factory.mktemp("dist")))


@pytest.fixture(scope="session")
def dependency_artifacts(tmp_path_factory):
    """One artifact per galaxy.yml dependency, made from the copy the pinned `ansible` package holds."""
    out = str(tmp_path_factory.mktemp("deps"))
    return [repack(installed_collection_dir(*name.split(".")), out) for name in sorted(galaxy()["dependencies"])]


@pytest.fixture(scope="session")
def installed_user(tmp_path_factory, tarball, dependency_artifacts):
    if os.geteuid() != 0:
        pytest.skip("runs from the installed copy use a read-only bind mount (needs root)")
    user = User(str(tmp_path_factory.mktemp("user")))
    p = user.install(tarball, *dependency_artifacts)
    assert p.returncode == 0, p.stdout + p.stderr
    user.at_install = snapshot(user.collections)
    return user


@pytest.fixture
def user(installed_user):
    """The user with the collection installed; the test fails when anything under the install path
    changed while it ran."""
    yield installed_user
    installed_user.assert_untouched()
