# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    """Where the OCP-Agent is and which generation it is: the options ocp_agent and ocp_agent_info share
    (module_utils.agent_layout.resolve_flavor reads them)."""

    DOCUMENTATION = r'''
options:
  home:
    description:
      - The agent's installation directory (no NUL or line break).
      - By default V(/home/admin/ocp_agent), where OCP installs the agent.
    type: path
    default: /home/admin/ocp_agent
  flavor:
    description:
      - Agent generation. C(auto) picks C(agentctl) when C(bin/ocp_agentctl) exists under O(home),
        else C(legacy) when C(ocp_agent_ctl.py) does.
      - By default (V(auto)) the generation installed under O(home) is used.
    type: str
    choices: [auto, legacy, agentctl]
    default: auto
'''
