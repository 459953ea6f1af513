"""How to launch Debian's ZooKeeper 3.8 by hand (this machine has no systemd).

Debian's zookeeper.jar manifest lacks a logging binding and the servlet API, so without the extra jars
below the server writes no log and has no AdminServer. Shared by the lab's service script and by the
tests that start a throwaway server on loopback.
"""
import os

ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar"
EXTRA_JARS = (
    "/usr/share/java/slf4j-log4j12.jar",
    "/usr/share/java/log4j-1.2.jar",
    "/usr/share/java/servlet-api.jar",
)
MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain"


def java_argv(conf_dir, log_dir, heap_mb=128, extra_props=None, jvm_flags=()):
    """argv that runs QuorumPeerMain on conf_dir/zoo.cfg, logging via conf_dir/log4j.properties;
    jvm_flags (e.g. -XX:+DisableAttachMechanism) go before the class path, as SERVER_JVMFLAGS do."""
    props = {
        "zookeeper.log.dir": log_dir,
        "zookeeper.log.file": "zookeeper.log",
        "zookeeper.root.logger": "INFO,ROLLINGFILE",
        "log4j.configuration": "file:" + os.path.join(conf_dir, "log4j.properties"),
        "zookeeper.jmx.log4j.disable": "true",
    }
    props.update(extra_props or {})
    classpath = ":".join((conf_dir, ZOOKEEPER_JAR) + EXTRA_JARS)
    argv = ["java", "-Xms%dm" % heap_mb, "-Xmx%dm" % heap_mb, "-XX:+UseSerialGC"] + list(jvm_flags)
    argv += ["-cp", classpath]
    argv += ["-D%s=%s" % kv for kv in sorted(props.items())]
    argv += [MAIN_CLASS, os.path.join(conf_dir, "zoo.cfg")]
    return argv


def missing_jars():
    return [j for j in (ZOOKEEPER_JAR,) + EXTRA_JARS if not os.path.exists(j)]
