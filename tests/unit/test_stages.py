""".ci/stages.py, which runs `make test`'s lanes: targets joined by `+` run at the same time, and every stage
reports the CPU seconds it used (what two lanes on two cores compete for)."""
import importlib.util
import os
import shutil

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# a and b each wait for the other's file: they pass only when they run at the same time.
MAKEFILE = """
a:
\t@touch a.ready; for i in $$(seq 300); do test -e b.ready && exit 0; sleep 0.1; done; exit 1
b:
\t@touch b.ready; for i in $$(seq 300); do test -e a.ready && exit 0; sleep 0.1; done; exit 1
burn:
\t@python3 -c 'import time; any(iter(lambda: time.process_time() >= 0.6, True))'
after:
\t@test -e a.ready -a -e b.ready
fail:
\t@exit 3
"""


@pytest.fixture
def stages(tmp_path, monkeypatch):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    spec = importlib.util.spec_from_file_location("stages", os.path.join(ROOT, ".ci", "stages.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / "Makefile").write_text(MAKEFILE)
    monkeypatch.chdir(tmp_path)
    return module


def run(stages, tmp_path, *lanes):
    runner = stages.Runner(str(tmp_path / "logs"), list(lanes))
    code = runner.run()
    return code, dict((s.target, s) for s in runner.stages())


def test_joined_targets_run_at_the_same_time_and_the_next_step_waits_for_both(stages, tmp_path):
    code, ran = run(stages, tmp_path, "a+b after")
    assert code == 0 and [ran[t].result for t in ("a", "b", "after")] == ["passed"] * 3


def test_every_stage_reports_the_cpu_it_used(stages, tmp_path, capsys):
    code, ran = run(stages, tmp_path, "burn", "fail")
    assert code == 1
    assert ran["burn"].cpu >= 0.6 and ran["burn"].result == "passed"
    assert ran["fail"].result == "FAILED (exit 2)"
    out = capsys.readouterr().out
    assert "of CPU" in out and "FAILED stage: fail" in out


def test_the_first_step_runs_before_every_lane_and_a_failed_one_stops_them(stages, tmp_path):
    code, ran = run_first(stages, tmp_path, "a+b", "after")
    assert code == 0 and [ran[t].result for t in ("a", "b", "after")] == ["passed"] * 3
    code, ran = run_first(stages, tmp_path, "fail", "burn")
    assert code == 1 and ran["fail"].result == "FAILED (exit 2)" and ran["burn"].result == "not run"


def run_first(stages, tmp_path, first, *lanes):
    runner = stages.Runner(str(tmp_path / "logs"), list(lanes), first)
    code = runner.run()
    return code, dict((s.target, s) for s in runner.stages())
