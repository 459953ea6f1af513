#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: remediation_report
short_description: Write a runbook's report (JSON and Markdown) on the controller and publish its summary
version_added: 0.2.0
description:
  - Checks the report document O(report) against the collection's report contract
    (C(docs/report.schema.json)), adds who wrote it and when, and writes
    C(<dir>/<runbook>/<run_id>/<host>.json) and C(.md) on the controller, each file replaced as a whole.
  - Publishes the host's status, summary and report path in the job's stats (C(alertops_reports),
    aggregated over hosts), which AWX shows.
  - Runs on the controller only (an action plugin); it never connects to the host.
  - Normally used through the role C(alertops.remediation.remediation_common) (C(tasks_from=report)).
author: alertops (@alertops)
options:
  runbook:
    description:
      - Name of the runbook (the calling role), a folder of the report directory. Lower-case letters,
        digits and C(_), starting with a letter; text only (a number is refused, not turned into a name).
    type: raw
    required: true
  report:
    description:
      - The document. C(status) (one of C(remediated), C(healthy), C(dry-run), C(failed), C(leak),
        C(refused)), C(summary) (one line; line breaks are folded), C(plan) (list of steps decided; in check
        mode, what would be done), C(done) (list of steps that ran, taken from results), C(sections) (list of
        C({title, lines[, empty][, note]}) or C({title, columns, rows[, empty][, note]}), rows holding one
        plain value per column; no section may be titled C(Plan) or C(Done)) and C(data) (a mapping kept in
        the JSON report).
      - C(plan) and C(done) come together. A document without both is written with its sections only.
    type: raw
    required: true
  dir:
    description:
      - Directory on the controller that receives the reports. The runbook roles default it with the
        lookup P(alertops.remediation.report_dir#lookup) (C($ALERTOPS_REPORT_DIR), else C(./reports) under the
        directory ansible-playbook was started from).
      - A path as text; a relative one is taken from the directory ansible-playbook was started from.
    type: raw
    required: true
  run_id:
    description:
      - Names the run's folder. Default the start of the ansible-playbook run (UTC) and its pid, the same
        for every host and every C(serial) batch of the run.
      - 1 to 128 letters, digits, C(_), C(.), C(:), C(+) or C(-), starting with a letter or digit; text only.
    type: raw
  lock_broken:
    description:
      - The RV(alertops.remediation.remediation_lock#module:broke) result of the lock when this run broke a
        stale lock; the report says whose and why.
    type: raw
extends_documentation_fragment:
  - alertops.remediation.attributes
attributes:
  check_mode:
    support: full
    details: Writes the report of a dry run too (C(check_mode=true) in it); the host is never touched.
  diff_mode:
    support: none
  idempotent:
    support: full
    details: Reports are artefacts of a run, not changes of the host; the task never reports C(changed).
seealso:
  - module: alertops.remediation.remediation_lock
'''

EXAMPLES = r'''
- name: Write the report
  alertops.remediation.remediation_report:
    runbook: exporter_ports
    dir: "{{ lookup('alertops.remediation.report_dir') }}"
    report:
      status: remediated
      summary: exporter ports freed and the agent is ready
      plan: ["terminate rogue (pid 4242) holding port 62889", "restart the agent"]
      done: ["terminated rogue (pid 4242) with SIGTERM", "restarted the agent"]
      sections:
        - title: Agent after the run
          columns: [process, pid, ready]
          rows: [[ocp_monagent, 5151, true]]
      data: {}
  register: written
'''

RETURN = r'''
path:
  description: The Markdown report.
  returned: success
  type: str
  sample: /srv/ops/reports/exporter_ports/20261121T101530Z-4242/agent1.md
json_path:
  description: The JSON report (the document with C(runbook), C(host), C(run_id), C(check_mode), C(written_at)).
  returned: success
  type: str
run_id:
  description: The run's folder name.
  returned: success
  type: str
status:
  description: The document's status.
  returned: success
  type: str
summary:
  description: The document's summary, on one line.
  returned: success
  type: str
'''
