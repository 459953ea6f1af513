# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TCP sockets, their owning processes and process identity, read from the kernel directly.

Sockets come from sock_diag netlink (one dump, filtered by the kernel) with /proc/net/tcp{,6} as the
fallback; owners from the socket links in /proc/PID/fd. Every function takes `root` (default /proc)
so recorded fake trees can stand in for the real one; netlink is used only for the real /proc.

Process `name` is comm (/proc/PID/comm, what ps and ss show, at most 15 characters); callers that
match names also look at argv[0] (see portspec.process_names).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import pwd
import re
import socket
import struct

from ansible_collections.alertops.remediation.plugins.module_utils.regular_file import read_regular_file

TCP_STATES = {
    1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2", 6: "TIME_WAIT",
    7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN", 11: "CLOSING", 12: "NEW_SYN_RECV",
}
_STATE_NUMBER = dict((name, number) for number, name in TCP_STATES.items())
_GONE = (FileNotFoundError, ProcessLookupError)
PROC_ROOT = "/proc"  # tests point it at a recorded tree
_SOCKET_PREFIX = "socket:["
# A process's own files (cmdline, cgroup, stat) are read up to this size: a huge argv is cut, not loaded.
_ARGS_LIMIT = 64 * 1024
# A sysctl's text (ip_local_reserved_ports lists ranges; a few KiB at most) is read up to this size.
_SYSCTL_LIMIT = 64 * 1024
_SYSCTL_NAME = re.compile(r"^[a-z0-9_]+(?:\.[a-z0-9_]+)+\Z")
_CONTAINER = re.compile(r"(?:docker|libpod|crio|containerd|cri-containerd)[-/]([0-9a-f]{12,64})")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SERVICE = re.compile(r"/([^/\s]+\.service)")

# sock_diag (linux/sock_diag.h, linux/inet_diag.h)
_NETLINK_SOCK_DIAG = 4
_SOCK_DIAG_BY_FAMILY = 20
_NLM_F_REQUEST_DUMP = 0x1 | 0x300
_NLMSG_ERROR, _NLMSG_DONE = 2, 3
_INET_DIAG_REQ_BYTECODE = 1
_INET_DIAG_BC_S_GE, _INET_DIAG_BC_S_LE = 2, 3
_TCPDIAG_GETSOCK = 18
_DIAG_MSG = struct.Struct("=BBBB2s2s16s16sI8sIIIII")
_NETLINK_TIMEOUT = 10.0


def _pids(root):
    try:
        names = os.listdir(root)
    except OSError:
        return []
    return [int(n) for n in names if n.isdigit()]


def _read(path, limit=-1):
    with open(path, "rb") as handle:
        return handle.read(limit).decode("utf-8", "replace")


def _address(family, raw):
    if family == socket.AF_INET6 and raw[:12] == b"\0" * 10 + b"\xff\xff":
        return socket.inet_ntop(socket.AF_INET, raw[12:16])  # IPv4-mapped: show it as IPv4
    if family == socket.AF_INET:
        return socket.inet_ntop(socket.AF_INET, raw[:4])
    return socket.inet_ntop(socket.AF_INET6, raw)


def _row(family, local, lport, remote, rport, state, inode, uid):
    return {
        "protocol": "tcp" if family == socket.AF_INET else "tcp6",
        "local_address": _address(family, local), "local_port": lport,
        "remote_address": _address(family, remote), "remote_port": rport,
        "state": TCP_STATES.get(state, str(state)), "inode": inode, "uid": uid,
    }


def _wanted(row, local_ports, remote_ports):
    if local_ports is None and remote_ports is None:
        return True
    return (local_ports is not None and row["local_port"] in local_ports) or \
        (remote_ports is not None and row["remote_port"] in remote_ports)


def _parse_proc_net(text, family):
    """Rows of /proc/net/tcp or tcp6 (addresses are native-endian 32-bit words in hex)."""
    rows = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10:
            continue
        (laddr, lport), (raddr, rport) = fields[1].split(":"), fields[2].split(":")
        local, remote = [b"".join(struct.pack("=I", int(word[i:i + 8], 16)) for i in range(0, len(word), 8))
                         for word in (laddr, raddr)]
        rows.append(_row(family, local, int(lport, 16), remote, int(rport, 16),
                         int(fields[3], 16), int(fields[9]), int(fields[7])))
    return rows


def _read_proc_net(root):
    rows = []
    for name, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        try:
            rows.extend(_parse_proc_net(_read(os.path.join(root, "net", name)), family))
        except _GONE:
            pass  # no IPv6 on this kernel
    return rows


def _bytecode(ports):
    """Kernel filter source port in [min, max]: two comparisons, a failed one jumps past the end."""
    low, high = min(ports), max(ports)
    return struct.pack("=BBH", _INET_DIAG_BC_S_GE, 8, 20) + struct.pack("=BBH", 0, 0, low) + \
        struct.pack("=BBH", _INET_DIAG_BC_S_LE, 8, 12) + struct.pack("=BBH", 0, 0, high)


def _netlink_dump(msg_type, request, local_ports):
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, _NETLINK_SOCK_DIAG)
    # The kernel answers a dump at once; should it not (a filtering sandbox), /proc/net is read instead.
    sock.settimeout(_NETLINK_TIMEOUT)
    try:
        if local_ports:
            code = _bytecode(local_ports)
            request += struct.pack("=HH", 4 + len(code), _INET_DIAG_REQ_BYTECODE) + code
        sock.sendto(struct.pack("=IHHII", 16 + len(request), msg_type, _NLM_F_REQUEST_DUMP, 1, 0) + request,
                    (0, 0))
        rows = []
        while True:
            data = sock.recv(65536)
            offset = 0
            while offset + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                if kind == _NLMSG_DONE:
                    return rows
                if kind == _NLMSG_ERROR:
                    errno = -struct.unpack_from("=i", data, offset + 16)[0]
                    raise OSError(errno, os.strerror(errno))
                (fam, state, _timer, _retrans, sport, dport, src, dst, _if, _cookie, _expires, _rq, _wq,
                 uid, inode) = _DIAG_MSG.unpack_from(data, offset + 16)
                rows.append(_row(fam, src, struct.unpack("!H", sport)[0], dst, struct.unpack("!H", dport)[0],
                                 state, inode, uid))
                offset += (length + 3) & ~3
            if not data:
                return rows
    finally:
        sock.close()


def _read_netlink(states, local_ports):
    mask = 0
    for number in TCP_STATES:
        if number != 12 and (states is None or TCP_STATES[number] in states):
            mask |= 1 << number
    # Most of a dump's cost is the kernel walking its whole established-socket hash table, empty
    # buckets included, once per request. The original TCPDIAG_GETSOCK request dumps IPv4 and IPv6 in
    # one walk (the kernel treats its family as AF_UNSPEC); per-family SOCK_DIAG_BY_FAMILY requests are
    # the fallback for kernels built without the compatibility interface.
    try:
        request = struct.pack("=BBBB", socket.AF_UNSPEC, 0, 0, 0) + b"\0" * 48 + struct.pack("=II", mask, 0)
        return _netlink_dump(_TCPDIAG_GETSOCK, request, local_ports)
    except OSError:
        rows = []
        for family in (socket.AF_INET, socket.AF_INET6):
            request = struct.pack("=BBBBI", family, socket.IPPROTO_TCP, 0, 0, mask) + b"\0" * 48
            rows.extend(_netlink_dump(_SOCK_DIAG_BY_FAMILY, request, local_ports))
        return rows


def read_sockets(local_ports=None, remote_ports=None, states=None, root=None):
    """TCP sockets whose local port is in local_ports or remote port in remote_ports (None: no filter
    on that side; both None: every socket), in the given states (names such as "LISTEN"; None: all).

    Each row: protocol, local_address, local_port, remote_address, remote_port, state, inode, uid.
    """
    root = root or PROC_ROOT
    local_ports = None if local_ports is None else frozenset(local_ports)
    remote_ports = None if remote_ports is None else frozenset(remote_ports)
    states = None if states is None else frozenset(states)
    if local_ports is not None and not local_ports and remote_ports is None:
        return []
    rows = None
    if root == "/proc" and hasattr(socket, "AF_NETLINK"):
        # The kernel can range-filter local ports only when nothing else widens the selection.
        kernel_ports = local_ports if remote_ports is None else None
        try:
            rows = _read_netlink(states, kernel_ports)
        except (OSError, struct.error):
            rows = None  # no sock_diag here (old kernel, seccomp, container policy): read /proc
    if rows is None:
        rows = _read_proc_net(root)
    return [r for r in rows if _wanted(r, local_ports, remote_ports) and (states is None or r["state"] in states)]


def _socket_inodes(root, pid, links):
    """The inodes of the sockets PID has open among `links` {"socket:[INODE]": INODE}; raises
    PermissionError / FileNotFoundError.

    Links are read relative to the open fd directory and looked up whole: most of a full scan's cost is
    this readlink, and resolving /proc/PID/fd once per process instead of once per descriptor saves a
    good part of it."""
    fd_dir = os.open(os.path.join(root, str(pid), "fd"), os.O_RDONLY | os.O_DIRECTORY)
    found = set()
    try:
        for fd in os.listdir(fd_dir):
            try:
                inode = links.get(os.readlink(fd, dir_fd=fd_dir))
            except _GONE:
                continue  # fd closed mid-scan
            if inode is not None:
                found.add(inode)
    finally:
        os.close(fd_dir)
    return found


def find_owners(sockets, root=None):
    """Map socket inodes to every process that holds them, through /proc/PID/fd of every process.

    A socket is held by each process that inherited or received its descriptor (fork without close_fds,
    an exec'd wrapper, a pre-fork server, a daemon's double fork, SCM_RIGHTS), related to the others or
    not, so every process is read and the scan never stops early: what it finds does not depend on pid
    order. A process that exits mid-scan simply holds nothing.

    Returns (owners, unresolved): owners {inode: [pid, ...] sorted}, unresolved {inode: reason} for
    sockets with no holder found. Sockets with inode 0 (TIME_WAIT, orphans) belong to no process and are
    skipped; without a wanted socket no process is read at all.
    """
    root = root or PROC_ROOT
    wanted = set(row["inode"] for row in sockets if row["inode"])
    owners = {}
    unresolved = {}
    if not wanted:
        return owners, unresolved
    links = dict(("%s%d]" % (_SOCKET_PREFIX, inode), inode) for inode in wanted)
    denied = []
    for pid in sorted(_pids(root)):
        try:
            inodes = _socket_inodes(root, pid, links)
        except PermissionError:
            denied.append(pid)
            continue
        except (OSError, ValueError):
            continue  # exited mid-scan, or a kernel thread
        for inode in inodes:
            owners.setdefault(inode, []).append(pid)
    for inode in wanted - set(owners):
        if denied:
            unresolved[inode] = "owner not readable: permission denied on /proc/PID/fd of pid %s" % (
                ", ".join(str(p) for p in denied[:10]))
        else:
            unresolved[inode] = "no process holds it (exited, or in another pid namespace)"
    return owners, unresolved


def _kubepods_container(cgroup_text):
    """The last 64-hex path component after /kubepods (cgroupfs driver), found without backtracking."""
    for line in cgroup_text.splitlines():
        at = line.find("/kubepods")
        if at < 0:
            continue
        ids = [part[:64] for part in line[at + 1:].split("/")[1:]
               if len(part) >= 64 and _HEX64.match(part)]
        if ids:
            return ids[-1]
    return None


def _unit(cgroup_text):
    """systemd unit (*.service) or "container:<id>" from /proc/PID/cgroup, else None."""
    found = _kubepods_container(cgroup_text)
    if found is None:
        match = _CONTAINER.search(cgroup_text)
        found = match and match.group(1)
    if found:
        return "container:" + found[:12]
    units = _SERVICE.findall(cgroup_text)
    return units[-1] if units else None


def _stat(root, pid):
    """(comm, state, ppid, start_time) from /proc/PID/stat; comm may hold spaces and parentheses."""
    text = _read(os.path.join(root, str(pid), "stat"), _ARGS_LIMIT)
    comm = text[text.index("(") + 1:text.rindex(")")]
    rest = text[text.rindex(")") + 2:].split()
    return comm, rest[0], int(rest[1]), int(rest[19])


def process_identity(pid, root=None):
    """{pid, name, exe, cmdline, uid, user, start_time, ppid, unit} or None when the process is gone.

    start_time is field 22 of /proc/PID/stat (clock ticks after boot): with pid and exe it tells one
    process from a later one that reuses the pid. exe is None for kernel threads and unreadable links.
    """
    root = root or PROC_ROOT
    base = os.path.join(root, str(pid))
    try:
        comm, _state, ppid, start_time = _stat(root, pid)
        uid = os.stat(base).st_uid
    except (OSError, ValueError, IndexError):
        return None
    identity = {"pid": pid, "name": comm, "exe": None, "cmdline": "", "uid": uid, "user": None,
                "start_time": start_time, "ppid": ppid, "unit": None}
    try:
        identity["exe"] = os.readlink(os.path.join(base, "exe"))
    except OSError:
        pass
    try:
        identity["cmdline"] = " ".join(a for a in _read(os.path.join(base, "cmdline"), _ARGS_LIMIT).split("\0") if a)
    except OSError:
        pass
    try:
        identity["unit"] = _unit(_read(os.path.join(base, "cgroup"), _ARGS_LIMIT))
    except OSError:
        pass
    try:
        identity["user"] = pwd.getpwuid(uid).pw_name
    except KeyError:
        identity["user"] = str(uid)
    return identity


def same_process(identity, root=None):
    """True while the process seen as `identity` still runs: same pid, start time and exe, and not a
    zombie (a zombie holds no socket and can take no signal that matters)."""
    root = root or PROC_ROOT
    try:
        _comm, state, _ppid, start_time = _stat(root, identity["pid"])
    except (OSError, ValueError, IndexError):
        return False
    if state in ("Z", "X") or start_time != identity["start_time"]:
        return False
    current = process_identity(identity["pid"], root)
    return current is not None and current["exe"] == identity["exe"] and \
        current["start_time"] == identity["start_time"]


def still_running(identity, root=None):
    """True until the process seen as `identity` has exited (gone, zombie, or its pid reused).

    Unlike same_process this ignores exe, which is unreadable while a process exits but still holds
    its sockets: callers waiting for sockets to close need this one."""
    root = root or PROC_ROOT
    try:
        _comm, state, _ppid, start_time = _stat(root, identity["pid"])
    except (OSError, ValueError, IndexError):
        return False
    return state not in ("Z", "X") and start_time == identity["start_time"]


def find_processes(names, root=None):
    """Identities of processes whose comm or argv[0] basename is one of names."""
    root = root or PROC_ROOT
    names = set(names)
    found = []
    for pid in _pids(root):
        base = os.path.join(root, str(pid))
        try:
            comm = _read(os.path.join(base, "comm"), _ARGS_LIMIT).strip()
            argv0 = _read(os.path.join(base, "cmdline"), _ARGS_LIMIT).split("\0", 1)[0]
        except OSError:
            continue
        if comm in names or (argv0 and os.path.basename(argv0) in names):
            identity = process_identity(pid, root)
            if identity:
                found.append(identity)
    return found


def ancestors(pid, root=None):
    """Pids of PID's parent chain (PID itself excluded)."""
    root = root or PROC_ROOT
    chain = set()
    while True:
        identity = process_identity(pid, root)
        if identity is None or identity["ppid"] <= 0 or identity["ppid"] in chain:
            return chain
        pid = identity["ppid"]
        chain.add(pid)


def owned_sockets(sockets, owners, unresolved, root=None):
    """One row per (socket, holder pid) with `pid`, `process` and `holders` (every pid that holds the
    socket, sorted); sockets without a holder keep pid None. Returns (rows, unresolved rows with `reason`)."""
    root = root or PROC_ROOT
    identities = {}
    rows = []
    lost = []
    for sock in sockets:
        holders = owners.get(sock["inode"]) if sock["inode"] else None
        for pid in holders or []:
            if pid not in identities:
                identities[pid] = process_identity(pid, root)
        known = sorted(pid for pid in holders or [] if identities[pid])
        for pid in holders or [None]:
            identity = identities.get(pid)
            row = dict(sock)
            row["pid"] = pid if identity else None
            row["process"] = None if not identity else dict(
                (k, identity[k]) for k in ("name", "exe", "cmdline", "user", "start_time", "ppid", "unit"))
            row["holders"] = known
            rows.append(row)
            if identity is None:
                if not sock["inode"]:
                    reason = "no owning process: the kernel holds it (%s)" % sock["state"]
                elif pid is None:
                    reason = unresolved.get(sock["inode"], "owner unknown")
                else:
                    reason = "holder pid %s exited during the scan" % pid
                lost_row = dict(row)
                lost_row["reason"] = reason
                lost.append(lost_row)
    return rows, lost


def read_sysctl(name, root=None):
    """The value of sysctl `name` (dotted, e.g. net.ipv4.ip_local_port_range) with its white space
    collapsed, read from <root>/sys/... as a bounded regular file. Raises OSError (or ValueError for a
    name that is not a sysctl name, or a value that is not a bounded regular file)."""
    if not _SYSCTL_NAME.match(name):
        raise ValueError("%r is not a sysctl name" % (name,))
    path = os.path.join(root or PROC_ROOT, "sys", *name.split("."))
    return " ".join(read_regular_file(path, _SYSCTL_LIMIT).decode("ascii", "replace").split())
