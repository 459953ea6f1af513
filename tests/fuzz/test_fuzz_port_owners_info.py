"""port_owners_info with hostile values: it reads only, so every case must leave the listener up; a
value it wrongly accepts shows as a success (the base finds the foreign listener on 62888)."""
from tests.fuzz import harness, values

TARGET = harness.Target(
    "port_owners_info",
    base=lambda workdir: {"ports": [62888, 62889], "expected": {"62888": ["pos_proxy"]}, "remote_ports": [2181]},
    sentinels=[{"name": "rogue", "port": 62888}],
    base_did=lambda result, check_mode: [(r["local_port"], r["kind"]) for r in result["conflicts"]]
    == [(62888, "foreign_listener")],
)

TARGET.refuse("ports", values.ports(), always=[65536, "\u0669", "62888\x00"])
TARGET.refuse("remote_ports", values.ports(), always=["2181\n", 0])
TARGET.refuse("expected", ["62888", [], 12, {"0": ["x"]}, {"62888": []}, {"62888": ["a\x00b"]}, {"\u0669": ["x"]},
                           {"62888": None}, {"62888": [1]}, {"62888 ": {"a": 1}}, {"1e3": ["x"]}],
              always=[{"62888": [True]}])
TARGET.refuse("protected", values.lists_of("a\x00b") + [[""], ["x" * 256], 12.5, True, "observer", {"a": 1}],
              always=[[1], 0.5])
TARGET.refuse("states", values.choices(["listen", "all"]))

TARGET.accept("ports", [(["62888-62889"], "a range"), (" 62888 ", "blanks around a port are stripped")])
TARGET.accept("remote_ports", [(["1-65535"], "every port: a wide but valid range")])
TARGET.accept("expected", [({62888: "pos_proxy"}, "an int key and one name instead of a list")])
TARGET.accept("protected", [([], "an empty list protects nothing, on purpose")])
TARGET.accept("states", [("listen", "a listed choice")])

globals().update(harness.module_tests([TARGET]))
