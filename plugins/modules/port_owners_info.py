#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: port_owners_info
short_description: Report which processes hold TCP ports and which of them conflict with the rightful owners
version_added: 0.1.0
description:
  - Reads TCP sockets from the kernel (sock_diag netlink, or C(/proc/net/tcp) and C(/proc/net/tcp6) where
    netlink is not available), maps them to processes through C(/proc/PID/fd) and reports each holder's
    identity, including its systemd unit or container.
  - Selects sockets by port number, never by text, and does not run C(netstat), C(ss), C(lsof) or C(ps).
  - Scans process file descriptors only when a socket matches, processes of the socket's uid first,
    and stops once every socket has a holder (then checks the holders' parents and children, which
    share sockets inherited through fork).
  - Sockets whose owner cannot be read (permission denied, process gone, kernel-held) are reported in
    RV(unresolved), never dropped.
author: alertops (@alertops)
options:
  remote_ports:
    description:
      - Also select sockets whose remote port is one of these (ports and C(A-B) ranges), for example C(2181)
        to see which local processes hold connections to ZooKeeper.
      - When given and O(ports) is omitted, RV(sockets) holds only these sockets; RV(conflicts) and
        RV(free_ports) are still computed for the default O(ports).
    type: list
    elements: raw
  states:
    description:
      - C(listen) reports listening sockets only; C(all) every state, since a connected socket bound to a
        port blocks a bind just as a listener does.
    type: str
    choices: [listen, all]
    default: all
extends_documentation_fragment:
  - alertops.remediation.port_policy
  - alertops.remediation.attributes
  - alertops.remediation.attributes.info_module
notes:
  - Run it as root to see the owners of other users' sockets; without root they come back in RV(unresolved).
  - A socket held by several processes (inherited through fork) gives one row per holder.
seealso:
  - module: alertops.remediation.port_release
'''

EXAMPLES = r'''
- name: Who holds the OCP-Agent's ports
  alertops.remediation.port_owners_info:
  register: owners

- name: Show the conflicts
  ansible.builtin.debug:
    msg: "{{ item.local_port }} {{ item.kind }} pid {{ item.pid }} ({{ item.process.name | default('?') }})"
  loop: "{{ owners.conflicts }}"

- name: Which local processes hold connections to ZooKeeper
  alertops.remediation.port_owners_info:
    remote_ports: [2181]
  register: zk_clients

- name: Listeners of one port with a custom rightful owner
  alertops.remediation.port_owners_info:
    ports: [9100]
    states: listen
    expected:
      9100: [node_exporter]
'''

RETURN = r'''
sockets:
  description:
    - Selected sockets, one row per holder process.
    - C(process) has the keys C(name) (comm), C(exe), C(cmdline), C(user), C(start_time) (clock ticks
      after boot, field 22 of /proc/PID/stat), C(ppid), C(unit) (a systemd C(*.service), C(container:<id>) or null);
      it is null when the holder is unknown.
  returned: always
  type: list
  elements: dict
  sample:
    - protocol: tcp
      local_address: 127.0.0.1
      local_port: 63000
      remote_address: 0.0.0.0
      remote_port: 0
      state: LISTEN
      inode: 48213
      uid: 65534
      pid: 4242
      process:
        name: nc
        exe: /usr/bin/nc.openbsd
        cmdline: nc -l 127.0.0.1 63000
        user: nobody
        start_time: 1843311
        ppid: 4200
        unit: null
conflicts:
  description:
    - Sockets on expected ports not held by a rightful owner, shaped as RV(sockets) plus C(kind).
    - C(kind) is C(foreign_listener) (a process that may be removed), C(outbound_ephemeral) (a connection
      that took the port as its ephemeral source port; never a reason to kill its process; the lasting
      fix is C(net.ipv4.ip_local_reserved_ports)) or C(protected) (a holder named in O(protected)).
    - Connections a listener accepted count as that listener's.
  returned: always
  type: list
  elements: dict
free_ports:
  description: Expected ports (inside O(ports)) that no process holds.
  returned: always
  type: list
  elements: int
  sample: [62888, 62889]
unresolved:
  description: Selected sockets whose owner could not be read, shaped as RV(sockets) plus C(reason).
  returned: always
  type: list
  elements: dict
conflict:
  description: Whether RV(conflicts) is not empty.
  returned: always
  type: bool
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.alertops.remediation.plugins.module_utils import portspec, procfs


class PortOwners(object):
    """Reads sockets and owners once and classifies them against the port policy."""

    def __init__(self, ports, expected, protected, states=None, remote_ports=None, show_local=True):
        self.ports = ports
        self.expected = dict((p, n) for p, n in expected.items() if p in set(ports))
        self.protected = protected
        self.states = states
        self.remote_ports = remote_ports
        self.show_local = show_local

    def scan(self, complete=False):
        local = procfs.read_sockets(self.ports, states=self.states)
        shown = list(local) if self.show_local else []
        if self.remote_ports:
            keys = set(_key(r) for r in shown)
            shown += [r for r in procfs.read_sockets(remote_ports=self.remote_ports, states=self.states)
                      if _key(r) not in keys]
        owners, unresolved = procfs.find_owners(local + shown, complete=complete)
        local_rows = procfs.owned_sockets(local, owners, unresolved)[0]
        shown_rows, lost = procfs.owned_sockets(shown, owners, unresolved)
        conflicts, free_ports = portspec.classify(local_rows, self.expected, self.protected)
        return {"sockets": shown_rows, "conflicts": conflicts, "free_ports": free_ports,
                "unresolved": lost, "conflict": bool(conflicts)}


def _key(row):
    return (row["protocol"], row["local_address"], row["local_port"], row["remote_address"],
            row["remote_port"], row["inode"])


def main():
    argument_spec = portspec.port_policy_argument_spec()
    argument_spec.update(
        remote_ports=dict(type="list", elements="raw"),
        states=dict(type="str", choices=["listen", "all"], default="all"),
    )
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        ports, expected, protected = portspec.policy_from_params(params)
        remote_ports = None
        if params["remote_ports"] is not None:
            remote_ports = portspec.parse_ports(params["remote_ports"], "remote_ports")
    except portspec.PortSpecError as exc:
        module.fail_json(msg=str(exc))
    owners = PortOwners(ports, expected, protected,
                        states=["LISTEN"] if params["states"] == "listen" else None,
                        remote_ports=remote_ports,
                        show_local=params["ports"] is not None or remote_ports is None)
    module.exit_json(changed=False, **owners.scan())


if __name__ == "__main__":
    main()
