# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of alertops.remediation.remediation_lock: names this run as the owner, lets the
module on the host do the atomic part, and proves on this controller that a holder of the same
controller is gone so that its lock is broken at once (compare-and-swap on its token)."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.alertops.remediation.plugins.module_utils import hostlock
from ansible_collections.alertops.remediation.plugins.plugin_utils import controller_run

MODULE = "alertops.remediation.remediation_lock"
# A run that keeps finding dead owners (each break lost to yet another dead one) stops after this many.
MAX_BREAKS = 20


def acquire(call, here, wait, clock=time.monotonic, proc=controller_run.PROC):
    """Take the lock with as few module calls as possible.

    call(extra_args) runs the module once (state=locked) and returns its result. One call in the normal
    case; when the holder ran on this controller and its process is gone, one more call that breaks that
    lock by its token; when it lives, calls every few seconds (the module waits in between) so that its
    death is noticed, until `wait` seconds have passed.
    """
    deadline = clock() + wait
    extra = {}
    breaks = 0
    while True:
        result = call(dict(extra, wait=round(max(0.0, deadline - clock()), 3)))
        if result.get("failed") or result.get("held") or not result.get("holder"):
            return result
        holder = result["holder"]
        reason = controller_run.gone((holder.get("owner") or {}).get("controller"), here, proc)
        if reason and breaks < MAX_BREAKS:
            breaks += 1
            extra = {"break_token": holder["token"], "break_reason": reason}
            continue
        if clock() >= deadline:
            return result
        extra = {"vouched": holder["token"]}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("path", "state", "owner", "wait", "lease"))

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        _valid, args = self.validate_argument_spec(argument_spec=dict(
            path=dict(type="str", required=True),
            state=dict(type="str", choices=["locked", "unlocked"], default="locked"),
            owner=dict(type="raw", default="a remediation run"),
            wait=dict(type="raw", default=0),
            lease=dict(type="raw", default=900),
        ))
        result["changed"] = False
        try:  # here, before anything else, so that check mode refuses what a run would refuse
            hostlock.lock_path(args["path"])
            hostlock.one_line("owner", args["owner"], 200)
            wait = hostlock.seconds(args["wait"], *hostlock.WAIT_RANGE, name="wait")
            hostlock.seconds(args["lease"], *hostlock.LEASE_RANGE, name="lease")
        except ValueError as exc:
            raise AnsibleActionFail(str(exc))
        if self._play_context.check_mode:
            result.update(held=False, msg="check mode: no lock taken or released")
            return result
        try:
            here = controller_run.current()
        except controller_run.RunUnknown as exc:
            raise AnsibleActionFail("cannot name this run as the lock's owner: %s" % exc)
        base = {"path": args["path"], "state": args["state"], "token": controller_run.token(here)}
        if args["state"] == "locked":
            base.update(owner=args["owner"], controller=here, lease=args["lease"])

        def call(extra):
            return self._execute_module(module_name=MODULE, module_args=dict(base, **extra), task_vars=task_vars)

        try:
            if args["state"] == "unlocked":
                outcome = call({})
            else:
                outcome = acquire(call, here, wait)
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        result.update(outcome)
        result["changed"] = False
        if outcome.get("failed"):
            return result
        if args["state"] == "unlocked":
            if not outcome.get("released") and outcome.get("holder"):
                result.setdefault("warnings", []).append(
                    "the lock at %s is not held by this run any more (%s); it is left as it is. This run "
                    "outlived its lease: raise the lease or renew the lock more often." % (args["path"], outcome["reason"]))
            return result
        if outcome.get("broke"):
            result.setdefault("warnings", []).append("broke the lock at %s of %s: %s" % (
                args["path"], outcome["broke"]["description"], outcome["broke"]["reason"]))
        if not outcome.get("held"):
            holder = outcome["holder"]
            result["failed"] = True
            result["msg"] = ("another remediation holds the lock %s: %s, since %s (lease until %s); waited %s s. "
                             "Nothing was changed by this run." % (args["path"], holder["description"],
                                                                   holder["acquired_at"], holder["expires_at"],
                                                                   args["wait"]))
        return result
