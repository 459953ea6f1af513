# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Port policy: parsing of port lists, the OCP-Agent defaults, and the pure conflict classification.

Nothing here touches the host: the modules feed it socket rows read by procfs.py.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import re

from ansible_collections.alertops.remediation.plugins.module_utils import agent_layout

# The one place the defaults live; the doc fragment port_policy describes them in words and a unit
# test keeps the two in step.
DEFAULT_PORTS = ["62881-63881"]
# Both agent generations: OCP <= 3.1 (pos_proxy, ocp_exporter) and OCP >= 3.2 (ocp_mgragent, ocp_monagent),
# taken from the agent's layout so the ports and names are written down once.
DEFAULT_EXPECTED = agent_layout.expected_ports_any_generation()
DEFAULT_PROTECTED = ["observer", "obproxy", "obproxyd", "ocp_agentd", "sshd", "systemd", "init"]

KIND_FOREIGN = "foreign_listener"
KIND_OUTBOUND = "outbound_ephemeral"
KIND_PROTECTED = "protected"

_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")
_SINGLE = re.compile(r"^\s*(\d+)\s*$")
_UNSET_ADDRESSES = ("", "0.0.0.0", "::")


class PortSpecError(ValueError):
    pass


def _port(number):
    return 1 <= number <= 65535


def parse_port(value, option="ports"):
    """One port number given as int or digit string."""
    if isinstance(value, bool):
        value = None  # True would otherwise pass as port 1
    if isinstance(value, int) and _port(value):
        return value
    match = _SINGLE.match(value) if isinstance(value, str) else None
    if match and _port(int(match.group(1))):
        return int(match.group(1))
    raise PortSpecError("%s: %r is not a port (1-65535)" % (option, value))


def parse_ports(value, option="ports"):
    """A list of ports and "A-B" ranges (or one of them) -> sorted list of unique ints."""
    items = value if isinstance(value, (list, tuple)) else [value]
    if not items:
        raise PortSpecError("%s: the list is empty; give at least one port or range A-B" % option)
    ports = set()
    for item in items:
        match = _RANGE.match(item) if isinstance(item, str) else None
        if match:
            start, end = int(match.group(1)), int(match.group(2))
            if not (_port(start) and _port(end)):
                raise PortSpecError("%s: %r is out of the port range 1-65535" % (option, item))
            if start > end:
                raise PortSpecError("%s: %r starts after it ends" % (option, item))
            ports.update(range(start, end + 1))
            continue
        try:
            ports.add(parse_port(item, option))
        except PortSpecError:
            raise PortSpecError("%s: %r is not a port (1-65535) or a range A-B" % (option, item))
    return sorted(ports)


def parse_expected(value, option="expected"):
    """{port: name or [names]} -> {int port: [names]}; keys are validated as ports."""
    if not isinstance(value, dict):
        raise PortSpecError("%s: %r is not a mapping of port to process names" % (option, value))
    expected = {}
    for key, names in value.items():
        port = parse_port(key, option + " key")
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) and n for n in names):
            raise PortSpecError("%s[%s]: %r is not a list of process names" % (option, key, names))
        expected[port] = list(names)
    return expected


def port_policy_argument_spec():
    """The options every port module declares the same way (documented by doc fragment port_policy).

    No argument-spec defaults: the modules apply DEFAULT_* so the defaults live in this file only.
    """
    return dict(
        ports=dict(type="list", elements="raw"),
        expected=dict(type="dict"),
        protected=dict(type="list", elements="str"),
    )


def policy_from_params(params):
    """Validated (ports, expected, protected) from module params; raises PortSpecError."""
    ports = parse_ports(DEFAULT_PORTS if params.get("ports") is None else params["ports"])
    expected = parse_expected(
        copy.deepcopy(DEFAULT_EXPECTED) if params.get("expected") is None else params["expected"])
    protected = list(DEFAULT_PROTECTED if params.get("protected") is None else params["protected"])
    return ports, expected, protected


def process_names(row):
    """Names a holder answers to: comm (truncated to 15 chars by the kernel) and argv[0]'s basename
    (interpreted programs show comm "python"); matching on either is what an operator expects."""
    process = row.get("process") or {}
    names = set()
    if process.get("name"):
        names.add(process["name"])
    argv0 = (process.get("cmdline") or "").split(" ", 1)[0]
    if argv0:
        names.add(argv0.rsplit("/", 1)[-1])
    return names


def is_connected(row):
    return row.get("state") != "LISTEN" and row.get("remote_address") not in _UNSET_ADDRESSES \
        and bool(row.get("remote_port"))


def classify(sockets, expected, protected):
    """Conflicts on expected ports and the expected ports nobody holds.

    sockets: rows as procfs/port_owners_info build them (local_port, state, remote_*, inode, pid,
    process). Returns (conflicts, free_ports); each conflict is a copy of its row plus `kind`.
    """
    protected = set(protected)
    by_port = {}
    for row in sockets:
        if row.get("local_port") in expected:
            by_port.setdefault(row["local_port"], []).append(row)
    conflicts = []
    free_ports = []
    for port in sorted(expected):
        # inode 0 = TIME_WAIT or orphaned socket: the kernel holds it, no process does, and it does not
        # stop a SO_REUSEADDR bind.
        rows = [r for r in by_port.get(port, []) if r.get("inode")]
        if not rows:
            free_ports.append(port)
            continue
        # The kernel never hands out an ephemeral port that a listener has bound, so a connected socket
        # on a port that has a listener is one the listener accepted: it is the listener's.
        listened = any(r.get("state") == "LISTEN" for r in rows)
        rightful = set(expected[port])
        for row in rows:
            names = process_names(row)
            if names & rightful:
                continue
            if is_connected(row) and not listened:
                kind = KIND_OUTBOUND
            elif names & protected:
                kind = KIND_PROTECTED
            else:
                kind = KIND_FOREIGN
            conflict = dict(row)
            conflict["kind"] = kind
            conflicts.append(conflict)
    return conflicts, free_ports
