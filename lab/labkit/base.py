"""Paths, the error type and the small process/file helpers every part of the lab uses."""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # lab/
ROOT = os.path.dirname(HERE)
LABCTL = os.path.join(HERE, "labctl.py")  # in-host inits and the switch holder run `labctl.py _init|_switch`
STATE = os.path.join(HERE, ".state")
STATE_FILE = os.path.join(STATE, "lab.json")
DEFAULT_SPEC = os.path.join(HERE, "spec.yml")
INVENTORY = os.path.join(HERE, "inventory.yml")
SSH_DIR = os.path.join(STATE, "ssh")
SSH_KEY = os.path.join(SSH_DIR, "id_ed25519")
CONTROL_DIR = os.path.join(STATE, "cp")
FAULTS_FILE = os.path.join(STATE, "faults.json")
ZKCTL = os.path.join(HERE, "zookeeper", "zkctl")
# the checkout as an Ansible collection (make setup links it): the lab imports its ZooKeeper client from there
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
SUBNET_PREFIX = "198.18.0."
# one JVM option per item; nothing a shell or java.env's quoting would read differently
JVM_FLAG_RE = re.compile(r"^-[A-Za-z0-9_.:+=/,-]+$")
SWITCH_BRIDGE = "br0"
HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# per-host directories (relative to lab/.state/hosts/<host>/) and where they appear inside the host
BIND_DIRS = (
    ("home", "/home"),                    # /home/admin (and /home/admin/ocp_agent) per host
    ("etc/zookeeper", "/etc/zookeeper"),
    ("var/lib/zookeeper", "/var/lib/zookeeper"),
    ("var/log/zookeeper", "/var/log/zookeeper"),
    ("etc/sysctl.d", "/etc/sysctl.d"),
    ("run", "/run"),
    ("tmp", "/tmp"),
)
BIND_FILES = (("etc/hosts", "/etc/hosts"), ("etc/hostname", "/etc/hostname"))


class LabError(Exception):
    pass


def log(msg):
    sys.stderr.write("labctl: %s\n" % msg)
    sys.stderr.flush()


def run(argv, check=True, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    p = subprocess.run(argv, **kw)
    if check and p.returncode != 0:
        raise LabError("%s failed (rc=%s): %s" % (" ".join(argv), p.returncode, (p.stderr or "").strip()))
    return p


def host_env():
    return {"PATH": HOST_PATH, "HOME": "/root", "LANG": "C.UTF-8", "USER": "root", "LOGNAME": "root",
            "SHELL": "/bin/bash", "TERM": os.environ.get("TERM", "dumb")}


def host_dir(name):
    return os.path.join(STATE, "hosts", name)


def write_file(path, text, mode=0o644, in_place=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if in_place and os.path.exists(path):  # bind-mounted files keep their inode
        with open(path, "r+") as fh:
            if fh.read() != text:
                fh.seek(0)
                fh.write(text)
                fh.truncate()
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def tail(path, n=20):
    try:
        with open(path, errors="replace") as fh:
            return "".join(fh.readlines()[-n:])
    except FileNotFoundError:
        return "(no %s)" % path
