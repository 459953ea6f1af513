# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin alert_route: the routing step of playbooks/remediate_alert.yml, on the controller.

The alert is read from the play's variables as they are stored, without templating, so no Ansible version
renders a template an alert carries; everything returned is marked unsafe. The decisions are in
plugin_utils/alert_route.py (routing) and plugin_utils/alert_ledger.py (episodes and attempts); this file
gathers the inputs, keeps the ledger and writes the decision record.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import binascii
import datetime
import json
import os
import time

from collections.abc import Mapping

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display
from ansible.utils.unsafe_proxy import wrap_var
from ansible_collections.alertops.remediation.plugins.plugin_utils import alert_ledger
from ansible_collections.alertops.remediation.plugins.plugin_utils.alert_route import (
    NOTHING_RUN, Refused, RouteConfigError, check_routes, read_alert, route_alert)

ARGUMENT_SPEC = {
    "routes": {"type": "list", "elements": "dict", "required": True},
    "forbidden_chars": {"type": "list", "elements": "str", "default": []},
    "report_dir": {"type": "str", "required": True},
    "ledger_path": {"type": "str"},
    "dry_run": {"type": "bool", "default": False},
    "plan_only": {"type": "bool", "default": False},
    "max_attempts": {"type": "raw", "default": 3},
    "attempt_window": {"type": "raw", "default": 3600},
}
# bounds of the numeric options: (low, high)
BOUNDS = {"max_attempts": (1, 1000), "attempt_window": (60, 30 * 24 * 3600)}
LEDGER_LOCK_TIMEOUT = 30.0
PATH_MAX = 4096
display = Display()


class Inventory(Mapping):
    """inventory_hostname -> that host's variables, looked up only when a route needs them."""

    def __init__(self, names, hostvars):
        self._names = list(names)
        self._hostvars = hostvars

    def __getitem__(self, host):
        if host not in self._names:
            raise KeyError(host)
        return self._hostvars[host]

    def __iter__(self):
        return iter(self._names)

    def __len__(self):
        return len(self._names)


def bounded_int(option, value):
    """An int within BOUNDS[option]; text must be ASCII digits (int() would take any Unicode digit)."""
    low, high = BOUNDS[option]
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 12:
        number = int(value)
    if number is None or not low <= number <= high:
        raise ValueError("%s: %s is not a whole number from %d to %d" % (option, json.dumps(value, default=repr)[:60], low, high))
    return number


def checked_path(option, value):
    """An absolute path: a relative one would land wherever ansible-playbook happened to be started."""
    if not isinstance(value, str) or not value.startswith("/") or len(value.encode("utf-8", "surrogatepass")) > PATH_MAX \
            or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("%s: %s is not an absolute path without control characters (at most %d bytes)"
                         % (option, json.dumps(value)[:80], PATH_MAX))
    return value


def checked_chars(value):
    """Each entry one character: an empty one is in every text, a longer one is no character (a typo)."""
    bad = [c for c in value if len(c) != 1]
    if bad:
        raise ValueError("forbidden_chars: %s is not one character each" % json.dumps(bad)[:80])
    return value


def utc(epoch):
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def decision_of(decision, verdict):
    """The one word a human reads first."""
    if verdict:
        return verdict
    if not decision["run"]:
        return "record only"
    return "verify" if decision["check"] else "remediate"


def file_part(text):
    """text as a piece of a file name: ASCII letters, digits and ._- only, at most 64 characters."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_" for c in text)[:64]


def write_record(report_dir, decision, now):
    """One JSON file per decision under REPORT_DIR/alerts, never over an existing file or through a link."""
    folder = os.path.join(report_dir, "alerts")
    os.makedirs(folder, mode=0o750, exist_ok=True)
    name = "%s-%s-%s-%s.json" % (time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)), file_part(decision["runbook"]),
                                 file_part(decision["host"]), binascii.hexlify(os.urandom(4)).decode())
    path = os.path.join(folder, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640)
    with os.fdopen(fd, "w") as handle:
        handle.write(json.dumps(decision, indent=2, sort_keys=True, ensure_ascii=True, default=str) + "\n")
    return path


def needs_human_message(decision, judged, window, record):
    times = ", ".join(utc(e["at"]) for e in judged["attempts"])
    return ("alert %s on %s NEEDS A HUMAN: runbook %s was already tried %d times within %d s (%s) and the alert "
            "keeps coming back; no further attempt until %s. Look at the host and the runbook's reports, then "
            "launch the runbook by hand. Record: %s. %s"
            % (decision["name"], ", ".join(decision["limit"]), decision["runbook"], len(judged["attempts"]),
               window, times, utc(judged["retry_after"]), record, NOTHING_RUN))


def consult_ledger(decision, source, path, limits, plan_only, now):
    """None when the ledger has no say (a verification, or nothing would act); else the verdict, taken under
    the ledger's lock so that two copies of one episode arriving together run once."""
    if not (decision["run"] or plan_only) or decision["check"]:
        return None
    target = "%s:%s" % (decision["runbook"], ",".join(sorted(decision["limit"])))
    episode = alert_ledger.episode_key(decision["name"], decision["episode"])
    with alert_ledger.AttemptLedger(path, LEDGER_LOCK_TIMEOUT) as ledger:
        entries = ledger.read()
        if source == "survey":
            # a human launched it: it runs, and it counts for the alerts after it
            judged = {"verdict": alert_ledger.VERDICT_RUN, "attempts": [], "previous": None,
                      "entries": alert_ledger.record_attempt(entries, target, episode, now)}
        else:
            judged = alert_ledger.judge(entries, target, episode, now, limits["max_attempts"],
                                        limits["attempt_window"], record=not plan_only)
        if not plan_only and judged["entries"] != entries:
            ledger.write(judged["entries"])
    return judged


def summary(decision):
    what = {"remediate": "remediate", "verify": "verify (check mode)"}
    ignored = decision["alarm_time_ignored"]
    return "alert %s (%s) -> runbook %s on %s: %s, alarm time %s%s" % (
        decision["name"], decision["status"], decision["runbook"], ", ".join(decision["limit"]),
        what.get(decision["decision"], decision["decision"] + " (nothing run)"),
        decision["alarm_time"] or "the time of the run",
        " (ignored startsAt %s: not an RFC 3339 time)" % json.dumps(ignored)[:60] if ignored else "")


def stats(decision):
    return {"name": decision["name"], "status": decision["status"], "runbook": decision["runbook"],
            "host": decision["host"], "hosts": decision["limit"], "decision": decision["decision"],
            "mode": {"remediate": "remediate", "verify": "verify (check mode)"}.get(
                decision["decision"], "plan only (nothing run)"),
            "alarm_time": decision["alarm_time"]}


def route_and_record(task_vars, args, check_mode, now=None):
    """The whole routing step; returns the task result (every string from the alert marked unsafe):
    refused (the reason, '' when the alert is acted on), decision, record (its path), msg, ansible_stats."""
    now = time.time() if now is None else now
    try:
        limits = dict((k, bounded_int(k, args[k])) for k in BOUNDS)
        routes = check_routes(args["routes"])
        checked_path("report_dir", args["report_dir"])
        if args.get("ledger_path") is not None:
            checked_path("ledger_path", args["ledger_path"])
        checked_chars(args.get("forbidden_chars") or [])
    except (ValueError, RouteConfigError) as exc:
        return {"failed": True, "msg": str(exc)}
    ledger_path = args.get("ledger_path") or os.path.join(args["report_dir"], "alert_attempts.json")
    result = {"changed": False, "refused": "", "decision": {}, "record": ""}
    groups = task_vars.get("groups") or {}
    try:
        alert, source = read_alert(task_vars)
        decision = route_alert(alert, source, routes, Inventory(groups.get("all", []), task_vars.get("hostvars", {})),
                               groups, task_vars.get("ansible_play_hosts_all", []),
                               forbidden_chars=args.get("forbidden_chars") or [], dry_run=args.get("dry_run"),
                               plan_only=args.get("plan_only"), check_mode=check_mode)
        judged = consult_ledger(decision, source, ledger_path, limits, args.get("plan_only"), now)
    except Refused as exc:
        result["refused"] = wrap_var(str(exc))
        return result
    except alert_ledger.LedgerError as exc:
        result["refused"] = wrap_var("the alert was not acted on: %s. %s" % (exc, NOTHING_RUN))
        return result
    verdict = judged["verdict"] if judged and judged["verdict"] != alert_ledger.VERDICT_RUN else ""
    decision.update(run=decision["run"] and not verdict, decision=decision_of(decision, verdict),
                    decided_at=utc(now), ledger=ledger_path,
                    attempts=[utc(e["at"]) for e in judged["attempts"]] if judged else [])
    if judged and judged["previous"]:
        decision["duplicate_of"] = utc(judged["previous"]["at"])
    try:
        record = write_record(args["report_dir"], decision, now)
    except OSError as exc:
        result["refused"] = wrap_var("the decision could not be recorded under %s (%s). %s"
                                     % (args["report_dir"], exc.strerror, NOTHING_RUN))
        return result
    if verdict == alert_ledger.VERDICT_NEEDS_HUMAN:
        result["refused"] = wrap_var(needs_human_message(decision, judged, limits["attempt_window"], record))
    result.update(decision=wrap_var(decision), record=wrap_var(record), msg=wrap_var(summary(decision)),
                  ansible_stats={"data": {"alertops_alert": wrap_var(stats(decision))}, "per_host": False,
                                 "aggregate": True})
    return result


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        result.update(route_and_record(task_vars or {}, args, self._play_context.check_mode))
        if result.get("decision"):
            display.display(result["msg"])
        return result
