"""argcheck: numbers are ASCII, finite and bounded; text names a file or program (no NUL)."""
import pytest

from ansible_collections.alertops.remediation.plugins.module_utils.argcheck import OptionError, count, seconds, text


@pytest.mark.parametrize("value, number", [(10, 10.0), ("10", 10.0), ("2.5", 2.5), (2.5, 2.5), (" 3 ", 3.0),
                                           (0, 0.0), ("3600", 3600.0)])
def test_seconds(value, number):
    assert seconds("timeout", value, 0, 3600) == number


@pytest.mark.parametrize("value, shown", [
    ("nan", "'nan'"), (float("nan"), "nan"), ("inf", "'inf'"), (float("inf"), "inf"), ("-inf", "'-inf'"),
    (1e308, "1e+308"), ("1e3", "'1e3'"), ("\u0669", "'\u0669'"), ("1\u0660", "'1\u0660'"), ("1_0", "'1_0'"),
    (True, "True"), (None, "None"), ([1], "[1]"), ({}, "{}"), (-1, "-1"), ("-1", "'-1'"), ("", "''"),
    ("10\n", "'10\\n'"), ("0x10", "'0x10'"), ("9" * 20, "'" + "9" * 20 + "'"), (3601, "3601"),
])
def test_seconds_refused_naming_option_and_value(value, shown):
    with pytest.raises(OptionError) as err:
        seconds("timeout", value, 0, 3600)
    assert str(err.value).startswith("timeout: %s " % shown)


@pytest.mark.parametrize("value, number", [(20, 20), ("20", 20), (2.0, 2), ("0", 0), (1000, 1000)])
def test_count(value, number):
    result = count("log_lines", value, 0, 1000)
    assert result == number and isinstance(result, int)


@pytest.mark.parametrize("value", [2.5, "2.5", -5, 10 ** 9, "\u0665", "nan", False, 1001])
def test_count_refused(value):
    with pytest.raises(OptionError, match="^log_lines: "):
        count("log_lines", value, 0, 1000)


def test_text():
    assert text("home", "/home/admin/ocp_agent") == "/home/admin/ocp_agent" and text("python", None) is None
    for bad in ("/tmp/a\0b", "a\nb", "a\rb", "x" * 5000, ""):
        with pytest.raises(OptionError, match="^home: "):
            text("home", bad)
