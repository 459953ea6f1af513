"""The changelog: galaxy.yml's version is released, CHANGELOG.rst is what antsibull-changelog generates
from changelogs/changelog.yaml, and the entries speak of what a user of the collection notices."""
import os
import re
import shutil
import subprocess

import yaml

from tests.release.release_support import BIN, ROOT, galaxy

# What antsibull-changelog lists on its own (New Modules/Plugins/Roles/Playbooks): a fragment repeating it
# is noise. What only the repository has: a user of the collection never sees it.
GENERATED = re.compile(r"\bnew (module|role|filter|plugin|lookup|playbook)s?\b", re.I)
REPOSITORY_ONLY = re.compile(r"\blab/|\bawx/|\bbenchmarks/|\btests/(?!unit/requirements)|\bmolecule\b|\bmake \w|"
                             r"Makefile|requirements-dev|(?<!meta/)execution-environment\.yml|\bansible\.cfg\b|"
                             r"\bbuilt-in lab\b", re.I)


def changelog():
    with open(os.path.join(ROOT, "changelogs", "changelog.yaml")) as fh:
        return yaml.safe_load(fh)


def entries():
    for version, release in changelog()["releases"].items():
        for section, items in (release.get("changes") or {}).items():
            for item in [items] if isinstance(items, str) else items:
                yield version, section, item


def antsibull(args, cwd):
    env = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"])
    return subprocess.run([os.path.join(BIN, "antsibull-changelog")] + args, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300, check=False)


def test_fragments_and_changelog_pass_antsibull_lint():
    p = antsibull(["lint"], ROOT)
    assert p.returncode == 0 and not p.stdout.strip(), p.stdout


def test_galaxy_version_is_released_and_no_fragment_waits():
    releases = changelog()["releases"]
    assert str(galaxy()["version"]) in releases, "run `make changelog` to release %s" % galaxy()["version"]
    assert releases[str(galaxy()["version"])].get("release_date")
    waiting = sorted(f for f in os.listdir(os.path.join(ROOT, "changelogs", "fragments")) if f.endswith((".yml", ".yaml")))
    assert not waiting, "fragments not in the %s release notes (run `make changelog`): %s" % (galaxy()["version"], waiting)


def test_every_release_before_this_one_is_there():
    versions = sorted(changelog()["releases"], key=lambda v: tuple(int(x) for x in v.split(".")))
    assert versions[0] == "0.1.0" and versions[-1] == str(galaxy()["version"]), versions


def test_changelog_rst_is_generated_from_changelog_yaml(tmp_path):
    copy = tmp_path / "collection"
    shutil.copytree(os.path.join(ROOT, "changelogs"), str(copy / "changelogs"))
    shutil.copy(os.path.join(ROOT, "galaxy.yml"), str(copy))
    p = antsibull(["generate"], str(copy))
    assert p.returncode == 0, p.stdout
    with open(os.path.join(ROOT, "CHANGELOG.rst")) as committed:
        assert (copy / "CHANGELOG.rst").read_text() == committed.read(), "CHANGELOG.rst is stale: run `make changelog`"


def test_entries_are_about_what_a_user_notices():
    listed = [(v, s, e) for v, s, e in entries() if s != "release_summary" and GENERATED.search(e)]
    assert not listed, "antsibull-changelog lists new modules, plugins, roles and playbooks itself: %s" % listed
    unshipped = [(v, s, e) for v, s, e in entries() if REPOSITORY_ONLY.search(e)]
    assert not unshipped, "entries about what is not shipped: %s" % unshipped
