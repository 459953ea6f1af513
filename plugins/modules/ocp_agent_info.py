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
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.alertops.remediation.plugins.module_utils import agent_layout, agent_status, argcheck

TIMEOUT_MAX = 300


def main():
    module = AnsibleModule(
        argument_spec=dict(
            home=dict(type="path", default="/home/admin/ocp_agent"),
            flavor=dict(type="str", default="auto", choices=["auto", "legacy", "agentctl"]),
            timeout=dict(type="raw", default=10),
        ),
        supports_check_mode=True,
    )
    try:
        home = argcheck.text("home", module.params["home"])
        timeout = argcheck.count("timeout", module.params["timeout"], 1, TIMEOUT_MAX)
        flavor = agent_layout.resolve_flavor(home, module.params["flavor"])
    except ValueError as exc:  # OptionError is one
        module.fail_json(msg=str(exc))
    rows, holders, _alive = agent_status.read(flavor, time.monotonic() + timeout)
    module.exit_json(changed=False, flavor=flavor, ready=agent_status.is_ready(rows), processes=rows,
                     not_ready=agent_status.missing(rows),
                     port_holders=agent_status.foreign_holders(rows, holders),
                     expected_ports=dict((str(k), v) for k, v in agent_layout.expected_ports(flavor).items()))


if __name__ == "__main__":
    main()
