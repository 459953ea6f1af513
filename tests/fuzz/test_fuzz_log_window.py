"""log_window with hostile values and hostile log files: bad input fails before anything is read or
written, and no file among the logs (a FIFO, a link to a root-only file, a device, a damaged gzip, a
line without end) can hang it, leak what the caller could not read, or fail the collection.

The base cuts 10 minutes either side of an alarm out of a ZooKeeper log and a rotated sibling and writes
the bundle (a write the accepted cases may make)."""
import datetime
import gzip
import os

from tests.fuzz import harness, values


def LOG_DIR(workdir):
    return os.path.join(workdir, "log")


def LOG(workdir):
    return os.path.join(workdir, "log", "zookeeper.log")


def DEST(workdir):
    return os.path.join(workdir, "bundle.tar.gz")


AT = "2026-11-21T10:15:30"


def zk_lines(start, count, step=20):
    return "".join("%s - WARN  [main:Foo@12] - event %d\n" % (
        (start + datetime.timedelta(seconds=step * i)).strftime("%Y-%m-%d %H:%M:%S,000"), i) for i in range(count))


def logs(workdir):
    os.mkdir(LOG_DIR(workdir))
    with open(LOG(workdir), "w") as handle:
        handle.write(zk_lines(datetime.datetime(2026, 11, 21, 10, 0, 0), 120))
    with open(LOG(workdir) + ".1", "w") as handle:
        handle.write(zk_lines(datetime.datetime(2026, 11, 21, 9, 0, 0), 180))


TARGET = harness.Target(
    "log_window",
    base=lambda workdir: {"paths": [LOG(workdir)], "at": AT, "timezone": "UTC", "dest": DEST(workdir)},
    setup=logs, writes=True,
    base_did=lambda result, check_mode: result["matched"] == 60 and [f["path"][-14:] for f in result["files"]]
    == ["/zookeeper.log"],
)
WINDOW = {"at": None, "start": "2026-11-21T10:05:30", "end": "2026-11-21T10:25:30"}

TARGET.refuse("paths", values.lists_of("a\x00b") + [[], [""], ["x" * 5000], ["\x00"], [12], "nosuchfile"] + [
    [p] for p in values.paths(["fifo", "directory", "device", "dangling_link", "link_loop", "socket", "nul", "long",
                               "secret_as_nobody", "link_to_secret_as_nobody"])],
    always=[[], [values.PathValue("fifo")], [values.PathValue("link_to_secret_as_nobody")]])
for option in ("at", "start", "end"):
    hostile = [v for v in values.numbers() if v != "" or option != "at"] + [
        "99999999999999999999", "2026-13-45", "2026-11-21T25:00:00", "10000-01-01T00:00:00", "1899-12-31T23:59:59",
        "2026-11-21T10:15:30+25:00", "\u0662\u0660\u0662\u0666-11-21", "2026-11-21T10:15:30\x00", "yesterday", 1e300]
    TARGET.refuse(option, hostile, always=["99999999999999999999", "nan", "2026-13-45"],
                  args=None if option == "at" else WINDOW)
TARGET.refuse("before", values.numbers(), always=["nan", -1, "5260321"])
TARGET.refuse("after", values.numbers(), always=["inf", "1e3", "\u0669"])
TARGET.refuse("timezone", [v for v in values.strings() if v != ""] + [
    "Mars/Olympus", "../../etc/passwd", "+25:00", "UTC\x00", "/etc/localtime", "Asia/Shanghai\n", "Etc/GMT+99"],
    always=["../../etc/passwd", "Mars/Olympus"])
TS = "%Y-%m-%d %H:%M:%S,%f"
TARGET.refuse("format", ["bogus", {}, {"pattern": "(", "time_format": TS}, {"pattern": "x" * 2000, "time_format": TS},
                         {"pattern": "no ts group", "time_format": TS}, {"pattern": "(?P<ts>.*)", "time_format": "%Q"},
                         {"pattern": "(?P<ts>.*)", "time_format": "%"}, {"pattern": "(?P<ts>.*)", "extra": 1}, 12, [],
                         "AUTO", "auto\x00", {"pattern": 12, "time_format": TS}, {"pattern": "(?P<ts>x)", "time_format": 5},
                         {"pattern": "(?P<ts>.*)"}],
              always=[{"pattern": "(", "time_format": TS}, {"pattern": "(?P<ts>.*)", "time_format": "%Q"}, "bogus"])
TARGET.refuse("dest", values.paths(["fifo", "directory", "device", "dangling_link", "link_loop", "socket", "nul",
                                    "long", "empty", "crlf", "link_to_secret_as_nobody"])
              + ["relative/nowhere/x.tar.gz", "/nonexistent/dir/x.tar.gz", 12, [], {"a": 1}],
              always=[values.PathValue("directory"), values.PathValue("fifo"), "/nonexistent/dir/x.tar.gz"])
TARGET.refuse("max_bytes", values.numbers(), always=[0, "1099511627777", "nan"])
TARGET.refuse("max_total_bytes", values.numbers(), always=[0, -1, "1e9"])

TARGET.accept("at", [(1795256130, "epoch seconds"), ("1795256130000", "epoch milliseconds as text"),
                     ("2026-11-21 10:15:30.123+08:00", "an offset"), ("2026-11-21T02:15:30Z", "UTC"),
                     ("", "empty is now, as when not given (a template's empty default)")])
TARGET.accept("before", [(0, "nothing before"), ("5260320", "ten years: the bound"), ("0.5", "half a minute")])
TARGET.accept("after", [(0, "nothing after")])
TARGET.accept("timezone", [("Asia/Shanghai", "an IANA name"), ("+08:00", "a fixed offset"), ("UTC", "UTC"),
                           ("posixrules", "a file of the zone database (New York's rules)"),
                           ("", "empty is the host's zone, as when not given (a template's empty default)")])
TARGET.accept("format", [("zookeeper", "a named format"),
                         ({"pattern": r"^(?P<ts>\S+ \S+)", "time_format": "%Y-%m-%d %H:%M:%S,%f"}, "a pattern")])
TARGET.accept("max_bytes", [(1, "one byte: every slice cut"), ("1099511627776", "1 TiB: the bound")])
TARGET.accept("max_total_bytes", [(100, "a cap smaller than the window")])
TARGET.accept("paths", [(lambda w: [os.path.join(LOG_DIR(w), "*.log")], "a glob"),
                        (lambda w: [LOG(w), LOG(w)], "the same file twice")])
TARGET.accept("dest", [(lambda w: os.path.join(w, ".", "b.tar.gz"), "a path through .")])


def sibling(kind):
    """A rotated sibling of the log that is a hostile object."""
    def setup(workdir):
        path = LOG(workdir) + ".2"
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "secret":
            os.symlink(values.write_secret(workdir), path)
        elif kind == "device":
            os.symlink("/dev/zero", path)
        elif kind == "directory":
            os.mkdir(path)
        elif kind == "corrupt_gzip":
            with open(path + ".gz", "wb") as handle:
                handle.write(gzip.compress(zk_lines(datetime.datetime(2026, 11, 21, 10, 5), 50).encode())[:-20])
        elif kind == "gzip_bomb":
            with gzip.open(path + ".gz", "wb") as handle:
                handle.write(zk_lines(datetime.datetime(2026, 11, 21, 10, 5), 1).encode())
                handle.write(b"\0" * (200 * 1024 * 1024))
        elif kind == "long_line":
            with open(path, "w") as handle:
                handle.write(zk_lines(datetime.datetime(2026, 11, 21, 10, 5), 1))
            with open(path, "ab") as handle:
                handle.truncate(64 * 1024 * 1024)
        elif kind == "unreadable":
            with open(path, "w") as handle:
                handle.write(values.SECRET)
            os.chmod(path, 0o600)
    return setup


for kind in ("fifo", "secret", "device", "directory", "corrupt_gzip", "gzip_bomb", "long_line"):
    TARGET.peer("a rotated sibling: %s" % kind, setup=sibling(kind), may_succeed=True, may_write=True,
                verify=lambda r: r.get("failed") or r["matched"] >= 60)
for kind in ("secret", "unreadable"):
    TARGET.peer("a rotated sibling, as uid 65534: %s" % kind, setup=lambda w, k=kind: (sibling(k)(w), _readable(w)),
                may_succeed=True, may_write=True, uid=harness.NOBODY, args={"dest": lambda w: os.path.join(w, "out.tgz")},
                verify=lambda r: r.get("failed") or r["matched"] >= 60)
TARGET.peer("a 64 MiB log without a line break", setup=lambda w: os.truncate(LOG(w), 64 * 1024 * 1024),
            may_succeed=True, may_write=True)


def _readable(workdir):
    """The logs are readable by every user (the sibling made by the case keeps its own mode)."""
    os.chmod(LOG_DIR(workdir), 0o755)


globals().update(harness.module_tests([TARGET], peers=[TARGET]))
