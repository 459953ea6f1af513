"""up, down and status of the whole lab."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from labkit import agenthosts, hostfiles, inventory, netns, usage, zk
from labkit.base import (COLLECTIONS, CONTROL_DIR, HERE, HOST_PATH, INVENTORY, LABCTL, ROOT, STATE, ZKCTL, LabError,
                         host_dir, log, run, tail)
from labkit.spec import load_spec
from labkit.state import STATE_LOCK, alive, proc_ident, read_state, signal_ident, wait_gone, write_state

sys.path.insert(0, os.path.join(HERE, "zookeeper"))
import zkjava  # noqa: E402  pylint: disable=wrong-import-position

# hosts set up at once: setting one up is mostly waiting (python, sshd, ssh-keygen, ip start-ups)
WORKERS = 8


def preflight():
    problems = []
    if os.geteuid() != 0:
        problems.append("must run as root (namespaces, mounts, veth need CAP_SYS_ADMIN/CAP_NET_ADMIN)")
    for tool in ("ip", "nsenter", "unshare", "mount", "ssh", "ssh-keygen", "java"):
        if not shutil.which(tool, path=HOST_PATH + ":" + os.environ.get("PATH", "")):
            problems.append("missing command %r (apt-get install iproute2 util-linux openssh-client "
                            "default-jre-headless)" % tool)
    if not os.path.exists("/usr/sbin/sshd"):
        problems.append("missing /usr/sbin/sshd (apt-get install openssh-server)")
    if not os.path.exists("/usr/bin/python3"):
        problems.append("missing /usr/bin/python3 (the hosts' Ansible interpreter)")
    if not os.path.isdir(os.path.join(COLLECTIONS, "ansible_collections", "alertops", "remediation", "plugins")):
        problems.append("missing %s/ansible_collections/alertops/remediation (make setup links the checkout "
                        "there; the lab uses the collection's ZooKeeper client)" % COLLECTIONS)
    missing = zkjava.missing_jars()
    if missing:
        problems.append("missing ZooKeeper jars %s (apt-get install zookeeper libslf4j-java "
                        "liblog4j1.2-java libservlet-api-java)" % ", ".join(missing))
    if problems:
        raise LabError("cannot build the lab:\n  - " + "\n  - ".join(problems))


def each(fn, names):
    """{name: fn(name)} for every name, up to WORKERS at once; the first failure is raised once all
    have ended (so nothing is left half set up behind the error)."""
    if len(names) <= 1:
        return {n: fn(n) for n in names}
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(names))) as pool:
        futures = {n: pool.submit(fn, n) for n in names}
    errors = [f.exception() for f in futures.values() if f.exception() is not None]
    if errors:
        raise errors[0]
    return {n: f.result() for n, f in futures.items()}


def remove_host(state, name):
    """stop a host the spec no longer has (a fleet that shrank) and delete its files."""
    netns.stop_host(state["hosts"][name])
    shutil.rmtree(host_dir(name), ignore_errors=True)
    with STATE_LOCK:
        del state["hosts"][name]
        write_state(state)


def up(spec_path=None, alert_url=None, reset=False, quiet=False, agents=None):
    """create the lab or repair it; agents (a number) sets the size of the spec's fleet, which the
    lab then keeps until the next `agents`: hosts are added or removed, the others left as they are."""
    t0 = time.time()
    preflight()
    existed = read_state() is not None
    state = read_state() or {"hosts": {}}
    if agents is None:
        agents = state.get("agents")
    spec = load_spec(spec_path or state.get("spec_path"), agents)
    os.makedirs(STATE, mode=0o755, exist_ok=True)
    if state.get("spec_path") and state["spec_path"] != spec["_path"] and state.get("hosts"):
        raise LabError("the lab is up with spec %s; run `labctl.py down` before using %s"
                       % (state["spec_path"], spec["_path"]))
    if alert_url is None:
        alert_url = state.get("alert_url", "")
    state.update({"spec_path": spec["_path"], "alert_url": alert_url, "root": ROOT, "agents": agents})
    state.setdefault("hosts", {})
    write_state(state)
    names = list(spec["hosts"])
    report = []
    try:
        netns.check_machine_network(spec)
        gone = [n for n in state["hosts"] if n not in spec["hosts"]]
        each(lambda n: remove_host(state, n), gone)
        report += ["host %s removed" % n for n in gone]
        pubkey = hostfiles.ensure_ssh_key()
        each(lambda n: hostfiles.prepare_host_files(spec, n, pubkey, alert_url, reset), names)
        sw_pid, sw_new = netns.ensure_switch(state, spec)
        if sw_new:
            report.append("switch namespace created")
        netns.ensure_controller_link(state, spec, sw_pid)
        made = each(lambda n: netns.ensure_host(state, spec, n, sw_pid), names)
        created = [n for n in names if made[n]]
        report += ["host %s created" % n for n in created]
        for name in names:
            if not netns.wait_port(spec["hosts"][name]["address"], 22, 20):
                raise LabError("host %s: sshd does not answer on %s:22; %s" % (
                    name, spec["hosts"][name]["address"],
                    tail(os.path.join(host_dir(name), "lablog", "sshd.log"))))
        inventory.write_inventory(spec, alert_url)
        zk_hosts = [n for n in names if "zookeeper" in spec["hosts"][n]["groups"]]
        if reset:
            for name in zk_hosts:
                netns.exec_in_host(state, name, [ZKCTL, "stop"], check=False)
        started = [n for n in zk_hosts if zk.ensure_zookeeper(state, n)]
        for name in zk_hosts:  # zkctl start --no-wait returned at once: now wait for each port
            if name in started and not netns.wait_port(spec["hosts"][name]["address"], 2181, 60):
                raise LabError("host %s: ZooKeeper did not open 2181; %s" % (
                    name, tail(os.path.join(host_dir(name), "var", "log", "zookeeper", "zookeeper.log"))))
        if started:
            report.append("ZooKeeper started on %s" % ", ".join(started))
        modes = zk.wait_quorum(spec)
        agent_hosts = [n for n in names if "ocp_agents" in spec["hosts"][n]["groups"]]
        lines = each(lambda n: agenthosts.install_agent(state, spec, n, alert_url, start=n in created or reset),
                     agent_hosts)
        report += [lines[n] for n in agent_hosts if lines[n]]
    except BaseException:
        if not existed:  # a failed first up leaves nothing behind; a failed repair leaves the lab as is
            log("up failed: undoing what it made (labctl.py down)")
            down(quiet=True)
        raise
    state["up_at"] = time.time()
    write_state(state)
    if not quiet:
        for line in report or ["already up: nothing to repair"]:
            log(line)
        log("ZooKeeper: %s" % ", ".join("%s=%s" % kv for kv in sorted(modes.items())))
        log("inventory: %s, %d hosts (%.1fs)" % (os.path.relpath(INVENTORY), len(names), time.time() - t0))
    return report


def set_alert_url(url):
    """point the agents' alerts at url (empty: nowhere) on a lab that is up, and touch nothing else.
    Unlike `up`, which also repairs, this leaves ZooKeeper alone: another test session may have
    stopped a member on purpose. The agents read the URL when they start."""
    state = read_state()
    if not state or not state.get("hosts"):
        raise LabError("the lab is not up")
    spec = load_spec(state["spec_path"], state.get("agents"))
    state["alert_url"] = url or ""
    write_state(state)
    names = list(spec["hosts"])
    each(lambda n: hostfiles.write_host_facts(spec, n, url), names)
    inventory.write_inventory(spec, url)
    agent_hosts = [n for n in names if "ocp_agents" in spec["hosts"][n]["groups"]]
    each(lambda n: agenthosts.install_agent(state, spec, n, url, start=False), agent_hosts)


def scan_lab_processes():
    """lab processes whose state record was lost: our own init/switch (by their argv, which names this
    checkout's labctl.py) and the unshare processes that started them."""
    me = LABCTL
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as fh:
                argv = fh.read().split(b"\0")
        except OSError:
            continue
        argv = [a.decode(errors="replace") for a in argv if a]
        if len(argv) >= 3 and me in argv and argv[argv.index(me) + 1:argv.index(me) + 2] in (["_init"],
                                                                                            ["_switch"]):
            found.append(int(d))
    return found


def down(quiet=False):
    t0 = time.time()
    state = read_state() or {"hosts": {}}
    # 1. ssh multiplexing masters (ControlPersist) that Ansible left behind
    if os.path.isdir(CONTROL_DIR):
        for sock in os.listdir(CONTROL_DIR):
            subprocess.run(["ssh", "-o", "ControlPath=" + os.path.join(CONTROL_DIR, sock), "-O", "exit", "lab"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    # 2. hosts (their init stops every process of the host), then the switch
    recs = list(state.get("hosts", {}).values())
    for rec in recs:
        for key in ("init", "unshare"):
            signal_ident(rec.get(key), signal.SIGTERM)
    for rec in recs:
        netns.stop_host(rec)
    signal_ident(state.get("switch"), signal.SIGTERM)
    if not wait_gone(state.get("switch"), 10):
        signal_ident(state.get("switch"), signal.SIGKILL)
    # 3. anything of ours the state file did not know (crash between spawn and write)
    for pid in scan_lab_processes():
        ident = proc_ident(pid)
        signal_ident(ident, signal.SIGTERM)
        if not wait_gone(ident, 20):
            signal_ident(ident, signal.SIGKILL)
    # 4. the controller veth vanishes with the switch namespace; make sure
    ctl_if = state.get("controller_interface") or "alabops0"
    deadline = time.time() + 5
    while netns.link_exists(ctl_if) and time.time() < deadline:
        time.sleep(0.1)
    if netns.link_exists(ctl_if):
        run(["ip", "link", "del", ctl_if], check=False)
    # 5. files
    shutil.rmtree(STATE, ignore_errors=True)
    if os.path.exists(INVENTORY):
        os.unlink(INVENTORY)
    if not quiet:
        log("down: lab removed (%.1fs)" % (time.time() - t0))


# ---------------------------------------------------------------------------------------- status


def status(as_json=False):
    state = read_state()
    if not state:
        out = {"up": False, "hosts": {}}
    else:
        spec = load_spec(state.get("spec_path"), state.get("agents"))
        costs = usage.host_usage(state)
        hosts = {}
        for name, h in spec["hosts"].items():
            rec = state["hosts"].get(name) or {}
            running = alive(rec.get("init"))
            info = {"address": h["address"], "groups": h["groups"], "running": running,
                    "init_pid": rec.get("init", {}).get("pid"), "usage": costs.get(name)}
            info["ssh"] = running and netns.wait_port(h["address"], 22, 0.5)
            if "zookeeper" in h["groups"]:
                info["zookeeper"] = zk.zk_mode(h["address"]) if running else None
            hosts[name] = info
        out = {"up": all(h["running"] and h["ssh"] for h in hosts.values()) and alive(state.get("switch")),
               "switch": alive(state.get("switch")), "hosts": hosts,
               "inventory": INVENTORY if os.path.exists(INVENTORY) else None,
               "alert_url": state.get("alert_url", ""), "agents": spec["fleet"]["agents"]}
    if as_json:
        print(json.dumps(out, indent=2, sort_keys=True))
    else:
        print("lab: %s" % ("up" if out["up"] else ("down" if not state else "DEGRADED (run labctl.py up)")))
        for name, info in out["hosts"].items():
            extra = " zookeeper=%s" % info["zookeeper"] if "zookeeper" in info else ""
            mem = " %4.0f MiB" % (info["usage"]["pss_kib"] / 1024.0) if info["usage"] else ""
            print("  %-9s %-13s %-8s ssh=%s%s%s" % (name, info["address"],
                                                    "running" if info["running"] else "STOPPED",
                                                    "ok" if info["ssh"] else "no", mem, extra))
    return out
