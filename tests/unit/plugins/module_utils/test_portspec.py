import pytest

from ansible_collections.alertops.remediation.plugins.doc_fragments.port_policy import ModuleDocFragment
from ansible_collections.alertops.remediation.plugins.module_utils import portspec
from ansible_collections.alertops.remediation.plugins.module_utils.portspec import (
    PortSpecError, classify, parse_expected, parse_ports, policy_from_params)


@pytest.mark.parametrize("value, ports", [
    (["62881-62883", 62890, "62882"], [62881, 62882, 62883, 62890]),
    (63000, [63000]),
    ("63000", [63000]),
    (" 10 - 12 ", [10, 11, 12]),
    (["1", "65535"], [1, 65535]),
    (["62881-63881"], list(range(62881, 63882))),
])
def test_parse_ports(value, ports):
    assert parse_ports(value) == ports


@pytest.mark.parametrize("value, words", [
    ("62881-", ["ports", "'62881-'", "not a port"]),
    ("70000", ["'70000'", "not a port"]),
    (70000, ["70000", "not a port"]),
    (0, ["0", "not a port"]),
    ("63881-62881", ["'63881-62881'", "starts after it ends"]),
    ("1-70000", ["'1-70000'", "out of the port range"]),
    ("abc", ["'abc'", "not a port"]),
    ([], ["ports", "empty"]),
    ([True], ["True"]),
    ([None], ["None"]),
    ("\u0669", ["'\u0669'", "not a port"]),                # Arabic-Indic 9: \d would take it
    ("6288\u0669", ["not a port"]),
    ("62888\n", ["not a port"]),                           # $ would match before the newline
    ("1-6553\u0665", ["not a port"]),
    ("9" * 5000, ["not a port"]),                           # no int() of a huge string
    (62888.0, ["62888.0", "not a port"]),
    (float("nan"), ["nan", "not a port"]),
    ({"a": 1}, ["not a port"]),
])
def test_parse_ports_rejects_naming_the_value(value, words):
    with pytest.raises(PortSpecError) as err:
        parse_ports(value)
    for word in words:
        assert word in str(err.value)


def test_option_name_in_message():
    with pytest.raises(PortSpecError, match="^remote_ports: 'x'"):
        parse_ports(["x"], "remote_ports")


@pytest.mark.parametrize("names, words", [
    (["ok", ""], ["protected", "''"]),
    (["a\0b"], ["protected", "NUL"]),
    (["a\nb"], ["line break"]),
    (["x" * 256], ["1-255 characters"]),
    ([1], ["protected", "1"]),
    ("observer", ["not a list"]),
])
def test_parse_names_rejects_naming_option_and_value(names, words):
    with pytest.raises(PortSpecError) as err:
        policy_from_params({"ports": None, "expected": None, "protected": names})
    for word in words:
        assert word in str(err.value)


def test_parse_expected_validates_keys_and_names():
    assert parse_expected({"63000": "node_exporter", 62888: ["a", "b"]}) == {63000: ["node_exporter"],
                                                                             62888: ["a", "b"]}
    with pytest.raises(PortSpecError, match="expected key: '70000'"):
        parse_expected({"70000": ["x"]})
    with pytest.raises(PortSpecError, match=r"expected\[63000\]"):
        parse_expected({"63000": [1]})
    with pytest.raises(PortSpecError, match=r"expected\[63000\]"):
        parse_expected({"63000": []})
    with pytest.raises(PortSpecError, match="expected key: '\u0669'"):
        parse_expected({"\u0669": ["x"]})
    with pytest.raises(PortSpecError, match="not a mapping"):
        parse_expected(["63000"])


def test_policy_defaults_and_doc_fragment_agree():
    ports, expected, protected = policy_from_params({"ports": None, "expected": None, "protected": None})
    assert ports == list(range(62881, 63882))
    assert expected == portspec.DEFAULT_EXPECTED and expected is not portspec.DEFAULT_EXPECTED
    assert protected == portspec.DEFAULT_PROTECTED
    doc = ModuleDocFragment.DOCUMENTATION
    for word in portspec.DEFAULT_PORTS + portspec.DEFAULT_PROTECTED:
        assert word in doc
    for port, names in portspec.DEFAULT_EXPECTED.items():
        assert "%d: [%s]" % (port, ", ".join(names)) in doc
    assert set(portspec.port_policy_argument_spec()) == {"ports", "expected", "protected"}


def row(port, state="LISTEN", name="nc", remote=("0.0.0.0", 0), pid=100, inode=1, cmdline=None):
    return {"protocol": "tcp", "local_address": "127.0.0.1", "local_port": port, "remote_address": remote[0],
            "remote_port": remote[1], "state": state, "inode": inode, "uid": 0, "pid": pid,
            "process": {"name": name, "cmdline": cmdline if cmdline is not None else name}}


EXPECTED = {62888: ["ocp_mgragent"], 62889: ["ocp_monagent"], 63000: ["node_exporter"]}
PEER = ("10.0.0.5", 2882)


def kinds(rows):
    return sorted((c["local_port"], c["pid"], c["kind"]) for c in rows)


def test_classify_kinds_and_free_ports():
    sockets = [
        row(63000, name="nc", pid=10, inode=1),
        row(62888, name="ocp_mgragent", pid=11, inode=2),                   # rightful
        row(62889, "ESTABLISHED", "nc", ("10.0.0.5", 2881), pid=12, inode=3),  # outbound, whatever the process
        row(62889, "ESTABLISHED", "observer", PEER, pid=13, inode=4),
        row(62000, name="nc", pid=14, inode=5),                               # not an expected port
    ]
    judged = classify(sockets, EXPECTED, portspec.DEFAULT_PROTECTED)
    assert kinds(judged["conflicts"]) == [(62889, 12, "outbound_ephemeral"), (62889, 13, "outbound_ephemeral"),
                                          (63000, 10, "foreign_listener")]
    assert kinds(judged["rows"]) == sorted(kinds(judged["conflicts"]) + [(62888, 11, "rightful")])
    assert judged["free_ports"] == [] and judged["coexisting"] == []
    assert judged["conflicts"][0] is not sockets[2] and "kind" not in sockets[2]


# Each case: the rows of one port (62889, rightful ocp_monagent), the kind of each (pid, inode) row.
CASES = {
    "helper shares the rightful listener": (
        [row(62889, name="ocp_monagent", pid=20, inode=7), row(62889, name="helper", pid=21, inode=7)],
        {(20, 7): "rightful", (21, 7): "rightful"}),
    "helper shares it, helper has the lower pid": (
        [row(62889, name="helper", pid=5, inode=7), row(62889, name="ocp_monagent", pid=20, inode=7)],
        {(5, 7): "rightful", (20, 7): "rightful"}),
    "parent shares a protected observer's listener": (
        [row(62889, name="wrapper", pid=30, inode=8), row(62889, name="observer", pid=31, inode=8)],
        {(30, 8): "protected", (31, 8): "protected"}),
    "observer is the parent": (
        [row(62889, name="observer", pid=30, inode=8), row(62889, name="helper", pid=31, inode=8)],
        {(30, 8): "protected", (31, 8): "protected"}),
    "pre-fork foreign server": (
        [row(62889, name="rogue", pid=p, inode=9) for p in (40, 41, 42)],
        {(40, 9): "foreign_listener", (41, 9): "foreign_listener", (42, 9): "foreign_listener"}),
    "observer connection next to the serving agent": (
        [row(62889, name="ocp_monagent", pid=20, inode=7),
         row(62889, "ESTABLISHED", "observer", PEER, pid=31, inode=10)],
        {(20, 7): "rightful", (31, 10): "coexisting"}),
    "a foreign connection next to the serving agent": (
        [row(62889, name="ocp_monagent", pid=20, inode=7),
         row(62889, "ESTABLISHED", "nc", PEER, pid=50, inode=11)],
        {(20, 7): "rightful", (50, 11): "coexisting"}),
    "a second, foreign listener next to the agent (SO_REUSEPORT) still steals connections": (
        [row(62889, name="ocp_monagent", pid=20, inode=7), row(62889, name="rogue", pid=40, inode=12)],
        {(20, 7): "rightful", (40, 12): "foreign_listener"}),
    "the agent's accepted connection is the agent's": (
        [row(62889, name="ocp_monagent", pid=20, inode=7),
         row(62889, "ESTABLISHED", "ocp_monagent", ("127.0.0.1", 50000), pid=20, inode=13)],
        {(20, 7): "rightful", (20, 13): "rightful"}),
    "connection accepted by a foreign listener goes with it": (
        [row(62889, name="rogue", pid=40, inode=12),
         row(62889, "CLOSE_WAIT", "rogue", ("127.0.0.1", 50001), pid=40, inode=14)],
        {(40, 12): "foreign_listener", (40, 14): "foreign_listener"}),
    "observer connection next to a foreign listener is outbound, not the listener's": (
        [row(62889, name="rogue", pid=40, inode=12),
         row(62889, "ESTABLISHED", "observer", PEER, pid=31, inode=10)],
        {(40, 12): "foreign_listener", (31, 10): "outbound_ephemeral"}),
    "the agent's connected socket without its listener is outbound": (
        [row(62889, "ESTABLISHED", "ocp_monagent", PEER, pid=20, inode=15)],
        {(20, 15): "rightful"}),
    "unknown holder of a listener": (
        [dict(row(62889, pid=None, inode=16), process=None)],
        {(None, 16): "foreign_listener"}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_classify_decides_per_socket(case):
    rows, expected_kinds = CASES[case]
    judged = classify(rows, {62889: ["ocp_monagent"]}, portspec.DEFAULT_PROTECTED)
    assert dict(((r["pid"], r["inode"]), r["kind"]) for r in judged["rows"]) == expected_kinds
    assert [r for r in judged["rows"] if r["kind"] in portspec.CONFLICT_KINDS] == judged["conflicts"]
    assert [r for r in judged["rows"] if r["kind"] == "coexisting"] == judged["coexisting"]
    assert judged["free_ports"] == []


def test_classify_accepted_connections_belong_to_the_listener():
    sockets = [row(63000, pid=10, inode=1),
               row(63000, "ESTABLISHED", remote=("127.0.0.1", 50000), pid=10, inode=2),
               row(63000, "CLOSE_WAIT", remote=("127.0.0.1", 50001), pid=10, inode=3)]
    conflicts = classify(sockets, EXPECTED, [])["conflicts"]
    assert [c["kind"] for c in conflicts] == ["foreign_listener"] * 3


def test_classify_protected_names_by_comm_or_argv0():
    sockets = [row(63000, name="observer", pid=10, inode=1),
               row(62888, name="python3", cmdline="/home/admin/bin/observer -p 1", pid=11, inode=2),
               row(62889, name="python3", cmdline="/home/admin/ocp_agent/bin/ocp_monagent --x", pid=12, inode=3)]
    judged = classify(sockets, EXPECTED, ["observer"])
    assert kinds(judged["conflicts"]) == [(62888, 11, "protected"), (63000, 10, "protected")]
    assert judged["free_ports"] == []


def test_classify_kernel_held_and_unknown_owner():
    sockets = [row(62888, "TIME_WAIT", None, ("127.0.0.1", 9), pid=None, inode=0),
               row(63000, pid=None, inode=7)]
    sockets[0]["process"] = sockets[1]["process"] = None
    judged = classify(sockets, EXPECTED, [])
    assert judged["free_ports"] == [62888, 62889]
    assert kinds(judged["conflicts"]) == [(63000, None, "foreign_listener")]
