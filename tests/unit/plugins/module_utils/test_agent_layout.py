import os

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import agent_layout


def make_home(tmp_path, flavor):
    home = tmp_path / "ocp_agent"
    (home / "bin").mkdir(parents=True)
    (home / "log").mkdir()
    script = home / ("bin/ocp_agentctl" if flavor == "agentctl" else "ocp_agent_ctl.py")
    script.write_text("#!/bin/sh\n")
    return str(home)


@pytest.mark.parametrize("flavor", ["legacy", "agentctl"])
def test_detect_flavor_by_the_control_script_installed(tmp_path, flavor):
    assert agent_layout.detect_flavor(make_home(tmp_path, flavor)) == flavor


def test_detect_flavor_nothing_installed(tmp_path):
    assert agent_layout.detect_flavor(str(tmp_path)) is None


def test_commands_of_each_generation():
    assert agent_layout.command("/h", "legacy", "stop", python="python") == ["python", "/h/ocp_agent_ctl.py", "stop", "ocp_agent"]
    assert agent_layout.command("/h", "agentctl", "start") == ["/h/bin/ocp_agentctl", "start"]
    with pytest.raises(ValueError, match="no 'restart' command"):
        agent_layout.command("/h", "legacy", "restart")


def test_expected_ports_and_names_per_generation():
    assert agent_layout.expected_ports("legacy") == {62888: ["pos_proxy"], 62889: ["ocp_exporter"], 63000: ["node_exporter"]}
    assert agent_layout.expected_ports("agentctl") == {62888: ["ocp_mgragent"], 62889: ["ocp_monagent"]}
    assert agent_layout.process_names("agentctl") == ["ocp_agentd", "ocp_mgragent", "ocp_monagent"]
    assert agent_layout.expected_ports_any_generation() == {
        62888: ["pos_proxy", "ocp_mgragent"], 62889: ["ocp_exporter", "ocp_monagent"], 63000: ["node_exporter"]}


def test_log_files_guardian_first(tmp_path):
    home = make_home(tmp_path, "legacy")
    for name in ("pos_proxy.log", "ocp_agentd.log", "alerts.jsonl", "node_exporter.log"):
        (tmp_path / "ocp_agent" / "log" / name).write_text("x\n")
    assert [os.path.basename(p) for p in agent_layout.log_files(home)] == [
        "ocp_agentd.log", "node_exporter.log", "pos_proxy.log"]
    assert agent_layout.log_files(str(tmp_path / "missing")) == []


def test_log_files_guardian_first_and_bounded(tmp_path):
    home = make_home(tmp_path, "agentctl")
    for name in ["z.log", "ocp_agentd.log", "a.log", "notes.txt"] + ["x%02d.log" % i for i in range(30)]:
        (tmp_path / "ocp_agent" / "log" / name).write_text("")
    files = agent_layout.log_files(home)
    assert len(files) == agent_layout.LOG_FILES_MAX
    assert [os.path.basename(f) for f in files[:2]] == ["ocp_agentd.log", "a.log"]


def test_log_files_not_listed_through_a_linked_directory(tmp_path):
    home = tmp_path / "ocp_agent"
    home.mkdir()
    private = tmp_path / "private"
    private.mkdir()
    (private / "secure.log").write_text("SECRET\n")
    os.symlink(str(private), str(home / "log"))
    assert agent_layout.log_files(str(home)) == []


@pytest.mark.parametrize("home, flavor, words", [
    ("missing", "auto", ["home: ", "does not exist"]),
    ("empty", "auto", ["home: ", "no OCP-Agent control script"]),
    ("agentctl", "legacy", ["flavor: ", "the legacy control script", "is missing"]),
])
def test_resolve_flavor_names_the_option(tmp_path, home, flavor, words):
    path = str(tmp_path / home)
    if home == "empty":
        os.mkdir(path)
    elif home == "agentctl":
        os.makedirs(os.path.join(path, "bin"))
        open(os.path.join(path, agent_layout.AGENTCTL), "w").close()
    with pytest.raises(ValueError) as err:
        agent_layout.resolve_flavor(path, flavor)
    for word in words:
        assert word in str(err.value)
    assert path in str(err.value)
