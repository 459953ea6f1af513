#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: ocp_agent
short_description: Start, stop or restart the OceanBase OCP-Agent through its own control script
version_added: 0.1.0
description:
  - Drives the OCP-Agent with the control script it ships, for both generations. OCP 3.1 and older
    (C(legacy)) use C(python ocp_agent_ctl.py start|stop ocp_agent) at the agent's home; OCP 3.2 and
    newer (C(agentctl)) use C(bin/ocp_agentctl start|stop).
  - The guardian C(ocp_agentd) restarts any child that dies, so a stop goes through the control script,
    which stops the guardian first. After a stop the module confirms that no agent process is left and
    fails naming every survivor (pid and identity) instead of ignoring it.
  - A start waits until every exporter port is held by its rightful agent process and every exporter
    answers HTTP 200 on its metrics path. An agent whose guardian runs but whose children are down (the
    guardian gives a child up after three quick exits) is not started, so C(state=started) restarts it.
  - C(state=restarted) is a stop followed by a start (the legacy script has no restart command).
  - Failures name what is missing and include the last lines of the agent's logs.
author:
  - alertops.remediation maintainers (@alertops)
extends_documentation_fragment:
  - alertops.remediation.attributes
  - alertops.remediation.attributes.acting_module
attributes:
  idempotent:
    support: partial
    details: C(state=restarted) always restarts; C(started) and C(stopped) change nothing when already so.
options:
  state:
    description:
      - C(started) makes sure the agent runs and its exporters are ready.
      - C(stopped) stops the guardian and every child.
      - C(restarted) stops, then starts.
    type: str
    choices: [started, stopped, restarted]
    default: started
  home:
    description: The agent's installation directory.
    type: path
    default: /home/admin/ocp_agent
  flavor:
    description:
      - Agent generation. C(auto) picks C(agentctl) when C(bin/ocp_agentctl) exists under O(home),
        else C(legacy) when C(ocp_agent_ctl.py) does.
    type: str
    choices: [auto, legacy, agentctl]
    default: auto
  timeout:
    description: Seconds to wait for a stop to complete or a start to become ready.
    type: int
    default: 60
  python:
    description:
      - Interpreter that runs the legacy C(ocp_agent_ctl.py). Default is C(python) when the host has it,
        else C(python3).
    type: str
  log_lines:
    description: How many last lines of each agent log to return when something fails.
    type: int
    default: 20
notes:
  - Readiness is probed on 127.0.0.1 of the managed host, where the agent's exporters listen.
seealso:
  - module: alertops.remediation.port_owners_info
  - module: alertops.remediation.port_release
'''

EXAMPLES = r'''
- name: Restart the agent so the guardian takes its children back
  alertops.remediation.ocp_agent:
    state: restarted

- name: Make sure a legacy agent runs, waiting up to two minutes for its exporters
  alertops.remediation.ocp_agent:
    state: started
    flavor: legacy
    timeout: 120

- name: Stop the agent (guardian first)
  alertops.remediation.ocp_agent:
    state: stopped
    home: /home/admin/ocp_agent
'''

RETURN = r'''
flavor:
  description: The agent generation that was driven.
  returned: success
  type: str
  sample: agentctl
expected_ports:
  description: The flavor's exporter ports and the process that rightfully holds each (port as string).
  returned: success
  type: dict
  sample: {"62888": ["ocp_mgragent"], "62889": ["ocp_monagent"]}
plan:
  description: The steps taken (or, in check mode, that would be taken).
  returned: always
  type: list
  elements: str
  sample: ["stop: /home/admin/ocp_agent/bin/ocp_agentctl stop", "start: /home/admin/ocp_agent/bin/ocp_agentctl start"]
ready:
  description: Whether every exporter port is held by its agent process and answers HTTP 200.
  returned: success
  type: bool
processes:
  description: Agent processes after the run, one per name expected for the flavor.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Process name.
      type: str
    pid:
      description: Process id, null when not running.
      type: int
    ports:
      description: Ports this process is expected to hold.
      type: list
      elements: int
    listening:
      description: Whether the process holds its port.
      type: bool
    http_status:
      description: HTTP status of the metrics path, null when not reachable.
      type: int
    ready:
      description: listening and HTTP 200.
      type: bool
  sample:
    - {name: ocp_mgragent, pid: 4242, ports: [62888], listening: true, http_status: 200, ready: true}
survivors:
  description: Agent processes still alive after a stop (each with pid, name, exe, cmdline, start_time).
  returned: when a stop left processes behind
  type: list
  elements: dict
port_holders:
  description: For exporter ports not held by their agent process, who holds them instead.
  returned: when a start did not become ready
  type: dict
log_tail:
  description: Last lines of each agent log, keyed by file.
  returned: on failure
  type: dict
'''

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url
from ansible_collections.alertops.remediation.plugins.module_utils import agent_layout
from ansible_collections.alertops.remediation.plugins.module_utils import procfs

POLL = 0.5


def http_status(port, path):
    try:
        resp = open_url("http://127.0.0.1:%d%s" % (port, path), timeout=3, validate_certs=False)
        return resp.getcode()
    except Exception as exc:  # pylint: disable=broad-except
        # HTTPError carries a status; refused/timeouts do not.
        return getattr(exc, "code", None)


def tail(path, lines):
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", "replace")
    except (IOError, OSError) as exc:
        return ["<unreadable: %s>" % exc]
    return data.splitlines()[-lines:]


class OcpAgent(object):
    """Reads and changes the state of one OCP-Agent installation."""

    def __init__(self, module):
        self.module = module
        self.home = module.params["home"]
        self.timeout = module.params["timeout"]
        self.flavor = self._flavor()
        self.services = agent_layout.SERVICES[self.flavor]
        self.names = agent_layout.process_names(self.flavor)
        self.plan = []

    def _flavor(self):
        params = self.module.params
        if not os.path.isdir(self.home):
            self.module.fail_json(msg="OCP-Agent home %s does not exist" % self.home, plan=[])
        flavor = params["flavor"]
        if flavor == "auto":
            flavor = agent_layout.detect_flavor(self.home)
            if flavor is None:
                self.module.fail_json(
                    msg="no OCP-Agent control script under %s: looked for %s and %s" % (
                        self.home, agent_layout.AGENTCTL, agent_layout.LEGACY_CTL), plan=[])
        script = agent_layout.control_script(self.home, flavor)
        if not os.path.isfile(script):
            self.module.fail_json(msg="the %s control script %s is missing" % (flavor, script), plan=[])
        return flavor

    def _python(self):
        return (self.module.params["python"] or self.module.get_bin_path("python")
                or self.module.get_bin_path("python3", required=True))

    def argv(self, action):
        return agent_layout.command(self.home, self.flavor, action, python=self._python())

    # --- observation -------------------------------------------------------------------------
    def running(self):
        """Agent processes of this flavor that are alive now (identities)."""
        return procfs.find_processes(self.names)

    def status(self):
        """One row per expected process (pid, its port held by it, HTTP status), who holds each port,
        and the agent processes alive (one /proc scan for all three)."""
        alive = self.running()
        by_name = {}
        for ident in alive:
            by_name.setdefault(ident["name"], ident)
        ports = sorted(port for port, _path in self.services.values())
        holders = {}
        sockets = procfs.read_sockets(local_ports=ports, states=["LISTEN"])
        owners, unresolved = procfs.find_owners(sockets)
        rows_owned, _unknown = procfs.owned_sockets(sockets, owners, unresolved)
        for row in rows_owned:
            holders.setdefault(row["local_port"], []).append(row)
        rows = []
        guardian = by_name.get(agent_layout.GUARDIAN)
        rows.append({"name": agent_layout.GUARDIAN, "pid": guardian and guardian["pid"], "ports": [],
                     "listening": None, "http_status": None, "ready": guardian is not None})
        for name in sorted(self.services):
            port, path = self.services[name]
            ident = by_name.get(name)
            mine = [r for r in holders.get(port, []) if (r.get("process") or {}).get("name") == name]
            listening = bool(mine)
            code = http_status(port, path) if listening else None
            rows.append({"name": name, "pid": ident and ident["pid"], "ports": [port],
                         "listening": listening, "http_status": code,
                         "ready": listening and code == 200})
        return rows, holders, alive

    @staticmethod
    def is_ready(rows):
        return all(r["ready"] for r in rows)

    # --- actions ------------------------------------------------------------------------------
    def run_ctl(self, action):
        argv = self.argv(action)
        rc, out, err = self.module.run_command(argv, cwd=self.home)
        if rc != 0:
            self.fail("the agent's control script failed: %s exited %d" % (" ".join(argv), rc),
                      stdout=out, stderr=err)
        return out

    def stop(self):
        self.run_ctl("stop")
        deadline = time.time() + self.timeout
        survivors = self.running()
        while survivors and time.time() < deadline:
            time.sleep(POLL)
            survivors = self.running()
        if survivors:
            self.fail("agent processes survived the stop: %s" % ", ".join(
                "%s (pid %d)" % (s["name"], s["pid"]) for s in survivors), survivors=survivors)

    def start(self):
        self.run_ctl("start")
        deadline = time.time() + self.timeout
        rows, holders, _alive = self.status()
        while not self.is_ready(rows) and time.time() < deadline:
            time.sleep(POLL)
            rows, holders, _alive = self.status()
        if not self.is_ready(rows):
            foreign = {}
            for row in rows:
                for port in row["ports"]:
                    others = [h for h in holders.get(port, [])
                              if (h.get("process") or {}).get("name") != row["name"]]
                    if others:
                        foreign[str(port)] = others
            missing = ["%s (port %s: %s)" % (r["name"], r["ports"][0] if r["ports"] else "-",
                                             "not listening" if not r["listening"] else "HTTP %s" % r["http_status"])
                       if r["ports"] else "%s (not running)" % r["name"]
                       for r in rows if not r["ready"]]
            self.fail("the agent did not become ready within %ds: %s" % (self.timeout, "; ".join(missing)),
                      processes=rows, port_holders=foreign)
        return rows

    def fail(self, msg, **extra):
        logs = dict((path, tail(path, self.module.params["log_lines"]))
                    for path in agent_layout.log_files(self.home))
        self.module.fail_json(msg=msg, flavor=self.flavor, plan=self.plan, log_tail=logs, **extra)


def describe(rows):
    return "".join("%s pid=%s ready=%s\n" % (r["name"], r["pid"], r["ready"]) for r in rows)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="started", choices=["started", "stopped", "restarted"]),
            home=dict(type="path", default="/home/admin/ocp_agent"),
            flavor=dict(type="str", default="auto", choices=["auto", "legacy", "agentctl"]),
            timeout=dict(type="int", default=60),
            python=dict(type="str"),
            log_lines=dict(type="int", default=20),
        ),
        supports_check_mode=True,
    )
    if module.params["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds, got %d" % module.params["timeout"])
    agent = OcpAgent(module)
    state = module.params["state"]
    before, _holders, alive = agent.status()

    if state == "stopped":
        need_stop, need_start = bool(alive), False
    elif state == "started":
        ready = agent.is_ready(before)
        # A guardian that gave its children up keeps running: only stop + start brings them back.
        need_stop, need_start = (bool(alive) and not ready), not ready
    else:
        need_stop, need_start = bool(alive), True

    if need_stop:
        agent.plan.append("stop: %s" % " ".join(agent.argv("stop")))
    if need_start:
        agent.plan.append("start: %s" % " ".join(agent.argv("start")))
        agent.plan.append("wait up to %ds for %s" % (agent.timeout, ", ".join(
            "%s on %d%s" % (n, p, path) for n, (p, path) in sorted(agent.services.items()))))
    changed = bool(agent.plan)
    result = dict(changed=changed, flavor=agent.flavor, plan=agent.plan,
                  expected_ports=dict((str(k), v) for k, v in agent_layout.expected_ports(agent.flavor).items()))

    if module.check_mode or not changed:
        result.update(processes=before, ready=agent.is_ready(before))
        module.exit_json(**result)

    if need_stop:
        agent.stop()
    after = agent.start() if need_start else agent.status()[0]
    result.update(processes=after, ready=agent.is_ready(after))
    if module._diff:
        result["diff"] = dict(before=describe(before), after=describe(after),
                              before_header="%s agent processes" % agent.flavor,
                              after_header="%s agent processes" % agent.flavor)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
