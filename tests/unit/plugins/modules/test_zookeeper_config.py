"""zookeeper_config in-process (patch_module_args) on temp files."""
import os
import stat

import pytest

from ansible_collections.alertops.remediation.plugins.modules import zookeeper_config
from tests.support.modrun import run_main

ORIGINAL = b"# zoo.cfg\r\ntickTime=2000\n\n# limit per client IP\nmaxClientCnxns=60\n# caf\xe9\n"


def run(args, capsys, check_mode=False, diff=False):
    return run_main(zookeeper_config.main, capsys, args, check_mode=check_mode, diff=diff)


@pytest.fixture
def cfg(tmp_path):
    path = tmp_path / "zoo.cfg"
    path.write_bytes(ORIGINAL)
    os.chmod(str(path), 0o640)
    return path


def test_change_then_idempotent(cfg, capsys):
    out, rc = run({"path": str(cfg), "settings": {"maxClientCnxns": 200}}, capsys)
    assert rc == 0 and out["changed"] is True
    assert cfg.read_bytes() == ORIGINAL.replace(b"maxClientCnxns=60", b"maxClientCnxns=200")
    assert out["settings"] == {"maxClientCnxns": "200"}
    assert stat.S_IMODE(os.stat(str(cfg)).st_mode) == 0o640
    out, rc = run({"path": str(cfg), "settings": {"maxClientCnxns": 200}}, capsys)
    assert rc == 0 and out["changed"] is False and out["changes"] == []


def test_check_mode_writes_nothing_but_reports_diff(cfg, capsys):
    before = os.stat(str(cfg))
    out, rc = run({"path": str(cfg), "settings": {"maxClientCnxns": 5, "initLimit": 10}, "backup": True},
                  capsys, check_mode=True, diff=True)
    assert rc == 0 and out["changed"] is True
    assert cfg.read_bytes() == ORIGINAL
    assert os.stat(str(cfg)).st_mtime_ns == before.st_mtime_ns
    assert "backup_file" not in out
    assert "maxClientCnxns=5" in out["diff"]["after"] and "maxClientCnxns=60" in out["diff"]["before"]
    assert [c["key"] for c in out["changes"]] == ["initLimit", "maxClientCnxns"]
    assert os.listdir(str(cfg.parent)) == ["zoo.cfg"]


def test_backup(cfg, capsys):
    out, rc = run({"path": str(cfg), "settings": {"maxClientCnxns": 70}, "backup": True}, capsys)
    assert rc == 0
    with open(out["backup_file"], "rb") as fh:
        assert fh.read() == ORIGINAL


def test_invalid_value_leaves_file_untouched(cfg, capsys):
    out, rc = run({"path": str(cfg), "settings": {"maxClientCnxns": -3, "initLimit": 5}, "backup": True},
                  capsys)
    assert rc == 1 and "maxClientCnxns must be >= 0" in out["msg"] and "-3" in out["msg"]
    assert cfg.read_bytes() == ORIGINAL
    assert os.listdir(str(cfg.parent)) == ["zoo.cfg"]


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "nope" / "zoo.cfg"
    out, rc = run({"path": str(path), "settings": {"maxClientCnxns": 1}}, capsys)
    assert rc == 1 and "does not exist" in out["msg"] and str(path) in out["msg"]
    assert not path.exists()


def test_empty_settings(cfg, capsys):
    out, rc = run({"path": str(cfg), "settings": {}}, capsys)
    assert rc == 1 and "at least one key" in out["msg"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(cfg, capsys):
    os.chmod(str(cfg), 0)
    out, rc = run({"path": str(cfg), "settings": {"maxClientCnxns": 1}}, capsys)
    assert rc == 1 and "cannot read" in out["msg"]


def test_directory_is_refused(tmp_path, capsys):
    out, rc = run({"path": str(tmp_path), "settings": {"maxClientCnxns": 1}}, capsys)
    assert rc == 1 and "not a regular file" in out["msg"]
