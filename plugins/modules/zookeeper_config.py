#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: zookeeper_config
short_description: Set keys in a ZooKeeper zoo.cfg, keeping everything else byte for byte
version_added: 0.1.0
description:
  - Sets keys in a ZooKeeper C(zoo.cfg) (a Java properties file read as ISO-8859-1). A key that is
    present is changed in place (its last, effective occurrence); a new key is appended at the end.
    Comments, order, line endings and every untouched line stay byte for byte.
  - Known keys are validated before anything is written, for example C(maxClientCnxns) and C(maxCnxns)
    (integer >= 0), C(clientPort) (1-65535), C(tickTime) (> 0), C(4lw.commands.whitelist) (known
    four-letter words or C(*)). A key that differs from a known key only by case is refused, because
    ZooKeeper keys are case-sensitive and a misspelt key is silently ignored.
  - Writes atomically (temporary file in the same directory, then rename), keeping the file's mode and
    owner. A missing or unreadable file, or a value that fails validation, is an error and the file is
    left untouched.
  - Does not restart ZooKeeper; a zoo.cfg change takes effect at the next restart (followers one at a
    time, the leader last).
author:
  - alertops.remediation maintainers (@alertops)
extends_documentation_fragment:
  - alertops.remediation.attributes
  - alertops.remediation.attributes.acting_module
options:
  path:
    description:
      - Path of the zoo.cfg file. It must exist.
    type: path
    required: true
  settings:
    description:
      - 'Keys and values to set, for example C({"maxClientCnxns": 200}).'
      - Booleans are written as V(true)/V(false), numbers as digits.
    type: dict
    required: true
  backup:
    description:
      - Copy the file to a timestamped backup next to it before changing it.
    type: bool
    default: false
seealso:
  - module: alertops.remediation.zookeeper_info
'''

EXAMPLES = r'''
- name: Raise the per-client-IP connection limit
  alertops.remediation.zookeeper_config:
    path: /etc/zookeeper/conf/zoo.cfg
    settings:
      maxClientCnxns: 200
    backup: true
  register: zoocfg

- name: Allow the four-letter words the diagnosis needs
  alertops.remediation.zookeeper_config:
    path: /etc/zookeeper/conf/zoo.cfg
    settings:
      4lw.commands.whitelist: srvr, mntr, conf, cons, ruok
      admin.enableServer: true
'''

RETURN = r'''
path:
  description: The file that was examined.
  returned: always
  type: str
  sample: /etc/zookeeper/conf/zoo.cfg
changes:
  description: One item per key whose value changed (or would change in check mode).
  returned: always
  type: list
  elements: dict
  sample: [{"key": "maxClientCnxns", "before": "60", "after": "200", "action": "replaced", "line": 12}]
  contains:
    key:
      description: The key.
      type: str
    before:
      description: Its effective value before; null when the key was absent.
      type: str
    after:
      description: Its value after.
      type: str
    action:
      description: V(replaced) (changed in place) or V(appended) (added at the end).
      type: str
    line:
      description: 1-based line number of the key in the new file.
      type: int
settings:
  description: The effective value of every requested key after the run, as written in the file.
  returned: always
  type: dict
  sample: {"maxClientCnxns": "200"}
backup_file:
  description: The backup made before the change.
  returned: when O(backup=true) and the file changed (not in check mode)
  type: str
  sample: /etc/zookeeper/conf/zoo.cfg.12345.2026-11-21@10:15:30~
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.alertops.remediation.plugins.module_utils import zoocfg


class ZooCfgManager(object):
    """Reads the file once, computes the new text, records before/after for diff, writes atomically."""

    def __init__(self, module):
        self.module = module
        self.path = module.params["path"]
        self.before_bytes = None
        self.after_text = None
        self.changes = []
        self.result = dict(changed=False, path=self.path, changes=[], settings={})

    def read(self):
        path = self.path
        if not os.path.exists(path):
            self.module.fail_json(msg="zoo.cfg %s does not exist" % path, **self.result)
        if not os.path.isfile(path):
            self.module.fail_json(msg="zoo.cfg %s is not a regular file" % path, **self.result)
        try:
            with open(path, "rb") as fh:
                self.before_bytes = fh.read()
        except (IOError, OSError) as exc:
            self.module.fail_json(msg="cannot read zoo.cfg %s: %s" % (path, exc), **self.result)

    def plan(self, settings):
        before = zoocfg.decode(self.before_bytes)
        try:
            self.after_text, self.changes = zoocfg.set_keys(before, settings)
        except zoocfg.ZooCfgError as exc:
            self.module.fail_json(msg="invalid setting for %s: %s; file left unchanged" % (self.path, exc),
                                  **self.result)
        effective = zoocfg.to_dict(self.after_text)
        self.result["settings"] = dict((k, effective.get(k)) for k in settings)
        self.result["changes"] = self.changes
        self.result["changed"] = bool(self.changes)
        if self.changes and self.module._diff:
            self.result["diff"] = dict(before=before, after=self.after_text,
                                       before_header=self.path, after_header=self.path)

    def write(self):
        if not self.changes or self.module.check_mode:
            return
        # Verify before acting: the file must still be what the plan was computed from.
        try:
            with open(self.path, "rb") as fh:
                current = fh.read()
        except (IOError, OSError) as exc:
            self.module.fail_json(msg="cannot re-read zoo.cfg %s before writing: %s" % (self.path, exc),
                                  **self.result)
        if current != self.before_bytes:
            self.module.fail_json(msg="zoo.cfg %s changed while this module ran; nothing written" % self.path,
                                  **self.result)
        if self.module.params["backup"]:
            self.result["backup_file"] = self.module.backup_local(self.path)
        directory = os.path.dirname(os.path.abspath(self.path))
        fd, tmp = tempfile.mkstemp(prefix=".zoo.cfg.", dir=directory)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(zoocfg.encode(self.after_text))
                fh.flush()
                os.fsync(fh.fileno())
            # atomic_move keeps the destination's mode, owner and SELinux context.
            self.module.atomic_move(tmp, self.path, unsafe_writes=False)
        except Exception as exc:
            if os.path.exists(tmp):
                os.unlink(tmp)
            self.module.fail_json(msg="cannot write zoo.cfg %s: %s" % (self.path, exc), **self.result)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            settings=dict(type="dict", required=True),
            backup=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    if not module.params["settings"]:
        module.fail_json(msg="settings must name at least one key")
    manager = ZooCfgManager(module)
    manager.read()
    manager.plan(module.params["settings"])
    manager.write()
    module.exit_json(**manager.result)


if __name__ == "__main__":
    main()
