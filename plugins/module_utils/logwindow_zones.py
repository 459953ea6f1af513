# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which time zone the logs are in: the ``timezone`` option (a fixed offset or an IANA name) or the
host's own zone ($TZ, /etc/localtime, the C library as a last resort).

IANA names are read from the host's time-zone database with the TZif reader on every Python (the same
answers as zoneinfo, tested against it), through safefile: regular files only, at most 1 MiB.
Pure standard library (Python 3.6+).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import calendar
import os
import re
import time

from ansible_collections.alertops.remediation.plugins.module_utils import safefile
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_times import LogWindowError
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import FixedZone
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import TransitionZone
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import parse_offset
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzif import read_tzif
from ansible_collections.alertops.remediation.plugins.module_utils.logwindow_tzrule import PosixRule

TZPATH = ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo")
MAX_TZIF_BYTES = 1 << 20
_ZONE_NAME = re.compile(r"^[A-Za-z0-9_+-]{1,64}(?:/[A-Za-z0-9_+-]{1,64}){0,4}\Z")


class HostLocalZone(object):
    """Last resort for the host's zone: the C library (time.mktime / time.localtime)."""

    name = "localtime"

    def utc_from_wall(self, wall):
        tm = time.gmtime(wall)
        return int(time.mktime((tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                                0, 0, -1)))

    def offset_at(self, utc):
        return calendar.timegm(time.localtime(utc)) - int(utc)


def _read_zone_file(path, name):
    """TransitionZone from a TZif file; None when the file is missing, not TZif or not safe to read."""
    try:
        data = safefile.read_bounded(path, MAX_TZIF_BYTES)
        return read_tzif(data, name) if data[:4] == b"TZif" else None
    except (OSError, IOError, ValueError, safefile.Refused):
        return None


def load_tzif(name, tzpath=TZPATH):
    """IANA name -> TransitionZone, read from the host's time-zone database."""
    if not _ZONE_NAME.match(name or ""):
        raise LogWindowError("timezone=%r is not a valid time zone name" % (name,))
    for base in tzpath:
        zone = _read_zone_file(os.path.join(base, name), name)
        if zone is not None:
            return zone
    raise LogWindowError("timezone=%r: unknown time zone, not found in the host's time-zone database (%s)"
                         % (name, ", ".join(tzpath)))


def host_zone():
    """The host's local zone: $TZ (IANA name, file or POSIX rule), else /etc/localtime, else the C library."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz.startswith("/"):
        zone = _read_zone_file(tz, tz)
        if zone is not None:
            return zone
    elif tz:
        try:
            return get_zone(tz)
        except LogWindowError:
            try:
                return TransitionZone(tz, [], [], 0, PosixRule(tz))
            except ValueError:
                pass
    zone = _read_zone_file("/etc/localtime", "localtime")
    if zone is not None:
        target = os.path.realpath("/etc/localtime")
        for base in TZPATH:
            if target.startswith(base + "/"):
                zone.name = target[len(base) + 1:]
        return zone
    return HostLocalZone()


def get_zone(spec):
    """Time zone from the module's ``timezone`` value: empty/None (the host's), a fixed offset
    (``+08:00``, ``Z``, ``UTC``) or an IANA name."""
    if spec is None or spec in ("", "local", "localtime"):
        return host_zone()
    if not isinstance(spec, str):
        raise LogWindowError("timezone=%r is not a time zone name or offset" % (spec,))
    spec = spec.strip(" ")
    off = parse_offset(spec)
    if off is not None:
        return FixedZone(off, spec if spec in ("UTC", "GMT", "Z") else None)
    return load_tzif(spec)
