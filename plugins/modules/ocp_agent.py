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
  - That readiness is also what proves a freed port stayed free. When another process listens on the port
    of an exporter that is not listening (a listener its supervisor started again), the exporter cannot
    bind it, so the module fails at once instead of waiting out O(timeout), naming each such process and
    its parent (the supervisor to stop) with their command lines (RV(port_blockers)). A connection on the
    port is waited for, not failed on at once (it may have been bound next to the exporter's listener).
  - C(state=restarted) is a stop followed by a start (the legacy script has no restart command).
  - Failures name what is missing (the command and its exit status when the control script fails) and
    include the last lines of the agent's logs. A log that is not a regular file (a FIFO, a directory)
    or is a symbolic link is not read, its entry says why; a log directory that is a symbolic link is
    not read at all.
  - The control script runs without a shell, in a process group of its own, under the O(timeout)
    deadline; when it outlives it the whole group is killed and the module fails. For a read-only
    look at the agent use M(alertops.remediation.ocp_agent_info).
author:
  - alertops.remediation maintainers (@alertops)
extends_documentation_fragment:
  - alertops.remediation.ocp_agent
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
      - "By default V(started): an agent that runs with ready exporters is left alone and nothing changes."
    type: str
    choices: [started, stopped, restarted]
    default: started
  timeout:
    description:
      - Seconds (a whole number in ASCII digits, 1 to 3600) for a stop to complete, or for a start to
        become ready, each including its control script run.
      - By default 60 seconds; past it the control script's process group is killed and the module fails.
    type: raw
    default: 60
  python:
    description:
      - Interpreter that runs the legacy C(ocp_agent_ctl.py), a path or a program found in C(PATH). Default
        is C(python) when the host has it, else C(python3).
    type: str
  log_lines:
    description:
      - How many last lines (0 to 1000) of each agent log (up to 20 logs, the guardian's first) to return
        when something fails.
      - By default the last 20 lines of each log.
    type: raw
    default: 20
notes:
  - Readiness is probed on 127.0.0.1 of the managed host, where the agent's exporters listen.
seealso:
  - module: alertops.remediation.ocp_agent_info
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
  description: The steps decided (in check mode, the steps that would be taken); see RV(actions) for those that ran.
  returned: always
  type: list
  elements: str
  sample: ["stop: /home/admin/ocp_agent/bin/ocp_agentctl stop", "start: /home/admin/ocp_agent/bin/ocp_agentctl start"]
actions:
  description:
    - The steps that ran, in order, each added once it completed; empty in check mode. On failure the
      step that failed is not in it.
  returned: always
  type: list
  elements: str
  sample: ["stop: /home/admin/ocp_agent/bin/ocp_agentctl stop: exit 0", "waited 2s until no agent process was left"]
ready:
  description: Whether every exporter port is held by its agent process and answers HTTP 200.
  returned: success
  type: bool
processes:
  description:
    - Agent processes after the run (in check mode, as found), one row per process expected for the
      flavor, shaped as RV(alertops.remediation.ocp_agent_info#module:processes).
  returned: success
  type: list
  elements: dict
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
port_blockers:
  description:
    - Processes that held the port of an exporter that was not listening, so that the start was given up
      at once, one per port and holder, with C(port), C(service), C(pid), C(name), C(cmdline), C(user),
      C(unit), C(state) (of the socket), C(ppid) and C(parent) (C(pid), C(name), C(cmdline), C(unit) of the
      holder's parent process, null when it is gone).
  returned: when a start was given up because a port was held
  type: list
  elements: dict
  sample:
    - port: 62889
      service: ocp_exporter
      pid: 4321
      name: rogue-http
      cmdline: rogue-http --port 62889
      user: root
      unit: null
      state: LISTEN
      ppid: 4300
      parent:
        pid: 4300
        name: supervise-http
        cmdline: supervise-http --restart-after 4
        unit: null
log_tail:
  description:
    - "Last lines of each agent log, keyed by file; a log that was not read has one line C(<not read: reason>)."
  returned: on failure
  type: dict
rc:
  description: Exit status of the control script when it failed.
  returned: when the control script exited non-zero
  type: int
stdout:
  description: Last 64 KiB of the control script's output when it failed.
  returned: when the control script failed
  type: str
stderr:
  description: Last 64 KiB of the control script's error output when it failed.
  returned: when the control script failed
  type: str
'''

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.alertops.remediation.plugins.module_utils import agent_layout, agent_status, argcheck, safeio
from ansible_collections.alertops.remediation.plugins.module_utils import procfs

# Waits poll quickly at first (an agent is usually up within a second or two) and less often later.
POLL_FIRST = 0.1
POLL_MAX = 1.0
TIMEOUT_MAX = 3600
LOG_LINES_MAX = 1000


def options(module):
    """Validated (home, flavor, timeout, log_lines, python); each refusal names the option and the value."""
    params = module.params
    try:
        home = argcheck.text("home", params["home"])
        python = argcheck.text("python", params["python"])
        timeout = argcheck.count("timeout", params["timeout"], 1, TIMEOUT_MAX)
        log_lines = argcheck.count("log_lines", params["log_lines"], 0, LOG_LINES_MAX)
        flavor = agent_layout.resolve_flavor(home, params["flavor"])
    except ValueError as exc:  # OptionError is one
        module.fail_json(msg=str(exc), plan=[], actions=[])
    return home, flavor, timeout, log_lines, python


class OcpAgent(object):
    """Changes the state of one OCP-Agent installation through its own control script."""

    def __init__(self, module):
        self.module = module
        self.home, self.flavor, self.timeout, self.log_lines, python = options(module)
        self.services = agent_layout.SERVICES[self.flavor]
        self.python = self._python(python) if self.flavor == "legacy" else None
        self.plan = []
        self.actions = []

    def _python(self, python):
        if python is None:
            return self.module.get_bin_path("python") or self.module.get_bin_path("python3", required=True)
        found = python if "/" in python else self.module.get_bin_path(python)
        if not found or not os.path.isfile(found) or not os.access(found, os.X_OK):
            self.module.fail_json(msg="python: %r is not an executable file or a program in PATH" % python,
                                  plan=[], actions=[])
        return found

    def argv(self, action):
        return agent_layout.command(self.home, self.flavor, action, python=self.python)

    def status(self, seconds):
        return agent_status.read(self.flavor, time.monotonic() + seconds)

    def run_ctl(self, action, deadline):
        argv = self.argv(action)
        try:
            rc, out, err = safeio.run(argv, self.home, max(0.0, deadline - time.monotonic()))
        except safeio.CommandTimeout as exc:
            self.fail("the agent's control script %s did not finish within timeout=%ds; its process group "
                      "was killed" % (" ".join(argv), self.timeout), stdout=exc.out, stderr=exc.err)
        except OSError as exc:
            self.fail("could not run the agent's control script %s: %s" % (" ".join(argv), exc))
        if rc != 0:
            self.fail("the agent's control script failed: %s exited %d" % (" ".join(argv), rc),
                      rc=rc, stdout=out, stderr=err)
        self.actions.append("%s: %s: exit 0" % (action, " ".join(argv)))

    def stop(self):
        started = time.monotonic()
        deadline = started + self.timeout
        self.run_ctl("stop", deadline)
        survivors = procfs.find_processes(agent_layout.process_names(self.flavor))
        naps = polls(deadline)
        while survivors and next(naps):
            survivors = procfs.find_processes(agent_layout.process_names(self.flavor))
        if survivors:
            self.fail("agent processes survived the stop: %s" % ", ".join(
                "%s (pid %d)" % (s["name"], s["pid"]) for s in survivors), survivors=survivors)
        self.actions.append("waited %.0fs until no agent process was left" % (time.monotonic() - started))

    def start(self):
        started = time.monotonic()
        deadline = started + self.timeout
        self.run_ctl("start", deadline)
        rows, holders, _alive = agent_status.read(self.flavor, deadline)
        naps = polls(deadline)
        while not agent_status.is_ready(rows):
            blockers = agent_status.blockers(rows)
            if blockers:
                self.fail("the agent was started, but %s cannot bind: %s. The start was not waited for: an "
                          "exporter cannot bind a port another process holds. A holder that came back after it "
                          "was ended is started again by its parent: stop that supervisor first, then restart "
                          "the agent" % (
                              ", ".join(sorted(set(b["service"] for b in blockers))),
                              "; ".join(agent_status.describe_blocker(b) for b in blockers)),
                          processes=rows, port_holders=agent_status.foreign_holders(rows, holders),
                          port_blockers=blockers)
            if not next(naps):
                break
            rows, holders, _alive = agent_status.read(self.flavor, deadline)
        if not agent_status.is_ready(rows):
            self.fail("the agent did not become ready within %ds: %s" % (
                self.timeout, "; ".join(agent_status.missing(rows))),
                processes=rows, port_holders=agent_status.foreign_holders(rows, holders))
        self.actions.append("waited %.0fs until every exporter answered HTTP 200 (%s)" % (
            time.monotonic() - started, ", ".join(
                "%s on %d" % (n, p) for n, (p, _path) in sorted(self.services.items()))))
        return rows

    def fail(self, msg, **extra):
        logs = {}
        for path in agent_layout.log_files(self.home):
            lines, reason = safeio.tail(path, self.log_lines)
            logs[path] = lines if reason is None else ["<not read: %s>" % reason]
        self.module.fail_json(msg=msg, flavor=self.flavor, plan=self.plan, actions=self.actions, log_tail=logs,
                              **extra)


def polls(deadline):
    """Sleeps between two looks at the host, shorter first; each next() sleeps and says whether there is
    time left for another look (False once the deadline has passed)."""
    nap = POLL_FIRST
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            yield False
            continue
        time.sleep(min(nap, left))
        nap = min(POLL_MAX, nap * 1.5)
        yield True


def describe(rows):
    return "".join("%s pid=%s ready=%s\n" % (r["name"], r["pid"], r["ready"]) for r in rows)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            state=dict(type="str", default="started", choices=["started", "stopped", "restarted"]),
            home=dict(type="path", default="/home/admin/ocp_agent"),
            flavor=dict(type="str", default="auto", choices=["auto", "legacy", "agentctl"]),
            timeout=dict(type="raw", default=60),
            python=dict(type="str"),
            log_lines=dict(type="raw", default=20),
        ),
        supports_check_mode=True,
    )
    agent = OcpAgent(module)
    before, _holders, alive = agent.status(agent.timeout)
    need_stop, need_start = agent_status.needs(module.params["state"], agent_status.is_ready(before), alive)
    if need_stop:
        agent.plan.append("stop: %s" % " ".join(agent.argv("stop")))
    if need_start:
        agent.plan.append("start: %s" % " ".join(agent.argv("start")))
        agent.plan.append("wait up to %ds for %s" % (agent.timeout, ", ".join(
            "%s on %d%s" % (n, p, path) for n, (p, path) in sorted(agent.services.items()))))
    changed = bool(agent.plan)
    result = dict(changed=changed, flavor=agent.flavor, plan=agent.plan, actions=agent.actions,
                  expected_ports=dict((str(k), v) for k, v in agent_layout.expected_ports(agent.flavor).items()))

    if module.check_mode or not changed:
        result.update(processes=before, ready=agent_status.is_ready(before))
        module.exit_json(**result)

    if need_stop:
        agent.stop()
    after = agent.start() if need_start else agent.status(agent.timeout)[0]
    result.update(processes=after, ready=agent_status.is_ready(after))
    if module._diff:
        result["diff"] = dict(before=describe(before), after=describe(after),
                              before_header="%s agent processes" % agent.flavor,
                              after_header="%s agent processes" % agent.flavor)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
