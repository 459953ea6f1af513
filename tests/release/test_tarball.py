"""What the tarball holds: what a user runs and the tests that run without the lab (the unit tests and
the ansible-test layout), nothing that needs the lab or only serves development."""
import ast
import re
import subprocess

from tests.release.release_support import ROOT, tarball_members

# Everything a shipped file may be: the collection's content, its user docs, the unit tests with what
# they import, the ansible-test layout. A new kind of file fails here until it is placed on purpose.
SHIPPED = [
    r"(MANIFEST|FILES)\.json", r"README\.md", r"COPYING", r"CHANGELOG\.rst", r"changelogs/changelog\.yaml",
    r"meta/(runtime|execution-environment)\.yml",
    r"plugins/(modules|module_utils|action|filter|lookup|doc_fragments|plugin_utils)/\w+\.(py|yml)",
    r"roles/\w+/(README\.md|(defaults|meta|tasks|vars|handlers)/\w+\.yml|templates/[\w.]+\.j2)",
    r"playbooks/\w+\.yml", r"playbooks/vars/\w+\.yml", r"extensions/eda/rulebooks/\w+\.yml",
    r"docs/[\w.-]+\.(md|json)",
    r"tests/config\.yml", r"tests/conftest\.py", r"tests/sanity/ignore-[\d.]+\.txt",
    r"tests/support/\w+\.py", r"tests/unit/requirements\.txt", r"tests/unit/.+",
]
# Repository-only by rule (galaxy.yml build_ignore): the lab and what needs it, dev tooling and settings.
NEVER = [
    r"lab/", r"benchmarks/", r"awx/", r"extensions/molecule/", r"tests/(lab|eda|integration|fuzz|release|lint)/",
    r"tests/support/(lab|nshost|zkserver|localplay|lockruns)\.py", r"tests/sanity/bootstrap/", r"tests/output/",
    r"(pytest\.ini|\.yamllint|\.gitignore|\.ansible-lint|ansible\.cfg|Makefile|execution-environment\.yml)$",
    r"requirements-.*\.txt$", r"\.ci/", r"collections/", r"reports/", r"changelogs/(\.plugin-cache\.yaml|fragments|config)",
    r"docs/(CONTRIBUTING|awx)\.md", r".*__pycache__", r".*\.pyc$", r"tests/unit/test_code_shape\.py", r"tests/unit/test_stages\.py",
]


def files(members):
    return sorted(n for n, m in members.items() if m.isfile())


def test_every_file_is_one_a_user_runs_or_a_lab_free_test(tarball):
    names = files(tarball_members(tarball))
    never = [n for n in names if any(re.match(p, n) for p in NEVER)]
    assert not never, "repository-only files in the tarball: %s" % never
    unplaced = [n for n in names if not any(re.fullmatch(p, n) for p in SHIPPED)]
    assert not unplaced, "files of no shipped kind in the tarball: %s" % unplaced


def known_to_git():
    return set(subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True, check=True).stdout.split("\n")) - {""}


def test_every_shipped_file_is_known_to_git(tarball):
    """The tarball is built from what a clean clone has: nothing a run left in the checkout."""
    known = known_to_git()
    stray = [n for n in files(tarball_members(tarball)) if n not in known and n not in ("MANIFEST.json", "FILES.json")]
    assert not stray, stray


def test_what_a_user_runs_is_there(tarball):
    names = set(tarball_members(tarball))
    for folder in ("plugins/", "roles/", "playbooks/", "extensions/eda/", "tests/unit/", "meta/"):
        wanted = sorted(n for n in known_to_git() if n.startswith(folder) and not any(re.match(p, n) for p in NEVER))
        assert wanted and [n for n in wanted if n not in names] == [], folder
    for needed in ("README.md", "COPYING", "CHANGELOG.rst", "changelogs/changelog.yaml", "docs/report.schema.json",
                   "tests/config.yml", "tests/unit/requirements.txt"):
        assert needed in names, needed


def imported_modules(source):
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name


def test_shipped_tests_import_only_what_ships(tarball, tmp_path):
    """A shipped test that imports a repository-only helper (the lab, namespaced hosts, a ZooKeeper
    launcher) could not run from the tarball."""
    import tarfile

    with tarfile.open(tarball) as tf:
        names = set(tf.getnames())
        sources = dict((m.name, tf.extractfile(m).read().decode()) for m in tf.getmembers()
                       if m.isfile() and m.name.startswith("tests/") and m.name.endswith(".py"))
    assert sources
    missing = []
    for name, source in sources.items():
        for module in imported_modules(source):
            if module.startswith("tests."):
                path = module.replace(".", "/")
                if path + ".py" not in names and path + "/__init__.py" not in names:
                    missing.append((name, module))
            assert not module.startswith(("labapi", "labkit", "kazoo")), (name, module)
    assert not missing, missing
