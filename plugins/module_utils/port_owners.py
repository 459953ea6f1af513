# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who holds which TCP ports, judged against the port policy: the read behind port_owners_info, and
behind ocp_agent_info, which reports it with the agent's state in the same module call."""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.alertops.remediation.plugins.module_utils import portspec, procfs


class PortOwners(object):
    """Reads sockets and every holder once and judges them against the port policy."""

    def __init__(self, ports, expected, protected, states=None, remote_ports=None, show_local=True):
        self.ports = ports
        self.expected = dict((p, n) for p, n in expected.items() if p in set(ports))
        self.protected = protected
        self.states = states
        self.remote_ports = remote_ports
        self.show_local = show_local

    def scan(self):
        """{sockets, conflicts, coexisting, free_ports, unresolved, conflict} (port_owners_info's RETURN)."""
        local = procfs.read_sockets(self.ports, states=self.states)
        shown = list(local) if self.show_local else []
        if self.remote_ports:
            keys = set(_key(r) for r in shown)
            shown += [r for r in procfs.read_sockets(remote_ports=self.remote_ports, states=self.states)
                      if _key(r) not in keys]
        owners, unresolved = procfs.find_owners(local + shown)
        local_rows = procfs.owned_sockets(local, owners, unresolved)[0]
        shown_rows, lost = procfs.owned_sockets(shown, owners, unresolved)
        judged = portspec.classify(local_rows, self.expected, self.protected)
        kinds = dict(((r["inode"], r["pid"]), r["kind"]) for r in judged["rows"])
        for row in shown_rows:
            if row["local_port"] in self.expected and (row["inode"], row["pid"]) in kinds:
                row["kind"] = kinds[(row["inode"], row["pid"])]
        return {"sockets": shown_rows, "conflicts": judged["conflicts"], "coexisting": judged["coexisting"],
                "free_ports": judged["free_ports"], "unresolved": lost, "conflict": bool(judged["conflicts"])}


def _key(row):
    return (row["protocol"], row["local_address"], row["local_port"], row["remote_address"],
            row["remote_port"], row["inode"])
