"""Option reading of the ZooKeeper modules (module_utils/zkparams.py): numbers are finite, bounded and
ASCII; every refusal names the option and the value."""
import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import zkparams

HOSTILE_NUMBERS = [True, False, None, "nan", "inf", "-inf", float("nan"), float("inf"), "1e308", 1e308, "1_000",
                   "\u0669", "\u0662\u0661\u0668\u0661", " 12", "12 ", "0x10", "", [], {}, "9" * 5000]


@pytest.mark.parametrize("value", HOSTILE_NUMBERS + [0, -1, 65536, "65536", 2.5])
def test_port_refused(value):
    with pytest.raises(ValueError) as err:
        zkparams.integer("port", value, 1, 65535)
    assert str(err.value).startswith("port ") and repr(value)[:50] in str(err.value)


@pytest.mark.parametrize("value,expected", [(1, 1), ("2181", 2181), (65535, 65535)])
def test_port_accepted(value, expected):
    assert zkparams.integer("port", value, 1, 65535) == expected


@pytest.mark.parametrize("value", HOSTILE_NUMBERS + [0, -1, 3601, "3601"])
def test_timeout_refused(value):
    with pytest.raises(ValueError) as err:
        zkparams.seconds("timeout", value, 0, 3600)
    assert str(err.value).startswith("timeout ")


@pytest.mark.parametrize("value,expected", [(1, 1.0), ("0.5", 0.5), (".5", 0.5), ("10", 10.0), (3600, 3600.0)])
def test_timeout_accepted(value, expected):
    assert zkparams.seconds("timeout", value, 0, 3600) == expected


def test_seconds_low_inclusive():
    assert zkparams.seconds("idle_min_age", 0, 0, 10, low_inclusive=True) == 0
    with pytest.raises(ValueError):
        zkparams.seconds("idle_min_age", -0.1, 0, 10, low_inclusive=True)


@pytest.mark.parametrize("value", HOSTILE_NUMBERS + [0, 100.1, -5])
def test_percent_refused(value):
    with pytest.raises(ValueError) as err:
        zkparams.percent("threshold_percent", value)
    assert "threshold_percent" in str(err.value)


@pytest.mark.parametrize("value", ["host name", "a\r\nb", "h\x00", "", "h\u0669", "http://x", "-x", "a" * 300, 5])
def test_host_refused(value):
    with pytest.raises(ValueError) as err:
        zkparams.host("host", value)
    assert "host" in str(err.value)


@pytest.mark.parametrize("value", ["zk1.example.com", "10.0.0.1", "::1", "fe80::1%eth0", "localhost", "zk_1"])
def test_host_accepted(value):
    assert zkparams.host("host", value) == value


# The resolver reads a name made of numbers only as an IPv4 address in inet_aton's forms
# ("12" is 0.0.0.12, "0177.0.0.1" is 127.0.0.1): an address is given as one, in its usual form.
@pytest.mark.parametrize("value", ["12", "127.1", "0177.0.0.1", "0x7f.0.0.1", "10.0.0.300", "1.2.3.4.5"])
def test_host_that_only_the_resolver_would_read_as_a_number_refused(value):
    with pytest.raises(ValueError) as err:
        zkparams.host("host", value)
    assert str(err.value).startswith("host ") and repr(value) in str(err.value)


@pytest.mark.parametrize("value", ["localhost", "10.0.0.300", "", "10.0.0.1\n"])
def test_source_address_must_be_an_ip(value):
    with pytest.raises(ValueError):
        zkparams.ip_address("source_address", value)


@pytest.mark.parametrize("value", ["192.0.2.1", "2001:db8::1"])
def test_source_address_must_be_an_address_of_this_host(value):
    with pytest.raises(ValueError) as err:
        zkparams.ip_address("source_address", value)
    assert str(err.value).startswith("source_address ") and repr(value) in str(err.value)


@pytest.mark.parametrize("value", ["127.0.0.1", "::1"])
def test_source_address_of_this_host_accepted(value):
    assert zkparams.ip_address("source_address", value) == value


def defaults(**changes):
    params = dict((k, v.get("default")) for k, v in zkparams.zookeeper_argument_spec().items())
    params.update(changes)
    return params


def test_host_is_read_as_given():
    assert zkparams.zookeeper_argument_spec()["host"]["type"] == "raw"


def test_client_from_params_defaults_and_deadline():
    client = zkparams.client_from_params(defaults())
    assert (client.host, client.port, client.admin_url, client.timeout) == ("127.0.0.1", 2181, None, 10.0)
    assert client.deadline is not None  # one deadline for all the module's requests


@pytest.mark.parametrize("changes,needle", [
    ({"port": 70000}, "port"),
    ({"port": "\u0669"}, "port"),
    ({"timeout": "inf"}, "timeout"),
    ({"timeout": "nan"}, "timeout"),
    ({"admin_url": "127.0.0.1:8080"}, "admin_url"),
    ({"admin_url": "http://127.0.0.1:8080\r\nX: y"}, "admin_url"),
    ({"source_address": "not-an-ip"}, "source_address"),
    ({"host": "a b"}, "host"),
    ({"host": True}, "host"),               # YAML's yes: Ansible's str would make it the host name "True"
    ({"admin_url": ""}, "admin_url"),       # given, so not "no AdminServer"
    ({"tls": True, "tls_ca_path": "/tmp/a\x00b"}, "tls_ca_path: '/tmp/a\\x00b'"),
    ({"tls": True, "tls_ca_path": ""}, "tls_ca_path: ''"),
    ({"tls": True, "tls_cert_path": "/tmp/c\x00"}, "tls_cert_path: '/tmp/c\\x00'"),
    ({"tls": True, "tls_cert_path": "/tmp/c", "tls_key_path": "/k\r\n"}, "tls_key_path: '/k\\r\\n'"),
    ({"admin_url": "https://127.0.0.1:8080", "tls_ca_path": "/tmp/a\x00b"}, "tls_ca_path: '/tmp/a\\x00b'"),
])
def test_client_from_params_refusals(changes, needle):
    with pytest.raises(ValueError) as err:
        zkparams.client_from_params(defaults(**changes))
    assert needle in str(err.value)
