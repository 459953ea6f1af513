"""Run small playbooks with the real ansible-playbook against this machine (ansible_connection=local):
the playbook text and the inventory are written into a test's temporary directory. Used by the
remediation_common suites (lock, report writer, report directory)."""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
ANSIBLE_PLAYBOOK = os.path.join(BIN, "ansible-playbook")


def inventory(tmp_path, hosts=("localhost",)):
    """An inventory of local hosts (several names may all be this machine)."""
    path = os.path.join(str(tmp_path), "inventory.ini")
    with open(path, "w") as fh:
        fh.write("[all]\n")
        for name in hosts:
            fh.write("%s ansible_connection=local ansible_python_interpreter=%s\n" % (name, sys.executable))
    return path


def env(tmp_path, extra=None):
    """Environment of an ansible-playbook run: this checkout as the collection, private temp dirs."""
    out = dict(os.environ)
    out.pop("ALERTOPS_REPORT_DIR", None)
    out.update({
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".build", "collections"),
        "ANSIBLE_LOCAL_TEMP": os.path.join(str(tmp_path), "ansible-local"),
        "ANSIBLE_REMOTE_TEMP": os.path.join(str(tmp_path), "ansible-remote"),
        "ANSIBLE_HOME": os.path.join(str(tmp_path), "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_DEPRECATION_WARNINGS": "False",
        "PATH": BIN + os.pathsep + out.get("PATH", ""),
    })
    out.update(extra or {})
    return out


def write_playbook(tmp_path, name, text):
    path = os.path.join(str(tmp_path), name)
    with open(path, "w") as fh:
        fh.write(text)
    return path


def argv(playbook, inventory_path, variables=None, check=False):
    out = [ANSIBLE_PLAYBOOK, playbook, "-i", inventory_path]
    if variables:
        out += ["-e", json.dumps(variables)]
    if check:
        out.append("--check")
    return out


def run(tmp_path, playbook, inventory_path, variables=None, check=False, extra_env=None, cwd=None, timeout=300):
    """Run to the end; returns (returncode, combined output)."""
    proc = subprocess.run(argv(playbook, inventory_path, variables, check), env=env(tmp_path, extra_env),
                          cwd=cwd or str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=timeout, check=False)
    return proc.returncode, proc.stdout.decode("utf-8", "replace")


def start(tmp_path, playbook, inventory_path, variables=None, log_name="run.log", extra_env=None, cwd=None):
    """Start in a session of its own (so the test can kill the whole run); output goes to a log file."""
    log = open(os.path.join(str(tmp_path), log_name), "wb")
    try:
        return subprocess.Popen(argv(playbook, inventory_path, variables), env=env(tmp_path, extra_env),
                                cwd=cwd or str(tmp_path), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    finally:
        log.close()


def recap(output, host="localhost"):
    """The PLAY RECAP counters of one host."""
    match = re.search(r"^%s\s*:\s*(.*)$" % re.escape(host), output, re.M)
    assert match, output
    return dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", match.group(1)))
