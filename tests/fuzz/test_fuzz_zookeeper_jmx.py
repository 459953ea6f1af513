"""zookeeper_jmx with hostile values and hostile stand-ins for the JDK.

The base finds a process whose command line is a ZooKeeper server's (java ... QuorumPeerMain zoo.cfg)
and runs a stand-in JDK (release file and a `java` that answers the attach program's request): the limit
60 is set to 200. A hostile value that is wrongly accepted shows as that success. The real JVM attach is
tested in tests/integration/test_zookeeper_jmx.py; here the point is what the module accepts and how a
java that hangs, floods or answers garbage is bounded.
"""
import os

from tests.fuzz import harness, layouts, values


def ZOO_CFG(workdir):
    return os.path.join(workdir, "zoo.cfg")


def JAVA(workdir):
    return os.path.join(workdir, "jdk", "bin", "java")


URL = "service:jmx:rmi:///jndi/rmi://127.0.0.1:21810/jmxrmi"
# The sandbox (pid 1) starts its sentinels first: the stand-in server is pid 2.
SERVER_PID = 2


def setup(workdir):
    with open(ZOO_CFG(workdir), "w") as handle:
        handle.write("clientPort=2181\n")
    layouts.fake_jdk(workdir)


SERVER = [{"name": "java", "zookeeper": ZOO_CFG}]
TARGET = harness.Target(
    "zookeeper_jmx",
    base=lambda workdir: {"max_client_cnxns": 200, "java": JAVA(workdir), "timeout": 20},
    setup=setup, sentinels=SERVER,
    base_did=lambda result, check_mode: (result["pid"], result["before"], result["after"]) == (SERVER_PID, 60, 200),
)
BY_URL = harness.Target(
    "zookeeper_jmx", label="zookeeper_jmx-url",
    base=lambda workdir: {"jmx_url": URL, "jmx_user": "monitor", "jmx_password": "s3cret", "java": JAVA(workdir),
                          "timeout": 20},
    setup=setup,
    base_did=lambda result, check_mode: result["method"] == "jmx_url" and result["after"] == 60,
)

TARGET.refuse("max_client_cnxns", values.numbers(), always=[2147483648, "2147483648", -1, "\u0669", "nan", 12.5])
TARGET.refuse("pid", values.numbers(), always=[0, 4194305, "3\n", "\u0663", 1])
TARGET.refuse("conf_path", values.paths() + ["\x00", "a\r\nb", 12, [], {"a": 1}],
              always=[values.PathValue("fifo"), values.PathValue("directory")])
TARGET.refuse("java", values.paths() + ["\x00", "a\r\nb", 12, [], {"a": 1}, "/bin/true", "/etc/passwd"],
              always=[values.PathValue("fifo"), "/bin/true"])
TARGET.refuse("timeout", values.numbers(), always=["inf", "nan", 0, "3601"])
BY_URL.refuse("jmx_url", values.strings() + ["http://127.0.0.1:21810", "service:jmx:\nx", "service:jmx:" + "x" * 5000],
              always=["service:jmx:rmi:///jndi/rmi://127.0.0.1:21810/jmxrmi\nset=0", "http://127.0.0.1:8080"])
BY_URL.refuse("jmx_user", values.texts(), always=["monitor\nset=0", 12])
# no_log masks every item of a list value wherever it occurs: items "a" and "b" would mask the message too.
BY_URL.refuse("jmx_password", [v for v in values.texts() if v not in ("", ["a", "b"])] + [["s3cret-1", "s3cret-2"]],
              always=["s3cret\nset=0", "s3cret\rurl=x", 123456], secret=True)

TARGET.accept("max_client_cnxns", [(0, "0: unlimited"), ("2147483647", "Java's largest int")])
TARGET.accept("pid", [(SERVER_PID, "the server's pid"), (str(SERVER_PID), "its pid as ASCII digits")])
TARGET.accept("conf_path", [(ZOO_CFG, "the server's zoo.cfg"),
                            (lambda w: ZOO_CFG(w).replace("/zoo.cfg", "/./zoo.cfg"), "the same file through .")])
TARGET.accept("timeout", [("0.5", "a fraction of a second: plenty for the stand-in"), ("3600", "the upper bound")])
BY_URL.accept("jmx_password", [("p@ss w0rd=;'\"", "printable punctuation and blanks"),
                               ("", "an empty password (what the program sends when none is given)")] + values.INERT)
BY_URL.accept("jmx_user", [("cn=admin,ou=ops", "an LDAP-style name")] + values.INERT)


def zoo_only(workdir):
    with open(ZOO_CFG(workdir), "w") as handle:
        handle.write("clientPort=2181\n")


# The same base, with the stand-in JDK laid out by each peer.
PEERS = harness.Target("zookeeper_jmx", base=TARGET.base, setup=zoo_only, sentinels=SERVER, peers_only=True)


HANGS = "import os, time\nos.fork()\nprint('attaching', flush=True)\ntime.sleep(3600)"
FLOODS = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)"
GARBAGE = "import os, sys\nsys.stdout.buffer.write(os.urandom(100000))"
LIES = "print('ALERTOPS-JMX {\"ok\": true, \"before\": \"60\", \"after\": 1e999}')"
SAYS_OK_AFTER_A_FLOOD = "import sys\nsys.stdout.write('x' * 50000000)\nprint()\n" + layouts.FAKE_JAVA
for title, body, names, may_succeed in [
        ("hangs with a child holding its output", HANGS, ["deadline"], False),
        ("floods its output", FLOODS, ["deadline"], False),
        ("answers binary noise", GARBAGE, ["could not run"], False),
        ("answers numbers that are not numbers", LIES, ["could not run"], False),
        ("answers after 50 MB of noise", SAYS_OK_AFTER_A_FLOOD, [], True),
        ("is not a program", "\nthis is not python", ["could not run"], False),
]:
    PEERS.peer("a java that %s" % title, setup=lambda w, b=body: layouts.fake_jdk(w, body=b), names=names,
               may_succeed=may_succeed, args={"timeout": 3})
PEERS.peer("a java that is a script without an interpreter line", setup=lambda w: _not_executable(w),  # pylint: disable=unnecessary-lambda
           names=["cannot be run"], args={"timeout": 3})
for title, release in [("a FIFO", "fifo"), ("a link to a root-only file", "secret"), ("huge", "huge")]:
    PEERS.peer("a JDK whose release file is %s" % title, setup=lambda w, r=release: _release(w, r),
               names=["release"], uid=harness.NOBODY if release == "secret" else None)


def _not_executable(workdir):
    java = layouts.fake_jdk(workdir)
    with open(java, "w") as handle:
        handle.write("this is no program\n")


def _release(workdir, kind):
    layouts.fake_jdk(workdir, release=None)
    path = os.path.join(workdir, "jdk", "release")
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "secret":
        os.symlink(values.write_secret(workdir), path)
    else:
        with open(path, "w") as handle:
            handle.write(layouts.RELEASE)
            handle.truncate(100 * 1024 * 1024)


globals().update(harness.module_tests([TARGET, BY_URL], peers=[PEERS]))
