"""One version number: galaxy.yml's. Every other file reads it (make, the execution environment's
requirements, the AWX image tag) instead of naming it; only the changelog's history names versions."""
import os
import re
import subprocess

from tests.release.release_support import ROOT, galaxy

# The release history names every version; a module's version_added names the one that brought it.
HISTORY = re.compile(r"^(galaxy\.yml|CHANGELOG\.rst|changelogs/.*)$")
# The collection named with a version: an artifact, an image tag, a requirement, "alertops.remediation 1.2.3".
NAMED_VERSION = re.compile(r"alertops[-./]remediation(?:-ee)?(?:[-:@ ]|==|>=|\s+version\s+)v?(\d+\.\d+\.\d+)", re.I)


def text_files():
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True, check=True).stdout.split("\n")
    for name in listed:
        path = os.path.join(ROOT, name)
        if name and not HISTORY.match(name) and os.path.isfile(path):
            with open(path, "rb") as fh:
                data = fh.read()
            if b"\0" not in data:
                yield name, data.decode("utf-8", "replace")


def test_galaxy_version_is_a_version():
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(galaxy()["version"]))


def test_no_file_names_the_collection_with_a_version():
    found = [(name, m.group(0)) for name, text in text_files() if name != "tests/release/test_version.py"
             for m in NAMED_VERSION.finditer(text)]
    assert not found, "read the version from galaxy.yml instead: %s" % found


def test_no_file_but_galaxy_yml_writes_the_current_version():
    current = re.compile(r"(?<![\d.])%s(?![\d])" % re.escape(str(galaxy()["version"])))
    found = []
    for name, text in text_files():
        for line in text.splitlines():
            if current.search(line) and not re.match(r"\s*version_added:", line):
                found.append((name, line.strip()))
    assert not found, found
