"""Hostile values by kind of option, and hostile filesystem objects.

Each pool holds values no option of that kind may take as they are; a test samples FUZZ_CASES of them
per option (seeded) and adds the option's own neighbours (the first value past each bound).
"""
import os

SECRET = "FUZZ-SECRET-7c1e9a"  # content of files the module's caller could not read; never in any output

UNICODE_DIGITS = ["\u0669", "\uff19", "9\u0663", "\u2167", "\u00b2", "\u0e53\u0e53"]
CONTROL = ["a\x00b", "a\r\nb", "a\nb", "\x1b[2J", "a\rb", "\x7f"]
TEMPLATE = ["{{ lookup('ansible.builtin.pipe', 'touch /tmp/fuzz-pwned') }}", "{% raw %}x", "$(id)", "`id`"]
NON_FINITE = ["nan", "NaN", "inf", "-inf", "Infinity", "1e308", "-1e308", "1e999", float("nan"), float("inf"),
              float("-inf")]
WRONG_TYPES = [True, False, [], {}, [1], {"a": 1}]


def numbers():
    """For any bounded number (seconds, counts, ports, sizes, percentages)."""
    return NON_FINITE + [10 ** 30, -(10 ** 30), "99999999999999999999", -1, "-1", "", " ", "0x10", "1_000",
                         "1.5.2", "12abc", "1e3", "+5", "5 5", "\u00a05"] + UNICODE_DIGITS + CONTROL + WRONG_TYPES


def texts():
    """No one-line text option may take these: blank, NUL and other control characters, a huge text, a
    value of another type (which Ansible's str would turn into "12", "True" or "['a', 'b']").

    No lone surrogate ("\\udcff"): ansible-core's AnsibleModule dies on one in any text option while it logs
    the invocation (UnicodeEncodeError in _log_invocation), before any module code runs.
    """
    return ["", "\x00", "x" * 100000, 12, 3.5, True, [], {"a": 1}, ["a", "b"]] + CONTROL


# Text that looks like code, a path or a spoof but is plain data where an option is free text (a label,
# a user name, a password): the modules pass it on as data, never to a shell or a template.
INERT = [("\u202etxt.exe", "a right-to-left override is printable text"),
         ("../" * 50 + "etc/passwd", "a path-looking text is only text here")] + [
    (t, "a template or shell syntax is passed on as data, never evaluated") for t in TEMPLATE]


def strings():
    """For names, addresses and other structured text: texts() plus what only looks like one."""
    return texts() + [text for text, _why in INERT]


def ports():
    """For options that take ports or port lists."""
    return [0, -1, 65536, 10 ** 9, "65536", "1-", "-5", "5-1", "1-70000", "\u0663\u0663", "\uff16\uff13\uff10\uff10\uff10",
            "63000\x00", "63000\r\n", "nan", "1e3", "62881-63881-1", True, {}, [[]], 62888.5, "0x1F90", "6_3000"]


def booleans():
    return ["maybe", 2, -1, "yes\x00", "", [], {}, "tru", 1.5, "\u0661"]


def choices(valid):
    """For an option restricted to `valid` names."""
    return [valid[0].upper(), valid[0] + "\x00", valid[0] + "\n", " " + valid[0], "", 1, True, [], {},
            list(valid), "x" * 5000]


def lists_of(element):
    """For list options: not a list, and lists holding hostile elements."""
    return [{"a": 1}, [None], [[]], [{}], [element], "\x00", 12.5] + [[v] for v in CONTROL[:3]]


# Hostile filesystem objects a path option may name. "as_nobody": only meaningful for a caller who may
# not read everything (root may follow a link to a root-only file; uid 65534 may not).
PATH_KINDS = ["fifo", "dangling_link", "link_loop", "directory", "device", "long", "nul", "relative_up",
              "socket", "secret_as_nobody", "link_to_secret_as_nobody", "empty", "crlf"]


class PathValue(object):
    """A path option value made fresh in the case's directory: `PathValue(kind)(workdir)` -> path."""

    def __init__(self, kind, name="p"):
        self.kind = kind
        self.name = name
        self.uid = 65534 if kind.endswith("_as_nobody") else None

    def __repr__(self):
        return "<%s>" % self.kind

    def __call__(self, workdir):
        path = os.path.join(workdir, "%s-%s" % (self.name, self.kind))
        kind = self.kind.replace("_as_nobody", "")
        if kind == "fifo":
            os.mkfifo(path)
        elif kind == "dangling_link":
            os.symlink(os.path.join(workdir, "nowhere"), path)
        elif kind in ("secret", "link_to_secret"):
            secret = write_secret(workdir)
            if kind == "secret":
                return secret
            os.symlink(secret, path)
        elif kind == "link_loop":
            os.symlink(path, path)
        elif kind == "directory":
            os.mkdir(path)
        elif kind == "socket":
            import socket
            sock = socket.socket(socket.AF_UNIX)
            sock.bind(path)
            sock.close()
        elif kind == "device":
            return "/dev/zero"
        elif kind == "long":
            return os.path.join(workdir, "x" * 5000)
        elif kind == "nul":
            return path + "\x00tail"
        elif kind == "relative_up":
            # a relative path that climbs out and back down to the case's root-only file (never a file
            # of the machine: its content would show in a failure's evidence)
            return "../" * 40 + os.path.relpath(write_secret(workdir), "/")
        elif kind == "empty":
            return ""
        elif kind == "crlf":
            return path + "\r\nx"
        return path


def write_secret(workdir):
    """A file only root may read (mode 0600, owned by root), holding SECRET."""
    secret = os.path.join(workdir, "secret")
    if not os.path.exists(secret):
        with open(secret, "w") as handle:
            handle.write(SECRET + "\n")
        os.chmod(secret, 0o600)
    return secret


def paths(kinds=None, name="p"):
    return [PathValue(kind, name) for kind in (kinds or PATH_KINDS)]
