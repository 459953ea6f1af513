# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/collect_logs.yml (role alertops.remediation.collect_logs) run by the real ansible-playbook
against localhost (ansible_connection=local, temp inventory): bundle and index on the controller,
checksums match, the bundle equals a full scan of the logs, no temporary files left on the host,
second run changes nothing, check mode writes nothing."""
import datetime
import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile

import pytest

from tests.support.modrun import ROOT

PLAYBOOK = os.path.join(ROOT, "playbooks", "collect_logs.yml")
BIN = os.path.dirname(sys.executable)
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d)")


def sha(data):
    return hashlib.sha256(data).hexdigest()


def zk(t, msg):
    return "%s,%03d [myid:1] - WARN  [main:Foo@1] - %s\n" % (t.strftime("%Y-%m-%d %H:%M:%S"), t.microsecond // 1000, msg)


def agent(t, msg):
    return "%s.%03d+08:00 INFO [1,2] caller=agent/main.go:42: %s\n" % (
        t.strftime("%Y-%m-%dT%H:%M:%S"), t.microsecond // 1000, msg)


def scan(text, lo, hi):
    """Full linear scan: entries whose stamp text (same zone as lo/hi) is in [lo, hi]."""
    out, keep = [], False
    for line in text.splitlines(True):
        m = STAMP.match(line)
        if m:
            keep = lo <= m.group(1).replace("T", " ") <= hi
        if keep:
            out.append(line)
    return "".join(out).encode()


@pytest.fixture
def lab(tmp_path):
    logs = tmp_path / "host" / "var" / "log" / "zookeeper"
    agent_logs = tmp_path / "host" / "ocp_agent" / "log"
    logs.mkdir(parents=True)
    agent_logs.mkdir(parents=True)
    t0 = datetime.datetime(2026, 11, 21, 9, 0, 0)
    zk_lines, ag_lines = [], []
    for i in range(4000):
        t = t0 + datetime.timedelta(seconds=i * 2.5)
        zk_lines.append(zk(t, "entry %d" % i))
        if i % 11 == 0:
            zk_lines.append("java.io.IOException: reset\n\tat a.B.c(B.java:%d)\n" % i)
        ag_lines.append(agent(t, "tick %d" % i))
    half = len(zk_lines) // 2
    with gzip.open(str(logs / "zookeeper.log.1.gz"), "wb") as fh:
        fh.write("".join(zk_lines[:half]).encode())
    (logs / "zookeeper.log").write_text("".join(zk_lines[half:]))
    (agent_logs / "monagent.log").write_text("".join(ag_lines))
    remote_tmp = tmp_path / "remote-tmp"
    remote_tmp.mkdir()
    dest = tmp_path / "controller"
    inventory = tmp_path / "inventory.ini"
    inventory.write_text("[all]\nlocalhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
    env = dict(os.environ)
    env.update({
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".build", "collections"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-local"),
        "ANSIBLE_REMOTE_TEMP": str(tmp_path / "ansible-remote"),
        "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": BIN + os.pathsep + env.get("PATH", ""),
    })
    extra = {
        "collect_logs_default_paths": [str(tmp_path / "host" / "var" / "log" / "zookeeper" / "zookeeper.log*"),
                                       str(tmp_path / "absent" / "zookeeper" / "*.log*")],
        "collect_logs_paths": [str(agent_logs / "*.log*")],
        "collect_logs_dest": str(dest),
        "collect_logs_remote_tmp": str(remote_tmp),
        "collect_logs_timezone": "Asia/Shanghai",
    }
    sources = {
        str(logs / "zookeeper.log.1.gz"): "".join(zk_lines[:half]),
        str(logs / "zookeeper.log"): "".join(zk_lines[half:]),
        str(agent_logs / "monagent.log"): "".join(ag_lines),
    }
    return dict(tmp=tmp_path, env=env, inventory=str(inventory), extra=extra, dest=dest,
                remote_tmp=remote_tmp, sources=sources)


def playbook(lab, extra=None, check=False):
    variables = dict(lab["extra"])
    variables.update(extra or {})
    argv = [os.path.join(BIN, "ansible-playbook"), PLAYBOOK, "-i", lab["inventory"], "-e", json.dumps(variables)]
    if check:
        argv.append("--check")
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=lab["env"], timeout=300, check=False)
    out = proc.stdout.decode()
    assert proc.returncode == 0, out
    recap = re.search(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out)
    return out, int(recap.group(2))


def source_hashes(lab):
    result = {}
    for path in lab["sources"]:
        with open(path, "rb") as fh:
            result[path] = (sha(fh.read()), os.stat(path).st_mtime_ns)
    return result


def test_collects_bundle_and_index(lab):
    before = source_hashes(lab)
    out, changed = playbook(lab, {"at": "2026-11-21T10:00:00+08:00"})
    assert changed > 0
    alarm = lab["dest"] / "2026-11-21T100000+0800"
    bundle = alarm / "localhost.tar.gz"
    assert bundle.is_file() and (alarm / "index.json").is_file() and (alarm / "index.md").is_file()
    index = json.loads((alarm / "index.json").read_text())
    host = index["hosts"][0]
    assert host["host"] == "localhost" and host["bundle"] == str(bundle)
    data = bundle.read_bytes()
    assert host["sha256"] == sha(data) and int(host["size"]) == len(data)
    assert host["window"]["start"] == "2026-11-21T01:50:00.000000Z"
    with tarfile.open(str(bundle), "r:gz") as tar:
        content = dict((m.name, tar.extractfile(m).read()) for m in tar.getmembers())
    manifest = json.loads(content.pop("MANIFEST.json").decode())
    by_path = dict((f["path"], f) for f in manifest["files"])
    for path, text in lab["sources"].items():
        expected = scan(text, "2026-11-21 09:50:00", "2026-11-21 10:10:00")
        if not expected:
            assert path not in by_path
            continue
        sliced = content[by_path[path]["member"]]
        assert sha(sliced) == by_path[path]["sha256"] and sliced == expected
    assert len(by_path) == 2      # the .gz generation and the agent log; the live file starts later
    assert host["files"] == manifest["files"]
    md = (alarm / "index.md").read_text()
    assert host["sha256"] in md and "zookeeper.log.1.gz" in md
    # No temporary files left on the host, sources untouched.
    assert os.listdir(str(lab["remote_tmp"])) == []
    assert source_hashes(lab) == before
    # Second run with the same alarm: nothing changes.
    out, changed = playbook(lab, {"at": "2026-11-21T10:00:00+08:00"})
    assert changed == 0, out
    assert bundle.read_bytes() == data
    assert os.listdir(str(lab["remote_tmp"])) == []


def test_epoch_alarm_and_alarm_id(lab):
    # 2026-11-21T02:00:00Z as epoch seconds, with a named alarm folder.
    out, _changed = playbook(lab, {"collect_logs_at": 1795226400, "collect_logs_alarm_id": "ALM-13007-42",
                                   "collect_logs_before": 1, "collect_logs_after": 1})
    index = json.loads((lab["dest"] / "ALM-13007-42" / "index.json").read_text())
    assert index["hosts"][0]["window"]["start_local"] == "2026-11-21T09:59:00.000000+08:00"
    assert index["hosts"][0]["matched"] > 0


def test_check_mode_writes_nothing(lab):
    out, changed = playbook(lab, {"at": "2026-11-21T10:00:00+08:00"}, check=True)
    assert "Would collect" in out and "monagent.log" in out
    assert not lab["dest"].exists()
    assert os.listdir(str(lab["remote_tmp"])) == []


def test_host_without_logs(lab):
    extra = {"collect_logs_default_paths": [str(lab["tmp"] / "absent" / "*.log*")], "collect_logs_paths": [],
             "at": "2026-11-21T10:00:00+08:00", "collect_logs_alarm_id": "nothing"}
    out, _changed = playbook(lab, extra)
    index = json.loads((lab["dest"] / "nothing" / "index.json").read_text())
    assert index["hosts"][0]["bundle"] == "" and index["hosts"][0]["files"] == []
    assert not (lab["dest"] / "nothing" / "localhost.tar.gz").exists()


def test_planted_siblings_are_skipped_and_listed(lab):
    """In the ZooKeeper log directory a service user planted a link to a file only root reads and a
    FIFO: the collection completes, reads neither, and the index says why each was left out."""
    logs = lab["tmp"] / "host" / "var" / "log" / "zookeeper"
    secret = lab["tmp"] / "secret"
    secret.write_text(zk(datetime.datetime(2026, 11, 21, 10, 0, 0), "SECRET only root may read this"))
    os.chmod(str(secret), 0o600)
    os.symlink(str(secret), str(logs / "zookeeper.log.9"))
    os.lchown(str(logs / "zookeeper.log.9"), 65534, 65534)
    os.mkfifo(str(logs / "zookeeper.log.8"))
    out, _changed = playbook(lab, {"at": "2026-11-21T10:00:00+08:00", "collect_logs_alarm_id": "planted"})
    alarm = lab["dest"] / "planted"
    with tarfile.open(str(alarm / "localhost.tar.gz"), "r:gz") as tar:
        assert not any(b"SECRET" in tar.extractfile(m).read() for m in tar.getmembers())
    skipped = dict((s["path"], s["reason"]) for s in json.loads((alarm / "index.json").read_text())["hosts"][0]["skipped"])
    assert skipped[str(logs / "zookeeper.log.9")] == "symbolic link, not followed"
    assert skipped[str(logs / "zookeeper.log.8")] == "not a regular file (fifo)"
    md = (alarm / "index.md").read_text()
    assert "zookeeper.log.9`: symbolic link, not followed" in md and "zookeeper.log.8`: not a regular file (fifo)" in md
    assert "[WARNING]" in out and "zookeeper.log.9" in out


def test_total_cap_is_reported_in_the_index(lab):
    out, _changed = playbook(lab, {"at": "2026-11-21T10:00:00+08:00", "collect_logs_alarm_id": "capped",
                                   "collect_logs_max_total_bytes": 4000})
    host = json.loads((lab["dest"] / "capped" / "index.json").read_text())["hosts"][0]
    assert sum(f["bytes"] for f in host["files"]) <= 4000
    assert host["cut"] and host["cut"][0]["limit"] == "max_total_bytes"
    assert "cut by `max_total_bytes`" in (lab["dest"] / "capped" / "index.md").read_text()


def test_a_glob_that_finds_only_a_planted_link_is_reported(lab):
    """The only match of a glob is a link a service user planted: nothing is read, the index says why."""
    extra_dir = lab["tmp"] / "host" / "app"
    extra_dir.mkdir()
    secret = lab["tmp"] / "secret"
    secret.write_text(zk(datetime.datetime(2026, 11, 21, 10, 0, 0), "SECRET only root may read this"))
    os.chmod(str(secret), 0o600)
    os.symlink(str(secret), str(extra_dir / "app.log"))
    os.lchown(str(extra_dir / "app.log"), 65534, 65534)
    out, _changed = playbook(lab, {"at": "2026-11-21T10:00:00+08:00", "collect_logs_alarm_id": "only-link",
                                   "collect_logs_default_paths": [], "collect_logs_paths": [str(extra_dir / "*.log")]})
    host = json.loads((lab["dest"] / "only-link" / "index.json").read_text())["hosts"][0]
    assert host["files"] == [] and int(host["matched"]) == 0
    assert host["skipped"] == [{"path": str(extra_dir / "app.log"), "reason": "symbolic link, not followed"}]
    with tarfile.open(str(lab["dest"] / "only-link" / "localhost.tar.gz"), "r:gz") as tar:
        assert tar.getnames() == ["MANIFEST.json"]


def test_a_link_named_literally_is_followed_when_its_owner_could_read_the_log(lab):
    """collect_logs_paths names /.../current.log, a link (root's) to the real log: it is collected."""
    real = lab["tmp"] / "host" / "ocp_agent" / "log" / "monagent.log"
    current = lab["tmp"] / "host" / "current.log"
    os.symlink(str(real), str(current))
    out, _changed = playbook(lab, {"at": "2026-11-21T10:00:00+08:00", "collect_logs_alarm_id": "named-link",
                                   "collect_logs_default_paths": [], "collect_logs_paths": [str(current)]})
    host = json.loads((lab["dest"] / "named-link" / "index.json").read_text())["hosts"][0]
    assert [f["path"] for f in host["files"]] == [str(current)] and int(host["matched"]) > 0
