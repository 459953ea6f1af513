"""The collection as a user gets it: installed offline from the tarball with its dependency, run by FQCN
from a project directory that is not this checkout. Nothing under the install path is written."""
import json
import os
import re

from tests.release.release_support import FQCN, ROOT, galaxy

PLUGIN_DIRS = {"module": "modules", "lookup": "lookup", "filter": "filter"}


def names_in(user, kind):
    """The plugins of one kind the installed copy holds, by file (filters: every documentation file)."""
    folder = os.path.join(user.path, "plugins", PLUGIN_DIRS[kind])
    ext = ".yml" if kind == "filter" else ".py"
    return sorted(FQCN + "." + f[:-len(ext)] for f in os.listdir(folder) if f.endswith(ext) and f != "__init__.py")


def test_runs_cannot_write_under_the_install_path(user):
    """The guard every run here has: a write under the installed collections fails."""
    p = user.run(["python", "-c", "open(%r, 'w')" % os.path.join(user.path, "probe")])
    assert p.returncode != 0 and "Read-only file system" in p.stderr, p.stderr


def test_install_resolves_the_dependency_from_its_artifact(user):
    deps = galaxy()["dependencies"]
    for name in deps:
        manifest = os.path.join(user.collections, *name.split(".")) + "/MANIFEST.json"
        assert os.path.isfile(manifest), "%s (a galaxy.yml dependency) was not installed next to %s" % (name, FQCN)
    listed = user.run(["ansible-galaxy", "collection", "list", "--format", "json"])
    assert listed.returncode == 0, listed.stderr
    found = dict((k, v) for path in json.loads(listed.stdout).values() for k, v in path.items())
    assert found[FQCN]["version"] == galaxy()["version"]
    assert set(deps) <= set(found)


def test_install_without_the_dependency_fails(tmp_path, tarball):
    """Offline, the tarball alone cannot be installed: the dependency is really resolved, not ignored."""
    from tests.release.conftest import User

    alone = User(str(tmp_path))
    p = alone.install(tarball)
    assert p.returncode != 0
    for name in galaxy()["dependencies"]:
        assert name in p.stdout + p.stderr
    assert not os.path.exists(alone.path)


def test_every_playbook_by_fqcn_passes_syntax_check(user):
    playbooks = sorted(f[:-4] for f in os.listdir(os.path.join(user.path, "playbooks")) if f.endswith(".yml"))
    assert playbooks, "no playbook in the installed collection"
    for playbook in playbooks:
        p = user.run(["ansible-playbook", "-i", "localhost,", "--syntax-check", FQCN + "." + playbook])
        assert p.returncode == 0, "%s.%s:\n%s%s" % (FQCN, playbook, p.stdout, p.stderr)


def docs(user, kind, names):
    p = user.run(["ansible-doc", "-t", kind, "--json"] + names)
    assert p.returncode == 0 and not p.stderr.strip(), "ansible-doc -t %s: %s" % (kind, p.stderr)
    return json.loads(p.stdout)


def test_ansible_doc_lists_every_plugin_of_the_installed_copy(user):
    for kind in PLUGIN_DIRS:
        p = user.run(["ansible-doc", "-t", kind, "-l", FQCN, "--json"])
        assert p.returncode == 0, p.stderr
        assert sorted(json.loads(p.stdout)) == names_in(user, kind), kind


def test_ansible_doc_documents_every_module_filter_and_lookup(user):
    for kind in PLUGIN_DIRS:
        names = names_in(user, kind)
        got = docs(user, kind, names)
        assert sorted(got) == names, kind
        for name, doc in got.items():
            body = doc["doc"]
            assert body.get("short_description") and body.get("description"), name
            assert doc.get("examples"), "%s has no examples" % name
            for option, spec in (body.get("options") or {}).items():
                assert spec.get("description"), "%s: option %s has no description" % (name, option)


def test_action_backed_modules_are_documented_as_modules(user):
    actions = sorted(f[:-3] for f in os.listdir(os.path.join(user.path, "plugins", "action")) if f.endswith(".py"))
    assert actions
    got = docs(user, "module", [FQCN + "." + a for a in actions])
    for name, doc in got.items():
        assert doc["doc"].get("options") is not None and doc.get("return") is not None, name


def test_ansible_doc_documents_every_role_entry_point(user):
    roles = sorted(os.listdir(os.path.join(user.path, "roles")))
    got = docs(user, "role", [FQCN + "." + r for r in roles])
    assert sorted(got) == [FQCN + "." + r for r in roles]
    for role in roles:
        tasks = sorted(f[:-4] for f in os.listdir(os.path.join(user.path, "roles", role, "tasks")) if f.endswith(".yml"))
        entry_points = got[FQCN + "." + role]["entry_points"]
        assert "main" in entry_points, role
        for entry, spec in entry_points.items():
            assert entry in tasks, "%s: entry point %s has no tasks file" % (role, entry)
            assert spec.get("short_description") and spec.get("description"), "%s:%s" % (role, entry)
            for option, ospec in (spec.get("options") or {}).items():
                assert ospec.get("description"), "%s:%s option %s" % (role, entry, option)


def test_rulebooks_load_by_fqcn_from_the_installed_copy(user, tmp_path):
    """ansible-rulebook finds the collection's rulebooks by FQCN (extensions/eda/rulebooks); without the
    webhook token (or, for the AWX one, a controller) they refuse to start, after loading."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost: {}\n")
    folder = os.path.join(user.path, "extensions", "eda", "rulebooks")
    rulebooks = sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".yml"))
    assert rulebooks
    for rulebook in rulebooks:
        p = user.run(["ansible-rulebook", "-r", FQCN + "." + rulebook, "-i", str(inventory)], timeout=180)
        out = p.stdout + p.stderr
        assert "Loading rulebook from %s/%s.yml" % (folder, rulebook) in out, out[-3000:]
        assert p.returncode != 0 and ("ALERTOPS_WEBHOOK_TOKEN" in out or "controller url and token" in out), out[-3000:]


def test_a_users_playbook_imports_the_collections_playbooks(user):
    """What an AWX project or a user's repository holds: a playbook that imports a runbook by FQCN, and the
    README's own example (imported playbook, role with the user's variables)."""
    with open(os.path.join(ROOT, "README.md")) as fh:
        examples = [b for b in re.findall(r"```yaml\n(.*?)```", fh.read(), re.S) if "import_playbook: " + FQCN in b]
    assert examples, "README.md shows no playbook importing the collection's"
    plays = "---\n" + "".join("- name: %s\n  ansible.builtin.import_playbook: %s.%s\n" % (p, FQCN, p) for p in
                              ("remediate_ports", "remediate_zookeeper", "collect_logs", "remediate_alert"))
    for number, text in enumerate([plays] + examples):
        playbook = os.path.join(user.project, "remediate%d.yml" % number)
        with open(playbook, "w") as fh:
            fh.write(text)
        p = user.run(["ansible-playbook", "-i", "localhost,", "--syntax-check", playbook])
        assert p.returncode == 0, text + p.stdout + p.stderr
