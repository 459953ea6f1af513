# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OCP-Agent's state on this host, read without changing anything: which agent processes run, who
holds each exporter port, whether each exporter answers HTTP 200 on its metrics path.

Every network wait is under the caller's deadline: a probe that connects but never answers (or
answers one byte at a time) costs at most what is left of it.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re
import socket
import time

from ansible_collections.alertops.remediation.plugins.module_utils import agent_layout, portspec, procfs

PROBE_SECONDS = 3.0
# Command lines are cut to this many characters in messages (they are whole in the result).
CMDLINE_SHOWN = 300
_STATUS_LINE = re.compile(br"HTTP/1\.[01] ([0-9]{3})[ \r]")
_STATUS_LINE_MAX = 4096


def http_status(port, path, deadline):
    """Status code of GET http://127.0.0.1:PORT/PATH, or None when it does not answer in time (at most
    PROBE_SECONDS, never past deadline, a monotonic time)."""
    until = min(deadline, time.monotonic() + PROBE_SECONDS)
    if until <= time.monotonic():
        return None
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=until - time.monotonic())
    except (OSError, ValueError):
        return None
    try:
        sock.sendall(("GET %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % (path, port)).encode())
        head = b""
        while b"\n" not in head and len(head) < _STATUS_LINE_MAX:
            left = until - time.monotonic()
            if left <= 0:
                return None
            sock.settimeout(left)
            chunk = sock.recv(_STATUS_LINE_MAX - len(head))
            if not chunk:
                break
            head += chunk
    except (OSError, ValueError):
        return None
    finally:
        sock.close()
    match = _STATUS_LINE.match(head)
    return int(match.group(1)) if match else None


def read(flavor, deadline):
    """(rows, holders, alive): one row per expected process {name, pid, ports, listening, http_status,
    ready}, {port: [socket rows of its listeners]}, and the identities of the agent processes alive."""
    services = agent_layout.SERVICES[flavor]
    alive = procfs.find_processes(agent_layout.process_names(flavor))
    by_name = {}
    for ident in alive:
        by_name.setdefault(ident["name"], ident)
    sockets = procfs.read_sockets(local_ports=sorted(port for port, _path in services.values()), states=["LISTEN"])
    owners, unresolved = procfs.find_owners(sockets)
    holders = {}
    for row in procfs.owned_sockets(sockets, owners, unresolved)[0]:
        holders.setdefault(row["local_port"], []).append(row)
    guardian = by_name.get(agent_layout.GUARDIAN)
    rows = [{"name": agent_layout.GUARDIAN, "pid": guardian and guardian["pid"], "ports": [],
             "listening": None, "http_status": None, "ready": guardian is not None}]
    for name in sorted(services):
        port, path = services[name]
        ident = by_name.get(name)
        listening = any((r.get("process") or {}).get("name") == name for r in holders.get(port, []))
        code = http_status(port, path, deadline) if listening else None
        rows.append({"name": name, "pid": ident and ident["pid"], "ports": [port], "listening": listening,
                     "http_status": code, "ready": listening and code == 200})
    return rows, holders, alive


def is_ready(rows):
    return all(r["ready"] for r in rows)


def foreign_holders(rows, holders):
    """{port (str): [socket rows]} of the exporter ports held by someone else than their process."""
    foreign = {}
    for row in rows:
        for port in row["ports"]:
            others = [h for h in holders.get(port, []) if (h.get("process") or {}).get("name") != row["name"]]
            if others:
                foreign[str(port)] = others
    return foreign


def missing(rows):
    """What keeps the agent from being ready, one phrase per process."""
    return ["%s (port %s: %s)" % (r["name"], r["ports"][0], "not listening" if not r["listening"]
                                  else "HTTP %s" % r["http_status"])
            if r["ports"] else "%s (not running)" % r["name"]
            for r in rows if not r["ready"]]


def blockers(rows):
    """Who listens on the port of an exporter that does not, so that its process cannot bind it.

    rows: from read(). One entry per (port, holder): {port, service, pid, name, cmdline, user, unit,
    state, ppid, parent} where parent is the holder's parent process {pid, name, cmdline, unit} (the
    supervisor that starts it again after it is ended), or None when it is gone. Only listeners count: a
    connection on the port may have been bound next to the exporter's listener (both SO_REUSEADDR, which
    /proc does not show), so it does not prove the bind fails. The exporter's own process (still
    binding) is not a blocker."""
    services = dict((r["ports"][0], r["name"]) for r in rows if r["ports"] and not r["listening"])
    if not services:
        return []
    sockets = procfs.read_sockets(local_ports=sorted(services), states=["LISTEN"])
    owners, unresolved = procfs.find_owners(sockets)
    found = []
    seen = set()
    for row in procfs.owned_sockets(sockets, owners, unresolved)[0]:
        process = row.get("process")
        port = row["local_port"]
        if process is None or (port, row["pid"]) in seen or services[port] in portspec.process_names(row):
            continue
        seen.add((port, row["pid"]))
        parent = procfs.process_identity(process["ppid"]) if process.get("ppid") else None
        found.append({"port": port, "service": services[port], "pid": row["pid"], "name": process.get("name"),
                      "cmdline": process.get("cmdline") or "", "user": process.get("user"),
                      "unit": process.get("unit"), "state": row.get("state"), "ppid": process.get("ppid"),
                      "parent": parent and dict((k, parent[k]) for k in ("pid", "name", "cmdline", "unit"))})
    return found


def _shown(cmdline):
    return cmdline if len(cmdline) <= CMDLINE_SHOWN else cmdline[:CMDLINE_SHOWN] + "..."


def describe_blocker(entry):
    """One phrase naming a blocker and the process that started it."""
    parent = entry["parent"]
    return "port %s (%s) is held by %s (pid %s, user %s, %s, cmdline %r)%s, started by %s" % (
        entry["port"], entry["service"], entry["name"], entry["pid"], entry["user"], entry["state"],
        _shown(entry["cmdline"]), ", unit %s" % entry["unit"] if entry["unit"] else "",
        "parent pid %s %s (cmdline %r)%s" % (parent["pid"], parent["name"], _shown(parent["cmdline"]),
                                             ", unit %s" % parent["unit"] if parent["unit"] else "")
        if parent else "parent pid %s, which is gone" % entry["ppid"])


def needs(state, ready, alive):
    """(stop, start) that `state` needs from an agent that is `ready` with processes `alive`."""
    if state == "stopped":
        return bool(alive), False
    if state == "started":
        # A guardian that gave its children up keeps running: only stop + start brings them back.
        return bool(alive) and not ready, not ready
    return bool(alive), True
