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
    timestamp in the slice, the number of lines and bytes, the sha256 and whether (and by which cap) the
    slice was truncated.
  - The bundle is deterministic (the same slices give the same bytes), so a run that selects what the
    existing O(dest) already holds reports no change. Source logs are only read, never modified.
  - A window with nothing in it gives an empty but valid bundle (only C(MANIFEST.json)) and RV(matched=0),
    not an error.
  - "Only regular files are read, each opened without blocking and checked after it is opened. A rotated
    sibling or a glob's hit that is a symbolic link, a FIFO, a socket or a device, or that cannot be read,
    is left out and listed in RV(skipped_files) with the reason (and a warning): a service user who can
    write its log directory cannot make the module read another file, hang, or fail the collection."
  - "A path named literally in O(paths) that is a symbolic link is followed, because the operator named
    it, but only when every link on the way is owned by root, by the user the module runs as, or by a user
    who could read the file at its end (search on each directory above it, read on the file); a link that
    leads a service user's way into a file only root may read is refused. The same rule applies to links
    among the directories of every path. A named path that is not a readable regular file is an error."
  - A damaged compressed generation (truncated, bad data or checksum) is left out with the reason.
  - Bad input fails before anything is read or written, with a message that names the option and the
    value; a failure while writing leaves neither a partial bundle nor a temporary file behind.
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
      - Every entry must match at least one file; at least one entry is required.
      - A glob's hits and all rotated siblings are never followed when they are symbolic links; see the
        description for a path named literally.
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
      - ASCII digits only; a time from the year 1900 to 8999.
      - Default is the time the module runs. Mutually exclusive with O(start) and O(end).
    type: raw
  before:
    description:
      - Minutes before O(at) where the window starts. A number from 0 to 5260320 (ten years), ASCII digits
        with an optional decimal point.
      - By default the window starts 10 minutes before O(at).
    type: raw
    default: 10
  after:
    description:
      - Minutes after O(at) where the window ends, as O(before).
      - By default the window ends 10 minutes after O(at).
    type: raw
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
        such as C(Asia/Shanghai), read from the host's time-zone database (the TZif files under
        C(/usr/share/zoneinfo), on every Python, with the same answers as C(zoneinfo)); or a fixed offset
        such as C(+08:00) or C(UTC).
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
        C({pattern: '\[(?P<ts>[^\]]+)\]', time_format: '%d/%b/%Y:%H:%M:%S %z'}). The pattern (at most
        1024 characters) runs on the first 8 KiB of each line; Python's regular expressions have no time
        limit, so keep it free of nested repetition.
      - By default (V(auto)) the format is recognised per file.
    type: raw
    default: auto
  dest:
    description:
      - Absolute path of the tar.gz bundle to write on the host. Its directory must exist. Written with mode
        C(0600) through a temporary file in the same directory and an atomic rename, both relative to
        the directory opened once.
      - An existing O(dest) must be a regular file. A symbolic link on the way to its directory must be
        owned by root, by the user the module runs as, or by a user who could create files there.
    type: path
    required: true
  max_bytes:
    description:
      - Cap on the bytes taken from one file. A larger slice is cut at the last line end within the cap
        (keeping the start of the window), and the file is reported with C(truncated=true) and
        C(truncated_by=max_bytes) and in RV(cut).
      - A whole number of bytes from 1 to 1 TiB, in ASCII digits.
      - By default 256 MiB from each file.
    type: raw
    default: 268435456
  max_total_bytes:
    description:
      - Cap on the log bytes in the bundle, over all files, counted before compression (the tar.gz is smaller).
      - Files are taken in the order of O(paths), and within a rotation group oldest first. The file that
        reaches the cap is cut at a line end (C(truncated_by=max_total_bytes)); the files after it are not
        read and are listed in RV(skipped_files). Both are listed in RV(cut).
      - A whole number of bytes from 1 to 1 TiB, in ASCII digits. Default 1 GiB.
    type: raw
    default: 1073741824
notes:
  - The module reads the files it is given and nothing else; it needs read access to them.
  - A compressed sibling last modified more than a day before the window is skipped without being opened.
  - A timestamp is looked for in the first 8 KiB of a line; longer lines are kept whole. The work is linear
    in the bytes looked at, whatever the line lengths.
  - Hard links are left to the kernel's C(fs.protected_hardlinks) (on by default), which keeps a user from
    linking a file they could not read.
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
      truncated_by: null
skipped_files:
  description:
    - Files considered but not in the bundle, with the reason (outside the window, empty, no recognised
      timestamp format, a symbolic link not followed, not a regular file, cannot be read, corrupt gzip
      data, not read because of O(max_total_bytes)). Also in the manifest as C(skipped).
  returned: always
  type: list
  elements: dict
  sample:
    - path: /var/log/zookeeper/zookeeper.log.3.gz
      reason: outside the window
    - path: /var/log/zookeeper/zookeeper.log.9
      reason: symbolic link, not followed
cut:
  description: What the caps cut, per file, in order; C(limit) is C(max_bytes) or C(max_total_bytes).
    Also in the manifest.
  returned: always
  type: list
  elements: dict
  sample:
    - path: /var/log/zookeeper/zookeeper.log
      limit: max_total_bytes
      bytes_kept: 1048576
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
    cut: []
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_bundle import Destination
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_bundle import HashingSink
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_bundle import write_bundle
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_files import expand_groups
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_formats import check_format
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_select import select
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import US
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import LogWindowError
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import iso_local
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import iso_utc
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import parse_minutes
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import parse_size
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import parse_time
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_zones import get_zone

MAX_PATH = 4096


def _text(what, value, absolute=False):
    """A path: text, not empty, no NUL or line break, at most MAX_PATH characters; absolute when asked
    (a relative dest would land in whatever the module's working directory is)."""
    if not isinstance(value, str) or not value or len(value) > MAX_PATH or any(c in value for c in "\x00\r\n") \
            or (absolute and not value.startswith("/")):
        raise LogWindowError("%s=%r must be a non-empty %spath without NUL bytes or line breaks, at most %d characters"
                             % (what, value, "absolute " if absolute else "", MAX_PATH))
    return value


class LogWindow(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params

    def window(self, zone):
        p = self.p
        if p["start"] is not None or p["end"] is not None:
            start = parse_time(p["start"], zone, "start")
            end = parse_time(p["end"], zone, "end")
            if start > end:
                raise LogWindowError("start=%r is after end=%r" % (p["start"], p["end"]))
            return None, start, end
        before = parse_minutes("before", p["before"])
        after = parse_minutes("after", p["after"])
        at = parse_time(p["at"], zone, "at") if p["at"] not in (None, "") else int(time.time() * US)
        return at, at - int(round(before * 60 * US)), at + int(round(after * 60 * US))

    def run(self):
        p = self.p
        zone = get_zone(p["timezone"])
        at, start, end = self.window(zone)
        fmt = check_format(p["format"])
        max_bytes = parse_size("max_bytes", p["max_bytes"])
        max_total = parse_size("max_total_bytes", p["max_total_bytes"])
        if not p["paths"]:
            raise LogWindowError("paths=[] names no file; give at least one log file or glob")
        paths = [_text("paths", path) for path in p["paths"]]
        dest = Destination(_text("dest", p["dest"], absolute=True))
        try:
            return self.collect(paths, dest, zone, at, start, end, fmt, max_bytes, max_total)
        finally:
            dest.close()

    def collect(self, paths, dest, zone, at, start, end, fmt, max_bytes, max_total):
        module = self.module
        groups, unmatched = expand_groups(paths)
        if unmatched:
            raise LogWindowError("paths: no file matches %s" % ", ".join(repr(u) for u in unmatched))
        sel = select(groups, start, end, zone, fmt, max_bytes, max_total)
        for warning in sel.warnings:
            module.warn(warning)
        window = {
            "start": iso_utc(start), "end": iso_utc(end),
            "start_local": iso_local(start, zone), "end_local": iso_local(end, zone),
            "timezone": zone.name,
        }
        if at is not None:
            window["at"] = iso_utc(at)
        manifest = {"version": 1, "window": window, "skipped": sel.skipped, "cut": sel.cut}

        before_sha, before_size = dest.existing()
        if module.check_mode:
            sink = HashingSink()
            write_bundle(sink, sel.slices, start, end, manifest)
            sha, size = sink.hash.hexdigest(), sink.size
        else:
            sha, size = dest.write(sel.slices, start, end, manifest, before_sha)
        result = dict(
            changed=sha != before_sha, bundle=dest.path, size=size, sha256=sha, matched=manifest["matched"],
            window=window, files=manifest["files"], skipped_files=sel.skipped, cut=sel.cut, manifest=manifest,
        )
        if module._diff:
            result["diff"] = {"before": {"path": dest.path, "sha256": before_sha, "size": before_size},
                              "after": {"path": dest.path, "sha256": sha, "size": size}}
        return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="str", required=True),
            at=dict(type="raw"),
            before=dict(type="raw", default=10),
            after=dict(type="raw", default=10),
            start=dict(type="raw"),
            end=dict(type="raw"),
            timezone=dict(type="str"),
            format=dict(type="raw", default="auto"),
            dest=dict(type="path", required=True),
            max_bytes=dict(type="raw", default=268435456),
            max_total_bytes=dict(type="raw", default=1073741824),
        ),
        mutually_exclusive=[["at", "start"], ["at", "end"]],
        required_together=[["start", "end"]],
        supports_check_mode=True,
    )
    try:
        result = LogWindow(module).run()
    except LogWindowError as exc:
        module.fail_json(msg=str(exc))
    except (IOError, OSError) as exc:
        # Every expected failure is a LogWindowError naming its option; this names at least the file.
        module.fail_json(msg="%s: %s" % (exc.filename or "log_window", exc.strerror or exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
