#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: zookeeper_jmx
short_description: Read or set a running ZooKeeper server's per-client-IP connection limit live, through JMX
version_added: 0.2.0
description:
  - Reads, and when O(max_client_cnxns) is given sets, C(MaxClientCnxnsPerHost) on the ZooKeeper server
    running on the managed host, through the server bean's JMX attribute. The change takes effect at once,
    without a restart; client sessions are not touched. It is not persisted, so write the same value to
    zoo.cfg with M(alertops.remediation.zookeeper_config) for the next restart.
  - Uses what a ZooKeeper host already has, a JDK, and installs nothing. By default it attaches to the
    server's JVM with the JDK attach API and starts the JVM's local management agent
    (C(VirtualMachine.attach(pid\).startLocalManagementAgent(\))), which accepts connections from this host
    only; no JMX port is opened to the network. Alternatively it connects to a JMX service URL
    (O(jmx_url)), for example the one MRS (FusionInsight) configures.
  - A small Java program is written to a private temporary directory, run with the JDK's single-file
    source launcher (C(java Prog.java), JDK 11 and later) or compiled with C(javac) first (JDK 8 to 10,
    with the JDK's C(lib/tools.jar) on JDK 8), and removed afterwards, also on failure.
  - The server is found in the process table, a java process whose main class is
    C(org.apache.zookeeper.server.quorum.QuorumPeerMain) or C(org.apache.zookeeper.server.ZooKeeperServerMain)
    (O(pid) or O(conf_path) choose when several run).
  - Attaching needs the JVM's own user or root, and the JVM's C(/tmp) (C(/proc/PID/root/tmp)). Run the
    module as root, or with C(become_user) set to the user that runs ZooKeeper.
  - After setting the value it is read back through JMX; a different value fails with RV(reason=verify_failed).
  - Every failure has a machine-readable RV(reason), so a playbook can fall back to a rolling restart.
author:
  - alertops.remediation maintainers (@alertops)
extends_documentation_fragment:
  - alertops.remediation.attributes
  - alertops.remediation.attributes.acting_module
options:
  max_client_cnxns:
    description:
      - The value to set, C(0) meaning unlimited. When absent the module only reads.
      - A whole number from 0 to 2147483647 (Java's int), as an integer or a string of ASCII digits.
    type: raw
  pid:
    description:
      - Process id of the ZooKeeper server's JVM. It must be a ZooKeeper server (see the description),
        otherwise the module fails with RV(reason=not_zookeeper).
      - When absent the server is found in the process table.
      - A whole number from 1 to 4194304, as an integer or a string of ASCII digits.
    type: raw
  conf_path:
    description:
      - The server's zoo.cfg. Only the server whose command line names this file (the same file, links
        resolved) is used; needed when several ZooKeeper servers run on the host and O(pid) is not given.
    type: path
  jmx_url:
    description:
      - Connect to this JMX service URL (V(service:jmx:...)) instead of attaching to a local JVM; then O(pid)
        and O(conf_path) are not used.
    type: str
  jmx_user:
    description:
      - User for a JMX service URL that requires authentication; one line of text.
    type: raw
  jmx_password:
    description:
      - Password of O(jmx_user), one line of text. It is passed to the Java program on its standard input,
        never on a command line.
      - A number or a boolean is refused rather than turned into text (YAML reads an unquoted C(0123) as 83
        and C(no) as false); quote the password.
    type: raw
  java:
    description:
      - Path of the java launcher to use.
      - When absent, the server JVM's own java (the C(java) next to C(/proc/PID/exe)) is tried first, then
        C(java) on E(PATH).
    type: path
  timeout:
    description:
      - Seconds for the whole run (finding java, compiling, attaching, reading, setting, reading back).
        At the deadline the Java program is killed and the module fails with RV(reason=timeout).
      - A finite number over 0 and up to 3600, as a number or a string of ASCII digits.
      - By default 60 seconds, room for the JDK to compile its helper and attach on a busy host.
    type: raw
    default: 60
notes:
  - Attaching starts the JVM's local management agent (and its attach listener, a socket under the
    JVM's C(/tmp)) if they are not running already; both stay until the JVM exits, also in check mode,
    which needs them to read the value. The agent accepts connections from this host only.
  - A JVM started with C(-XX:+DisableAttachMechanism) refuses the attach (RV(reason=attach_refused)).
seealso:
  - module: alertops.remediation.zookeeper_config
  - module: alertops.remediation.zookeeper_info
  - name: ZooKeeper JMX
    description: The server beans and their attributes.
    link: https://zookeeper.apache.org/doc/r3.8.0/zookeeperJMX.html
'''

EXAMPLES = r'''
- name: Raise the per-client-IP limit of the running server now, no restart
  alertops.remediation.zookeeper_jmx:
    max_client_cnxns: 200
  become: true
  become_user: zookeeper
  register: live

- name: Keep the value for the next restart
  alertops.remediation.zookeeper_config:
    path: /etc/zookeeper/conf/zoo.cfg
    settings:
      maxClientCnxns: 200
    backup: true
  when: live is succeeded

- name: Read the live value of the server that runs this zoo.cfg
  alertops.remediation.zookeeper_jmx:
    conf_path: /etc/zookeeper/conf/zoo.cfg
  register: limit

- name: MRS exposes a JMX URL
  alertops.remediation.zookeeper_jmx:
    jmx_url: service:jmx:rmi:///jndi/rmi://127.0.0.1:21810/jmxrmi
    max_client_cnxns: 2000
'''

RETURN = r'''
before:
  description: C(MaxClientCnxnsPerHost) before the run.
  returned: success
  type: int
  sample: 60
after:
  description: C(MaxClientCnxnsPerHost) after the run, read back through JMX; in check mode the value it
    would have.
  returned: success
  type: int
  sample: 200
pid:
  description: Process id of the server's JVM; null with O(jmx_url).
  returned: always
  type: int
  sample: 4711
method:
  description: V(attach) (the JDK attach API and the JVM's local management agent) or V(jmx_url).
  returned: always
  type: str
  sample: attach
bean:
  description: ObjectName of the server bean whose attribute was read or set.
  returned: success
  type: str
  sample: org.apache.ZooKeeperService:name0=ReplicatedServer_id1,name1=replica.1,name2=Follower
java:
  description: The java that ran the program.
  returned: when a usable java was found
  type: dict
  contains:
    path:
      description: Path of the java launcher.
      type: str
      sample: /usr/lib/jvm/java-17-openjdk-amd64/bin/java
    version:
      description: Its version (from the JDK's release file).
      type: str
      sample: 17.0.15
reason:
  description:
    - Why the module failed, one of V(no_jdk) (no java with the attach API and a compiler),
      V(attach_refused) (the JVM refused the attach or the JMX connection, for example
      C(-XX:+DisableAttachMechanism), another user, a wrong password), V(not_zookeeper) (the process or
      JVM is not a ZooKeeper server), V(no_server) (no ZooKeeper server found), V(several_servers) (more
      than one and neither O(pid) nor O(conf_path) chose), V(timeout), V(bean_not_found) (the server has
      no writable bean now, for example while it elects a leader), V(verify_failed) (the value read back
      differs), V(jmx_error) (the JMX connection failed in the middle), V(invalid_option).
  returned: failure
  type: str
  sample: attach_refused
'''

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.alertops.remediation.plugins.module_utils import argcheck, zkjmx, zkjvm, zkparams
from ansible_collections.alertops.remediation.plugins.module_utils.zkreplies import JAVA_INT_MAX

PID_MAX = 4194304  # the kernel's highest pid_max
MAX_TIMEOUT = 3600
MAX_TEXT = 4096


def text_option(name, value, prefix=None, secret=False, empty=True):
    """A one-line option: text (read as given: YAML makes an unquoted 0123 the number 83 and "no" false,
    which Ansible's str would pass on as "83" and "False"), printable, bounded, no line break (the program
    reads key=value lines). A secret's value is never shown."""
    if value is None:
        return None
    shown = ("a value of type %s" % type(value).__name__) if secret else repr(value)
    if not isinstance(value, str):
        raise ValueError("%s must be text (quote it in YAML), got %s" % (name, shown))
    if not value and not empty:
        raise ValueError("%s must not be empty" % name)
    if len(value) > MAX_TEXT or any(ord(c) < 0x20 or ord(c) == 0x7f for c in value) or \
            (prefix and not value.startswith(prefix)):
        raise ValueError("%s must be %sone line of printable text, got %s"
                         % (name, "a %s... URL, " % prefix if prefix else "", "a value that is not" if secret
                            else repr(value[:200])))
    return value


class LiveLimit(object):
    """Finds the server and a JDK, reads (and sets) the value, and shapes the result and the diff."""

    def __init__(self, module):
        self.module = module
        self.result = dict(changed=False, pid=None, method="jmx_url" if module.params["jmx_url"] else "attach")

    def fail(self, reason, msg):
        self.module.fail_json(msg=msg, reason=reason, **self.result)

    def options(self):
        params = self.module.params
        try:
            wanted = params["max_client_cnxns"]
            if wanted is not None:
                wanted = zkparams.integer("max_client_cnxns", wanted, 0, JAVA_INT_MAX)
            pid = params["pid"]
            if pid is not None:
                pid = zkparams.integer("pid", pid, 1, PID_MAX)
            timeout = zkparams.seconds("timeout", params["timeout"], 0, MAX_TIMEOUT)
            url = text_option("jmx_url", params["jmx_url"], "service:jmx:")
            user = text_option("jmx_user", params["jmx_user"], empty=False)
            password = text_option("jmx_password", params["jmx_password"], secret=True)
            argcheck.text("conf_path", params["conf_path"])
            argcheck.text("java", params["java"])
        except ValueError as exc:  # OptionError is one
            self.fail("invalid_option", "invalid option: %s" % exc)
        return wanted, pid, time.monotonic() + timeout, url, user, password

    def run(self):
        params = self.module.params
        wanted, pid, deadline, url, user, password = self.options()
        try:
            if url is None:
                pid = zkjvm.find_server(pid, params["conf_path"])["pid"]
                self.result["pid"] = pid
            usable, refused = zkjvm.usable_jdks(zkjvm.java_candidates(params["java"], pid))
            if not usable:
                raise zkjvm.JmxFailure("no_jdk", "no java that can attach here: %s" % (
                    "; ".join(refused) or "none given and none on PATH"))
            set_value = None if self.module.check_mode or wanted is None else wanted
            request = zkjmx.request_text(pid=pid, url=url, user=user, password=password, set_value=set_value)
            answer = self._run_first(usable, refused, request, deadline)
        except zkjvm.JmxFailure as exc:
            self.fail(exc.reason, str(exc))
        before = answer["before"]
        after = answer["after"] if set_value is not None or wanted is None else wanted
        self.result.update(before=before, after=after, bean=answer.get("bean"), changed=after != before)
        if self.result["changed"] and self.module._diff:
            self.result["diff"] = dict(before="MaxClientCnxnsPerHost=%d\n" % before,
                                       after="MaxClientCnxnsPerHost=%d\n" % after,
                                       before_header=answer.get("bean"), after_header=answer.get("bean"))
        self.module.exit_json(**self.result)

    def _run_first(self, usable, refused, request, deadline):
        """The answer of the first usable JDK; a JDK that cannot run the program passes to the next."""
        for jdk in usable:
            self.result["java"] = dict(path=jdk["java"], version=jdk["version"])
            try:
                return zkjmx.run_program(jdk, request, deadline)
            except zkjvm.JmxFailure as exc:
                if exc.reason != "no_jdk":
                    raise
                refused.append(str(exc))
        raise zkjvm.JmxFailure("no_jdk", "no java could run the attach program: %s" % "; ".join(refused))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            max_client_cnxns=dict(type="raw"),
            pid=dict(type="raw"),
            conf_path=dict(type="path"),
            jmx_url=dict(type="str"),
            jmx_user=dict(type="raw"),
            jmx_password=dict(type="raw", no_log=True),
            java=dict(type="path"),
            timeout=dict(type="raw", default=60),
        ),
        mutually_exclusive=[("jmx_url", "pid"), ("jmx_url", "conf_path")],
        required_by={"jmx_password": "jmx_user"},
        supports_check_mode=True,
    )
    LiveLimit(module).run()


if __name__ == "__main__":
    main()
