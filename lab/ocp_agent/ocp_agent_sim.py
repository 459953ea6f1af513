#!/usr/bin/python3
"""OCP-Agent simulator: guardian, children and control scripts of both agent generations.

Standard library only. install.py copies this file and its sim_*.py modules to <home>/lib/; the control
scripts (<home>/ocp_agent_ctl.py for the legacy agent, <home>/bin/ocp_agentctl for the Go-style
agent) import it from there. Processes are started as `/usr/bin/python3` with argv[0] set to the real
process name and /proc/self/comm rewritten, so /proc shows `ocp_agentd`, `pos_proxy`, ... like a real
host. See README.md next to this file for the contract.
"""

import argparse
import json
import os
import sys

# The agent's processes run as `python -I <home>/lib/ocp_agent_sim.py`: isolated mode leaves the
# script's own directory off sys.path, and the sim_* modules live there. No __pycache__ in the home:
# it would be one more thing there that a real agent does not have.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
from sim_base import GUARDIAN, Home  # noqa: E402
from sim_children import run_child  # noqa: E402
from sim_control import info, recover, start, status, stop  # noqa: E402
from sim_guardian import Guardian  # noqa: E402


def agentctl_main(home_dir, argv):
    cmds = ("start", "stop", "restart", "status", "info")
    if len(argv) != 1 or argv[0] not in cmds:
        print(json.dumps({"successful": False,
                          "message": "usage: ocp_agentctl %s" % "|".join(cmds)}))
        return 2
    home = Home(home_dir)
    cmd = argv[0]
    if cmd == "start":
        ok, msg = start(home)
    elif cmd == "stop":
        ok, msg = stop(home)
    elif cmd == "restart":
        ok1, m1 = stop(home)
        ok, msg = start(home) if ok1 else (False, {})
        msg = {"action": "restart", "changed": True, "stop": m1, "start": msg}
    elif cmd == "status":
        ok, msg = True, status(home)
    else:
        ok, msg = True, info(home)
    print(json.dumps({"successful": ok, "message": msg}, sort_keys=True))
    return 0 if ok else 1


def legacy_main(home_dir, argv):
    usage = ("usage: python ocp_agent_ctl.py start ocp_agent | stop ocp_agent | info | recover")
    home = Home(home_dir)
    if argv[:1] in (["start"], ["stop"]) and argv[1:] == ["ocp_agent"]:
        if argv[0] == "start":
            ok, msg = start(home)
            print("start ocp_agent: %s (%s, ocp_agentd pid %s)" % (
                "ok" if ok else "failed", msg["note"], msg["pid"]))
        else:
            ok, msg = stop(home)
            for d in msg["stopped"]:
                print("stop %s: pid %d (%s)" % (d["name"], d["pid"], d["signal"]))
            if not msg["stopped"]:
                print("stop ocp_agent: not running")
            for d in msg["left"]:
                print("stop ocp_agent: %s pid %d is still running" % (d["name"], d["pid"]))
            print("stop ocp_agent: %s" % ("ok" if ok else "failed"))
        return 0 if ok else 1
    if argv[:1] in (["start"], ["stop"]) and len(argv) == 2:
        print("%s %s: unknown target (only ocp_agent is simulated)" % (argv[0], argv[1]))
        return 2
    if argv == ["info"]:
        st = status(home)
        print("ocp_agent home: %s (OCP <= 3.1 layout)" % home.home)
        print("svr_ip: %s" % home.conf.get("svr_ip"))
        g = "running (pid %s)" % st["pid"] if st["pid"] else "stopped"
        print("%-14s %s" % (GUARDIAN, g))
        for name, svc in st["services"].items():
            print("%-14s %s pid=%s port=%s path=%s" % (name, svc["state"], svc["pid"],
                                                       svc["ports"][0], svc["path"]))
        return 0
    if argv == ["recover"]:
        ok, msg = recover(home)
        print("recover ocp_agentd: %s (ocp_agentd pid %s)" % ("ok" if ok else "failed", msg["pid"]))
        return 0 if ok else 1
    print(usage, file=sys.stderr)
    return 2


def main(argv):
    # internal entry points, started by the control scripts: guardian | child --name NAME
    p = argparse.ArgumentParser(prog="ocp_agent_sim")
    p.add_argument("role", choices=("guardian", "child"))
    p.add_argument("--home", required=True)
    p.add_argument("--name")
    a = p.parse_args(argv)
    home = Home(a.home)
    if a.role == "guardian":
        os.chdir(home.home)
        return Guardian(home).run()
    return run_child(home, a.name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
