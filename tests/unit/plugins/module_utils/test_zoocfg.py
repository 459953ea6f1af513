"""zoo.cfg editing: untouched bytes stay, keys replaced in place or appended, values validated."""
import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import zoocfg
from tests.support.cpulimit import cpu_limit

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
    # Java int: ZooKeeper will not start with more
    ("maxClientCnxns", 2147483648, "maxClientCnxns must be <= 2147483647"),
    ("maxClientCnxns", "2147483648", "maxClientCnxns must be <= 2147483647"),
    ("tickTime", "99999999999999999999", "tickTime must be <= 2147483647"),
    ("tickTime", 10 ** 30, "tickTime must be <= 2147483647"),
    ("initLimit", "9" * 5000, "initLimit must be <= 2147483647"),
    ("minSessionTimeout", "-99999999999", "minSessionTimeout must be >= -1"),
    ("maxClientCnxns", "\u0669", "maxClientCnxns: value"),
    ("maxClientCnxns", 1.0, "must be an integer"),
    ("someKey", float("nan"), "not a finite number"),
    ("someKey", float("inf"), "not a finite number"),
    # no NUL, CR, LF or other control character in keys or values
    ("someKey", "a\x00b", "control characters"),
    ("someKey", "a\rb", "control characters"),
    ("someKey", "a\x1bb", "control characters"),
    ("dataDir", "/data\n", "control characters"),
    ("maxClientCnxns\n", 5, "invalid zoo.cfg key"),
    ("maxClientCnxns\x00", 5, "invalid zoo.cfg key"),
    ("a\r\nb", 5, "invalid zoo.cfg key"),
    ("", 5, "invalid zoo.cfg key"),
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


def test_java_int_bounds_accepted():
    new, dummy = zoocfg.set_keys(SAMPLE, {"maxClientCnxns": 2147483647, "tickTime": "2147483647"})
    assert "maxClientCnxns=2147483647\n" in new and "tickTime=2147483647\n" in new


def test_a_tab_inside_a_value_is_text():
    assert zoocfg.validate("custom.key", "a\tb") == "a\tb"


# ---------------------------------------------------------------- linear time on hostile files
@pytest.mark.parametrize("text", [
    # 3 MB of continuation lines: one logical line of a million physical ones
    "a=1\nkey=" + "x\\\n" * (1024 * 1024) + "end\nmaxClientCnxns=60\n",
    # a 3 MB key without a separator, and a 3 MB run of escapes
    "k" * (3 * 1024 * 1024) + "\nmaxClientCnxns=60\n",
    "key=" + "\\t" * (1536 * 1024) + "\nmaxClientCnxns=60\n",
    # a 3 MB line of backslashes that ends the file
    "maxClientCnxns=60\nkey=" + "\\" * (3 * 1024 * 1024 + 1),
])
def test_parse_and_edit_are_linear_on_3mb(text):
    with cpu_limit(30):
        new, changes = zoocfg.set_keys(text, {"maxClientCnxns": 61})
    assert changes[0]["before"] == "60" and "maxClientCnxns=61" in new
    assert len(new) == len(text)


def test_a_long_key_is_split_at_regex_speed():
    # Linear is not enough when each character costs a regex alternation: a line without a separator
    # took 1.6 s of CPU per 16 MiB and parse (a run parses three times, the module reads up to 64 MiB).
    # One character class per run of plain characters costs a fortieth of that.
    text = "maxClientCnxns=60\n" + "\0" * (32 * 1024 * 1024)
    with cpu_limit(2):
        new, changes = zoocfg.set_keys(text, {"maxClientCnxns": 61})
    assert changes[0]["before"] == "60" and new.endswith("\0") and len(new) == len(text)


def test_continuation_value_is_joined_like_java():
    text = "key=a\\\n   b\\\n\tc\nnext=1\n"
    assert zoocfg.get(text, "key") == "abc" and zoocfg.get(text, "next") == "1"


# ---------------------------------------------------------------- dynamic configuration
DYNAMIC = "server.1=10.0.0.1:2888:3888:participant;2181\nserver.2=10.0.0.2:2888:3888:participant;2181\n"
DYNAMIC_NO_CLIENT = "server.1=10.0.0.1:2888:3888:participant\nserver.2=10.0.0.2:2888:3888:observer\n"


def test_dynamic_config_file_found():
    assert zoocfg.dynamic_config_file("a=1\ndynamicConfigFile=/etc/zk/zoo.cfg.dynamic.100000000\n") == \
        "/etc/zk/zoo.cfg.dynamic.100000000"
    assert zoocfg.dynamic_config_file(SAMPLE) is None


@pytest.mark.parametrize("key", ["server.1", "server.9", "group.1", "weight.3"])
def test_membership_keys_are_refused_when_membership_is_dynamic(key):
    with pytest.raises(zoocfg.ZooCfgError) as err:
        zoocfg.check_dynamic({key: "10.0.0.9:2888:3888"}, "/etc/zk/zoo.cfg.dynamic", DYNAMIC)
    assert key in str(err.value) and "/etc/zk/zoo.cfg.dynamic" in str(err.value) and "reconfig" in str(err.value)


@pytest.mark.parametrize("key", ["clientPort", "clientPortAddress"])
def test_client_port_refused_when_given_in_dynamic_form(key):
    with pytest.raises(zoocfg.ZooCfgError) as err:
        zoocfg.check_dynamic({key: "2182"}, "/etc/zk/dyn", DYNAMIC)
    assert key in str(err.value) and "server.1=" in str(err.value)
    zoocfg.check_dynamic({key: "2182"}, "/etc/zk/dyn", DYNAMIC_NO_CLIENT)


def test_max_client_cnxns_stays_static():
    zoocfg.check_dynamic({"maxClientCnxns": 100, "tickTime": 2000}, "/etc/zk/dyn", DYNAMIC)


@pytest.mark.parametrize("value", [None, [1], {"a": 1}, float("nan"), float("inf")])
def test_a_value_that_cannot_be_written_is_refused_naming_its_key(value):
    with pytest.raises(zoocfg.ZooCfgError) as err:
        zoocfg.validate("maxClientCnxns", value)
    assert str(err.value).startswith("maxClientCnxns: ")
