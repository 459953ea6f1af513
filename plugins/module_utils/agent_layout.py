# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an OCP-Agent installation looks like, per generation (pure data and path logic).

OCP <= 3.1 ("legacy") is driven by ``python ocp_agent_ctl.py start|stop ocp_agent`` at the home's
root; OCP >= 3.2 ("agentctl") by ``bin/ocp_agentctl start|stop|restart|status``. Both run the guardian
``ocp_agentd``, which respawns any child that dies, so it must be stopped first.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

GUARDIAN = "ocp_agentd"

# name -> (port, HTTP path that answers 200 once the exporter is ready)
SERVICES = {
    "legacy": {
        "pos_proxy": (62888, "/"),
        "ocp_exporter": (62889, "/metrics/stat"),
        "node_exporter": (63000, "/metrics"),
    },
    "agentctl": {
        "ocp_mgragent": (62888, "/api/v1/status"),
        "ocp_monagent": (62889, "/metrics/node/host"),
    },
}

LEGACY_CTL = "ocp_agent_ctl.py"
AGENTCTL = os.path.join("bin", "ocp_agentctl")


def control_script(home, flavor):
    return os.path.join(home, LEGACY_CTL if flavor == "legacy" else AGENTCTL)


def resolve_flavor(home, flavor):
    """The generation to drive under home ("auto" detects it); ValueError names the option (home or
    flavor) and says what is missing."""
    if not os.path.isdir(home):
        raise ValueError("home: OCP-Agent home %s does not exist" % home)
    if flavor == "auto":
        flavor = detect_flavor(home)
        if flavor is None:
            raise ValueError("home: no OCP-Agent control script under %s: looked for %s and %s" % (
                home, AGENTCTL, LEGACY_CTL))
    script = control_script(home, flavor)
    if not os.path.isfile(script):
        raise ValueError("flavor: the %s control script %s is missing under home %s" % (flavor, script, home))
    return flavor


def detect_flavor(home):
    """Return 'agentctl' or 'legacy' by what is installed under home, or None."""
    if os.path.isfile(os.path.join(home, AGENTCTL)):
        return "agentctl"
    if os.path.isfile(os.path.join(home, LEGACY_CTL)):
        return "legacy"
    return None


def process_names(flavor):
    return [GUARDIAN] + sorted(SERVICES[flavor])


def expected_ports(flavor):
    """port -> [rightful process name] for one generation."""
    return dict((port, [name]) for name, (port, _path) in SERVICES[flavor].items())


def expected_ports_any_generation():
    """port -> rightful process names of either generation (oldest first): the default policy when the
    generation is not known."""
    merged = {}
    for flavor in ("legacy", "agentctl"):
        for port, names in sorted(expected_ports(flavor).items()):
            merged.setdefault(port, []).extend(names)
    return merged


def command(home, flavor, action, python="python"):
    """argv for the agent's own control script. The legacy script has no restart/status."""
    script = control_script(home, flavor)
    if flavor == "legacy":
        if action not in ("start", "stop"):
            raise ValueError("the legacy ocp_agent_ctl.py has no %r command" % action)
        return [python, script, action, "ocp_agent"]
    return [script, action]


LOG_FILES_MAX = 20


def log_files(home):
    """Up to LOG_FILES_MAX *.log paths under home/log, the guardian's first (it says why children were
    given up). Only names, and none through a log directory that is a symbolic link (the agent's user
    owns it); what each file is gets checked when it is read."""
    log_dir = os.path.join(home, "log")
    try:
        fd = os.open(log_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return []
    try:
        names = sorted(n for n in os.listdir(fd) if n.endswith(".log"))
    except OSError:
        return []
    finally:
        os.close(fd)
    names.sort(key=lambda n: (n != GUARDIAN + ".log", n))
    return [os.path.join(log_dir, n) for n in names[:LOG_FILES_MAX]]
