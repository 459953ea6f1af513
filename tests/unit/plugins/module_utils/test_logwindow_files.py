# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Unit tests for plugins/module_utils/logwindow_files.py: which files a window reads and how they are
opened (real files, links and FIFOs in a temporary directory)."""
import os

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import logwindow_files as lf
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import LogWindowError


def names(groups):
    return [[os.path.basename(f.path) for f in group] for group in groups]


def test_expand_paths_globs_and_siblings(tmp_path):
    for name in ("zookeeper.log", "zookeeper.log.1", "zookeeper.log.2.gz", "zookeeper.log.10",
                 "other.log", "zookeeper.out"):
        (tmp_path / name).write_text("x\n")
    (tmp_path / "dir.log").mkdir()
    (tmp_path / "zookeeper.log.d").mkdir()
    groups, unmatched = lf.expand_groups([str(tmp_path / "zookeeper.log"), str(tmp_path / "*.log"),
                                          str(tmp_path / "missing.log")])
    assert names(groups) == [["zookeeper.log", "zookeeper.log.1", "zookeeper.log.2.gz", "zookeeper.log.10"],
                             ["other.log"]]
    assert [[f.named for f in g] for g in groups] == [[True, False, False, False], [False]]
    assert unmatched == [str(tmp_path / "missing.log")]


def test_links_are_listed_once_by_their_own_path(tmp_path):
    (tmp_path / "app.log").write_text("x\n")
    os.symlink("app.log", str(tmp_path / "current.log"))
    groups, dummy = lf.expand_groups([str(tmp_path / "*.log")])
    # The link sorts first; its target still comes in as a file of its own.
    assert names(groups) == [["app.log"], ["current.log"]]
    groups, dummy = lf.expand_groups([str(tmp_path / "current.log"), str(tmp_path / "app.log")])
    assert names(groups) == [["current.log"]]        # named: the same file as app.log


def test_rotation_key_orders_numbers_and_ignores_other_digits():
    paths = ["z.log.10", "z.log.9", "z.log.2.gz", "z.log-20261120.gz", "z.log.%s" % ("9" * 250),
             u"z.log.\u0663"]
    assert sorted(paths, key=lf.rotation_key) == [u"z.log.\u0663", "z.log.2.gz", "z.log.9", "z.log.10",
                                                  "z.log-20261120.gz", "z.log.%s" % ("9" * 250)]


def test_too_many_files(tmp_path, monkeypatch):
    monkeypatch.setattr(lf, "MAX_FILES", 3)
    for i in range(5):
        (tmp_path / ("a%d.log" % i)).write_text("x\n")
    with pytest.raises(LogWindowError, match="paths: .* over 3"):
        lf.expand_groups([str(tmp_path / "*.log")])


def test_found_file_that_cannot_be_used_is_unusable(tmp_path):
    fifo = str(tmp_path / "z.log.1")
    os.mkfifo(fifo)
    with pytest.raises(lf.Unusable, match=r"not a regular file \(fifo\)"):
        lf.LogFile(fifo, named=False).open()
    link = str(tmp_path / "z.log.2")
    os.symlink("/etc/hostname", link)
    with pytest.raises(lf.Unusable, match="symbolic link, not followed"):
        lf.LogFile(link, named=False).open()


def test_named_file_that_cannot_be_used_is_an_error(tmp_path):
    fifo = str(tmp_path / "z.log")
    os.mkfifo(fifo)
    with pytest.raises(LogWindowError) as exc:
        lf.LogFile(fifo).open()
    assert str(exc.value) == "paths: %r: not a regular file (fifo)" % fifo
    with pytest.raises(LogWindowError, match="No such file"):
        lf.LogFile(str(tmp_path / "gone.log")).open()


def test_later_opens_must_find_the_same_file(tmp_path):
    path = str(tmp_path / "z.log")
    with open(path, "w") as fh:
        fh.write("one\n")
    log = lf.LogFile(path, named=False)
    with log.open() as fh:
        assert fh.read() == b"one\n"
    with log.open() as fh:
        assert fh.read() == b"one\n"
    os.rename(path, path + ".old")          # the old inode stays in use, so it cannot come back
    os.mkfifo(path)
    with pytest.raises(LogWindowError, match="changed while it was read"):
        log.open()
    os.unlink(path)
    with open(path, "w") as fh:
        fh.write("two\n")
    with pytest.raises(LogWindowError, match="replaced while it was read"):
        log.open()


def test_member_names():
    assert lf.member_name("/var/log/zookeeper/zookeeper.log.2.gz", True) == "var/log/zookeeper/zookeeper.log.2"
    assert lf.member_name("/var/log/zookeeper/zookeeper.log.1", False) == "var/log/zookeeper/zookeeper.log.1"
