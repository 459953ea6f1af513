#!/usr/bin/python3
"""Lay out an OCP-Agent simulator home (idempotent; re-run to repair or reconfigure).

    python3 lab/ocp_agent/install.py --home /home/admin/ocp_agent --flavor legacy|agentctl \
        --svr-ip 198.18.0.11 [--alert-url http://198.18.0.1:9093] [--check-interval 60]

Prints one JSON line: {"changed": bool, "home": ..., "flavor": ..., "files": [changed paths]}.
It does not start the agent: run the control script afterwards (see README.md).
"""
import argparse
import ipaddress
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

LEGACY_CTL = '''#!/usr/bin/python3
"""OCP-Agent (OCP <= 3.1) control script (simulator): start ocp_agent | stop ocp_agent | info | recover"""
import os
import sys
sys.dont_write_bytecode = True
HOME = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HOME, "lib"))
import ocp_agent_sim  # noqa: E402
sys.exit(ocp_agent_sim.legacy_main(HOME, sys.argv[1:]))
'''

AGENTCTL = '''#!/usr/bin/python3
"""OCP-Agent (OCP >= 3.2) control command (simulator): start|stop|restart|status|info, JSON output"""
import os
import sys
sys.dont_write_bytecode = True
HOME = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(HOME, "lib"))
import ocp_agent_sim  # noqa: E402
sys.exit(ocp_agent_sim.agentctl_main(HOME, sys.argv[1:]))
'''

VERSIONS = {"legacy": "3.1.1-sim", "agentctl": "4.2.0-sim"}
# the simulator: its entry point and the modules it imports, all copied to <home>/lib/
SIM_FILES = ("ocp_agent_sim.py", "sim_base.py", "sim_children.py", "sim_control.py", "sim_guardian.py")


def put(path, content, mode, changed):
    try:
        with open(path) as fh:
            same = fh.read() == content
    except OSError:
        same = False
    if not same:
        tmp = path + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(content)
        os.replace(tmp, path)
        changed.append(path)
    if os.stat(path).st_mode & 0o777 != mode:
        os.chmod(path, mode)
        if path not in changed:
            changed.append(path)


def symlink(path, target, changed):
    if os.path.islink(path) and os.readlink(path) == target:
        return
    if os.path.lexists(path):
        os.unlink(path)
    os.symlink(target, path)
    changed.append(path)


def remove(path, changed):
    if os.path.lexists(path):
        os.unlink(path)
        changed.append(path)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--home", default="/home/admin/ocp_agent")
    p.add_argument("--flavor", required=True, choices=("legacy", "agentctl"))
    p.add_argument("--svr-ip", required=True)
    p.add_argument("--alert-url", default=None, help="Alertmanager base URL (POST <url>/api/v2/alerts)")
    p.add_argument("--check-interval", type=float, default=60.0,
                   help="seconds between alert re-sends (default 60, the seed's detection cycle)")
    p.add_argument("--python", default=None, help="interpreter for the agent processes")
    p.add_argument("--node-exporter", default="/usr/bin/prometheus-node-exporter")
    a = p.parse_args(argv)
    try:
        ipaddress.ip_address(a.svr_ip)
    except ValueError:
        p.error("--svr-ip: not an IP address: %r" % a.svr_ip)
    if a.check_interval <= 0:
        p.error("--check-interval must be > 0, got %r" % a.check_interval)
    if a.alert_url and not a.alert_url.startswith(("http://", "https://")):
        p.error("--alert-url must start with http:// or https://, got %r" % a.alert_url)
    python = a.python or ("/usr/bin/python3" if os.path.exists("/usr/bin/python3")
                          else os.path.realpath(sys.executable))
    if a.flavor == "legacy" and not os.path.exists(a.node_exporter):
        p.error("legacy flavor needs node_exporter: %s not found "
                "(apt-get install prometheus-node-exporter)" % a.node_exporter)

    home = os.path.abspath(a.home)
    changed = []
    for d in ("", "bin", "lib", "conf", "log", "run"):
        path = os.path.join(home, d) if d else home
        if not os.path.isdir(path):
            os.makedirs(path)
            changed.append(path.rstrip("/") + "/")
    for name in SIM_FILES:
        with open(os.path.join(HERE, name)) as fh:
            put(os.path.join(home, "lib", name), fh.read(), 0o644, changed)
    conf = {"flavor": a.flavor, "svr_ip": a.svr_ip, "alert_url": a.alert_url,
            "check_interval": a.check_interval, "python": python,
            "version": VERSIONS[a.flavor]}
    put(os.path.join(home, "conf", "agent.json"),
        json.dumps(conf, indent=2, sort_keys=True) + "\n", 0o644, changed)
    legacy_ctl = os.path.join(home, "ocp_agent_ctl.py")
    agentctl = os.path.join(home, "bin", "ocp_agentctl")
    node_exporter = os.path.join(home, "bin", "node_exporter")
    if a.flavor == "legacy":
        put(legacy_ctl, LEGACY_CTL, 0o755, changed)
        symlink(node_exporter, a.node_exporter, changed)
        remove(agentctl, changed)
    else:
        put(agentctl, AGENTCTL, 0o755, changed)
        remove(legacy_ctl, changed)
        remove(node_exporter, changed)
    print(json.dumps({"changed": bool(changed), "home": home, "flavor": a.flavor,
                      "files": changed}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
