"""ocp_agent's decisions with the host's processes, sockets and HTTP replaced: what it plans, when it
changes nothing, how it fails. The real simulator runs in tests/integration/test_ocp_agent.py."""

import json
import os
import signal

import pytest

from ansible_collections.alertops.remediation.plugins.modules import ocp_agent
from tests.support.modrun import run_main
from tests.unit.plugins.module_utils.test_agent_layout import make_home
from tests.unit.plugins.module_utils.test_agent_status import deadline  # noqa: F401 pylint: disable=unused-import
from tests.unit.plugins.module_utils.test_safeio import alive as running


def run(capsys, args, check_mode=False):
    return run_main(ocp_agent.main, capsys, args, check_mode=check_mode)


@pytest.fixture
def host(monkeypatch):
    """A fake host: which agent processes run and which ports they hold; commands are recorded."""
    state = {"procs": [], "listening": {}, "commands": [], "started_by": None}

    def find_processes(names):
        if state["started_by"] and os.path.exists(state["started_by"]) and not state["procs"]:
            running_agent(state, "agentctl")  # the control script left its mark: the agent runs
        return [p for p in state["procs"] if p["name"] in names]

    def read_sockets(local_ports=None, states=None):
        return [{"local_port": port, "inode": port} for port in local_ports if port in state["listening"]]

    def find_owners(sockets):
        return {}, {}

    def owned_sockets(sockets, owners, unresolved):
        return [dict(s, pid=state["listening"][s["local_port"]]["pid"],
                     process=state["listening"][s["local_port"]]) for s in sockets], []

    monkeypatch.setattr(ocp_agent.procfs, "find_processes", find_processes)
    monkeypatch.setattr(ocp_agent.procfs, "read_sockets", read_sockets)
    monkeypatch.setattr(ocp_agent.procfs, "find_owners", find_owners)
    monkeypatch.setattr(ocp_agent.procfs, "owned_sockets", owned_sockets)
    monkeypatch.setattr(ocp_agent.agent_status, "http_status", lambda port, path, deadline: 200)
    return state


def running_agent(state, flavor):
    pid = 100
    state["procs"] = [{"pid": pid, "name": "ocp_agentd"}]
    for name, (port, _path) in ocp_agent.agent_layout.SERVICES[flavor].items():
        pid += 1
        proc = {"pid": pid, "name": name}
        state["procs"].append(proc)
        state["listening"][port] = proc


@pytest.mark.parametrize("flavor", ["legacy", "agentctl"])
def test_running_and_ready_means_no_change(tmp_path, capsys, host, flavor):
    running_agent(host, flavor)
    result, code = run(capsys, {"home": make_home(tmp_path, flavor)})
    assert code == 0 and result["changed"] is False and result["ready"] is True and result["plan"] == []
    assert result["flavor"] == flavor


def test_check_mode_plans_a_start_and_runs_nothing(tmp_path, capsys, host, monkeypatch):
    calls = []
    monkeypatch.setattr(ocp_agent.safeio, "run", lambda *a, **k: calls.append(a) or (0, "", ""))
    result, code = run(capsys, {"home": make_home(tmp_path, "agentctl")}, check_mode=True)
    assert code == 0 and result["changed"] is True and calls == []
    assert result["plan"][0].endswith("bin/ocp_agentctl start")


def test_guardian_running_children_given_up_plans_stop_then_start(tmp_path, capsys, host):
    host["procs"] = [{"pid": 7, "name": "ocp_agentd"}]
    result, code = run(capsys, {"home": make_home(tmp_path, "legacy"), "python": "python3"}, check_mode=True)
    assert code == 0 and result["changed"] is True and result["ready"] is False
    stop, start, wait = result["plan"]
    assert stop.startswith("stop: /") and stop.endswith("/python3 %s/ocp_agent/ocp_agent_ctl.py stop ocp_agent" % tmp_path)
    assert start.startswith("start: /") and start.endswith("/ocp_agent_ctl.py start ocp_agent")
    assert wait.startswith("wait up to 60s for ")


def test_stopped_when_nothing_runs_is_no_change(tmp_path, capsys, host):
    result, code = run(capsys, {"home": make_home(tmp_path, "agentctl"), "state": "stopped"})
    assert code == 0 and result["changed"] is False


@pytest.mark.parametrize("args, message", [
    ({"home": "/nonexistent/ocp_agent"}, "OCP-Agent home /nonexistent/ocp_agent does not exist"),
    ({"timeout": 0}, "timeout: 0 is out of range: give a whole number from 1 to 3600"),
])
def test_bad_input(tmp_path, capsys, host, args, message):
    result, code = run(capsys, dict({"home": make_home(tmp_path, "agentctl")}, **args))
    assert code == 1 and result["failed"] and message in result["msg"]


def test_a_failing_control_script_is_reported_with_its_output_and_logs(tmp_path, capsys, host, monkeypatch):
    home = make_home(tmp_path, "agentctl")
    (tmp_path / "ocp_agent" / "log" / "ocp_agentd.log").write_text("line 1\nguardian could not start\n")
    monkeypatch.setattr(ocp_agent.safeio, "run", lambda *a, **k: (2, "", "boom"))
    result, code = run(capsys, {"home": home})
    assert code == 1 and "exited 2" in result["msg"] and result["stderr"] == "boom"
    assert result["log_tail"][home + "/log/ocp_agentd.log"][-1] == "guardian could not start"


# ----------------------------------------------------------------------------- bounded and safe
def agentctl_script(home, body):
    path = os.path.join(home, "bin", "ocp_agentctl")
    with open(path, "w") as handle:
        handle.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)
    return path


def pids_in(path):
    try:
        with open(path) as handle:
            return [int(p) for p in handle.read().split()]
    except FileNotFoundError:
        return []


def test_a_hanging_control_script_is_bounded_and_its_group_killed(tmp_path, capsys, host, deadline):
    home = make_home(tmp_path, "agentctl")
    pidfile = str(tmp_path / "pids")
    agentctl_script(home, "echo $$ >> %s\nsleep 300 &\necho $! >> %s\nwait\n" % (pidfile, pidfile))
    try:
        result, code = run(capsys, {"home": home, "timeout": 5})  # ample for the script to start its child
        assert code == 1 and result["failed"]
        assert "bin/ocp_agentctl start did not finish within timeout=5s" in result["msg"]
        assert "process group was killed" in result["msg"]
        assert len(pids_in(pidfile)) == 2 and not any(running(p) for p in pids_in(pidfile))
        assert result["actions"] == []
    finally:
        for pid in pids_in(pidfile):
            if running(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_daemon_keeping_the_scripts_output_open_does_not_hang_it(tmp_path, capsys, host, deadline):
    """A control script that starts a daemon without closing stdout: the module returns once the script
    has exited (the daemon is left running: it is the agent)."""
    home = make_home(tmp_path, "agentctl")
    pidfile = str(tmp_path / "pids")
    host["started_by"] = str(tmp_path / "started")
    agentctl_script(home, "sleep 300 &\necho $! >> %s\ntouch %s\necho started\n" % (pidfile, host["started_by"]))
    try:
        result, code = run(capsys, {"home": home, "timeout": 20})
        assert code == 0 and result["ready"], result
        [daemon] = pids_in(pidfile)
        assert running(daemon), "the daemon the script started was killed"
        assert result["actions"][0].endswith("bin/ocp_agentctl start: exit 0")
    finally:
        for pid in pids_in(pidfile):
            os.kill(pid, signal.SIGKILL)


def test_logs_are_read_only_when_regular_files(tmp_path, capsys, host, deadline):
    """A FIFO is not opened (it would block), a link to a root-only file is not followed (its text
    must not come back), a directory is skipped; the real log comes back."""
    home = make_home(tmp_path, "agentctl")
    log = tmp_path / "ocp_agent" / "log"
    (log / "ocp_agentd.log").write_text("guardian started\ngiving up service=ocp_mgragent\n")
    os.mkfifo(str(log / "fifo.log"))
    secret = tmp_path / "shadow"
    secret.write_text("root:SECRET-HASH\n")
    os.chmod(str(secret), 0o600)
    os.symlink(str(secret), str(log / "link.log"))
    (log / "dir.log").mkdir()
    agentctl_script(home, "echo boom >&2\nexit 3\n")
    result, code = run(capsys, {"home": home})
    assert code == 1
    assert "SECRET" not in json.dumps(result)
    tails = result["log_tail"]
    assert tails[str(log / "ocp_agentd.log")] == ["guardian started", "giving up service=ocp_mgragent"]
    assert tails[str(log / "fifo.log")] == ["<not read: not a regular file: not read>"]
    assert tails[str(log / "link.log")] == ["<not read: a symbolic link: not followed>"]
    assert tails[str(log / "dir.log")] == ["<not read: not a regular file: not read>"]


def test_a_failing_script_is_named_with_its_exit_status(tmp_path, capsys, host):
    home = make_home(tmp_path, "agentctl")
    script = agentctl_script(home, "echo half-started\necho boom >&2\nexit 3\n")
    result, code = run(capsys, {"home": home})
    assert code == 1 and result["msg"] == "the agent's control script failed: %s start exited 3" % script
    assert (result["rc"], result["stdout"], result["stderr"]) == (3, "half-started\n", "boom\n")


def test_a_script_that_cannot_be_run_is_named(tmp_path, capsys, host):
    home = make_home(tmp_path, "agentctl")
    script = agentctl_script(home, "exit 0\n")
    os.chmod(script, 0o644)
    result, code = run(capsys, {"home": home})
    assert code == 1 and script in result["msg"] and "Permission denied" in result["msg"]


@pytest.mark.parametrize("args, words", [
    ({"timeout": "nan"}, ["timeout", "'nan'"]),
    ({"timeout": "inf"}, ["timeout", "'inf'"]),
    ({"timeout": 1e308}, ["timeout", "1e+308"]),
    ({"timeout": "\u0669"}, ["timeout", "'\u0669'"]),
    ({"timeout": 0}, ["timeout", "0"]),
    ({"timeout": 3601}, ["timeout", "3601", "3600"]),
    ({"timeout": True}, ["timeout", "True"]),
    ({"log_lines": -5}, ["log_lines", "-5"]),
    ({"log_lines": 10 ** 9}, ["log_lines", "1000000000", "1000"]),
    ({"log_lines": "\u0665"}, ["log_lines", "'\u0665'"]),
    ({"home": "/tmp/a\0b"}, ["home", "'/tmp/a\\x00b'"]),
    ({"python": "pyth\0on", "flavor": "legacy"}, ["python", "'pyth\\x00on'"]),
    ({"python": "/nonexistent/python9", "flavor": "legacy"}, ["python", "'/nonexistent/python9'"]),
])
def test_bad_input_names_the_option_and_runs_nothing(tmp_path, capsys, host, monkeypatch, args, words):
    calls = []
    monkeypatch.setattr(ocp_agent.safeio, "run", lambda *a, **k: calls.append(a) or (0, "", ""))
    home = make_home(tmp_path, "legacy" if args.get("flavor") == "legacy" else "agentctl")
    result, code = run(capsys, dict({"home": home}, **args))
    assert code == 1 and result["failed"] and calls == []
    for word in words:
        assert word in result["msg"], result["msg"]


# ----------------------------------------------------------------------------- a port taken back
SUPERVISOR = {"pid": 6, "name": "supervise-http", "cmdline": "supervise-http -I /opt/respawner.py 62888 --delay 4",
              "unit": None}


@pytest.mark.parametrize("state", ["started", "restarted"])
def test_a_port_taken_while_the_agent_starts_fails_at_once_naming_holder_and_supervisor(
        tmp_path, capsys, host, monkeypatch, deadline, state):
    """The agent is started, but a process (restarted by its supervisor) holds 62888 before the
    agent's child could bind it: the module fails at its first look, without waiting out the timeout,
    and names the holder and the supervisor's command line."""
    running_agent(host, "agentctl")
    del host["listening"][62888]
    host["procs"] = [p for p in host["procs"] if p["name"] != "ocp_mgragent"]
    rogue = {"pid": 7, "name": "rogue-http", "cmdline": "rogue-http -I /opt/rogue_listener.py 62888",
             "user": "nobody", "unit": None, "ppid": 6}
    monkeypatch.setattr(ocp_agent.procfs, "process_identity", lambda pid: dict(SUPERVISOR) if pid == 6 else None)

    def control_script(argv, _cwd, _seconds):
        if argv[-1] == "stop":
            host["procs"], host["listening"] = [], {}
        else:  # the guardian and ocp_monagent come up; 62888 was taken back first
            running_agent(host, "agentctl")
            host["procs"] = [p for p in host["procs"] if p["name"] != "ocp_mgragent"]
            host["listening"][62888] = rogue
        return 0, "", ""
    monkeypatch.setattr(ocp_agent.safeio, "run", control_script)
    naps = []
    monkeypatch.setattr(ocp_agent.time, "sleep", naps.append)
    result, code = run(capsys, {"home": make_home(tmp_path, "agentctl"), "state": state, "timeout": 600})
    assert code == 1 and result["failed"]
    assert naps == [], "it waited for a port it cannot get"
    for words in ("ocp_mgragent", "62888", "rogue-http (pid 7, user nobody", "rogue_listener.py 62888",
                  "parent pid 6 supervise-http", "respawner.py 62888 --delay 4"):
        assert words in result["msg"], result["msg"]
    [blocker] = result["port_blockers"]
    assert (blocker["port"], blocker["pid"], blocker["parent"]["cmdline"]) == (62888, 7, SUPERVISOR["cmdline"])
    assert result["actions"][-1].endswith("ocp_agentctl start: exit 0"), "the start ran: the report must say so"
