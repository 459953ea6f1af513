"""The execution environment definition (ansible-builder v3): its build context holds the tarball of
galaxy.yml's version, and `ansible-builder create` fails instead of warning when that is not there."""
import os
import shutil
import subprocess

import yaml

from tests.release.release_support import BIN, ROOT, tarball_name


def run(argv, cwd):
    return subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600,
                          check=False)


def test_create_fails_when_the_tarball_was_not_made(tmp_path):
    """A copy of the definition where `make ee` never ran (no .build/ee beside it)."""
    shutil.copy(os.path.join(ROOT, "execution-environment.yml"), str(tmp_path))
    p = run([os.path.join(BIN, "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context"],
            str(tmp_path))
    assert p.returncode != 0, p.stdout
    assert "requirements.yml does not exist" in p.stdout, p.stdout


def test_make_ee_writes_a_context_with_the_tarball_of_galaxys_version():
    p = run(["make", "-s", "--no-print-directory", "ee"], ROOT)
    assert p.returncode == 0, p.stdout
    context = os.path.join(ROOT, ".build", "ee", "context")
    build = os.path.join(context, "_build")
    assert os.path.isfile(os.path.join(build, "collections", tarball_name()))
    with open(os.path.join(build, "requirements.yml")) as fh:
        assert yaml.safe_load(fh)["collections"] == [{"name": "collections/" + tarball_name(), "type": "file"}]
    containerfile = next(os.path.join(context, n) for n in ("Containerfile", "Dockerfile")
                         if os.path.isfile(os.path.join(context, n)))
    with open(containerfile) as fh:
        text = fh.read()
    assert "ansible-galaxy collection install" in text and "ansible-core==2.19" in text
    with open(os.path.join(build, "bindep.txt")) as fh:
        assert "openssh-clients" in fh.read()


def test_make_ee_fails_when_the_context_lacks_the_tarball(tmp_path):
    """The Makefile's own check: the definition copies the tarball from where `make ee` put it; a
    definition that copies it from elsewhere leaves the context without it, and `make ee` says so."""
    broken = tmp_path / "execution-environment.yml"
    with open(os.path.join(ROOT, "execution-environment.yml")) as fh:
        ee = yaml.safe_load(fh)
    ee["additional_build_files"] = [{"src": str(tmp_path / "nowhere"), "dest": "collections"}]
    ee["dependencies"]["galaxy"] = str(tmp_path / "ee" / "requirements.yml")
    broken.write_text(yaml.safe_dump(ee))
    p = run(["make", "-s", "--no-print-directory", "ee", "EE_FILE=" + str(broken), "EE_DIR=" + str(tmp_path / "ee")],
            ROOT)
    assert p.returncode != 0 and "lacks " + tarball_name() in p.stdout, p.stdout
