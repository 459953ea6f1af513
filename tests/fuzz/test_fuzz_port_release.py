"""port_release with hostile values: it must refuse them before it reads or signals anything.

A foreign listener ("rogue") holds the expected port 62888: the base run terminates it, so a module that
accepts a hostile value goes on to kill it, and the case fails on the dead sentinel as well as on the
success. A protected "observer" holds 62889 and must survive every case, the valid ones too.
"""
from tests.fuzz import harness, values

SENTINELS = [{"name": "rogue", "port": 62888, "expendable": True}, {"name": "observer", "port": 62889}]
TARGET = harness.Target(
    "port_release",
    base=lambda workdir: {"ports": [62888, 62889], "expected": {"62888": ["pos_proxy"], "62889": ["ocp_exporter"]},
                          "timeout": 2, "respawn_window": 0},
    sentinels=SENTINELS,
    base_did=lambda result, check_mode: [r["process"]["name"] for r in result["would_terminate"]] == ["rogue"]
    if check_mode else [t["name"] for t in result["terminated"]] == ["rogue"],
)

TARGET.refuse("ports", values.ports(), always=[65536, "0-62888", "62888\x00", "\u0669"])
TARGET.refuse("expected", [
    "62888", [], 12, {"0": ["x"]}, {"65536": ["x"]}, {"62888": []}, {"62888": [""]}, {"62888": ["a\x00b"]},
    {"62888": ["x" * 256]}, {"\u0669": ["x"]}, {"62888": None}, {"62888": {"a": 1}}, {"nan": ["x"]},
    {"62888\n": ["x"]}, {"62888": ["a\nb"]}, {"-1": ["x"]}, {"62888.0": ["x"]},
], always=[{"62888": []}, {"\uff16\uff12\uff18\uff18\uff18": ["x"]}])
TARGET.refuse("protected", values.lists_of("a\x00b") + [[""], ["x" * 256], ["a\rb"], {"a": 1}])
TARGET.refuse("allow", values.lists_of("a\x00b") + [["("], ["x" * 1001], ["a{99999999999}"], [""], {"a": 1}],
              always=[["("]])
TARGET.refuse("signal", values.UNICODE_DIGITS + values.CONTROL + values.WRONG_TYPES + [
    "", "SIGNOPE", "99", "-9", "0", "9\x00", "TERM\r\n", "65", 9.5, "9.0", "0x9", "SIG", "SIGKILL\x00", "KILL9",
    10 ** 30, -15, "\u0669", "SIG\u0130NT", "term;kill", "+9", " "], always=["\u0669", "65", "0"])
TARGET.refuse("timeout", values.numbers(), always=["nan", "inf", "1e308", 3600.5, "3601", -0.5])
TARGET.refuse("escalate", values.booleans())
TARGET.refuse("respawn_window", values.numbers(), always=["nan", "inf", "600.5", 601])

TARGET.accept("timeout", [("2.5", "seconds may have a decimal part"), (0, "0: escalate at once"),
                          ("3600", "the documented upper bound"), (" 5\t", "blanks around digits are stripped")])
TARGET.accept("respawn_window", [(0, "0 disables the watch"), (0.5, "a fraction of a second")])
TARGET.accept("respawn_window", [("600", "the documented upper bound (in check mode: nothing is watched)")],
              check_mode=True)
TARGET.accept("signal", [("sigterm", "names are case-insensitive"), (15, "a signal number"), ("9", "SIGKILL by number"),
                         ("INT", "a name without SIG")])
TARGET.accept("ports", [(["62888 - 62889"], "a range with blanks around the dash"), ("62888", "one port, not a list"),
                        ([62888, "62888"], "the same port twice")])
TARGET.accept("expected", [({"62888": "pos_proxy"}, "one name instead of a list")])
TARGET.accept("allow", [(["rog.*"], "a regular expression"), (["rogue"], "a name")])
TARGET.accept("protected", [(["observer", "observer"], "a name twice")])
TARGET.accept("escalate", [("no", "an Ansible boolean")])

globals().update(harness.module_tests([TARGET]))
