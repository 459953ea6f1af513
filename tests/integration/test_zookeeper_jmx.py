"""zookeeper_jmx against real Debian ZooKeeper 3.8 servers on loopback (tests/support/zkserver.py) and the
host's real JDK: the limit changes live, sessions stay, refusals name their reason.

Every server and process is started here and stopped by pid (or by the private pid namespace it runs in).
"""
import json
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from kazoo.client import KazooClient
from kazoo.protocol.states import KazooState

from ansible_collections.alertops.remediation.plugins.module_utils.zookeeper import ZkClient
from tests.support.modrun import ROOT, SYSTEM_PYTHON, as_user, run_module, shared_tempdir
from tests.support.zkserver import ZkSession, free_ports, start_cluster

NOBODY = 65534
OTHER_UID = 65533  # no account needed: setpriv runs as a bare uid


def jmx(args=None, check_mode=False, diff=False, uid=None, env=None):
    params = {"timeout": 120}
    params.update(args or {})
    how = as_user(uid) if uid is not None else {}
    if env:
        how["env"] = dict(how.get("env", {}), **env)
    return run_module("zookeeper_jmx", params, check_mode=check_mode, diff=diff, timeout=300, **how)


def conf_limit(node, source="127.0.0.2"):
    """maxClientCnxns as `conf` reports it, asked from another local address than the saturated one."""
    client = ZkClient(node.ip, node.client_port, timeout=10, source_address=source)
    return int(client.conf()["maxClientCnxns"])


class Sessions(object):
    """Real kazoo client sessions; every state change each one goes through is recorded."""

    def __init__(self):
        self.clients = []
        self.states = []
        self.lock = threading.Lock()

    def open(self, node, count):
        for dummy in range(count):
            client = KazooClient(hosts="%s:%d" % (node.ip, node.client_port), timeout=30.0)
            index = len(self.clients)
            client.add_listener(lambda state, index=index: self._record(index, state))
            client.start(timeout=30)
            self.clients.append(client)
            time.sleep(0.05)  # a burst of connects can overshoot the limit

    def _record(self, index, state):
        with self.lock:
            self.states.append((index, state))

    def session_ids(self):
        return [c.client_id[0] for c in self.clients]

    def close(self):
        for client in self.clients:
            try:
                client.stop()
                client.close()
            except Exception:  # keep closing the others
                pass


@pytest.fixture
def sessions():
    opened = Sessions()
    yield opened
    opened.close()


def refused_from(node, source="127.0.0.1"):
    """True when the server closes a new session from `source` at once (the IP is at maxClientCnxns)."""
    try:
        ZkSession(node.ip, node.client_port, source_address=(source, 0)).close()
    except (ConnectionError, OSError):
        return True
    return False


def test_limit_raised_live_sessions_kept(request, sessions):
    zk = start_cluster(request, nodes=1, max_client_cnxns=5)
    node = zk.nodes[0]
    sessions.open(node, 5)
    ids = sessions.session_ids()
    assert refused_from(node)  # 5 of 5: a sixth from the same IP is turned away
    target = {"conf_path": node.zoo_cfg}

    result, rc = jmx(target)
    assert rc == 0, result
    assert (result["before"], result["after"], result["changed"]) == (5, 5, False)
    assert result["pid"] == node.proc.pid and result["method"] == "attach"
    assert result["bean"].startswith("org.apache.ZooKeeperService:name0=StandaloneServer_port")
    assert result["java"]["version"].split(".")[0].isdigit()

    result, rc = jmx(dict(target, max_client_cnxns=50), check_mode=True, diff=True)
    assert rc == 0 and result["changed"] is True and (result["before"], result["after"]) == (5, 50)
    assert result["diff"]["after"] == "MaxClientCnxnsPerHost=50\n"
    assert conf_limit(node) == 5 and refused_from(node)  # check mode changed nothing

    result, rc = jmx(dict(target, max_client_cnxns=50), diff=True)
    assert rc == 0 and result["changed"] is True and (result["before"], result["after"]) == (5, 50)
    assert conf_limit(node) == 50
    sessions.open(node, 3)  # beyond the old limit, from the same IP, right after
    assert all(c.state == KazooState.CONNECTED for c in sessions.clients)
    assert sessions.session_ids()[:5] == ids
    assert [s for s in sessions.states if s[1] in (KazooState.LOST, KazooState.SUSPENDED)] == []

    result, rc = jmx(dict(target, max_client_cnxns=50))
    assert rc == 0 and result["changed"] is False and result["before"] == 50
    assert node.proc.poll() is None  # the same server process throughout


def test_every_member_of_an_ensemble_with_an_observer(request):
    zk = start_cluster(request, nodes=3, observers=1, max_client_cnxns=10)
    roles = {}
    for node in zk.nodes:
        result, rc = jmx({"conf_path": node.zoo_cfg, "max_client_cnxns": 30})
        assert rc == 0 and result["changed"] is True and result["pid"] == node.proc.pid, result
        roles[result["bean"].rsplit("=", 1)[1]] = roles.get(result["bean"].rsplit("=", 1)[1], 0) + 1
        assert conf_limit(node) == 30
    assert roles == {"Leader": 1, "Follower": 2, "Observer": 1}
    assert sorted(n.mode() for n in zk.nodes) == ["follower", "follower", "leader", "observer"]


def test_a_jvm_that_disables_attach_is_refused_and_unchanged(request):
    zk = start_cluster(request, nodes=1, max_client_cnxns=5, jvm_flags=["-XX:+DisableAttachMechanism"])
    node = zk.nodes[0]
    result, rc = jmx({"pid": node.proc.pid, "max_client_cnxns": 50})
    assert rc == 1 and result["reason"] == "attach_refused", result
    assert "attach" in result["msg"] and conf_limit(node) == 5


SLEEP_JAVA = textwrap.dedent("""
    public class Sleep {
        public static void main(String[] args) throws Exception {
            System.out.println("ready");
            System.out.flush();
            Thread.sleep(600000);
        }
    }
""")


def test_a_java_process_that_is_not_zookeeper(tmp_path):
    source = tmp_path / "Sleep.java"
    source.write_text(SLEEP_JAVA)
    proc = subprocess.Popen(["java", "-XX:-UsePerfData", str(source)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline().strip() == b"ready"
        result, rc = jmx({"pid": proc.pid, "max_client_cnxns": 50})
        assert rc == 1 and result["reason"] == "not_zookeeper" and str(proc.pid) in result["msg"], result
        result, rc = jmx({"pid": 1})
        assert rc == 1 and result["reason"] in ("not_zookeeper", "no_server")
    finally:
        proc.kill()
        proc.wait()


def test_as_the_user_that_owns_the_jvm(request):
    zk = start_cluster(request, nodes=1, max_client_cnxns=5, uid=NOBODY)
    node = zk.nodes[0]
    with open("/proc/%d/status" % node.proc.pid) as fh:
        assert "Uid:\t%d" % NOBODY in fh.read()
    result, rc = jmx({"conf_path": node.zoo_cfg, "max_client_cnxns": 40}, uid=NOBODY)
    assert rc == 0 and result["changed"] is True and result["after"] == 40, result
    assert conf_limit(node) == 40
    # a third user may neither attach nor read the JVM's java: refused, nothing changed
    result, rc = jmx({"pid": node.proc.pid, "max_client_cnxns": 41}, uid=OTHER_UID)
    assert rc == 1 and result["reason"] == "attach_refused", result
    assert conf_limit(node) == 40


def jmx_remote_flags(port, tmp_path, user=None, password=None):
    flags = ["-Dcom.sun.management.jmxremote.port=%d" % port, "-Dcom.sun.management.jmxremote.rmi.port=%d" % port,
             "-Dcom.sun.management.jmxremote.host=127.0.0.1", "-Djava.rmi.server.hostname=127.0.0.1",
             "-Dcom.sun.management.jmxremote.ssl=false"]
    if user is None:
        return flags + ["-Dcom.sun.management.jmxremote.authenticate=false"]
    secrets = tmp_path / "jmx.password"
    secrets.write_text("%s %s\n" % (user, password))
    secrets.chmod(0o600)
    access = tmp_path / "jmx.access"
    access.write_text("%s readwrite\n" % user)
    return flags + ["-Dcom.sun.management.jmxremote.authenticate=true",
                    "-Dcom.sun.management.jmxremote.password.file=%s" % secrets,
                    "-Dcom.sun.management.jmxremote.access.file=%s" % access]


def test_jmx_service_url_with_credentials(request, tmp_path):
    (port,) = free_ports("127.0.0.1", 1)
    zk = start_cluster(request, nodes=1, max_client_cnxns=5,
                       jvm_flags=jmx_remote_flags(port, tmp_path, "monitorRole", "s3cret-pw"))
    node = zk.nodes[0]
    url = "service:jmx:rmi:///jndi/rmi://127.0.0.1:%d/jmxrmi" % port
    result, rc = jmx({"jmx_url": url, "jmx_user": "monitorRole", "jmx_password": "wrong", "max_client_cnxns": 9})
    assert rc == 1 and result["reason"] == "attach_refused" and conf_limit(node) == 5, result
    result, rc = jmx({"jmx_url": url, "jmx_user": "monitorRole", "jmx_password": "s3cret-pw",
                      "max_client_cnxns": 9})
    assert rc == 0 and result["method"] == "jmx_url" and result["pid"] is None, result
    assert (result["before"], result["after"]) == (5, 9) and conf_limit(node) == 9
    assert "s3cret-pw" not in json.dumps(result)
    (closed,) = free_ports("127.0.0.1", 1)
    result, rc = jmx({"jmx_url": "service:jmx:rmi:///jndi/rmi://127.0.0.1:%d/jmxrmi" % closed, "timeout": 30})
    assert rc == 1 and result["reason"] in ("attach_refused", "timeout"), result


@pytest.fixture
def private_tmp():
    with shared_tempdir("zkjmx-tmp-") as path:
        yield path


def processes_mentioning(text):
    found = []
    for pid in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as fh:
                if text.encode() in fh.read():
                    found.append(int(pid))
        except (OSError, ValueError):
            continue
    return found


def test_nothing_is_left_behind_also_at_the_deadline(request, private_tmp):
    zk = start_cluster(request, nodes=1, max_client_cnxns=5)
    node = zk.nodes[0]
    env = {"TMPDIR": private_tmp}
    result, rc = jmx({"pid": node.proc.pid}, env=env)
    assert rc == 0, result
    assert os.listdir(private_tmp) == [] and processes_mentioning(private_tmp) == []
    # too short for a JVM to start, compile and attach: killed at the deadline, its files removed
    result, rc = jmx({"pid": node.proc.pid, "max_client_cnxns": 50, "timeout": 0.3}, env=env)
    assert rc == 1 and result["reason"] == "timeout", result
    assert os.listdir(private_tmp) == [] and processes_mentioning(private_tmp) == []
    assert conf_limit(node) == 5


def test_a_java_without_the_attach_api(request):
    zk = start_cluster(request, nodes=1, max_client_cnxns=5)
    result, rc = jmx({"pid": zk.nodes[0].proc.pid, "java": "/bin/true", "max_client_cnxns": 50})
    assert rc == 1 and result["reason"] == "no_jdk" and "/bin/true" in result["msg"], result


# A private pid namespace (with its own /proc and /tmp) holds only the servers this test starts, so the
# process table is known: other ZooKeeper servers on this machine (the lab's) stay out of sight.
IN_NAMESPACE = textwrap.dedent("""
    import json, subprocess, sys
    sys.path.insert(0, {root!r})
    from tests.support.modrun import run_module
    from tests.support.zkserver import ZkCluster
    # A checkout under /tmp (CI clones there) stays visible through the private /tmp: it is bound aside
    # first and back after (every mount here is private to this mount namespace).
    inside = ({root!r} + "/").startswith("/tmp/")
    if inside:
        subprocess.run(["mount", "--bind", {root!r}, "/mnt"], check=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/tmp"], check=True)
    if inside:
        subprocess.run(["mkdir", "-p", {root!r}], check=True)
        subprocess.run(["mount", "--bind", "/mnt", {root!r}], check=True)
    first, second = ZkCluster(nodes=1, max_client_cnxns=5), ZkCluster(nodes=1, max_client_cnxns=6)
    out = {{}}
    try:
        first.start()
        out["alone"] = run_module("zookeeper_jmx", {{"max_client_cnxns": 15}})[0]
        second.start()
        out["several"] = run_module("zookeeper_jmx", {{}})[0]
        out["chosen"] = run_module("zookeeper_jmx", {{"conf_path": second.nodes[0].zoo_cfg}})[0]
        out["pids"] = [first.nodes[0].proc.pid, second.nodes[0].proc.pid]
    finally:
        first.cleanup()
        second.cleanup()
    print("RESULT " + json.dumps(out))
""")


def test_the_server_is_found_in_the_process_table():
    script = IN_NAMESPACE.format(root=ROOT)
    proc = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", sys.executable, "-c", script],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300, check=False)
    lines = [ln for ln in proc.stdout.decode().splitlines() if ln.startswith("RESULT ")]
    assert lines, proc.stdout.decode()[-3000:]
    out = json.loads(lines[0][len("RESULT "):])
    first, second = out["pids"]
    assert out["alone"]["pid"] == first and out["alone"]["after"] == 15, out["alone"]
    assert out["several"]["reason"] == "several_servers"
    assert "pid %d" % first in out["several"]["msg"] and "pid %d" % second in out["several"]["msg"]
    assert out["chosen"]["pid"] == second and out["chosen"]["before"] == 6, out["chosen"]


def test_through_ansible_playbook_with_become_user(request, tmp_path):
    """As a playbook runs it: ansible-playbook, AnsiballZ, become_user set to the JVM's owner (nobody)."""
    zk = start_cluster(request, nodes=1, max_client_cnxns=5, uid=NOBODY)
    node = zk.nodes[0]
    playbook = tmp_path / "live.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Raise the limit live as the JVM's user", "alertops.remediation.zookeeper_jmx": {
            "conf_path": node.zoo_cfg, "max_client_cnxns": 33},
         "become": True, "become_method": "ansible.builtin.su", "become_flags": "-s /bin/sh",
         "become_user": "nobody", "register": "live"},
        {"name": "Report", "ansible.builtin.debug": {"msg": "RESULT {{ live | to_json }}"}},
    ]}]))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    out = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "localhost,",
                          "-c", "local", "-e", "ansible_python_interpreter=" + SYSTEM_PYTHON, str(playbook)],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300, check=False)
    text = out.stdout.decode()
    assert out.returncode == 0, text[-3000:]
    line = [ln for ln in text.splitlines() if '"msg": "RESULT ' in ln][0]
    live = json.loads(json.loads("{%s}" % line.strip().rstrip(","))["msg"][len("RESULT "):])
    assert (live["changed"], live["before"], live["after"], live["pid"]) == (True, 5, 33, node.proc.pid)
    assert conf_limit(node) == 33
