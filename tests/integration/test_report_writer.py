# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""remediation_common tasks_from: report through the real ansible-playbook on this machine: one task
writes both files on the controller, one run folder for every host and serial batch, the summary in
the job's stats, check mode labelled, bad documents and names refused with nothing written, and every
written report valid against docs/report.schema.json."""
import os
import re

import pytest

from tests.support import localplay
from tests.support.reports import assert_valid_reports, markdown_section

PLAYBOOK = """---
- name: Write one report per host
  hosts: all
  gather_facts: false
  serial: "{{ batch | default('100%') }}"
  tasks:
    - name: Report
      ansible.builtin.include_role:
        name: alertops.remediation.remediation_common
        tasks_from: report
      vars:
        remediation_common_runbook: "{{ runbook | default('exporter_ports') }}"
        remediation_common_report_dir: "{{ report_dir }}"
        remediation_common_report: "{{ document }}"

    - name: Show the public fact
      ansible.builtin.debug:
        msg: "report path fact: {{ remediation_common_report_path }}"
"""

DOCUMENT = {
    "status": "remediated", "summary": "exporter ports freed\nand the agent is ready",
    "plan": ["terminate rogue-http (pid 4242) holding port 62889", "restart the agent"],
    "done": ["terminated rogue-http (pid 4242) with SIGTERM"],
    "sections": [{"title": "Found", "columns": ["port", "pid", "process"], "rows": [[62889, 4242, "rogue|http"]]},
                 {"title": "Left alone (and why)", "lines": [], "empty": "nothing was left alone"}],
    "data": {"owners_before": {"sockets": []}},
}


@pytest.fixture
def play(tmp_path):
    def run(document=None, hosts=("localhost",), check=False, **variables):
        inventory = localplay.inventory(tmp_path, hosts)
        playbook = localplay.write_playbook(tmp_path, "report.yml", PLAYBOOK)
        variables.setdefault("report_dir", str(tmp_path / "reports"))
        variables["document"] = DOCUMENT if document is None else document
        return localplay.run(tmp_path, playbook, inventory, variables, check=check,
                             extra_env={"ANSIBLE_SHOW_CUSTOM_STATS": "1"})
    return run


def files(path):
    out = []
    for root, _dirs, names in os.walk(str(path)):
        out.extend(os.path.join(root, n) for n in names)
    return sorted(out)


def test_every_host_and_batch_of_a_run_share_one_folder(play, tmp_path):
    hosts = ("agent1", "agent2", "agent3")
    rc, out = play(hosts=hosts, batch=1)
    assert rc == 0, out
    reports = assert_valid_reports(str(tmp_path / "reports"), minimum=3)
    assert sorted(r["host"] for r in reports) == list(hosts)
    assert len(set(r["run_id"] for r in reports)) == 1
    run_id = reports[0]["run_id"]
    assert re.match(r"^\d{8}T\d{6}Z-\d+$", run_id)
    folder = tmp_path / "reports" / "exporter_ports" / run_id
    assert files(tmp_path / "reports") == sorted(str(folder / (h + e)) for h in hosts for e in (".json", ".md"))
    for host in hosts:
        assert "report path fact: %s" % (folder / (host + ".md")) in out
        assert localplay.recap(out, host)["changed"] == 0
    # One task writes both files on the controller: nothing is delegated, nothing runs on the hosts.
    assert "-> localhost" not in out and "Write the JSON and Markdown reports" in out
    stats = out[out.index("CUSTOM STATS"):]
    for host in hosts:
        assert "'%s'" % host in stats or '"%s"' % host in stats
    assert "exporter ports freed and the agent is ready" in stats


def test_the_report_says_what_was_planned_and_what_was_done(play, tmp_path):
    rc, out = play()
    assert rc == 0, out
    report = assert_valid_reports(str(tmp_path / "reports"))[0]
    assert report["summary"] == "exporter ports freed and the agent is ready"
    assert report["check_mode"] is False and report["runbook"] == "exporter_ports" and report["host"] == "localhost"
    assert {"written_at", "run_id"} <= set(report)
    md = open(files(tmp_path / "reports")[-1]).read()
    assert markdown_section(md, "Plan (the steps decided)") == DOCUMENT["plan"]
    assert markdown_section(md, "Done") == DOCUMENT["done"]
    assert "| 62889 | 4242 | rogue\\|http |" in md


def test_check_mode_report_is_labelled_a_dry_run(play, tmp_path):
    dry = dict(DOCUMENT, status="dry-run", done=[], summary="plan: 1 listener to terminate")
    rc, out = play(dry, check=True)
    assert rc == 0, out
    report = assert_valid_reports(str(tmp_path / "reports"))[0]
    assert report["check_mode"] is True
    md = open([f for f in files(tmp_path / "reports") if f.endswith(".md")][0]).read()
    assert "## Plan (dry run: what would be done; nothing was done)" in md
    assert markdown_section(md, "Done") == []


@pytest.mark.parametrize("document, variables, message", [
    (dict(DOCUMENT, status="fixed"), {}, "report.status must be one of"),
    (dict(DOCUMENT, sections=[{"title": "Done", "lines": ["x"]}]), {}, "report.sections[0].title 'Done' is reserved"),
    ({k: v for k, v in DOCUMENT.items() if k != "done"}, {}, "plan and done come together"),
    ({k: v for k, v in DOCUMENT.items() if k not in ("plan", "done")}, {}, "report.plan is missing"),
    (DOCUMENT, {"remediation_common_run_id": "../../escape"}, "run_id: '../../escape'"),
    (DOCUMENT, {"runbook": "../x"}, "runbook: '../x'"),
    # read as given: Ansible's str would make them the names "3.5" and "7"
    (DOCUMENT, {"remediation_common_run_id": 3.5}, "run_id: 3.5"),
    (DOCUMENT, {"runbook": 7}, "runbook: 7"),
])
def test_bad_document_or_name_fails_naming_it_and_writes_nothing(play, tmp_path, document, variables, message):
    rc, out = play(document, **variables)
    assert rc != 0
    assert message in out, out
    assert not os.path.exists(str(tmp_path / "reports"))
    assert not os.path.exists(str(tmp_path.parent / "escape"))


def test_report_dir_that_cannot_be_written_fails_naming_dir(play, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the report directory should be")
    rc, out = play(report_dir=str(blocker / "reports"))
    assert rc != 0 and "dir: the report of localhost could not be written" in out
    assert blocker.read_text() == "a file where the report directory should be"


def test_reports_written_in_a_test_are_checked_by_the_fixture(play, validated_report_dir):
    """The fixture other suites use: a report written into it is validated when the test ends."""
    rc, out = play(report_dir=validated_report_dir)
    assert rc == 0, out
    assert [r["status"] for r in assert_valid_reports(validated_report_dir)] == ["remediated"]
