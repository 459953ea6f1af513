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
    (integer from 0 to 2147483647, Java's int), C(clientPort) (1-65535), C(tickTime) (1 to 2147483647),
    C(4lw.commands.whitelist) (known four-letter words or C(*)). A key that differs from a known key only
    by case is refused, because ZooKeeper keys are case-sensitive and a misspelt key is silently ignored.
    No key or value may hold a line break, a NUL or another control character.
  - Writes atomically (temporary file in the same directory, written and synced, then renamed over the
    file, then the directory synced), keeping the file's mode and owner. A missing or unreadable file, a
    path that is not a regular file (a FIFO, a directory), a directory that cannot be written or a value
    that fails validation is an error naming the path or value, and the file is left untouched.
  - When O(path) is a symbolic link, the file it points to is edited and the link stays a link.
  - The diff shows the whole file, or for a file over 1 MiB the lines of the changed keys only.
  - With ZooKeeper 3.5+ dynamic configuration (C(dynamicConfigFile) in the file), the ensemble's
    membership (C(server.N), C(group.N), C(weight.N)) lives in the dynamic file, which ZooKeeper rewrites
    on every reconfig, so those keys are refused with a message pointing to ZooKeeper's C(reconfig). So are
    C(clientPort) and C(clientPortAddress) when the dynamic file gives the client port in a server line.
    Every other key, C(maxClientCnxns) among them, stays in the static file.
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
      - Absolute path of the zoo.cfg file. It must exist and be a regular file, or a link to one.
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
      - By default (V(false)) no copy is kept; the change is still written atomically, and check mode with diff
        shows it first.
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
  description: The path that was given.
  returned: always
  type: str
  sample: /etc/zookeeper/conf/zoo.cfg
target:
  description: The file that was read and edited, O(path) with every symbolic link resolved.
  returned: always
  type: str
  sample: /etc/zookeeper/conf_example/zoo.cfg
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
  description: The backup of RV(target) made before the change.
  returned: when O(backup=true) and the file changed (not in check mode)
  type: str
  sample: /etc/zookeeper/conf_example/zoo.cfg.12345.2026-11-21@10:15:30~
'''

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.alertops.remediation.plugins.module_utils import argcheck, zoocfg
from ansible_collections.alertops.remediation.plugins.module_utils.regular_file import (
    NotRegularFileError, read_regular_file,
)

# zoo.cfg files are a few KiB; the bound only keeps a wrong path from filling memory.
MAX_CONFIG_BYTES = 64 * 1024 * 1024
DIFF_MAX_BYTES = 1024 * 1024


class ZooCfgManager(object):
    """Reads the file once, computes the new text, records before/after for diff, writes atomically.

    A symlinked zoo.cfg is edited in the file the link points to (the link stays a link)."""

    def __init__(self, module):
        self.module = module
        self.path = module.params["path"]
        self.target = os.path.realpath(self.path)
        self.before_bytes = None
        self.after_text = None
        self.changes = []
        self.result = dict(changed=False, path=self.path, target=self.target, changes=[], settings={})

    def fail(self, option, msg):
        """Fail naming the option the trouble comes from: path (the file, its directory, what it names) or
        settings (a key or value)."""
        self.module.fail_json(msg="%s: %s" % (option, msg), **self.result)

    def _read(self, path, what):
        try:
            return read_regular_file(path, MAX_CONFIG_BYTES)
        except NotRegularFileError as exc:
            self.fail("path", "%s cannot be used: %s" % (what, exc))
        except (IOError, OSError) as exc:
            if not os.path.lexists(path):
                self.fail("path", "%s %s does not exist" % (what, path))
            self.fail("path", "cannot read %s %s: %s" % (what, path, exc.strerror or exc))

    def read(self):
        what = "zoo.cfg" if self.target == self.path else "zoo.cfg (%s, a link to)" % self.path
        self.before_bytes = self._read(self.target, what)

    def check_dynamic(self, before, settings):
        """Keys that live in the dynamic configuration file are refused (see zoocfg.check_dynamic)."""
        dynamic = zoocfg.dynamic_config_file(before)
        if dynamic is None:
            return
        dynamic = os.path.join(os.path.dirname(self.target), dynamic)
        try:
            zoocfg.check_dynamic(settings, dynamic)
            if any(key in settings for key in zoocfg.CLIENT_PORT_KEYS):
                text = zoocfg.decode(self._read(dynamic, "the dynamic configuration file"))
                zoocfg.check_dynamic(settings, dynamic, text)
        except zoocfg.ZooCfgError as exc:
            self.fail("settings", "%s; %s left unchanged" % (exc, self.target))

    def plan(self, settings):
        before = zoocfg.decode(self.before_bytes)
        try:
            self.after_text, self.changes = zoocfg.set_keys(before, settings)
        except zoocfg.ZooCfgError as exc:
            self.fail("settings", "invalid setting for %s: %s; file left unchanged" % (self.target, exc))
        self.check_dynamic(before, settings)
        effective = zoocfg.to_dict(self.after_text)
        self.result["settings"] = dict((k, effective.get(k)) for k in settings)
        self.result["changes"] = self.changes
        self.result["changed"] = bool(self.changes)
        if self.changes and self.module._diff:
            self.result["diff"] = self.diff(before)

    def diff(self, before):
        """The whole texts; for a file over DIFF_MAX_BYTES only the lines of the changed keys (the whole
        texts would make an answer many times the file's size)."""
        if max(len(before), len(self.after_text)) <= DIFF_MAX_BYTES:
            return dict(before=before, after=self.after_text, before_header=self.target, after_header=self.target)
        header = "%s (changed keys only: the file has %d bytes)" % (self.target, len(self.before_bytes))
        return dict(before="".join("%s=%s\n" % (c["key"], c["before"]) for c in self.changes if c["before"] is not None),
                    after="".join("%s=%s\n" % (c["key"], c["after"]) for c in self.changes),
                    before_header=header, after_header=header)

    def write(self):
        if not self.changes or self.module.check_mode:
            return
        # Verify before acting: the file must still be what the plan was computed from.
        if self._read(self.target, "zoo.cfg") != self.before_bytes:
            self.fail("path", "zoo.cfg %s changed while this module ran; nothing written" % self.target)
        directory = os.path.dirname(self.target)
        try:
            fd, tmp = tempfile.mkstemp(prefix=".zoo.cfg.", dir=directory)
        except (IOError, OSError) as exc:
            self.fail("path", "cannot write zoo.cfg %s: no temporary file in %s: %s; file left unchanged"
                      % (self.target, directory, exc.strerror or exc))
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(zoocfg.encode(self.after_text))
                fh.flush()
                os.fsync(fh.fileno())
            if self.module.params["backup"]:
                self.result["backup_file"] = self._backup()
            # atomic_move keeps the destination's mode, owner and SELinux context.
            self.module.atomic_move(tmp, self.target, unsafe_writes=False)
        except (IOError, OSError) as exc:
            self.fail("path", "cannot write zoo.cfg %s: %s; file left unchanged" % (self.target, exc))
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        self._sync_directory(directory)

    def _backup(self):
        try:
            return self.module.backup_local(self.target)
        except Exception as exc:  # ansible-core >= 2.19 raises a bare Exception chained to the OSError
            cause = exc.__cause__ or exc
            self.fail("backup", "cannot back up zoo.cfg %s next to it: %s; file left unchanged" % (self.target, cause))

    def _sync_directory(self, directory):
        """The rename is durable only once the directory entry is on disk."""
        try:
            fd = os.open(directory, os.O_RDONLY)
        except (IOError, OSError) as exc:
            self.module.warn("zoo.cfg %s written, but its directory could not be opened to sync it: %s"
                             % (self.target, exc))
            return
        try:
            os.fsync(fd)
        except (IOError, OSError) as exc:
            self.module.warn("zoo.cfg %s written, but its directory could not be synced: %s" % (self.target, exc))
        finally:
            os.close(fd)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            settings=dict(type="dict", required=True),
            backup=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    try:
        if not argcheck.text("path", module.params["path"]).startswith("/"):
            raise ValueError("path: %r is not an absolute path (a relative one depends on the module's working "
                             "directory on the host)" % module.params["path"])
    except ValueError as exc:  # OptionError is one
        module.fail_json(msg=str(exc))
    if not module.params["settings"]:
        module.fail_json(msg="settings must name at least one key")
    manager = ZooCfgManager(module)
    manager.read()
    manager.plan(module.params["settings"])
    manager.write()
    module.exit_json(**manager.result)


if __name__ == "__main__":
    main()
