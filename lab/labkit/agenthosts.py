"""The OCP-Agent simulator on agent hosts (lab/ocp_agent/install.py run inside the host)."""
import json
import os

from labkit.base import HERE
from labkit.netns import exec_in_host


def install_agent(state, spec, name, alert_url, start):
    """lay out the OCP-Agent simulator on an agent host (lab/ocp_agent/install.py, idempotent) and
    start the agent when the host is new. Returns a report line or None."""
    installer = os.path.join(HERE, "ocp_agent", "install.py")
    if not os.path.exists(installer):
        return None
    flavor = spec["hosts"][name]["ocp_agent_flavor"]
    argv = ["/usr/bin/python3", installer, "--home", "/home/admin/ocp_agent", "--flavor", flavor,
            "--svr-ip", spec["hosts"][name]["address"]]
    if alert_url:
        argv += ["--alert-url", alert_url]
    p = exec_in_host(state, name, argv, check=True, timeout=120)
    try:
        changed = json.loads(p.stdout.strip().splitlines()[-1]).get("changed")
    except (ValueError, IndexError, AttributeError):
        changed = True
    if not start:
        return "OCP-Agent simulator (%s) on %s updated" % (flavor, name) if changed else None
    if flavor == "legacy":
        ctl = ["/bin/sh", "-c", "cd /home/admin/ocp_agent && exec /usr/bin/python3 ocp_agent_ctl.py start ocp_agent"]
    else:
        ctl = ["/home/admin/ocp_agent/bin/ocp_agentctl", "start"]
    exec_in_host(state, name, ctl, check=True, timeout=120)
    return "OCP-Agent simulator (%s) installed and started on %s" % (flavor, name)
