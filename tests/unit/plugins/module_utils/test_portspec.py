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
])
def test_parse_ports_rejects_naming_the_value(value, words):
    with pytest.raises(PortSpecError) as err:
        parse_ports(value)
    for word in words:
        assert word in str(err.value)


def test_option_name_in_message():
    with pytest.raises(PortSpecError, match="^remote_ports: 'x'"):
        parse_ports(["x"], "remote_ports")


def test_parse_expected_validates_keys_and_names():
    assert parse_expected({"63000": "node_exporter", 62888: ["a", "b"]}) == {63000: ["node_exporter"],
                                                                             62888: ["a", "b"]}
    with pytest.raises(PortSpecError, match="expected key: '70000'"):
        parse_expected({"70000": ["x"]})
    with pytest.raises(PortSpecError, match=r"expected\[63000\]"):
        parse_expected({"63000": [1]})
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


def kinds(conflicts):
    return sorted((c["local_port"], c["pid"], c["kind"]) for c in conflicts)


def test_classify_kinds_and_free_ports():
    sockets = [
        row(63000, name="nc", pid=10),
        row(62888, name="ocp_mgragent", pid=11),                       # rightful
        row(62889, "ESTABLISHED", "nc", ("10.0.0.5", 2881), pid=12),   # outbound, whatever the process
        row(62889, "ESTABLISHED", "observer", ("10.0.0.5", 2882), pid=13),
        row(62000, name="nc", pid=14),                                 # not an expected port
    ]
    conflicts, free = classify(sockets, EXPECTED, portspec.DEFAULT_PROTECTED)
    assert kinds(conflicts) == [(62889, 12, "outbound_ephemeral"), (62889, 13, "outbound_ephemeral"),
                                (63000, 10, "foreign_listener")]
    assert free == []
    assert conflicts[0] is not sockets[2] and "kind" not in sockets[2]


def test_classify_accepted_connections_belong_to_the_listener():
    sockets = [row(63000, pid=10, inode=1),
               row(63000, "ESTABLISHED", remote=("127.0.0.1", 50000), pid=10, inode=2),
               row(63000, "CLOSE_WAIT", remote=("127.0.0.1", 50001), pid=10, inode=3)]
    conflicts, _free = classify(sockets, EXPECTED, [])
    assert [c["kind"] for c in conflicts] == ["foreign_listener"] * 3


def test_classify_protected_names_by_comm_or_argv0():
    sockets = [row(63000, name="observer", pid=10),
               row(62888, name="python3", cmdline="/home/admin/bin/observer -p 1", pid=11),
               row(62889, name="python3", cmdline="/home/admin/ocp_agent/bin/ocp_monagent --x", pid=12)]
    conflicts, free = classify(sockets, EXPECTED, ["observer"])
    assert kinds(conflicts) == [(62888, 11, "protected"), (63000, 10, "protected")]
    assert free == []


def test_classify_kernel_held_and_unknown_owner():
    sockets = [row(62888, "TIME_WAIT", None, ("127.0.0.1", 9), pid=None, inode=0),
               row(63000, pid=None, inode=7)]
    sockets[0]["process"] = sockets[1]["process"] = None
    conflicts, free = classify(sockets, EXPECTED, [])
    assert free == [62888, 62889]
    assert kinds(conflicts) == [(63000, None, "foreign_listener")]
