"""Seeded fuzzing of the collection's modules with hostile option values.

A Target is one module with valid base arguments (which succeed: test_base proves it) and, per option,
hostile values it must refuse, hostile-looking values it must accept (each with the reason it is
valid) and hostile peers (servers, files, programs). Each case replaces ONE option of the base and runs
the module standalone, as Ansible runs it on a host, inside a private network + PID + mount namespace
where only the case's directory is writable (sandbox.py). The contract, whatever the module is given:
- it ends within the deadline and prints exactly one JSON object (no hang, no traceback);
- a value it must refuse gives `failed` with a message that names the option and the value;
- nothing it was not asked to touch is signalled (sentinels stay up), written (the case's directory is
  byte for byte as before, unless the case may write), left behind (no process of its own still
  running) or shown (no byte of a file the caller could not read reaches its output).

FUZZ_SEED fixes the seed (printed with every failure); FUZZ_CASES caps the sampled values per option (the
listed regressions of each option always run); FUZZ_JOBS runs that many cases at a time (default: twice
the number of CPUs).
"""
import hashlib
import json
import os
import random
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.fuzz import values

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
SANDBOX = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sandbox.py")
SEED = int(os.environ.get("FUZZ_SEED", "20261129"))
CASES = int(os.environ.get("FUZZ_CASES", "4"))
# A case mostly waits (for its module, a timeout, a peer): twice as many cases as CPUs keep them busy.
JOBS = int(os.environ.get("FUZZ_JOBS", str(2 * (os.cpu_count() or 1))))
PYTHON = sys.executable
# Another user cannot run the virtualenv's interpreter (it may live under /root): the system one, with
# the virtualenv's site-packages for ansible.
SYSTEM_PYTHON = "/usr/bin/python3"
SITE_PACKAGES = sysconfig.get_paths()["purelib"]
# The hang detector, not a speed limit: with the short timeouts of the base arguments a module is done
# far within it, and one that waits per read instead of per reply is not.
DEADLINE = 45.0
NOBODY = 65534
OUTPUT_MAX = 16 * 1024 * 1024  # the answer's bound (sandbox.py keeps this much of it)


def rng_for(*names):
    """A generator seeded by FUZZ_SEED and the case's names, so one option can be replayed alone."""
    return random.Random("%d:%s" % (SEED, ":".join(str(n) for n in names)))


def label(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Case(object):
    """One run: `args` replace the base's; `expect` is refuse, accept or peer."""

    def __init__(self, target, option, args, expect, why=None, check_mode=None, uid=None, setup=None,
                 servers=None, sentinels=None, names=None, may_succeed=False, may_write=None, title=None,
                 verify=None, secret=False):
        self.target, self.option, self.args, self.expect, self.why = target, option, args, expect, why
        self.forced_mode = check_mode  # None: up to the seed (see Target._alternate)
        self.check_mode, self.uid, self.setup = bool(check_mode), uid, setup
        self.servers = target.servers if servers is None else servers
        self.sentinels = target.sentinels if sentinels is None else target.sentinels + sentinels
        self.verify = verify
        self.secret = secret
        self.deadline = DEADLINE
        self.names = names
        self.may_succeed = may_succeed or expect in ("accept", "base")
        self.may_write = target.writes if may_write is None else may_write
        self.title = title or "%s=%s" % (option, label(args.get(option)))

    def describe(self):
        mode = " (check mode)" if self.check_mode else ""
        user = " as uid %d" % self.uid if self.uid is not None else ""
        return "seed %d, %s %s%s%s" % (SEED, self.target.name, self.title, mode, user)


class Target(object):
    """A module under fuzz: base(workdir) -> valid args; setup(workdir) lays out the files the base needs;
    sentinels and servers run next to every case; writes: whether a successful run may write into the
    case's directory; check_mode: whether the module supports it (cases then alternate between modes)."""

    def __init__(self, name, base, setup=None, sentinels=(), servers=(), writes=False, check_mode=True,
                 runner=None, base_did=None, label=None, peers_only=False):
        self.name = name
        self.label = label or name
        self.peers_only = peers_only  # its base is only what its peers start from (it need not succeed)
        self.base_did = base_did
        self.base = base
        self.base_setup = setup
        self.sentinels = list(sentinels)
        self.servers = list(servers)
        self.writes = writes
        self.check_mode = check_mode
        self.runner = runner or ModuleRunner(name)
        self.refused = {}
        self.accepted = {}
        self.peers = []
        self._verdicts = None

    # ------------------------------------------------------------------ declaring cases
    def refuse(self, option, pool, always=(), args=None, **kwargs):
        """Hostile values the module must refuse naming `option`: every value of `always` (the listed
        regressions) plus FUZZ_CASES sampled from `pool`; `args` change the base for these cases (an
        option that needs another one)."""
        self.refused.setdefault(option, []).append((list(pool), list(always), dict(kwargs, args=args or {})))

    def accept(self, option, valid, args=None, **kwargs):
        """[(value, why it is valid)]: hostile-looking values the module must accept."""
        self.accepted.setdefault(option, []).extend((value, why, dict(kwargs, args=args or {})) for value, why in valid)

    def peer(self, title, args=None, setup=None, servers=None, sentinels=None, names=(), may_succeed=False,
             may_write=None, check_mode=False, uid=None, option=None, verify=None):
        """A hostile peer (server, file, program) with args over the base: the module must answer within
        the deadline; when it fails its message contains every string of `names`; verify(result), when
        given, is true of its result."""
        self.peers.append(dict(title=title, args=args or {}, setup=setup, servers=servers, sentinels=sentinels,
                               names=list(names), may_succeed=may_succeed, may_write=may_write,
                               check_mode=check_mode, uid=uid, option=option, verify=verify))

    @property
    def options(self):
        return sorted(self.refused)

    # ------------------------------------------------------------------ building cases
    def refusal_cases(self, option):
        rng = rng_for(self.name, option)
        cases = []
        for pool, always, kwargs in self.refused[option]:
            sample = rng.sample(pool, min(CASES, len(pool)))
            for value in list(always) + [v for v in sample if not any(v is a for a in always)]:
                cases.append(Case(self, option, _with(kwargs, option, value), "refuse", uid=_uid_of(value),
                                  **_without_args(kwargs)))
        return self._alternate(cases, rng)

    def acceptance_cases(self, option):
        cases = [Case(self, option, _with(kwargs, option, value), "accept", why=why, **_without_args(kwargs))
                 for value, why, kwargs in self.accepted.get(option, [])]
        return self._alternate(cases, rng_for(self.name, option, "accept"))

    def _alternate(self, cases, rng):
        """Every other case in check mode (which half is up to the seed) when the module supports it."""
        offset = rng.randrange(2)
        for index, case in enumerate(cases):
            if case.forced_mode is None:
                case.check_mode = self.check_mode and (index + offset) % 2 == 1
        return cases

    def peer_cases(self):
        return [Case(self, p["option"] or "peer", p["args"], "peer", setup=p["setup"], servers=p["servers"],
                     sentinels=p["sentinels"], names=p["names"], may_succeed=p["may_succeed"],
                     may_write=p["may_write"], check_mode=p["check_mode"], uid=p["uid"], title=p["title"],
                     verify=p["verify"]) for p in self.peers]

    def base_case(self, check_mode=False):
        return Case(self, "base", {}, "base", why="the base arguments are valid", check_mode=check_mode,
                    title="base arguments")

    def all_cases(self):
        if self.peers_only:
            return self.peer_cases()
        return [self.base_case()] + ([self.base_case(check_mode=True)] if self.check_mode else []) \
            + [c for o in self.options for c in self.refusal_cases(o)] \
            + [c for o in sorted(self.accepted) for c in self.acceptance_cases(o)] + self.peer_cases()

    # ------------------------------------------------------------------ running
    def verdicts(self, root):
        """[(case, broken contract or None)] of every case of this target: run once, all in parallel (no
        test waits for the slowest case of another's batch), kept for the tests that report them."""
        if self._verdicts is None:
            cases = self.all_cases()
            self._verdicts = list(zip(cases, self.run_cases(cases, root)))
        return self._verdicts

    def run_cases(self, cases, root):
        with ThreadPoolExecutor(max_workers=JOBS) as pool:
            return list(pool.map(lambda c: run_and_judge(c, root), cases))

    def verify(self, root, expect, option=None):
        """Fail the calling test with every broken contract among the `expect` cases (of `option`)."""
        mine = [(c, p) for c, p in self.verdicts(root) if c.expect == expect and option in (None, c.option)]
        assert mine, "%s: no %s cases%s" % (self.name, expect, " of " + option if option else "")
        problems = [p for _c, p in mine if p]
        if problems:
            pytest.fail("%d of %d cases broke the contract (FUZZ_SEED=%d):\n- %s" % (
                len(problems), len(mine), SEED, "\n- ".join(problems)), pytrace=False)


def _uid_of(value):
    """The user a value must be tried as (a PathValue meant for uid 65534, also inside a list or dict)."""
    if isinstance(value, (list, tuple)):
        return next((u for u in map(_uid_of, value) if u is not None), None)
    if isinstance(value, dict):
        return _uid_of(list(value.values()))
    return getattr(value, "uid", None)


def _with(kwargs, option, value):
    args = dict(kwargs["args"])
    args[option] = value
    return args


def _without_args(kwargs):
    return dict((k, v) for k, v in kwargs.items() if k != "args")


class ModuleRunner(object):
    """Runs plugins/modules/<name>.py as Ansible does on a host: arguments on stdin, one JSON answer."""

    def __init__(self, name):
        self.path = os.path.join(ROOT, "plugins", "modules", name + ".py")

    def command(self, args, check_mode, uid, workdir):
        # None is "not given" (a case that drops an option of the base, such as at for start and end)
        payload = dict(((k, v) for k, v in args.items() if v is not None), _ansible_check_mode=check_mode,
                       _ansible_diff=True)
        stdin = json.dumps({"ANSIBLE_MODULE_ARGS": payload})
        python = SYSTEM_PYTHON if uid is not None else PYTHON
        path = COLLECTIONS if uid is None else os.pathsep.join([COLLECTIONS, SITE_PACKAGES])
        return [python, self.path], stdin, {"PYTHONPATH": path}

    @staticmethod
    def result(stdout):
        try:
            result = json.loads(stdout.strip())
        except ValueError:
            return None
        return result if isinstance(result, dict) else None


def materialize(value, workdir):
    """Values that depend on the case's directory (paths, lists or dicts holding them) made real."""
    if callable(value):
        return value(workdir)
    if isinstance(value, list):
        return [materialize(v, workdir) for v in value]
    if isinstance(value, dict):
        return dict((k, materialize(v, workdir)) for k, v in value.items())
    return value


def snapshot(top):
    """{relative path: (type, mode, uid, size, digest)} of everything below top (links not followed)."""
    seen = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            digest = None
            if stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    digest = hashlib.sha256(handle.read()).hexdigest()
            elif stat.S_ISLNK(info.st_mode):
                digest = os.readlink(path)
            # A directory's size grows with entries made and removed again: not a change worth reporting.
            size = info.st_size if not stat.S_ISDIR(info.st_mode) else None
            seen[os.path.relpath(path, top)] = (stat.S_IFMT(info.st_mode), info.st_mode & 0o7777, info.st_uid,
                                                size, digest)
    return seen


def _prepare(case, root, base):
    workdir = tempfile.mkdtemp(prefix="case-", dir=root)
    os.chmod(workdir, 0o755)
    os.mkdir(os.path.join(workdir, "tmp"))
    target = case.target
    if base and target.base_setup:
        target.base_setup(workdir)
    if case.setup:
        case.setup(workdir)
    args = materialize(target.base(workdir), workdir) if base else {}
    args.update(materialize(case.args, workdir))
    if case.uid is not None:
        # The case's directory is the caller's; what the setup made stays root's unless it says otherwise.
        for path in (workdir, os.path.join(workdir, "tmp")):
            os.chown(path, case.uid, case.uid)
    return workdir, args


def run_case(case, root, base=True):
    """Prepare the case's directory (the target's base arguments and setup unless base is false: the
    case's args are then all there is), run it in the sandbox; returns (report, before, after, args)."""
    workdir, args = _prepare(case, root, base)
    target = case.target
    argv, stdin, env = target.runner.command(args, case.check_mode, case.uid, workdir)
    spec = {
        "argv": argv, "stdin": stdin, "cwd": workdir, "deadline": case.deadline, "uid": case.uid,
        "sentinels": [dict(s) for s in case.sentinels], "servers": materialize(case.servers, workdir),
        "env": dict({"TMPDIR": os.path.join(workdir, "tmp"), "HOME": workdir, "LC_ALL": "C.UTF-8",
                     "PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "PYTHONDONTWRITEBYTECODE": "1"},
                    **env),
    }
    for sentinel in spec["sentinels"]:
        if "zookeeper" in sentinel:
            sentinel["zookeeper"] = materialize(sentinel["zookeeper"], workdir)
    before = snapshot(workdir)
    proc = subprocess.run(["unshare", "--net", "--pid", "--fork", "--mount", "--mount-proc", PYTHON, SANDBOX],
                          input=json.dumps(spec).encode("utf-8", "surrogatepass"), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=case.deadline + 60, check=False)
    after = snapshot(workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    if proc.returncode != 0:
        raise AssertionError("%s: the sandbox failed: %s" % (case.describe(), proc.stderr.decode("utf-8", "replace")))
    report = json.loads(proc.stdout.decode())
    report["result"] = target.runner.result(report["stdout"])
    return report, before, after, args


def run_and_judge(case, root):
    """None when the case kept the contract, else one line (plus evidence) saying how it broke it."""
    try:
        report, before, after, args = run_case(case, root)
        judge(case, report, before, after, args)
    except AssertionError as exc:
        return str(exc)
    return None


def _named(word, text):
    return re.search(r"(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])" % re.escape(word), text, re.I) is not None


def _core_type_error(option, msg):
    """ansible-core's own checks name the value their way: the type of one it cannot convert to a
    container ("argument 'expected' is of type int and we were unable to convert to dict"), an empty
    text after "got: " ("value of state must be one of: locked, unlocked, got: ")."""
    return re.match(r"argument '%s' is of type \S+ and we were unable to convert to (dict|list)\b" % re.escape(option),
                    msg) is not None or re.match(r"value of %s must be one of: .*, got: ?\Z" % re.escape(option),
                                                 msg) is not None


def value_forms(value):
    """Ways a message may show `value`; None when any message will do (containers, blank text)."""
    if isinstance(value, bool):
        return [str(value), str(value).lower()]
    if isinstance(value, (int, float)):
        return [repr(value), str(value), json.dumps(value)] + (["%g" % value] if isinstance(value, float) else [])
    if value == "":
        return ["''", '""', "empty"]
    if isinstance(value, str) and value.strip(" \t"):
        head = value[:24]
        return [head, repr(head)[1:-1][:24], json.dumps(head)[1:-1][:24], value.strip()[:24]]
    if isinstance(value, dict) and len(value) == 1:
        # one key of a mapping option (zoo.cfg settings): the message shows the key or its value
        key, item = list(value.items())[0]
        forms = [f for f in (value_forms(key) or []) + (value_forms(item) or []) if f]
        return forms or None
    return None


def judge(case, report, before, after, args):
    where = case.describe()
    both = report["stdout"] + report["stderr"]
    assert not report["timed_out"], "%s: no answer within %ss (hang)" % (where, case.deadline)
    assert report["stdout_bytes"] <= OUTPUT_MAX, "%s: an answer of %d bytes (a bounded module answers in at most %d)" % (
        where, report["stdout_bytes"], OUTPUT_MAX)
    # The module's own traceback; a traceback a program it ran printed may be quoted in its answer.
    assert "Traceback (most recent call last)" not in report["stderr"], "%s: traceback\n%s" % (
        where, report["stderr"][-3000:])
    assert values.SECRET not in both, "%s: the output shows a file the caller could not read" % where
    result = report["result"]
    assert result is not None, "%s: stdout is not one JSON object: %r / %r" % (
        where, report["stdout"][:500], report["stderr"][-500:])
    assert "exception" not in result, "%s: unhandled exception: %s" % (where, result.get("exception", "")[:2000])
    msg = result.get("msg") if isinstance(result.get("msg"), str) else json.dumps(result.get("msg"))
    if case.expect == "refuse":
        assert result.get("failed"), "%s: hostile value accepted: %s" % (where, json.dumps(result)[:800])
        assert _named(case.option, msg), "%s: the failure does not name the option %r: %r" % (
            where, case.option, msg[:600])
        forms = None if case.secret else value_forms(args.get(case.option))  # a secret is never shown
        assert forms is None or any(f and f in msg for f in forms) or _core_type_error(case.option, msg), \
            "%s: the failure does not show the value: %r" % (where, msg[:600])
    elif case.expect in ("accept", "base"):
        assert not result.get("failed"), "%s: valid value refused (%s): %r" % (where, case.why, msg[:800])
        if case.expect == "base" and case.target.base_did:
            # The base does what the suite relies on (acts on the sentinel, reads the peer): otherwise a
            # hostile value that is wrongly accepted could go unnoticed.
            assert case.target.base_did(result, case.check_mode), "%s: the base run did not do what the cases " \
                "rely on: %s" % (where, json.dumps(result)[:1500])
    elif result.get("failed"):
        missing = [n for n in case.names if n not in msg]
        assert not missing, "%s: the failure does not say %s: %r" % (where, missing, msg[:600])
    else:
        assert case.may_succeed, "%s: succeeded against a hostile peer: %s" % (where, json.dumps(result)[:800])
    if case.verify:
        assert case.verify(result), "%s: the result is not what the case expects: %s" % (where, json.dumps(result)[:1500])
    dead = [s for s in report["sentinels"] if not s["alive"] and not (case.expect in ("accept", "base") and s.get("expendable"))]
    assert not dead, "%s: signalled a process it had no reason to touch: %s" % (where, dead)
    assert not report["leftovers"], "%s: left processes running: %s" % (where, report["leftovers"])
    if not (case.may_write and not result.get("failed")):
        changed = sorted(set(before.items()) ^ set(after.items()))
        assert not changed, "%s: wrote or changed files: %s" % (where, changed[:10])


def module_tests(targets, peers=()):
    """The tests every fuzz file runs over its targets, as module globals (`globals().update(...)`):
    the base arguments succeed, every option refuses its hostile values and accepts its valid ones, and
    (when `peers` are given) the module survives its hostile peers."""
    def ident(target, option):
        return option if len(targets) == 1 else "%s-%s" % (target.label, option)

    refusals = [(t, o) for t in targets for o in t.options]
    acceptances = [(t, o) for t in targets for o in sorted(t.accepted)]

    def test_base_arguments_succeed(fuzz_root):
        for target in targets:
            target.verify(fuzz_root, "base")

    @pytest.mark.parametrize("target, option", refusals, ids=[ident(t, o) for t, o in refusals])
    def test_hostile_values_are_refused(target, option, fuzz_root):
        target.verify(fuzz_root, "refuse", option)

    @pytest.mark.parametrize("target, option", acceptances, ids=[ident(t, o) for t, o in acceptances])
    def test_valid_values_are_accepted(target, option, fuzz_root):
        target.verify(fuzz_root, "accept", option)

    tests = dict(test_base_arguments_succeed=test_base_arguments_succeed,
                 test_hostile_values_are_refused=test_hostile_values_are_refused,
                 test_valid_values_are_accepted=test_valid_values_are_accepted)
    if peers:
        @pytest.mark.parametrize("target", peers, ids=[p.label for p in peers])
        def test_hostile_peers(target, fuzz_root):
            target.verify(fuzz_root, "peer")
        tests["test_hostile_peers"] = test_hostile_peers
    return tests
