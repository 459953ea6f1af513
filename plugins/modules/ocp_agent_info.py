#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: ocp_agent_info
short_description: Read the OceanBase OCP-Agent's state without changing it
version_added: 0.2.0
description:
  - Reports, for both agent generations, which agent processes run, whether each exporter port is held
    by its agent process and answers HTTP 200 on its metrics path, and who holds the ports that are
    not, without running the agent's control script or changing anything.
  - In the same call it reports every holder of the ports in O(ports), judged against the agent's own
    ports the way M(alertops.remediation.port_owners_info) judges them (RV(owners)), and the kernel's
    ephemeral port range and reserved ports, which say whether an outbound connection may take an agent
    port. One module call (one round trip to the host) holds everything the exporter ports runbook
    decides on.
  - Use it to detect and to verify; M(alertops.remediation.ocp_agent) changes the state.
author:
  - alertops.remediation maintainers (@alertops)
extends_documentation_fragment:
  - alertops.remediation.ocp_agent
  - alertops.remediation.attributes
  - alertops.remediation.attributes.info_module
options:
  timeout:
    description:
      - Seconds (a whole number in ASCII digits, 1 to 300) for the whole read, HTTP probes included
        (each probe also stops after 3 seconds).
      - By default 10 seconds.
    type: raw
    default: 10
  ports:
    description:
      - Local TCP ports whose holders are reported in RV(owners), as port numbers and C(A-B) ranges in
        ASCII digits. The agent's own ports among them are checked for conflicts.
      - When omitted, the agent's own ports (those of its generation).
    type: list
    elements: raw
  protected:
    description:
      - Names (comm or argv[0] basename) of processes whose sockets on an agent port are judged
        C(protected) in RV(owners) (as in M(alertops.remediation.port_owners_info)).
      - When omitted, C([observer, obproxy, obproxyd, ocp_agentd, sshd, systemd, init]).
      - A given list replaces the default. Anything but a list of such names (a single name, a number, a
        list holding a null) is refused.
    type: raw
notes:
  - Readiness is probed on 127.0.0.1 of the managed host, where the agent's exporters listen.
seealso:
  - module: alertops.remediation.ocp_agent
  - module: alertops.remediation.port_owners_info
'''

EXAMPLES = r'''
- name: Read the agent's state
  alertops.remediation.ocp_agent_info:
  register: agent

- name: Say which exporters are down
  ansible.builtin.debug:
    msg: "{{ agent.processes | rejectattr('ready') | map(attribute='name') | list }}"
  when: not agent.ready

- name: Read the agent and every holder of the port range it may use, in one call
  alertops.remediation.ocp_agent_info:
    ports: ["62881-63881"]
  register: before
'''

RETURN = r'''
flavor:
  description: The agent generation found.
  returned: success
  type: str
  sample: agentctl
expected_ports:
  description: The flavor's exporter ports and the process that rightfully holds each (port as string).
  returned: success
  type: dict
  sample: {"62888": ["ocp_mgragent"], "62889": ["ocp_monagent"]}
ready:
  description: Whether the guardian runs and every exporter port is held by its agent process and answers HTTP 200.
  returned: success
  type: bool
processes:
  description: One row per process expected for the flavor (the guardian first).
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Process name.
      type: str
    pid:
      description: Process id, null when not running.
      type: int
    ports:
      description: Ports this process is expected to hold.
      type: list
      elements: int
    listening:
      description: Whether the process holds its port (null for the guardian, which holds none).
      type: bool
    http_status:
      description: HTTP status of the metrics path, null when not reachable.
      type: int
    ready:
      description: listening and HTTP 200 (for the guardian, running).
      type: bool
  sample:
    - {name: ocp_agentd, pid: 4200, ports: [], listening: null, http_status: null, ready: true}
    - {name: ocp_mgragent, pid: 4242, ports: [62888], listening: true, http_status: 200, ready: true}
not_ready:
  description: What keeps the agent from being ready, one phrase per process; empty when ready.
  returned: success
  type: list
  elements: str
  sample: ["ocp_mgragent (port 62888: not listening)"]
port_holders:
  description: For exporter ports held by someone else than their agent process, the socket rows of the holders.
  returned: success
  type: dict
owners:
  description:
    - Every holder of the ports of O(ports), judged against the agent's own ports, shaped as the result of
      M(alertops.remediation.port_owners_info) (C(sockets), C(conflicts), C(coexisting), C(free_ports),
      C(unresolved), C(conflict)).
  returned: success
  type: dict
ip_local_port_range:
  description: The kernel's ephemeral port range (C(net.ipv4.ip_local_port_range)), low and high.
  returned: success
  type: str
  sample: "32768 60999"
ip_local_reserved_ports:
  description: The ports the kernel never hands out as ephemeral ports (C(net.ipv4.ip_local_reserved_ports)).
  returned: success
  type: str
  sample: "62888-62889"
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.alertops.remediation.plugins.module_utils import agent_layout, agent_status, argcheck
from ansible_collections.alertops.remediation.plugins.module_utils import portspec, procfs
from ansible_collections.alertops.remediation.plugins.module_utils.port_owners import PortOwners

TIMEOUT_MAX = 300
# ports and protected are declared and read the way port_owners_info declares and reads them.
POLICY_SPEC = portspec.port_policy_argument_spec()
# Whether the kernel may hand an agent port to an outbound connection (the ephemeral-port root cause).
SYSCTLS = ("net.ipv4.ip_local_port_range", "net.ipv4.ip_local_reserved_ports")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            home=dict(type="path", default="/home/admin/ocp_agent"),
            flavor=dict(type="str", default="auto", choices=["auto", "legacy", "agentctl"]),
            timeout=dict(type="raw", default=10),
            ports=POLICY_SPEC["ports"],
            protected=POLICY_SPEC["protected"],
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        home = argcheck.text("home", params["home"])
        timeout = argcheck.count("timeout", params["timeout"], 1, TIMEOUT_MAX)
        ports = None if params["ports"] is None else portspec.parse_ports(params["ports"])
        protected = portspec.parse_names(portspec.DEFAULT_PROTECTED if params["protected"] is None
                                         else params["protected"], "protected")
        flavor = agent_layout.resolve_flavor(home, params["flavor"])
    except ValueError as exc:  # OptionError and PortSpecError are ValueErrors
        module.fail_json(msg=str(exc))
    expected = agent_layout.expected_ports(flavor)
    sysctls = {}
    for name in SYSCTLS:
        try:
            sysctls[name.rsplit(".", 1)[1]] = procfs.read_sysctl(name)
        except (OSError, ValueError) as exc:
            module.fail_json(msg="cannot read the sysctl %s: %s" % (name, exc))
    rows, holders, _alive = agent_status.read(flavor, time.monotonic() + timeout)
    owners = PortOwners(sorted(expected) if ports is None else ports, expected, protected).scan()
    module.exit_json(changed=False, flavor=flavor, ready=agent_status.is_ready(rows), processes=rows,
                     not_ready=agent_status.missing(rows),
                     port_holders=agent_status.foreign_holders(rows, holders),
                     expected_ports=dict((str(k), v) for k, v in expected.items()),
                     owners=owners, **sysctls)


if __name__ == "__main__":
    main()
