#!/usr/bin/env python3
"""Who holds ports 62881-63881: port_owners_info against netstat, ss, lsof, psutil and
community.general.listen_ports_facts, on a host loaded with P processes (P = 50, 300, 1000).

Each load process holds a listening socket, a connected socket and two plain-file fds; three of them
also listen inside the range (on ports found free). Runs are interleaved (every tool once per round)
and medians compared as ratios. The ansible-based tools cost seconds per run, so they run fewer rounds
(listen_ports_facts once per P, and not at P=1000 where it needs minutes: it runs `ps` twice per socket).
Only processes this script forks are signalled, by pid, and all of them are stopped at the end.
"""
import os
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".build", "collections"))
from ansible_collections.alertops.remediation.plugins.module_utils import portspec, procfs  # noqa: E402
from ansible_collections.alertops.remediation.plugins.module_utils.port_owners import PortOwners  # noqa: E402

BIN = os.path.dirname(sys.executable)
ENV = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), PYTHONPATH="",
           ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
SIZES = (50, 300, 1000)
ROUNDS = 7
SLOW_ROUNDS = 3


def free_ports_in_range(count):
    found = []
    for port in range(63881, 62880, -1):
        probe = socket.socket()
        try:
            probe.bind(("0.0.0.0", port))
            found.append(port)
        except OSError:
            pass
        finally:
            probe.close()
        if len(found) == count:
            return found
    return found


def start_load(count, in_range):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1024)
    pids = []
    for index in range(count):
        pid = os.fork()
        if pid == 0:
            try:
                listener = socket.socket()
                listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listener.bind(("127.0.0.1", in_range[index] if index < len(in_range) else 0))
                listener.listen(8)
                client = socket.create_connection(server.getsockname())
                files = [open(os.devnull), open(__file__)]
                signal.pause()
                del client, files
            finally:
                os._exit(0)
        pids.append(pid)
    accepted = [server.accept()[0] for _ in range(count)]
    return server, accepted, pids


def stop_load(server, accepted, pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in pids:
        os.waitpid(pid, 0)
    for sock in accepted + [server]:
        sock.close()


def shell(argv, **kwargs):
    return lambda: subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV, **kwargs)


def in_process(ports, states=None):
    spec = portspec.parse_ports(ports)
    expected = dict((p, n) for p, n in portspec.DEFAULT_EXPECTED.items())
    return lambda: PortOwners(spec, expected, portspec.DEFAULT_PROTECTED, states=states).scan()


def psutil_scan():
    import psutil
    low, high = 62881, 63881
    return [(c.laddr.port, c.pid) for c in psutil.net_connections(kind="tcp") if low <= c.laddr.port <= high]


def tools(empty_port):
    ansible = os.path.join(BIN, "ansible")
    return [
        ("port_owners_info (in process)", in_process(portspec.DEFAULT_PORTS), ROUNDS),
        ("port_owners_info, no socket in range (in process)", in_process([empty_port]), ROUNDS),
        # ss -ltnp asks the kernel for LISTEN sockets only; this is the same question (states: listen).
        ("port_owners_info states=listen, no socket in range (in process)", in_process([empty_port], ["LISTEN"]),
         ROUNDS),
        ("netstat -anp | grep -E '(62|63)[0-9]{3}'",
         shell("netstat -anp | grep -E '(62|63)[0-9]{3}'", shell=True), ROUNDS),
        ("ss -ltnp", shell(["ss", "-ltnp"]), ROUNDS),
        ("lsof -iTCP -P -n", shell(["lsof", "-iTCP", "-P", "-n"]), ROUNDS),
        ("psutil.net_connections", psutil_scan, ROUNDS),
        ("ansible -m port_owners_info", shell([ansible, "localhost", "-m", "alertops.remediation.port_owners_info"],
                                              cwd=ROOT), SLOW_ROUNDS),
        ("ansible -m listen_ports_facts", shell([ansible, "localhost", "-m",
                                                 "community.general.listen_ports_facts"], cwd=ROOT), 1),
    ]


def measure(count):
    in_range = free_ports_in_range(4)
    empty_port = in_range.pop()
    load = start_load(count, in_range)
    times = {}
    try:
        time.sleep(0.5)
        candidates = tools(empty_port)
        for round_no in range(ROUNDS):
            for name, run, rounds in candidates:
                if round_no >= rounds or (name.endswith("listen_ports_facts") and count >= 1000):
                    continue
                start = time.perf_counter()
                run()
                times.setdefault(name, []).append(time.perf_counter() - start)
        found = PortOwners(portspec.parse_ports(portspec.DEFAULT_PORTS), {}, []).scan()["sockets"]
        assert set(in_range) <= set(r["local_port"] for r in found if r["pid"]), "load listeners not found"
    finally:
        stop_load(*load)
    return dict((name, statistics.median(values)) for name, values in times.items()), \
        dict((name, len(values)) for name, values in times.items())


def main():
    results = {}
    for count in SIZES:
        results[count] = measure(count)
    names = [name for name, _run, _rounds in tools(1)]
    base = "port_owners_info (in process)"
    lines = ["## port_owners_info vs netstat, ss, lsof, psutil, listen_ports_facts", "",
             "Load: P processes, each with a listening socket, a connected socket and two plain-file fds; three of",
             "them listen inside 62881-63881. Median wall time in ms over interleaved rounds (runs in brackets);",
             "`x` = time / port_owners_info's in-process full scan. listen_ports_facts runs once per P and is",
             "skipped at P=1000 (minutes: it runs `ps` twice per socket).", "",
             "| tool | " + " | ".join("P=%d" % c for c in SIZES) + " |", "|---|" + "---|" * len(SIZES)]
    for name in names:
        cells = []
        for count in SIZES:
            medians, runs = results[count]
            if name not in medians:
                cells.append("skipped")
                continue
            cells.append("%.1f ms (%d) %.2fx" % (medians[name] * 1000, runs[name], medians[name] / medians[base]))
        lines.append("| %s | %s |" % (name, " | ".join(cells)))
    lines += ["", "Targets:"]
    for count in SIZES:
        medians = results[count][0]
        ss = medians["ss -ltnp"]
        lines.append("- P=%d: full scan / ss -ltnp = %.2f (target <= 1); empty range / ss = %.3f all states, %.3f "
                     "LISTEN only like ss -ltnp (target <= 0.1)%s" % (
            count, medians[base] / ss, medians["port_owners_info, no socket in range (in process)"] / ss,
            medians["port_owners_info states=listen, no socket in range (in process)"] / ss,
            "; listen_ports_facts / ansible -m port_owners_info = %.1f, / in-process = %.0f (target >= 50)" % (
                medians["ansible -m listen_ports_facts"] / medians["ansible -m port_owners_info"],
                medians["ansible -m listen_ports_facts"] / medians[base])
            if "ansible -m listen_ports_facts" in medians else ""))
    lines.append("- sockets read through %s." % ("sock_diag netlink" if _netlink_ok() else "/proc/net/tcp (no netlink)"))
    lines.append("- An all-states scan (the module's default: a socket connected out from an agent port blocks a bind "
                 "too) costs the kernel one walk of its whole established-socket hash table, empty buckets included "
                 "(about 1 ms here, whatever the number of sockets); both address families share that one walk "
                 "(TCPDIAG_GETSOCK). ss -ltnp asks for LISTEN sockets only and never pays it.")
    print("\n".join(lines))


def _netlink_ok():
    try:
        procfs._read_netlink(None, None)
        return True
    except OSError:
        return False


if __name__ == "__main__":
    main()
