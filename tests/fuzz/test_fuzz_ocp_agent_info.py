"""ocp_agent_info with hostile values and peers: a read-only look at the agent, bounded by its timeout
whatever answers (or does not answer) on the exporter ports."""
import os

from tests.fuzz import harness, layouts, values

TARGET = harness.Target(
    "ocp_agent_info",
    base=lambda workdir: {"home": os.path.join(workdir, "agent"), "timeout": 2},
    setup=layouts.agent_home("agentctl"),
    base_did=lambda result, check_mode: result["flavor"] == "agentctl" and result["ready"] is False
    and [r["name"] for r in result["processes"]] == ["ocp_agentd", "ocp_mgragent", "ocp_monagent"],
)

TARGET.refuse("home", values.paths(), always=[values.PathValue("fifo"), values.PathValue("nul")])
TARGET.refuse("home", ["", "\x00", "a\r\nb", "x" * 5000, 12, [], {"a": 1}])
TARGET.refuse("flavor", values.choices(["auto", "legacy", "agentctl"]), always=["legacy"])
TARGET.refuse("timeout", values.numbers(), always=["nan", "inf", "301", 0, "1.5"])
TARGET.refuse("ports", values.ports(), always=[65536, "\u0669", "62888\x00", "62881-"])
TARGET.refuse("protected", values.lists_of("a\x00b") + [[""], ["x" * 256], 12.5, True, "observer", {"a": 1}],
              always=[[1], 0.5, [None]])

TARGET.accept("timeout", [("300", "the documented upper bound"), (1, "the lower bound")])
TARGET.accept("flavor", [("agentctl", "the generation installed")])
TARGET.accept("ports", [(["62881-63881"], "the runbook's scanned range"), (" 62888 ", "blanks around a port")])
TARGET.accept("protected", [([], "an empty list protects nothing, on purpose")])
TARGET.accept("home", [(lambda workdir: os.path.join(workdir, "agent") + "/", "a trailing slash"),
                       (lambda workdir: os.path.join(workdir, "agent", "..", "agent"), "a path through ..")])

# Processes named like the agent's exporters that hold their ports and never answer HTTP, or answer one
# byte every half second: the look at the agent still ends within its timeout.
for kind in ("silent", "drip", "garbage", "flood"):
    TARGET.peer("exporters answering %s" % kind, may_succeed=True, servers=[], sentinels=[
        {"name": "ocp_mgragent", "port": 62888, "kind": kind}, {"name": "ocp_monagent", "port": 62889, "kind": kind}])

globals().update(harness.module_tests([TARGET], peers=[TARGET]))
