"""zookeeper_config in-process (patch_module_args) on temp files."""
import os
import stat

import pytest

from ansible_collections.alertops.remediation.plugins.modules import zookeeper_config
from tests.support.modrun import as_user, run_main, run_module, shared_tempdir

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


# ---------------------------------------------------------------- links, directories, failures
def test_symlinked_file_is_edited_where_it_points_and_the_link_stays(tmp_path, capsys):
    real_dir = tmp_path / "conf.real"
    real_dir.mkdir()
    real = real_dir / "zoo.cfg"
    real.write_bytes(ORIGINAL)
    link_dir = tmp_path / "conf"
    link_dir.mkdir()
    link = link_dir / "zoo.cfg"
    os.symlink(str(real), str(link))
    out, rc = run({"path": str(link), "settings": {"maxClientCnxns": 200}, "backup": True}, capsys)
    assert rc == 0 and out["changed"] is True
    assert os.path.islink(str(link)) and os.readlink(str(link)) == str(real)
    assert real.read_bytes() == ORIGINAL.replace(b"maxClientCnxns=60", b"maxClientCnxns=200")
    assert out["path"] == str(link) and out["target"] == str(real)
    assert os.path.dirname(out["backup_file"]) == str(real_dir)
    assert sorted(os.listdir(str(link_dir))) == ["zoo.cfg"]
    out, rc = run({"path": str(link), "settings": {"maxClientCnxns": 200}}, capsys)
    assert rc == 0 and out["changed"] is False


def test_the_directory_is_synced_after_the_rename(cfg, capsys, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))
        return real_fsync(fd)
    monkeypatch.setattr(zookeeper_config.os, "fsync", fsync)
    out, rc = run({"path": str(cfg), "settings": {"maxClientCnxns": 61}}, capsys)
    assert rc == 0 and synced == [False, True]  # the new file's data, then its directory


def test_a_failed_rename_leaves_the_file_and_no_temporary_file(cfg, capsys, monkeypatch):
    def refuse(self, src, dest, unsafe_writes=False):
        raise OSError(5, "Input/output error")
    monkeypatch.setattr(zookeeper_config.AnsibleModule, "atomic_move", refuse)
    out, rc = run({"path": str(cfg), "settings": {"maxClientCnxns": 61}}, capsys)
    assert rc == 1 and str(cfg) in out["msg"] and "left unchanged" in out["msg"]
    assert cfg.read_bytes() == ORIGINAL and os.listdir(str(cfg.parent)) == ["zoo.cfg"]


def test_a_fifo_is_refused_without_opening_it(tmp_path, capsys):
    fifo = str(tmp_path / "zoo.cfg")
    os.mkfifo(fifo)
    out, rc = run({"path": fifo, "settings": {"maxClientCnxns": 1}}, capsys)
    assert rc == 1 and "not a regular file" in out["msg"] and fifo in out["msg"]


def test_a_dangling_link_names_the_path(tmp_path, capsys):
    link = str(tmp_path / "zoo.cfg")
    os.symlink(str(tmp_path / "gone.cfg"), link)
    out, rc = run({"path": link, "settings": {"maxClientCnxns": 1}}, capsys)
    assert rc == 1 and "does not exist" in out["msg"] and link in out["msg"]


@pytest.fixture
def shared_dir():
    with shared_tempdir("zkcfg-test-") as path:
        yield path


@pytest.mark.parametrize("backup", [False, True])
def test_a_directory_it_cannot_write_fails_naming_the_path(shared_dir, backup):
    # the module runs as a user (nobody) that may read and write zoo.cfg but not write its directory
    conf = os.path.join(shared_dir, "conf")
    os.mkdir(conf, 0o755)
    cfg = os.path.join(conf, "zoo.cfg")
    with open(cfg, "wb") as fh:
        fh.write(ORIGINAL)
    os.chmod(cfg, 0o666)
    result, rc = run_module("zookeeper_config", {"path": cfg, "settings": {"maxClientCnxns": 5}, "backup": backup},
                            **as_user(65534))
    assert rc == 1 and result["failed"] is True, result
    assert conf in result["msg"] and "Traceback" not in result["msg"]
    with open(cfg, "rb") as fh:
        assert fh.read() == ORIGINAL
    assert os.listdir(conf) == ["zoo.cfg"]


# ---------------------------------------------------------------- dynamic configuration (3.5+)
def dynamic_pair(tmp_path, dynamic_text):
    dyn = tmp_path / "zoo.cfg.dynamic.100000000"
    dyn.write_text(dynamic_text)
    cfg = tmp_path / "zoo.cfg"
    cfg.write_bytes(ORIGINAL + ("dynamicConfigFile=%s\n" % dyn).encode())
    return cfg, dyn


@pytest.mark.parametrize("settings,needle", [
    ({"server.3": "10.0.0.3:2888:3888;2181"}, "server.3 lives in the dynamic configuration file"),
    ({"maxClientCnxns": 5, "group.1": "1:2"}, "group.1 lives in the dynamic configuration file"),
    ({"clientPort": 2182}, "the client port is given in dynamic form"),
])
def test_keys_of_the_dynamic_file_are_refused(tmp_path, capsys, settings, needle):
    cfg, dyn = dynamic_pair(tmp_path, "server.1=10.0.0.1:2888:3888:participant;2181\n")
    before = cfg.read_bytes(), dyn.read_bytes()
    out, rc = run({"path": str(cfg), "settings": settings, "backup": True}, capsys)
    assert rc == 1 and needle in out["msg"] and str(dyn) in out["msg"]
    assert (cfg.read_bytes(), dyn.read_bytes()) == before
    assert sorted(os.listdir(str(tmp_path))) == sorted([cfg.name, dyn.name])


def test_max_client_cnxns_stays_in_the_static_file(tmp_path, capsys):
    cfg, dyn = dynamic_pair(tmp_path, "server.1=10.0.0.1:2888:3888:participant;2181\n")
    dyn_before = dyn.read_bytes()
    out, rc = run({"path": str(cfg), "settings": {"maxClientCnxns": 500}}, capsys)
    assert rc == 0 and out["changed"] is True and b"maxClientCnxns=500\n" in cfg.read_bytes()
    assert dyn.read_bytes() == dyn_before


def test_client_port_stays_static_when_the_dynamic_file_has_none(tmp_path, capsys):
    cfg, dummy = dynamic_pair(tmp_path, "server.1=10.0.0.1:2888:3888:participant\n")
    out, rc = run({"path": str(cfg), "settings": {"clientPort": 2182}}, capsys)
    assert rc == 0 and b"clientPort=2182\n" in cfg.read_bytes()


def test_an_unreadable_dynamic_file_refuses_client_port(tmp_path, capsys):
    cfg, dyn = dynamic_pair(tmp_path, "")
    dyn.unlink()
    os.mkfifo(str(dyn))
    out, rc = run({"path": str(cfg), "settings": {"clientPort": 2182}}, capsys)
    assert rc == 1 and "dynamic configuration file" in out["msg"] and "not a regular file" in out["msg"]


@pytest.mark.parametrize("kind, settings, start", [
    ("file", {"maxClientCnxns": 2147483648}, "settings: "),
    ("file", {"tickTime": "99999999999999999999"}, "settings: "),
    ("file", {"maxclientcnxns": 1}, "settings: "),
    ("file", {"dataDir": "a\x00b"}, "settings: "),
    ("missing", {"maxClientCnxns": 1}, "path: "),
    ("fifo", {"maxClientCnxns": 1}, "path: "),
    ("directory", {"maxClientCnxns": 1}, "path: "),
    ("nul", {"maxClientCnxns": 1}, "path: "),
    ("crlf", {"maxClientCnxns": 1}, "path: "),
])
def test_every_refusal_names_its_option(tmp_path, capsys, kind, settings, start):
    path = tmp_path / "zoo.cfg"
    if kind == "file":
        path.write_bytes(ORIGINAL)
    elif kind == "fifo":
        os.mkfifo(str(path))
    elif kind == "directory":
        path.mkdir()
    name = {"nul": str(path) + "\x00x", "crlf": str(path) + "\r\n"}.get(kind, str(path))
    out, rc = run({"path": name, "settings": settings}, capsys)
    assert rc == 1 and out["msg"].startswith(start), out["msg"]
    assert kind != "file" or path.read_bytes() == ORIGINAL


def test_diff_of_a_large_file_shows_the_changed_keys_only(tmp_path, capsys):
    # the whole texts of a file inside the 64 MiB cap would make an answer of hundreds of MiB
    path = tmp_path / "zoo.cfg"
    path.write_bytes(ORIGINAL + b"# padding\n" * (200 * 1024))
    out, rc = run({"path": str(path), "settings": {"maxClientCnxns": 61}}, capsys, check_mode=True, diff=True)
    assert rc == 0 and out["changed"] is True
    assert out["diff"]["before"] == "maxClientCnxns=60\n" and out["diff"]["after"] == "maxClientCnxns=61\n"
    assert "changed keys only" in out["diff"]["before_header"]


def test_a_relative_path_is_refused(tmp_path, capsys, monkeypatch):
    # relative to whatever the module's working directory is on the host: ../../etc/shadow from there
    (tmp_path / "zoo.cfg").write_bytes(ORIGINAL)
    monkeypatch.chdir(str(tmp_path))
    out, rc = run({"path": "zoo.cfg", "settings": {"maxClientCnxns": 1}}, capsys, check_mode=True, diff=True)
    assert rc == 1 and out["msg"].startswith("path: 'zoo.cfg'") and "absolute" in out["msg"]
    assert "diff" not in out
