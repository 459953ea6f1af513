"""The JMX program runner (module_utils/zkjmx.py) with stand-in java launchers written here, and the
program itself compiled at Java 8's language level when a javac is at hand. Runs against the real JVM are
in tests/integration/test_zookeeper_jmx.py."""
import json
import os
import shutil
import subprocess
import time

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import zkjmx, zkjvm


def fake_java(tmp_path, body):
    """A 'java' that records its argv, cwd and stdin in tmp_path, then runs the shell `body`."""
    record = tmp_path / "record"
    record.mkdir()
    script = tmp_path / "java"
    script.write_text("#!/bin/sh\nprintf '%%s\\n' \"$@\" > %s/argv\npwd > %s/cwd\ncat > %s/stdin\n%s\n"
                      % (record, record, record, body))
    script.chmod(0o755)
    jdk = {"java": str(script), "home": str(tmp_path), "version": "17.0.0", "major": 17, "launch": "source",
           "javac": None, "classpath": []}
    return jdk, record


def running(pid):
    try:
        with open("/proc/%d/stat" % pid) as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def answer(**fields):
    return "echo 'ALERTOPS-JMX %s'" % json.dumps(fields)


def test_a_read_passes_the_request_on_stdin_and_leaves_nothing(tmp_path):
    jdk, record = fake_java(tmp_path, answer(ok=True, before=5, after=5, bean="b", java_version="17"))
    request = zkjmx.request_text(url="service:jmx:rmi:///jndi/rmi://127.0.0.1:1/jmxrmi", user="u", password="s3cret")
    got = zkjmx.run_program(jdk, request, time.monotonic() + 30)
    assert (got["before"], got["after"], got["bean"]) == (5, 5, "b")
    argv = (record / "argv").read_text()
    assert "s3cret" not in argv and "password=s3cret\n" in (record / "stdin").read_text()
    assert argv.splitlines()[-1].endswith("/AlertopsZkJmx.java") and "-XX:-UsePerfData" in argv
    assert "-Dsun.tools.attach.attachTimeout=" in argv
    assert not os.path.exists((record / "cwd").read_text().strip())  # the private directory is gone


@pytest.mark.parametrize("body,reason,needle", [
    (answer(ok=False, reason="attach_refused", message="The VM does not support the attach mechanism"),
     "attach_refused", "does not support"),
    (answer(ok=False, reason="bean_not_found", message="no bean"), "bean_not_found", "no bean"),
    (answer(ok=False, reason="not_zookeeper", message="no org.apache.ZooKeeperService bean"), "not_zookeeper", "bean"),
    (answer(ok=False, reason="verify_failed", message="reads 5"), "verify_failed", "reads 5"),
    (answer(ok=False, reason="something_else", message="x"), "no_jdk", "could not run"),
    (answer(ok=True, before="5", after=5), "no_jdk", "could not run"),
    ("echo 'ALERTOPS-JMX {not json'", "no_jdk", "could not run"),
    ("echo 'AlertopsZkJmx.java:1: error: package com.sun.tools.attach does not exist' >&2; exit 1", "no_jdk",
     "package com.sun.tools.attach does not exist"),
    ("exit 0", "no_jdk", "no output"),
])
def test_answers_and_failures(tmp_path, body, reason, needle):
    jdk, dummy = fake_java(tmp_path, body)
    with pytest.raises(zkjvm.JmxFailure) as err:
        zkjmx.run_program(jdk, zkjmx.request_text(pid=1), time.monotonic() + 30)
    assert err.value.reason == reason and needle in str(err.value)


def test_the_deadline_kills_the_program_and_its_children(tmp_path):
    jdk, record = fake_java(tmp_path, "sleep 300 & echo $! > %s/child\nsleep 300" % (tmp_path / "record"))
    with pytest.raises(zkjvm.JmxFailure) as err:
        zkjmx.run_program(jdk, zkjmx.request_text(pid=1), time.monotonic() + 2)
    assert err.value.reason == "timeout"
    child = int((record / "child").read_text())
    assert not running(child), "the program's child %d survived the deadline" % child
    assert not os.path.exists((record / "cwd").read_text().strip())


def test_the_output_kept_is_bounded(tmp_path):
    # The program prints its answer last; what a flood before it costs is the last 64 KiB, whatever its size,
    # so an answer followed by 20 MB of noise is not found (a reader without a bound would keep it all).
    jdk, dummy = fake_java(tmp_path, answer(ok=True, before=1, after=1) + "; head -c 20000000 /dev/zero | tr '\\0' x")
    with pytest.raises(zkjvm.JmxFailure) as err:
        zkjmx.run_program(jdk, zkjmx.request_text(pid=1), time.monotonic() + 60)
    assert err.value.reason == "no_jdk" and len(str(err.value)) < 4096
    again = tmp_path / "again"
    again.mkdir()
    jdk, dummy = fake_java(again, "head -c 20000000 /dev/zero | tr '\\0' x; echo; " + answer(ok=True, before=1, after=1))
    assert zkjmx.run_program(jdk, zkjmx.request_text(pid=1), time.monotonic() + 60)["before"] == 1


def test_a_java_that_cannot_be_executed_is_no_jdk(tmp_path):
    jdk, dummy = fake_java(tmp_path, "")
    (tmp_path / "java").write_text("this is not a program\n")  # executable bit, no interpreter line
    with pytest.raises(zkjvm.JmxFailure) as err:
        zkjmx.run_program(jdk, zkjmx.request_text(pid=1), time.monotonic() + 30)
    assert err.value.reason == "no_jdk" and str(tmp_path / "java") in str(err.value)


def test_a_passed_deadline_starts_nothing(tmp_path):
    jdk, record = fake_java(tmp_path, answer(ok=True, before=1, after=1))
    with pytest.raises(zkjvm.JmxFailure) as err:
        zkjmx.run_program(jdk, zkjmx.request_text(pid=1), time.monotonic() - 1)
    assert err.value.reason == "timeout" and not (record / "argv").exists()


def test_javac_launch_compiles_then_runs(tmp_path):
    jdk = {"java": "/j/bin/java", "javac": "/j/bin/javac", "launch": "javac", "classpath": ["/j/lib/tools.jar"]}
    steps = zkjmx.commands(jdk, "/w", 5000)
    assert [purpose for purpose, argv in steps] == ["compile", "run"]
    assert steps[0][1][:1] == ["/j/bin/javac"] and "/w:/j/lib/tools.jar" in steps[0][1]
    assert steps[1][1][-3:] == ["-cp", "/w:/j/lib/tools.jar", zkjmx.JAVA_CLASS]


def test_the_environment_passes_no_java_options(monkeypatch):
    monkeypatch.setenv("JAVA_TOOL_OPTIONS", "-javaagent:/tmp/evil.jar")
    monkeypatch.setenv("_JAVA_OPTIONS", "-Dcom.sun.management.jmxremote.port=9999")
    env = zkjmx._env("/w")
    assert "JAVA_TOOL_OPTIONS" not in env and "_JAVA_OPTIONS" not in env and env["TMPDIR"] == "/w"


@pytest.mark.skipif(shutil.which("javac") is None, reason="no javac on this host")
def test_the_program_is_java_8_source(tmp_path):
    source = tmp_path / (zkjmx.JAVA_CLASS + ".java")
    source.write_text(zkjmx.JAVA_SOURCE)
    proc = subprocess.run(["javac", "-J-XX:-UsePerfData", "-source", "8", "-target", "8", "-Xlint:-options",
                           "-Werror", "-d", str(tmp_path), str(source)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout.decode()
