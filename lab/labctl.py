#!/usr/bin/env python3
"""labctl: build, inspect and remove the built-in lab (see lab/README.md).

    labctl.py up [--spec FILE] [--alertmanager-url URL] [--reset]
    labctl.py down
    labctl.py status [--json]
    labctl.py exec HOST -- ARGV...

Every lab host is a small "machine" made of Linux namespaces: its own network namespace (one veth
onto a bridge that lives in a dedicated "switch" network namespace), its own PID namespace whose
pid 1 is the lab init below (`labctl.py _init HOST`), its own UTS namespace (hostname) and its own
mount namespace in which the standard paths are bind mounts of per-host directories under
lab/.state/hosts/<host>/. No namespace is named (nothing under /run/netns): every namespace lives
exactly as long as the lab's processes, so killing them (by recorded pid) removes everything.
The machine gets one veth (198.18.0.1/24) into the switch namespace.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
STATE = os.path.join(HERE, ".state")
STATE_FILE = os.path.join(STATE, "lab.json")
DEFAULT_SPEC = os.path.join(HERE, "spec.yml")
INVENTORY = os.path.join(HERE, "inventory.yml")
SSH_DIR = os.path.join(STATE, "ssh")
SSH_KEY = os.path.join(SSH_DIR, "id_ed25519")
CONTROL_DIR = os.path.join(STATE, "cp")
FAULTS_FILE = os.path.join(STATE, "faults.json")
ZKCTL = os.path.join(HERE, "zookeeper", "zkctl")
SUBNET_PREFIX = "198.18.0."
# one JVM option per item; nothing a shell or java.env's quoting would read differently
JVM_FLAG_RE = re.compile(r"^-[A-Za-z0-9_.:+=/,-]+$")
SWITCH_BRIDGE = "br0"
HOST_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# per-host directories (relative to lab/.state/hosts/<host>/) and where they appear inside the host
BIND_DIRS = (
    ("home", "/home"),                    # /home/admin (and /home/admin/ocp_agent) per host
    ("etc/zookeeper", "/etc/zookeeper"),
    ("var/lib/zookeeper", "/var/lib/zookeeper"),
    ("var/log/zookeeper", "/var/log/zookeeper"),
    ("etc/sysctl.d", "/etc/sysctl.d"),
    ("run", "/run"),
    ("tmp", "/tmp"),
)
BIND_FILES = (("etc/hosts", "/etc/hosts"), ("etc/hostname", "/etc/hostname"))


class LabError(Exception):
    pass


def log(msg):
    sys.stderr.write("labctl: %s\n" % msg)
    sys.stderr.flush()


# ---------------------------------------------------------------------------------------- spec

def load_spec(path=None):
    path = path or DEFAULT_SPEC
    spec = read_spec_file(path)
    net = spec.setdefault("network", {})
    net.setdefault("controller_address", SUBNET_PREFIX + "1")
    net.setdefault("controller_interface", "alabops0")
    zk_defaults = spec.setdefault("zookeeper", {})
    hosts = spec.get("hosts") or {}
    if not hosts:
        raise LabError("%s: no hosts" % path)
    seen = {net["controller_address"]}
    for name, h in hosts.items():
        if not name.replace("-", "").isalnum() or len(name) > 12:
            raise LabError("%s: bad host name %r (letters, digits, '-', at most 12)" % (path, name))
        addr = str(h.get("address", ""))
        if not addr.startswith(SUBNET_PREFIX) or not addr[len(SUBNET_PREFIX):].isdigit() \
                or not 2 <= int(addr[len(SUBNET_PREFIX):]) <= 254:
            raise LabError("%s: host %s: address %r is not in 198.18.0.2-254" % (path, name, addr))
        if addr in seen:
            raise LabError("%s: host %s: address %s used twice" % (path, name, addr))
        seen.add(addr)
        h["address"] = addr
        h["groups"] = list(h.get("groups") or [])
        if "zookeeper" in h["groups"]:
            zk = dict(zk_defaults)
            zk.update(h.get("zookeeper") or {})
            if "myid" not in zk:
                raise LabError("%s: zookeeper host %s has no zookeeper.myid" % (path, name))
            check_zookeeper_options(path, name, zk)
            h["zookeeper"] = zk
        if "ocp_agents" in h["groups"]:
            flavor = h.get("ocp_agent_flavor", "agentctl")
            if flavor not in ("legacy", "agentctl"):
                raise LabError("%s: host %s: ocp_agent_flavor %r is not legacy|agentctl" % (path, name, flavor))
            h["ocp_agent_flavor"] = flavor
    peers = [h["zookeeper"]["peer_type"] for h in hosts.values() if "zookeeper" in h]
    if "observer" in peers and peers.count("participant") < 2:
        # with one participant ZooKeeper runs standalone and an observer has no leader to follow
        raise LabError("%s: an observer needs at least 2 participants (has %d)" % (path, peers.count("participant")))
    spec["_path"] = os.path.abspath(path)
    return spec


def read_spec_file(path, depth=0):
    """the spec's YAML; `extends: FILE` (relative to the spec) starts from that spec: its network and
    zookeeper defaults under the file's own, its hosts first, a host of the same name replaced."""
    import yaml  # only the controller side needs PyYAML; the in-host init does not load the spec

    with open(path) as fh:
        spec = yaml.safe_load(fh) or {}
    base = spec.pop("extends", None)
    if base is None:
        return spec
    if depth > 4:
        raise LabError("%s: `extends` nests deeper than 5 files" % path)
    parent = read_spec_file(os.path.join(os.path.dirname(os.path.abspath(path)), base), depth + 1)
    for key in ("network", "zookeeper"):
        parent[key] = dict(parent.get(key) or {}, **(spec.get(key) or {}))
    parent["hosts"] = dict(parent.get("hosts") or {}, **(spec.get("hosts") or {}))
    return parent


def check_zookeeper_options(path, name, zk):
    """peer_type and jvm_flags of a ZooKeeper host: what zoo.cfg and java.env are written from."""
    zk.setdefault("peer_type", "participant")
    if zk["peer_type"] not in ("participant", "observer"):
        raise LabError("%s: host %s: zookeeper.peer_type %r is not participant|observer" % (path, name, zk["peer_type"]))
    flags = zk.setdefault("jvm_flags", [])
    if not isinstance(flags, list) or not all(isinstance(f, str) and JVM_FLAG_RE.match(f) for f in flags):
        raise LabError("%s: host %s: zookeeper.jvm_flags must be a list of JVM options such as "
                       "-XX:+DisableAttachMechanism (one option per item, no spaces), got %r" % (path, name, flags))
    heap = zk.get("heap_mb", 128)
    if isinstance(heap, bool) or not isinstance(heap, int) or not 32 <= heap <= 4096:
        raise LabError("%s: host %s: zookeeper.heap_mb %r is not a number of MB in 32-4096" % (path, name, heap))


# ---------------------------------------------------------------------------------------- state

def read_state():
    try:
        with open(STATE_FILE) as fh:
            return json.load(fh)
    except FileNotFoundError:
        return None


def write_state(state):
    os.makedirs(STATE, exist_ok=True)
    tmp = STATE_FILE + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(state, fh, indent=2, sort_keys=True)
    os.replace(tmp, STATE_FILE)


def proc_start(pid):
    """start time of pid (clock ticks since boot) or None: with the pid it identifies a process."""
    try:
        with open("/proc/%d/stat" % pid) as fh:
            data = fh.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = data[data.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


def proc_ident(pid):
    return {"pid": pid, "start": proc_start(pid)}


def alive(ident):
    return bool(ident) and ident.get("pid") and proc_start(ident["pid"]) == ident.get("start") \
        and ident.get("start") is not None


def run(argv, check=True, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("text", True)
    p = subprocess.run(argv, **kw)
    if check and p.returncode != 0:
        raise LabError("%s failed (rc=%s): %s" % (" ".join(argv), p.returncode, (p.stderr or "").strip()))
    return p


def in_netns(pid, argv, check=True):
    return run(["nsenter", "-t", str(pid), "-n", "--"] + argv, check=check)


def host_env():
    return {"PATH": HOST_PATH, "HOME": "/root", "LANG": "C.UTF-8", "USER": "root", "LOGNAME": "root",
            "SHELL": "/bin/bash", "TERM": os.environ.get("TERM", "dumb")}


def nsenter_argv(init_pid):
    return ["nsenter", "-t", str(init_pid), "-n", "-p", "-m", "-u", "-i", "-r", "-w", "--"]


# ---------------------------------------------------------------------------------------- preflight

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
    sys.path.insert(0, os.path.join(HERE, "zookeeper"))
    import zkjava  # noqa: E402

    missing = zkjava.missing_jars()
    if missing:
        problems.append("missing ZooKeeper jars %s (apt-get install zookeeper libslf4j-java "
                        "liblog4j1.2-java libservlet-api-java)" % ", ".join(missing))
    if problems:
        raise LabError("cannot build the lab:\n  - " + "\n  - ".join(problems))


# ---------------------------------------------------------------------------------------- files

def host_dir(name):
    return os.path.join(STATE, "hosts", name)


def write_file(path, text, mode=0o644, in_place=False):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if in_place and os.path.exists(path):  # bind-mounted files keep their inode
        with open(path, "r+") as fh:
            if fh.read() != text:
                fh.seek(0)
                fh.write(text)
                fh.truncate()
        return
    tmp = path + ".tmp"
    with open(tmp, "w") as fh:
        fh.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def ensure_ssh_key():
    os.makedirs(SSH_DIR, mode=0o700, exist_ok=True)
    os.makedirs(CONTROL_DIR, mode=0o700, exist_ok=True)
    if not os.path.exists(SSH_KEY):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alertops-lab", "-f", SSH_KEY])
    with open(SSH_KEY + ".pub") as fh:
        return fh.read()


def zoo_cfg(spec, name):
    zk = spec["hosts"][name]["zookeeper"]
    lines = [
        "# written by lab/labctl.py for lab host %s" % name,
        "tickTime=%s" % zk.get("tick_time", 2000),
        "initLimit=%s" % zk.get("init_limit", 10),
        "syncLimit=%s" % zk.get("sync_limit", 5),
        "dataDir=/var/lib/zookeeper",
        "clientPort=%s" % zk.get("client_port", 2181),
        "maxClientCnxns=%s" % zk.get("max_client_cnxns", 20),
        "admin.enableServer=true",
        "admin.serverPort=%s" % zk.get("admin_port", 8080),
        "4lw.commands.whitelist=%s" % zk.get("four_letter_words", "srvr,mntr,conf,cons,ruok"),
        "autopurge.snapRetainCount=3",
        "autopurge.purgeInterval=1",
    ]
    if zk["peer_type"] == "observer":
        lines.append("peerType=observer")
    for other, h in spec["hosts"].items():
        if "zookeeper" in h["groups"]:
            suffix = ":observer" if h["zookeeper"]["peer_type"] == "observer" else ""
            lines.append("server.%s=%s:2888:3888%s" % (h["zookeeper"]["myid"], h["address"], suffix))
    return "\n".join(lines) + "\n"


def java_env(zk):
    """conf/java.env, the file ZooKeeper's own scripts source for the server's JVM; zkctl reads it."""
    return "# written by lab/labctl.py from the lab spec\nZK_SERVER_HEAP=%d\nSERVER_JVMFLAGS=\"%s\"\n" % (
        zk.get("heap_mb", 128), " ".join(zk["jvm_flags"]))


def log4j_properties(zk):
    src = "/etc/zookeeper/conf_example/log4j.properties"
    text = open(src).read() if os.path.exists(src) else ""
    out = []
    for line in text.splitlines():
        if line.startswith("log4j.appender.ROLLINGFILE.MaxFileSize"):
            line = "log4j.appender.ROLLINGFILE.MaxFileSize=%s" % zk.get("log_max_file_size", "5MB")
        elif line.lstrip("#").startswith("log4j.appender.ROLLINGFILE.MaxBackupIndex"):
            line = "log4j.appender.ROLLINGFILE.MaxBackupIndex=%s" % zk.get("log_max_backup_index", 5)
        elif line.startswith("log4j.appender.ROLLINGFILE.Threshold"):
            line = "log4j.appender.ROLLINGFILE.Threshold=INFO"
        out.append(line)
    if not any(x.startswith("log4j.appender.ROLLINGFILE=") for x in out):  # package file missing
        out = [
            "log4j.rootLogger=${zookeeper.root.logger}",
            "log4j.appender.ROLLINGFILE=org.apache.log4j.RollingFileAppender",
            "log4j.appender.ROLLINGFILE.Threshold=INFO",
            "log4j.appender.ROLLINGFILE.File=${zookeeper.log.dir}/zookeeper.log",
            "log4j.appender.ROLLINGFILE.MaxFileSize=%s" % zk.get("log_max_file_size", "5MB"),
            "log4j.appender.ROLLINGFILE.MaxBackupIndex=%s" % zk.get("log_max_backup_index", 5),
            "log4j.appender.ROLLINGFILE.layout=org.apache.log4j.PatternLayout",
            "log4j.appender.ROLLINGFILE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n",
        ]
    return "\n".join(out) + "\n"


def host_facts(spec, name, alert_url):
    h = spec["hosts"][name]
    facts = {"host": name, "address": h["address"], "groups": h["groups"],
             "controller_address": spec["network"]["controller_address"], "alert_url": alert_url or "",
             "lab_root": ROOT}
    if "ocp_agent_flavor" in h:
        facts["ocp_agent_flavor"] = h["ocp_agent_flavor"]
    if "zookeeper" in h:
        facts["zookeeper_myid"] = h["zookeeper"]["myid"]
        facts["zookeeper_peer_type"] = h["zookeeper"]["peer_type"]
    return facts


def prepare_host_files(spec, name, pubkey, alert_url, reset=False):
    """Create the host's directory tree; config files only when new (or reset): roles edit them."""
    hd = host_dir(name)
    fresh = not os.path.isdir(hd)
    for rel, _ in BIND_DIRS:
        os.makedirs(os.path.join(hd, rel), exist_ok=True)
    os.chmod(os.path.join(hd, "tmp"), 0o1777)
    os.makedirs(os.path.join(hd, "home", "admin"), exist_ok=True)
    os.makedirs(os.path.join(hd, "run", "sshd"), mode=0o755, exist_ok=True)
    os.makedirs(os.path.join(hd, "run", "lab"), exist_ok=True)
    os.makedirs(os.path.join(hd, "lablog"), exist_ok=True)
    h = spec["hosts"][name]
    hosts_lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
                   "%s\tcontroller" % spec["network"]["controller_address"]]
    hosts_lines += ["%s\t%s" % (o["address"], n) for n, o in spec["hosts"].items()]
    write_file(os.path.join(hd, "etc", "hosts"), "\n".join(hosts_lines) + "\n", in_place=True)
    write_file(os.path.join(hd, "etc", "hostname"), name + "\n", in_place=True)
    write_file(os.path.join(hd, "run", "lab", "host.json"),
               json.dumps(host_facts(spec, name, alert_url), indent=2, sort_keys=True) + "\n")
    # sshd: per-host host key, root login by the lab key only
    sd = os.path.join(hd, "sshd")
    os.makedirs(sd, mode=0o700, exist_ok=True)
    hostkey = os.path.join(sd, "ssh_host_ed25519_key")
    if not os.path.exists(hostkey):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lab-" + name, "-f", hostkey])
    write_file(os.path.join(sd, "authorized_keys"), pubkey, 0o600)
    write_file(os.path.join(sd, "sshd_config"), "\n".join([
        "# lab host %s (written by lab/labctl.py)" % name,
        "Port 22",
        "ListenAddress 0.0.0.0",
        "HostKey %s" % hostkey,
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "AuthorizedKeysFile %s" % os.path.join(sd, "authorized_keys"),
        "StrictModes no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "UseDNS no",
        "PrintMotd no",
        "PidFile /run/sshd.pid",
        "MaxStartups 100:30:200",
        "MaxSessions 100",
        "AcceptEnv LANG LC_*",
        "Subsystem sftp /usr/lib/openssh/sftp-server",
        "",
    ]))
    if "zookeeper" in h:
        zk = h["zookeeper"]
        conf = os.path.join(hd, "etc", "zookeeper", "conf")
        os.makedirs(conf, exist_ok=True)
        if reset or not os.path.exists(os.path.join(conf, "zoo.cfg")):
            write_file(os.path.join(conf, "zoo.cfg"), zoo_cfg(spec, name))
        if reset or not os.path.exists(os.path.join(conf, "log4j.properties")):
            write_file(os.path.join(conf, "log4j.properties"), log4j_properties(zk))
        if reset or not os.path.exists(os.path.join(conf, "java.env")):
            write_file(os.path.join(conf, "java.env"), java_env(zk))
        write_file(os.path.join(conf, "myid"), "%s\n" % zk["myid"])
        write_file(os.path.join(hd, "var", "lib", "zookeeper", "myid"), "%s\n" % zk["myid"])
        if reset:
            for sub in ("version-2",):
                shutil.rmtree(os.path.join(hd, "var", "lib", "zookeeper", sub), ignore_errors=True)
    return fresh


# ---------------------------------------------------------------------------------------- the in-host init

def init_main(name):
    """pid 1 of a lab host: set up the mount namespace, run sshd, reap zombies, stop all on SIGTERM."""
    hd = host_dir(name)
    logf = open(os.path.join(hd, "lablog", "init.log"), "a", buffering=1)

    def say(msg):
        logf.write("%s init[%s]: %s\n" % (time.strftime("%H:%M:%S"), name, msg))

    def sh(argv):
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            raise LabError("%s: %s" % (" ".join(argv), p.stdout.strip()))

    os.environ.clear()
    os.environ.update(host_env())
    try:
        sh(["mount", "--make-rprivate", "/"])
        # A checkout under one of the per-host paths (a clone in /tmp, say) would vanish inside the host
        # once that path is the host's own, and with it the host's state, sshd config and the lab's
        # scripts. Such paths are mounted last, and the checkout is then put back at its own path from a
        # descriptor opened before it was hidden.
        root_fd = os.open(ROOT, os.O_RDONLY | os.O_DIRECTORY)
        mounts = [(os.path.join(hd, rel), target) for rel, target in BIND_DIRS + BIND_FILES]
        hiding = [m for m in mounts if ROOT == m[1] or ROOT.startswith(m[1].rstrip("/") + "/")]
        for source, target in [m for m in mounts if m not in hiding] + hiding:
            sh(["mount", "--bind", source, target])
            if (source, target) in hiding:
                os.makedirs(ROOT, exist_ok=True)
                p = subprocess.run(["mount", "--no-canonicalize", "--bind", "/proc/self/fd/%d" % root_fd, ROOT],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                   pass_fds=(root_fd,), check=False)
                if p.returncode != 0:
                    raise LabError("putting the checkout back at %s: %s" % (ROOT, p.stdout.strip()))
        os.close(root_fd)
        sh(["mount", "-t", "proc", "-o", "nosuid,nodev,noexec", "proc", "/proc"])
        # Only the network namespace's sysctls (/proc/sys/net) are the host's own: the rest of /proc/sys
        # is the machine's kernel, so it is read-only here (a `sysctl --system` in a host cannot
        # change the machine).
        sh(["mount", "--bind", "/proc/sys/net", "/proc/sys/net"])
        sh(["mount", "--rbind", "/proc/sys", "/proc/sys"])
        sh(["mount", "-o", "remount,bind,ro", "/proc/sys"])
        try:
            sh(["mount", "-t", "sysfs", "-o", "nosuid,nodev,noexec", "sysfs", "/sys"])
        except LabError as exc:  # nice to have (/sys/class/net of this host), not needed
            say("sysfs not mounted: %s" % exc)
        socket.sethostname(name)
        os.chdir("/")
    except Exception as exc:  # noqa: BLE001 - report and die: labctl up sees the init gone
        say("setup failed: %s" % exc)
        sys.exit(1)

    stopping = []

    def on_term(signum, frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    sshd_cfg = os.path.join(hd, "sshd", "sshd_config")
    sshd_log = os.path.join(hd, "lablog", "sshd.log")
    sshd = None
    last_start = 0.0
    with open(os.path.join(hd, "run", "lab", "init.ready"), "w") as fh:
        fh.write("%d\n" % os.getpid())
    say("ready")
    while not stopping:
        if sshd is None and time.time() - last_start > 1.0:
            last_start = time.time()
            with open(sshd_log, "a") as out:
                sshd = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", sshd_cfg],
                                        stdin=subprocess.DEVNULL, stdout=out, stderr=out)
            say("sshd started, pid %d" % sshd.pid)
        while True:  # reap every exited child (we are every orphan's parent)
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if sshd is not None and pid == sshd.pid:
                sshd.returncode = status
                say("sshd exited (status %d), restarting" % status)
                sshd = None
        time.sleep(0.2)
    say("SIGTERM: stopping every process of the host")
    for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.kill(-1, sig)
        except ProcessLookupError:
            pass
        deadline = time.time() + grace
        while time.time() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                time.sleep(0.05)
        else:
            continue
        break
    say("stopped")
    sys.exit(0)


def switch_main():
    """holds the switch network namespace open until SIGTERM."""
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    while True:
        signal.pause()


# ---------------------------------------------------------------------------------------- up

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
    proc = spawn_detached(["unshare", "--net", "--", sys.executable, os.path.abspath(__file__), "_switch"],
                          os.path.join(STATE, "switch.log"))
    state["switch"] = proc_ident(proc.pid)
    write_state(state)
    pid = proc.pid
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
             "--propagation", "private", "--", sys.executable, os.path.abspath(__file__), "_init", name],
            os.path.join(host_dir(name), "lablog", "unshare.log"))
        rec = {"unshare": proc_ident(proc.pid), "address": h["address"]}
        state["hosts"][name] = rec
        write_state(state)
        init_pid = child_of(proc.pid)
        if not init_pid:
            raise LabError("host %s: unshare did not start the init (see %s)" %
                           (name, os.path.join(host_dir(name), "lablog")))
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
                          "netns", str(init_pid)])
    in_netns(sw_pid, ["ip", "link", "set", veth, "master", SWITCH_BRIDGE, "up"])
    in_netns(init_pid, ["ip", "link", "set", "lo", "up"])
    in_netns(init_pid, ["ip", "addr", "replace", h["address"] + "/24", "dev", "eth0"])
    in_netns(init_pid, ["ip", "link", "set", "eth0", "up"])
    return created


def tail(path, n=20):
    try:
        with open(path, errors="replace") as fh:
            return "".join(fh.readlines()[-n:])
    except FileNotFoundError:
        return "(no %s)" % path


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


def four_letter(addr, word, port=2181, timeout=3.0):
    with socket.create_connection((addr, port), timeout=timeout) as s:
        s.sendall(word.encode())
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    return b"".join(chunks).decode(errors="replace")


def zk_mode(addr):
    try:
        for line in four_letter(addr, "srvr").splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def wait_quorum(spec, timeout=60):
    zk_hosts = [n for n, h in spec["hosts"].items() if "zookeeper" in h["groups"]]
    if not zk_hosts:
        return {}
    observers = [n for n in zk_hosts if spec["hosts"][n]["zookeeper"]["peer_type"] == "observer"]
    deadline = time.time() + timeout
    while True:
        modes = {n: zk_mode(spec["hosts"][n]["address"]) for n in zk_hosts}
        vals = list(modes.values())
        if len(zk_hosts) == 1 and vals == ["standalone"]:
            return modes
        if vals.count("leader") == 1 and vals.count("follower") == len(zk_hosts) - len(observers) - 1 \
                and all(modes[n] == "observer" for n in observers):
            return modes
        if time.time() > deadline:
            raise LabError("ZooKeeper has no quorum after %ds: %s" % (timeout, modes))
        time.sleep(0.3)


def write_inventory(spec, alert_url):
    import yaml

    common = ("-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o GlobalKnownHostsFile=/dev/null "
              "-o LogLevel=ERROR -o ConnectTimeout=10 -o ControlMaster=auto -o ControlPersist=60s "
              "-o ControlPath=%s/%%C" % CONTROL_DIR)
    groups = {}
    hostvars = {}
    for name, h in spec["hosts"].items():
        hv = {"ansible_host": h["address"], "ansible_user": "root",
              "ansible_ssh_private_key_file": SSH_KEY, "ansible_ssh_common_args": common,
              "ansible_python_interpreter": "/usr/bin/python3", "ansible_ssh_pipelining": True,
              "ansible_remote_tmp": "/tmp/.ansible/tmp", "lab_host": True}
        if "ocp_agent_flavor" in h:
            hv["ocp_agent_flavor"] = h["ocp_agent_flavor"]
        if "zookeeper" in h:
            hv.update({"zookeeper_connections_service_command": [ZKCTL],
                       "zookeeper_connections_conf_path": "/etc/zookeeper/conf/zoo.cfg",
                       "zookeeper_connections_log_dir": "/var/log/zookeeper",
                       "lab_zookeeper_myid": h["zookeeper"]["myid"],
                       "lab_zookeeper_peer_type": h["zookeeper"]["peer_type"]})
        hostvars[name] = hv
        for g in h["groups"] or ["ungrouped"]:
            groups.setdefault(g, {})[name] = None
    for g in ("ocp_agents", "zookeeper", "zookeeper_clients"):
        groups.setdefault(g, {})
    inv = {"all": {"vars": {"lab_alert_url": alert_url or "",
                            "lab_controller_address": spec["network"]["controller_address"]},
                   "hosts": hostvars,
                   "children": {g: {"hosts": members} for g, members in groups.items()}}}
    text = "# generated by lab/labctl.py up: do not edit (lab/spec.yml is the source)\n"
    text += yaml.safe_dump(inv, default_flow_style=False, sort_keys=False)
    write_file(INVENTORY, text)


def ensure_zookeeper(state, spec, name, created):
    """start ZooKeeper on a zk host when it is not running (zkctl start is a no-op when it runs)."""
    p = exec_in_host(state, name, [ZKCTL, "status"], check=False)
    if p.returncode == 0:
        return False
    exec_in_host(state, name, [ZKCTL, "start", "--no-wait"])
    return True


def install_agent(state, spec, name, alert_url, start):
    """lay out the OCP-Agent simulator on an agent host (lab/ocp_agent/install.py, idempotent) and
    start the agent when the host is new. Returns a report line or None."""
    installer = os.path.join(HERE, "ocp_agent", "install.py")
    if not os.path.exists(installer):
        return None
    flavor = spec["hosts"][name]["ocp_agent_flavor"]
    argv = ["/usr/bin/python3", installer, "--home", "/home/admin/ocp_agent", "--flavor", flavor,
            "--svr-ip", spec["hosts"][name]["address"]]
    if alert_url:
        argv += ["--alert-url", alert_url]
    p = exec_in_host(state, name, argv, check=True, timeout=120)
    try:
        changed = json.loads(p.stdout.strip().splitlines()[-1]).get("changed")
    except (ValueError, IndexError, AttributeError):
        changed = True
    if not start:
        return "OCP-Agent simulator (%s) on %s updated" % (flavor, name) if changed else None
    if flavor == "legacy":
        ctl = ["/bin/sh", "-c", "cd /home/admin/ocp_agent && exec /usr/bin/python3 ocp_agent_ctl.py start ocp_agent"]
    else:
        ctl = ["/home/admin/ocp_agent/bin/ocp_agentctl", "start"]
    exec_in_host(state, name, ctl, check=True, timeout=120)
    return "OCP-Agent simulator (%s) installed and started on %s" % (flavor, name)


def up(spec_path=None, alert_url=None, reset=False, quiet=False):
    t0 = time.time()
    preflight()
    spec = load_spec(spec_path or ((read_state() or {}).get("spec_path")))
    os.makedirs(STATE, mode=0o755, exist_ok=True)
    existed = read_state() is not None
    state = read_state() or {"hosts": {}}
    if state.get("spec_path") and state["spec_path"] != spec["_path"] and state.get("hosts"):
        raise LabError("the lab is up with spec %s; run `labctl.py down` before using %s"
                       % (state["spec_path"], spec["_path"]))
    if alert_url is None:
        alert_url = state.get("alert_url", "")
    state.update({"spec_path": spec["_path"], "alert_url": alert_url, "root": ROOT})
    state.setdefault("hosts", {})
    write_state(state)
    report = []
    try:
        check_machine_network(spec)
        pubkey = ensure_ssh_key()
        fresh = {n: prepare_host_files(spec, n, pubkey, alert_url, reset) for n in spec["hosts"]}
        sw_pid, sw_new = ensure_switch(state, spec)
        if sw_new:
            report.append("switch namespace created")
        ensure_controller_link(state, spec, sw_pid)
        created = [n for n in spec["hosts"] if ensure_host(state, spec, n, sw_pid)]
        report += ["host %s created" % n for n in created]
        for name in spec["hosts"]:
            if not wait_port(spec["hosts"][name]["address"], 22, 20):
                raise LabError("host %s: sshd does not answer on %s:22; %s" % (
                    name, spec["hosts"][name]["address"],
                    tail(os.path.join(host_dir(name), "lablog", "sshd.log"))))
        write_inventory(spec, alert_url)
        zk_hosts = [n for n, h in spec["hosts"].items() if "zookeeper" in h["groups"]]
        if reset:
            for name in zk_hosts:
                exec_in_host(state, name, [ZKCTL, "stop"], check=False)
        started = [n for n in zk_hosts if ensure_zookeeper(state, spec, n, fresh[n])]
        for name in zk_hosts:  # zkctl start --no-wait returned at once: now wait for each port
            if name in started and not wait_port(spec["hosts"][name]["address"], 2181, 60):
                raise LabError("host %s: ZooKeeper did not open 2181; %s" % (
                    name, tail(os.path.join(host_dir(name), "var", "log", "zookeeper", "zookeeper.log"))))
        if started:
            report.append("ZooKeeper started on %s" % ", ".join(started))
        modes = wait_quorum(spec)
        for name, h in spec["hosts"].items():
            if "ocp_agents" in h["groups"]:
                line = install_agent(state, spec, name, alert_url, start=name in created or reset)
                if line:
                    report.append(line)
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
        log("inventory: %s (%.1fs)" % (os.path.relpath(INVENTORY), time.time() - t0))
    return report


# ---------------------------------------------------------------------------------------- down

def wait_gone(ident, timeout):
    deadline = time.time() + timeout
    while alive(ident):
        if time.time() > deadline:
            return False
        time.sleep(0.05)
    return True


def signal_ident(ident, sig):
    if alive(ident):
        try:
            os.kill(ident["pid"], sig)
        except ProcessLookupError:
            pass


def stop_host(rec):
    for key in ("init", "unshare"):
        signal_ident(rec.get(key), signal.SIGTERM)
    for key in ("init", "unshare"):
        if not wait_gone(rec.get(key), 20):
            signal_ident(rec.get(key), signal.SIGKILL)
            wait_gone(rec.get(key), 5)


def scan_lab_processes():
    """lab processes whose state record was lost: our own init/switch (by their argv, which names this
    checkout's labctl.py) and the unshare processes that started them."""
    me = os.path.abspath(__file__)
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
        stop_host(rec)
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
    while link_exists(ctl_if) and time.time() < deadline:
        time.sleep(0.1)
    if link_exists(ctl_if):
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
        spec = load_spec(state.get("spec_path"))
        hosts = {}
        for name, h in spec["hosts"].items():
            rec = state["hosts"].get(name) or {}
            running = alive(rec.get("init"))
            info = {"address": h["address"], "groups": h["groups"], "running": running,
                    "init_pid": rec.get("init", {}).get("pid")}
            info["ssh"] = running and wait_port(h["address"], 22, 0.5)
            if "zookeeper" in h["groups"]:
                info["zookeeper"] = zk_mode(h["address"]) if running else None
            hosts[name] = info
        out = {"up": all(h["running"] and h["ssh"] for h in hosts.values()) and alive(state.get("switch")),
               "switch": alive(state.get("switch")), "hosts": hosts,
               "inventory": INVENTORY if os.path.exists(INVENTORY) else None,
               "alert_url": state.get("alert_url", "")}
    if as_json:
        print(json.dumps(out, indent=2, sort_keys=True))
    else:
        print("lab: %s" % ("up" if out["up"] else ("down" if not state else "DEGRADED (run labctl.py up)")))
        for name, info in out["hosts"].items():
            extra = " zookeeper=%s" % info["zookeeper"] if "zookeeper" in info else ""
            print("  %-8s %-13s %-8s ssh=%s%s" % (name, info["address"],
                                                  "running" if info["running"] else "STOPPED",
                                                  "ok" if info["ssh"] else "no", extra))
    return out


# ---------------------------------------------------------------------------------------- main

def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_init"]:
        return init_main(argv[1])
    if argv[:1] == ["_switch"]:
        return switch_main()
    if argv[:1] == ["exec"]:
        rest = argv[1:]
        if "--" in rest:
            i = rest.index("--")
            host, cmd = rest[:i], rest[i + 1:]
        else:
            host, cmd = rest[:1], rest[1:]
        if len(host) != 1 or not cmd:
            sys.stderr.write("usage: labctl.py exec HOST -- ARGV...\n")
            return 2
        state = read_state() or {"hosts": {}}
        rec = state["hosts"].get(host[0])
        if not rec or not alive(rec.get("init")):
            sys.stderr.write("labctl: lab host %s is not running (make lab-up)\n" % host[0])
            return 1
        os.execvpe("nsenter", nsenter_argv(rec["init"]["pid"]) + cmd, host_env())
    ap = argparse.ArgumentParser(prog="labctl.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p_up = sub.add_parser("up", help="create the lab, or repair it (idempotent)")
    p_up.add_argument("--spec", help="lab spec (default lab/spec.yml)")
    p_up.add_argument("--alertmanager-url", dest="alert_url", default=None,
                      help="URL the agents' alerts go to (inventory lab_alert_url, /run/lab/host.json)")
    p_up.add_argument("--reset", action="store_true",
                      help="rewrite the hosts' ZooKeeper config from the spec and restart the ensemble")
    sub.add_parser("down", help="remove every process, namespace, interface and file of the lab")
    p_st = sub.add_parser("status", help="show the lab (exit 0 when up, 3 when down or degraded)")
    p_st.add_argument("--json", action="store_true")
    sub.add_parser("exec", help="run ARGV inside a host: labctl.py exec HOST -- ARGV...")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "up":
            up(args.spec, args.alert_url, args.reset)
        elif args.cmd == "down":
            down()
        elif args.cmd == "status":
            return 0 if status(args.json)["up"] else 3
    except LabError as exc:
        log(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
