# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Markdown view of a written report (see report_doc for the document).

The plan is shown under a heading that says it is the plan, and in a dry run that nothing was done;
"Done" lists only the steps the runbook's results say ran. Text from hosts (process names, command
lines, log excerpts) cannot break the layout: control characters become spaces and table cells escape
the column separator.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

CONTROL = re.compile(u"[\x00-\x1f\x7f\u2028\u2029]+")


def text(value):
    """One line of Markdown text from any plain value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return CONTROL.sub(" ", u"%s" % (value,)).strip()


def cell(value):
    return text(value).replace("\\", "\\\\").replace("|", "\\|")


def _list(lines, empty):
    return ["- %s" % text(line) for line in lines] if lines else [empty]


def _table(columns, rows):
    out = ["| %s |" % " | ".join(cell(c) for c in columns), "|%s" % ("---|" * len(columns))]
    out.extend("| %s |" % " | ".join(cell(v) for v in row) for row in rows)
    return out


def _section(section):
    out = ["## %s" % text(section["title"]), ""]
    if "lines" in section:
        out.extend(_list(section["lines"], text(section.get("empty") or "(none)")))
    elif section["rows"]:
        out.extend(_table(section["columns"], section["rows"]))
    else:
        out.append(text(section.get("empty") or "(none)"))
    if section.get("note"):
        out.extend(["", text(section["note"])])
    return out


def render(report):
    """The report (a document checked by report_doc.check plus the writer's keys) as Markdown text."""
    dry = report["check_mode"]
    out = [
        "# %s on %s: %s" % (text(report["runbook"]), text(report["host"]), text(report["status"])),
        "",
        text(report["summary"]),
        "",
        "| run | written (UTC) | check mode |",
        "|---|---|---|",
        "| %s | %s | %s |" % (
            cell(report["run_id"]), cell(report["written_at"]), "yes (dry run: nothing was changed)" if dry else "no"),
    ]
    heading = "Plan (dry run: what would be done; nothing was done)" if dry else "Plan (the steps decided)"
    out += ["", "## " + heading, ""] + _list(report["plan"], "no step was needed")
    out += ["", "## Done", ""] + _list(report["done"], "nothing (dry run)" if dry else "nothing was done")
    broken = report.get("lock_broken")
    if broken:
        out += ["", "## Lock", "",
                "- this run broke the lock left by %s: %s" % (text(broken["description"]), text(broken["reason"]))]
    for section in report["sections"]:
        out += [""] + _section(section)
    return "\n".join(out) + "\n"
