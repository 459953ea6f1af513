#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done by the action plugin of the same name (plugins/action/alert_route.py), on the
# controller; this file holds its documentation.
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: alert_route
short_description: Route one alert to its runbook and inventory hosts, as data, with an attempt ledger
version_added: 0.2.0
description:
  - The routing step of C(playbooks/remediate_alert.yml). Runs on the controller only and never contacts a host.
  - Reads the alert from the play's variables as they are stored, without templating, so that no
    ansible-core version renders a template an alert carries. In this order, C(alert_payload) (one
    Alertmanager alert as URL-encoded JSON, what the collection's rulebooks send), the survey variables
    C(alert_name), C(alert_host), C(alert_time), C(alert_status), C(zk_alarm_client_ip), C(zk_alarm_server_ip),
    then C(ansible_eda.event).
  - Finds the route of the alert name in O(routes) (exact match), resolves the route's host labels to exactly
    one inventory host (by C(inventory_hostname) or C(ansible_host), exact string equality; a label that
    names no inventory host is refused, never dropped), checks the host's group, widens to the ensemble
    for routes of scope C(ensemble), and refuses hosts that the job's limit leaves out.
  - Label values with characters of O(forbidden_chars), control characters or over 253 characters are
    refused; runbook variables taken from labels must match the route's C(label_patterns).
  - The alert's C(startsAt) becomes the runbook's alarm time when it is a real RFC 3339 time, otherwise it
    is ignored and recorded as such.
  - Before a remediation runs, consults the attempt ledger under an exclusive lock. A repeat of an episode
    already remediated (same alert name, Alertmanager C(fingerprint) and C(startsAt)) runs nothing. A target
    (runbook and hosts of the run) tried O(max_attempts) times within O(attempt_window) seconds is refused
    with a message that a human is needed. Runs launched from the survey variables (a human) always run
    and are counted. Verifications (resolved alerts, dry runs) are neither judged nor counted.
  - Writes one decision record (JSON) per routed alert under O(report_dir)C(/alerts/), also for
    duplicates and stops; refusals write none.
  - Every string of the result is marked unsafe.
author: alertops (@alertops)
options:
  routes:
    description:
      - The routes, as in C(playbooks/vars/alert_routes.yml), which documents their keys.
    type: list
    elements: dict
    required: true
  forbidden_chars:
    description:
      - Characters that no host label value or label variable may contain.
      - By default none beyond what is always refused (control characters, over 253 characters); the
        playbook passes C(alert_route_forbidden_chars) from C(playbooks/vars/alert_routes.yml).
    type: list
    elements: str
    default: []
  report_dir:
    description: Folder of the decision records (C(alerts/) below it) and, by default, of the attempt ledger.
    type: str
    required: true
  ledger_path:
    description:
      - The attempt ledger (JSON; a C(.lock) file next to it is the lock).
      - By default C(alert_attempts.json) in O(report_dir), so the ledger lives where the decision records do.
    type: str
  dry_run:
    description:
      - Verify only; the runbook runs only when the whole run is in check mode.
      - By default V(false), a firing alert is remediated.
    type: bool
    default: false
  plan_only:
    description:
      - Decide and record, run nothing; the ledger is consulted but not written.
      - By default V(false), the decision is acted on.
    type: bool
    default: false
  max_attempts:
    description:
      - Remediation attempts per target within O(attempt_window) before a human is needed (1-1000, ASCII digits).
      - By default V(3), the fourth alert for the same hosts within the window is refused with "NEEDS A HUMAN".
    type: raw
    default: 3
  attempt_window:
    description:
      - Seconds over which attempts are counted (60-2592000, ASCII digits).
      - By default V(3600), attempts of the last hour count.
    type: raw
    default: 3600
extends_documentation_fragment:
  - alertops.remediation.attributes
attributes:
  check_mode:
    support: full
    details: Decides as in a normal run; in check mode a routed alert becomes a verification of its runbook.
  diff_mode:
    support: none
  idempotent:
    support: none
    details: Each run writes a new decision record, and a remediation attempt is counted once per episode.
notes:
  - Set C(ALERTOPS_REPORT_DIR) for ansible-rulebook and AWX, so that records and the ledger outlive the job's
    temporary directory.
seealso:
  - name: Alert routes
    description: playbooks/vars/alert_routes.yml
    link: https://github.com/alertops/remediation/blob/main/playbooks/vars/alert_routes.yml
'''

EXAMPLES = r'''
- name: Route the alert (decode, match route and inventory host, consult the attempt ledger, record)
  alertops.remediation.alert_route:
    routes: "{{ alert_routes }}"
    forbidden_chars: "{{ alert_route_forbidden_chars }}"
    report_dir: /var/log/alertops
  register: route
  run_once: true
  delegate_to: localhost

- name: Refuse the alert, with the reason
  ansible.builtin.fail:
    msg: "{{ route.refused }}"
  when: route.refused | length > 0
'''

RETURN = r'''
refused:
  description: Why nothing runs (the alert is refused, or a human is needed); empty when the alert is acted on.
  returned: always
  type: str
decision:
  description: The decision, also written to RV(record). Empty when refused before routing.
  returned: always
  type: dict
  contains:
    decision:
      description: remediate, verify, record only, duplicate or needs human.
      type: str
    runbook:
      description: The route's runbook (the play that runs).
      type: str
    host:
      description: The inventory host the alert names.
      type: str
    limit:
      description: The hosts of the run (the host, or its ensemble).
      type: list
      elements: str
    vars:
      description: Runbook variables from labels and the alarm time.
      type: dict
    run:
      description: Whether the runbook plays run.
      type: bool
    check:
      description: Whether the run is a verification only.
      type: bool
    alarm_time:
      description: The alert's startsAt when it is a real RFC 3339 time, else empty.
      type: str
    episode:
      description: The alert's fingerprint and startsAt.
      type: dict
    attempts:
      description: Earlier attempts on this target within the window (UTC times).
      type: list
      elements: str
record:
  description: Path of the decision record.
  returned: when routed
  type: str
  sample: /var/log/alertops/alerts/20261121T101530-exporter_ports-agent1-1a2b3c4d.json
'''
