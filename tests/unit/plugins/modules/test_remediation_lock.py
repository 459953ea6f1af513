# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediation_lock run in-process: every bad value fails naming the option and the value, and
nothing is created on the host; the normal cases return the documented keys."""
import os

import pytest

from ansible_collections.alertops.remediation.plugins.modules import remediation_lock
from tests.support.modrun import run_main

TOKEN = "0123456789abcdef"
IDENTITY = {"hostname": "ctl", "boot_id": "b1", "pid_ns": "pid:[1]", "pid": 100, "start_ticks": 5,
            "started_at": "2026-11-21T10:00:00Z"}


def args(path, **extra):
    out = {"path": path, "token": TOKEN, "owner": "exporter_ports", "controller": IDENTITY}
    out.update(extra)
    return out


@pytest.mark.parametrize("extra, option", [
    ({"wait": "nan"}, "wait"),
    ({"wait": "inf"}, "wait"),
    ({"wait": 1e308}, "wait"),
    ({"wait": -1}, "wait"),
    ({"wait": "\u0669"}, "wait"),
    ({"wait": "99999999999999999999"}, "wait"),
    ({"wait": True}, "wait"),
    ({"lease": 0}, "lease"),
    ({"lease": "1e9"}, "lease"),
    ({"lease": "\u0661\u0662"}, "lease"),
    ({"token": "short"}, "token"),
    ({"token": "x" * 129}, "token"),
    ({"token": "a b c d e f g h"}, "token"),
    ({"token": None}, "token"),
    ({"break_token": "../../etc/x"}, "break_token"),
    ({"vouched": "bad\ntoken"}, "vouched"),
    ({"owner": "evil\r\nowner"}, "owner"),
    ({"owner": "x" * 201}, "owner"),
    ({"break_reason": "a\x00b"}, "break_reason"),
    # Ansible's str would make these the labels "12", "[]" and "['a']"
    ({"owner": 12}, "owner"),
    ({"owner": []}, "owner"),
    ({"break_reason": ["a"]}, "break_reason"),
    ({"break_reason": []}, "break_reason"),
    ({"break_reason": False}, "break_reason"),
    ({"controller": dict(IDENTITY, pid="\u0661")}, "controller.pid"),
    ({"controller": dict(IDENTITY, pid=0)}, "controller.pid"),
    ({"controller": dict(IDENTITY, pid=True)}, "controller.pid"),
    ({"controller": dict(IDENTITY, start_ticks=2 ** 64)}, "controller.start_ticks"),
    ({"controller": dict(IDENTITY, hostname="a\nb")}, "controller.hostname"),
    ({"controller": dict(IDENTITY, shell="rm -rf /")}, "controller"),
    ({"path": "relative.lock"}, "path"),
])
def test_bad_input_fails_naming_the_option_and_creates_nothing(tmp_path, capsys, extra, option):
    path = str(tmp_path / "x.lock")
    a = args(path)
    a.update(extra)
    result, code = run_main(remediation_lock.main, capsys, a)
    assert code == 1 and result["failed"]
    assert result["msg"].startswith(option + ":") or ("%s:" % option) in result["msg"], result["msg"]
    assert os.listdir(str(tmp_path)) == []


def test_take_renew_release(tmp_path, capsys):
    path = str(tmp_path / "x.lock")
    first, _code = run_main(remediation_lock.main, capsys, args(path, wait="3", lease="60"))
    assert first["held"] and not first["renewed"] and first["changed"] is False and first["expires_at"]
    again, _code = run_main(remediation_lock.main, capsys, args(path))
    assert again["held"] and again["renewed"]
    other, _code = run_main(remediation_lock.main, capsys, args(path, token="f" * 16, state="unlocked"))
    assert other["held"] is False and other["released"] is False and other["holder"]["token"] == TOKEN
    mine, _code = run_main(remediation_lock.main, capsys, args(path, state="unlocked"))
    assert mine["released"] and not mine["held"] and mine["changed"] is False


def test_check_mode_reports_and_writes_nothing(tmp_path, capsys):
    path = str(tmp_path / "x.lock")
    result, _code = run_main(remediation_lock.main, capsys, args(path), check_mode=True)
    assert result["held"] is False and result["would_acquire"] is True
    assert not os.path.exists(path)


def test_directory_path_fails_naming_path(tmp_path, capsys):
    path = tmp_path / "x.lock"
    path.mkdir()
    result, code = run_main(remediation_lock.main, capsys, args(str(path)))
    assert code == 1 and result["msg"].startswith("path: %s exists and is a directory" % path)
    assert path.is_dir() and os.listdir(str(path)) == []
