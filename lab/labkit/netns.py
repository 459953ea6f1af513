"""Namespaces and the lab network: the switch (bridge br0 in its own network namespace), the
controller's veth, one unshare'd host per spec entry with its veth, and running commands inside hosts."""
import os
import signal
import socket
import subprocess
import sys
import time

from labkit.base import (LABCTL, STATE, SWITCH_BRIDGE, LabError, host_dir, host_env, run, tail)
from labkit.state import STATE_LOCK, alive, proc_ident, signal_ident, wait_gone, write_state


def in_netns(pid, argv, check=True):
    return run(["nsenter", "-t", str(pid), "-n", "--"] + argv, check=check)


def nsenter_argv(init_pid):
    return ["nsenter", "-t", str(init_pid), "-n", "-p", "-m", "-u", "-i", "-r", "-w", "--"]


def spawn_detached(argv, logpath):
    os.makedirs(os.path.dirname(logpath), exist_ok=True)
    with open(logpath, "a") as out:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                start_new_session=True, close_fds=True, env=host_env(), cwd="/")


def child_of(pid, timeout=5.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with open("/proc/%d/task/%d/children" % (pid, pid)) as fh:
                kids = fh.read().split()
        except FileNotFoundError:
            return None
        if kids:
            return int(kids[0])
        time.sleep(0.01)
    return None


def wait_own_netns(pid, timeout=5.0):
    """Return once `pid` runs in a network namespace other than this process's: `unshare --net` without
    --fork unshares and execs in the same pid, and nsenter into it before that would act on the machine."""
    own = os.readlink("/proc/self/ns/net")
    deadline = time.time() + timeout
    while True:
        try:
            if os.readlink("/proc/%d/ns/net" % pid) != own:
                return
        except OSError:
            pass
        if time.time() > deadline:
            raise LabError("process %d has no network namespace of its own after %.1fs" % (pid, timeout))
        time.sleep(0.01)


def link_exists(name, netns_pid=None):
    argv = ["ip", "-o", "link", "show", "dev", name]
    p = in_netns(netns_pid, argv, check=False) if netns_pid else run(argv, check=False)
    return p.returncode == 0


def machine_addresses():
    p = run(["ip", "-o", "-4", "addr", "show"], check=False)
    out = []
    for line in p.stdout.splitlines():
        parts = line.split()
        out.append((parts[1], parts[3]))
    return out


def check_machine_network(spec):
    """refuse when something else on the machine already uses 198.18.0.0/24."""
    ctl_if = spec["network"]["controller_interface"]
    for ifname, cidr in machine_addresses():
        if ifname != ctl_if and cidr.startswith("198.18."):
            raise LabError("interface %s on this machine already has %s (the lab needs 198.18.0.0/24)"
                           % (ifname, cidr))


def ensure_switch(state, spec):
    sw = state.get("switch")
    if alive(sw):
        return sw["pid"], False
    proc = spawn_detached(["unshare", "--net", "--", sys.executable, LABCTL, "_switch"],
                          os.path.join(STATE, "switch.log"))
    state["switch"] = proc_ident(proc.pid)
    write_state(state)
    pid = proc.pid
    wait_own_netns(pid)
    in_netns(pid, ["ip", "link", "set", "lo", "up"])
    in_netns(pid, ["ip", "link", "add", SWITCH_BRIDGE, "type", "bridge"])
    in_netns(pid, ["ip", "link", "set", SWITCH_BRIDGE, "up"])
    # br_netfilter's knobs are per network namespace: in the switch namespace bridged frames never
    # go through iptables (the switch namespace has no rules anyway; this makes it explicit).
    for knob in ("bridge-nf-call-iptables", "bridge-nf-call-ip6tables", "bridge-nf-call-arptables"):
        in_netns(pid, ["sh", "-c", "f=/proc/sys/net/bridge/%s; [ ! -e $f ] || echo 0 > $f" % knob], check=False)
    return pid, True


def ensure_controller_link(state, spec, sw_pid):
    ctl_if = spec["network"]["controller_interface"]
    cidr = spec["network"]["controller_address"] + "/24"
    if not link_exists(ctl_if):
        if link_exists("sw-ctl", sw_pid):
            in_netns(sw_pid, ["ip", "link", "del", "sw-ctl"])
        in_netns(sw_pid, ["ip", "link", "add", "sw-ctl", "type", "veth", "peer", "name", ctl_if,
                          "netns", str(os.getpid())])
        in_netns(sw_pid, ["ip", "link", "set", "sw-ctl", "master", SWITCH_BRIDGE, "up"])
    if (ctl_if, cidr) not in machine_addresses():
        run(["ip", "addr", "replace", cidr, "dev", ctl_if])
    run(["ip", "link", "set", ctl_if, "up"])
    state["controller_interface"] = ctl_if
    write_state(state)


def ensure_host(state, spec, name, sw_pid):
    h = spec["hosts"][name]
    rec = state["hosts"].get(name) or {}
    if alive(rec.get("init")) and alive(rec.get("unshare")):
        created = False
        init_pid = rec["init"]["pid"]
    else:
        if rec:
            stop_host(rec)
        ready = os.path.join(host_dir(name), "run", "lab", "init.ready")
        if os.path.exists(ready):
            os.unlink(ready)
        proc = spawn_detached(
            ["unshare", "--net", "--pid", "--mount", "--uts", "--ipc", "--fork", "--kill-child=SIGTERM",
             "--propagation", "private", "--", sys.executable, LABCTL, "_init", name],
            os.path.join(host_dir(name), "lablog", "unshare.log"))
        rec = {"unshare": proc_ident(proc.pid), "address": h["address"]}
        with STATE_LOCK:
            state["hosts"][name] = rec
            write_state(state)
        init_pid = child_of(proc.pid)
        if not init_pid:
            raise LabError("host %s: unshare did not start the init (see %s)" %
                           (name, os.path.join(host_dir(name), "lablog")))
        with STATE_LOCK:
            rec["init"] = proc_ident(init_pid)
            write_state(state)
        deadline = time.time() + 15
        while not os.path.exists(ready):
            if time.time() > deadline or proc.poll() is not None:
                raise LabError("host %s: init did not come up; %s" % (name, tail(
                    os.path.join(host_dir(name), "lablog", "init.log"))))
            time.sleep(0.02)
        created = True
    veth = "v-" + name
    if not link_exists("eth0", init_pid):
        if link_exists(veth, sw_pid):
            in_netns(sw_pid, ["ip", "link", "del", veth])
        in_netns(sw_pid, ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0",
                          "address", host_mac(h["address"]), "netns", str(init_pid)])
    in_netns(sw_pid, ["ip", "link", "set", veth, "master", SWITCH_BRIDGE, "up"])
    in_netns(init_pid, ["ip", "link", "set", "lo", "up"])
    in_netns(init_pid, ["ip", "addr", "replace", h["address"] + "/24", "dev", "eth0"])
    in_netns(init_pid, ["ip", "link", "set", "eth0", "up"])
    return created


def host_mac(address):
    """a host's eth0 MAC, made from its address (locally administered, 02:00:c6:12:00:<last octet>): a host
    made again at the same address keeps it, so ARP caches that still hold it stay right."""
    return "02:00:c6:12:00:%02x" % int(address.rsplit(".", 1)[1])


def wait_port(addr, port, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((addr, port), timeout=1.0) as s:
                if port == 22:
                    s.settimeout(2.0)
                    if s.recv(4).startswith(b"SSH"):
                        return True
                else:
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    return False


def exec_in_host(state, name, argv, check=True, timeout=None, input=None, capture=True):
    rec = state["hosts"].get(name)
    if not rec or not alive(rec.get("init")):
        raise LabError("lab host %s is not running (make lab-up)" % name)
    p = subprocess.run(nsenter_argv(rec["init"]["pid"]) + list(argv), env=host_env(), text=True,
                       input=input, timeout=timeout,
                       stdout=subprocess.PIPE if capture else None,
                       stderr=subprocess.PIPE if capture else None,
                       stdin=None if input is not None else subprocess.DEVNULL)
    if check and p.returncode != 0:
        raise LabError("%s: %s failed (rc=%s): %s%s" % (name, " ".join(argv), p.returncode,
                                                         p.stdout or "", p.stderr or ""))
    return p


def stop_host(rec):
    for key in ("init", "unshare"):
        signal_ident(rec.get(key), signal.SIGTERM)
    for key in ("init", "unshare"):
        if not wait_gone(rec.get(key), 20):
            signal_ident(rec.get(key), signal.SIGKILL)
            wait_gone(rec.get(key), 5)
