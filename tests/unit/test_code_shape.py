"""tests/lint/code_shape.py finds each kind of violation and passes a clean tree."""
import importlib.util
import os

import pytest

SPEC = importlib.util.spec_from_file_location(
    "code_shape", os.path.join(os.path.dirname(__file__), "..", "lint", "code_shape.py"))
code_shape = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(code_shape)

CLEAN_TASKS = """---
- name: Decide
  ansible.builtin.set_fact:
    plan: "{{ facts | alertops.remediation.plan }}"
"""
BLOCK = "".join("value_%d = compute(%d)\n" % (i, i) for i in range(7))


def tree(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path)


def test_a_clean_tree_passes(tmp_path, capsys):
    root = tree(tmp_path, {"roles/r/tasks/main.yml": CLEAN_TASKS, "plugins/filter/a.py": BLOCK,
                           "roles/r/meta/main.yml": "a\nb\nc\nd\ne\nf\ng\n", "roles/s/meta/main.yml": "a\nb\nc\nd\ne\nf\ng\n"})
    assert code_shape.main(["x", root]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("text", [
    "    x: \"{% for a in b %}{{ a }}{% endfor %}\"\n",
    "    x: >-\n      {%- set ns = namespace(out=[]) %}\n",
    "    x: \"{% set _ = out.append(1) %}\"\n",
    "    x: \"{% set _ = d.update({1: 2}) %}\"\n",
])
def test_jinja_programs_in_task_yaml_are_found(tmp_path, text):
    root = tree(tmp_path, {"playbooks/p.yml": "---\n- name: P\n  vars:\n" + text})
    assert len(code_shape.jinja_programs(root)) == 1


def test_templates_may_loop(tmp_path):
    root = tree(tmp_path, {"roles/r/templates/report.md.j2": "{% for a in b %}{{ a }}{% endfor %}\n"})
    assert code_shape.jinja_programs(root) == []


def test_long_python_files_are_found(tmp_path):
    root = tree(tmp_path, {"lab/big.py": "x = 1\n" * 601, "plugins/ok.py": "x = 1\n" * 600})
    assert [p.split(":")[0] for p in code_shape.long_files(root)] == ["lab/big.py"]


def test_copied_blocks_are_found_but_not_docs(tmp_path):
    doc = 'DOCUMENTATION = """\n' + "".join("line %d\n" % i for i in range(10)) + '"""\n'
    root = tree(tmp_path, {"plugins/modules/a.py": doc + BLOCK, "plugins/modules/b.py": doc + "other = 1\n",
                           "roles/r/tasks/x.yml": BLOCK.replace("=", ":")})
    found = code_shape.copied_blocks(root)
    assert len(found) == 0
    root = tree(tmp_path, {"plugins/filter/c.py": "# copy\n" + BLOCK})
    found = code_shape.copied_blocks(root)
    assert len(found) == 1 and "plugins/filter/c.py" in found[0] and "plugins/modules/a.py" in found[0]


def test_reading_another_roles_private_variables_is_found(tmp_path):
    root = tree(tmp_path, {
        "roles/r/tasks/main.yml": "- name: Own\n  ansible.builtin.debug:\n    var: __r_plan\n",
        "roles/s/tasks/main.yml": "- name: Peek\n  ansible.builtin.debug:\n    var: __r_plan\n",
        "playbooks/p.yml": "- name: Peek\n  ansible.builtin.debug:\n    msg: \"{{ __s_state }}\"\n",
    })
    found = code_shape.private_reads(root)
    assert sorted(found) == ["playbooks/p.yml:3: reads __s_state, a private variable of role s",
                             "roles/s/tasks/main.yml:3: reads __r_plan, a private variable of role r"]
