"""The OCP-Agent simulator (lab/ocp_agent) and the agent-host fault programs (lab/faults).

Every test runs in a private "host": a fresh network + mount + PID namespace (unshare), so the agent's
fixed ports are free, sysctls changed by the fault programs are that namespace's own, and killing the
namespace's init at the end removes every process the test started, even when the test fails.
Checks read /proc from inside the namespace with a small probe that does not use the simulator's code.
Run as root: `.venv/bin/pytest -q tests/lab/test_ocp_agent_sim.py`.
"""
import json
import os
import shutil
import subprocess
import time

import pytest

from tests.support.nshost import (  # noqa: E402  pylint: disable=wrong-import-position
    AGENT_NAMES, FAULTS, INSTALL, LAYOUT, PY, RECEIVER, TEMPLATE, Agent, only_if, private_host, wait_for)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network/PID namespaces)"),
    pytest.mark.skipif(not (shutil.which("unshare") and shutil.which("nsenter")),
                       reason="needs unshare and nsenter (util-linux)"),
]


@pytest.fixture
def host():
    with private_host("ocp-agent-sim-") as h:
        yield h


def agent_procs(host):
    return [p for p in host.procs() if p["comm"] in AGENT_NAMES]


# ---------------------------------------------------------------- both generations

@pytest.mark.parametrize("flavor", ["legacy", "agentctl"])
def test_start_real_names_ports_and_http(host, flavor):
    agent = Agent(host, flavor)
    agent.ctl("start")
    serving = agent.wait_ready()
    procs = {p["pid"]: p for p in host.procs()}
    guardian = [p for p in procs.values() if p["comm"] == "ocp_agentd"]
    assert len(guardian) == 1 and guardian[0]["argv"][0] == "ocp_agentd"
    for name, pid in serving.items():
        proc = procs[pid]
        assert proc["ppid"] == guardian[0]["pid"], name
        with open(os.path.join(agent.home, "run", name + ".pid")) as fh:
            assert int(fh.read()) == pid
        if name == "node_exporter":  # the real binary, through the bin/node_exporter symlink
            assert proc["argv"][0] == os.path.join(agent.home, "bin", "node_exporter")
            assert "--no-collector.systemd" in proc["argv"]
            assert os.readlink(os.path.join(agent.home, "bin", "node_exporter")) == \
                "/usr/bin/prometheus-node-exporter"
        else:
            assert proc["argv"][0] == name
    statuses = wait_for(lambda: only_if(host.http(*agent.urls()),
                                        lambda r: set(r.values()) == {200}),
                        "HTTP 200 on every metrics path")
    assert len(statuses) == len(agent.layout)


def test_install_is_idempotent_and_validates(host):
    agent = Agent(host, "agentctl")
    assert agent.install_result["changed"] is True
    again = Agent(host, "agentctl")
    assert again.install_result == {"changed": False, "home": agent.home, "flavor": "agentctl",
                                    "files": []}
    bad = host.run([PY, INSTALL, "--home", agent.home, "--flavor", "agentctl", "--svr-ip",
                    "198.18.0.300"], check=False)
    assert bad.returncode == 2 and b"198.18.0.300" in bad.stderr
    # switching generation removes the other generation's entry point
    Agent(host, "legacy")
    assert os.path.exists(os.path.join(agent.home, "ocp_agent_ctl.py"))
    assert not os.path.exists(os.path.join(agent.home, "bin", "ocp_agentctl"))


@pytest.mark.parametrize("flavor,victim", [("legacy", "pos_proxy"), ("agentctl", "ocp_monagent")])
def test_guardian_respawns_a_killed_child(host, flavor, victim):
    agent = Agent(host, flavor)
    agent.ctl("start")
    before = agent.wait_ready()
    host.run(["kill", "-KILL", str(before[victim])])
    after = wait_for(lambda: only_if(agent.serving(), lambda s: s[victim] != before[victim]),
                     "a new %s" % victim)
    assert after[victim] != before[victim]
    assert "service exited" in agent.log("ocp_agentd")


@pytest.mark.parametrize("flavor", ["legacy", "agentctl"])
def test_port_clash_gives_up_raises_alert_and_restart_clears_it(host, flavor):
    recorded = os.path.join(host.tmp, "alertmanager.jsonl")
    host.spawned.append(subprocess.Popen(host.argv([PY, "-c", RECEIVER, recorded]),
                                         stdin=subprocess.DEVNULL))
    wait_for(lambda: host.http("http://127.0.0.1:9093/")["http://127.0.0.1:9093/"] == 501,
             "the alert receiver")
    agent = Agent(host, flavor, alert_url="http://127.0.0.1:9093")
    victim = [n for n, (port, _p) in agent.layout.items() if port == 62888][0]
    rogue, info = host.spawn([PY, os.path.join(FAULTS, "rogue_listener.py"), "62888"])
    assert info["port"] == 62888 and info["name"] == "rogue-http"

    agent.ctl("start")
    wait_for(lambda: "service exited too quickly" in agent.log("ocp_agentd"), "give-up")
    assert "listen tcp 0.0.0.0:62888: bind: address already in use" in agent.log(victim)
    assert agent.log("ocp_agentd").count('"service exited" service=%s' % victim) == 3
    wait_for(lambda: [a for a in agent.alerts() if a["event"] == "firing"], "firing event")
    firing = agent.alerts()[0]
    assert firing["alertname"] == "no_port_mapping_for_exporter"
    assert firing["summary"] == TEMPLATE and firing["ports"] == [62888]
    assert firing["services"] == [victim]
    assert TEMPLATE in agent.log("ocp_agentd")
    others = [n for n in agent.layout if n != victim]
    agent.wait_ready(others)
    status_before = None
    if flavor == "agentctl":
        status_before = agent.json("status")["message"]
        assert status_before["ready"] is False
        assert status_before["services"][victim]["state"] == "given_up"
        assert status_before["alarm"]["state"] == "firing"

    # Alertmanager got the API v2 alert, re-sent every check interval while it holds
    def posts():
        try:
            with open(recorded) as fh:
                return [json.loads(line) for line in fh]
        except FileNotFoundError:
            return []
    wait_for(lambda: len(posts()) >= 2, "two alert POSTs")
    first = posts()[0]
    assert first["path"] == "/api/v2/alerts"
    alert = first["body"][0]
    assert alert["labels"]["alertname"] == "no_port_mapping_for_exporter"
    assert alert["labels"]["svr_ip"] == "198.18.0.21"
    assert alert["labels"]["service"] == "OCP"
    assert alert["labels"]["severity"] and alert["labels"]["instance"]
    assert alert["annotations"]["summary"] == TEMPLATE
    assert alert["endsAt"] > alert["startsAt"]

    # free the port: the given-up child stays down (no agent restart yet)
    assert host.term(info["pid"], rogue) == 0
    assert not [p for p in host.procs() if 62888 in p["listen"]]
    time.sleep(2)  # several guardian cycles (0.2 s) and check intervals (1 s) with the port free
    assert not [p for p in host.procs() if 62888 in p["listen"]]
    assert [a["event"] for a in agent.alerts()] == ["firing"]

    agent.restart()
    agent.wait_ready()
    wait_for(lambda: [a for a in agent.alerts() if a["event"] == "resolved"], "resolved event")
    assert [a["event"] for a in agent.alerts()] == ["firing", "resolved"]
    assert "alarm cleared: " + TEMPLATE in agent.log("ocp_agentd")
    resolving = wait_for(lambda: [p for p in posts()
                                  if p["body"][0]["endsAt"] <= p["received"]],
                         "the resolving POST (endsAt = now)")
    assert resolving[0]["body"][0]["labels"]["alertname"] == "no_port_mapping_for_exporter"
    assert resolving[0]["body"][0]["startsAt"] == alert["startsAt"]
    if flavor == "agentctl":
        assert agent.json("status")["message"]["alarm"] is None


@pytest.mark.parametrize("flavor", ["legacy", "agentctl"])
def test_stop_kills_guardian_first_and_leaves_no_agent_process(host, flavor):
    agent = Agent(host, flavor)
    agent.ctl("start")
    serving = agent.wait_ready()
    out = agent.ctl("stop").stdout.decode()
    if flavor == "agentctl":
        msg = json.loads(out)
        assert msg["successful"] is True
        stopped = msg["message"]["stopped"]
        assert stopped[0]["name"] == "ocp_agentd"
        assert sorted(d["pid"] for d in stopped[1:]) == sorted(serving.values())
        assert msg["message"]["left"] == []
    else:
        lines = out.splitlines()
        assert lines[0].startswith("stop ocp_agentd: pid ")
        assert lines[-1] == "stop ocp_agent: ok"
    assert agent_procs(host) == []
    assert not [p for p in host.procs() if {62888, 62889, 63000} & set(p["listen"])]
    # a second stop is a no-op that still succeeds
    again = agent.ctl("stop").stdout.decode()
    assert ("not running" in again) if flavor == "legacy" else \
        json.loads(again)["message"]["stopped"] == []


@pytest.mark.parametrize("flavor", ["legacy", "agentctl"])
def test_stop_also_ends_a_child_the_guardian_forked_as_it_died(host, flavor):
    """A child the guardian forks as stop signals it still looks like the guardian (its name and argv)
    until it execs: stop used to pass over it, and on a busy machine it then came up as pos_proxy on 62888
    after the agent was "stopped". Stop ends every process of the home, the guardian's look-alikes too."""
    agent = Agent(host, flavor)
    agent.ctl("start")
    agent.wait_ready()
    lib = os.path.join(agent.home, "lib", "ocp_agent_sim.py")
    fork = ("import ctypes, time; ctypes.CDLL(None).prctl(15, b'ocp_agentd', 0, 0, 0); "
            "print('{}', flush=True); time.sleep(600)")
    dummy, info = host.spawn([PY, "-c", "import os, sys; os.execv(sys.argv[1], sys.argv[2:])", PY,
                              "ocp_agentd", "-c", fork, "-I", lib, "guardian", "--home", agent.home])
    assert len([p for p in host.procs() if p["comm"] == "ocp_agentd"]) == 2, info
    agent.ctl("stop")
    assert agent_procs(host) == []


def test_guardian_sigterm_leaves_children_dangling(host):
    agent = Agent(host, "agentctl")
    agent.ctl("start")
    serving = agent.wait_ready()
    guardian = host.procs("ocp_agentd")[0]["pid"]
    host.run(["kill", "-TERM", str(guardian)])
    wait_for(lambda: not host.procs("ocp_agentd"), "the guardian to exit")
    assert agent.serving() == serving  # children keep running
    msg = agent.json("status")["message"]
    assert msg["pid"] is None and msg["ready"] is False and msg["state"] == "stopped"
    assert sorted(d["pid"] for d in msg["dangling"]) == sorted(serving.values())
    agent.ctl("stop")
    assert agent_procs(host) == []


def test_killing_children_while_guardian_runs_brings_them_back(host):
    agent = Agent(host, "legacy")
    agent.ctl("start")
    before = agent.wait_ready()
    for pid in before.values():
        host.run(["kill", "-TERM", str(pid)])
    after = wait_for(lambda: only_if(agent.serving(),
                                     lambda s: not set(s.values()) & set(before.values())),
                     "all children back")
    assert set(after) == set(before)


def test_legacy_recover_restarts_only_the_guardian_and_has_no_restart(host):
    agent = Agent(host, "legacy")
    agent.ctl("start")
    children = agent.wait_ready()
    guardian = host.procs("ocp_agentd")[0]["pid"]
    agent.ctl("recover")
    new = wait_for(lambda: [p["pid"] for p in host.procs("ocp_agentd") if p["pid"] != guardian],
                   "a new guardian")
    assert len(host.procs("ocp_agentd")) == 1
    assert agent.serving() == children
    assert "adopted running service" in agent.log("ocp_agentd")
    for cmd in ("restart", "status"):
        res = agent.ctl(cmd, check=False)
        assert res.returncode == 2 and b"usage" in res.stderr
    info = agent.ctl("info").stdout.decode()
    assert "ocp_agentd" in info and "running (pid %d)" % new[0] in info


def test_agentctl_json_shapes(host):
    agent = Agent(host, "agentctl")
    st = agent.json("status")
    assert st["successful"] is True
    msg = st["message"]
    assert msg["ready"] is False and msg["pid"] is None and msg["dangling"] == []
    assert set(msg["services"]) == {"ocp_mgragent", "ocp_monagent"}
    for name, svc in msg["services"].items():
        assert svc["pid"] is None and svc["state"] == "stopped"
        assert svc["ports"] == [LAYOUT["agentctl"][name][0]]
    started = agent.json("start")
    assert started["successful"] is True and started["message"]["changed"] is True
    agent.wait_ready()
    again = agent.json("start")
    assert again["message"]["changed"] is False and again["message"]["pid"] == \
        started["message"]["pid"]
    msg = wait_for(lambda: only_if(agent.json("status")["message"], lambda m: m["ready"]),
                   "status ready")
    assert msg["pid"] == started["message"]["pid"]
    for name, svc in msg["services"].items():
        assert svc["state"] == "running" and isinstance(svc["pid"], int)
    info = agent.json("info")["message"]
    assert info["flavor"] == "agentctl" and info["svr_ip"] == "198.18.0.21"
    restarted = agent.json("restart")
    assert restarted["successful"] is True
    assert restarted["message"]["start"]["pid"] != started["message"]["pid"]
    bad = agent.ctl("bogus", check=False)
    assert bad.returncode == 2 and json.loads(bad.stdout)["successful"] is False


# ---------------------------------------------------------------- fault programs

def test_rogue_listener_holds_port_and_restores_on_sigterm(host):
    proc, info = host.spawn([PY, os.path.join(FAULTS, "rogue_listener.py"), "62889",
                             "--name", "java-sidecar"])
    me = [p for p in host.procs() if p["pid"] == info["pid"]][0]
    assert me["comm"] == "java-sidecar" and me["argv"][0] == "java-sidecar"
    assert me["listen"] == [62889]
    assert host.http("http://127.0.0.1:62889/")["http://127.0.0.1:62889/"] == 200
    assert host.term(info["pid"], proc) == 0
    assert not [p for p in host.procs() if 62889 in p["listen"]]


def test_respawner_restarts_its_listener_and_stops_it_on_sigterm(host):
    proc, info = host.spawn([PY, os.path.join(FAULTS, "respawner.py"), "62888"])
    sup = [p for p in host.procs() if p["pid"] == info["pid"]][0]
    assert sup["comm"] == "supervise-http" and sup["argv"][0] == "supervise-http"
    child = [p for p in host.procs() if p["pid"] == info["child_pid"]][0]
    assert child["comm"] == "rogue-http" and child["ppid"] == info["pid"]
    assert child["listen"] == [62888]
    host.run(["kill", "-KILL", str(info["child_pid"])])
    new = wait_for(lambda: [p for p in host.procs("rogue-http")
                            if p["pid"] != info["child_pid"] and 62888 in p["listen"]],
                   "a new listener child")
    assert new[0]["ppid"] == info["pid"]
    assert host.term(info["pid"], proc) == 0
    assert not host.procs("rogue-http") and not host.procs("supervise-http")


def test_ephemeral_holder_blocks_agent_and_restores_range(host):
    agent = Agent(host, "agentctl")
    agent.ctl("start")
    agent.wait_ready()
    original = host.probe()["port_range"]
    proc, info = host.spawn([PY, os.path.join(FAULTS, "ephemeral.py"), "--home", agent.home,
                             "--recycle", "6"])
    assert info["local_port"] == 62888 and info["name"] == "observer"
    assert info["original_range"] == original and info["range"] == "3500 65535"
    assert info["agent"]["stop_rc"] == 0 and info["agent"]["start_rc"] == 0
    snap = host.probe()
    assert snap["port_range"] == "3500 65535"
    obs = [p for p in snap["procs"] if p["pid"] == info["pid"]][0]
    assert obs["comm"] == "observer" and obs["argv"][0] == "observer"
    assert obs["listen"] == [2882]  # its own listener; 62888 is not a listener
    assert {"local_port": 62888, "remote_port": 2882} in obs["conns"]
    assert not [p for p in snap["procs"] if 62888 in p["listen"]]

    wait_for(lambda: "service exited too quickly" in agent.log("ocp_agentd"), "give-up")
    assert "bind: address already in use" in agent.log("ocp_mgragent")
    wait_for(agent.alerts, "the alert")

    # reserve the agent ports: the next recycled connection gets another port
    host.run(["sh", "-c", "echo 62888-62889 > /proc/sys/net/ipv4/ip_local_reserved_ports"])
    wait_for(lambda: [c for p in host.procs("observer") for c in p["conns"]
                      if c["remote_port"] == 2882 and c["local_port"] != 62888],
             "the recycled connection")
    wait_for(lambda: not [c for p in host.procs("observer") for c in p["conns"]
                          if c["local_port"] == 62888], "62888 to be released")
    agent.restart()
    agent.wait_ready()
    wait_for(lambda: [a for a in agent.alerts() if a["event"] == "resolved"], "alert cleared")
    assert host.procs("observer"), "observer must still run"

    assert host.term(info["pid"], proc) == 0
    assert host.probe()["port_range"] == original


def test_ephemeral_without_home_holds_the_port_and_restores(host):
    proc, info = host.spawn([PY, os.path.join(FAULTS, "ephemeral.py"), "--port", "62889",
                             "--listen", "2883"])
    assert info["local_port"] == 62889 and info["agent"] is None
    obs = [p for p in host.procs() if p["pid"] == info["pid"]][0]
    assert {"local_port": 62889, "remote_port": 2883} in obs["conns"]
    assert host.term(info["pid"], proc) == 0
    assert host.probe()["port_range"] == info["original_range"]
    assert not host.procs("observer")


def test_legacy_exporter_needs_node_exporter(host):
    """A rogue on 63000: node_exporter is given up, ocp_exporter answers 503, the alert names 63000."""
    rogue, info = host.spawn([PY, os.path.join(FAULTS, "rogue_listener.py"), "63000"])
    agent = Agent(host, "legacy")
    agent.ctl("start")
    wait_for(lambda: "service exited too quickly" in agent.log("ocp_agentd"), "give-up")
    assert "bind: address already in use" in agent.log("node_exporter")
    agent.wait_ready(["pos_proxy", "ocp_exporter"])
    url = "http://127.0.0.1:62889/metrics/stat"
    assert host.http(url)[url] == 503
    firing = wait_for(agent.alerts, "the alert")[0]
    assert firing["services"] == ["node_exporter"] and firing["ports"] == [63000]
    assert host.term(info["pid"], rogue) == 0
    agent.restart()
    agent.wait_ready()
    wait_for(lambda: host.http(url)[url] == 200, "ocp_exporter 200 with node_exporter back")
    wait_for(lambda: [a for a in agent.alerts() if a["event"] == "resolved"], "alert cleared")
