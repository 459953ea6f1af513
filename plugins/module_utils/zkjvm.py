# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which JVM is the ZooKeeper server, and which java on this host can attach to it.

Reads the process table (``/proc``, or a recorded tree in tests) and JDK homes (their ``release`` file);
runs nothing. Failures are JmxFailure with a machine-readable ``reason`` (see zookeeper_jmx's RETURN).
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

from ansible_collections.alertops.remediation.plugins.module_utils.regular_file import (
    NotRegularFileError, read_regular_file,
)

ZOOKEEPER_MAIN_CLASSES = (
    "org.apache.zookeeper.server.quorum.QuorumPeerMain",
    "org.apache.zookeeper.server.ZooKeeperServerMain",
)
MAX_CMDLINE_BYTES = 1024 * 1024
MAX_RELEASE_BYTES = 64 * 1024
# java launcher options whose value is the next argument (java --help, JDK 8 to 21)
_OPTIONS_WITH_VALUE = frozenset((
    "-cp", "-classpath", "--class-path", "-p", "--module-path", "--upgrade-module-path", "--add-modules",
    "--limit-modules", "--add-reads", "--add-exports", "--add-opens", "--patch-module", "--source",
    "--enable-native-access", "--describe-module", "-d",
))
_PID = re.compile(r"[0-9]{1,10}\Z")
_RELEASE_LINE = re.compile(r'^([A-Z_]+)="?(.*?)"?\s*$', re.M)


class JmxFailure(Exception):
    """Live relief is impossible here; ``reason`` says why in one word the role can act on."""

    def __init__(self, reason, message):
        Exception.__init__(self, message)
        self.reason = reason


# ------------------------------------------------------------------------------------------------
# The ZooKeeper server's process
# ------------------------------------------------------------------------------------------------
def java_main(argv):
    """(main class, its arguments) of a java command line; (None, []) when it names no class (-jar,
    a module without a class, options only)."""
    i = 1
    while i < len(argv):
        arg = argv[i]
        if arg in _OPTIONS_WITH_VALUE:
            i += 2
        elif arg == "-jar":
            return None, []
        elif arg in ("-m", "--module") or arg.startswith("--module="):
            value = arg.partition("=")[2] if "=" in arg else (argv[i + 1] if i + 1 < len(argv) else "")
            rest = argv[i + 1:] if "=" in arg else argv[i + 2:]
            module, slash, main = value.partition("/")
            return (main if slash and main else None), rest
        elif arg.startswith("-") or arg.startswith("@"):
            i += 1
        else:
            return arg, argv[i + 1:]
    return None, []


def read_argv(pid, proc="/proc"):
    """argv of ``pid`` as a list of str ([] for a kernel thread or a zombie), None when there is no such
    process."""
    try:
        raw = read_regular_file(os.path.join(proc, str(pid), "cmdline"), MAX_CMDLINE_BYTES)
    except (IOError, OSError, NotRegularFileError):
        return None
    argv = raw.decode("utf-8", "replace").split("\0")
    if argv and argv[-1] == "":
        argv.pop()
    return argv


def _is_java(argv):
    return os.path.basename(argv[0]) == "java"


def server_of(pid, argv):
    """{pid, main_class, config} when ``argv`` is a ZooKeeper server's java command line, else None."""
    if not argv or not _is_java(argv):
        return None
    main, args = java_main(argv)
    if main not in ZOOKEEPER_MAIN_CLASSES:
        return None
    return {"pid": pid, "main_class": main, "config": args[0] if args else None}


def _file_id(path):
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def serves_config(server, conf_path, proc="/proc"):
    """True when the server's command line names ``conf_path`` (the same file, seen from its root and
    working directory when those are readable, else by path)."""
    config = server.get("config")
    if not config:
        return False
    base = os.path.join(proc, str(server["pid"]))
    candidates = []
    try:
        cwd = os.readlink(os.path.join(base, "cwd"))
        candidates.append(os.path.join(base, "root") + os.path.join(cwd, config))
    except OSError:
        pass
    candidates.append(config)
    wanted = _file_id(conf_path)
    for candidate in candidates:
        if wanted is not None and _file_id(candidate) == wanted:
            return True
    return os.path.realpath(config) == os.path.realpath(conf_path)


def list_servers(proc="/proc"):
    """Every ZooKeeper server JVM in the process table, by pid."""
    found = []
    try:
        names = os.listdir(proc)
    except OSError:
        return found
    for name in names:
        if not _PID.match(name):
            continue
        server = server_of(int(name), read_argv(name, proc))
        if server:
            found.append(server)
    return sorted(found, key=lambda s: s["pid"])


def find_server(pid=None, conf_path=None, proc="/proc"):
    """The one ZooKeeper server to act on: the process ``pid``, else the only server (the only one
    whose command line names ``conf_path`` when given). JmxFailure otherwise."""
    if pid is not None:
        argv = read_argv(pid, proc)
        if argv is None:
            raise JmxFailure("no_server", "no process with pid %d" % pid)
        server = server_of(pid, argv)
        if server is None:
            raise JmxFailure("not_zookeeper", "pid %d is not a ZooKeeper server (a java process whose main class is "
                             "%s): its command line is %s"
                             % (pid, " or ".join(ZOOKEEPER_MAIN_CLASSES),
                                repr(" ".join(argv)[:300]) if argv else "empty (a kernel thread or an exiting process)"))
        if conf_path and not serves_config(server, conf_path, proc):
            raise JmxFailure("no_server", "conf_path: the ZooKeeper server with pid %d runs %s, not %s"
                             % (pid, server["config"], conf_path))
        return server
    servers = list_servers(proc)
    if conf_path:
        matching = [s for s in servers if serves_config(s, conf_path, proc)]
    else:
        matching = servers
    listing = ", ".join("pid %d (%s)" % (s["pid"], s["config"]) for s in servers) or "none"
    if not matching:
        raise JmxFailure("no_server", "%sno running ZooKeeper server%s; ZooKeeper servers found: %s"
                         % ("conf_path: " if conf_path else "",
                            " with %s on its command line" % conf_path if conf_path else "", listing))
    if len(matching) > 1:
        raise JmxFailure("several_servers", "%d ZooKeeper servers run here (%s): give pid or conf_path to choose"
                         % (len(matching), ", ".join("pid %d (%s)" % (s["pid"], s["config"]) for s in matching)))
    return matching[0]


# ------------------------------------------------------------------------------------------------
# A JDK that can attach
# ------------------------------------------------------------------------------------------------
def java_candidates(java=None, pid=None, proc="/proc", path=None):
    """Paths of java to try, best first: the option, else the server JVM's own java (its /proc/PID/exe,
    which only the JVM's user or root may read), then java on PATH."""
    if java:
        return [java]
    found = []
    if pid is not None:
        try:
            exe = os.readlink(os.path.join(proc, str(pid), "exe"))
            found.append(os.path.join(os.path.dirname(exe), "java"))
        except OSError:
            pass
    for directory in (os.environ.get("PATH", "") if path is None else path).split(os.pathsep):
        if directory:
            candidate = os.path.join(directory, "java")
            if os.access(candidate, os.X_OK) and candidate not in found:
                found.append(candidate)
                break
    return found


def _version_major(version):
    """'17.0.15' -> 17, '1.8.0_392' -> 8, '21' -> 21, else None."""
    match = re.match(r"(?:1\.)?([0-9]{1,3})(?:[._+\-]|\Z)", version)
    return int(match.group(1)) if match else None


def jdk_of(java):
    """How to run the attach program with ``java``: dict(java, home, version, major, launch ('source':
    ``java Prog.java``, JDK 11+; 'javac': compile first, JDK 8-10), javac, classpath (extra entries: JDK 8's
    tools.jar)). JmxFailure('no_jdk') naming what is missing."""
    real = os.path.realpath(java)
    if not os.path.isfile(real) or not os.access(real, os.X_OK):
        raise JmxFailure("no_jdk", "%s is not an executable java" % java)
    home = os.path.dirname(os.path.dirname(real))
    if os.path.basename(home) == "jre" and os.path.isfile(os.path.join(os.path.dirname(home), "release")):
        home = os.path.dirname(home)  # JDK 8: <jdk>/jre/bin/java
    try:
        release = read_regular_file(os.path.join(home, "release"), MAX_RELEASE_BYTES).decode("utf-8", "replace")
    except (IOError, OSError, NotRegularFileError) as exc:
        raise JmxFailure("no_jdk", "%s: cannot tell which Java it is (no readable %s/release: %s)" % (java, home, exc))
    fields = dict(_RELEASE_LINE.findall(release))
    version = fields.get("JAVA_VERSION", "")
    major = _version_major(version)
    if major is None:
        raise JmxFailure("no_jdk", "%s: %s/release gives no JAVA_VERSION" % (java, home))
    modules = fields.get("MODULES", "").split()
    jdk = {"java": java, "home": home, "version": version, "major": major, "launch": "source", "javac": None,
           "classpath": []}
    if major >= 9 and modules and "jdk.attach" not in modules:
        raise JmxFailure("no_jdk", "%s (Java %s) is a runtime without the jdk.attach module: a JDK is needed" % (java, version))
    if major >= 11:
        if modules and "jdk.compiler" not in modules:
            raise JmxFailure("no_jdk", "%s (Java %s) has no jdk.compiler module to run a source program" % (java, version))
        return jdk
    javac = os.path.join(home, "bin", "javac")
    if not os.access(javac, os.X_OK):
        raise JmxFailure("no_jdk", "%s (Java %s) is a runtime without javac: a JDK is needed" % (java, version))
    jdk.update(launch="javac", javac=javac)
    if major == 8:
        tools = os.path.join(home, "lib", "tools.jar")
        if not os.path.isfile(tools):
            raise JmxFailure("no_jdk", "%s (Java %s) has no lib/tools.jar (the attach API)" % (java, version))
        jdk["classpath"] = [tools]
    elif major < 8:
        raise JmxFailure("no_jdk", "%s is Java %s: the attach program needs Java 8 or later" % (java, version))
    return jdk


def usable_jdks(candidates):
    """(usable jdk dicts in order, reasons why the others are not)."""
    usable, refused = [], []
    for java in candidates:
        try:
            usable.append(jdk_of(java))
        except JmxFailure as exc:
            refused.append(str(exc))
    return usable, refused
