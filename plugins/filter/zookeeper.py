# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ZooKeeper runbook's decisions (role zookeeper_connections), as filters over what the role read.

The logic lives in plugins/plugin_utils/zookeeper_*.py (pure functions with table tests); these filters
only turn Ansible's mappings (hostvars, registered results) into plain data and errors into
AnsibleFilterError.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError
from jinja2 import Undefined

from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_ensemble as ensemble
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_gate as gating
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_plan as planning
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_record as recording
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_report as reporting
from ansible_collections.alertops.remediation.plugins.plugin_utils.zookeeper_options import OptionError, check


class _Lazy(object):
    """hostvars as a plain mapping: only the variables asked for are read (and templated)."""

    def __init__(self, hostvars):
        self.hostvars = hostvars

    def get(self, name, default=None):
        try:
            return _HostView(self.hostvars[name])
        except (KeyError, TypeError):
            return default


class _HostView(object):
    def __init__(self, variables):
        self.variables = variables

    def get(self, key, default=None):
        try:
            value = self.variables[key]
        except (KeyError, TypeError):
            return default
        return default if isinstance(value, Undefined) else value


def _refuse(exc):
    raise AnsibleFilterError("%s. Nothing was changed." % exc)


def zookeeper_survey(members, hostvars, inventory, options):
    """The ensemble as its members reported it in detect: problems, servers, candidates, holder lookups."""
    try:
        checked = check(options)
    except OptionError as exc:
        _refuse(exc)
    return ensemble.survey(members, _Lazy(hostvars), inventory, checked)


def zookeeper_unlocked(members, hostvars, play_hosts):
    """Members whose remediation lock this run does not hold."""
    return ensemble.unlocked(members, _Lazy(hostvars), play_hosts)


def zookeeper_failed(names, hostvars):
    """The hosts among ``names`` that kept a failure message of this role."""
    return reporting.failed(_Lazy(hostvars), names)


def zookeeper_plan(survey, hostvars, owners_results, uptime_results, options):
    """The decision for the ensemble: action, new limit, order, live or restart, evidence, summary."""
    try:
        return planning.plan(survey, _Lazy(hostvars), owners_results or [], uptime_results or [], options)
    except OptionError as exc:
        _refuse(exc)


def zookeeper_member_ready(read, plan, name, limit=None):
    """Whether one member's zookeeper_info result shows it serving in its role (with ``limit``)."""
    return gating.member_ready(read, plan, name, limit)


def zookeeper_gate(plan, hostvars, names, limits=None):
    """The gate over the members in ``names``: ok, problems, leader, what each reported."""
    return gating.verdict(_Lazy(hostvars), names, plan, limits)


def zookeeper_record(plan, hostvars, check_mode=False):
    """What the act step did so far, from the members' step results."""
    return recording.record(plan, _Lazy(hostvars), check_mode)


def zookeeper_report(survey, hostvars, names, plan, record, verify, check_mode, options):
    """The report document for remediation_common's writer."""
    return reporting.report(survey, _Lazy(hostvars), names, plan, record, verify, check_mode, options)


class FilterModule(object):
    def filters(self):
        return {
            "zookeeper_survey": zookeeper_survey,
            "zookeeper_unlocked": zookeeper_unlocked,
            "zookeeper_failed": zookeeper_failed,
            "zookeeper_plan": zookeeper_plan,
            "zookeeper_member_ready": zookeeper_member_ready,
            "zookeeper_gate": zookeeper_gate,
            "zookeeper_record": zookeeper_record,
            "zookeeper_report": zookeeper_report,
        }
