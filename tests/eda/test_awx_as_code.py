"""AWX as code: static checks (no AWX here). The execution environment: tests/release/test_execution_environment.py."""
import os
import subprocess

import pytest
import yaml

from tests.eda.eda_support import ROOT, VENV_BIN, eda_env

with open(os.path.join(ROOT, "awx", "job_templates.yml")) as _fh:
    AWX = yaml.safe_load(_fh)
TEMPLATES = AWX["awx_job_templates"]
IDS = [t["name"] for t in TEMPLATES]

# AWX survey type -> argument_specs type(s) it can feed
SURVEY_TYPES = {"text": {"str", "raw", "path"}, "textarea": {"str", "raw"}, "password": {"str"},
                "integer": {"int", "raw"}, "float": {"float", "raw"},
                "multiplechoice": {"str", "bool", "raw"}, "multiselect": {"list"}}


def role_options(role):
    path = os.path.join(ROOT, "roles", role, "meta", "argument_specs.yml")
    with open(path) as fh:
        return yaml.safe_load(fh)["argument_specs"]["main"]["options"]


def test_the_four_templates_are_there():
    assert sorted(IDS) == sorted(["Remediate exporter ports", "Remediate ZooKeeper connections", "Collect logs",
                                  "Remediate alert"])


@pytest.mark.parametrize("template", TEMPLATES, ids=IDS)
def test_template_playbook_exists(template):
    assert os.path.isfile(os.path.join(ROOT, template["playbook"])), template["playbook"]


@pytest.mark.parametrize("template", TEMPLATES, ids=IDS)
def test_survey_variables_match_the_role_argument_specs(template):
    options = role_options(template["role"]) if template["role"] else {}
    playbook_vars = set(template.get("playbook_vars", []))
    with open(os.path.join(ROOT, template["playbook"])) as fh:
        playbook_text = fh.read()
    seen = set()
    for q in template["survey"]:
        var = q["variable"]
        assert var not in seen, "duplicate survey variable %s" % var
        seen.add(var)
        if var in options:
            spec = options[var]
            rtype = spec.get("type", "str")
            assert rtype in SURVEY_TYPES[q["type"]], "%s: survey %s cannot feed %s" % (var, q["type"], rtype)
            if rtype == "bool":
                assert q["type"] == "multiplechoice" and sorted(q["choices"]) == ["false", "true"], var
                if "default" in spec:
                    assert q["default"] == str(spec["default"]).lower(), var
            elif "choices" in spec:
                assert q["type"] == "multiplechoice" and list(q["choices"]) == list(spec["choices"]), var
                if "default" in spec:
                    assert q["default"] == spec["default"], var
            elif "default" in spec and spec["default"] not in (None, "") and not isinstance(spec["default"], (list, dict)):
                assert q["default"] == spec["default"], var
        else:
            assert var in playbook_vars, "%s is neither in roles/%s argument_specs nor a playbook variable" % (
                var, template["role"])
            assert var in playbook_text, "%s is not read by %s" % (var, template["playbook"])
        if q["type"] == "multiplechoice":
            assert q.get("default") in q["choices"], var
        if q.get("required"):
            assert q.get("default") not in (None,) or q["type"] != "text", var


def test_dry_run_is_the_job_type_check():
    for t in TEMPLATES:
        if t["playbook"] != "playbooks/collect_logs.yml":
            assert t["ask_job_type_on_launch"] is True, t["name"]


def test_configure_playbook_names_credentials_and_ee():
    with open(os.path.join(ROOT, "awx", "configure.yml")) as fh:
        text = fh.read()
    play = yaml.safe_load(text)[0]
    modules = [next(k for k in task if k.startswith("awx.awx.")) for task in play["tasks"]]
    for needed in ("awx.awx.execution_environment", "awx.awx.credential", "awx.awx.project",
                   "awx.awx.job_template"):
        assert needed in modules
    jt = next(t for t in play["tasks"] if "awx.awx.job_template" in t)["awx.awx.job_template"]
    assert "credentials" in jt and "execution_environment" in jt and "survey_spec" in jt
    assert AWX["awx_machine_credential"] and AWX["awx_execution_environment"]["name"]
    for secret in ("password:", "token:", "BEGIN OPENSSH"):
        assert secret not in text


def test_configure_playbook_syntax():
    p = subprocess.run([os.path.join(VENV_BIN, "ansible-playbook"), "--syntax-check", "awx/configure.yml"],
                       cwd=ROOT, env=eda_env("/tmp"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    assert p.returncode == 0, p.stdout


def test_awx_and_alert_files_pass_ansible_lint():
    files = ["awx/configure.yml", "awx/job_templates.yml", "playbooks/remediate_alert.yml",
             "playbooks/vars/alert_routes.yml", "extensions/eda/rulebooks/remediate_alerts.yml",
             "extensions/eda/rulebooks/remediate_alerts_awx.yml", "execution-environment.yml",
             "meta/execution-environment.yml"]
    p = subprocess.run([os.path.join(VENV_BIN, "ansible-lint"), "--offline", "--profile", "production"] + files,
                       cwd=ROOT, env=eda_env("/tmp"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=300, check=False)
    assert p.returncode == 0, p.stdout
