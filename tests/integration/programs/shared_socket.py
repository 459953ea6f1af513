"""One TCP socket held by several processes, the ways it happens in production.

shared_socket.py PORT --parent NAME [--child NAME ...] [--parent-pid N] [--child-pid N ...]
                 [--exec] [--daemonize] [--connect HOST:PORT] [--address A] [--ignore-term NAME ...]
                 [--exit-after NAME:SECONDS ...]

A launcher (this process, holding no socket) forks the parent, which binds ADDRESS:PORT with
SO_REUSEADDR and listens (or, with --connect, connects out from it), names itself NAME (comm), then
forks one child per --child that keeps the socket: a helper started without close_fds, a pre-fork
worker, or with --exec a program exec'd with the descriptor inherited (argv[0] and comm = the child's
name), as a wrapper that runs the real daemon does. --daemonize makes each child double-fork, so the
holder is reparented to pid 1 and is no relative of the parent any more.

--parent-pid / --child-pid choose the pids (through /proc/sys/kernel/ns_last_pid, so only inside a
private PID namespace): tests run the same sharing in both pid orders.
--ignore-term NAME: that process ignores SIGTERM. --exit-after NAME:S: that process exits by itself
after S seconds (a holder that ends while a scan runs).

Prints one JSON line {"port", "parent": pid, "children": [pids], "names": {pid: name}} once every
holder is in place, then waits until it is killed.
"""
import json
import os
import signal
import socket
import sys
import time

NS_LAST_PID = "/proc/sys/kernel/ns_last_pid"


def option(argv, name, default=None):
    return argv[argv.index(name) + 1] if name in argv else default


def options(argv, name):
    return [argv[i + 1] for i, arg in enumerate(argv) if arg == name]


def next_pid(pid):
    if pid is not None:
        with open(NS_LAST_PID, "w") as handle:
            handle.write(str(int(pid) - 1))


def become(name, argv, report, role="child"):
    """Take the name, follow the test's wishes for signals and lifetime, report, then wait."""
    with open("/proc/self/comm", "w") as handle:
        handle.write(name[:15])
    if name in options(argv, "--ignore-term"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    lifetimes = dict(item.split(":", 1) for item in options(argv, "--exit-after"))
    os.write(report, ("%d %s %s\n" % (os.getpid(), role, name)).encode())
    os.close(report)
    if name in lifetimes:
        time.sleep(float(lifetimes[name]))
        os._exit(0)
    while True:
        time.sleep(3600)


def hold(argv):
    """The exec'd child: --hold FD --report FD NAME ..."""
    fd, report, name = int(argv[1]), int(argv[3]), argv[4]
    sock = socket.socket(fileno=fd)  # keep a reference: the descriptor is the point
    become(name, argv, report)
    del sock


def parent(argv, report):
    port = int(argv[0])
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((option(argv, "--address", "127.0.0.1"), port))
    remote = option(argv, "--connect")
    if remote:
        host, rport = remote.rsplit(":", 1)
        sock.connect((host, int(rport)))
    else:
        sock.listen(16)
    children = options(argv, "--child")
    pids = options(argv, "--child-pid") or [None] * len(children)
    for name, pid in zip(children, pids):
        next_pid(pid)
        if os.fork() == 0:
            if "--daemonize" in argv and os.fork() != 0:
                os._exit(0)  # the double fork of a daemon: the holder is nobody's child any more
            if "--exec" in argv:
                os.set_inheritable(sock.fileno(), True)
                os.set_inheritable(report, True)
                os.execv(sys.executable, [name, os.path.abspath(__file__), "--hold", str(sock.fileno()),
                                          "--report", str(report), name] + argv)
            become(name, argv, report)
    become(option(argv, "--parent"), argv, report, role="parent")


def main(argv):
    if argv[:1] == ["--hold"]:
        return hold(argv)
    read_end, write_end = os.pipe()
    next_pid(option(argv, "--parent-pid"))
    if os.fork() == 0:
        os.close(read_end)
        parent(argv, write_end)
    os.close(write_end)
    expected = 1 + len(options(argv, "--child"))
    lines = []
    with os.fdopen(read_end) as reports:
        for line in reports:
            lines.append(line.split())
            if len(lines) == expected:
                break
    names = dict((int(pid), name) for pid, _role, name in lines)
    print(json.dumps({"port": int(argv[0]), "parent": [int(pid) for pid, role, _n in lines if role == "parent"][0],
                      "children": sorted(int(pid) for pid, role, _n in lines if role == "child"),
                      "names": names}), flush=True)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # holders that end are not left as zombies here
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(sys.argv[1:])
