#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: remediation_lock
short_description: Take, renew or release the host's remediation lock (one remediation per host at a time)
version_added: 0.2.0
description:
  - The per-host lock of the runbook roles, normally used through the role
    C(alertops.remediation.remediation_common) (C(tasks_from=lock) and C(tasks_from=unlock)).
  - The action plugin (on the controller) names the owner by the controller's ansible-playbook process.
    When the lock is held by a run of the same controller whose process is gone (killed, cancelled,
    interrupted), it breaks that lock at once and says why. Other holders are waited for, at most
    O(wait) seconds, unless their lease (O(lease)) ran out. In the normal case taking or releasing the
    lock costs one round trip to the host.
  - The lock is a file at O(path) that is created once (with a header line) and never deleted. Every
    decision is made and written under a kernel C(flock) on that file, so of several runs that find the
    lock free or stale exactly one takes it.
  - Taking the lock again in the same run renews it (its lease starts again), a heartbeat for long
    runbooks. Releasing it releases only a lock this run holds.
  - A path that exists and is not such a lock file (a directory, a link, a FIFO, a file without the
    header or owned by another user) is never changed; the module fails naming it.
author: alertops (@alertops)
options:
  path:
    description: The lock file on the host. Its directory must exist.
    type: path
    required: true
  state:
    description:
      - C(locked) takes or renews the lock, C(unlocked) releases it when O(token) holds it.
      - By default V(locked).
    type: str
    choices: [locked, unlocked]
    default: locked
  owner:
    description:
      - Who takes the lock, for humans (for example the runbook); written into the lock. One line of text
        (at most 200 characters); a number, a list or a mapping is refused, not turned into text.
      - By default V(a remediation run).
    type: raw
    default: a remediation run
  lease:
    description:
      - Seconds the lock stays valid without renewal (1 to 604800). A lock whose lease ran out is taken
        over by the next run. A number or ASCII digits.
      - By default 900 seconds (15 minutes).
    type: raw
    default: 900
  wait:
    description:
      - Seconds to wait for another run's lock (0 to 86400). A number or ASCII digits.
      - "By default V(0): a lock held by another run fails the task at once."
    type: raw
    default: 0
  token:
    description:
      - Internal, set by the action plugin from the controller's ansible-playbook process (a value in a task
        is refused). The owner token; only the holder's token renews or releases the lock.
    type: str
  controller:
    description:
      - Internal, set by the action plugin. The controller process that runs the play (C(hostname),
        C(boot_id), C(pid_ns), C(pid), C(start_ticks), C(started_at)), written into the lock so that a
        later run on the same controller can prove this run is gone.
    type: dict
  break_token:
    description:
      - Internal, set by the action plugin. Take the lock over if, and only if, it is still held with this
        token (the action plugin proved that its owner is gone).
    type: str
  break_reason:
    description: Internal, set by the action plugin. Why the owner of O(break_token) is gone; one line of text.
    type: raw
  vouched:
    description:
      - Internal, set by the action plugin. The token of a holder on this controller that was just found
        alive; the module waits up to 5 seconds for it, then answers so that it is judged again.
    type: str
extends_documentation_fragment:
  - alertops.remediation.attributes
attributes:
  check_mode:
    support: full
    details: Reports whether the lock could be taken or released now; writes and waits for nothing.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: Taking a lock this token holds renews it; releasing a lock this token does not hold changes nothing.
notes:
  - Taking and releasing the lock is bookkeeping of the run, not a change of the host, so the module
    never reports C(changed).
seealso:
  - module: alertops.remediation.remediation_report
'''

EXAMPLES = r'''
# Normally through the role:
- name: Take the host's remediation lock
  ansible.builtin.include_role:
    name: alertops.remediation.remediation_common
    tasks_from: lock
  vars:
    remediation_common_lock_owner: exporter_ports

# The action plugin directly:
- name: Take the lock, waiting up to two minutes
  alertops.remediation.remediation_lock:
    path: /run/alertops-remediation.lock
    owner: my_runbook
    wait: 120
  register: lock

- name: Release it
  alertops.remediation.remediation_lock:
    path: /run/alertops-remediation.lock
    state: unlocked
'''

RETURN = r'''
held:
  description: This run holds the lock after the task (taken or renewed); false after O(state=unlocked).
  returned: always
  type: bool
renewed:
  description: This run held the lock already; its lease started again.
  returned: O(state=locked)
  type: bool
released:
  description: This run held the lock and it is free now.
  returned: O(state=unlocked)
  type: bool
broke:
  description:
    - The lock this run took over, or null. C(owner) (label and controller process of the run that held
      it), C(description) (one line) and C(reason) (its process is gone, or its lease ran out).
  returned: O(state=locked)
  type: dict
holder:
  description:
    - The run that holds the lock when this one could not take or release it (C(token), C(owner),
      C(description), C(acquired_at), C(expires_at)), or null.
  returned: always
  type: dict
expires_at:
  description: When the lease of this run's lock ends unless renewed (UTC, ISO 8601).
  returned: when held
  type: str
  sample: "2026-11-21T10:30:00Z"
waited:
  description: Seconds spent waiting for another run.
  returned: O(state=locked)
  type: float
'''

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.alertops.remediation.plugins.module_utils import hostlock

TOKEN = re.compile(r"^[A-Za-z0-9_-]{8,128}$")
DIGITS = re.compile(r"^[0-9]{1,19}$")
IDENTITY = {"hostname": str, "boot_id": str, "pid_ns": str, "pid": int, "start_ticks": int, "started_at": str}


def controller(given):
    """The controller identity the action plugin sends, checked key by key; ValueError naming the key."""
    given = {} if given is None else given
    unknown = sorted(set(given) - set(IDENTITY))
    if unknown:
        raise ValueError("controller: unknown key(s) %s (known: %s)" % (", ".join(unknown), ", ".join(sorted(IDENTITY))))
    clean = {}
    for key, value in given.items():
        name = "controller.%s" % key
        if IDENTITY[key] is int:
            if isinstance(value, bool) or not isinstance(value, (int, str)) or not DIGITS.match(str(value)):
                raise ValueError("%s: %r is not a whole number (ASCII digits)" % (name, value))
            value = int(value)
            if not 0 < value < 2 ** 63:
                raise ValueError("%s: %r is out of range" % (name, value))
        else:
            value = hostlock.one_line(name, value, 256)
        clean[key] = value
    return clean


def options(params):
    """Every option checked, whatever the state (a value no run may use is refused, not ignored);
    ValueError naming the option and the value."""
    if params["token"] is None:
        raise ValueError("token: missing; the action plugin sets it (run the task on a controller with this collection)")
    for name in ("token", "break_token", "vouched"):
        if params[name] is not None and not TOKEN.match(params[name]):
            raise ValueError("%s: %r must be 8 to 128 letters, digits, '-' or '_'" % (name, params[name]))
    identity = controller(params["controller"])
    return {
        "path": hostlock.lock_path(params["path"]),
        "lease": hostlock.seconds(params["lease"], *hostlock.LEASE_RANGE, name="lease"),
        "wait": hostlock.seconds(params["wait"], *hostlock.WAIT_RANGE, name="wait"),
        "request": {
            "token": params["token"], "controller": identity,
            "owner": {"label": hostlock.one_line("owner", params["owner"], 200), "controller": identity},
            "break_token": params["break_token"], "vouched": params["vouched"],
            "break_reason": hostlock.one_line("break_reason", "" if params["break_reason"] is None
                                              else params["break_reason"], 1024, empty=True),
        },
    }


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["locked", "unlocked"], default="locked"),
            owner=dict(type="raw", default="a remediation run"),
            lease=dict(type="raw", default=900),
            wait=dict(type="raw", default=0),
            # The token names the run (derived from public facts of the controller process); not a secret.
            token=dict(type="str", no_log=False),
            controller=dict(type="dict"),
            break_token=dict(type="str", no_log=False),
            break_reason=dict(type="raw"),
            vouched=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    try:
        given = options(module.params)
    except ValueError as exc:
        module.fail_json(msg=str(exc))
    path = given["path"]
    try:
        if module.params["state"] == "unlocked":
            outcome = hostlock.release(path, given["request"]["token"], check_mode=module.check_mode)
            module.exit_json(changed=False, path=path, held=False, **outcome)
        outcome = hostlock.acquire(path, given["request"], given["lease"], given["wait"], check_mode=module.check_mode)
    except hostlock.LockError as exc:
        module.fail_json(msg="path: %s" % exc, path=path, held=False)
    record = outcome.pop("record")
    module.exit_json(changed=False, path=path, held=outcome.pop("acquired"),
                     expires_at=hostlock.iso(record["expires_at"]) if record else None, **outcome)


if __name__ == "__main__":
    main()
