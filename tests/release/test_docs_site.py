"""`make docs` builds the static site (antsibull-docs + Sphinx, HTML under .build/docs) with a page for every
module, plugin and role, each linked from the collection's index page."""
import glob
import html.parser
import os
import subprocess

import pytest
import yaml

from tests.release.release_support import FQCN, ROOT

SITE = os.path.join(ROOT, ".build", "docs")


class Page(html.parser.HTMLParser):
    def __init__(self, path):
        html.parser.HTMLParser.__init__(self)
        self.links, self.text = set(), []
        with open(path) as fh:
            self.feed(fh.read())
        self.text = " ".join(self.text)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.links.add(dict(attrs).get("href", "").split("#")[0])

    def handle_data(self, data):
        self.text.append(data)


def documented():
    """(page, FQCN) for every module, filter, lookup and role of the checkout."""
    out = []
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))):
        out.append(("module", os.path.basename(path)[:-3]))
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "filter", "*.yml"))):
        with open(path) as fh:
            out.append(("filter", yaml.safe_load(fh)["DOCUMENTATION"]["name"]))
    for path in sorted(glob.glob(os.path.join(ROOT, "plugins", "lookup", "*.py"))):
        out.append(("lookup", os.path.basename(path)[:-3]))
    for path in sorted(glob.glob(os.path.join(ROOT, "roles", "*", "meta", "argument_specs.yml"))):
        out.append(("role", path.split(os.sep)[-3]))
    return [("%s_%s.html" % (name, kind), "%s.%s" % (FQCN, name)) for kind, name in out]


@pytest.fixture(scope="module")
def site():
    p = subprocess.run(["make", "-s", "--no-print-directory", "docs"], cwd=ROOT, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=900, check=False)
    assert p.returncode == 0, p.stdout[-4000:]
    return Page(os.path.join(SITE, "index.html"))


def test_the_checkout_has_what_the_site_must_show():
    kinds = set(entry[0].rsplit("_", 1)[1] for entry in documented())
    assert kinds == {"module.html", "filter.html", "lookup.html", "role.html"}


@pytest.mark.parametrize("page, fqcn", documented(), ids=[entry[0] for entry in documented()])
def test_a_page_for_each_module_plugin_and_role(site, page, fqcn):
    assert page in site.links, "the index does not link %s" % page
    text = Page(os.path.join(SITE, page)).text
    assert fqcn in text
    assert "Synopsis" in text or "Entry point" in text, page
