#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: alertops.remediation contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: log_window
short_description: Cut the log lines around an alarm time out of log files into one tar.gz bundle
version_added: 0.1.0
description:
  - Selects, from every file named by O(paths) and its rotated siblings, the log entries whose timestamp
    lies in a time window (by default 10 minutes before to 10 minutes after O(at)) and writes them to a
    tar.gz bundle at O(dest) with a C(MANIFEST.json) at the bundle's root.
  - Logs are assumed to be in time order. An uncompressed file is searched by binary search over byte
    offsets, then only the window is read, so the cost grows with the window, not with the file. A
    compressed (gzip) file is streamed and reading stops after the window.
  - An entry is a timestamped line plus the lines without a timestamp that follow it (stack traces); it is
    selected or left out as a whole, by the timestamp of its first line. Lines at the top of a file before
    its first timestamp (the tail of an entry from the previous rotated file) go with the file's first entry.
  - Each slice is stored under its original path without the leading C(/) (a slice of a C(.gz) file is
    stored decompressed, without the C(.gz) suffix). C(MANIFEST.json) lists per file the first and last
    timestamp in the slice, the number of lines and bytes, the sha256 and whether the slice was truncated.
  - The bundle is deterministic (the same slices give the same bytes), so a run that selects what the
    existing O(dest) already holds reports no change. Source logs are only read, never modified.
  - A window with nothing in it gives an empty but valid bundle (only C(MANIFEST.json)) and RV(matched=0),
    not an error.
author:
  - alertops.remediation maintainers (@alertops)
extends_documentation_fragment:
  - alertops.remediation.attributes
  - alertops.remediation.attributes.acting_module
attributes:
  check_mode:
    details: Reads the logs and reports the slices, the manifest and the bundle's size and checksum it
      would write; writes nothing.
  diff_mode:
    details: Reports the bundle's sha256 and size before and after.
  idempotent:
    support: full
    details: A second run with the same window and unchanged logs in it rewrites nothing and reports no
      change. A window that reaches into the present changes as the log grows.
options:
  paths:
    description:
      - Log files or glob patterns. Rotated siblings of each matched file (C(NAME.*) and C(NAME-*), for
        example C(zookeeper.log.1), C(zookeeper.log.2.gz), C(app.log-20261120.gz)) are included; a
        sibling whose time span does not overlap the window is skipped after a cheap look at its first and
        last timestamp.
      - Every entry must match at least one file.
    type: list
    elements: str
    required: true
  at:
    description:
      - The alarm time. ISO 8601 (C(2026-11-21T10:15:30), C(2026-11-21 10:15:30.123+08:00),
        C(2026-11-21T02:15:30Z)) or epoch seconds (C(1795227330); a value above 1e11 is read as epoch
        milliseconds).
      - A time with an explicit offset or C(Z) means that instant; a time without one is a wall time in
        O(timezone).
      - Default is the time the module runs. Mutually exclusive with O(start) and O(end).
    type: raw
  before:
    description: Minutes before O(at) where the window starts.
    type: float
    default: 10
  after:
    description: Minutes after O(at) where the window ends.
    type: float
    default: 10
  start:
    description:
      - Start of the window, inclusive, in the same forms as O(at). Use with O(end) instead of O(at).
    type: raw
  end:
    description: End of the window, inclusive, in the same forms as O(at).
    type: raw
  timezone:
    description:
      - Time zone of the log lines (and of O(at), O(start), O(end) when they carry no offset). An IANA name
        such as C(Asia/Shanghai), resolved with the host's time-zone database (through C(zoneinfo) when the
        Python has it, else by reading the TZif files under C(/usr/share/zoneinfo), so Python 3.6 works
        too); or a fixed offset such as C(+08:00) or C(UTC).
      - Default is the host's zone (C($TZ), else C(/etc/localtime)).
      - Log lines that carry their own offset (ISO 8601 with C(Z) or C(+08:00)) are read as that instant.
      - A wall time that occurs twice (clocks set back) is read as its first occurrence; one that does not
        exist (clocks set forward) with the offset before the change, as Python's datetime does.
    type: str
  format:
    description:
      - >-
        Format of the log lines. C(auto) recognises, per file, C(zookeeper) (log4j/logback
        C(2026-11-21 10:15:30,123 [myid:1] - WARN  [...] - msg), also without C([myid:N]) as Debian writes
        it), C(mrs) (C(2020-01-20 16:33:43,816 | INFO | main | msg | class(File.java:335))), C(go) (agent
        logs with C(ts=2026-11-21T10:15:30.123+08:00), C(time="...") or JSON C("ts":"...")), C(iso8601)
        (lines that start with an ISO 8601 / RFC 3339 timestamp) and C(syslog)
        (C(Nov 21 10:15:30 host prog[1]: msg); the year is inferred from the file's modification time).
        A file whose format is not recognised is skipped with a warning.
      - Or one of those names, to force it for every file.
      - >-
        Or an explicit pattern, a dictionary with C(pattern), a regular expression with a named group
        C(ts) searched in each line (anchor it with C(^) if it must start the line), and C(time_format), a
        C(strptime) format for the group's text (C(%z) accepts C(+0800), C(+08:00) and C(Z)); for example
        C({pattern: '\[(?P<ts>[^\]]+)\]', time_format: '%d/%b/%Y:%H:%M:%S %z'}).
    type: raw
    default: auto
  dest:
    description:
      - Path of the tar.gz bundle to write on the host. Its directory must exist. Written with mode
        C(0600) through a temporary file in the same directory and an atomic rename.
    type: path
    required: true
  max_bytes:
    description:
      - Cap on the bytes taken from one file. A larger slice is cut at the last line end within the cap
        (keeping the start of the window), and the file is reported with C(truncated=true).
    type: int
    default: 268435456
notes:
  - The module reads the files it is given and nothing else; it needs read access to them.
  - A compressed sibling last modified more than a day before the window is skipped without being opened.
seealso:
  - name: Role alertops.remediation.collect_logs
    description: Runs this module on every host and fetches the bundles with an index to the controller.
    link: https://github.com/alertops/remediation/tree/main/roles/collect_logs
'''

EXAMPLES = r'''
- name: ZooKeeper logs from 10 minutes before to 10 minutes after the alarm
  alertops.remediation.log_window:
    paths:
      - /var/log/zookeeper/zookeeper.log
    at: "2026-11-21T10:15:30+08:00"
    dest: /tmp/zk-alarm.tar.gz
  register: zk_logs

- name: MRS quorumpeer logs, alarm time read in Beijing time, 30 minutes before only
  alertops.remediation.log_window:
    paths:
      - /var/log/Bigdata/zookeeper/quorumpeer/*.log*
    at: "2026-11-21 10:15:30"
    timezone: Asia/Shanghai
    before: 30
    after: 0
    dest: /tmp/mrs-zk.tar.gz

- name: OCP-Agent logs in an explicit window given in epoch seconds
  alertops.remediation.log_window:
    paths:
      - /home/admin/ocp_agent/log/*.log
    start: 1795226400
    end: 1795228200
    dest: /tmp/agent.tar.gz
    max_bytes: 50000000

- name: A log with its own line format
  alertops.remediation.log_window:
    paths: [/var/log/nginx/access.log]
    at: 1795227330
    format:
      pattern: '\[(?P<ts>[^\]]+)\]'
      time_format: '%d/%b/%Y:%H:%M:%S %z'
    dest: /tmp/nginx.tar.gz
'''

RETURN = r'''
bundle:
  description: Path of the bundle on the host (written unless in check mode).
  returned: always
  type: str
  sample: /tmp/zk-alarm.tar.gz
size:
  description: Size of the bundle in bytes (in check mode, the size it would have).
  returned: always
  type: int
  sample: 48213
sha256:
  description: sha256 of the bundle (in check mode, of the bundle it would write).
  returned: always
  type: str
  sample: 0f4c1d3a9a6b7e2f0f4c1d3a9a6b7e2f0f4c1d3a9a6b7e2f0f4c1d3a9a6b7e2f
matched:
  description: Number of log lines in the window, over all files. C(0) when nothing is in the window.
  returned: always
  type: int
  sample: 1834
window:
  description: The window, in UTC and in the logs' zone.
  returned: always
  type: dict
  contains:
    start:
      description: Start, inclusive, ISO 8601 UTC.
      type: str
      sample: "2026-11-21T02:05:30.000000Z"
    end:
      description: End, inclusive, ISO 8601 UTC.
      type: str
      sample: "2026-11-21T02:25:30.000000Z"
    start_local:
      description: Start in the logs' zone.
      type: str
      sample: "2026-11-21T10:05:30.000000+08:00"
    end_local:
      description: End in the logs' zone.
      type: str
      sample: "2026-11-21T10:25:30.000000+08:00"
    timezone:
      description: The logs' zone as resolved.
      type: str
      sample: Asia/Shanghai
files:
  description: The slices in the bundle, as in the manifest.
  returned: always
  type: list
  elements: dict
  sample:
    - path: /var/log/zookeeper/zookeeper.log
      member: var/log/zookeeper/zookeeper.log
      format: zookeeper
      compressed: false
      first_timestamp: "2026-11-21 10:05:30,114"
      last_timestamp: "2026-11-21 10:25:29,870"
      first_utc: "2026-11-21T02:05:30.114000Z"
      last_utc: "2026-11-21T02:25:29.870000Z"
      lines: 1834
      bytes: 201822
      sha256: 3b2a0c8f1e7d6c5b4a3b2a0c8f1e7d6c5b4a3b2a0c8f1e7d6c5b4a3b2a0c8f1e
      truncated: false
skipped_files:
  description: Files considered but not in the bundle, with the reason (outside the window, empty, no
    recognised timestamp format). Also in the manifest as C(skipped).
  returned: always
  type: list
  elements: dict
  sample:
    - path: /var/log/zookeeper/zookeeper.log.3.gz
      reason: outside the window
manifest:
  description: The content of C(MANIFEST.json).
  returned: always
  type: dict
  sample:
    version: 1
    window: {start: "2026-11-21T02:05:30.000000Z", end: "2026-11-21T02:25:30.000000Z"}
    matched: 1834
    files: []
    skipped: []
'''

import os
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.alertops.remediation.plugins.module_utils import logwindow as lw


def _sha256_file(path):
    import hashlib
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class LogWindow(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params

    def fail(self, msg):
        self.module.fail_json(msg=msg)

    def window(self, zone):
        p = self.p
        if p["start"] is not None or p["end"] is not None:
            start = lw.parse_time(p["start"], zone, "start")
            end = lw.parse_time(p["end"], zone, "end")
            if start > end:
                raise lw.LogWindowError("start=%r is after end=%r" % (p["start"], p["end"]))
            return None, start, end
        for key in ("before", "after"):
            if p[key] < 0:
                raise lw.LogWindowError("%s=%r must not be negative" % (key, p[key]))
        at = lw.parse_time(p["at"], zone, "at") if p["at"] not in (None, "") else int(time.time() * lw.US)
        start = at - int(round(p["before"] * 60 * lw.US))
        end = at + int(round(p["after"] * 60 * lw.US))
        return at, start, end

    def check_format(self):
        fmt = self.p["format"]
        if isinstance(fmt, dict):
            extra = set(fmt) - set(["pattern", "time_format"])
            if extra or not fmt.get("pattern"):
                raise lw.LogWindowError("format must be a name or a dict with pattern and time_format, got %r"
                                        % (fmt,))
            return fmt
        if not isinstance(fmt, str) or (fmt != "auto" and fmt not in lw.FORMAT_NAMES):
            raise lw.LogWindowError("format=%r is not one of auto, %s or a dict with pattern and time_format"
                                    % (fmt, ", ".join(lw.FORMAT_NAMES)))
        return fmt

    def run(self):
        p = self.p
        module = self.module
        dest = p["dest"]
        zone = lw.get_zone(p["timezone"])
        at, start, end = self.window(zone)
        fmt = self.check_format()
        if p["max_bytes"] <= 0:
            raise lw.LogWindowError("max_bytes=%r must be positive" % p["max_bytes"])
        groups, unmatched = lw.expand_groups(p["paths"])
        files = [path for group in groups for path in group]
        if unmatched:
            raise lw.LogWindowError("no file matches %s" % ", ".join(repr(u) for u in unmatched))
        for path in files:
            if not os.access(path, os.R_OK):
                raise lw.LogWindowError("cannot read %s: permission denied" % path)
        dest_dir = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(dest_dir):
            raise lw.LogWindowError("dest=%r: directory %s does not exist" % (dest, dest_dir))
        if os.path.isdir(dest):
            raise lw.LogWindowError("dest=%r is a directory; give the bundle's file name" % dest)

        slices, skipped = lw.select(groups, start, end, zone, fmt, p["max_bytes"])
        for item in skipped:
            if item["reason"] == "no recognised timestamp format":
                module.warn("%s: no recognised timestamp format, skipped" % item["path"])
        window = {
            "start": lw.iso_utc(start), "end": lw.iso_utc(end),
            "start_local": lw.iso_local(start, zone), "end_local": lw.iso_local(end, zone),
            "timezone": zone.name,
        }
        if at is not None:
            window["at"] = lw.iso_utc(at)
        manifest = {"version": 1, "window": window, "skipped": skipped}

        before_sha = _sha256_file(dest) if os.path.isfile(dest) else None
        before = {"path": dest, "sha256": before_sha,
                  "size": os.path.getsize(dest) if before_sha else None}
        if module.check_mode:
            sink = lw.HashingSink()
            lw.write_bundle(sink, slices, start, end, manifest)
            sha, size = sink.hash.hexdigest(), sink.size
        else:
            fd, tmp = tempfile.mkstemp(prefix=".log_window-", suffix=".tmp", dir=dest_dir)
            try:
                with os.fdopen(fd, "wb") as out:
                    lw.write_bundle(out, slices, start, end, manifest)
                    out.flush()
                    os.fsync(out.fileno())
                os.chmod(tmp, 0o600)
                sha, size = _sha256_file(tmp), os.path.getsize(tmp)
                if sha == before_sha:
                    os.unlink(tmp)
                    os.chmod(dest, 0o600)
                else:
                    os.rename(tmp, dest)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
        changed = sha != before_sha
        result = dict(
            changed=changed, bundle=dest, size=size, sha256=sha, matched=manifest["matched"],
            window=window, files=manifest["files"], skipped_files=skipped, manifest=manifest,
        )
        if module._diff:
            result["diff"] = {"before": before, "after": {"path": dest, "sha256": sha, "size": size}}
        return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="str", required=True),
            at=dict(type="raw"),
            before=dict(type="float", default=10),
            after=dict(type="float", default=10),
            start=dict(type="raw"),
            end=dict(type="raw"),
            timezone=dict(type="str"),
            format=dict(type="raw", default="auto"),
            dest=dict(type="path", required=True),
            max_bytes=dict(type="int", default=268435456),
        ),
        mutually_exclusive=[["at", "start"], ["at", "end"]],
        required_together=[["start", "end"]],
        supports_check_mode=True,
    )
    try:
        result = LogWindow(module).run()
    except lw.LogWindowError as exc:
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="%s: %s" % (getattr(exc, "filename", None) or "log_window", exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
