# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Options of the port policy shared by port_owners_info and port_release (module_utils.portspec
    declares them, through port_policy_argument_spec, and holds the defaults)."""

    DOCUMENTATION = r'''
options:
  ports:
    description:
      - Local TCP ports to look at, as port numbers and C(A-B) ranges (both ends included), in ASCII digits.
      - When omitted, C(["62881-63881"]), the OCP-Agent's port range.
      - Only the ports of O(expected) inside O(ports) are checked for conflicts.
    type: list
    elements: raw
  expected:
    description:
      - Map of port to the names of the processes that rightfully hold it. Keys must be ports; names are
        1 to 255 characters without NUL or line break.
      - A holder matches when its comm (as C(ps) shows it) or the basename of its argv[0] is in the list.
      - "When omitted, the OCP-Agent's ports for both agent generations
        C({62888: [pos_proxy, ocp_mgragent], 62889: [ocp_exporter, ocp_monagent], 63000: [node_exporter]})."
    type: dict
  protected:
    description:
      - Names (comm or argv[0] basename) of processes never treated as removable, whatever port they hold;
        a process that shares a socket with one of them is never signalled either.
      - When omitted, C([observer, obproxy, obproxyd, ocp_agentd, sshd, systemd, init]).
      - A given list replaces the default; repeat its names to keep them. Anything but a list of such
        names (a single name, a number, a list holding a null) is refused.
    type: raw
'''
