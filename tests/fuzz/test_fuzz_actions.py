"""The action plugins' options with hostile values, through ansible-playbook (tests/fuzz/actions.py):
remediation_report (the one report writer, on the controller) and remediation_lock's controller side
(its module on the host is fuzzed in test_fuzz_remediation_lock.py).

Each value is one task of a playbook per option; a refused value writes nothing, neither in its own
directory nor anywhere else (the sandbox is read-only outside the case's directory)."""
import os

from tests.fuzz import actions, harness, values

REPORT = {"status": "remediated", "summary": "freed 62888 from a rogue listener",
          "plan": ["terminate rogue (pid 4242) holding 62888"], "done": ["terminated rogue with SIGTERM"],
          "sections": [{"title": "Agent", "columns": ["process", "ready"], "rows": [["ocp_mgragent", True]]}],
          "data": {"ports": [62888]}}
REPORTS = actions.ActionTarget(
    "remediation_report",
    base=lambda case_dir: {"runbook": "exporter_ports", "report": REPORT, "dir": os.path.join(case_dir, "reports"),
                           "run_id": "20261121T101530Z-4242"},
    writes=True,
    base_did=lambda result, check_mode: result["path"].endswith("/reports/exporter_ports/20261121T101530Z-4242/localhost.md"),
)
LOCK = actions.ActionTarget(
    "remediation_lock",
    base=lambda case_dir: {"path": os.path.join(case_dir, "host.lock"), "state": "locked", "owner": "exporter_ports",
                           "wait": 0, "lease": 60},
    writes=True,
    base_did=lambda result, check_mode: result["held"] is (not check_mode),
)


def report(**changes):
    doc = dict(REPORT)
    for key, value in changes.items():
        if value is KeyError:
            doc.pop(key)
        else:
            doc[key] = value
    return doc


REPORTS.refuse("runbook", values.strings() + ["Exporter", "../x", "a/b", "x" * 65, "1abc", "a-b", "a.b"],
               always=["../x", "a/b"])
REPORTS.refuse("run_id", values.strings() + ["../../x", ".hidden", "a/b", "x" * 129, "-x", "a b"],
               always=["../../x", ".hidden"])
REPORTS.refuse("dir", ["", "\x00", "a\x00b", 12, [], {"a": 1}] + values.paths(
    ["fifo", "device", "dangling_link", "link_loop", "long", "nul", "secret"]),
    always=[values.PathValue("fifo"), ""])
REPORTS.refuse("report", [
    "x", 12, [], None, report(status="bogus"), report(status=KeyError), report(summary=12), report(data=[]),
    report(sections={}), report(plan=KeyError), report(plan=[1]), report(sections=[{"title": "Plan", "lines": []}]),
    report(sections=[{"title": "", "lines": []}]), report(sections=[{"title": "t", "columns": ["a"], "rows": [[{}]]}]),
    report(sections=[{"title": "t", "columns": ["a"], "rows": [["x", "y"]]}]), report(data={"x": float("nan")}),
    report(data={"x": float("inf")}), report(extra=1), report(sections=[{"title": "t", "lines": ["a"], "x": 1}]),
], always=[report(data={"x": float("nan")})])
REPORTS.refuse("lock_broken", ["x", 12, [], {"description": 12, "reason": "r"}, {"reason": "r"},
                               {"description": "d", "reason": None}], always=[{"reason": "r"}])

REPORTS.accept("report", [(report(summary="line one\nline two\r\n\tend"), "line breaks in a summary are folded"),
                          (report(summary="{{ lookup('ansible.builtin.pipe', 'id') }}"), "a template is text in a report"),
                          (report(data={"n": 10 ** 30, "s": "\x00"}), "any JSON data")])
REPORTS.accept("dir", [(lambda d: os.path.join(d, "new", "deeper"), "missing folders are made"),
                       (lambda d: os.path.join(d, "reports", ".."), "a path through ..")])
REPORTS.accept("run_id", [("a" * 128, "the longest run id"), ("20261121T101530Z+08:00-1.2", "every allowed sign")])
REPORTS.accept("lock_broken", [({"owner": {}, "description": "d", "reason": "r"}, "remediation_lock's broke result")])

LOCK.refuse("path", ["", "relative.lock", "\x00", 12, [], {"a": 1}] + values.paths(["long", "nul"]),
            always=["relative.lock"])
# What the path is on the host is judged on the host, which a dry run (check mode) does not contact.
LOCK.refuse("path", values.paths(["fifo", "directory", "device", "dangling_link", "link_loop", "socket"]),
            always=[values.PathValue("directory")], check_mode=False)
LOCK.refuse("state", values.choices(["locked", "unlocked"]))
LOCK.refuse("owner", values.texts() + ["x" * 201], always=[12, "a\r\nb"])
LOCK.refuse("wait", values.numbers(), always=["nan", "86401", -1])
LOCK.refuse("lease", values.numbers(), always=["nan", 0, "604801"])

LOCK.accept("owner", values.INERT)
LOCK.accept("wait", [("0.5", "a fraction, on a free lock")])
LOCK.accept("lease", [("604800", "a week")])

globals().update(harness.module_tests([REPORTS, LOCK]))
