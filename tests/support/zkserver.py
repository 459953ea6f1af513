"""Throwaway real ZooKeeper servers for tests: a standalone server or a 3-node ensemble on
127.0.0.1/.2/.3, free ports found at start, everything in a temp dir, stopped (TERM, then KILL) by pid.

    with ZkCluster(nodes=1, max_client_cnxns=10, whitelist="srvr") as zk:
        zk.nodes[0].client_port ...

``observers=1`` adds observer members (127.0.0.4, ...) to a 3-node ensemble; ``jvm_flags`` go on every
server's java command line (e.g. -XX:+DisableAttachMechanism); ``uid`` runs the servers as that user
(setpriv, no account needed), with their directories owned by it.

or, in pytest, ``zk = start_cluster(request, ...)`` which registers the stop as a finalizer.
The java argv comes from lab/zookeeper/zkjava.py (Debian's jar needs extra jars for logs and AdminServer).
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
sys.path.insert(0, os.path.join(ROOT, "lab", "zookeeper"))
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
# pylint: disable=wrong-import-position
import zkjava  # noqa: E402
from ansible_collections.alertops.remediation.plugins.module_utils.zookeeper import ZkClient, ZkError  # noqa: E402
from tests.support.modrun import run_as  # noqa: E402

LOG4J = """log4j.rootLogger=${zookeeper.root.logger}
log4j.appender.ROLLINGFILE=org.apache.log4j.RollingFileAppender
log4j.appender.ROLLINGFILE.Threshold=INFO
log4j.appender.ROLLINGFILE.File=${zookeeper.log.dir}/zookeeper.log
log4j.appender.ROLLINGFILE.MaxFileSize=10MB
log4j.appender.ROLLINGFILE.layout=org.apache.log4j.PatternLayout
log4j.appender.ROLLINGFILE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n
"""


def free_ports(ip, count):
    """`count` distinct ports that are free on `ip` right now (sockets held until all are chosen)."""
    socks, ports = [], []
    try:
        while len(ports) < count:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((ip, 0))
            socks.append(s)
            port = s.getsockname()[1]
            if port not in ports:
                ports.append(port)
    finally:
        for s in socks:
            s.close()
    return ports


def fourlw(ip, port, cmd, timeout=2.0, source_address=None):
    """The raw reply to a four-letter word (the collection's ZkClient), refusals included; source_address
    is a local IP. No reply at all (not listening yet, closed at once) is a ConnectionError, so
    readiness loops catch OSError."""
    try:
        return ZkClient(host=ip, port=port, timeout=timeout, source_address=source_address).raw(cmd)
    except ZkError as exc:
        raise ConnectionError(str(exc))


class ZkNode(object):
    def __init__(self, myid, ip, base, observer=False, jvm_flags=(), uid=None):
        self.myid = myid
        self.ip = ip
        self.observer = observer
        self.jvm_flags = list(jvm_flags)
        self.uid = uid
        self.dir = os.path.join(base, "node%d" % myid)
        self.conf_dir = os.path.join(self.dir, "conf")
        self.data_dir = os.path.join(self.dir, "data")
        self.log_dir = os.path.join(self.dir, "log")
        self.client_port, self.quorum_port, self.election_port, self.admin_port = free_ports(ip, 4)
        self.proc = None
        self.stdout = None

    @property
    def zoo_cfg(self):
        return os.path.join(self.conf_dir, "zoo.cfg")

    @property
    def admin_url(self):
        return "http://%s:%d" % (self.ip, self.admin_port)

    @property
    def log_file(self):
        return os.path.join(self.log_dir, "zookeeper.log")

    def write_config(self, servers, max_client_cnxns, whitelist, admin, extra):
        for d in (self.conf_dir, self.data_dir, self.log_dir):
            os.makedirs(d, exist_ok=True)
        lines = [
            "# throwaway test server %d" % self.myid,
            "tickTime=2000",
            "initLimit=10",
            "syncLimit=5",
            "maxSessionTimeout=120000",
            "dataDir=%s" % self.data_dir,
            "clientPort=%d" % self.client_port,
            "clientPortAddress=%s" % self.ip,
            "maxClientCnxns=%d" % max_client_cnxns,
            "4lw.commands.whitelist=%s" % whitelist,
            "admin.enableServer=%s" % ("true" if admin else "false"),
            "admin.serverAddress=%s" % self.ip,
            "admin.serverPort=%d" % self.admin_port,
        ]
        for key, value in sorted((extra or {}).items()):
            lines.append("%s=%s" % (key, value))
        if len(servers) > 1:
            for n in servers:
                lines.append("server.%d=%s:%d:%d%s" % (n.myid, n.ip, n.quorum_port, n.election_port,
                                                       ":observer" if n.observer else ""))
            if self.observer:
                lines.append("peerType=observer")
            with open(os.path.join(self.data_dir, "myid"), "w") as fh:
                fh.write("%d\n" % self.myid)
        with open(self.zoo_cfg, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        with open(os.path.join(self.conf_dir, "log4j.properties"), "w") as fh:
            fh.write(LOG4J)

    def start(self):
        argv = zkjava.java_argv(self.conf_dir, self.log_dir, heap_mb=96,
                                extra_props={"zookeeper.admin.enableServer": "true"})
        argv[1:1] = self.jvm_flags
        if self.uid is not None:
            argv = run_as(self.uid) + argv
        self.stdout = open(os.path.join(self.log_dir, "stdout.log"), "ab")
        self.proc = subprocess.Popen(argv, stdout=self.stdout, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def mode(self, source_address=None):
        """leader, follower, standalone...; None while the server does not answer or does not serve."""
        client = ZkClient(host=self.ip, port=self.client_port, timeout=2.0, source_address=source_address)
        try:
            return client.srvr()["mode"]
        except ZkError:
            return None

    def stop(self, timeout=10.0):
        """TERM, then KILL: only the pid this helper started."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self.stdout is not None:
            self.stdout.close()
            self.stdout = None

    def restart(self, ready_timeout=30.0):
        self.stop()
        self.start()


class ZkCluster(object):
    """nodes=1: standalone on 127.0.0.1; nodes=3: ensemble on 127.0.0.1, .2, .3 (+ observers on .4, ...)."""

    def __init__(self, nodes=1, max_client_cnxns=60, whitelist="*", admin=True, extra=None, observers=0,
                 jvm_flags=(), uid=None):
        if nodes not in (1, 3):
            raise ValueError("nodes must be 1 or 3")
        if observers and nodes == 1:
            raise ValueError("observers need an ensemble (nodes=3)")
        missing = zkjava.missing_jars()
        if missing:
            raise RuntimeError("ZooKeeper jars missing (make apt): %s" % ", ".join(missing))
        self.base = tempfile.mkdtemp(prefix="zktest-")
        self.nodes = [ZkNode(i + 1, "127.0.0.%d" % (i + 1), self.base, observer=i >= nodes, jvm_flags=jvm_flags,
                             uid=uid) for i in range(nodes + observers)]
        for n in self.nodes:
            n.write_config(self.nodes, max_client_cnxns, whitelist, admin, extra)
        if uid is not None:
            os.chmod(self.base, 0o755)
            for top, dirs, files in os.walk(self.base):
                for name in dirs + files:
                    os.chown(os.path.join(top, name), uid, uid)

    def start(self, timeout=60.0):
        try:
            for n in self.nodes:
                n.start()
            self.wait_serving(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_serving(self, timeout=60.0):
        deadline = time.monotonic() + timeout
        while True:
            modes = [n.mode() for n in self.nodes]
            if all(m in self._serving_modes(n) for m, n in zip(modes, self.nodes)) and (
                    len(self.nodes) == 1 or modes.count("leader") == 1):
                return modes
            for n in self.nodes:
                if n.proc is not None and n.proc.poll() is not None:
                    raise RuntimeError("ZooKeeper node %d exited with %s; log: %s\n%s" % (
                        n.myid, n.proc.returncode, n.log_file, self.tail(n)))
            if time.monotonic() > deadline:
                raise RuntimeError("ZooKeeper not serving after %.0fs (modes %s)" % (timeout, modes))
            time.sleep(0.2)

    def _serving_modes(self, node):
        if len(self.nodes) == 1:
            return ("standalone",)
        return ("observer",) if node.observer else ("leader", "follower")

    def tail(self, node, lines=30):
        for path in (node.log_file, os.path.join(node.log_dir, "stdout.log")):
            try:
                with open(path, "rb") as fh:
                    return b"\n".join(fh.read().splitlines()[-lines:]).decode("utf-8", "replace")
            except OSError:
                continue
        return ""

    def leader(self):
        for n in self.nodes:
            if n.mode() in ("leader", "standalone"):
                return n
        return None

    def followers(self):
        return [n for n in self.nodes if n.mode() == "follower"]

    def observers(self):
        return [n for n in self.nodes if n.observer]

    def stop(self):
        errors = []
        for n in self.nodes:
            try:
                n.stop()
            except Exception as exc:  # keep stopping the others
                errors.append(exc)
        if errors:
            raise errors[0]

    def cleanup(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()
        return False


def start_cluster(request, **kwargs):
    """pytest helper: start a cluster and register its stop + cleanup as a finalizer first."""
    cluster = ZkCluster(**kwargs)
    request.addfinalizer(cluster.cleanup)
    cluster.start()
    return cluster


class ZkSession(object):
    """A minimal real client session (ConnectRequest handshake, no library) kept open until close().

    The server counts a connection in `cons` only once the session handshake is done.
    """

    def __init__(self, ip, port, timeout_ms=120000, source_address=None, timeout=5.0):
        import struct
        self.sock = socket.create_connection((ip, port), timeout=timeout, source_address=source_address)
        # ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd(buffer), readOnly
        body = struct.pack(">iqiq", 0, 0, timeout_ms, 0) + struct.pack(">i", 16) + b"\0" * 16 + b"\0"
        self.sock.sendall(struct.pack(">i", len(body)) + body)
        head = self._recv_exact(4)
        length = struct.unpack(">i", head)[0]
        reply = self._recv_exact(length)
        self.session_id = struct.unpack(">q", reply[8:16])[0]
        self.negotiated_timeout = struct.unpack(">i", reply[4:8])[0]

    def _recv_exact(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("server closed the connection during the handshake")
            data += chunk
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def open_sessions(ip, port, count, source_address=None, gap=0.03):
    """Open `count` real sessions, 30 ms apart (a burst can overshoot maxClientCnxns).

    Returns (sessions, refused): refused counts connects the server closed at once.
    """
    sessions, refused = [], 0
    for dummy in range(count):
        try:
            sessions.append(ZkSession(ip, port, source_address=source_address))
        except (ConnectionError, OSError):
            refused += 1
        time.sleep(gap)
    return sessions, refused
