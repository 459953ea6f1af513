#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: zookeeper_info
short_description: Report a ZooKeeper server's mode, client connections per IP and saturation
version_added: 0.1.0
description:
  - Asks one ZooKeeper server, over four-letter words (C(srvr), C(mntr), C(conf), C(cons)), for its mode,
    version, last zxid, C(maxClientCnxns), client connections counted per client IP, rejected
    connections and, on a leader, its synced followers, observers and non-voting followers as ZooKeeper
    counts them.
  - Reports which client IPs are at or over O(threshold_percent) of C(maxClientCnxns) (alarm
    ALM-13007, "available ZooKeeper client connections are insufficient").
  - Since ZooKeeper 3.5.3 only C(srvr) is allowed unless C(4lw.commands.whitelist) says more. Refused
    commands are listed in RV(whitelist_limited) and, when O(admin_url) is given, the AdminServer's
    C(/commands/monitor), C(/commands/configuration) and C(/commands/connections) stand in for them.
    When no source gives per-IP counts the module says so plainly in RV(msg) and returns
    RV(connections_by_ip=null).
  - The module's own probe connection is not counted in RV(alive_connections) or RV(connections_by_ip).
  - O(timeout) bounds every reply and all of them together. A reply that is not what ZooKeeper sends
    (garbage, a number that is not a number, a port that does not speak HTTP as O(admin_url)) fails the
    module with a message naming what was wrong.
  - Uses the Python standard library only.
author:
  - alertops.remediation maintainers (@alertops)
extends_documentation_fragment:
  - alertops.remediation.zookeeper
  - alertops.remediation.attributes
  - alertops.remediation.attributes.info_module
options:
  threshold_percent:
    description:
      - A client IP is reported in RV(saturated) when its connection count is at or over this percentage
        of C(maxClientCnxns). C(maxClientCnxns=0) means unlimited and nothing is ever saturated.
      - A finite number over 0 and up to 100.
      - By default 80 percent, the level at which MRS raises ALM-13007.
    type: raw
    default: 80
  idle_min_age:
    description:
      - When given, also count per client IP the sessions that are idle and were never used, in
        RV(idle_by_ip), that is established at least this many seconds ago, with a session id, last client xid 0
        (no request ever; pings carry xid -2 and do not count) and last operation C(SESS) (the handshake),
        C(PING) or C(NA). Many such sessions from one IP are the mark of a connection leak.
      - Needs the per-connection details of C(cons) (or the AdminServer's C(/commands/connections)), which
        costs more than the plain counts. The session ages use this host's clock against the server's
        C(est) time, so run the module on the ZooKeeper host itself (or a host with the same clock).
      - A finite number of seconds from 0 up to ten years, as a number or a string of ASCII digits.
    type: raw
notes:
  - A server without quorum answers every command with "not currently serving requests"; the module
    then returns RV(mode=not_serving) and no connection data instead of failing.
seealso:
  - module: alertops.remediation.zookeeper_config
  - name: ZooKeeper Administrator's Guide, four letter words and AdminServer
    description: Output formats of srvr, mntr, conf, cons and the AdminServer commands.
    link: https://zookeeper.apache.org/doc/r3.8.0/zookeeperAdmin.html#sc_4lw
'''

EXAMPLES = r'''
- name: Per-IP client connections on the local server
  alertops.remediation.zookeeper_info:
    host: 127.0.0.1
    port: 2181
  register: zk

- name: Saturated client IPs
  ansible.builtin.debug:
    msg: "{{ item.ip }} holds {{ item.count }} of {{ item.limit }} ({{ item.percent }}%)"
  loop: "{{ zk.saturated }}"

- name: Only srvr is whitelisted, the AdminServer supplies the rest
  alertops.remediation.zookeeper_info:
    host: 10.0.0.5
    admin_url: http://10.0.0.5:8080

- name: Count sessions idle and never used for 5 minutes or more (connection leak evidence)
  alertops.remediation.zookeeper_info:
    host: 10.0.0.5
    idle_min_age: 300
  register: zk
  # zk.idle_by_ip: {"10.0.0.21": 52}

- name: This host's own IP is saturated, so ask from a second local address
  alertops.remediation.zookeeper_info:
    host: 10.0.0.5
    source_address: 10.0.0.99
    threshold_percent: 90
'''

RETURN = r'''
mode:
  description:
    - Server state as ZooKeeper reports it, V(leader), V(follower), V(observer), V(standalone) or
      V(read-only).
    - V(not_serving) while the server has no quorum.
  returned: always
  type: str
  sample: leader
version:
  description: ZooKeeper version string.
  returned: when the server is serving
  type: str
  sample: "3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC"
zxid:
  description: Last processed zxid (hex) from C(srvr); null when C(srvr) was refused.
  returned: always
  type: str
  sample: "0x100000003"
max_client_cnxns:
  description: C(maxClientCnxns) the server runs with (0 = unlimited); null when unknown.
  returned: always
  type: int
  sample: 60
alive_connections:
  description: Client connections open on this server, not counting this module's probe.
  returned: always
  type: int
  sample: 57
connections_by_ip:
  description: Client IP -> number of open connections; null when no source gave per-IP counts.
  returned: always
  type: dict
  sample: {"10.0.0.21": 55, "10.0.0.22": 2}
idle_by_ip:
  description:
    - Client IP -> number of sessions idle and never used for at least O(idle_min_age) seconds; IPs
      without any are left out.
    - null when O(idle_min_age) was not given or no source gave per-connection details.
  returned: always
  type: dict
  sample: {"10.0.0.21": 52}
saturated:
  description: Client IPs at or over O(threshold_percent) of RV(max_client_cnxns), busiest first.
  returned: always
  type: list
  elements: dict
  sample: [{"ip": "10.0.0.21", "count": 55, "limit": 60, "percent": 91.7}]
  contains:
    ip:
      description: Client IP.
      type: str
    count:
      description: Open connections from this IP.
      type: int
    limit:
      description: C(maxClientCnxns).
      type: int
    percent:
      description: count / limit in percent, one decimal.
      type: float
connection_rejected:
  description: Connections the server refused since it started (C(zk_connection_rejected)); null when
    neither C(mntr) nor the AdminServer answered.
  returned: always
  type: int
  sample: 12
synced_followers:
  description: Voting followers in sync with this leader (C(zk_synced_followers)); null unless
    RV(mode=leader).
  returned: always
  type: int
  sample: 2
synced_observers:
  description: Observers in sync with this leader (C(zk_synced_observers)); null unless RV(mode=leader)
    or when the server does not report it.
  returned: always
  type: int
  sample: 1
synced_non_voting_followers:
  description: Non-voting followers in sync with this leader (C(zk_synced_non_voting_followers)); null
    unless RV(mode=leader) or when the server does not report it.
  returned: always
  type: int
  sample: 0
whitelist_limited:
  description: Four-letter words the server refused because they are not in C(4lw.commands.whitelist).
  returned: always
  type: list
  elements: str
  sample: [mntr, conf, cons]
source:
  description: Where RV(connections_by_ip) came from, V(4lw) (C(cons)) or V(admin) (AdminServer);
    null when neither gave per-IP counts.
  returned: always
  type: str
  sample: 4lw
admin_used:
  description: Whether any value came from the AdminServer.
  returned: always
  type: bool
msg:
  description: What could not be learnt and why, in plain words; empty when everything was available.
  returned: always
  type: str
  sample: "No per-IP connection counts are available: the cons four-letter word is not in
    4lw.commands.whitelist; no admin_url was given for the AdminServer fallback."
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.alertops.remediation.plugins.module_utils import zkparams
from ansible_collections.alertops.remediation.plugins.module_utils.zkerrors import ZkError
from ansible_collections.alertops.remediation.plugins.module_utils.zkinfo import gather_info

# Ten years: a bound, not a policy.
MAX_IDLE_AGE = 10 * 365 * 86400


def main():
    argument_spec = zkparams.zookeeper_argument_spec()
    argument_spec.update(threshold_percent=dict(type="raw", default=80), idle_min_age=dict(type="raw"))
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    try:
        threshold = zkparams.percent("threshold_percent", params["threshold_percent"])
        idle_min_age = params["idle_min_age"]
        if idle_min_age is not None:
            idle_min_age = zkparams.seconds("idle_min_age", idle_min_age, 0, MAX_IDLE_AGE, low_inclusive=True)
        client = zkparams.client_from_params(params)
    except ValueError as exc:
        module.fail_json(msg="invalid option: %s" % exc)
    try:
        info = gather_info(client, threshold, idle_min_age=idle_min_age)
    except ZkError as exc:
        msg = str(exc)
        where = "%s:%d" % (client.host, client.port)
        if where not in msg:  # a reply that is not what ZooKeeper sends: say which server sent it
            msg = "ZooKeeper at %s: %s" % (where, msg)
        module.fail_json(msg=msg, host=client.host, port=client.port)
    messages = info.pop("messages")
    for text in messages:
        if "closed it at once" in text:
            module.warn(text)
    module.exit_json(changed=False, msg=" ".join(messages), **info)


if __name__ == "__main__":
    main()
