"""The documentation that ships speaks only of what ships: every path a shipped Markdown file names is in
the tarball, and none tells a user of the installed collection to run make or a checkout's tools. The
README's "Develop" section is about the repository and says so."""
import fnmatch
import re
import tarfile

import pytest

from tests.release.release_support import tarball_members

# A path inside the collection's tree, as docs write it (not part of a URL or of another path).
PATH = re.compile(r"(?<![\w./:~$<>-])((?:lab|tests|benchmarks|awx|docs|playbooks|roles|plugins|extensions|meta|changelogs|"
                  r"\.ci|\.build|\.venv)/[\w./*<>-]*)")
CHECKOUT_ONLY = re.compile(r"(?:^|`)make [a-z]|\bMakefile\b|requirements-(dev|docs)\.txt|\bpytest\.ini\b|"
                           r"(?<![/\w-])execution-environment\.yml|\.venv/|\.build/|\.ci/", re.M)
DEVELOP = re.compile(r"^## Develop\b.*", re.S | re.M)


def shipped_markdown(tarball):
    with tarfile.open(tarball) as tf:
        return dict((m.name, tf.extractfile(m).read().decode()) for m in tf.getmembers()
                    if m.isfile() and m.name.endswith(".md"))


def user_part(name, text):
    """what a user of the installed collection reads: all of it, but the README's Develop section."""
    return DEVELOP.sub("", text) if name == "README.md" else text


def test_the_readme_has_a_develop_section_last(tarball):
    readme = shipped_markdown(tarball)["README.md"]
    develop = DEVELOP.search(readme)
    assert develop and "repository" in develop.group(0).split("\n\n")[1], "the Develop section says it is the repository's"


def test_every_path_the_docs_name_ships(tarball):
    names = set(tarball_members(tarball))
    missing = []
    for doc, text in shipped_markdown(tarball).items():
        # a role's README may name the role's own files relative to the role
        here = doc.rsplit("/", 1)[0] + "/" if doc.startswith("roles/") else ""
        for path in PATH.findall(user_part(doc, text)):
            pattern = re.sub(r"<[^>]*>", "*", path.rstrip(".,;:)*/"))
            if not any(fnmatch.fnmatch(n, p) or n.startswith(p + "/") for n in names for p in (pattern, here + pattern)):
                missing.append((doc, path))
    assert not missing, "shipped docs name files that do not ship: %s" % missing


@pytest.mark.parametrize("needle", ["make test", "lab/inventory.yml", ".venv/bin/ansible-rulebook", "docs/awx.md"])
def test_the_check_finds_checkout_talk(needle):
    text = "Run `%s` first." % needle
    assert CHECKOUT_ONLY.search(text) or PATH.findall(text)
    assert not CHECKOUT_ONLY.search("Survey answers are strings: make boolean options multiple choice.")


def test_no_doc_sends_a_user_to_the_checkouts_tools(tarball):
    found = [(doc, m.group(0)) for doc, text in shipped_markdown(tarball).items()
             for m in CHECKOUT_ONLY.finditer(user_part(doc, text))]
    assert not found, found
