# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report document of a runbook run: the contract between the runbooks (their filters shape the
document) and the one writer (alertops.remediation.remediation_report), checked here key by key.

docs/report.schema.json states the same contract as JSON Schema for readers and other tools; a unit
test keeps the two in agreement.
"""
from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

STATUSES = ("remediated", "healthy", "dry-run", "failed", "leak", "refused")
DOCUMENT_KEYS = ("status", "summary", "plan", "done", "sections", "data")
# The writer renders `plan` and `done` under these headings itself; a section may not take them.
RESERVED_TITLES = ("plan", "done")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:+-]{0,127}$")
RUNBOOK = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
HOST_UNSAFE = re.compile(r"[^A-Za-z0-9_.:@+-]")
WHITESPACE = re.compile(r"\s+")


class ReportError(ValueError):
    """The document breaks the contract; the message names the key and the value."""


def _scalar(value):
    return value is None or isinstance(value, (str, bool, int, float))


def _strings(value, where):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ReportError("%s must be a list of strings, got %r" % (where, value))
    return list(value)


def _section(section, where):
    if not isinstance(section, dict):
        raise ReportError("%s must be a mapping, got %r" % (where, section))
    title = section.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ReportError("%s.title must be a non-empty string, got %r" % (where, title))
    for key in ("empty", "note"):
        if key in section and not isinstance(section[key], str):
            raise ReportError("%s.%s must be a string, got %r" % (where, key, section[key]))
    if "lines" in section:
        unknown = set(section) - {"title", "lines", "empty", "note"}
        if unknown:
            raise ReportError("%s: unknown key(s) %s in a lines section" % (where, ", ".join(sorted(unknown))))
        _strings(section["lines"], where + ".lines")
        return
    unknown = set(section) - {"title", "columns", "rows", "empty", "note"}
    if unknown or "columns" not in section or "rows" not in section:
        raise ReportError("%s must have either lines, or columns and rows (keys: %s)" % (where, ", ".join(sorted(section))))
    columns = _strings(section["columns"], where + ".columns")
    if not columns:
        raise ReportError("%s.columns must not be empty" % where)
    rows = section["rows"]
    if not isinstance(rows, list):
        raise ReportError("%s.rows must be a list, got %r" % (where, rows))
    for n, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(columns) or not all(_scalar(c) for c in row):
            raise ReportError("%s.rows[%d] must be a list of %d plain values (one per column), got %r"
                              % (where, n, len(columns), row))


def check(doc, where="report"):
    """Return the document as the writer stores it, or raise ReportError.

    The summary is folded into one line. `plan` and `done` are required: the Markdown report shows the
    steps decided apart from the steps that ran, and a document without them could not.
    """
    if not isinstance(doc, dict):
        raise ReportError("%s must be a mapping, got %r" % (where, doc))
    unknown = set(doc) - set(DOCUMENT_KEYS)
    if unknown:
        raise ReportError("%s: unknown key(s) %s (allowed: %s)" % (where, ", ".join(sorted(unknown)), ", ".join(DOCUMENT_KEYS)))
    for key in ("status", "summary", "sections", "data"):
        if key not in doc:
            raise ReportError("%s.%s is missing" % (where, key))
    steps = [key for key in ("plan", "done") if key in doc]
    if len(steps) == 1:
        raise ReportError("%s: plan and done come together (only %s given)" % (where, steps[0]))
    for key in ("plan", "done"):
        if key not in doc:
            raise ReportError("%s.%s is missing" % (where, key))
    if doc["status"] not in STATUSES:
        raise ReportError("%s.status must be one of %s, got %r" % (where, ", ".join(STATUSES), doc["status"]))
    if not isinstance(doc["summary"], str):
        raise ReportError("%s.summary must be a string, got %r" % (where, doc["summary"]))
    if not isinstance(doc["data"], dict):
        raise ReportError("%s.data must be a mapping, got %r" % (where, doc["data"]))
    if not isinstance(doc["sections"], list):
        raise ReportError("%s.sections must be a list, got %r" % (where, doc["sections"]))
    out = dict(doc, summary=WHITESPACE.sub(" ", doc["summary"]).strip())
    for key in ("plan", "done"):
        out[key] = _strings(doc[key], "%s.%s" % (where, key))
    for n, section in enumerate(doc["sections"]):
        _section(section, "%s.sections[%d]" % (where, n))
        if section["title"].strip().lower() in RESERVED_TITLES:
            raise ReportError("%s.sections[%d].title %r is reserved: put the steps in %s.plan and %s.done"
                              % (where, n, section["title"], where, where))
    return out


def names(runbook, run_id):
    """Check the names that become folders of the report directory."""
    if not isinstance(runbook, str) or not RUNBOOK.match(runbook):
        raise ReportError("runbook: %r must be a role-like name (a-z, 0-9, _)" % (runbook,))
    if not isinstance(run_id, str) or not NAME.match(run_id):
        raise ReportError("run_id: %r must be 1 to 128 letters, digits, '_', '.', ':', '+' or '-', starting "
                          "with a letter or digit" % (run_id,))


def base_path(report_dir, runbook, run_id, host):
    """<report_dir>/<runbook>/<run_id>/<host>, the host's name made safe as one file name."""
    if not isinstance(report_dir, str) or not report_dir or "\0" in report_dir:
        raise ReportError("dir: %r must be a directory path (text, not empty, no NUL)" % (report_dir,))
    names(runbook, run_id)
    safe = HOST_UNSAFE.sub("_", host)
    if safe.startswith("."):
        safe = "_" + safe
    return os.path.join(os.path.abspath(os.path.expanduser(report_dir)), runbook, run_id, safe)
