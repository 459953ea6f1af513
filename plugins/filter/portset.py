# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters over kernel port-range strings such as ``ip_local_reserved_ports`` ("62888-62889,63000")."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.alertops.remediation.plugins.module_utils.portspec import PortSpecError, parse_ports


def _ports(value):
    """A kernel string ("a-b,c", "a b" for ip_local_port_range), a list, or an int -> sorted ints."""
    if value is None:
        return []
    if isinstance(value, int):
        value = [value]
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return []
        parts = text.split(",") if "," in text or "-" in text else text.split()
        if len(parts) == 2 and "," not in text and "-" not in text:
            # ip_local_port_range prints "low<TAB>high".
            parts = ["%s-%s" % (parts[0], parts[1])]
        value = [p.strip() for p in parts if p.strip()]
    try:
        return parse_ports(value, "port set")
    except PortSpecError as exc:
        raise AnsibleFilterError(str(exc))


def _format(ports):
    ranges = []
    for port in sorted(set(ports)):
        if ranges and port == ranges[-1][1] + 1:
            ranges[-1][1] = port
        else:
            ranges.append([port, port])
    return ",".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in ranges)


def portset_union(current, extra):
    """Merge ports into a kernel port-range string; nothing already there is dropped."""
    return _format(_ports(current) + _ports(extra))


def portset_missing(ports, covered_by, reserved=None):
    """Ports of ``ports`` inside ``covered_by`` (e.g. the ephemeral range) and not in ``reserved``."""
    inside = set(_ports(covered_by))
    taken = set(_ports(reserved))
    return [p for p in _ports(ports) if p in inside and p not in taken]


class FilterModule(object):
    def filters(self):
        return {"portset_union": portset_union, "portset_missing": portset_missing}
