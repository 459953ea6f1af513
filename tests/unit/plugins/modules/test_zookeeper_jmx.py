"""zookeeper_jmx in-process: options, and what it reports for each answer of the JMX program (the
process table, the JDK and the program are stood in for here; tests/integration/test_zookeeper_jmx.py
runs them for real)."""
import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import zkjmx, zkjvm
from ansible_collections.alertops.remediation.plugins.modules import zookeeper_jmx
from tests.support.modrun import run_main

BEAN = "org.apache.ZooKeeperService:name0=StandaloneServer_port2181"
JDK = {"java": "/usr/lib/jvm/x/bin/java", "version": "17.0.15", "launch": "source"}


@pytest.fixture
def live(monkeypatch):
    """A server with pid 4711 whose MaxClientCnxnsPerHost is state['value']; every request recorded."""
    state = {"value": 5, "requests": []}

    def run_program(jdk, request, deadline):
        state["requests"].append(request)
        fields = dict(line.split("=", 1) for line in request.splitlines())
        before = state["value"]
        if "set" in fields:
            state["value"] = int(fields["set"])
        return {"ok": True, "before": before, "after": state["value"], "bean": BEAN, "java_version": "17"}

    monkeypatch.setattr(zkjvm, "find_server", lambda pid, conf_path: {"pid": 4711, "config": conf_path})
    monkeypatch.setattr(zkjvm, "java_candidates", lambda java, pid: [JDK["java"]])
    monkeypatch.setattr(zkjvm, "usable_jdks", lambda candidates: ([JDK], []))
    monkeypatch.setattr(zkjmx, "run_program", run_program)
    return state


def run(capsys, args, check_mode=False, diff=False):
    return run_main(zookeeper_jmx.main, capsys, args, check_mode=check_mode, diff=diff)


def test_read_only(live, capsys):
    out, rc = run(capsys, {})
    assert rc == 0 and out["changed"] is False and (out["before"], out["after"]) == (5, 5)
    assert (out["pid"], out["method"], out["bean"]) == (4711, "attach", BEAN)
    assert out["java"] == {"path": JDK["java"], "version": "17.0.15"}
    assert live["requests"] == ["pid=4711\n"]


def test_set_then_idempotent(live, capsys):
    out, rc = run(capsys, {"max_client_cnxns": "50"}, diff=True)
    assert rc == 0 and out["changed"] is True and (out["before"], out["after"]) == (5, 50)
    assert out["diff"] == {"before": "MaxClientCnxnsPerHost=5\n", "after": "MaxClientCnxnsPerHost=50\n",
                           "before_header": BEAN, "after_header": BEAN}
    out, rc = run(capsys, {"max_client_cnxns": 50})
    assert rc == 0 and out["changed"] is False and live["value"] == 50


def test_check_mode_reports_the_change_and_sets_nothing(live, capsys):
    out, rc = run(capsys, {"max_client_cnxns": 50}, check_mode=True, diff=True)
    assert rc == 0 and out["changed"] is True and (out["before"], out["after"]) == (5, 50)
    assert "set=" not in live["requests"][0] and live["value"] == 5
    assert out["diff"]["after"] == "MaxClientCnxnsPerHost=50\n"


def test_jmx_url_mode_passes_credentials_on_stdin(live, capsys):
    url = "service:jmx:rmi:///jndi/rmi://127.0.0.1:21810/jmxrmi"
    out, rc = run(capsys, {"jmx_url": url, "jmx_user": "admin", "jmx_password": "pw", "max_client_cnxns": 7})
    assert rc == 0 and out["method"] == "jmx_url" and out["pid"] is None
    assert live["requests"] == ["url=%s\nuser=admin\npassword=pw\nset=7\n" % url]
    assert "pw" not in str(out)


@pytest.mark.parametrize("args,needle", [
    ({"max_client_cnxns": 2147483648}, "max_client_cnxns must be a whole number from 0 to 2147483647"),
    ({"max_client_cnxns": -1}, "max_client_cnxns"),
    ({"max_client_cnxns": "\u0665\u0660"}, "max_client_cnxns"),
    ({"max_client_cnxns": True}, "max_client_cnxns"),
    ({"max_client_cnxns": 5.5}, "max_client_cnxns"),
    ({"max_client_cnxns": "nan"}, "max_client_cnxns"),
    ({"pid": 0}, "pid must be a whole number from 1"),
    ({"pid": "12abc"}, "pid"),
    ({"pid": 99999999999}, "pid"),
    ({"timeout": "inf"}, "timeout must be a finite number"),
    ({"timeout": "nan"}, "timeout"),
    ({"timeout": -1}, "timeout"),
    ({"jmx_url": "http://127.0.0.1:1"}, "jmx_url must be a service:jmx:"),
    ({"jmx_url": "service:jmx:rmi://x\nset=0"}, "jmx_url"),
    ({"jmx_url": "service:jmx:rmi://x", "jmx_user": "a\nset=0"}, "jmx_user"),
    ({"jmx_url": "service:jmx:rmi://x", "jmx_user": "a", "jmx_password": "p\x00"}, "jmx_password"),
    # YAML turns an unquoted password into a number or a boolean (0123 is 83, "no" is false): never sent on
    ({"jmx_url": "service:jmx:rmi://x", "jmx_user": "a", "jmx_password": 123456}, "jmx_password must be text"),
    ({"jmx_url": "service:jmx:rmi://x", "jmx_user": "a", "jmx_password": False}, "a value of type bool"),
    ({"jmx_url": "service:jmx:rmi://x", "jmx_user": ["a"]}, "jmx_user must be text (quote it in YAML), got ['a']"),
    ({"jmx_url": "service:jmx:rmi://x", "jmx_user": ""}, "jmx_user must not be empty"),
    ({"conf_path": "/etc/zoo\x00.cfg"}, "conf_path: '/etc/zoo\\x00.cfg'"),
    ({"conf_path": ""}, "conf_path: ''"),
    ({"java": "/usr/bin/java\x00"}, "java: '/usr/bin/java\\x00'"),
])
def test_bad_options_are_refused_before_anything_runs(live, capsys, args, needle):
    out, rc = run(capsys, args)
    assert rc == 1 and out["reason"] == "invalid_option" and needle in out["msg"]
    assert live["requests"] == []


def test_jmx_url_excludes_pid(live, capsys):
    out, rc = run(capsys, {"jmx_url": "service:jmx:rmi://x", "pid": 5})
    assert rc == 1 and "mutually exclusive" in out["msg"]


@pytest.mark.parametrize("reason", ["attach_refused", "bean_not_found", "verify_failed", "timeout", "not_zookeeper"])
def test_failures_carry_their_reason(live, capsys, monkeypatch, reason):
    def refuse(jdk, request, deadline):
        raise zkjvm.JmxFailure(reason, "because")
    monkeypatch.setattr(zkjmx, "run_program", refuse)
    out, rc = run(capsys, {"max_client_cnxns": 50})
    assert rc == 1 and out["reason"] == reason and out["msg"] == "because" and out["pid"] == 4711


def test_a_jdk_that_cannot_run_the_program_passes_to_the_next(live, capsys, monkeypatch):
    second = dict(JDK, java="/opt/jdk/bin/java", version="21.0.1")
    monkeypatch.setattr(zkjvm, "usable_jdks", lambda candidates: ([JDK, second], []))
    calls = []

    def run_program(jdk, request, deadline):
        calls.append(jdk["java"])
        if jdk is JDK:
            raise zkjvm.JmxFailure("no_jdk", "no attach module")
        return {"ok": True, "before": 5, "after": 5, "bean": BEAN}
    monkeypatch.setattr(zkjmx, "run_program", run_program)
    out, rc = run(capsys, {})
    assert rc == 0 and calls == [JDK["java"], second["java"]] and out["java"]["path"] == second["java"]


def test_no_usable_jdk(live, capsys, monkeypatch):
    monkeypatch.setattr(zkjvm, "usable_jdks", lambda candidates: ([], ["/usr/bin/java is a runtime without javac"]))
    out, rc = run(capsys, {"max_client_cnxns": 50})
    assert rc == 1 and out["reason"] == "no_jdk" and "runtime without javac" in out["msg"]
