"""zoo.cfg editing: untouched bytes stay, keys replaced in place or appended, values validated."""
import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import zoocfg

SAMPLE = (
    "# The number of milliseconds of each tick\n"
    "tickTime=2000\n"
    "\n"
    "! bang comment\n"
    "dataDir=/var/lib/zookeeper\n"
    "   clientPort = 2181\n"
    "#maxClientCnxns=60\n"
    "maxClientCnxns=60\n"
    "server.1=zk1:2888:3888\n"
)


def test_roundtrip_is_byte_identical():
    entries = zoocfg.parse(SAMPLE)
    assert "".join(e.raw for e in entries) == SAMPLE


def test_replace_in_place_keeps_everything_else():
    new, changes = zoocfg.set_keys(SAMPLE, {"maxClientCnxns": 200})
    assert new == SAMPLE.replace("\nmaxClientCnxns=60\n", "\nmaxClientCnxns=200\n")
    assert "#maxClientCnxns=60\n" in new  # the comment is not a key
    assert changes == [{"key": "maxClientCnxns", "before": "60", "after": "200", "action": "replaced", "line": 8}]


def test_replace_keeps_spacing_and_separator():
    new, dummy = zoocfg.set_keys(SAMPLE, {"clientPort": 2182})
    assert "   clientPort = 2182\n" in new
    new, dummy = zoocfg.set_keys("a=1\nclientPort 2181\n", {"clientPort": 2182})
    assert new == "a=1\nclientPort 2182\n"


def test_append_new_key_at_end():
    new, changes = zoocfg.set_keys(SAMPLE, {"4lw.commands.whitelist": "srvr,mntr"})
    assert new == SAMPLE + "4lw.commands.whitelist=srvr, mntr\n"
    assert changes[0]["action"] == "appended" and changes[0]["before"] is None
    assert changes[0]["line"] == SAMPLE.count("\n") + 1


def test_append_to_file_without_trailing_newline():
    new, dummy = zoocfg.set_keys("tickTime=2000", {"maxClientCnxns": 5})
    assert new == "tickTime=2000\nmaxClientCnxns=5\n"


def test_crlf_file_keeps_crlf():
    text = "tickTime=2000\r\nmaxClientCnxns=60\r\n"
    new, dummy = zoocfg.set_keys(text, {"maxClientCnxns": 10, "initLimit": 5})
    assert new == "tickTime=2000\r\nmaxClientCnxns=10\r\ninitLimit=5\r\n"


def test_idempotent_no_change():
    new, changes = zoocfg.set_keys(SAMPLE, {"maxClientCnxns": "60", "tickTime": 2000})
    assert new is SAMPLE and changes == []


def test_last_occurrence_wins_and_is_replaced():
    text = "maxClientCnxns=10\nx=1\nmaxClientCnxns=20\n"
    assert zoocfg.get(text, "maxClientCnxns") == "20"
    new, changes = zoocfg.set_keys(text, {"maxClientCnxns": 30})
    assert new == "maxClientCnxns=10\nx=1\nmaxClientCnxns=30\n"
    assert changes[0]["before"] == "20" and changes[0]["line"] == 3
    assert zoocfg.set_keys(text, {"maxClientCnxns": 20}) == (text, [])


def test_continuation_lines():
    text = "a=1\n4lw.commands.whitelist=srvr, \\\n   mntr\nb=2\n"
    assert zoocfg.get(text, "4lw.commands.whitelist") == "srvr, mntr"
    new, changes = zoocfg.set_keys(text, {"4lw.commands.whitelist": "srvr, mntr, cons"})
    assert new == "a=1\n4lw.commands.whitelist=srvr, mntr, cons\nb=2\n"
    assert changes[0]["line"] == 2


def test_non_ascii_bytes_roundtrip():
    data = b"# caf\xe9 config\nmaxClientCnxns=60\n"
    text = zoocfg.decode(data)
    new, dummy = zoocfg.set_keys(text, {"maxClientCnxns": 61})
    assert zoocfg.encode(new) == b"# caf\xe9 config\nmaxClientCnxns=61\n"


@pytest.mark.parametrize("key,value,needle", [
    ("maxClientCnxns", -1, "maxClientCnxns must be >= 0"),
    ("maxClientCnxns", "lots", "maxClientCnxns must be an integer, got 'lots'"),
    ("maxClientCnxns", "1.5", "must be an integer"),
    ("clientPort", 70000, "clientPort must be <= 65535"),
    ("tickTime", 0, "tickTime must be >= 1"),
    ("admin.enableServer", "yes", "true or false"),
    ("4lw.commands.whitelist", "srvr, kill", "'kill'"),
    ("maxclientcnxns", 5, "did you mean 'maxClientCnxns'"),
    ("bad key", 1, "invalid zoo.cfg key"),
    ("dataDir", "/a\nmaxClientCnxns=1", "single line"),
    ("someKey", None, "null"),
])
def test_validation_errors_name_the_bad_value(key, value, needle):
    with pytest.raises(zoocfg.ZooCfgError) as err:
        zoocfg.set_keys(SAMPLE, {key: value})
    assert needle in str(err.value)


def test_one_bad_value_means_no_change_at_all():
    with pytest.raises(zoocfg.ZooCfgError):
        zoocfg.set_keys(SAMPLE, {"initLimit": 5, "maxClientCnxns": "x"})


def test_value_conversion():
    assert zoocfg.validate("maxClientCnxns", 0) == "0"
    assert zoocfg.validate("admin.enableServer", True) == "true"
    assert zoocfg.validate("4lw.commands.whitelist", "*") == "*"
    assert zoocfg.validate("custom.key", "x y") == "x y"


def test_key_with_empty_value_gets_separator():
    new, dummy = zoocfg.set_keys("dataLogDir\n", {"dataLogDir": "/logs"})
    assert new == "dataLogDir=/logs\n"
