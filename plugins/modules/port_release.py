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
  - Finds every holder of every socket on the expected ports (see O(expected)) the way
    M(alertops.remediation.port_owners_info) does, and decides per socket, with all its holders together.
  - A socket that a rightful process or a O(protected) one holds is never a reason to signal anyone, and
    no process that shares it is signalled. An outbound connection (C(outbound_ephemeral)) is never
    signalled; a connection next to a rightful listener that is up (C(coexisting)) is not a conflict.
  - A socket held only by foreign processes is released by ending every one of its holders (parent and
    children of a pre-fork server, a helper that inherited it); they are signalled together only when
    each of them may be, and only a process whose every socket there is foreign is ever signalled.
    Holders left alone come back in RV(skipped) with the reason, their ports in RV(still_held).
  - Where the kernel has pidfds (Linux 5.3 and later) each holder is pinned with C(pidfd_open) and its
    identity (pid, start time, executable) checked, so the signal reaches exactly the process the scan
    saw (C(signal_method=pidfd)); elsewhere the identity is re-read right before each signal
    (C(signal_method=pid+start_time)).
  - After the holders exit it watches the port for O(respawn_window) seconds; when another process takes it
    (a supervisor restarting its child) the module fails with RV(respawned) instead of killing in a loop.
  - Fails when a signal cannot be sent, when a holder outlives O(timeout) and O(escalate=false) or cannot
    be escalated (RV(survivors)), or on a respawn. Bad input fails before anything is read or signalled.
author: alertops (@alertops)
options:
  allow:
    description:
      - When given, a list of names or regular expressions (1 to 1000 characters each, no control
        character); only holders whose comm or argv[0] basename fully matches one of them may be
        terminated; other foreign holders are skipped, and so are the other holders of their sockets.
    type: raw
  signal:
    description:
      - Signal sent first, by name (C(TERM), C(SIGINT)) or number, in ASCII.
      - By default V(TERM), which lets the holder shut down cleanly.
    type: raw
    default: TERM
  timeout:
    description:
      - Seconds (ASCII digits, for example C(10) or C(2.5), from 0 to 3600) to wait for every signalled
        holder to exit before escalating. One deadline covers all holders.
      - By default 10 seconds.
    type: raw
    default: 10
  escalate:
    description:
      - Send C(SIGKILL) to a holder still running after O(timeout).
      - When false such a holder is left running and the module fails.
      - By default (V(true)) a holder that outlives O(timeout) is killed.
    type: bool
    default: true
  respawn_window:
    description:
      - Seconds (ASCII digits, from 0 to 600) to watch that a released port stays free. C(0) disables
        the watch.
      - By default a released port is watched for 3 seconds.
    type: raw
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
  description:
    - Holders that exited after a signal, with C(pid), C(name), C(ports), C(holders) (every holder of
      their sockets), the C(start_time) and C(exe) the scan saw, the last C(signal) sent and
      C(signal_method) (C(pidfd) or C(pid+start_time)).
  returned: always
  type: list
  elements: dict
  sample: [{pid: 4242, name: nc, ports: [63000], holders: [4242], start_time: 1843311, exe: /usr/bin/nc.openbsd,
            signal: SIGTERM, signal_method: pidfd}]
skipped:
  description:
    - Holders left alone, each with C(pid) (null when unknown), C(name), C(ports), C(kinds), C(holders)
      and C(reason); none of them was signalled.
  returned: always
  type: list
  elements: dict
  sample: [{pid: 777, name: observer, ports: [62889], kinds: [outbound_ephemeral], holders: [777], reason: "..."}]
survivors:
  description:
    - Holders that were signalled and still run at the end, shaped as RV(terminated) plus C(reason), the
      cause being O(escalate=false), a holder still alive after C(SIGKILL), or one that is no longer the
      process the scan saw (it exec'd another program), to which C(SIGKILL) was not sent.
    - The module fails when this is not empty.
  returned: always
  type: list
  elements: dict
would_terminate:
  description:
    - In check mode, the conflict rows (as in M(alertops.remediation.port_owners_info) C(conflicts)) whose
      holders would be terminated; empty otherwise.
  returned: always
  type: list
  elements: dict
released_ports:
  description: Ports where every holder of a foreign socket ended and that no conflict holds afterwards.
  returned: always
  type: list
  elements: int
still_held:
  description: Expected ports that a conflict (foreign, protected or outbound holder) still holds at the end.
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
from ansible_collections.alertops.remediation.plugins.module_utils import argcheck, portspec, procfs, release_plan, signals

KILL_GRACE = 5.0
TIMEOUT_MAX = 3600
RESPAWN_WINDOW_MAX = 600
RESPAWN_POLL = 0.2
_ALLOW_MAX = 1000  # characters per allow pattern


def _holder_line(row):
    name = (row.get("process") or {}).get("name") or "?"
    return "%s/%s %s %s:%s pid %s %s (%s)" % (row["local_port"], row["protocol"], row["state"],
                                              row["remote_address"], row["remote_port"], row["pid"], name,
                                              row["kind"])


def _conflicts(rows):
    return [r for r in rows if r["kind"] in portspec.CONFLICT_KINDS]


class PortRelease(object):
    """Scan, decide per socket, signal through pidfds (or the pid-reuse guard), watch for respawn;
    records before/after for diff."""

    def __init__(self, module, ports, expected, protected, allow, signum):
        self.module = module
        self.expected = dict((p, n) for p, n in expected.items() if p in set(ports))
        self.protected = protected
        self.allow = allow
        self.signum = signum
        self.guarded = set([1, os.getpid()]) | procfs.ancestors(os.getpid())
        self.result = dict(changed=False, terminated=[], skipped=[], survivors=[], would_terminate=[],
                           released_ports=[], still_held=[], respawned=[])
        self.pending = []  # entries of holders signalled and not yet known to have exited

    def scan(self):
        """Every socket row on the expected ports, judged per socket (portspec.classify rows)."""
        local = procfs.read_sockets(sorted(self.expected))
        owners, unresolved = procfs.find_owners(local)
        rows = procfs.owned_sockets(local, owners, unresolved)[0]
        return portspec.classify(rows, self.expected, self.protected)["rows"]

    def refuse(self, pid, rows):
        """This host's own guards, on top of the policy: release_plan.plan asks for each holder."""
        if pid == 1:
            return "pid 1: never signalled"
        if pid == os.getpid():
            return "this module's own process"
        if pid in self.guarded:
            return "an ancestor of this module's process"
        if self.allow and not any(p.match(n) for p in self.allow for n in portspec.process_names(rows[0])):
            return "not matched by allow"
        return None

    def fail(self, msg):
        for entry in self.pending:  # signalled before the error: say so, whatever became of them
            entry["reason"] = "signalled; not followed up because the run stopped on an error"
            self.result["survivors"].append(entry)
        self.module.fail_json(msg=msg, **self.result)

    @staticmethod
    def _entry(pid, rows, **extra):
        process = rows[0].get("process") or {}
        holders = set()
        for row in rows:
            holders.update(row.get("holders") or [])
        entry = dict(pid=pid, name=process.get("name"), ports=sorted(set(r["local_port"] for r in rows)),
                     holders=sorted(holders), start_time=process.get("start_time"), exe=process.get("exe"))
        entry.update(extra)
        return entry

    def terminate(self, targets, timeout, escalate):
        """Signal every target (parents first), wait for all under one deadline, escalate survivors."""
        signalled = []
        for pid in release_plan.signal_order(targets):
            rows = targets[pid]
            process = rows[0]["process"]
            handle = signals.Process(dict(pid=pid, start_time=process["start_time"], exe=process["exe"],
                                          name=process["name"]))
            reason = self._send(handle, self.signum, pin=True)
            if reason is not None:
                handle.close()
                self.result["skipped"].append(self._entry(pid, rows, kinds=[portspec.KIND_FOREIGN],
                                                          reason=reason + ": not signalled"))
                continue
            self.result["changed"] = True
            signalled.append((handle, self._entry(pid, rows, signal=signals.signal_name(self.signum),
                                                  signal_method=handle.method)))
            self.pending.append(signalled[-1][1])
        try:
            self._wait_and_escalate(signalled, timeout, escalate)
        finally:
            for handle, _entry in signalled:
                handle.close()

    def _send(self, handle, signum, pin=False):
        """None once signum is sent to the process the scan saw, else why not; fails the module when the
        kernel refuses (EPERM: not root, a sandbox)."""
        try:
            reason = handle.pin() if pin else None
            if reason is None and not handle.send(signum):
                reason = "exited since the scan"
        except OSError as exc:
            handle.close()
            self.fail("could not send %s to pid %s (%s): %s" % (
                signals.signal_name(signum), handle.identity["pid"], handle.identity.get("name"), exc))
        return reason

    def _wait_and_escalate(self, signalled, timeout, escalate):
        entries = dict((id(h), e) for h, e in signalled)
        left = signals.wait_gone([h for h, _e in signalled], timeout)
        self._settle([e for h, e in signalled if h not in left], self.result["terminated"])
        killed = []
        for handle in left:
            entry = entries[id(handle)]
            if not escalate:
                entry["reason"] = "still running %ss after %s; escalate is false, so it was left running" % (
                    timeout, entry["signal"])
            elif self._send(handle, signal.SIGKILL) is None:
                entry["signal"] = "SIGKILL"
                killed.append(handle)
                continue
            elif handle.running():
                entry["reason"] = "%s after %s, so SIGKILL was not sent: it is not the process the scan saw" % (
                    handle.changed(), entry["signal"])
            else:
                self._settle([entry], self.result["terminated"])  # it exited between the wait and the kill
                continue
            self._settle([entry], self.result["survivors"])
        still = signals.wait_gone(killed, KILL_GRACE)
        for handle in still:
            entries[id(handle)]["reason"] = "still running %ss after SIGKILL" % KILL_GRACE
        self._settle([entries[id(h)] for h in still], self.result["survivors"])
        self._settle([entries[id(h)] for h in killed if h not in still], self.result["terminated"])
        if self.result["survivors"]:
            self.fail("; ".join("pid %s (%s) %s" % (e["pid"], e["name"], e["reason"])
                                for e in self.result["survivors"]))

    def _settle(self, entries, outcome):
        """Move signalled holders' entries from pending to their outcome (terminated or survivors)."""
        for entry in entries:
            self.pending.remove(entry)
            outcome.append(entry)

    def watch_respawn(self, ports, window, left_alone):
        """Fail when a process other than those left alone takes a released port within window."""
        deadline = time.monotonic() + window
        while True:
            for row in _conflicts(self.scan()):
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
            left = deadline - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(RESPAWN_POLL, left))

    def run(self, timeout, escalate, respawn_window):
        rows = self.scan()
        before = _conflicts(rows)
        targets, skipped = release_plan.plan(rows, self.expected, self.protected, self.refuse)
        self.result["skipped"] = skipped
        if self.module.check_mode:
            self.result["would_terminate"] = [r for pid in sorted(targets) for r in targets[pid]]
            self.result["changed"] = bool(targets)
            after = [r for r in before if not set(r["holders"]) <= set(targets)]
        else:
            self.terminate(targets, timeout, escalate)
            ended = set(e["pid"] for e in self.result["terminated"])
            # A port counts as acted on only when every holder of one of its sockets has ended.
            acted = set(r["local_port"] for pid in ended for r in targets[pid]
                        if set(r["holders"]) <= ended)
            left_alone = set(s["pid"] for s in self.result["skipped"])
            if acted and respawn_window > 0:
                self.watch_respawn(acted, respawn_window, left_alone)
            after = _conflicts(self.scan()) if before else []  # what holds the ports now, not at the scan
            self.result["released_ports"] = sorted(acted - set(r["local_port"] for r in after))
        self.result["still_held"] = sorted(set(r["local_port"] for r in after))
        if self.module._diff:
            self.result["diff"] = dict(before=dict(holders=[_holder_line(r) for r in before]),
                                       after=dict(holders=[_holder_line(r) for r in after]))
        return self.result


def parse_allow(patterns):
    """Compiled full-match patterns of the allow list (read as given: Ansible's list of str would turn 7
    or [{}] into the patterns "7" and "{}")."""
    if patterns is None:
        return []
    if not isinstance(patterns, list):
        raise ValueError("allow: %r is not a list of names or regular expressions" % (patterns,))
    allow = []
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern or len(pattern) > _ALLOW_MAX or \
                any(ord(c) < 32 or ord(c) == 127 for c in pattern):
            raise ValueError("allow: %r is not a name or regular expression (1 to %d characters, no control "
                             "character)" % (pattern[:80] if isinstance(pattern, str) else pattern, _ALLOW_MAX))
        try:
            allow.append(re.compile("(?:%s)\\Z" % pattern))
        except (re.error, RecursionError, OverflowError) as exc:
            raise ValueError("allow: %r is not a valid regular expression (%s)" % (pattern, exc))
    return allow


def main():
    argument_spec = portspec.port_policy_argument_spec()
    argument_spec.update(
        allow=dict(type="raw"),
        signal=dict(type="raw", default="TERM"),
        timeout=dict(type="raw", default=10),
        escalate=dict(type="bool", default=True),
        respawn_window=dict(type="raw", default=3),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        ports, expected, protected = portspec.policy_from_params(params)
        signum = signals.parse_signal(params["signal"])
        timeout = argcheck.seconds("timeout", params["timeout"], 0, TIMEOUT_MAX)
        respawn_window = argcheck.seconds("respawn_window", params["respawn_window"], 0, RESPAWN_WINDOW_MAX)
        allow = parse_allow(params["allow"])
    except ValueError as exc:  # PortSpecError and OptionError are ValueErrors
        module.fail_json(msg=str(exc))
    manager = PortRelease(module, ports, expected, protected, allow, signum)
    module.exit_json(**manager.run(timeout, params["escalate"], respawn_window))


if __name__ == "__main__":
    main()
