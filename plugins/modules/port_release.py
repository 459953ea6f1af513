#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: port_release
short_description: Free expected TCP ports held by foreign listeners, safely
version_added: 0.1.0
description:
  - Finds the holders of the expected ports (see O(expected)) the way M(alertops.remediation.port_owners_info)
    does and terminates the C(foreign_listener) ones, so the rightful process can bind again.
  - Right before each signal it re-reads the process and signals it only if its pid, start time and
    executable are still those the scan saw (a guard against pid reuse).
  - It never signals a rightful owner, a O(protected) process, a process whose only sockets there are
    outbound connections (C(outbound_ephemeral)), pid 1, itself or its own ancestors; those come back in
    RV(skipped) with the reason, and their ports in RV(still_held). Skipped holders are not a failure.
  - After a holder exits it watches the port for O(respawn_window) seconds; when another process takes it
    (a supervisor restarting its child) the module fails with RV(respawned) instead of killing in a loop.
  - Fails when a signal cannot be sent, when a holder outlives O(timeout) and O(escalate=false), or on a
    respawn.
author: alertops (@alertops)
options:
  allow:
    description:
      - When given, only holders whose comm or argv[0] basename fully matches one of these names or
        regular expressions may be terminated; other foreign holders are skipped.
    type: list
    elements: str
  signal:
    description: Signal sent first, by name (C(TERM), C(SIGINT)) or number.
    type: str
    default: TERM
  timeout:
    description: Seconds to wait for a holder to exit after O(signal) before escalating.
    type: float
    default: 10
  escalate:
    description:
      - Send C(SIGKILL) to a holder still running after O(timeout).
      - When false such a holder is left running and the module fails.
    type: bool
    default: true
  respawn_window:
    description: Seconds to watch that a released port stays free. C(0) disables the watch.
    type: float
    default: 3
extends_documentation_fragment:
  - alertops.remediation.port_policy
  - alertops.remediation.attributes
  - alertops.remediation.attributes.acting_module
notes:
  - Only ports that are keys of O(expected) and inside O(ports) are freed; other ports in the range
    (for example those of OCP-Server monitor workers) are left alone.
  - Stop a supervisor (such as C(ocp_agentd)) before releasing the ports of its children.
seealso:
  - module: alertops.remediation.port_owners_info
'''

EXAMPLES = r'''
- name: Free the OCP-Agent's ports from foreign listeners
  alertops.remediation.port_release:
  register: released

- name: Free 63000 for node_exporter, but only from a known offender, without SIGKILL
  alertops.remediation.port_release:
    ports: [63000]
    expected:
      63000: [node_exporter]
    allow: ['java', 'monitor_worker_\d+']
    timeout: 30
    escalate: false

- name: Preview
  alertops.remediation.port_release:
  check_mode: true
  register: preview
'''

RETURN = r'''
terminated:
  description: Holders that exited after a signal, with C(pid), C(name), C(ports) and the last C(signal) sent.
  returned: always
  type: list
  elements: dict
  sample: [{pid: 4242, name: nc, ports: [63000], signal: SIGTERM}]
skipped:
  description:
    - Holders left alone, each with C(pid) (null when unknown), C(name), C(ports), C(kinds) and C(reason).
  returned: always
  type: list
  elements: dict
  sample: [{pid: 777, name: observer, ports: [62889], kinds: [outbound_ephemeral], reason: "..."}]
would_terminate:
  description:
    - In check mode, the conflict rows (as in M(alertops.remediation.port_owners_info) C(conflicts)) whose
      holders would be terminated; empty otherwise.
  returned: always
  type: list
  elements: dict
released_ports:
  description: Ports whose foreign holders were terminated and that no foreign process holds afterwards.
  returned: always
  type: list
  elements: int
still_held:
  description: Expected ports that a process other than the rightful owner still holds at the end.
  returned: always
  type: list
  elements: int
respawned:
  description:
    - Processes that took a released port within O(respawn_window), with C(pid), C(name), C(ppid),
      C(unit), C(port), and the parent's C(parent_name) and C(parent_cmdline) (the supervisor to stop).
  returned: always
  type: list
  elements: dict
'''

import os
import re
import signal
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.alertops.remediation.plugins.module_utils import portspec, procfs

POLL = 0.05
KILL_GRACE = 5.0
SKIP_REASONS = {
    portspec.KIND_PROTECTED: "protected process: never signalled",
    portspec.KIND_OUTBOUND: "only outbound connections that use the port as their ephemeral source port: "
                            "never signalled (reserve the ports with net.ipv4.ip_local_reserved_ports)",
}


def parse_signal(value):
    text = str(value).strip().upper()
    if text.isdigit():
        number = int(text)
        if number in set(s.value for s in signal.Signals):
            return number
    else:
        name = text if text.startswith("SIG") else "SIG" + text
        if hasattr(signal.Signals, name):
            return getattr(signal.Signals, name).value
    raise ValueError("signal: %r is not a signal name or number" % value)


def _holder_line(row):
    name = (row.get("process") or {}).get("name") or "?"
    return "%s/%s %s %s:%s pid %s %s (%s)" % (row["local_port"], row["protocol"], row["state"],
                                              row["remote_address"], row["remote_port"], row["pid"], name,
                                              row["kind"])


class PortRelease(object):
    """Scan, decide, signal with the pid-reuse guard, watch for respawn; records before/after for diff."""

    def __init__(self, module, ports, expected, protected, allow, signum):
        self.module = module
        self.ports = ports
        self.expected = dict((p, n) for p, n in expected.items() if p in set(ports))
        self.protected = protected
        self.allow = allow
        self.signum = signum
        self.guarded = set([1, os.getpid()]) | procfs.ancestors(os.getpid())
        self.result = dict(changed=False, terminated=[], skipped=[], would_terminate=[], released_ports=[],
                           still_held=[], respawned=[])
        self.before = []

    def scan(self):
        local = procfs.read_sockets(sorted(self.expected))
        owners, unresolved = procfs.find_owners(local, complete=True)
        rows = procfs.owned_sockets(local, owners, unresolved)[0]
        return portspec.classify(rows, self.expected, self.protected)[0]

    def decide(self, conflicts):
        """Split conflicts into targets {pid: [rows]} and skipped entries."""
        by_pid = {}
        for row in conflicts:
            by_pid.setdefault(row["pid"], []).append(row)
        targets = {}
        for pid, rows in sorted(by_pid.items(), key=lambda item: item[0] or 0):
            kinds = sorted(set(r["kind"] for r in rows))
            reason = None
            if pid is None:
                reason = "owner unknown: cannot signal it"
            elif portspec.KIND_FOREIGN not in kinds:
                reason = SKIP_REASONS[portspec.KIND_PROTECTED if portspec.KIND_PROTECTED in kinds
                                      else portspec.KIND_OUTBOUND]
            elif pid == 1:
                reason = "pid 1: never signalled"
            elif pid == os.getpid():
                reason = "this module's own process"
            elif pid in self.guarded:
                reason = "an ancestor of this module's process"
            elif self.allow and not any(p.match(n) for p in self.allow for n in portspec.process_names(rows[0])):
                reason = "not matched by allow"
            if reason:
                self.result["skipped"].append(self._entry(pid, rows, kinds=kinds, reason=reason))
            else:
                targets[pid] = rows
        return targets

    @staticmethod
    def _entry(pid, rows, **extra):
        entry = dict(pid=pid, name=(rows[0].get("process") or {}).get("name"),
                     ports=sorted(set(r["local_port"] for r in rows)))
        entry.update(extra)
        return entry

    def fail(self, msg):
        self.module.fail_json(msg=msg, **self.result)

    def _wait_gone(self, identity, seconds):
        deadline = time.monotonic() + seconds
        while procfs.still_running(identity):
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL)
        return True

    def _signal(self, identity, signum):
        """Send signum only if the process is still the one the scan saw; False when it is not."""
        if not procfs.same_process(identity):
            return False
        try:
            os.kill(identity["pid"], signum)
        except ProcessLookupError:
            return False
        except OSError as exc:
            self.fail("could not send %s to pid %s (%s): %s" % (
                signal.Signals(signum).name, identity["pid"], identity.get("name"), exc))
        self.result["changed"] = True
        return True

    def terminate(self, pid, rows, timeout, escalate):
        process = rows[0]["process"]
        identity = dict(pid=pid, start_time=process["start_time"], exe=process["exe"], name=process["name"])
        entry = self._entry(pid, rows)
        if not self._signal(identity, self.signum):
            entry["reason"] = "exited or replaced (pid reused) since the scan: not signalled"
            self.result["skipped"].append(entry)
            return
        entry["signal"] = signal.Signals(self.signum).name
        if not self._wait_gone(identity, timeout):
            if not escalate:
                self.fail("pid %s (%s) still runs %ss after %s; escalate is false, so it was left running" % (
                    pid, identity["name"], timeout, entry["signal"]))
            if self._signal(identity, signal.SIGKILL):
                entry["signal"] = "SIGKILL"
                if not self._wait_gone(identity, KILL_GRACE):
                    self.fail("pid %s (%s) still runs %ss after SIGKILL" % (pid, identity["name"], KILL_GRACE))
        self.result["terminated"].append(entry)

    def watch_respawn(self, ports, window, left_alone):
        """Fail when a process other than those left alone takes a released port within window."""
        deadline = time.monotonic() + window
        while True:
            for row in self.scan():
                # pid None: a socket whose holder is still exiting (or unreadable); the final scan shows it.
                if row["local_port"] in ports and row["pid"] not in left_alone and row["pid"] is not None \
                        and row["kind"] != portspec.KIND_OUTBOUND:
                    process = row["process"] or {}
                    parent = procfs.process_identity(process["ppid"]) if process.get("ppid") else None
                    self.result["respawned"].append(dict(pid=row["pid"], name=process.get("name"),
                                                         ppid=process.get("ppid"), unit=process.get("unit"),
                                                         parent_name=parent and parent["name"],
                                                         parent_cmdline=parent and parent["cmdline"],
                                                         port=row["local_port"]))
            if self.result["respawned"]:
                # Name the supervisor: that is what the operator has to stop (or fix) by hand.
                self.fail("respawned: port(s) %s taken again within %ss by %s: a supervisor restarts the "
                          "holder; stop it first" % (
                              ", ".join(str(r["port"]) for r in self.result["respawned"]), window,
                              ", ".join("pid %s (%s) started by parent pid %s (%s)%s" % (
                                  r["pid"], r["name"], r["ppid"], r["parent_name"] or "unknown",
                                  ", unit %s" % r["unit"] if r["unit"] else "")
                                  for r in self.result["respawned"])))
            if time.monotonic() >= deadline:
                return
            time.sleep(0.2)

    def run(self, timeout, escalate, respawn_window):
        conflicts = self.scan()
        self.before = [_holder_line(r) for r in conflicts]
        targets = self.decide(conflicts)
        left_alone = set(s["pid"] for s in self.result["skipped"])
        if self.module.check_mode:
            self.result["would_terminate"] = [r for rows in targets.values() for r in rows]
            self.result["changed"] = bool(targets)
            after = [r for r in conflicts if r["pid"] not in targets]
        else:
            for pid in sorted(targets):
                self.terminate(pid, targets[pid], timeout, escalate)
            acted = set(p for e in self.result["terminated"] for p in e["ports"])
            if acted and respawn_window > 0:
                self.watch_respawn(acted, respawn_window, left_alone)
            after = self.scan() if targets else conflicts
            held = set(r["local_port"] for r in after)
            self.result["released_ports"] = sorted(acted - held)
        self.result["still_held"] = sorted(set(r["local_port"] for r in after))
        if self.module._diff:
            self.result["diff"] = dict(before=dict(holders=self.before),
                                       after=dict(holders=[_holder_line(r) for r in after]))
        return self.result


def main():
    argument_spec = portspec.port_policy_argument_spec()
    argument_spec.update(
        allow=dict(type="list", elements="str"),
        signal=dict(type="str", default="TERM"),
        timeout=dict(type="float", default=10),
        escalate=dict(type="bool", default=True),
        respawn_window=dict(type="float", default=3),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        ports, expected, protected = portspec.policy_from_params(params)
        signum = parse_signal(params["signal"])
        for option in ("timeout", "respawn_window"):
            if params[option] < 0:
                raise ValueError("%s: %r is negative" % (option, params[option]))
        allow = []
        for pattern in params["allow"] or []:
            try:
                allow.append(re.compile("(?:%s)$" % pattern))
            except re.error as exc:
                raise ValueError("allow: %r is not a valid regular expression (%s)" % (pattern, exc))
    except ValueError as exc:  # PortSpecError is a ValueError
        module.fail_json(msg=str(exc))
    manager = PortRelease(module, ports, expected, protected, allow, signum)
    module.exit_json(**manager.run(params["timeout"], params["escalate"], params["respawn_window"]))


if __name__ == "__main__":
    main()
