# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""log_window in-process (patch_module_args): options, errors, check mode, idempotence, bundle."""
import datetime
import gzip
import hashlib
import io
import json
import os
import stat
import tarfile

import pytest

from ansible_collections.alertops.remediation.plugins.modules import log_window
from tests.support.modrun import as_user
from tests.support.modrun import run_main
from tests.support.modrun import run_module
from tests.support.modrun import shared_tempdir


def zk_line(dt, msg):
    stamp = dt.strftime("%Y-%m-%d %H:%M:%S")
    return "%s,%03d [myid:1] - INFO  [main:Foo@1] - %s\n" % (stamp, dt.microsecond // 1000, msg)


T0 = datetime.datetime(2026, 11, 21, 9, 0, 0)


def make_log(path, minutes=120, every_s=10, start=T0):
    lines = []
    for i in range(minutes * 60 // every_s):
        t = start + datetime.timedelta(seconds=i * every_s)
        lines.append(zk_line(t, "entry %d" % i))
        if i % 9 == 0:
            lines.append("java.lang.IllegalStateException: x\n\tat a.B.c(B.java:1)\n")
    with open(path, "w") as fh:
        fh.write("".join(lines))
    return lines


def run(capsys, check_mode=False, diff=False, **args):
    return run_main(log_window.main, capsys, args, check_mode=check_mode, diff=diff)


def members(bundle):
    with tarfile.open(bundle, "r:gz") as tar:
        return dict((m.name, tar.extractfile(m).read()) for m in tar.getmembers())


def sha(data):
    return hashlib.sha256(data).hexdigest()


def test_window_around_at(tmp_path, capsys):
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    dest = str(tmp_path / "b.tar.gz")
    res, rc = run(capsys, paths=[log], at="2026-11-21T10:00:00Z", timezone="UTC", dest=dest)
    assert rc == 0 and res["changed"] is True
    assert res["window"]["start"] == "2026-11-21T09:50:00.000000Z"
    assert res["window"]["end"] == "2026-11-21T10:10:00.000000Z"
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    content = members(dest)
    data = content[log.lstrip("/")]
    text = data.decode()
    assert text.startswith("2026-11-21 09:50:00,000") and "2026-11-21 10:10:00,000" in text
    assert "09:49:50" not in text and "10:10:10" not in text
    manifest = json.loads(content["MANIFEST.json"].decode())
    entry = manifest["files"][0]
    assert entry["sha256"] == sha(data) and entry["bytes"] == len(data) and entry["lines"] == text.count("\n")
    assert entry["first_timestamp"] == "2026-11-21 09:50:00,000"
    assert entry["last_timestamp"] == "2026-11-21 10:10:00,000"
    assert res["manifest"] == manifest and res["matched"] == entry["lines"]
    with open(dest, "rb") as fh:
        assert res["sha256"] == sha(fh.read()) and res["size"] == os.path.getsize(dest)


def test_second_run_reports_no_change(tmp_path, capsys):
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    dest = str(tmp_path / "b.tar.gz")
    args = dict(paths=[log], start="2026-11-21 09:30:00", end="2026-11-21 09:40:00", timezone="UTC", dest=dest)
    first, dummy = run(capsys, **args)
    mtime = os.stat(dest).st_mtime_ns
    second, dummy = run(capsys, **args)
    assert first["changed"] is True and second["changed"] is False
    assert second["sha256"] == first["sha256"] and os.stat(dest).st_mtime_ns == mtime
    assert [f for f in os.listdir(str(tmp_path)) if f.startswith(".log_window-")] == []


def test_check_mode_writes_nothing_and_predicts(tmp_path, capsys):
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    dest = str(tmp_path / "b.tar.gz")
    args = dict(paths=[log], at="2026-11-21 10:00:00", timezone="+08:00", before=5, after=5, dest=dest)
    before = sorted(os.listdir(str(tmp_path)))
    predicted, rc = run(capsys, check_mode=True, diff=True, **args)
    assert rc == 0 and predicted["changed"] is True
    assert sorted(os.listdir(str(tmp_path))) == before
    assert predicted["diff"]["before"]["sha256"] is None
    real, dummy = run(capsys, **args)
    assert real["sha256"] == predicted["sha256"] and real["manifest"] == predicted["manifest"]
    again, dummy = run(capsys, check_mode=True, **args)
    assert again["changed"] is False


def test_timezone_of_lines(tmp_path, capsys):
    """Lines written in Shanghai time; the alarm given in UTC."""
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    dest = str(tmp_path / "b.tar.gz")
    res, dummy = run(capsys, paths=[log], at="2026-11-21T02:00:00Z", timezone="Asia/Shanghai",
                     before=1, after=1, dest=dest)
    entry = res["files"][0]
    assert entry["first_timestamp"] == "2026-11-21 09:59:00,000"
    assert entry["last_timestamp"] == "2026-11-21 10:01:00,000"
    assert entry["first_utc"] == "2026-11-21T01:59:00.000000Z"
    assert res["window"]["start_local"] == "2026-11-21T09:59:00.000000+08:00"


def test_empty_window_gives_valid_bundle(tmp_path, capsys):
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    dest = str(tmp_path / "b.tar.gz")
    res, rc = run(capsys, paths=[log], at=1900000000, timezone="UTC", dest=dest)
    assert rc == 0 and res["matched"] == 0 and res["files"] == []
    assert list(members(dest)) == ["MANIFEST.json"]
    assert res["skipped_files"] == [{"path": log, "reason": "outside the window"}]


def test_rotated_and_gz_siblings(tmp_path, capsys):
    base = str(tmp_path / "zookeeper.log")
    old = make_log(base + ".tmp", minutes=60, start=T0 - datetime.timedelta(hours=1))
    with gzip.open(base + ".2.gz", "wb") as fh:
        fh.write("".join(old).encode())
    os.unlink(base + ".tmp")
    make_log(base + ".1", minutes=60)
    make_log(base, minutes=60, start=T0 + datetime.timedelta(hours=1))
    dest = str(tmp_path / "b.tar.gz")
    res, dummy = run(capsys, paths=[base], start="2026-11-21 08:55:00", end="2026-11-21 10:05:00",
                     timezone="UTC", dest=dest)
    names = sorted(f["member"] for f in res["files"])
    rel = base.lstrip("/")
    assert names == [rel, rel + ".1", rel + ".2"]
    gz_entry = [f for f in res["files"] if f["compressed"]][0]
    assert gz_entry["first_timestamp"] == "2026-11-21 08:55:00,000"
    content = members(dest)
    assert sha(content[rel + ".2"]) == gz_entry["sha256"]


def test_max_bytes_truncation_reported(tmp_path, capsys):
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    res, dummy = run(capsys, paths=[log], at="2026-11-21T10:00:00Z", timezone="UTC", max_bytes=1000,
                     dest=str(tmp_path / "b.tar.gz"))
    entry = res["files"][0]
    assert entry["truncated"] is True and entry["bytes"] <= 1000


def test_unrecognised_file_skipped_with_warning(tmp_path, capsys):
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    other = str(tmp_path / "notes.txt")
    with open(other, "w") as fh:
        fh.write("no timestamps here\n")
    # As on a host (warnings are only serialised in a separate module process).
    res, rc = run_module("log_window", dict(paths=[log, other], at="2026-11-21T10:00:00Z", timezone="UTC",
                                            dest=str(tmp_path / "b.tar.gz")))
    assert rc == 0
    assert {"path": other, "reason": "no recognised timestamp format"} in res["skipped_files"]
    assert any("notes.txt" in str(w) for w in res.get("warnings", [])), res.get("warnings")


def test_explicit_pattern_format(tmp_path, capsys):
    log = str(tmp_path / "access.log")
    with open(log, "w") as fh:
        for minute in range(60):
            fh.write('10.0.0.1 - - [21/Nov/2026:10:%02d:00 +0800] "GET / HTTP/1.1" 200 1\n' % minute)
    res, dummy = run(capsys, paths=[log], at="2026-11-21T02:30:00Z", before=1, after=1,
                     format={"pattern": r"\[(?P<ts>[^\]]+)\]", "time_format": "%d/%b/%Y:%H:%M:%S %z"},
                     dest=str(tmp_path / "b.tar.gz"))
    assert res["files"][0]["lines"] == 3


@pytest.mark.parametrize("args,needle", [
    (dict(at="half past ten"), "at='half past ten'"),
    (dict(start="2026-11-21T11:00:00Z", end="2026-11-21T10:00:00Z"), "start='2026-11-21T11:00:00Z' is after end"),
    (dict(at="2026-11-21T10:00:00Z", timezone="Mars/Base"), "Mars/Base"),
    (dict(at="2026-11-21T10:00:00Z", format="log4j"), "format='log4j'"),
    (dict(at="2026-11-21T10:00:00Z", before=-1), "before=-1"),
    (dict(at="2026-11-21T10:00:00Z", max_bytes=0), "max_bytes=0"),
])
def test_bad_input_named(tmp_path, capsys, args, needle):
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    dest = str(tmp_path / "b.tar.gz")
    res, rc = run(capsys, paths=[log], dest=dest, **args)
    assert rc == 1 and res["failed"] is True and needle in res["msg"], res["msg"]
    assert not os.path.exists(dest)


def test_no_file_matches(tmp_path, capsys):
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    missing = str(tmp_path / "nothere" / "*.log")
    res, rc = run(capsys, paths=[log, missing], at=1795227330, dest=str(tmp_path / "b.tar.gz"))
    assert rc == 1 and "no file matches" in res["msg"] and missing in res["msg"]


def test_unreadable_file(tmp_path, capsys):
    broken = str(tmp_path / "broken.log")
    os.symlink(str(tmp_path / "target-gone"), broken)
    res, rc = run(capsys, paths=[broken], at=1795227330, dest=str(tmp_path / "b.tar.gz"))
    assert rc == 1 and "cannot read" in res["msg"] and broken in res["msg"]


def test_dest_directory_missing(tmp_path, capsys):
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    dest = str(tmp_path / "no" / "b.tar.gz")
    res, rc = run(capsys, paths=[log], at=1795227330, dest=dest)
    assert rc == 1 and dest in res["msg"]


def test_source_untouched(tmp_path, capsys):
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    with open(log, "rb") as fh:
        before = sha(fh.read())
    st = os.stat(log)
    run(capsys, paths=[log], at="2026-11-21T10:00:00Z", timezone="UTC", dest=str(tmp_path / "b.tar.gz"))
    with open(log, "rb") as fh:
        assert sha(fh.read()) == before
    assert os.stat(log).st_mtime_ns == st.st_mtime_ns and os.stat(log).st_size == st.st_size


def test_bundle_is_a_valid_targz_in_memory(tmp_path, capsys):
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    dest = str(tmp_path / "b.tar.gz")
    run(capsys, paths=[log], at="2026-11-21T10:00:00Z", timezone="UTC", dest=dest)
    with open(dest, "rb") as fh:
        raw = fh.read()
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as tar:
        for member in tar.getmembers():
            assert member.mode == 0o600 and not member.name.startswith("/")


# ------------------------------------------------------------------------------------------------
# Files the module must not read: links, FIFOs, devices, files the caller could not read
# ------------------------------------------------------------------------------------------------

NOBODY = 65534
SECRET = zk_line(T0 + datetime.timedelta(hours=1), "SECRET only root may read this")


@pytest.fixture
def open_dir():
    with shared_tempdir("lw-unit-") as path:
        yield path


def secret_file(directory, name="secret.log"):
    path = os.path.join(directory, name)
    with open(path, "w") as fh:
        fh.write(SECRET)
    os.chmod(path, 0o600)
    return path


def link(target, path, owner=0):
    os.symlink(target, path)
    os.lchown(path, owner, owner)
    return path


def bundle_text(res):
    return b"".join(members(res["bundle"]).values())


def reasons(res):
    return dict((s["path"], s["reason"]) for s in res["skipped_files"])


def window_args(path, dest, **more):
    args = dict(paths=[path] if isinstance(path, str) else path, at="2026-11-21T10:00:00Z", timezone="UTC",
                before=30, after=30, dest=dest)
    args.update(more)
    return args


def listing(directory):
    return sorted(os.listdir(directory))


def test_sibling_links_are_never_followed(open_dir):
    base = os.path.join(open_dir, "zookeeper.log")
    make_log(base)
    secret = secret_file(open_dir)
    by_nobody = link(secret, base + ".9", owner=NOBODY)
    by_root = link(secret, base + ".8")
    res, rc = run_module("log_window", window_args(base, os.path.join(open_dir, "b.tar.gz")))
    assert rc == 0, res
    assert b"SECRET" not in bundle_text(res)
    for path in (by_nobody, by_root):
        assert "symbolic link" in reasons(res)[path], res["skipped_files"]
    assert [f["path"] for f in res["files"]] == [base]


def test_glob_hit_that_is_a_link_is_not_followed(open_dir):
    make_log(os.path.join(open_dir, "agent.log"))
    evil = link(secret_file(open_dir, "secret.txt"), os.path.join(open_dir, "evil.log"), owner=NOBODY)
    res, rc = run_module("log_window", window_args(os.path.join(open_dir, "*.log"), os.path.join(open_dir, "b.tar.gz")))
    assert rc == 0, res
    assert b"SECRET" not in bundle_text(res)
    assert "symbolic link" in reasons(res)[evil]


@pytest.mark.parametrize("check_mode", [False, True])
def test_fifo_sibling_is_skipped_without_hanging(open_dir, check_mode):
    base = os.path.join(open_dir, "zookeeper.log")
    make_log(base)
    fifo = base + ".3"
    os.mkfifo(fifo)
    res, rc = run_module("log_window", window_args(base, os.path.join(open_dir, "b.tar.gz")),
                         check_mode=check_mode, timeout=60)
    assert rc == 0, res
    assert "not a regular file (fifo)" in reasons(res)[fifo]
    assert res["matched"] > 0


def test_device_sibling_is_not_opened(open_dir):
    base = os.path.join(open_dir, "zookeeper.log")
    make_log(base)
    zero = base + ".4"
    try:
        os.mknod(zero, 0o644 | stat.S_IFCHR, os.makedev(1, 5))     # /dev/zero: endless bytes
    except (OSError, AttributeError):
        pytest.skip("mknod is not permitted here")
    res, rc = run_module("log_window", window_args(base, os.path.join(open_dir, "b.tar.gz"), format="zookeeper"),
                         timeout=60)
    assert rc == 0, res
    assert "not a regular file (character device)" in reasons(res)[zero]


def test_unreadable_sibling_is_skipped_with_its_reason(open_dir):
    base = os.path.join(open_dir, "zookeeper.log")
    make_log(base)
    os.chmod(base, 0o644)
    hidden = base + ".1"
    make_log(hidden, start=T0 - datetime.timedelta(hours=2))
    os.chmod(hidden, 0o600)        # root's; the module runs as nobody
    out = os.path.join(open_dir, "out")
    os.mkdir(out)
    os.chown(out, NOBODY, NOBODY)
    res, rc = run_module("log_window", window_args(base, os.path.join(out, "b.tar.gz")), **as_user(NOBODY))
    assert rc == 0, res
    assert "permission denied" in reasons(res)[hidden].lower()
    assert [f["path"] for f in res["files"]] == [base]


def test_explicit_link_by_another_user_into_a_file_they_cannot_read_fails(open_dir):
    secret = secret_file(open_dir)
    planted = link(secret, os.path.join(open_dir, "zookeeper.log"), owner=NOBODY)
    dest = os.path.join(open_dir, "b.tar.gz")
    before = listing(open_dir)
    res, rc = run_module("log_window", window_args(planted, dest))
    assert rc == 1 and "paths" in res["msg"] and planted in res["msg"], res
    assert "SECRET" not in json.dumps(res)
    assert listing(open_dir) == before


def test_explicit_link_owned_by_root_is_followed(open_dir):
    secret = secret_file(open_dir)
    named = link(secret, os.path.join(open_dir, "zookeeper.log"))
    res, rc = run_module("log_window", window_args(named, os.path.join(open_dir, "b.tar.gz")))
    assert rc == 0, res
    assert b"SECRET" in bundle_text(res)


def test_explicit_link_to_a_file_its_owner_can_read_is_followed(open_dir):
    target = os.path.join(open_dir, "real.log")
    make_log(target)
    os.chmod(target, 0o644)
    named = link(target, os.path.join(open_dir, "zookeeper.log"), owner=NOBODY)
    res, rc = run_module("log_window", window_args(named, os.path.join(open_dir, "b.tar.gz")))
    assert rc == 0 and res["matched"] > 0, res


def test_directory_link_into_a_private_directory(open_dir):
    """A service user replaces its log directory by a link to a directory it cannot enter."""
    private = os.path.join(open_dir, "private")
    os.mkdir(private, 0o700)
    inside = os.path.join(private, "app.log")
    with open(inside, "w") as fh:
        fh.write(SECRET)
    os.chmod(inside, 0o644)
    home = os.path.join(open_dir, "home")
    os.mkdir(home)
    link(private, os.path.join(home, "log"), owner=NOBODY)
    dest = os.path.join(open_dir, "b.tar.gz")
    res, rc = run_module("log_window", window_args(os.path.join(home, "log", "*.log"), dest))
    assert rc == 0, res
    assert b"SECRET" not in bundle_text(res)
    assert "symbolic link owned by uid %d" % NOBODY in reasons(res)[os.path.join(home, "log", "app.log")]
    res, rc = run_module("log_window", window_args(os.path.join(home, "log", "app.log"), dest))
    assert rc == 1 and "paths" in res["msg"] and "SECRET" not in json.dumps(res)


@pytest.mark.parametrize("check_mode", [False, True])
def test_fifo_in_paths_fails_without_hanging(open_dir, check_mode):
    fifo = os.path.join(open_dir, "zookeeper.log")
    os.mkfifo(fifo)
    before = listing(open_dir)
    res, rc = run_module("log_window", window_args(fifo, os.path.join(open_dir, "b.tar.gz")),
                         check_mode=check_mode, timeout=60)
    assert rc == 1 and "paths" in res["msg"] and fifo in res["msg"] and "fifo" in res["msg"], res
    assert listing(open_dir) == before


def test_device_in_paths_fails(tmp_path, capsys):
    res, rc = run(capsys, **window_args("/dev/zero", str(tmp_path / "b.tar.gz")))
    assert rc == 1 and "paths" in res["msg"] and "/dev/zero" in res["msg"], res
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize("kind", ["fifo", "link", "directory"])
def test_dest_that_is_not_a_regular_file(open_dir, kind):
    log = os.path.join(open_dir, "zookeeper.log")
    make_log(log)
    dest = os.path.join(open_dir, "b.tar.gz")
    if kind == "fifo":
        os.mkfifo(dest)
    elif kind == "link":
        link(secret_file(open_dir), dest)
    else:
        os.mkdir(dest)
    before = listing(open_dir)
    res, rc = run_module("log_window", window_args(log, dest), timeout=60)
    assert rc == 1 and "dest" in res["msg"] and dest in res["msg"], res
    assert listing(open_dir) == before
    if kind == "link":
        assert os.path.islink(dest) and stat.S_IMODE(os.stat(dest).st_mode) == 0o600


# ------------------------------------------------------------------------------------------------
# Corrupt compressed generations
# ------------------------------------------------------------------------------------------------

def gz_sibling(base, damage):
    old = make_log(base + ".tmp", minutes=60, start=T0)
    os.unlink(base + ".tmp")
    data = gzip.compress("".join(old).encode() * 3)
    if damage == "truncated":
        data = data[:len(data) // 2]
    elif damage == "garbage":
        data = data[:10] + b"\x07" + data[11:]      # a deflate block of the reserved type
    elif damage == "crc":
        data = data[:-8] + bytes(8)
    elif damage == "header":
        data = b"\x1f\x8b" + b"\x00" * 64
    path = base + ".2.gz"
    with open(path, "wb") as fh:
        fh.write(data)
    return path


@pytest.mark.parametrize("damage", ["truncated", "garbage", "crc", "header"])
def test_corrupt_gzip_generation_is_skipped(tmp_path, damage):
    base = str(tmp_path / "zookeeper.log")
    make_log(base, minutes=60, start=T0 + datetime.timedelta(hours=1))
    broken = gz_sibling(base, damage)
    res, rc = run_module("log_window", dict(paths=[base], start="2026-11-21 09:00:00", end="2026-11-21 10:30:00",
                                            timezone="UTC", dest=str(tmp_path / "b.tar.gz")))
    assert rc == 0, res
    assert "gzip" in reasons(res)[broken], res["skipped_files"]
    assert [f["path"] for f in res["files"]] == [base]
    assert any(broken in str(w) for w in res.get("warnings", []))


# ------------------------------------------------------------------------------------------------
# The bundle's total size
# ------------------------------------------------------------------------------------------------

def test_total_size_cap_says_what_was_cut(tmp_path, capsys):
    paths = []
    for name in ("a.log", "b.log", "c.log"):
        paths.append(str(tmp_path / name))
        make_log(paths[-1])
    args = dict(paths=paths, at="2026-11-21T10:00:00Z", timezone="UTC", dest=str(tmp_path / "b.tar.gz"))
    full, rc = run(capsys, **args)
    per_file = full["files"][0]["bytes"]
    cap = per_file + per_file // 2
    res, rc = run(capsys, max_total_bytes=cap, **args)
    assert rc == 0, res
    assert sum(f["bytes"] for f in res["files"]) <= cap
    first, second = res["files"]
    assert first["truncated"] is False and second["truncated"] is True
    assert second["truncated_by"] == "max_total_bytes" and second["bytes"] <= per_file // 2
    content = members(res["bundle"])
    assert content[second["member"]].endswith(b"\n")
    assert "max_total_bytes" in reasons(res)[paths[2]]
    assert res["manifest"]["cut"] == res["cut"] and [c["path"] for c in res["cut"]] == paths[1:]


def test_dest_directory_reached_through_a_planted_link(open_dir):
    """dest's directory is a link a service user planted into a directory only root may write."""
    log = os.path.join(open_dir, "zookeeper.log")
    make_log(log)
    private = os.path.join(open_dir, "private")
    os.mkdir(private, 0o700)
    out = link(private, os.path.join(open_dir, "out"), owner=NOBODY)
    res, rc = run_module("log_window", window_args(log, os.path.join(out, "b.tar.gz")))
    assert rc == 1 and "dest" in res["msg"] and "symbolic link owned by uid %d" % NOBODY in res["msg"], res
    assert os.listdir(private) == []
    # The same link made by root is the operator's own.
    os.lchown(out, 0, 0)
    res, rc = run_module("log_window", window_args(log, os.path.join(out, "b.tar.gz")))
    assert rc == 0 and os.listdir(private) == ["b.tar.gz"], res


def test_failed_write_leaves_nothing_behind(tmp_path, capsys, monkeypatch):
    log = str(tmp_path / "zookeeper.log")
    make_log(log)
    out = tmp_path / "out"
    out.mkdir()
    from ansible_collections.alertops.remediation.plugins.module_utils import logwindow_bundle

    def broken(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(logwindow_bundle.os, "fsync", broken)
    res, rc = run(capsys, paths=[log], at="2026-11-21T10:00:00Z", timezone="UTC", dest=str(out / "b.tar.gz"))
    assert rc == 1 and "dest=" in res["msg"] and "No space left" in res["msg"], res
    assert os.listdir(str(out)) == []


def test_total_size_cap_defaults_to_one_gib(monkeypatch):
    """The issue's bound: without max_total_bytes a bundle still stops at 1 GiB of logs."""
    class Captured(Exception):
        pass

    def capture(argument_spec, **kwargs):
        raise Captured(argument_spec)

    monkeypatch.setattr(log_window, "AnsibleModule", capture)
    with pytest.raises(Captured) as spec:
        log_window.main()
    assert spec.value.args[0]["max_total_bytes"]["default"] == 1 << 30
