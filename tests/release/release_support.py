"""The release check's tools: build the tarball as `make dist` does, make an installable artifact of a
dependency from the copy the pinned `ansible` package installed (Galaxy is not reachable), install
offline into a user's fresh home, run from there, and prove nothing under the install path changed."""
import hashlib
import io
import json
import os
import stat
import subprocess
import tarfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".venv", "bin")
NAMESPACE, NAME = "alertops", "remediation"
FQCN = NAMESPACE + "." + NAME


def galaxy():
    with open(os.path.join(ROOT, "galaxy.yml")) as fh:
        return yaml.safe_load(fh)


def tarball_name(version=None):
    return "%s-%s-%s.tar.gz" % (NAMESPACE, NAME, version or galaxy()["version"])


def build_tarball(out_dir):
    """`make dist` into out_dir; returns the tarball's path."""
    p = subprocess.run(["make", "-s", "--no-print-directory", "dist", "DIST_DIR=" + out_dir], cwd=ROOT,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600, check=False)
    assert p.returncode == 0, p.stdout
    path = os.path.join(out_dir, tarball_name())
    assert os.path.isfile(path), "make dist did not write %s:\n%s" % (path, p.stdout)
    return path


def tarball_members(path):
    """{name: TarInfo} of a collection tarball."""
    with tarfile.open(path) as tf:
        return dict((m.name.rstrip("/"), m) for m in tf.getmembers())


def extract(path, collections_root):
    """Unpack a collection tarball as <collections_root>/ansible_collections/<ns>/<name> (the layout
    ansible-test and the collection loader expect); returns that directory."""
    dest = os.path.join(collections_root, "ansible_collections", NAMESPACE, NAME)
    os.makedirs(dest)
    with tarfile.open(path) as tf:
        tf.extractall(dest, filter="data")
    return dest


def installed_collection_dir(namespace, name):
    """Where the pinned `ansible` package installed a collection (site-packages/ansible_collections)."""
    site = subprocess.run([os.path.join(BIN, "python"), "-c", "import ansible_collections, os; "
                           "print(os.path.dirname(list(ansible_collections.__path__)[0]))"],
                          stdout=subprocess.PIPE, text=True, check=True).stdout.strip()
    return os.path.join(site, "ansible_collections", namespace, name)


def _sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def repack(collection_dir, out_dir):
    """An artifact as `ansible-galaxy collection build` makes it, from an installed collection. The
    `ansible` package drops CI files and tests from its collections but keeps their FILES.json, whose
    entries ansible-galaxy would fail to extract: FILES.json is rewritten for the files present and
    MANIFEST.json's checksum of it follows. Returns the artifact's path."""
    with open(os.path.join(collection_dir, "MANIFEST.json")) as fh:
        manifest = json.load(fh)
    with open(os.path.join(collection_dir, "FILES.json")) as fh:
        files = json.load(fh)
    kept = []
    for entry in files["files"]:
        path = os.path.join(collection_dir, entry["name"])
        if entry["name"] == "." or (os.path.isdir(path) if entry["ftype"] == "dir" else os.path.isfile(path)):
            if entry["ftype"] == "file":
                entry = dict(entry, chksum_sha256=_sha256(path))
            kept.append(entry)
    files_json = json.dumps(dict(files, files=kept), indent=4).encode()
    manifest["file_manifest_file"]["chksum_sha256"] = hashlib.sha256(files_json).hexdigest()
    manifest_json = json.dumps(manifest, indent=4).encode()
    info = manifest["collection_info"]
    out = os.path.join(out_dir, "%s-%s-%s.tar.gz" % (info["namespace"], info["name"], info["version"]))
    with tarfile.open(out, "w:gz") as tf:
        for name, data in (("MANIFEST.json", manifest_json), ("FILES.json", files_json)):
            member = tarfile.TarInfo(name)
            member.size, member.mode = len(data), 0o644
            tf.addfile(member, io.BytesIO(data))
        for entry in kept:
            if entry["name"] != ".":
                tf.add(os.path.join(collection_dir, entry["name"]), arcname=entry["name"], recursive=False)
    return out


def user_env(home):
    """The environment of a user who installed the collection into `home`: none of this checkout's
    ANSIBLE_* settings (its ansible.cfg, its collections link, its temp dirs), HOME a fresh directory so
    ~/.ansible/collections is the default collections path and nothing of this machine's home is read,
    and the Python package's collections (the `ansible` package's ansible.posix) not scanned, so a
    dependency is found only where the install put it."""
    env = dict((k, v) for k, v in os.environ.items()
               if not k.startswith(("ANSIBLE_", "PYTEST_")) and k != "PYTHONDONTWRITEBYTECODE")
    env.update(HOME=home, PATH=BIN + os.pathsep + env.get("PATH", os.defpath),
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_DEPRECATION_WARNINGS="false")
    return env


def snapshot(top):
    """Every entry under `top` with its type, mode, size, mtime and content (or link target): two
    snapshots differ when anything below was written, added, removed or changed its mode."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            entry = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), st.st_size, st.st_mtime_ns)
            if stat.S_ISLNK(st.st_mode):
                entry += (os.readlink(path),)
            elif stat.S_ISREG(st.st_mode):
                entry += (_sha256(path),)
            out[os.path.relpath(path, top)] = entry
    return out


def snapshot_diff(before, after):
    return sorted(set(k for k in set(before) | set(after) if before.get(k) != after.get(k)))
