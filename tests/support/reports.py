"""Check the runbook reports a test run wrote: every JSON report against docs/report.schema.json, and its
Markdown twin against the JSON (the plan under its own heading, "Done" listing exactly the done steps).

Other suites call assert_valid_reports(report_dir) on their report directories, or take the fixture
`validated_report_dir` (tests/conftest.py), which checks whatever was written there when the test ends.
"""
import glob
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA_PATH = os.path.join(ROOT, "docs", "report.schema.json")
# Folders of the report directory that hold other records: alert decisions and log bundles.
NOT_REPORTS = ("alerts", "logs")


def schema():
    with open(SCHEMA_PATH) as fh:
        return json.load(fh)


def validator(subschema=None):
    """A Draft 2020-12 validator of the report schema (or of one of its $defs, e.g. 'document')."""
    from jsonschema import Draft202012Validator

    full = schema()
    if subschema:
        full = {"$schema": full["$schema"], "$defs": full["$defs"], "$ref": "#/$defs/" + subschema,
                "unevaluatedProperties": False}
    Draft202012Validator.check_schema(full)
    return Draft202012Validator(full)


def errors(doc, subschema=None):
    return sorted("%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)", e.message)
                  for e in validator(subschema).iter_errors(doc))


def report_files(report_dir):
    """<report_dir>/<runbook>/<run_id>/<host>.json of every runbook."""
    found = glob.glob(os.path.join(str(report_dir), "*", "*", "*.json"))
    return sorted(p for p in found if os.path.basename(os.path.dirname(os.path.dirname(p))) not in NOT_REPORTS)


def markdown_section(md, heading_prefix):
    """The bullet lines under the first '## <heading_prefix>...' heading, or None when absent."""
    lines = md.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("## " + heading_prefix):
            out = []
            for item in lines[n + 1:]:
                if item.startswith("## "):
                    break
                if item.startswith("- "):
                    out.append(item[2:])
            return out
    return None


def check_report(path):
    """Problems of one written report (empty when it keeps the contract)."""
    with open(path) as fh:
        doc = json.load(fh)
    problems = ["%s: %s" % (path, e) for e in errors(doc)]
    md_path = path[:-5] + ".md"
    if not os.path.isfile(md_path):
        return problems + ["%s: no Markdown twin" % path]
    with open(md_path) as fh:
        md = fh.read()
    if "plan" in doc and "done" in doc:
        done = markdown_section(md, "Done")
        if done != doc["done"]:
            problems.append("%s: the Markdown 'Done' lists %r, the report's done is %r" % (md_path, done, doc["done"]))
        plan_heading = [line for line in md.splitlines() if line.startswith("## Plan")]
        if len(plan_heading) != 1 or (doc["check_mode"] and "nothing was done" not in plan_heading[0]):
            problems.append("%s: the plan needs one heading that says it is the plan%s" % (
                md_path, " and that nothing was done" if doc["check_mode"] else ""))
    return problems


def assert_valid_reports(report_dir, minimum=1):
    """Every report under report_dir keeps the contract; returns the parsed reports."""
    paths = report_files(report_dir)
    assert len(paths) >= minimum, "expected at least %d report(s) under %s, found %r" % (minimum, report_dir, paths)
    problems = [p for path in paths for p in check_report(path)]
    assert not problems, "\n".join(problems)
    out = []
    for path in paths:
        with open(path) as fh:
            out.append(json.load(fh))
    return out
