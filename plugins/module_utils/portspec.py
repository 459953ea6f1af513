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

# Kinds of a socket on an expected port, decided per socket (all its holders together).
KIND_RIGHTFUL = "rightful"            # a rightful process holds it (its other holders share it)
KIND_COEXISTING = "coexisting"        # a connection on a port whose rightful listener is up: information
KIND_FOREIGN = "foreign_listener"     # held only by processes that are neither rightful nor protected
KIND_OUTBOUND = "outbound_ephemeral"  # a connection that took the port as its source port: never signalled
KIND_PROTECTED = "protected"          # a protected process holds it (its other holders share it)
CONFLICT_KINDS = (KIND_FOREIGN, KIND_OUTBOUND, KIND_PROTECTED)

# ASCII digits only: str.isdigit() and \d also accept other scripts' digits ("\u0669" is a 9).
_RANGE = re.compile(r"^[ \t]*([0-9]{1,5})[ \t]*-[ \t]*([0-9]{1,5})[ \t]*\Z")
_SINGLE = re.compile(r"^[ \t]*([0-9]{1,5})[ \t]*\Z")
_UNSET_ADDRESSES = ("", "0.0.0.0", "::")
# Process names are compared with comm (15 characters) and argv[0]'s basename (a file name).
_NAME_MAX = 255


class PortSpecError(ValueError):
    pass


def _port(number):
    return 1 <= number <= 65535


def parse_port(value, option="ports"):
    """One port number given as int or digit string."""
    if isinstance(value, int) and not isinstance(value, bool) and _port(value):  # True is not port 1
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
        if not isinstance(names, (list, tuple)) or not names:
            raise PortSpecError("%s[%s]: %r is not a list of process names" % (option, key, names))
        expected[port] = parse_names(names, "%s[%s]" % (option, key))
    return expected


def parse_names(value, option):
    """A list of process names: non-empty strings without NUL or line breaks, at most 255 characters."""
    if not isinstance(value, (list, tuple)):
        raise PortSpecError("%s: %r is not a list of process names" % (option, value))
    for name in value:
        if not isinstance(name, str) or not name or len(name) > _NAME_MAX or \
                any(c in name for c in "\0\n\r"):
            raise PortSpecError("%s: %r is not a process name (1-%d characters, no NUL or line break)" % (
                option, name if not isinstance(name, str) else name[:_NAME_MAX + 1], _NAME_MAX))
    return list(value)


def port_policy_argument_spec():
    """The options every port module declares the same way (documented by doc fragment port_policy).

    No argument-spec defaults: the modules apply DEFAULT_* so the defaults live in this file only.
    `protected` is read as given (type raw): Ansible's list of str would turn 12 or [null] into the names
    "12" and "None", and a given list replaces the default protection.
    """
    return dict(
        ports=dict(type="list", elements="raw"),
        expected=dict(type="dict"),
        protected=dict(type="raw"),
    )


def policy_from_params(params):
    """Validated (ports, expected, protected) from module params; raises PortSpecError."""
    ports = parse_ports(DEFAULT_PORTS if params.get("ports") is None else params["ports"])
    expected = parse_expected(
        copy.deepcopy(DEFAULT_EXPECTED) if params.get("expected") is None else params["expected"])
    protected = parse_names(DEFAULT_PROTECTED if params.get("protected") is None else params["protected"],
                            "protected")
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


def _by_socket(rows):
    """{inode: [rows]} in first-seen order; inode 0 (TIME_WAIT, orphans) is the kernel's, and it does
    not stop a SO_REUSEADDR bind, so it is left out."""
    sockets = {}
    for row in rows:
        if row.get("inode"):
            sockets.setdefault(row["inode"], []).append(row)
    return sockets


def _names(rows):
    names = set()
    for row in rows:
        names |= process_names(row)
    return names


def _port_kinds(rows, rightful, protected):
    """{inode: kind} for the sockets of one expected port."""
    sockets = _by_socket(rows)
    kinds = {}
    for inode, held in sockets.items():
        if _names(held) & rightful:
            kinds[inode] = KIND_RIGHTFUL
    serving = any(sockets[inode][0].get("state") == "LISTEN" for inode in kinds)
    # pids that hold a listening socket of this port that is not the rightful one
    listeners = set(r.get("pid") for inode, held in sockets.items() if inode not in kinds
                    for r in held if r.get("state") == "LISTEN" and r.get("pid") is not None)
    for inode, held in sockets.items():
        if inode in kinds:
            continue
        if is_connected(held[0]):
            if serving:
                # Both sides set SO_REUSEADDR: the agent listens and serves next to it.
                kinds[inode] = KIND_COEXISTING
                continue
            if not any(r.get("pid") in listeners for r in held):
                # The kernel never hands out an ephemeral port that a listener holds, so a connection
                # that does not share a holder with this port's listener went out from the port.
                kinds[inode] = KIND_OUTBOUND
                continue
            # else: a connection that listener accepted; it goes with the listener's holders
        kinds[inode] = KIND_PROTECTED if _names(held) & protected else KIND_FOREIGN
    return kinds


def classify(sockets, expected, protected):
    """Decide per socket what each socket on an expected port is, and which expected ports are free.

    sockets: rows as procfs.owned_sockets builds them (local_port, state, remote_*, inode, pid, process),
    one per holder of a socket. A socket is judged with all its holders together: one a rightful process
    holds is `rightful` whoever else shares it, one a protected process holds is `protected` for every
    holder, a connection on a port whose rightful listener is up is `coexisting` (information only).

    Returns {"rows": every row on an expected port plus `kind`, "conflicts": those of a conflict kind,
    "coexisting": those of kind coexisting, "free_ports": expected ports no socket holds}. Rows are
    copies; the input is not changed.
    """
    protected = set(protected)
    by_port = {}
    for row in sockets:
        if row.get("local_port") in expected:
            by_port.setdefault(row["local_port"], []).append(row)
    result = {"rows": [], "conflicts": [], "coexisting": [], "free_ports": []}
    for port in sorted(expected):
        rows = [r for r in by_port.get(port, []) if r.get("inode")]
        if not rows:
            result["free_ports"].append(port)
            continue
        kinds = _port_kinds(rows, set(expected[port]), protected)
        for row in rows:
            judged = dict(row)
            judged["kind"] = kinds[row["inode"]]
            result["rows"].append(judged)
            if judged["kind"] in CONFLICT_KINDS:
                result["conflicts"].append(judged)
            elif judged["kind"] == KIND_COEXISTING:
                result["coexisting"].append(judged)
    return result
