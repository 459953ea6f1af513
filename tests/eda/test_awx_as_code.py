"""AWX as code: static checks (no AWX here). The execution environment: tests/release/test_execution_environment.py."""
import os
import re
import subprocess

import pytest
import yaml

from ansible_collections.alertops.remediation.plugins.plugin_utils.alert_route import READ_VARIABLES
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


def test_the_five_templates_are_there():
    assert sorted(IDS) == sorted(["Remediate exporter ports", "Remediate exporter ports (fleet)",
                                  "Remediate ZooKeeper connections", "Collect logs", "Remediate alert"])


@pytest.mark.parametrize("template", TEMPLATES, ids=IDS)
def test_template_playbook_exists(template):
    assert os.path.isfile(os.path.join(ROOT, template["playbook"])), template["playbook"]


@pytest.mark.parametrize("template", TEMPLATES, ids=IDS)
def test_survey_variables_match_the_role_argument_specs(template):
    options = role_options(template["role"]) if template["role"] else {}
    playbook_vars = set(template.get("playbook_vars", []))
    with open(os.path.join(ROOT, template["playbook"])) as fh:
        playbook_text = fh.read()
    # remediate_alert.yml's routing step reads the alert's variables itself (as stored, never templated)
    read_by_plugin = READ_VARIABLES if "alertops.remediation.alert_route:" in playbook_text else ()
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
            code = "\n".join(line for line in playbook_text.splitlines() if not line.lstrip().startswith("#"))
            assert var in read_by_plugin or re.search(r"\b%s\b" % var, code), \
                "%s is not read by %s" % (var, template["playbook"])
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


# ------------------------------------------------------------------------------------------ job slicing
def awx_slices(hosts, count):
    """AWX's job slicing (awx/main/models/inventory.py, get_sliced_hosts): the inventory's hosts ordered
    by name, slice k (from 1) holds every count-th host from the k-th on."""
    ordered = sorted(hosts)
    return [ordered[k::count] for k in range(count)]


def play_hosts(private_dir, inventory, playbook, limit=None):
    """the hosts ansible-runner's run of playbook --list-hosts would act on (with limit)."""
    import ansible_runner

    os.makedirs(private_dir)
    r = ansible_runner.run(private_data_dir=private_dir, playbook=playbook, inventory=inventory, limit=limit,
                           cmdline="--list-hosts", envvars=eda_env(private_dir), quiet=True)
    text = r.stdout.read()
    assert r.rc == 0, text
    hosts, listing = [], False
    for line in text.splitlines():
        if line.strip().startswith("hosts ("):
            listing = True
        elif listing and line.startswith(" " * 6) and line.strip():
            hosts.append(line.strip())
        else:
            listing = False
    return hosts


def test_only_per_host_templates_are_sliced_and_a_sliced_one_takes_no_limit():
    sliced = [t for t in TEMPLATES if t.get("job_slice_count", 1) > 1]
    assert [t["name"] for t in sliced] == ["Remediate exporter ports (fleet)"]
    for t in sliced:
        # a limit can leave a slice without hosts, and AWX then fails that slice and the job
        assert t["ask_limit_on_launch"] is False
        assert t["playbook"] == "playbooks/remediate_ports.yml"
        assert 1 < t["job_slice_count"] <= 16 and t["forks"] >= 1
    # the ZooKeeper runbook orchestrates the ensemble (one node at a time, leader last): never sliced
    for t in TEMPLATES:
        if t["playbook"] in ("playbooks/remediate_zookeeper.yml", "playbooks/remediate_alert.yml"):
            assert t.get("job_slice_count", 1) == 1, t["name"]


def test_the_slices_of_the_fleet_template_partition_the_inventory(tmp_path):
    """Every agent host of a 40-agent fleet (lab/fleet.yml) in exactly one slice, per ansible-runner."""
    import sys

    sys.path.insert(0, os.path.join(ROOT, "lab"))
    from labkit.inventory import inventory_data  # pylint: disable=import-outside-toplevel
    from labkit.spec import load_spec  # pylint: disable=import-outside-toplevel

    template = next(t for t in TEMPLATES if t["name"] == "Remediate exporter ports (fleet)")
    inv = inventory_data(load_spec(os.path.join(ROOT, "lab", "fleet.yml")), "")
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump(inv))
    playbook = os.path.join(ROOT, template["playbook"])
    everyone = play_hosts(str(tmp_path / "all"), str(inventory), playbook)
    assert len(everyone) == 42 and "fleet040" in everyone and "zk1" not in everyone
    slices = awx_slices(inv["all"]["hosts"], template["job_slice_count"])
    acted = [play_hosts(str(tmp_path / ("slice%d" % k)), str(inventory), playbook, ",".join(hosts))
             for k, hosts in enumerate(slices)]
    for hosts, slice_hosts in zip(acted, slices):
        assert hosts and set(hosts) <= set(slice_hosts)
    assert sorted(h for hosts in acted for h in hosts) == sorted(everyone)  # each host once, none left out
    sizes = [len(hosts) for hosts in acted]
    assert max(sizes) - min(sizes) <= 2, sizes
