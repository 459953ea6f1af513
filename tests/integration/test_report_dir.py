# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One rule for where every role writes on the controller: $ALERTOPS_REPORT_DIR, else ./reports under
the directory ansible-playbook was started from; never inside the installed collection, never relative
to playbook_dir, never from a stale $PWD. Checked with the real ansible-playbook: each role's default,
and playbooks/collect_logs.yml run by its FQCN from an installed copy of the collection."""
import datetime
import os
import shutil
import subprocess

import pytest

from tests.support import localplay

ROLE_DEFAULTS = {
    "exporter_ports_report_dir": ("exporter_ports", ""),
    "zookeeper_connections_report_dir": ("zookeeper_connections", ""),
    "collect_logs_dest": ("collect_logs", "logs"),
}

SHOW_DEFAULTS = """---
- name: Show each role's report directory default
  hosts: all
  gather_facts: false
  tasks:
    - name: Load the role's defaults
      ansible.builtin.include_vars:
        file: "{{ collection }}/roles/{{ item }}/defaults/main.yml"
      loop: [exporter_ports, zookeeper_connections, collect_logs]

    - name: Show them
      ansible.builtin.debug:
        msg: "{{ item }}={{ lookup('ansible.builtin.vars', item) }}"
      loop: %s
""" % sorted(ROLE_DEFAULTS)


@pytest.mark.parametrize("report_env, expected", [
    (None, "{cwd}/reports"),
    ("", "{cwd}/reports"),
    ("/srv/alertops/reports", "/srv/alertops/reports"),
    ("relative/out", "{cwd}/relative/out"),
])
def test_every_role_default_follows_the_one_rule(tmp_path, report_env, expected):
    cwd = tmp_path / "started-here"
    cwd.mkdir()
    playbook = localplay.write_playbook(tmp_path, "show.yml", SHOW_DEFAULTS)
    # A launcher that changed directory without updating $PWD (ansible-runner, AWX, subprocess).
    env = {"PWD": "/stale/pwd"}
    if report_env is not None:
        env["ALERTOPS_REPORT_DIR"] = report_env
    rc, out = localplay.run(tmp_path, playbook, localplay.inventory(tmp_path), {"collection": localplay.ROOT},
                            extra_env=env, cwd=str(cwd))
    assert rc == 0, out
    base = expected.format(cwd=cwd)
    for variable, (_role, sub) in ROLE_DEFAULTS.items():
        assert '"%s=%s"' % (variable, os.path.join(base, sub) if sub else base) in out, out


def installed_copy(tmp_path):
    """The collection as a user has it: copied under a fresh collections path (not this checkout)."""
    dest = tmp_path / "installed" / "ansible_collections" / "alertops" / "remediation"
    for part in ("galaxy.yml", "meta", "plugins", "roles", "playbooks", "docs"):
        src = os.path.join(localplay.ROOT, part)
        if os.path.isdir(src):
            shutil.copytree(src, str(dest / part), ignore=shutil.ignore_patterns("__pycache__"))
        else:
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, str(dest / part))
    return tmp_path / "installed", dest


def snapshot(root):
    out = {}
    for base, dirs, names in os.walk(str(root)):
        for name in dirs + names:
            path = os.path.join(base, name)
            st = os.lstat(path)
            out[path] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def test_collect_logs_by_fqcn_writes_under_the_starting_directory_not_into_the_collection(tmp_path):
    collections, installed = installed_copy(tmp_path)
    logs = tmp_path / "host-logs"
    logs.mkdir()
    at = datetime.datetime(2026, 11, 21, 10, 0, 0)
    (logs / "zookeeper.log").write_text("".join(
        "%s,000 - WARN  [main:Foo@1] - entry %d\n" % ((at + datetime.timedelta(seconds=10 * i)).strftime("%Y-%m-%d %H:%M:%S"), i)
        for i in range(-30, 30)))
    project = tmp_path / "my-playbooks"           # the user's own repository, where the run starts
    project.mkdir()
    inventory = localplay.inventory(tmp_path)
    before = snapshot(installed)
    argv = [localplay.ANSIBLE_PLAYBOOK, "alertops.remediation.collect_logs", "-i", inventory, "-e",
            '{"at": "2026-11-21T10:00:00", "collect_logs_alarm_id": "ALM-1", "collect_logs_timezone": "UTC", '
            '"collect_logs_default_paths": [], "collect_logs_paths": ["%s/zookeeper.log*"], '
            '"collect_logs_remote_tmp": "%s"}' % (logs, tmp_path)]
    env = localplay.env(tmp_path, {"ANSIBLE_COLLECTIONS_PATH": str(collections), "PWD": "/stale/pwd",
                                   "PYTHONDONTWRITEBYTECODE": "1"})
    proc = subprocess.run(argv, env=env, cwd=str(project), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=300, check=False)
    out = proc.stdout.decode()
    assert proc.returncode == 0, out
    bundle = project / "reports" / "logs" / "ALM-1" / "localhost.tar.gz"
    assert bundle.is_file(), out
    assert snapshot(installed) == before, "the run wrote into the installed collection"
    assert not (collections / "ansible_collections" / "alertops" / "reports").exists()
