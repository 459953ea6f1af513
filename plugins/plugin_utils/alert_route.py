# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Alert routing: which runbook answers an Alertmanager alert, on which inventory hosts, with which values.

Pure functions over plain data, used by the controller-side action plugin ``alertops.remediation.alert_route``
(playbooks/remediate_alert.yml). Alert text is only ever compared, matched against fixed patterns and
copied as data: nothing here renders a template, and the action plugin marks every returned string unsafe.
Every refusal is a ``Refused`` whose message says why and names the offending value (JSON-quoted, cut short).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import json
import re

from collections.abc import Mapping
from urllib.parse import unquote_plus

# An Alertmanager alert is a few KiB; a cap keeps a hostile payload from costing time or memory.
MAX_PAYLOAD = 1024 * 1024
# The longest DNS name: no host label value can be longer and still name a host.
MAX_HOST_VALUE = 253
NOTHING_RUN = "Nothing was run on any host."
SURVEY_LABELS = (("alertname", "alert_name"), ("instance", "alert_host"), ("ClientIP", "zk_alarm_client_ip"),
                 ("ServerIP", "zk_alarm_server_ip"))
# every variable read_alert() reads, as stored: the playbook's interface to the rulebooks and surveys
READ_VARIABLES = (("alert_payload",) + tuple(var for dummy, var in SURVEY_LABELS)
                  + ("alert_time", "alert_status", "ansible_eda"))
STATUSES = ("firing", "resolved")
SCOPES = ("host", "ensemble")
# RFC 3339 with ASCII digits only (\d would accept any Unicode digit); Alertmanager's zero time 0001-... is "unset".
_TIME = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[T ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?"
                   r"(Z|[+-]([0-9]{2}):([0-9]{2}))")


class Refused(Exception):
    """The alert is not acted on; str(exc) is the reason, for the operator."""


class RouteConfigError(ValueError):
    """playbooks/vars/alert_routes.yml (the routes option) is malformed."""


def quote(value, width=80):
    """A value from the alert, for a message: JSON-quoted (control characters visible), cut at width."""
    text = json.dumps(value, ensure_ascii=True, default=repr)
    return text if len(text) <= width else text[:width - 4] + '..."'


# ------------------------------------------------------------------------------------------ the routes
def check_routes(routes):
    """Validate the routes option; returns it unchanged or raises RouteConfigError naming the route and key."""
    if not isinstance(routes, list) or not routes:
        raise RouteConfigError("routes: expected a non-empty list of routes, got %s" % quote(routes))
    seen = {}
    for index, route in enumerate(routes):
        where = "routes[%d]" % index
        if not isinstance(route, Mapping):
            raise RouteConfigError("%s: expected a mapping, got %s" % (where, quote(route)))
        for key in ("name", "runbook", "group"):
            if not _nonempty_str(route.get(key)):
                raise RouteConfigError("%s.%s: expected a non-empty string, got %s" % (where, key, quote(route.get(key))))
        for key in ("alertnames", "host_labels"):
            value = route.get(key)
            if not isinstance(value, list) or not value or not all(_nonempty_str(v) for v in value):
                raise RouteConfigError("%s.%s: expected a non-empty list of strings, got %s" % (where, key, quote(value)))
        if route.get("scope", "host") not in SCOPES:
            raise RouteConfigError("%s.scope: expected one of %s, got %s" % (where, ", ".join(SCOPES), quote(route.get("scope"))))
        for key in ("label_vars", "label_patterns"):
            value = route.get(key, {}) or {}
            if not isinstance(value, Mapping) or not all(_nonempty_str(k) and _nonempty_str(v) for k, v in value.items()):
                raise RouteConfigError("%s.%s: expected a mapping of strings, got %s" % (where, key, quote(value)))
        for var, pattern in (route.get("label_patterns") or {}).items():
            try:
                re.compile(pattern)
            except re.error as exc:
                raise RouteConfigError("%s.label_patterns.%s: %s is not a regular expression (%s)" % (where, var, quote(pattern), exc))
        for key in ("time_var", "ensemble_group_var"):
            if route.get(key) is not None and not isinstance(route.get(key), str):
                raise RouteConfigError("%s.%s: expected a string, got %s" % (where, key, quote(route.get(key))))
        for name in route["alertnames"]:
            if name in seen:
                raise RouteConfigError("%s.alertnames: %s is already routed by %s" % (where, quote(name), seen[name]))
            seen[name] = where
    return routes


def known_alertnames(routes):
    return [name for route in routes for name in route["alertnames"]]


# ------------------------------------------------------------------------------------------ the alert
def read_alert(variables):
    """Find the alert among the playbook's variables, read as data, never rendered.

    Order: ``alert_payload`` (the rulebook: the alert as URL-encoded JSON), the survey variables
    (``alert_name`` and friends, from AWX or -e), ``ansible_eda.event`` (what ansible-rulebook adds).
    Returns (alert, source) with source eda | survey | ansible_eda.
    """
    payload = variables.get("alert_payload")
    if payload is not None and payload != "":
        return _decode_payload(payload), "eda"
    if variables.get("alert_name") not in (None, ""):
        labels = dict((label, _survey_value(var, variables.get(var))) for label, var in SURVEY_LABELS)
        alert = {"labels": labels,
                 "startsAt": _survey_value("alert_time", variables.get("alert_time")),
                 "status": _survey_value("alert_status", variables.get("alert_status")) or "firing"}
        return alert, "survey"
    eda = variables.get("ansible_eda")
    if isinstance(eda, Mapping) and eda.get("event") is not None:
        return eda["event"], "ansible_eda"
    raise Refused("no alert given: pass alert_payload (the rulebook sends the alert as URL-encoded JSON) or "
                  "alert_name and alert_host (AWX survey, -e). %s" % NOTHING_RUN)


def _decode_payload(payload):
    if not isinstance(payload, str):
        raise Refused("alert_payload must be a string (the alert as URL-encoded JSON), got %s. %s"
                      % (type(payload).__name__, NOTHING_RUN))
    if len(payload) > MAX_PAYLOAD:
        raise Refused("alert_payload is %d characters, over the limit of %d: not one alert. %s"
                      % (len(payload), MAX_PAYLOAD, NOTHING_RUN))
    try:
        return json.loads(unquote_plus(payload))
    except (ValueError, RecursionError) as exc:
        raise Refused("alert_payload %s is not URL-encoded JSON (%s). %s" % (quote(payload), exc, NOTHING_RUN))


def _survey_value(var, value):
    """A survey answer as text: AWX may hand over numbers, YAML may hand over timestamps."""
    if value is None:
        return ""
    if isinstance(value, bool) or isinstance(value, (list, dict, Mapping)):
        raise Refused("%s must be text, got %s %s. %s" % (var, type(value).__name__, quote(value), NOTHING_RUN))
    if isinstance(value, (str, int, float, datetime.date)):
        return value if isinstance(value, str) else str(value)
    raise Refused("%s must be text, got %s. %s" % (var, type(value).__name__, NOTHING_RUN))


def check_alert(alert):
    """One Alertmanager alert: a mapping whose labels mapping holds a non-empty alertname string."""
    if isinstance(alert, Mapping) and "alerts" in alert and "labels" not in alert:
        raise Refused("the alert is a whole webhook payload (%s alerts), not one alert: split it with "
                      "eda.builtin.event_splitter over payload.alerts. %s" % (_count(alert.get("alerts")), NOTHING_RUN))
    if not isinstance(alert, Mapping):
        raise Refused("the alert must be one Alertmanager alert (a mapping with labels), got %s %s. %s"
                      % (type(alert).__name__, quote(alert), NOTHING_RUN))
    labels = alert.get("labels")
    if not isinstance(labels, Mapping) or not _nonempty_str(labels.get("alertname")):
        raise Refused("the alert must be one Alertmanager alert (a mapping with a `labels` mapping holding "
                      "`alertname`), got labels %s. %s" % (quote(labels), NOTHING_RUN))
    status = alert.get("status", "firing")
    if status not in STATUSES:
        raise Refused("alert %s refused: status %s is neither firing nor resolved. %s"
                      % (quote(labels["alertname"]), quote(status), NOTHING_RUN))
    return alert


def _count(value):
    return len(value) if isinstance(value, list) else "no list of"


def _nonempty_str(value):
    return isinstance(value, str) and value != ""


def alarm_time(value):
    """(time, ignored): the alert's startsAt when it is a real RFC 3339 time, else ('', the value as text)."""
    if value is None or value == "":
        return "", ""
    if isinstance(value, str) and len(value) <= 64:
        match = _TIME.fullmatch(value)
        if match and match.group(1) != "0001" and _real_time(match):
            return value, ""
    return "", value if isinstance(value, str) else quote(value)


def _real_time(match):
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    try:
        datetime.datetime(year, month, day, hour, minute, min(second, 59))  # a leap second is a real time
    except ValueError:
        return False
    if second > 60:
        return False
    return match.group(9) is None or (int(match.group(9)) <= 23 and int(match.group(10)) <= 59)


def episode(alert):
    """What identifies one firing episode: Alertmanager's fingerprint and startsAt (both text, maybe empty)."""
    out = {}
    for key in ("fingerprint", "startsAt"):
        value = alert.get(key)
        out[key] = value if isinstance(value, str) else ("" if value is None else quote(value, 200))
    return out


# ------------------------------------------------------------------------------------------ routing
def route_alert(alert, source, routes, inventory, groups, play_hosts, forbidden_chars=(), dry_run=False,
                plan_only=False, check_mode=False):
    """Decide what one alert runs, or raise Refused.

    inventory   mapping inventory_hostname -> that host's variables (only ansible_host and the routes'
                ensemble_group_var are read; a lazy mapping is fine)
    groups      mapping group -> list of host names (Ansible's `groups`)
    play_hosts  the hosts the job may touch (ansible_play_hosts_all: the job's limit applied)
    Returns the decision: route, runbook, host, limit (hosts of the run), vars (runbook variables),
    alarm_time, check (verification only), run (whether the runbook plays run at all).
    """
    check_alert(alert)
    labels = alert["labels"]
    name = labels["alertname"]
    route = next((r for r in routes if name in r["alertnames"]), None)
    if route is None:
        raise Refused("unknown alert %s: no route in playbooks/vars/alert_routes.yml (known: %s). %s"
                      % (quote(name, 120), ", ".join(known_alertnames(routes)), NOTHING_RUN))
    host_values = _host_values(name, route, labels)
    label_vars = _label_vars(name, route, labels)
    _refuse_unsafe_values(name, [v for dummy, v in host_values] + list(label_vars.values()), forbidden_chars)
    _refuse_unexpected_forms(name, route, label_vars)
    host = _resolve_host(name, route, host_values, inventory)
    limit, ensemble_group = _hosts_of_run(name, route, host, inventory, groups)
    left_out = [h for h in limit if h not in play_hosts]
    if left_out:
        raise Refused("alert %s needs %s but the job's limit leaves out %s. %s"
                      % (name, ", ".join(limit), ", ".join(left_out), NOTHING_RUN))
    status = alert.get("status", "firing")
    time, ignored = alarm_time(alert.get("startsAt"))
    runbook_vars = dict(label_vars)
    if route.get("time_var"):
        runbook_vars[route["time_var"]] = time
    check = status != "firing" or bool(dry_run) or bool(check_mode)
    # A verification (resolved alert, dry run) runs only when the whole run is in check mode: a runbook's
    # tasks follow the run's mode, never a play keyword. Otherwise the decision is recorded, nothing runs.
    run = not plan_only and ((status == "firing" and not dry_run) or bool(check_mode))
    return {
        "name": name, "status": status, "source": source, "route": route["name"], "runbook": route["runbook"],
        "host": host, "group": route["group"], "limit": limit, "ensemble_group": ensemble_group,
        "alarm_time": time, "alarm_time_ignored": ignored, "check": check, "run": run, "vars": runbook_vars,
        "episode": episode(alert), "labels": dict(labels),
    }


def _host_values(name, route, labels):
    """(label, value) for every non-empty host label of the route, in the route's order."""
    out = []
    for label in route["host_labels"]:
        value = labels.get(label)
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise Refused("alert %s refused: label %s is %s %s, not text. %s"
                          % (name, label, type(value).__name__, quote(value), NOTHING_RUN))
        out.append((label, value))
    if not out:
        raise Refused("alert %s refused: it names no host (labels %s are empty). %s"
                      % (name, ", ".join(route["host_labels"]), NOTHING_RUN))
    return out


def _label_vars(name, route, labels):
    out = {}
    for var, label in (route.get("label_vars") or {}).items():
        value = labels.get(label)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise Refused("alert %s refused: label %s is %s %s, not text. %s"
                          % (name, label, type(value).__name__, quote(value), NOTHING_RUN))
        out[var] = value
    return out


def unsafe_value(value, forbidden_chars):
    """True when a value can never be a host name or an address: too long, a control character, or a
    character of forbidden_chars (shell and template syntax, quotes, spaces)."""
    return (len(value) > MAX_HOST_VALUE or any(ord(c) < 32 or ord(c) == 127 for c in value)
            or any(c in value for c in forbidden_chars))


def _refuse_unsafe_values(name, values, forbidden_chars):
    bad = []
    for value in values:
        if unsafe_value(value, forbidden_chars) and value not in bad:
            bad.append(value)
    if bad:
        raise Refused("alert %s refused: label value(s) %s contain characters no host name or address has "
                      "(shell or template syntax, quotes, spaces, control characters) or are too long. %s"
                      % (name, ", ".join(quote(v) for v in bad), NOTHING_RUN))


def _refuse_unexpected_forms(name, route, label_vars):
    patterns = route.get("label_patterns") or {}
    bad = ["%s=%s" % (var, quote(value)) for var, value in sorted(label_vars.items())
           if value and var in patterns and not re.fullmatch(patterns[var], value)]
    if bad:
        raise Refused("alert %s refused: %s not in the expected form. %s" % (name, ", ".join(bad), NOTHING_RUN))


def _resolve_host(name, route, host_values, inventory):
    """Every host label value names exactly one inventory host (by name or ansible_host, exact string
    equality), and all of them the same host: a value that names no host is refused, never dropped."""
    found, unmatched = [], []
    for label, value in host_values:
        matches = [h for h in inventory if h == value or _address(inventory, h) == value]
        if not matches:
            unmatched.append("%s=%s" % (label, quote(value)))
        for host in matches:
            if host not in found:
                found.append(host)
    if unmatched:
        raise Refused("alert %s refused: its host (%s) is not in the inventory (matched by inventory_hostname or "
                      "ansible_host, exactly). %s" % (name, ", ".join(unmatched), NOTHING_RUN))
    if len(found) > 1:
        raise Refused("alert %s refused: its labels name several hosts (%s). %s"
                      % (name, ", ".join(found), NOTHING_RUN))
    return found[0]


def _address(inventory, host):
    value = inventory[host].get("ansible_host")
    return host if value is None else str(value)


def _hosts_of_run(name, route, host, inventory, groups):
    """(limit, ensemble_group): the alert's host, or every member of its ensemble; all inside the route's group."""
    group = route["group"]
    if host not in (groups.get(group) or []):
        raise Refused("alert %s refused: host %s is not in the inventory group %s, so runbook %s does not apply "
                      "to it. %s" % (name, host, group, route["runbook"], NOTHING_RUN))
    if route.get("scope", "host") == "host":
        return [host], ""
    ensemble = inventory[host].get(route["ensemble_group_var"]) if route.get("ensemble_group_var") else None
    ensemble = ensemble if _nonempty_str(ensemble) else group
    members = list(groups.get(ensemble) or [])
    if host not in members:
        raise Refused("alert %s refused: host %s is not in its ensemble group %s (from %s). %s"
                      % (name, host, quote(ensemble), route.get("ensemble_group_var") or "the route", NOTHING_RUN))
    outside = [h for h in members if h not in groups[group]]
    if outside:
        raise Refused("alert %s refused: ensemble group %s of host %s holds hosts outside group %s (%s), where "
                      "runbook %s does not apply. %s"
                      % (name, ensemble, host, group, ", ".join(outside), route["runbook"], NOTHING_RUN))
    return members, ensemble
