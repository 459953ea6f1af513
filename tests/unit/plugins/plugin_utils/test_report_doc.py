# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report contract: report_doc.check (what the writer enforces) and docs/report.schema.json (what
readers validate against) judge every document of the table the same way."""
import copy

import pytest

from ansible_collections.alertops.remediation.plugins.plugin_utils import report_doc


def doc(**change):
    out = {
        "status": "remediated", "summary": "ports freed", "plan": ["stop the agent", "start the agent"],
        "done": ["stopped the agent"],
        "sections": [{"title": "Found", "columns": ["port", "pid", "ok"], "rows": [[62889, 4242, True], ["x", None, 1.5]],
                      "empty": "nobody", "note": ""},
                     {"title": "Left alone", "lines": ["observer (pid 7)"], "empty": "nothing"}],
        "data": {"anything": [1, {"a": None}]},
    }
    for key, value in change.items():
        if value is KeyError:
            out.pop(key)
        else:
            out[key] = value
    return out


def section(**change):
    out = {"title": "T", "lines": ["a"]}
    out.update(change)
    return out


VALID = [
    ("full", doc()),
    ("every status", [doc(status=s) for s in report_doc.STATUSES]),
    ("empty plan and done", doc(plan=[], done=[])),
    ("no sections", doc(sections=[])),
    ("table without rows", doc(sections=[{"title": "T", "columns": ["a"], "rows": []}])),
    ("multi-line summary (folded)", doc(summary="line one\n  line two\tend")),
    ("a section title that only contains 'done'", doc(sections=[section(title="Done before")])),
]

INVALID = [
    ("not a mapping", ["status"], "must be a mapping"),
    ("unknown status", doc(status="fixed"), "status must be one of"),
    ("missing status", doc(status=KeyError), "status is missing"),
    ("missing data", doc(data=KeyError), "data is missing"),
    ("data not a mapping", doc(data=[1]), "data must be a mapping"),
    ("summary not a string", doc(summary=["a"]), "summary must be a string"),
    ("plan without done", doc(done=KeyError), "plan and done come together"),
    ("done without plan", doc(plan=KeyError), "plan and done come together"),
    # Every runbook says what it planned and what it did: a report without them cannot tell the two apart.
    ("neither plan nor done", doc(plan=KeyError, done=KeyError), "plan is missing"),
    ("plan not a list", doc(plan="stop the agent"), "plan must be a list of strings"),
    ("done holds a mapping", doc(done=[{"step": 1}]), "done must be a list of strings"),
    ("writer's key given", doc(host="agent1"), "unknown key(s) host"),
    ("unknown key", doc(extra=1), "unknown key(s) extra"),
    ("sections not a list", doc(sections={"title": "x"}), "sections must be a list"),
    ("section not a mapping", doc(sections=["x"]), "sections[0] must be a mapping"),
    ("section without title", doc(sections=[{"lines": []}]), "title must be a non-empty string"),
    ("blank title", doc(sections=[section(title="  ")]), "title must be a non-empty string"),
    ("Plan section next to plan", doc(sections=[section(title="Plan")]), "is reserved"),
    ("DONE section next to done", doc(sections=[section(title=" DONE ")]), "is reserved"),
    ("lines and columns", doc(sections=[section(columns=["a"])]), "unknown key(s) columns"),
    ("lines not strings", doc(sections=[section(lines=[1])]), "lines must be a list of strings"),
    ("empty not a string", doc(sections=[section(empty=0)]), "empty must be a string"),
    ("table without rows key", doc(sections=[{"title": "T", "columns": ["a"]}]), "must have either lines"),
    ("no columns", doc(sections=[{"title": "T", "columns": [], "rows": []}]), "columns must not be empty"),
    ("row not a list", doc(sections=[{"title": "T", "columns": ["a"], "rows": ["x"]}]), "rows[0] must be a list of 1"),
    ("cell is a mapping", doc(sections=[{"title": "T", "columns": ["a"], "rows": [[{"x": 1}]]}]), "plain values"),
    ("unknown section key", doc(sections=[{"title": "T", "columns": ["a"], "rows": [], "style": "x"}]), "must have either"),
]

# Only the writer can compare a row's length with its columns (JSON Schema cannot).
WRITER_ONLY = [
    ("row shorter than columns", doc(sections=[{"title": "T", "columns": ["a", "b"], "rows": [["x"]]}]), "one per column"),
]


def expand(cases):
    out = []
    for case in cases:
        name, value = case[0], case[1]
        values = value if isinstance(value, list) and value and isinstance(value[0], dict) else [value]
        out.extend(pytest.param(v, *case[2:], id=name) for v in values)
    return out


@pytest.mark.parametrize("document", expand(VALID))
def test_valid_documents(document):
    before = copy.deepcopy(document)
    checked = report_doc.check(document)
    assert document == before                       # the caller's document is not changed
    assert "\n" not in checked["summary"] and "\t" not in checked["summary"]
    assert checked["summary"] == " ".join(document["summary"].split())


@pytest.mark.parametrize("document, message", expand(INVALID + WRITER_ONLY))
def test_invalid_documents_name_the_key(document, message):
    with pytest.raises(report_doc.ReportError) as err:
        report_doc.check(document)
    assert message in str(err.value)
    assert str(err.value).startswith("report")


def written(document):
    return dict(document, runbook="exporter_ports", host="agent1", run_id="20261121T101530Z-42", check_mode=False,
                written_at="2026-11-21T10:15:31Z")


@pytest.mark.parametrize("document", expand(VALID))
def test_schema_accepts_what_the_writer_accepts(document):
    reports = pytest.importorskip("tests.support.reports")
    pytest.importorskip("jsonschema")
    assert reports.errors(document, "document") == []
    assert reports.errors(written(report_doc.check(document))) == []


@pytest.mark.parametrize("document, _message", expand(INVALID))
def test_schema_refuses_what_the_writer_refuses(document, _message):
    reports = pytest.importorskip("tests.support.reports")
    pytest.importorskip("jsonschema")
    assert reports.errors(document, "document") != []


def test_schema_of_the_written_report():
    reports = pytest.importorskip("tests.support.reports")
    pytest.importorskip("jsonschema")
    good = written(report_doc.check(doc()))
    assert reports.errors(good) == []
    assert reports.errors(dict(good, lock_broken={"owner": {}, "description": "x", "reason": "gone"})) == []
    for broken in (dict(good, check_mode="no"), dict(good, run_id="../x"), dict(good, summary="a\nb"),
                   dict(good, written_at="yesterday"), dict(good, extra=1), dict(good, lock_broken={"reason": 1}),
                   {k: v for k, v in good.items() if k != "host"}):
        assert reports.errors(broken) != [], broken


@pytest.mark.parametrize("runbook, run_id, message", [
    ("exporter_ports", "../../etc", "run_id"),
    ("exporter_ports", "a/b", "run_id"),
    ("exporter_ports", "", "run_id"),
    ("exporter_ports", ".hidden", "run_id"),
    ("exporter_ports", "x" * 129, "run_id"),
    ("../x", "r1", "runbook"),
    ("Exporter", "r1", "runbook"),
    ("", "r1", "runbook"),
])
def test_names_that_become_folders(runbook, run_id, message):
    with pytest.raises(report_doc.ReportError) as err:
        report_doc.base_path("/srv/reports", runbook, run_id, "agent1")
    assert str(err.value).startswith(message + ":")


@pytest.mark.parametrize("host, name", [
    ("agent1", "agent1"), ("198.18.0.12", "198.18.0.12"), ("fe80::1", "fe80::1"),
    ("../../etc/passwd", "_.._.._etc_passwd"), (".hidden", "_.hidden"), ("a b", "a_b"), ("zk/1", "zk_1"),
])
def test_host_names_become_one_safe_file_name(host, name):
    assert report_doc.base_path("/srv/reports", "zookeeper_connections", "r1", host) == \
        "/srv/reports/zookeeper_connections/r1/" + name


def test_relative_dir_is_made_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(str(tmp_path))
    assert report_doc.base_path("reports", "exporter_ports", "r1", "h") == str(tmp_path / "reports" / "exporter_ports" / "r1" / "h")
