# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure zoo.cfg (Java properties) editing that keeps comments, order and untouched lines byte for byte.

ZooKeeper reads zoo.cfg with java.util.Properties.load(InputStream): ISO-8859-1, comment lines start
with '#' or '!', the key ends at the first unescaped '=', ':' or whitespace, a line ending in an odd
number of backslashes continues on the next line, and the last occurrence of a key wins.
Work on text decoded as latin-1 (``decode``/``encode``) so every byte round-trips unchanged.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import math
import re

from ansible_collections.alertops.remediation.plugins.module_utils.zookeeper import FOUR_LETTER_WORDS
from ansible_collections.alertops.remediation.plugins.module_utils.zkreplies import JAVA_INT_MAX

_INT_RE = re.compile(r"-?[0-9]+\Z")


class ZooCfgError(ValueError):
    """A setting that fails validation or cannot be written safely."""


def decode(data):
    """bytes of zoo.cfg -> text (latin-1, like Java Properties; every byte round-trips)."""
    return data.decode("latin-1")


def encode(text):
    return text.encode("latin-1")


# ------------------------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------------------------
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")


def _physical_lines(text):
    lines = [m.group(0) for m in _LINE_RE.finditer(text)]
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _strip_eol(line):
    if line.endswith("\r\n"):
        return line[:-2], "\r\n"
    if line.endswith("\n") or line.endswith("\r"):
        return line[:-1], line[-1]
    return line, ""


def _continues(content):
    n = len(content) - len(content.rstrip("\\"))
    return n % 2 == 1


class Entry(object):
    """One logical line: a comment/blank line, or a key/value (possibly over continuation lines).

    ``raw`` is the exact original text (with line endings); ``key`` is None for comments/blanks;
    ``prefix`` is everything up to the value (leading space, key, separator).
    """
    __slots__ = ("raw", "key", "prefix", "value", "lineno", "eol")

    def __init__(self, raw, key, prefix, value, lineno, eol):
        self.raw, self.key, self.prefix, self.value, self.lineno, self.eol = raw, key, prefix, value, lineno, eol


_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.S)
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _unescape_one(match):
    code = match.group(1)
    if len(code) == 5:
        return chr(int(code[1:], 16))
    return _ESCAPES.get(code, code)


def _unescape(text):
    return _ESCAPE_RE.sub(_unescape_one, text) if "\\" in text else text


# Java: the key ends at the first unescaped '=', ':' or white space; then white space, at most one '=' or
# ':', white space again. One regex keeps it linear however long the line; the key is written as runs of
# plain characters between escapes (not one alternation per character), so a long key costs little.
_KEY_SPLIT_RE = re.compile(r"[ \t\f]*([^=: \t\f\\]*(?:\\.[^=: \t\f\\]*)*)[ \t\f]*(?:[=:][ \t\f]*)?", re.S)


def _split_key(logical):
    """'  key = value' -> (key, prefix, raw value)."""
    match = _KEY_SPLIT_RE.match(logical)
    return _unescape(match.group(1)), logical[:match.end()], logical[match.end():]


def parse(text):
    """Text -> list of Entry, in file order, covering every byte of ``text``; linear in its length."""
    lines = _physical_lines(text)
    entries = []
    i = 0
    while i < len(lines):
        lineno = i + 1
        content, eol = _strip_eol(lines[i])
        stripped = content.lstrip(" \t\f")
        if not stripped or stripped[0] in "#!":
            entries.append(Entry(lines[i], None, None, None, lineno, eol))
            i += 1
            continue
        raw = [lines[i]]
        parts = []
        while _continues(content) and i + 1 < len(lines):
            parts.append(content[:-1])
            i += 1
            raw.append(lines[i])
            content, eol = _strip_eol(lines[i])
            content = content.lstrip(" \t\f")
        if _continues(content):
            content = content[:-1]
        parts.append(content)
        key, prefix, value = _split_key("".join(parts))
        entries.append(Entry("".join(raw), key, prefix, _unescape(value), lineno, eol))
        i += 1
    return entries


def to_dict(text):
    """Effective key -> value (last occurrence wins, as in Java)."""
    return dict((e.key, e.value) for e in parse(text) if e.key is not None)


def get(text, key, default=None):
    return to_dict(text).get(key, default)


# ------------------------------------------------------------------------------------------------
# Validation
# ------------------------------------------------------------------------------------------------
def _int_range(low, high=JAVA_INT_MAX):
    """ZooKeeper reads these with Integer.parseInt: ASCII digits within Java's int (or a narrower range)."""
    def check(key, value):
        if not _INT_RE.match(value):
            raise ZooCfgError("%s must be an integer, got %r" % (key, value[:100]))
        # more digits than any int in range has: refuse before int() (slow on huge digit strings)
        if len(value.lstrip("-")) > 10:
            bound = ">= %d" % low if value[0] == "-" else "<= %d" % high
            raise ZooCfgError("%s must be %s, got %r" % (key, bound, value[:100]))
        number = int(value)
        if number < low:
            raise ZooCfgError("%s must be >= %d, got %r" % (key, low, value))
        if number > high:
            raise ZooCfgError("%s must be <= %d, got %r" % (key, high, value))
        return str(number)
    return check


def _boolean(key, value):
    if value.lower() not in ("true", "false"):
        raise ZooCfgError("%s must be true or false, got %r" % (key, value))
    return value.lower()


def _nonempty(key, value):
    if not value.strip():
        raise ZooCfgError("%s must not be empty" % key)
    return value


def _whitelist(key, value):
    words = [w.strip() for w in value.split(",") if w.strip()]
    if not words:
        raise ZooCfgError("%s must list four-letter words or be '*', got %r" % (key, value))
    if words == ["*"]:
        return "*"
    bad = [w for w in words if w not in FOUR_LETTER_WORDS]
    if bad:
        raise ZooCfgError("%s: unknown four-letter word(s) %s (known: %s, or '*')" % (
            key, ", ".join(repr(b) for b in bad), ", ".join(FOUR_LETTER_WORDS)))
    return ", ".join(words)


_PORT = _int_range(1, 65535)
VALIDATORS = {
    "maxClientCnxns": _int_range(0),
    "maxCnxns": _int_range(0),
    "clientPort": _PORT,
    "secureClientPort": _PORT,
    "admin.serverPort": _PORT,
    "tickTime": _int_range(1),
    "initLimit": _int_range(1),
    "syncLimit": _int_range(1),
    "minSessionTimeout": _int_range(-1),
    "maxSessionTimeout": _int_range(-1),
    "globalOutstandingLimit": _int_range(1),
    "snapCount": _int_range(2),
    "preAllocSize": _int_range(1),
    "autopurge.snapRetainCount": _int_range(3),
    "autopurge.purgeInterval": _int_range(0),
    "clientPortListenBacklog": _int_range(-1),
    "admin.enableServer": _boolean,
    "standaloneEnabled": _boolean,
    "reconfigEnabled": _boolean,
    "quorumListenOnAllIPs": _boolean,
    "4lw.commands.whitelist": _whitelist,
    "dataDir": _nonempty,
    "dataLogDir": _nonempty,
    "clientPortAddress": _nonempty,
    "admin.serverAddress": _nonempty,
}
_KEY_RE = re.compile(r"[A-Za-z0-9_.\-]{1,200}\Z")
# Control characters end a line or confuse Java's reader; a tab inside a value is ordinary text.
_CONTROL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def value_to_str(value):
    """Ansible gives ints, bools and strings: write booleans as Java does (true/false)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        raise ZooCfgError("a value of null cannot be written to zoo.cfg")
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        raise ZooCfgError("value %r is not a finite number" % (value,))
    if isinstance(value, (int, float)):
        return str(value)
    if not isinstance(value, str):
        raise ZooCfgError("value %r is not a string, number or boolean" % (value,))
    return value


def validate(key, value):
    """Return the value as it will be written; raise ZooCfgError naming the bad key or value."""
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise ZooCfgError("invalid zoo.cfg key %r (letters, digits, '.', '_' and '-' only)" % (key,))
    try:
        text = value_to_str(value)
    except ZooCfgError as exc:
        raise ZooCfgError("%s: %s" % (key, exc))
    control = _CONTROL_RE.search(text)
    if control:
        raise ZooCfgError("%s: value must be a single line without control characters (found %r), got %r"
                          % (key, control.group(0), text[:100]))
    if text != text.strip():
        raise ZooCfgError("%s: value %r has leading or trailing whitespace" % (key, text[:100]))
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        raise ZooCfgError("%s: value %r is not ISO-8859-1 (zoo.cfg is read as ISO-8859-1)" % (key, text))
    if key in VALIDATORS:
        return VALIDATORS[key](key, text)
    for known in VALIDATORS:
        if known.lower() == key.lower():
            raise ZooCfgError("unknown key %r: ZooKeeper keys are case-sensitive, did you mean %r?" % (key, known))
    return text


def _escape_value(value):
    out = value.replace("\\", "\\\\")
    if out.startswith(" "):
        out = "\\" + out
    return out


# ------------------------------------------------------------------------------------------------
# Editing
# ------------------------------------------------------------------------------------------------
def _dominant_eol(entries):
    counts = {}
    for e in entries:
        if e.eol:
            counts[e.eol] = counts.get(e.eol, 0) + 1
    if not counts:
        return "\n"
    return max(counts, key=lambda k: counts[k])


def set_keys(text, settings):
    """Set ``settings`` (key -> value) in zoo.cfg ``text``.

    Every value is validated first (nothing is computed on bad input). A key already present is
    replaced in place (its last, effective occurrence; leading space and separator kept); a new key
    is appended at the end. Untouched lines stay byte for byte.

    Returns (new_text, changes); ``changes`` is a list of dicts, in the order of ``settings`` keys
    sorted: {'key', 'before' (str or None), 'after' (str), 'action': 'replaced'|'appended',
    'line' (1-based line number in the new text)}. No change -> (text, []).
    """
    if not isinstance(settings, dict):
        raise ZooCfgError("settings must be a dict of key: value")
    wanted = {}
    for key in sorted(settings):
        wanted[key] = validate(key, settings[key])
    entries = parse(text)
    last = {}
    for idx, e in enumerate(entries):
        if e.key is not None:
            last[e.key] = idx
    eol = _dominant_eol(entries)
    changes = []
    pieces = [e.raw for e in entries]
    appended = []
    for key in sorted(wanted):
        value = wanted[key]
        if key in last:
            e = entries[last[key]]
            if e.value == value:
                continue
            prefix = e.prefix
            if prefix.rstrip(" \t\f")[-1:] not in ("=", ":") and prefix == prefix.rstrip(" \t\f"):
                prefix = prefix + "="
            pieces[last[key]] = prefix + _escape_value(value) + (e.eol or "")
            changes.append({"key": key, "before": e.value, "after": value, "action": "replaced",
                            "entry": last[key]})
        else:
            appended.append("%s=%s" % (key, _escape_value(value)))
            changes.append({"key": key, "before": None, "after": value, "action": "appended",
                            "entry": None})
    if not changes:
        return text, []
    if appended:
        if pieces and not entries[-1].eol:
            pieces[-1] = pieces[-1] + eol
        pieces.extend(a + eol for a in appended)
    new_text = "".join(pieces)
    # line numbers in the new text
    line_of_piece = []
    line = 1
    for p in pieces:
        line_of_piece.append(line)
        line += len(_physical_lines(p)) or 1
    first_appended = len(entries)
    n_appended = 0
    for c in changes:
        if c["entry"] is not None:
            c["line"] = line_of_piece[c["entry"]]
        else:
            c["line"] = line_of_piece[first_appended + n_appended]
            n_appended += 1
        del c["entry"]
    return new_text, changes


# ------------------------------------------------------------------------------------------------
# Dynamic configuration (ZooKeeper 3.5+)
# ------------------------------------------------------------------------------------------------
# Membership lives in the dynamic file once zoo.cfg names one; ZooKeeper rewrites that file (a new
# version per reconfig) and keeps the ensemble's committed copy in /zookeeper/config, so a hand edit on
# one member diverges from the others. Changes to it go through ZooKeeper's reconfig command.
_MEMBERSHIP_RE = re.compile(r"(?:server|group|weight)\.[0-9]+\Z")
CLIENT_PORT_KEYS = ("clientPort", "clientPortAddress")


def dynamic_config_file(text):
    """The effective dynamicConfigFile of static zoo.cfg ``text``, or None."""
    return to_dict(text).get("dynamicConfigFile") or None


def check_dynamic(settings, dynamic_path, dynamic_text=None):
    """Refuse settings that live in the dynamic file ``dynamic_path`` rather than in zoo.cfg.

    Membership keys (server.N, group.N, weight.N) are always refused. clientPort / clientPortAddress
    are refused when ``dynamic_text`` (the dynamic file's text) gives a client port in a server line
    (``server.N=host:quorum:election[:role];[address:]port``): ZooKeeper then takes the client address
    from there and refuses to start when zoo.cfg says otherwise. Other keys, maxClientCnxns among them,
    stay in zoo.cfg.
    """
    for key in sorted(settings):
        if _MEMBERSHIP_RE.match(key):
            raise ZooCfgError(
                "%s lives in the dynamic configuration file %s (dynamicConfigFile in zoo.cfg): change the "
                "ensemble's membership with ZooKeeper's reconfig command, not by editing files" % (key, dynamic_path))
    if dynamic_text is None:
        return
    touched = [k for k in CLIENT_PORT_KEYS if k in settings]
    if not touched:
        return
    for entry in parse(dynamic_text):
        if entry.key is not None and entry.key.startswith("server.") and ";" in entry.value:
            raise ZooCfgError(
                "%s: the client port is given in dynamic form in %s (%s=%s); ZooKeeper takes it from there "
                "and refuses to start when zoo.cfg differs: change it with reconfig" % (
                    ", ".join(touched), dynamic_path, entry.key, entry.value))
