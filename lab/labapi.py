"""Python API of the built-in lab (the CLI is lab/labctl.py and lab/inject; see lab/README.md).

    import sys; sys.path.insert(0, "lab")
    from labapi import Lab
    lab = Lab.load()
    lab.up()                                   # idempotent
    lab.exec("zk1", ["cat", "/etc/hostname"])  # CompletedProcess (text)
    f = lab.inject("zk-clients", "client1", "30", "--server", "zk1")
    f.pid, f.info                              # pid inside client1's PID namespace, the fault's JSON line
    f.undo()
    lab.down()
"""
import fcntl
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from labkit import lifecycle, netns, spec as labspec, zk  # noqa: E402
from labkit.base import FAULTS_FILE, HERE, INVENTORY, ROOT, SSH_KEY, STATE, ZKCTL, tail  # noqa: E402
from labkit.base import LabError  # noqa: E402,F401  (re-exported)
from labkit.state import alive, proc_ident, read_state, signal_ident, wait_gone  # noqa: E402

FAULTS_DIR = os.path.join(HERE, "faults")
FAULT_OUT_DIR = os.path.join(STATE, "faults")
VENV_PYTHON = os.path.join(ROOT, ".venv", "bin", "python")

# Runs inside the host (its PID namespace): start the fault program detached in its own session and
# print its pid as the host sees it. The program then belongs to the host's init.
_LAUNCHER = r"""
import json, os, subprocess, sys
prog, out, err, cwd, python = sys.argv[1:6]
args = sys.argv[6:]
argv = ([prog] if os.access(prog, os.X_OK) else [python, prog]) + args
with open(out, "ab") as o, open(err, "ab") as e:
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=o, stderr=e, cwd=cwd,
                         start_new_session=True, close_fds=True)
print(json.dumps({"pid": p.pid}))
"""


def fault_program(fault):
    return os.path.join(FAULTS_DIR, fault.replace("-", "_") + ".py")


def _save(data):
    tmp = FAULTS_FILE + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
    os.replace(tmp, FAULTS_FILE)


class _Faults:
    """lab/.state/faults.json under an exclusive lock."""

    def __init__(self):
        os.makedirs(STATE, exist_ok=True)
        self.lockf = open(os.path.join(STATE, "faults.lock"), "a")

    def __enter__(self):
        fcntl.flock(self.lockf, fcntl.LOCK_EX)
        try:
            with open(FAULTS_FILE) as fh:
                self.data = json.load(fh)
        except (FileNotFoundError, ValueError):
            self.data = {"next_id": 1, "faults": {}}
        return self.data

    def __exit__(self, *exc):
        fcntl.flock(self.lockf, fcntl.LOCK_UN)
        self.lockf.close()


class FaultHandle:
    def __init__(self, lab, record):
        self.lab = lab
        self.record = record

    id = property(lambda self: self.record["id"])
    host = property(lambda self: self.record["host"])
    fault = property(lambda self: self.record["fault"])
    pid = property(lambda self: self.record["pid"])          # inside the host's PID namespace
    args = property(lambda self: self.record["args"])
    info = property(lambda self: self.record.get("info"))    # the program's JSON line (or None)

    @property
    def output_path(self):
        return self.record["out"]

    def output(self):
        return tail(self.record["out"], 1000)

    def alive(self):
        return self.lab._outer_pid(self.record) is not None

    def undo(self, timeout=20.0):
        return self.lab.undo(self.id, timeout=timeout)

    def __repr__(self):
        return "<fault %s %s on %s pid %s>" % (self.id, self.fault, self.host, self.pid)


class Lab:
    def __init__(self, spec_path=None):
        self.spec_path = spec_path
        self.root = ROOT
        self.state_dir = STATE
        self.inventory_path = INVENTORY
        self.ssh_key = SSH_KEY
        self.zkctl_path = ZKCTL
        self.reload()

    @classmethod
    def load(cls, spec_path=None):
        return cls(spec_path)

    def reload(self):
        state = read_state() or {}
        self.spec = labspec.load_spec(self.spec_path or state.get("spec_path"), state.get("agents"))
        self.hosts = self.spec["hosts"]

    def state(self):
        """the lab's recorded state (spec path, alert URL, pids), or None when no lab is up."""
        return read_state()

    def _state(self):
        state = read_state()
        if not state:
            raise LabError("the lab is not up (make lab-up)")
        return state

    # -- lifecycle
    def up(self, alertmanager_url=None, reset=False, quiet=True, agents=None):
        """create or repair the lab; agents=N grows or shrinks the fleet to N agent hosts (kept until
        the next agents=)."""
        report = lifecycle.up(self.spec_path, alertmanager_url, reset, quiet=quiet, agents=agents)
        self.reload()
        return report

    def set_alert_url(self, url):
        """where the agents send their alerts, without repairing anything (see lifecycle.set_alert_url)."""
        lifecycle.set_alert_url(url)
        self.reload()

    def down(self, quiet=True):
        lifecycle.down(quiet=quiet)

    def is_up(self):
        state = read_state()
        if not state or not alive(state.get("switch")):
            return False
        return all(alive((state["hosts"].get(n) or {}).get("init")) for n in self.hosts)

    def status(self):
        import contextlib
        import io

        with contextlib.redirect_stdout(io.StringIO()):
            return lifecycle.status(as_json=True)

    # -- hosts
    def address(self, host):
        return self.hosts[host]["address"]

    def group(self, name):
        return [n for n, h in self.hosts.items() if name in h["groups"]]

    def init_pid(self, host):
        """pid of the host's init (pid 1 inside the host) as the machine sees it."""
        return self._state()["hosts"][host]["init"]["pid"]

    def exec(self, host, argv, check=True, timeout=60, input=None):
        """run argv inside host (net, pid, mount, uts, ipc namespaces); CompletedProcess with text."""
        return netns.exec_in_host(self._state(), host, argv, check=check, timeout=timeout, input=input)

    def ssh_argv(self, host):
        return ["ssh", "-i", self.ssh_key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes",
                "root@" + self.address(host)]

    def zkctl(self, host, action, check=True, timeout=90):
        return self.exec(host, [self.zkctl_path, action], check=check, timeout=timeout)

    def four_letter(self, host, word, timeout=3.0):
        """the reply to a ZooKeeper four-letter word sent from the controller (198.18.0.1), refusals
        included; ZkError (plugins/module_utils/zookeeper.py) when there is no reply at all."""
        return zk.four_letter(self.address(host), word, timeout=timeout)

    def zk_mode(self, host):
        return zk.zk_mode(self.address(host))

    def wait_quorum(self, timeout=60):
        return zk.wait_quorum(self.spec, timeout)

    # -- faults
    def inject(self, fault, host, *args, wait=90.0):
        """start lab/faults/<fault>.py ARGS inside host, detached; returns a FaultHandle once the program
        printed its JSON line (or `wait` seconds passed). Raises LabError when it dies before that, or when
        its line reports an error (e.g. a rogue listener whose port was taken): such a fault is not there,
        and a test that went on would check a remediation against a host that was never broken."""
        prog = fault_program(fault)
        if not os.path.exists(prog):
            known = sorted(f[:-3].replace("_", "-") for f in os.listdir(FAULTS_DIR) if f.endswith(".py"))
            raise LabError("unknown fault %r (known: %s)" % (fault, ", ".join(known)))
        args = [str(a) for a in args]
        if fault == "zk-clients" and "--from" in args:
            # The form names the ZooKeeper host first: zk-clients ZKHOST N --from CLIENT_HOST.
            i = args.index("--from")
            if i + 1 >= len(args):
                raise LabError("zk-clients: --from needs a client host")
            host, args = args[i + 1], args[:i] + args[i + 2:] + ["--server", host]
        if host not in self.hosts:
            raise LabError("unknown lab host %r (known: %s)" % (host, ", ".join(self.hosts)))
        os.makedirs(FAULT_OUT_DIR, exist_ok=True)
        with _Faults() as data:
            fid = data["next_id"]
            data["next_id"] = fid + 1
            out = os.path.join(FAULT_OUT_DIR, "%d-%s-%s.out" % (fid, fault, host))
            err = out[:-4] + ".err"
            p = self.exec(host, ["/usr/bin/python3", "-c", _LAUNCHER, prog, out, err, self.root, VENV_PYTHON]
                          + args)
            pid = json.loads(p.stdout.strip().splitlines()[-1])["pid"]
            record = {"id": fid, "host": host, "fault": fault, "pid": pid, "args": args, "out": out,
                      "err": err, "started_at": time.time(), "info": None, "injected_by": os.getpid()}
            outer = self._find_outer(host, pid)
            record["outer"] = proc_ident(outer) if outer else None
            data["faults"][str(fid)] = record
            _save(data)
        handle = FaultHandle(self, record)
        deadline = time.time() + wait
        while time.time() < deadline:
            line = self._first_line(out)
            if line is not None:
                try:
                    record["info"] = json.loads(line)
                except ValueError:
                    record["info"] = {"raw": line}
                if isinstance(record["info"], dict) and "error" in record["info"]:
                    self.undo(fid)
                    raise LabError("fault %s on %s did not start: %s" % (fault, host, record["info"]["error"]))
                self._update(record)
                return handle
            if not handle.alive():
                time.sleep(0.1)
                line = self._first_line(out)
                self._forget(fid)
                raise LabError("fault %s on %s exited at once: %s%s" % (
                    fault, host, tail(out, 20), tail(err, 20)))
            time.sleep(0.05)
        return handle

    @staticmethod
    def _first_line(path):
        try:
            with open(path, errors="replace") as fh:
                line = fh.readline()
        except FileNotFoundError:
            return None
        return line.strip() if line.endswith("\n") else None

    def _update(self, record):
        with _Faults() as data:
            data["faults"][str(record["id"])] = record
            _save(data)

    def _forget(self, fid):
        with _Faults() as data:
            data["faults"].pop(str(fid), None)
            _save(data)

    def _find_outer(self, host, inner_pid):
        """the machine's pid of the process that is inner_pid in host's PID namespace."""
        init = self.init_pid(host)
        try:
            ns = os.readlink("/proc/%d/ns/pid" % init)
        except OSError:
            return None
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/status" % d) as fh:
                    for line in fh:
                        if line.startswith("NSpid:"):
                            ids = line.split()[1:]
                            break
                    else:
                        continue
                if ids[-1] == str(inner_pid) and len(ids) > 1 and os.readlink("/proc/%s/ns/pid" % d) == ns:
                    return int(d)
            except OSError:
                continue
        return None

    def _outer_pid(self, record):
        ident = record.get("outer")
        return ident["pid"] if ident and alive(ident) else None

    def faults(self):
        with _Faults() as data:
            return [FaultHandle(self, r) for _, r in sorted(data["faults"].items(), key=lambda kv: int(kv[0]))]

    def undo(self, fid, timeout=20.0):
        """SIGTERM to exactly the fault's process, wait for it to exit (SIGKILL after timeout)."""
        with _Faults() as data:
            record = data["faults"].get(str(fid))
        if record is None:
            raise LabError("no fault with id %s (see lab/inject list)" % fid)
        result = {"id": record["id"], "host": record["host"], "fault": record["fault"], "pid": record["pid"]}
        ident = record.get("outer")
        if ident and alive(ident):
            os.kill(ident["pid"], signal.SIGTERM)
            exited = wait_gone(ident, timeout)
            if not exited:
                signal_ident(ident, signal.SIGKILL)
                wait_gone(ident, 5)
            deadline = time.time() + 3  # the host's init reaps it (it polls every 0.2 s)
            while os.path.exists("/proc/%d" % ident["pid"]) and time.time() < deadline:
                time.sleep(0.02)
            result.update({"stopped": True, "killed": not exited})
        else:
            result.update({"stopped": False, "note": "process already gone"})
        self._forget(fid)
        return result

    def undo_all(self, timeout=20.0):
        return [self.undo(h.id, timeout) for h in self.faults()]

    def undo_mine(self, timeout=20.0):
        """undo the faults this process injected, and no other (test sessions may share the lab)."""
        return [self.undo(h.id, timeout) for h in self.faults() if h.record.get("injected_by") == os.getpid()]
