"""Runs ONE fuzz case inside a throw-away network + PID + mount namespace (started by harness.py with
`unshare --net --pid --fork --mount --mount-proc`) and prints one JSON line describing what happened.

The namespace is the guard: a module fed hostile values can only ever signal the sentinels started here,
only reach the servers started here (its loopback is its own), and only write below the case's
directory: every other mount is made read-only first (so a write elsewhere fails with EROFS and shows
up as a broken case instead of changing the machine).

Input (JSON on stdin):
  argv        the command to run (the module under the interpreter, or ansible-playbook)
  stdin       text fed to it (module arguments for a module run as another user), or null
  deadline    seconds before the command is killed as hung
  cwd         the case's directory (the only writable place)
  env         the command's environment
  uid         run the command as this uid (and gid), or null for root
  sentinels   processes a buggy acting module might signal: {name, port} listeners, or
              {name: "java", zookeeper: CONF} a process that looks like a ZooKeeper server's JVM
  servers     hostile or scripted peers on 127.0.0.1: {kind, port, ...} (see peers.py)
Output: rc, stdout (its first OUTPUT_MAX bytes), stdout_bytes, stderr (its last OUTPUT_MAX bytes),
seconds, timed_out, sentinels (alive flags), leftovers (processes the command left running).
"""
import ctypes
import fcntl
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peers  # noqa: E402  pylint: disable=wrong-import-position

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 16384
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
_KEEP = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
         "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}
_LIBC = ctypes.CDLL(None, use_errno=True)
# A module's answer is a few KiB to a few MiB; more is a flood (the harness fails the case on it).
OUTPUT_MAX = 16 * 1024 * 1024
# Stays writable: the case's own directory, the fresh /proc of this PID namespace (programs name
# themselves through /proc/self/comm) except /proc/sys, and device nodes.
_WRITABLE_FS = ("proc", "devtmpfs", "devpts")


def _mount(source, target, flags):
    if _LIBC.mount(source.encode(), target.encode(), None, ctypes.c_ulong(flags), None) != 0:
        err = ctypes.get_errno()
        raise OSError(err, "mount %s: %s" % (target, os.strerror(err)))


def _mounts():
    """[(mount point, per-mount options, fs type)] of this mount namespace, parents first."""
    found = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            fstype = fields[fields.index("-") + 1]
            found.append((point, fields[5].split(","), fstype))
    return sorted(found, key=lambda m: m[0].count("/"))


def read_only_except(workdir):
    """Every mount read-only except workdir (bound onto itself first, so it keeps its own flags), and a
    fresh private /dev/shm (ansible-playbook's multiprocessing needs one; nothing written there is seen
    outside)."""
    _mount(workdir, workdir, MS_BIND | MS_REC)
    _mount("/proc/sys", "/proc/sys", MS_BIND)
    if _LIBC.mount(b"tmpfs", b"/dev/shm", b"tmpfs", ctypes.c_ulong(MS_NOSUID | MS_NODEV), b"size=16m,mode=1777") != 0:
        err = ctypes.get_errno()
        raise OSError(err, "mount /dev/shm: %s" % os.strerror(err))
    for point, options, fstype in _mounts():
        if point in (workdir, "/dev/shm") or (fstype in _WRITABLE_FS and point != "/proc/sys") or "ro" in options:
            continue
        keep = sum(flag for name, flag in _KEEP.items() if name in options)
        try:
            _mount("none", point, MS_REMOUNT | MS_BIND | MS_RDONLY | keep)
        except OSError:
            if not os.path.ismount(point):
                continue  # shadowed by a later mount on the same point
            raise


def _processes():
    """{pid: (comm, state)} of every process in this PID namespace."""
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as stat:
                    text = stat.read()
            except OSError:
                continue
            close = text.rindex(")")
            found[int(entry)] = (text[text.index("(") + 1:close], text[close + 2:close + 3])
    return found


def _demote(uid):
    def demote():
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    return demote


def loopback_up():
    """`ip link set lo up`, without starting a program for it (SIOCGIFFLAGS, then SIOCSIFFLAGS)."""
    request = struct.pack("16sH", b"lo", 0)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        flags = struct.unpack("16sH", fcntl.ioctl(sock, 0x8913, request)[:18])[1]
        fcntl.ioctl(sock, 0x8914, struct.pack("16sH", b"lo", flags | 1))  # IFF_UP


def main():
    spec = json.load(sys.stdin)
    loopback_up()
    read_only_except(spec["cwd"])
    for server in spec.get("servers", []):
        peers.serve(server)
    sentinels = peers.sentinels(spec.get("sentinels", []))
    before = set(_processes())
    started = time.monotonic()
    proc = subprocess.Popen(spec["argv"], cwd=spec["cwd"], env=spec["env"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=_demote(spec["uid"]) if spec.get("uid") is not None else None)
    timed_out = False
    stdin = spec["stdin"].encode("utf-8", "surrogatepass") if spec.get("stdin") is not None else None
    try:
        out, err = proc.communicate(stdin, timeout=spec["deadline"])
    except subprocess.TimeoutExpired:
        timed_out = True
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    seconds = time.monotonic() - started
    if sentinels:
        time.sleep(0.1)  # let a signal sent by the command land before the sentinels are looked at
    alive = [dict(s, alive=p.poll() is None) for s, p in sentinels]
    # Zombies are processes that ended (orphans this pid 1 does not reap): not left running.
    leftovers = sorted("%s (pid %d)" % (name, pid) for pid, (name, state) in _processes().items()
                       if pid not in before and pid != proc.pid and state != "Z")
    print(json.dumps({
        "rc": proc.returncode, "stdout_bytes": len(out), "stdout": out[:OUTPUT_MAX].decode("utf-8", "replace"),
        "stderr": err[-OUTPUT_MAX:].decode("utf-8", "replace"),
        "seconds": round(seconds, 3), "timed_out": timed_out, "sentinels": alive, "leftovers": leftovers,
    }))


if __name__ == "__main__":
    main()
