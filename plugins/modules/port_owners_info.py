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
  - Scans process file descriptors only when a socket matches, and then those of every process, since a socket
    is shared by each process that inherited or received it (fork without close_fds, an exec'd wrapper,
    a pre-fork server, a daemon's double fork), so every holder is found whatever the pid order.
  - Judges each socket on an expected port with all its holders together (C(kind) in RV(sockets)); a
    socket a rightful process holds is C(rightful) whoever shares it; one a protected process holds is
    C(protected) for every holder; a connection on a port whose rightful listener is up is
    C(coexisting), information and not a conflict.
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
      - "By default V(all): every socket that can keep an exporter from binding its port is reported."
    type: str
    choices: [listen, all]
    default: all
extends_documentation_fragment:
  - alertops.remediation.port_policy
  - alertops.remediation.attributes
  - alertops.remediation.attributes.info_module
notes:
  - Run it as root to see the owners of other users' sockets; without root they come back in RV(unresolved).
  - A socket held by several processes gives one row per holder; each row lists them all in C(holders).
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
    - Selected sockets, one row per holder process; C(holders) lists every process holding the socket.
    - Rows on an expected port (inside O(ports)) carry the socket's C(kind), as in RV(conflicts), or
      C(rightful) or C(coexisting).
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
      holders: [4242]
      kind: foreign_listener
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
    - C(kind) is decided per socket, for all its holders together. C(foreign_listener) (held only by
      processes that are neither rightful nor protected; they may be removed, all of them together),
      C(outbound_ephemeral) (a connection that took the port as its ephemeral source port; never a
      reason to kill its process; the lasting fix is C(net.ipv4.ip_local_reserved_ports)) or
      C(protected) (a holder named in O(protected) holds the socket; its other holders share it).
    - Connections a listener accepted (held by a holder of that listener) count as that listener's.
  returned: always
  type: list
  elements: dict
coexisting:
  description:
    - Connections on an expected port whose rightful listener is up (both sides set C(SO_REUSEADDR)), shaped
      as RV(conflicts) with C(kind=coexisting). They do not stop the listener and are not conflicts.
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
from ansible_collections.alertops.remediation.plugins.module_utils import portspec
from ansible_collections.alertops.remediation.plugins.module_utils.port_owners import PortOwners


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
