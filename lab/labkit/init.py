"""The two long-lived lab processes: each host's pid 1 (`labctl.py _init HOST`) and the holder of the
switch network namespace (`labctl.py _switch`). They run with no spec and no PyYAML."""
import os
import signal
import socket
import subprocess
import sys
import time

from labkit.base import BIND_DIRS, BIND_FILES, ROOT, LabError, host_dir, host_env


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
