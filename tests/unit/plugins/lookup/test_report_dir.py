# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one rule for the report directory (lookup alertops.remediation.report_dir)."""
import os

import pytest

from ansible_collections.alertops.remediation.plugins.lookup.report_dir import LookupModule, report_dir


@pytest.mark.parametrize("environ, parts, expected", [
    ({}, (), "/work/run/reports"),
    ({"ALERTOPS_REPORT_DIR": ""}, (), "/work/run/reports"),
    ({"ALERTOPS_REPORT_DIR": "/srv/ops/reports"}, (), "/srv/ops/reports"),
    ({"ALERTOPS_REPORT_DIR": "/srv/ops/reports/"}, ("logs",), "/srv/ops/reports/logs"),
    ({"ALERTOPS_REPORT_DIR": "out"}, (), "/work/run/out"),
    ({"ALERTOPS_REPORT_DIR": "../out"}, (), "/work/out"),
    ({}, ("logs",), "/work/run/reports/logs"),
    # $PWD is what a shell last said; a launcher (ansible-runner, AWX) may have moved since: ignored.
    ({"PWD": "/somewhere/else"}, (), "/work/run/reports"),
])
def test_rule(environ, parts, expected):
    assert report_dir(environ, "/work/run", parts) == expected


def test_home_is_expanded(monkeypatch):
    monkeypatch.setenv("HOME", "/home/ops")
    assert report_dir({"ALERTOPS_REPORT_DIR": "~/reports"}, "/work/run") == "/home/ops/reports"


@pytest.mark.parametrize("part", ["..", ".", "", "a/b", "/abs", "x\0y", 5])
def test_bad_folder_names(part):
    with pytest.raises(ValueError):
        report_dir({}, "/work/run", [part])


def test_lookup_uses_the_working_directory_and_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    monkeypatch.setenv("PWD", "/not/here")
    monkeypatch.delenv("ALERTOPS_REPORT_DIR", raising=False)
    lookup = LookupModule()
    assert lookup.run([]) == [os.path.join(str(tmp_path), "reports")]
    assert lookup.run(["logs"]) == [os.path.join(str(tmp_path), "reports", "logs")]
    monkeypatch.setenv("ALERTOPS_REPORT_DIR", "/srv/r")
    assert lookup.run([]) == ["/srv/r"]
