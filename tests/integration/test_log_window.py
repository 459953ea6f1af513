# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""log_window run as Ansible runs it on a host (tests/support/modrun) on real files: a generated
ZooKeeper log rotated into .1 and .2.gz, and the log of a real ZooKeeper server started on loopback.
Every bundle is compared with an independent full linear scan of the same files, byte for byte."""
import calendar
import datetime
import glob
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
import tempfile
import time

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils.zookeeper import ZkClient
from ansible_collections.alertops.remediation.plugins.module_utils.zookeeper import ZkError
from tests.support.modrun import ROOT, run_module

sys.path.insert(0, os.path.join(ROOT, "lab", "zookeeper"))
import zkjava  # noqa: E402  (lab helper shared with the lab's service script)

US = 1000000
STAMP = re.compile(r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d),(\d{3}) ")


def stamp_of(line, offset_s=0):
    m = STAMP.match(line)
    if not m:
        return None
    y, mo, d, h, mi, s, ms = [int(x) for x in m.groups()]
    return (calendar.timegm((y, mo, d, h, mi, s)) - offset_s) * US + ms * 1000


def full_scan(chunks, start, end, offset_s=0):
    """Reference selection over the whole history (oldest first): every entry (a stamped line and
    the unstamped lines after it) whose stamp is in [start, end]. Returns the bytes selected per file."""
    out = {}
    keep = False
    for name, text in chunks:
        picked = []
        for line in text.splitlines(True):
            ts = stamp_of(line, offset_s)
            if ts is not None:
                keep = start <= ts <= end
            if keep:
                picked.append(line)
        out[name] = "".join(picked).encode()
    return out


def sha(data):
    return hashlib.sha256(data).hexdigest()


def file_sha(path):
    with open(path, "rb") as fh:
        return sha(fh.read())


def read_bundle(path):
    with tarfile.open(path, "r:gz") as tar:
        return dict((m.name, tar.extractfile(m).read()) for m in tar.getmembers())


def gen_lines(t0, count, rng):
    lines = []
    t = t0
    for i in range(count):
        lines.append("%s,%03d [myid:2] - WARN  [NIOServerCxnFactory:NIOServerCnxnFactory@%d] - entry %d\n" % (
            t.strftime("%Y-%m-%d %H:%M:%S"), t.microsecond // 1000, rng.randrange(100, 999), i))
        if rng.randrange(6) == 0:
            lines.append("java.io.IOException: Connection reset by peer\n")
            lines.extend("\tat org.apache.zookeeper.server.NIOServerCnxn.doIO(NIOServerCnxn.java:%d)\n" % k
                         for k in range(rng.randrange(1, 30)))
        t += datetime.timedelta(milliseconds=rng.choice([0, 5, 250, 1200, 4000]))
    return lines


@pytest.fixture
def rotated(tmp_path):
    """zookeeper.log.2.gz (oldest), zookeeper.log.1, zookeeper.log, cut inside stack traces."""
    rng = random.Random(42)
    lines = gen_lines(datetime.datetime(2026, 11, 21, 8, 0, 0), 24000, rng)
    cuts = [next(i for i in range(n, len(lines)) if not STAMP.match(lines[i])) for n in (8000, 16000)]
    logdir = tmp_path / "var" / "log" / "zookeeper"
    logdir.mkdir(parents=True)
    base = str(logdir / "zookeeper.log")
    parts = [("".join(lines[:cuts[0]]), base + ".2.gz"), ("".join(lines[cuts[0]:cuts[1]]), base + ".1"),
             ("".join(lines[cuts[1]:]), base)]
    for text, path in parts:
        if path.endswith(".gz"):
            with gzip.open(path, "wb") as fh:
                fh.write(text.encode())
        else:
            with open(path, "w") as fh:
                fh.write(text)
    history = [(path, text) for text, path in parts]
    out = tmp_path / "out"
    out.mkdir()
    return base, history, str(out)


def check_bundle(res, history, start, end, offset_s=0):
    bundle = res["bundle"]
    assert stat.S_IMODE(os.stat(bundle).st_mode) == 0o600
    assert res["sha256"] == file_sha(bundle) and res["size"] == os.path.getsize(bundle)
    content = read_bundle(bundle)
    manifest = json.loads(content.pop("MANIFEST.json").decode())
    assert manifest == res["manifest"]
    expected = full_scan(history, start, end, offset_s)
    got = {}
    for entry in manifest["files"]:
        data = content[entry["member"]]
        assert sha(data) == entry["sha256"] and len(data) == entry["bytes"]
        assert entry["lines"] == data.count(b"\n")
        got[entry["path"]] = data
    assert set(content) == set(e["member"] for e in manifest["files"])
    for path, data in expected.items():
        assert got.get(path, b"") == data, path
    assert res["matched"] == sum(d.count(b"\n") for d in expected.values())
    return manifest


@pytest.mark.parametrize("window", [
    ("2026-11-21 08:20:00", 10, 10),      # inside the .2.gz
    ("2026-11-21 09:35:00", 60, 60),      # spans all three generations
    ("2026-11-21 10:40:00", 3, 3),        # the live file only
    ("2026-11-22 12:00:00", 10, 10),      # after everything: empty bundle
])
def test_bundle_equals_full_scan(rotated, window):
    base, history, out = rotated
    at, before, after = window
    hashes = dict((p, file_sha(p)) for p, _t in history)
    mtimes = dict((p, os.stat(p).st_mtime_ns) for p, _t in history)
    dest = os.path.join(out, "bundle.tar.gz")
    res, rc = run_module("log_window", dict(paths=[base], at=at, before=before, after=after,
                                            timezone="UTC", dest=dest))
    assert rc == 0, res
    at_us = stamp_of(at + ",000 ")
    start, end = at_us - before * 60 * US, at_us + after * 60 * US
    manifest = check_bundle(res, history, start, end)
    if at.startswith("2026-11-22"):
        assert res["matched"] == 0 and manifest["files"] == []
    # Source logs untouched.
    assert dict((p, file_sha(p)) for p, _t in history) == hashes
    assert dict((p, os.stat(p).st_mtime_ns) for p, _t in history) == mtimes


def test_check_mode_writes_nothing(rotated):
    base, history, out = rotated
    dest = os.path.join(out, "bundle.tar.gz")
    args = dict(paths=[base + "*"], at="2026-11-21T09:35:00+00:00", timezone="Asia/Shanghai", dest=dest)
    predicted, rc = run_module("log_window", args, check_mode=True)
    assert rc == 0 and predicted["changed"] is True
    assert os.listdir(out) == []
    real, rc = run_module("log_window", args)
    assert rc == 0 and real["sha256"] == predicted["sha256"]
    again, rc = run_module("log_window", args)
    assert again["changed"] is False


def test_zone_conversion_end_to_end(rotated):
    """Lines read as Shanghai time: the alarm at 01:35Z is 09:35 in the file."""
    base, history, out = rotated
    dest = os.path.join(out, "bundle.tar.gz")
    res, rc = run_module("log_window", dict(paths=[base], at="2026-11-21T01:35:00Z", before=5, after=5,
                                            timezone="Asia/Shanghai", dest=dest))
    assert rc == 0
    start = stamp_of("2026-11-21 09:30:00,000 ", 8 * 3600)
    check_bundle(res, history, start, start + 10 * 60 * US, offset_s=8 * 3600)


def test_long_line_and_siblings_that_are_not_logs(rotated):
    """A 64 MiB stretch without a line break in the live file, and beside it the files a service user
    could plant: a FIFO, a device, a link to a root-only file, a corrupt gzip. The run completes, skips
    each with its reason, and the bundle still equals a full scan of the real logs."""
    base, history, out = rotated
    with open(base, "a") as fh:
        fh.write(history[-1][1].splitlines(True)[-1].rstrip("\n") + "x" * (64 << 20) + "\n")
    with open(base) as fh:
        history[-1] = (base, fh.read())
    os.mkfifo(base + ".7")
    secret = os.path.join(out, "secret")
    with open(secret, "w") as fh:
        fh.write("2026-11-21 10:40:00,000 [myid:2] - WARN  [main:X@1] - SECRET\n")
    os.chmod(secret, 0o600)
    os.symlink(secret, base + ".8")
    os.lchown(base + ".8", 65534, 65534)
    with open(base + ".9.gz", "wb") as fh:
        data = gzip.compress(b"".join(b"2026-11-21 10:40:00,000 [myid:2] - WARN  [main:X@1] - %d\n" % i
                                      for i in range(100000)))
        fh.write(data[:len(data) // 2])
    dest = os.path.join(out, "bundle.tar.gz")
    res, rc = run_module("log_window", dict(paths=[base], at="2026-11-21 10:40:00", before=60, after=600,
                                            timezone="UTC", dest=dest), timeout=600)
    assert rc == 0, res
    reasons = dict((s["path"], s["reason"]) for s in res["skipped_files"])
    assert reasons[base + ".7"] == "not a regular file (fifo)"
    assert reasons[base + ".8"] == "symbolic link, not followed"
    assert reasons[base + ".9.gz"].startswith("corrupt gzip data")
    at_us = stamp_of("2026-11-21 10:40:00,000 ")
    check_bundle(res, history, at_us - 60 * 60 * US, at_us + 600 * 60 * US)
    assert not any(b"SECRET" in v for v in read_bundle(dest).values())


FLOOR_SITE = glob.glob(os.path.join(ROOT, ".build", "floor-venv", "lib", "python3*", "site-packages"))
PY36 = os.path.expanduser("~/.pyenv/versions/3.6.15/bin/python3.6")


@pytest.mark.skipif(not FLOOR_SITE or not os.path.exists(PY36),
                    reason="needs Python 3.6 and the floor virtualenv (make floor-venv)")
def test_on_python36_with_the_floor_ansible(rotated):
    """The module as a Python 3.6 host runs it, with ansible-core 2.16's module_utils (the last
    ansible-core that manages Python 3.6)."""
    base, history, out = rotated
    os.mkfifo(base + ".7")
    os.symlink("/etc/shadow", base + ".8")
    dest = os.path.join(out, "bundle.tar.gz")
    res, rc = run_module("log_window", dict(paths=[base], at="2026-11-21T10:35:00+01:00", before=60, after=60,
                                            timezone="Europe/Berlin", dest=dest), python=PY36,
                         env={"PYTHONPATH": os.pathsep.join([FLOOR_SITE[0], os.path.join(ROOT, ".build", "collections")])},
                         timeout=120)
    assert rc == 0, res
    at_us = stamp_of("2026-11-21 09:35:00,000 ")       # the alarm in UTC; the lines are Berlin time (+01:00)
    check_bundle(res, history, at_us - 3600 * US, at_us + 3600 * US, offset_s=3600)
    reasons = dict((s["path"], s["reason"]) for s in res["skipped_files"])
    assert reasons[base + ".7"] == "not a regular file (fifo)" and reasons[base + ".8"] == "symbolic link, not followed"


# ------------------------------------------------------------------------------------------------
# The real ZooKeeper
# ------------------------------------------------------------------------------------------------

LOG4J = """log4j.rootLogger=${zookeeper.root.logger}
log4j.appender.ROLLINGFILE=org.apache.log4j.RollingFileAppender
log4j.appender.ROLLINGFILE.File=${zookeeper.log.dir}/${zookeeper.log.file}
log4j.appender.ROLLINGFILE.MaxFileSize=64KB
log4j.appender.ROLLINGFILE.MaxBackupIndex=5
log4j.appender.ROLLINGFILE.layout=org.apache.log4j.PatternLayout
log4j.appender.ROLLINGFILE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def real_zookeeper():
    if zkjava.missing_jars() or not shutil.which("java"):
        pytest.skip("Debian's zookeeper and its logging jars are not installed")
    work = tempfile.mkdtemp(prefix="lw-zk-")
    conf, data, logs = (os.path.join(work, d) for d in ("conf", "data", "logs"))
    for d in (conf, data, logs):
        os.makedirs(d)
    port = free_port()
    with open(os.path.join(conf, "zoo.cfg"), "w") as fh:
        fh.write("tickTime=2000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"
                 "admin.enableServer=false\nmaxClientCnxns=3\n4lw.commands.whitelist=srvr,ruok\n" % (data, port))
    with open(os.path.join(conf, "log4j.properties"), "w") as fh:
        fh.write(LOG4J)
    proc = subprocess.Popen(zkjava.java_argv(conf, logs), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield proc, port, logs
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


def test_real_zookeeper_log(real_zookeeper, tmp_path):
    proc, port, logs = real_zookeeper
    client = ZkClient(host="127.0.0.1", port=port, timeout=2)
    deadline = time.time() + 30
    while True:
        try:
            if "Mode:" in client.raw("srvr"):
                break
        except ZkError:
            pass
        assert proc.poll() is None and time.time() < deadline, "ZooKeeper did not start"
        time.sleep(0.2)
    # Over maxClientCnxns: the server logs a WARN per rejected connection.
    held = []
    for dummy in range(8):
        try:
            held.append(socket.create_connection(("127.0.0.1", port), timeout=2))
        except OSError:     # the server may close an over-limit connection before connect returns
            pass
        time.sleep(0.03)
    for s in held:
        s.close()
    log = os.path.join(logs, "zookeeper.log")
    deadline = time.time() + 10
    while not os.path.exists(log) or b"Too many connections" not in open(log, "rb").read():
        assert time.time() < deadline, "no 'Too many connections' line in the ZooKeeper log"
        time.sleep(0.2)
    proc.terminate()
    proc.wait(timeout=15)
    history = []
    files = sorted(os.listdir(logs), key=lambda n: -int(n.rsplit(".", 1)[1]) if n[-1].isdigit() else 0)
    for name in files:
        with open(os.path.join(logs, name)) as fh:
            history.append((os.path.join(logs, name), fh.read()))
    # What a service user could plant beside the log: a link to a file only root reads, and a FIFO.
    secret = str(tmp_path / "secret")
    with open(secret, "w") as fh:
        fh.write(history[-1][1].splitlines(True)[0].replace("- ", "- SECRET ", 1))
    os.chmod(secret, 0o600)
    os.symlink(secret, os.path.join(logs, "zookeeper.log.9"))
    os.lchown(os.path.join(logs, "zookeeper.log.9"), 65534, 65534)
    os.mkfifo(os.path.join(logs, "zookeeper.log.8"))
    stamps = [stamp_of(line) for _p, t in history for line in t.splitlines() if stamp_of(line)]
    assert stamps and "[myid:" not in history[-1][1].splitlines()[0]   # Debian's format, no [myid:N]
    hashes = dict((p, file_sha(p)) for p, _t in history)
    # The JVM writes the host's local time; the module reads the host's zone by default.
    local_offset = calendar.timegm(time.localtime()) - int(time.time())
    middle = stamps[len(stamps) // 2] + local_offset * US
    dest = str(tmp_path / "zk.tar.gz")
    res, rc = run_module("log_window", dict(paths=[log], at=middle / US, before=0.05, after=0.05, dest=dest))
    assert rc == 0, res
    assert res["files"] and res["files"][0]["format"] == "zookeeper"
    check_bundle(res, history, middle - 3 * US, middle + 3 * US, offset_s=local_offset)
    # The whole run, with the WARN lines about the rejected connections.
    res, rc = run_module("log_window", dict(paths=[log], start=stamps[0] / US + local_offset,
                                            end=stamps[-1] / US + local_offset, dest=dest))
    content = read_bundle(dest)
    assert any(b"Too many connections from /127.0.0.1" in v for v in content.values())
    assert not any(b"SECRET" in v for v in content.values())
    reasons = dict((s["path"], s["reason"]) for s in res["skipped_files"])
    assert reasons[os.path.join(logs, "zookeeper.log.9")] == "symbolic link, not followed"
    assert reasons[os.path.join(logs, "zookeeper.log.8")] == "not a regular file (fifo)"
    check_bundle(res, history, stamps[0], stamps[-1], offset_s=local_offset)
    assert dict((p, file_sha(p)) for p, _t in history) == hashes
