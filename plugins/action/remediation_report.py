# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one report writer: checks a runbook's report document, writes <dir>/<runbook>/<run_id>/<host>.json
and .md on the controller (each file replaced in one rename), publishes the summary with the job's
stats. Runs entirely on the controller: no connection to the host, no delegated task chain."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json
import os
import tempfile
import time

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.alertops.remediation.plugins.plugin_utils import controller_run, report_doc, report_markdown


def _plain(value):
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    raise TypeError("a value of type %s cannot be written as JSON" % type(value).__name__)


def _replace(path, data):
    """Write path as a whole: a private temporary file in the same folder, renamed over the old one."""
    directory, name = os.path.split(path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + name + ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o640)
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _lock_broken(value):
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("description"), str) or not isinstance(value.get("reason"), str):
        raise report_doc.ReportError("lock_broken: %r must be the 'broke' result of remediation_lock" % (value,))
    return {"owner": value.get("owner") or {}, "description": value["description"], "reason": value["reason"]}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("runbook", "report", "dir", "run_id", "lock_broken"))

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        # The names are read as given (report_doc checks them): Ansible's str would make 7 or 3.5 a name.
        _valid, args = self.validate_argument_spec(argument_spec=dict(
            runbook=dict(type="raw", required=True),
            report=dict(type="raw", required=True),
            dir=dict(type="raw", required=True),
            run_id=dict(type="raw"),
            lock_broken=dict(type="raw"),
        ))
        host = task_vars["inventory_hostname"]
        check_mode = bool(self._play_context.check_mode)
        try:
            doc = report_doc.check(args["report"])
            run_id = controller_run.run_id(controller_run.current()) if args["run_id"] is None else args["run_id"]
            base = report_doc.base_path(args["dir"], args["runbook"], run_id, host)
            report = dict(doc, runbook=args["runbook"], host=host, run_id=run_id, check_mode=check_mode,
                          written_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            broken = _lock_broken(args["lock_broken"])
            if broken:
                report["lock_broken"] = broken
            data = json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False, default=_plain)
        except (report_doc.ReportError, controller_run.RunUnknown, TypeError, ValueError) as exc:
            raise AnsibleActionFail("the report of %s was not written: %s" % (host, exc))
        try:
            os.makedirs(os.path.dirname(base), mode=0o750, exist_ok=True)
            _replace(base + ".json", (data + "\n").encode("utf-8"))
            _replace(base + ".md", report_markdown.render(report).encode("utf-8"))
        except OSError as exc:
            raise AnsibleActionFail("dir: the report of %s could not be written under %s: %s" % (host, args["dir"], exc))
        result.update(
            changed=False, path=base + ".md", json_path=base + ".json", run_id=run_id,
            status=report["status"], summary=report["summary"],
            msg="%s: %s (report: %s.md)" % (report["status"], report["summary"], base),
            ansible_stats={"data": {"alertops_reports": {host: {
                "runbook": args["runbook"], "status": report["status"], "summary": report["summary"],
                "report": base + ".md"}}}, "per_host": False, "aggregate": True},
        )
        return result
