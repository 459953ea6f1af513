"""alert_route's options with hostile values, through ansible-playbook (tests/fuzz/actions.py).

The alert itself (the untrusted part) has its own suites (tests/unit/plugins/action, the hostile-alert
suite in tests/eda); here the options a playbook passes are hostile: the routes, the folders and the
attempt limits. The base routes a survey alert for localhost (in group ocp_agents) to the ports runbook
and records the decision; a refused value records nothing and writes nowhere."""
import os

from tests.fuzz import actions, harness, values

ROUTE = {"name": "exporter ports", "alertnames": ["no_port_mapping_for_exporter"], "runbook": "exporter_ports",
         "host_labels": ["instance"], "group": "ocp_agents", "scope": "host", "label_vars": {}}
TARGET = actions.ActionTarget(
    "alert_route",
    base=lambda case_dir: {"routes": [ROUTE], "forbidden_chars": ["{", "}", " ", ";"],
                           "report_dir": os.path.join(case_dir, "reports"), "max_attempts": 1000,
                           "attempt_window": 3600},
    play_vars={"alert_name": "no_port_mapping_for_exporter", "alert_host": "localhost"},
    group="ocp_agents",
    writes=True,
    base_did=lambda result, check_mode: result["refused"] == "" and result["decision"]["runbook"] == "exporter_ports"
    and result["decision"]["decision"] == ("verify" if check_mode else "remediate"),
)


def route(**changes):
    out = dict(ROUTE)
    out.update(changes)
    return out


TARGET.refuse("routes", [
    [], "x", 12, [None], [{}], [route(name="")], [route(runbook=12)], [route(alertnames=[])],
    [route(alertnames="no_port_mapping_for_exporter")], [route(host_labels=[""])], [route(scope="galaxy")],
    [route(label_vars=["x"])], [route(label_patterns={"v": "("})], [route(label_patterns={"v": 12})],
    [route(time_var=12)], [ROUTE, route(name="again")],
], always=[[route(label_patterns={"v": "("})], [ROUTE, route(name="again")]])
TARGET.refuse("report_dir", ["", "reports", "./reports", 12, [], {"a": 1}] + values.paths(["long", "nul", "crlf"]),
              always=["reports", ""])
TARGET.refuse("ledger_path", ["attempts.json", "\x00", 12, [], {"a": 1}] + values.paths(["long", "nul", "crlf"]),
              always=["attempts.json"])
TARGET.refuse("forbidden_chars", [[""], ["{{"], ["ab", "c"], 12, {"a": 1}, [None], [[]]], always=[[""], ["{{"]])
TARGET.refuse("dry_run", values.booleans())
TARGET.refuse("plan_only", values.booleans())
TARGET.refuse("max_attempts", values.numbers(), always=["nan", 0, "1001", "\u0663"])
TARGET.refuse("attempt_window", values.numbers(), always=["inf", 59, "2592001"])

TARGET.accept("forbidden_chars", [([], "nothing forbidden: the route's own patterns still apply"),
                                  (["\n", "\u202e"], "any single character"),
                                  ("{,}", "text is a comma-separated list, as Ansible reads a list option")])
TARGET.accept("ledger_path", [(lambda d: os.path.join(d, "ledger", "attempts.json"), "missing folders are made")])
TARGET.accept("report_dir", [(lambda d: os.path.join(d, "reports", "..", "elsewhere"), "a path through ..")])
TARGET.accept("max_attempts", [("1", "the lower bound, as ASCII digits")])
TARGET.accept("attempt_window", [("2592000", "thirty days, the upper bound")])

# Folders the controller cannot use: nothing runs and the reason names the folder (the playbook's next
# task fails with it).
for kind in ("fifo", "device", "dangling_link", "link_loop"):
    TARGET.peer("a report folder that is a %s" % kind, args={"report_dir": values.PathValue(kind)},
                may_succeed=True,
                verify=lambda r: r.get("failed") or "not acted on" in r["refused"] or "could not be recorded" in r["refused"])

globals().update(harness.module_tests([TARGET], peers=[TARGET]))
