"""Fuzzing of the options of action plugins (remediation_lock's controller side, remediation_report):
they run in ansible-playbook, so each option's cases become the tasks of one playbook (one start-up of
ansible-playbook per option, not per value), run in the sandbox against localhost.

Each task gets a directory of its own (c<N>/ below the case's directory): what the task may write goes
there, and a change anywhere else in the case's directory is a write no task may make. Values reach the
tasks as data (a text Jinja would read as a template is tagged !unsafe), never as templates.
"""
import json
import os
import sys

import yaml

from tests.fuzz import harness

BIN = os.path.dirname(sys.executable)
ANSIBLE_HOME = "ansible"  # below the case's directory: Ansible's own temporary files, not judged
TASK_SECONDS = 5  # a task's share of the playbook's hang detector (a module run on localhost takes < 1 s)


class _Unsafe(str):
    pass


def _unsafe(value):
    """Texts that Jinja would read as templates tagged !unsafe, the others quoted as they are: Ansible
    resolves an !unsafe scalar as if it were plain, so !unsafe "0x10" would arrive as the number 16."""
    if isinstance(value, str) and any(mark in value for mark in ("{{", "{%", "{#")):
        return _Unsafe(value)
    if isinstance(value, list):
        return [_unsafe(v) for v in value]
    if isinstance(value, dict):
        return dict((k, _unsafe(v)) for k, v in value.items())
    return value


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Unsafe, lambda dumper, data: dumper.represent_scalar("!unsafe", str(data), style='"'))


def playbook(action, tasks, play_vars=None):
    """The text of a playbook running `action` once per (args, check_mode) of `tasks`, errors ignored."""
    return yaml.dump([{
        "name": "fuzz %s" % action, "hosts": "localhost", "gather_facts": False, "vars": _unsafe(play_vars or {}),
        "tasks": [{"name": "case %d" % index, "alertops.remediation.%s" % action: _unsafe(args), "check_mode": check,
                   "ignore_errors": True} for index, (args, check) in enumerate(tasks)],
    }], Dumper=_Dumper, allow_unicode=False, width=1 << 20)


class PlaybookRunner(object):
    """Runs one playbook (written by the batch into the case's directory) with the JSON callback."""

    def __init__(self, action, play_vars=None, group=None):
        self.action = action
        self.play_vars = play_vars
        self.group = group  # the inventory group localhost is in (alert routes check it)

    def command(self, args, check_mode, uid, workdir):
        home = os.path.join(workdir, ANSIBLE_HOME)
        with open(os.path.join(home, "inventory.ini"), "w") as handle:
            handle.write(("[%s]\n" % self.group if self.group else "")
                         + "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable)
        with open(os.path.join(home, "play.yml"), "w") as handle:
            handle.write(playbook(self.action, args["tasks"], self.play_vars))
        argv = [os.path.join(BIN, "ansible-playbook"), "-i", os.path.join(home, "inventory.ini"),
                os.path.join(home, "play.yml")]
        env = {"ANSIBLE_CONFIG": os.path.join(harness.ROOT, "ansible.cfg"), "ANSIBLE_COLLECTIONS_PATH": harness.COLLECTIONS,
               "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json", "ANSIBLE_HOME": home, "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp"),
               "ANSIBLE_REMOTE_TEMP": os.path.join(home, "tmp"), "ANSIBLE_NOCOLOR": "1", "PYTHONPATH": harness.COLLECTIONS,
               "ANSIBLE_DEPRECATION_WARNINGS": "False"}
        return argv, None, env

    @staticmethod
    def result(stdout):
        """The task results of the run, in order ({"tasks": [...]}), or None when it printed no report."""
        try:
            report = json.loads(stdout[stdout.index("{"):])
            tasks = [t["hosts"]["localhost"] for t in report["plays"][0]["tasks"]]
        except (ValueError, KeyError, IndexError, TypeError):
            return None
        for result in tasks:
            # ansible-core 2.19 marks every failed action "exception: (traceback unavailable)"; a crash of
            # the plugin is an "Unexpected failure" (or exception) with its traceback.
            if result.get("exception") == "(traceback unavailable)" and \
                    not str(result.get("msg", "")).startswith("Unexpected"):
                del result["exception"]
        return {"tasks": tasks}


class ActionTarget(harness.Target):
    """A Target whose cases run as the tasks of one playbook: base(case_dir) gives each task's args;
    play_vars are the play's variables, group the inventory group of localhost."""

    def __init__(self, action, base, play_vars=None, group=None, **kwargs):
        harness.Target.__init__(self, action, base, runner=PlaybookRunner(action, play_vars, group), **kwargs)

    def run_cases(self, cases, root):
        """One playbook, one task per case (in its check mode); [broken contract or None] per case."""
        def setup(workdir):
            os.mkdir(os.path.join(workdir, ANSIBLE_HOME))
            os.mkdir(os.path.join(workdir, ANSIBLE_HOME, "tmp"))
            for index, case in enumerate(cases):
                os.mkdir(os.path.join(workdir, "c%d" % index))
                for lay_out in (self.base_setup, case.setup):
                    if lay_out:
                        lay_out(os.path.join(workdir, "c%d" % index))

        def tasks(workdir):
            out = []
            for index, case in enumerate(cases):
                case_dir = os.path.join(workdir, "c%d" % index)
                args = harness.materialize(self.base(case_dir), case_dir)
                args.update(harness.materialize(case.args, case_dir))
                out.append((dict((k, v) for k, v in args.items() if v is not None), case.check_mode))
            return out

        batch = harness.Case(self, "tasks", {"tasks": tasks}, "peer", setup=setup, title="%d tasks" % len(cases))
        batch.deadline = harness.DEADLINE + TASK_SECONDS * len(cases)
        report, before, after, args = harness.run_case(batch, root, base=False)
        if report["timed_out"] or report["result"] is None or len(report["result"]["tasks"]) != len(cases):
            trouble = "%s: ansible-playbook gave no report of every task (timed out: %s): %s / %s" % (
                batch.describe(), report["timed_out"], report["stdout"][-1500:], report["stderr"][-1500:])
            return [trouble] * len(cases)
        problems = []
        for index, (case, result) in enumerate(zip(cases, report["result"]["tasks"])):
            own = dict(report, result=result, stdout=json.dumps(result), stderr="")
            prefix = "c%d%s" % (index, os.sep)
            mine = dict((k[len(prefix):], v) for k, v in before.items() if k.startswith(prefix))
            now = dict((k[len(prefix):], v) for k, v in after.items() if k.startswith(prefix))
            try:
                harness.judge(case, own, mine, now, args["tasks"][index][0])
                problems.append(None)
            except AssertionError as exc:
                problems.append(str(exc))
        own_places = ["c%d" % i for i in range(len(cases))] + [ANSIBLE_HOME]
        changed = set(k for k, _v in set(before.items()) ^ set(after.items()))
        stray = sorted(k for k in changed if not any(k == p or k.startswith(p + os.sep) for p in own_places))
        if stray:  # no task may write there: every case of the run is suspect
            problems = [(p or "") + "\n%s: the run wrote outside every task's directory: %s" % (
                batch.describe(), stray[:10]) for p in problems]
        return problems
