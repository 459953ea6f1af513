"""An interpreter for the OCP-Agent simulator (conf/agent.json "python") under which one child starts late,
like a real exporter that loads its configuration for seconds before it binds its port.

conf python = a two-line script that runs this file with the simulator's arguments
(`-I <lib> child --home H --name NAME ...`).
SLOW_NAME and SLOW_SECONDS come from <home>/conf/slow_start.json ({"name": ..., "seconds": ...}).
"""
import json
import os
import sys
import time

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def main(args):
    name = args[args.index("--name") + 1] if "--name" in args else "ocp_agentd"
    home = args[args.index("--home") + 1]
    with open(os.path.join(home, "conf", "slow_start.json")) as handle:
        slow = json.load(handle)
    if name == slow["name"]:
        time.sleep(float(slow["seconds"]))
    os.execv(PY, [name] + args)  # argv[0] is the process's name, as the simulator starts it


if __name__ == "__main__":
    main(sys.argv[1:])
