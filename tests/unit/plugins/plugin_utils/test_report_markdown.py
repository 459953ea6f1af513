# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markdown report: the plan is labelled as the plan (and in a dry run, that nothing was done),
"Done" holds only the done steps, text from hosts cannot break the layout."""
from ansible_collections.alertops.remediation.plugins.plugin_utils import report_markdown
from tests.support.reports import markdown_section


def report(**change):
    out = {"runbook": "exporter_ports", "host": "agent1", "run_id": "r1", "check_mode": False,
           "written_at": "2026-11-21T10:15:31Z", "status": "remediated", "summary": "ports freed",
           "plan": ["stop the agent", "start the agent", "wait up to 90 s for the exporters"],
           "done": ["stopped the agent"], "sections": [], "data": {}}
    out.update(change)
    return out


def headings(md):
    return [line for line in md.splitlines() if line.startswith("#")]


def test_plan_and_done_are_apart():
    md = report_markdown.render(report())
    assert headings(md) == ["# exporter_ports on agent1: remediated", "## Plan (the steps decided)", "## Done"]
    assert markdown_section(md, "Done") == ["stopped the agent"]
    assert markdown_section(md, "Plan") == ["stop the agent", "start the agent", "wait up to 90 s for the exporters"]


def test_dry_run_says_nothing_was_done():
    md = report_markdown.render(report(check_mode=True, status="dry-run", done=[]))
    assert "## Plan (dry run: what would be done; nothing was done)" in md
    assert markdown_section(md, "Done") == []
    assert "nothing (dry run)" in md
    assert "| r1 | 2026-11-21T10:15:31Z | yes (dry run: nothing was changed) |" in md


def test_empty_plan_and_done():
    md = report_markdown.render(report(plan=[], done=[], status="healthy"))
    assert "no step was needed" in md and "nothing was done" in md


def test_sections_tables_notes_and_empties():
    md = report_markdown.render(report(sections=[
        {"title": "Found", "columns": ["port", "process", "ok"], "rows": [[62889, "rogue|http", True], [63000, None, False]],
         "note": "2 sockets without a process"},
        {"title": "Nothing", "columns": ["a"], "rows": [], "empty": "nobody held a port"},
        {"title": "Left", "lines": [], "empty": "nothing was left alone"},
        {"title": "Default empty", "lines": []},
    ]))
    assert "| port | process | ok |\n|---|---|---|\n| 62889 | rogue\\|http | yes |\n| 63000 |  | no |" in md
    assert "\n2 sockets without a process\n" in md
    assert "nobody held a port" in md and "nothing was left alone" in md and "(none)" in md


def test_host_text_cannot_break_the_layout():
    md = report_markdown.render(report(
        summary="x", done=["line one\n## Injected heading\r\n- fake step"],
        sections=[{"title": "T\n# evil", "columns": ["cmdline"], "rows": [["a\nb|c\\d\x1b[31m"]]}]))
    assert "\n## Injected" not in md and "\n# evil" not in md
    assert markdown_section(md, "Done") == ["line one ## Injected heading - fake step"]
    assert "| a b\\|c\\\\d [31m |" in md


def test_lock_broken_is_reported():
    md = report_markdown.render(report(lock_broken={"owner": {}, "description": "exporter_ports (pid 9 on ctl)",
                                                    "reason": "its process is gone"}))
    assert markdown_section(md, "Lock") == ["this run broke the lock left by exporter_ports (pid 9 on ctl): its process is gone"]
