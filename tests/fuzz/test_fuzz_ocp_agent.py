"""ocp_agent with hostile values and peers: bad input is refused before the control script runs, and a
control script or a log that misbehaves cannot hold the module past its timeout or leak a file the
caller could not read.

The base stops a legacy agent that is not running: nothing to do, a success, so a hostile value that is
wrongly accepted shows as a success. The peers use an agentctl home whose control script is replaced.
"""
import os

from tests.fuzz import harness, layouts, values


def HOME(workdir):
    return os.path.join(workdir, "agent")


TARGET = harness.Target(
    "ocp_agent",
    base=lambda workdir: {"home": HOME(workdir), "state": "stopped", "timeout": 3, "log_lines": 5},
    setup=layouts.agent_home("legacy"),
    sentinels=[{"name": "rogue", "port": 62888}],
    base_did=lambda result, check_mode: result["flavor"] == "legacy" and result["changed"] is False,
)
PEERS = harness.Target(
    "ocp_agent",
    base=lambda workdir: {"home": HOME(workdir), "state": "restarted", "timeout": 2, "log_lines": 5},
    setup=layouts.agent_home("agentctl"),
    sentinels=[{"name": "rogue", "port": 62888}], peers_only=True,
)

TARGET.refuse("state", values.choices(["started", "stopped", "restarted"]))
TARGET.refuse("home", values.paths(), always=[values.PathValue("fifo"), values.PathValue("directory")])
TARGET.refuse("home", ["", "a\r\nb", "x" * 5000, 12, [], {"a": 1}])
TARGET.refuse("flavor", values.choices(["auto", "legacy", "agentctl"]), always=["agentctl"])
TARGET.refuse("timeout", values.numbers(), always=["nan", "inf", 0, "3601", "2.5", "1e308"])
TARGET.refuse("log_lines", values.numbers(), always=[-5, "1001", "\u0669"])
TARGET.refuse("python", values.strings() + values.paths(["fifo", "directory", "device", "dangling_link", "long", "nul",
                                                         "secret_as_nobody"]) + ["nosuchpython", "/etc/passwd"],
              always=["nosuchpython", values.PathValue("directory")])

TARGET.accept("timeout", [("3600", "the documented upper bound"), (1, "the lower bound")])
TARGET.accept("log_lines", [(0, "no log lines"), ("1000", "the documented upper bound")])
TARGET.accept("python", [("python3", "a program found in PATH"), (os.path.realpath("/usr/bin/python3"), "a path")])
TARGET.accept("state", [("stopped", "a listed choice")])
TARGET.accept("flavor", [("legacy", "the generation installed")])
TARGET.accept("home", [(lambda workdir: HOME(workdir) + "//", "repeated slashes")])

PEERS.peer("a control script that hangs, a child holding its output", setup=lambda w: layouts.control_script(w, layouts.HANG),
           names=["timeout=2"])
PEERS.peer("a control script that floods its output", setup=lambda w: layouts.control_script(w, layouts.FLOOD),
           names=["timeout=2"], verify=lambda r: len(r.get("stdout", "")) <= 64 * 1024)
PEERS.peer("a control script that fails with binary noise", setup=lambda w: layouts.control_script(w, layouts.NOISE),
           names=["exited 1"], verify=lambda r: len(r.get("stdout", "")) <= 64 * 1024)
PEERS.peer("logs that are a FIFO, links to a root-only file and a device, a directory, a large file",
           setup=lambda w: (layouts.control_script(w, layouts.NOISE), layouts.hostile_logs(w)), names=["exited 1"],
           verify=lambda r: all(len(lines) <= 5 for lines in r["log_tail"].values()))
PEERS.peer("a log directory that is a link to root-only logs",
           setup=lambda w: (layouts.control_script(w, layouts.NOISE), layouts.log_dir_link(w)), names=["exited 1"])
PEERS.peer("logs that are a FIFO and links, read by uid 65534",
           setup=lambda w: (layouts.control_script(w, layouts.NOISE), layouts.hostile_logs(w)), names=["exited 1"],
           uid=harness.NOBODY)

globals().update(harness.module_tests([TARGET], peers=[PEERS]))
