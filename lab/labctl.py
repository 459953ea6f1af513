#!/usr/bin/env python3
"""labctl: build, inspect and remove the built-in lab (see lab/README.md).

    labctl.py up [--spec FILE] [--agents N] [--alertmanager-url URL] [--reset]
    labctl.py down
    labctl.py status [--json]
    labctl.py exec HOST -- ARGV...

Every lab host is a small "machine" made of Linux namespaces: its own network namespace (one veth
onto a bridge that lives in a dedicated "switch" network namespace), its own PID namespace whose
pid 1 is the lab init (`labctl.py _init HOST`, lab/labkit/init.py), its own UTS namespace (hostname)
and its own mount namespace in which the standard paths are bind mounts of per-host directories under
lab/.state/hosts/<host>/. No namespace is named (nothing under /run/netns): every namespace lives
exactly as long as the lab's processes, so killing them (by recorded pid) removes everything.
The machine gets one veth (198.18.0.1/24) into the switch namespace.

The code lives in lab/labkit/, one concern per module: spec, state, hostfiles, init, netns, zk,
inventory, agents, lifecycle.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labkit.base import LabError, log  # noqa: E402  pylint: disable=wrong-import-position


def parser():
    ap = argparse.ArgumentParser(prog="labctl.py", description=__doc__.split("\n\n", 1)[0])
    sub = ap.add_subparsers(dest="cmd", required=True, metavar="{up,down,status,exec}")
    p_up = sub.add_parser("up", help="create the lab, or repair it (idempotent)")
    p_up.add_argument("--spec", help="lab spec (default lab/spec.yml)")
    p_up.add_argument("--alertmanager-url", dest="alert_url", default=None,
                      help="URL the agents' alerts go to (inventory lab_alert_url, /run/lab/host.json)")
    p_up.add_argument("--reset", action="store_true",
                      help="rewrite the hosts' ZooKeeper config from the spec and restart the ensemble")
    p_up.add_argument("--agents", type=agent_count, default=None, metavar="N",
                      help="a fleet of N agent hosts next to the spec's hosts (both generations, alternating); "
                           "on a running lab adds or removes fleet hosts; kept until the next --agents")
    sub.add_parser("down", help="remove every process, namespace, interface and file of the lab")
    p_st = sub.add_parser("status", help="show the lab (exit 0 when up, 3 when down or degraded)")
    p_st.add_argument("--json", action="store_true")
    p_ex = sub.add_parser("exec", help="run ARGV inside a host: labctl.py exec HOST -- ARGV...")
    p_ex.add_argument("host")
    p_ex.add_argument("argv", nargs=argparse.REMAINDER, help="the command (after --)")
    # the lab's own long-lived processes (started by `up`, not by people)
    p_init = sub.add_parser("_init")
    p_init.add_argument("host")
    sub.add_parser("_switch")
    return ap


def agent_count(text):
    if not text.isdigit() or not text.isascii():
        raise argparse.ArgumentTypeError("not a number of hosts: %r" % text)
    return int(text)


def exec_command(host, argv):
    from labkit.base import host_env
    from labkit.netns import nsenter_argv
    from labkit.state import alive, read_state

    if not argv:
        sys.stderr.write("usage: labctl.py exec HOST -- ARGV...\n")
        return 2
    rec = (read_state() or {"hosts": {}})["hosts"].get(host)
    if not rec or not alive(rec.get("init")):
        sys.stderr.write("labctl: lab host %s is not running (make lab-up)\n" % host)
        return 1
    os.execvpe("nsenter", nsenter_argv(rec["init"]["pid"]) + argv, host_env())
    return 1  # not reached: exec replaced this process


def main(argv=None):
    args = parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.cmd == "_init":
        from labkit.init import init_main
        return init_main(args.host)
    if args.cmd == "_switch":
        from labkit.init import switch_main
        return switch_main()
    if args.cmd == "exec":
        return exec_command(args.host, args.argv)
    try:
        from labkit import lifecycle
        if args.cmd == "up":
            lifecycle.up(args.spec, args.alert_url, args.reset, agents=args.agents)
        elif args.cmd == "down":
            lifecycle.down()
        elif args.cmd == "status":
            return 0 if lifecycle.status(args.json)["up"] else 3
    except LabError as exc:
        log(str(exc))
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
