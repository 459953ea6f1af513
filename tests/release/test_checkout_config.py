"""The committed ansible.cfg serves any checkout: it does not tie the collection to the checkout's own
.build/collections link (make exports ANSIBLE_COLLECTIONS_PATH for development runs)."""
import configparser
import os

from tests.release.release_support import ROOT
from tests.release.test_ansible_test_units import checkout_copy


def test_committed_ansible_cfg_sets_no_collections_path():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "ansible.cfg"))
    assert not {"collections_path", "collections_paths"} & set(cfg["defaults"]), dict(cfg["defaults"])


def test_a_checkouts_playbooks_run_with_the_collection_installed_elsewhere(user, tmp_path):
    """A clone without `make` (no .build/) whose ansible.cfg is read from the working directory, and the
    collection installed in the default path ~/.ansible/collections."""
    clone = checkout_copy(str(tmp_path))
    os.chmod(clone, 0o755)  # ansible ignores an ansible.cfg in a world-writable directory
    for playbook in sorted(os.listdir(os.path.join(clone, "playbooks"))):
        if playbook.endswith(".yml"):
            p = user.run(["ansible-playbook", "-i", "localhost,", "--syntax-check", "playbooks/" + playbook], cwd=clone)
            assert p.returncode == 0, "%s:\n%s%s" % (playbook, p.stdout, p.stderr)
            assert os.path.join(clone, "ansible.cfg") in user.run(["ansible", "--version"], cwd=clone).stdout
