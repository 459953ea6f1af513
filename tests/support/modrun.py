"""Run a collection module the way Ansible runs it on a managed host: a separate Python process
fed an args file, its JSON result parsed. Cheap (no ansible-playbook start-up) and real (the module
sees the real /proc, real sockets, real files)."""
import contextlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def collections_root(root):
    """The directory that holds ansible_collections/ for this copy of the collection: the one above
    ansible_collections/<namespace>/<name> when the copy sits in such a tree (installed, extracted from
    the tarball, or laid out by ansible-test), else the checkout's .build/collections (make's link)."""
    tree = os.path.dirname(os.path.dirname(root))
    if os.path.basename(tree) == "ansible_collections":
        return os.path.dirname(tree)
    return os.path.join(root, ".build", "collections")


COLLECTIONS = collections_root(ROOT)


# The system interpreter: another user can run it (the venv's may live under /root); the venv's
# site-packages give it ansible.
SYSTEM_PYTHON = "/usr/bin/python3"
SITE_PACKAGES = sysconfig.get_paths()["purelib"]


def run_as(uid):
    """argv prefix that runs a command as `uid` (and the same gid) without an account or groups."""
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups"]


@contextlib.contextmanager
def shared_tempdir(prefix):
    """A temporary directory any user can enter (pytest's tmp_path is root-only), removed on exit."""
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path)


def as_user(uid):
    """run_module keyword arguments that run the module as `uid`."""
    return dict(prefix=run_as(uid), python=SYSTEM_PYTHON, stdin_args=True,
                env={"PYTHONPATH": os.pathsep.join([COLLECTIONS, SITE_PACKAGES])})


def module_path(name):
    return os.path.join(ROOT, "plugins", "modules", name + ".py")


def run_module(name, args=None, check_mode=False, diff=False, python=None, timeout=120, env=None, prefix=(),
               stdin_args=False):
    """Return (result dict, returncode). A module that crashes gives {'failed': True, 'msg': stderr}.

    prefix: argv to run the module under, e.g. nsenter into a test host's namespaces.
    stdin_args: feed the arguments on stdin (as AnsibleModule also reads them) instead of a root-only
    file, for a module run as another user (e.g. prefix=zkserver.run_as(65534))."""
    payload = dict(args or {})
    payload["_ansible_check_mode"] = check_mode
    payload["_ansible_diff"] = diff
    document = json.dumps({"ANSIBLE_MODULE_ARGS": payload})
    argv = list(prefix) + [python or sys.executable, module_path(name)]
    args_file = None
    if not stdin_args:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
            fh.write(document)
            args_file = fh.name
        argv.append(args_file)
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = COLLECTIONS
    full_env.update(env or {})
    try:
        proc = subprocess.run(
            argv, input=document.encode() if stdin_args else None, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=full_env, timeout=timeout, check=False,
        )
    finally:
        if args_file:
            os.unlink(args_file)
    out = proc.stdout.decode("utf-8", "replace")
    try:
        result = json.loads(out[out.index("{"):])
    except ValueError:
        result = {"failed": True, "msg": "module printed no JSON", "stdout": out,
                  "stderr": proc.stderr.decode("utf-8", "replace")}
    return result, proc.returncode


def run_main(main, capsys, args, check_mode=False, diff=False):
    """Run a module's main() in this process (unit tests); returns (result dict, exit code)."""
    import pytest  # only unit tests call this

    payload = dict(args)
    payload.setdefault("_ansible_check_mode", check_mode)
    payload.setdefault("_ansible_diff", diff)
    with _module_args(payload):
        with pytest.raises(SystemExit) as exit_info:
            main()
    return json.loads(capsys.readouterr().out), exit_info.value.code


@contextlib.contextmanager
def _module_args(payload):
    """Feed module arguments in-process on every ansible-core the collection declares: 2.19 brought
    patch_module_args (and refuses the old global); 2.16-2.18 read basic._ANSIBLE_ARGS."""
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:
        from ansible.module_utils import basic
        from ansible.module_utils.common.text.converters import to_bytes

        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = to_bytes(json.dumps({"ANSIBLE_MODULE_ARGS": payload}))
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved
        return
    with patch_module_args(payload):
        yield
