"""Shared by the lab's agent-host fault programs: real process names and the agent's control script.

Importing this module strips the re-exec marker from sys.argv, so import it before parsing arguments.
"""
import os
import subprocess
import sys

MARK = "--_renamed"
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else os.path.realpath(sys.executable)

RENAMED = MARK in sys.argv
if RENAMED:
    sys.argv.remove(MARK)


def rename(name):
    """Re-exec once with argv[0] = name (the pid stays the same), then set /proc/self/comm, so
    detection code sees the name a real program would have in both places."""
    if not RENAMED:
        script = os.path.abspath(sys.modules["__main__"].__file__)
        os.execv(PY, [name, "-I", script] + sys.argv[1:] + [MARK])
    with open("/proc/self/comm", "w") as fh:
        fh.write(name[:15])


def agent_ctl(home, action):
    """Run the agent's own control script (start|stop); returns (rc, output)."""
    if os.path.exists(os.path.join(home, "bin", "ocp_agentctl")):
        argv = [os.path.join(home, "bin", "ocp_agentctl"), action]
    elif os.path.exists(os.path.join(home, "ocp_agent_ctl.py")):
        argv = [PY, os.path.join(home, "ocp_agent_ctl.py"), action, "ocp_agent"]
    else:
        raise SystemExit("no agent control script under %s" % home)
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=60, check=False)
    return proc.returncode, proc.stdout.decode(errors="replace").strip()
