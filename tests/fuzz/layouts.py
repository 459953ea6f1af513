"""What the base arguments need on disk, laid out in a case's directory: an OCP-Agent home (the lab's
simulator), control scripts that misbehave, log directories holding hostile objects.

Each builder is made once per session into a template and copied into the case (copying is cheaper than
installing for every one of hundreds of cases).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading

from tests.fuzz import values

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INSTALL = os.path.join(ROOT, "lab", "ocp_agent", "install.py")
_TEMPLATES = {}
_LOCK = threading.Lock()


def _template(key, build):
    with _LOCK:
        if key not in _TEMPLATES:
            path = tempfile.mkdtemp(prefix="alertops-fuzz-template-")
            os.chmod(path, 0o755)
            build(path)
            _TEMPLATES[key] = path
        return _TEMPLATES[key]


def agent_home(flavor):
    """setup(workdir): an OCP-Agent simulator home of `flavor` at workdir/agent (installed, not running)."""
    def build(path):
        subprocess.run([sys.executable, INSTALL, "--home", os.path.join(path, "agent"), "--flavor", flavor,
                        "--svr-ip", "198.18.0.11"], check=True, stdout=subprocess.DEVNULL)

    def setup(workdir):
        shutil.copytree(os.path.join(_template(("agent", flavor), build), "agent"), os.path.join(workdir, "agent"),
                        symlinks=True)
    return setup


def control_script(workdir, body):
    """Replace the agentctl home's control script with a Python program `body`."""
    path = os.path.join(workdir, "agent", "bin", "ocp_agentctl")
    with open(path, "w") as handle:
        handle.write("#!/usr/bin/python3\n%s\n" % body)  # any user can run it
    os.chmod(path, 0o755)


# Control scripts that misbehave: hang (holding its output pipes through a child), flood its output,
# answer binary noise and fail.
HANG = "import os, time\nos.fork()\nprint('starting', flush=True)\ntime.sleep(3600)"
FLOOD = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)"
NOISE = "import os, sys\nsys.stdout.buffer.write(os.urandom(200000))\nsys.exit(1)"


def hostile_logs(workdir):
    """The agent's log directory holding what a log reader must not open: a FIFO, links to a root-only
    file and to a device, a directory, and a large regular log."""
    log = os.path.join(workdir, "agent", "log")
    secret = values.write_secret(workdir)
    os.mkfifo(os.path.join(log, "ocp_agentd.log"))
    os.symlink(secret, os.path.join(log, "ocp_mgragent.log"))
    os.symlink("/dev/zero", os.path.join(log, "ocp_monagent.log"))
    os.mkdir(os.path.join(log, "dir.log"))
    with open(os.path.join(log, "big.log"), "wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: costs nothing on disk, a reader must not take it all


def log_dir_link(workdir):
    """The agent's log directory replaced by a link to a directory of root-only logs."""
    log = os.path.join(workdir, "agent", "log")
    shutil.rmtree(log)
    private = os.path.join(workdir, "private")
    os.mkdir(private, 0o700)
    with open(os.path.join(private, "ocp_agentd.log"), "w") as handle:
        handle.write(values.SECRET + "\n")
    os.symlink(private, log)


def certificates():
    """{ca, server_key, client_cert, client_key}: a self-signed certificate for 127.0.0.1 (the server's,
    and the CA that verifies it) and a client certificate with its key, readable by any user."""
    def build(path):
        for name, subject in (("server", "/CN=127.0.0.1"), ("client", "/CN=fuzz-client")):
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subject,
                            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", os.path.join(path, name + ".key"),
                            "-out", os.path.join(path, name + ".pem")], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            os.chmod(os.path.join(path, name + ".key"), 0o644)
    path = _template("certificates", build)
    return {"ca": os.path.join(path, "server.pem"), "server_key": os.path.join(path, "server.key"),
            "client_cert": os.path.join(path, "client.pem"), "client_key": os.path.join(path, "client.key")}


ZK_FIXTURES = os.path.join(ROOT, "tests", "unit", "fixtures", "zookeeper")


def zk_reply(name):
    """A reply recorded from a real ZooKeeper 3.8 (tests/unit/fixtures/zookeeper)."""
    with open(os.path.join(ZK_FIXTURES, name)) as handle:
        return handle.read()


def zookeeper(port, role="leader", refuse=(), tls=None):
    """A four-letter-word server on `port` answering what a real `role` answered; the words of `refuse`
    get the whitelist refusal."""
    replies = dict((word, zk_reply("%s_%s.txt" % (role, word))) for word in ("srvr", "mntr", "conf", "cons", "stat"))
    for word in refuse:
        replies[word] = "%s is not executed because it is not in the whitelist.\n" % word
    return dict(kind="words", port=port, replies=replies, tls=tls)


def admin_server(port, role="leader"):
    """An AdminServer on `port` answering what a real `role` answered."""
    return dict(kind="http", port=port, routes=dict(
        ("/commands/%s" % name, [200, zk_reply("%s_admin_%s.json" % (role, name))])
        for name in ("monitor", "configuration", "connections")))


# A stand-in for a JDK (its release file says 17 with jdk.attach and jdk.compiler): `java` answers the
# attach program's request on stdin the way the program does, for a server whose limit is 60.
FAKE_JAVA = r'''
import json, sys
request = dict(line.split("=", 1) for line in sys.stdin.read().splitlines() if "=" in line)
before = 60
after = int(request["set"]) if "set" in request else before
print("ALERTOPS-JMX " + json.dumps({"java_version": "17", "bean": "org.apache.ZooKeeperService:name0=StandaloneServer_port2181",
                                    "before": before, "after": after, "ok": True}))
'''
RELEASE = 'JAVA_VERSION="17.0.15"\nMODULES="java.base java.management jdk.attach jdk.compiler"\n'


def fake_jdk(workdir, body=FAKE_JAVA, release=RELEASE):
    """workdir/jdk with bin/java running `body` and a release file; returns the java's path."""
    os.makedirs(os.path.join(workdir, "jdk", "bin"))
    java = os.path.join(workdir, "jdk", "bin", "java")
    with open(java, "w") as handle:
        handle.write("#!/usr/bin/python3\n%s\n" % body)
    os.chmod(java, 0o755)
    if release is not None:
        with open(os.path.join(workdir, "jdk", "release"), "w") as handle:
            handle.write(release)
    return java
