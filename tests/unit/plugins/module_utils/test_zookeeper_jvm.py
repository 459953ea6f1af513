"""Finding the ZooKeeper server's JVM and a JDK that can attach to it (module_utils/zkjvm.py), on fake
process tables and fake JDK homes built in tmp_path."""
import os
import stat

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import zkjvm

QPM = "org.apache.zookeeper.server.quorum.QuorumPeerMain"
ZSM = "org.apache.zookeeper.server.ZooKeeperServerMain"
CP = "/etc/zookeeper/conf:/usr/share/java/zookeeper.jar"


@pytest.mark.parametrize("argv,main,args", [
    (["java", "-Xmx1g", "-cp", CP, QPM, "/etc/zookeeper/conf/zoo.cfg"], QPM, ["/etc/zookeeper/conf/zoo.cfg"]),
    (["/usr/bin/java", "-classpath", CP, "-Dzookeeper.log.dir=/x", ZSM, "2181", "/data"], ZSM, ["2181", "/data"]),
    (["java", "--class-path", CP, "--add-opens", "java.base/java.lang=ALL-UNNAMED", QPM, "c"], QPM, ["c"]),
    (["java", "@/etc/zk/jvm.args", QPM, "c"], QPM, ["c"]),
    (["java", "-jar", "/opt/zk/zookeeper.jar", QPM], None, []),
    (["java", "-m", "org.apache.zookeeper/" + QPM, "c"], QPM, ["c"]),
    (["java", "--module=org.apache.zookeeper/" + QPM, "c"], QPM, ["c"]),
    (["java", "-m", "org.apache.zookeeper"], None, []),
    (["java", "-cp"], None, []),
    (["java", "-version"], None, []),
])
def test_java_main(argv, main, args):
    assert zkjvm.java_main(argv) == (main, args)


class FakeProc(object):
    """A fake /proc: pid directories with cmdline, and cwd / exe links."""

    def __init__(self, root):
        self.root = str(root)

    def add(self, pid, argv, cwd=None, exe=None):
        base = os.path.join(self.root, str(pid))
        os.makedirs(base)
        with open(os.path.join(base, "cmdline"), "wb") as fh:
            fh.write(b"".join(a.encode() + b"\0" for a in argv))  # a kernel thread's is empty
        if cwd:
            os.symlink(cwd, os.path.join(base, "cwd"))
        if exe:
            os.symlink(exe, os.path.join(base, "exe"))
        return pid


@pytest.fixture
def proc(tmp_path):
    fake = FakeProc(tmp_path / "proc")
    os.makedirs(fake.root)
    (tmp_path / "proc" / "self").mkdir()  # non-numeric entries are not processes
    return fake


@pytest.fixture
def configs(tmp_path):
    made = {}
    for name in ("a", "b"):
        path = tmp_path / "etc" / name / "zoo.cfg"
        path.parent.mkdir(parents=True)
        path.write_text("clientPort=2181\n")
        made[name] = str(path)
    return made


def test_the_only_server_is_found(proc, configs):
    proc.add(10, ["java", "-cp", CP, QPM, configs["a"]])
    proc.add(11, ["python3", "-c", "pass", QPM, configs["b"]])  # not java: never a server
    proc.add(12, ["java", "-cp", CP, "org.example.Other"])
    assert zkjvm.find_server(proc=proc.root) == {"pid": 10, "main_class": QPM, "config": configs["a"]}


def test_several_servers_need_a_choice(proc, configs):
    proc.add(10, ["java", "-cp", CP, QPM, configs["a"]])
    proc.add(20, ["java", "-cp", CP, QPM, configs["b"]])
    with pytest.raises(zkjvm.JmxFailure) as err:
        zkjvm.find_server(proc=proc.root)
    assert err.value.reason == "several_servers" and "pid 10" in str(err.value) and "pid 20" in str(err.value)
    assert zkjvm.find_server(conf_path=configs["b"], proc=proc.root)["pid"] == 20


def test_conf_path_matches_the_same_file_through_links_and_relative_paths(proc, configs, tmp_path):
    link = tmp_path / "zoo-link.cfg"
    os.symlink(configs["a"], str(link))
    proc.add(10, ["java", "-cp", CP, QPM, "zoo.cfg"], cwd=os.path.dirname(configs["a"]))
    proc.add(20, ["java", "-cp", CP, QPM, configs["b"]])
    # /proc/PID/root of the fake tree does not exist: the relative path is resolved by the real path
    os.symlink("/", os.path.join(proc.root, "10", "root"))
    assert zkjvm.find_server(conf_path=str(link), proc=proc.root)["pid"] == 10


@pytest.mark.parametrize("setup,kwargs,reason", [
    ("none", {}, "no_server"),
    ("none", {"pid": 99}, "no_server"),
    ("other", {"pid": 30}, "not_zookeeper"),
    ("kernel", {"pid": 2}, "not_zookeeper"),
    ("server", {"conf_path": "b"}, "no_server"),
    ("server", {"pid": 10, "conf_path": "b"}, "no_server"),
])
def test_refusals(proc, configs, setup, kwargs, reason):
    if setup == "server":
        proc.add(10, ["java", "-cp", CP, QPM, configs["a"]])
    if setup == "other":
        proc.add(30, ["java", "-XX:+UseSerialGC", "Sleep.java"])
    if setup == "kernel":
        proc.add(2, [])
    if "conf_path" in kwargs:
        kwargs["conf_path"] = configs[kwargs["conf_path"]]
    with pytest.raises(zkjvm.JmxFailure) as err:
        zkjvm.find_server(proc=proc.root, **kwargs)
    assert err.value.reason == reason
    if "conf_path" in kwargs:  # the option that did not match is named
        assert str(err.value).startswith("conf_path: ") and kwargs["conf_path"] in str(err.value)


def test_a_given_pid_that_is_a_server(proc, configs):
    proc.add(10, ["java", "-cp", CP, QPM, configs["a"]])
    assert zkjvm.find_server(pid=10, conf_path=configs["a"], proc=proc.root)["config"] == configs["a"]


# ---------------------------------------------------------------- JDKs
def executable(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def jdk_home(root, version, modules=None, javac=False, tools=False, jre_layout=False):
    root.mkdir(parents=True)
    release = 'JAVA_VERSION="%s"\n' % version
    if modules is not None:
        release += 'MODULES="%s"\n' % " ".join(modules)
    (root / "release").write_text(release)
    java = executable(root / ("jre/bin/java" if jre_layout else "bin/java"))
    if javac:
        executable(root / "bin" / "javac")
    if tools:
        (root / "lib").mkdir()
        (root / "lib" / "tools.jar").write_text("")
    return java


FULL = ["java.base", "java.management", "jdk.attach", "jdk.compiler"]


def test_jdk_17_runs_the_source_launcher(tmp_path):
    java = jdk_home(tmp_path / "jdk17", "17.0.15", FULL, javac=True)
    jdk = zkjvm.jdk_of(java)
    assert (jdk["major"], jdk["launch"], jdk["version"], jdk["classpath"]) == (17, "source", "17.0.15", [])


def test_jdk_8_compiles_with_tools_jar(tmp_path):
    home = tmp_path / "jdk8"
    java = jdk_home(home, "1.8.0_392", javac=True, tools=True, jre_layout=True)
    jdk = zkjvm.jdk_of(java)
    assert (jdk["major"], jdk["launch"]) == (8, "javac")
    assert jdk["javac"] == str(home / "bin" / "javac") and jdk["classpath"] == [str(home / "lib" / "tools.jar")]


def test_jdk_10_compiles_without_tools_jar(tmp_path):
    jdk = zkjvm.jdk_of(jdk_home(tmp_path / "jdk10", "10.0.2", FULL, javac=True))
    assert (jdk["launch"], jdk["classpath"]) == ("javac", [])


@pytest.mark.parametrize("version,modules,javac,tools,needle", [
    ("17.0.15", ["java.base", "java.management"], False, False, "without the jdk.attach module"),
    ("17.0.15", ["java.base", "jdk.attach"], False, False, "no jdk.compiler"),
    ("1.8.0_392", None, False, False, "without javac"),
    ("1.8.0_392", None, True, False, "no lib/tools.jar"),
    ("1.7.0_80", None, True, True, "needs Java 8 or later"),
    ("", None, True, True, "no JAVA_VERSION"),
])
def test_runtimes_that_cannot_attach(tmp_path, version, modules, javac, tools, needle):
    java = jdk_home(tmp_path / "jre", version, modules, javac=javac, tools=tools)
    with pytest.raises(zkjvm.JmxFailure) as err:
        zkjvm.jdk_of(java)
    assert err.value.reason == "no_jdk" and needle in str(err.value)


def test_no_release_file_or_not_executable(tmp_path):
    java = executable(tmp_path / "odd" / "bin" / "java")
    with pytest.raises(zkjvm.JmxFailure) as err:
        zkjvm.jdk_of(java)
    assert "release" in str(err.value)
    plain = tmp_path / "plain"
    plain.write_text("")
    with pytest.raises(zkjvm.JmxFailure):
        zkjvm.jdk_of(str(plain))


def test_java_candidates_order(tmp_path, proc):
    jvm_java = jdk_home(tmp_path / "jvm", "17.0.1", FULL)
    path_java = jdk_home(tmp_path / "pathjdk", "17.0.2", FULL)
    proc.add(10, ["java", QPM], exe=jvm_java)
    path = os.pathsep.join([str(tmp_path / "empty"), os.path.dirname(path_java)])
    assert zkjvm.java_candidates(None, 10, proc.root, path) == [jvm_java, path_java]
    assert zkjvm.java_candidates("/opt/java", 10, proc.root, path) == ["/opt/java"]
    # another user's JVM: its exe link cannot be read, PATH remains
    assert zkjvm.java_candidates(None, 11, proc.root, path) == [path_java]
    usable, refused = zkjvm.usable_jdks([str(tmp_path / "missing"), path_java])
    assert [j["java"] for j in usable] == [path_java] and len(refused) == 1
