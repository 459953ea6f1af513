"""zookeeper_config with hostile values and hostile files: a bad path or setting is refused before
anything is written, and no file it is pointed at can hang it, leak what the caller could not read or
make it parse for minutes.

The base raises maxClientCnxns in a valid zoo.cfg (a write: the cases that must refuse prove that nothing
was written, the accepted ones may write)."""
import os

from tests.fuzz import harness, values

ZOO_CFG = b"# zoo.cfg\ntickTime=2000\ndataDir=/var/lib/zookeeper\nclientPort=2181\nmaxClientCnxns=60\n"


def write(path, data, mode=0o644):
    with open(path, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)


def zoo_cfg(workdir):
    write(os.path.join(workdir, "zoo.cfg"), ZOO_CFG)


def CFG(workdir):
    return os.path.join(workdir, "zoo.cfg")


TARGET = harness.Target(
    "zookeeper_config",
    base=lambda workdir: {"path": CFG(workdir), "settings": {"maxClientCnxns": 200}, "backup": False},
    setup=zoo_cfg, writes=True,
    base_did=lambda result, check_mode: [(c["key"], c["after"]) for c in result["changes"]] == [("maxClientCnxns", "200")],
)

JAVA_INT = [2147483648, "2147483648", "99999999999999999999", -1, "-1", "1e3", float("nan"), float("inf"), "nan",
            "\u0669", "\uff11\uff10", True, 12.5, "12.0", "0x10", "1_000", " 5", "5 ", "", "+5", "9" * 5000, None,
            [1], {"a": 1}]
TARGET.refuse("settings", [{"maxClientCnxns": v} for v in JAVA_INT], always=[
    {"maxClientCnxns": 2147483648}, {"tickTime": "99999999999999999999"}, {"maxClientCnxns": "\u0669"}])
TARGET.refuse("settings", [{"clientPort": v} for v in (0, 65536, "2181\n", "\u0662\u0661\u0668\u0661", "-2181")])
TARGET.refuse("settings", [
    {"dataDir": "a\x00b"}, {"dataDir": "a\nb"}, {"dataDir": ""}, {"dataDir": " /lead"}, {"x.y": "a\r\nb"},
    {"maxclientcnxns": 10}, {"MaxClientCnxns": 10}, {"bad key": 1}, {"k\x00": 1}, {"": 1}, {"k=v": 1}, {"k:v": 1},
    {"4lw.commands.whitelist": "srvr, bogus"}, {"4lw.commands.whitelist": ""}, {"x": None}, {"x": [1]},
    {"x": {"a": 1}}, {"x": "\u4e2d"}, {"admin.enableServer": "yes"}, {"snapCount": 1}, {"x": "\x1b[2J"},
    {"x" * 300: 1}, {"tickTime": 0}, {"syncLimit": "0"}, {"x": "a\x7fb"},
], always=[{"dataDir": "a\x00b"}, {"maxclientcnxns": 10}])
TARGET.refuse("settings", [{}, [], 12, ["maxClientCnxns"], True], always=[{}])
TARGET.refuse("path", values.paths() + values.strings(), always=[
    values.PathValue("fifo"), values.PathValue("device"), values.PathValue("link_to_secret_as_nobody")])
TARGET.refuse("backup", values.booleans())

TARGET.accept("settings", [
    ({"maxClientCnxns": 0}, "0: no limit"), ({"maxClientCnxns": "2147483647"}, "Java's largest int"),
    ({"dataDir": "/var/lib/zoo keeper\\x"}, "a space and a backslash inside a value (escaped when written)"),
    ({"x.y": "caf\u00e9"}, "ISO-8859-1 text"), ({"4lw.commands.whitelist": "*"}, "every word"),
    ({"admin.enableServer": True}, "a boolean"), ({"minSessionTimeout": -1}, "-1: the default"),
    ("maxClientCnxns=200", "Ansible reads a key=value string as a dict"),
])
TARGET.accept("path", [(lambda w: CFG(w).replace("/zoo.cfg", "/./zoo.cfg"), "a path through ."),
                       (lambda w: _link(w), "a link to zoo.cfg (the file it points to is edited)")])  # pylint: disable=unnecessary-lambda
TARGET.accept("backup", [(True, "a backup next to the file"), ("yes", "an Ansible boolean")])


def _link(workdir):
    link = os.path.join(workdir, "link.cfg")
    os.symlink(CFG(workdir), link)
    return link


def continuation_lines(workdir):
    """3 MB of one key continued over 300000 lines (the parser was quadratic on them)."""
    write(CFG(workdir), ZOO_CFG + b"server.list=" + b"x\\\n" * 300000 + b"end\n")


def long_line(workdir):
    """60 MiB on one line (sparse NULs): under the size cap, so it is read; no line break ever comes."""
    with open(CFG(workdir), "ab") as handle:
        handle.truncate(60 * 1024 * 1024)


def too_large(workdir):
    with open(CFG(workdir), "ab") as handle:
        handle.truncate(100 * 1024 * 1024)


def dynamic(target_kind):
    """zoo.cfg naming a dynamic configuration file that is a hostile object."""
    def setup(workdir):
        write(CFG(workdir), ZOO_CFG + b"dynamicConfigFile=zoo.cfg.dynamic\n")
        path = os.path.join(workdir, "zoo.cfg.dynamic")
        if target_kind == "fifo":
            os.mkfifo(path)
        elif target_kind == "secret":
            os.symlink(values.write_secret(workdir), path)
        elif target_kind == "large":
            with open(path, "wb") as handle:
                handle.truncate(100 * 1024 * 1024)
    return setup


def read_only_directory(workdir):
    """The file is the caller's (uid 65534) but its directory is root's: no temporary file can be made."""
    os.mkdir(os.path.join(workdir, "etc"), 0o755)
    path = os.path.join(workdir, "etc", "zoo.cfg")
    write(path, ZOO_CFG)
    os.chown(path, harness.NOBODY, harness.NOBODY)


def IN_ETC(workdir):
    return os.path.join(workdir, "etc", "zoo.cfg")


TARGET.peer("3 MB of continuation lines", setup=continuation_lines, may_succeed=True, may_write=True)
TARGET.peer("a 60 MiB line without a line break", setup=long_line, may_succeed=True, may_write=True)
TARGET.peer("a 100 MiB zoo.cfg", setup=too_large, names=["larger than"])
TARGET.peer("a dynamic configuration file that is a FIFO", setup=dynamic("fifo"),
            args={"settings": {"clientPort": 2182}}, names=["dynamic", "not a regular file"])
TARGET.peer("a dynamic configuration file linked to a root-only file, as uid 65534", setup=dynamic("secret"),
            args={"settings": {"clientPort": 2182}}, names=["dynamic"], uid=harness.NOBODY)
TARGET.peer("a 100 MiB dynamic configuration file", setup=dynamic("large"),
            args={"settings": {"clientPort": 2182}}, names=["dynamic", "larger than"])
TARGET.peer("a directory the caller cannot write, as uid 65534", setup=read_only_directory, args={"path": IN_ETC},
            names=["path", "cannot write"], uid=harness.NOBODY)
TARGET.peer("a backup into a directory the caller cannot write, as uid 65534", setup=read_only_directory,
            args={"path": IN_ETC, "backup": True}, names=["path", "cannot write"], uid=harness.NOBODY)

globals().update(harness.module_tests([TARGET], peers=[TARGET]))
