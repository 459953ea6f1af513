"""port_release against real processes: only ever processes these tests started."""
import json
import os
import socket
import subprocess
import sys
import tempfile

import pytest
from tests.support.modrun import ROOT, run_module


def release(port, check_mode=False, **extra):
    args = {"ports": [port], "expected": {str(port): ["node_exporter"]}, "respawn_window": 1, "timeout": 5}
    args.update(extra)
    return run_module("port_release", args, check_mode=check_mode, diff=True)


def test_foreign_listener_released_then_no_change(started, free_port):
    proc = started.start("holder.py", free_port)
    result, rc = release(free_port)
    assert rc == 0, result
    assert result["changed"] is True and result["released_ports"] == [free_port]
    assert [(t["pid"], t["signal"], t["signal_method"]) for t in result["terminated"]] == [
        (proc.pid, "SIGTERM", "pidfd")]  # this machine's kernel (>= 5.3) has pidfds
    assert proc.wait(timeout=10) == -15
    assert str(proc.pid) in result["diff"]["before"]["holders"][0] and result["diff"]["after"]["holders"] == []
    second, rc = release(free_port)
    assert rc == 0 and second["changed"] is False and second["terminated"] == []


def test_check_mode_changes_nothing(started, free_port):
    proc = started.start("holder.py", free_port)
    result, rc = release(free_port, check_mode=True)
    assert rc == 0 and result["changed"] is True
    assert [r["pid"] for r in result["would_terminate"]] == [proc.pid]
    assert result["terminated"] == [] and started.alive(proc)


def test_outbound_ephemeral_not_signalled(started, free_port):

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        proc = started.start("holder.py", free_port, "--connect", "127.0.0.1:%d" % server.getsockname()[1])
        result, rc = release(free_port)
        assert rc == 0 and result["changed"] is False
        assert result["skipped"][0]["pid"] == proc.pid and "outbound" in result["skipped"][0]["reason"]
        assert result["still_held"] == [free_port] and started.alive(proc)
    finally:
        server.close()


def test_observer_never_signalled(started, free_port):
    proc = started.start("holder.py", free_port, "--name", "observer", argv0="observer")
    result, rc = release(free_port, expected={str(free_port): ["node_exporter"]})
    assert rc == 0 and result["changed"] is False and started.alive(proc)
    assert result["skipped"] == [{"pid": proc.pid, "name": "observer", "ports": [free_port], "holders": [proc.pid],
                                  "kinds": ["protected"], "reason": "protected process: never signalled"}]


def test_sigterm_ignored_escalates_or_fails(started, free_port):
    proc = started.start("holder.py", free_port, "--ignore-term")
    result, rc = release(free_port, timeout=1, escalate=False)
    assert rc == 1 and "escalate is false" in result["msg"] and str(proc.pid) in result["msg"]
    assert started.alive(proc)
    result, rc = release(free_port, timeout=1)
    assert rc == 0 and result["terminated"][0]["signal"] == "SIGKILL"
    assert proc.wait(timeout=10) == -9


def test_supervisor_respawn_is_reported(started, free_port):
    supervisor = started.start("supervisor.py", free_port, session=True)
    result, rc = release(free_port, respawn_window=5)
    assert rc == 1 and result["respawned"], result
    assert result["respawned"][0]["ppid"] == supervisor.pid and "supervisor" in result["msg"]
    assert result["respawned"][0]["pid"] != result["terminated"][0]["pid"]
    assert started.alive(supervisor)


@pytest.mark.parametrize("ports", ["62881-", "70000", "63881-62881", "abc", []])
def test_bad_ports_do_nothing(started, free_port, ports):
    proc = started.start("holder.py", free_port)
    result, rc = run_module("port_release", {"ports": ports if ports == [] else [ports],
                                             "expected": {str(free_port): ["x"]}})
    assert rc == 1 and (repr(ports) if ports else "empty") in result["msg"] and started.alive(proc)


def test_through_ansible_playbook(started, free_port):
    """The modules as a user runs them: ansible-playbook, localhost, the linked collection."""
    proc = started.start("holder.py", free_port)
    playbook = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Release", "alertops.remediation.port_release": {
            "ports": [free_port], "expected": {str(free_port): ["node_exporter"]}, "respawn_window": 1},
         "register": "released"},
        {"name": "Look again", "alertops.remediation.port_owners_info": {
            "ports": [free_port], "expected": {str(free_port): ["node_exporter"]}}, "register": "owners"},
        {"name": "Report", "ansible.builtin.debug": {
            "msg": "RESULT {{ {'released': released.released_ports, 'free': owners.free_ports} | to_json }}"}},
    ]}]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as handle:
        json.dump(playbook, handle)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"), ANSIBLE_NOCOLOR="1")
    try:
        out = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                              "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable, handle.name],
                             cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180, check=False)
    finally:
        os.unlink(handle.name)
    text = out.stdout.decode()
    assert out.returncode == 0, text
    assert 'RESULT {"released": [%d], "free": [%d]}' % (free_port, free_port) in text.replace("\\\"", "\"")
    assert proc.wait(timeout=10) == -15
