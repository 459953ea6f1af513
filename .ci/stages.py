"""Run make targets as stages in concurrent lanes, with one log and one wall time per stage (`make test`).

    python3 .ci/stages.py LOG_DIR [--first STEP] LANE [LANE ...]

A LANE is a space-separated list of steps run one after the other; lanes run at the same time. A step is
a make target, or targets joined by `+` that run at the same time (e.g. two suites sharing one lab).
`--first STEP` runs one step before every lane (the virtualenvs, which set-up installs at the same time);
when it fails, no lane runs. A failed stage does not stop the others (one run shows every failure); after an interrupt only the targets
written `always:TARGET` still run (e.g. `always:lab-down`). The first lane is the critical path; the
others run at a lower CPU priority (nice 10) and take the CPU it leaves. The output of concurrent stages never
interleaves: each stage writes its log (LOG_DIR/TARGET.log) and the log is printed whole when the stage
ends, framed by its name, result and wall time. The last lines give every stage's time, the load average
and, when something failed, the stage and its log. Exit status 0 only when every stage passed.

Why lanes: on two cores the suites that wait (the lab's SSH round trips, ZooKeeper and agent start-ups,
bounded deadlines) leave a core idle, which the lab-free suites fill; at a lower priority they do not
delay the waiting lane's own bursts of work, which would make the whole run longer.
"""
import os
import signal
import subprocess
import sys
import threading
import time

MAKE = os.environ.get("MAKE", "make")
ALWAYS = "always:"
BACKGROUND = ["nice", "-n", "10"]


class Stage(object):
    def __init__(self, name, log_dir, background):
        self.background = background
        self.always = name.startswith(ALWAYS)
        self.target = name[len(ALWAYS):] if self.always else name
        self.log = os.path.join(log_dir, self.target + ".log")
        self.result, self.seconds, self.cpu, self.proc = "not run", None, None, None


class Runner(object):
    def __init__(self, log_dir, lanes, first=""):
        os.makedirs(log_dir, exist_ok=True)
        self.first = [Stage(name, log_dir, False) for name in first.split("+") if name]
        self.lanes = [[[Stage(name, log_dir, number > 0) for name in step.split("+")] for step in lane.split()]
                      for number, lane in enumerate(lanes)]
        self.print_lock = threading.Lock()
        self.stopping = False
        self.started = time.time()

    def say(self, text):
        with self.print_lock:
            sys.stdout.write(text if text.endswith("\n") else text + "\n")
            sys.stdout.flush()

    def run_stage(self, stage):
        self.say("[%s] %s: started" % (time.strftime("%H:%M:%S"), stage.target))
        begin = time.time()
        with open(stage.log, "wb") as log:
            # Own session: an interrupt reaches the whole stage (make, pytest, ansible) and nothing else.
            argv = (BACKGROUND if stage.background else []) + [MAKE, "--no-print-directory", stage.target]
            stage.proc = subprocess.Popen(argv, stdout=log,
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          start_new_session=True)
            # wait4: the stage's CPU seconds (make and every process it waited for), which is what two
            # lanes on two cores compete for; the wall time alone hides it.
            dummy, status, usage = os.wait4(stage.proc.pid, 0)
            code = stage.proc.returncode = os.waitstatus_to_exitcode(status)
        stage.seconds = time.time() - begin
        stage.cpu = usage.ru_utime + usage.ru_stime
        stage.result = "passed" if code == 0 else "FAILED (exit %d)" % code
        with open(stage.log, "rb") as log:
            text = log.read().decode("utf-8", "replace")
        rule = "=" * 20
        self.say("%s %s: begin of log %s\n%s%s %s: %s in %s (log: %s) %s" % (
            rule, stage.target, rule, text if text.endswith("\n") or not text else text + "\n",
            rule, stage.target, stage.result, minutes(stage.seconds), stage.log, rule))
        self.say("%s %s: %s of CPU" % (rule, stage.target, minutes(stage.cpu)))

    def run_step(self, step):
        todo = [stage for stage in step if stage.always or not self.stopping]
        threads = [threading.Thread(target=self.run_stage, args=(stage,)) for stage in todo]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)  # the main thread runs the first step: it must stay free to take signals

    def run_lane(self, lane):
        for step in lane:
            self.run_step(step)

    def interrupt(self, signum, _frame):
        """Pass the interrupt on to the running stages; the lanes then run only their always: stages."""
        self.stopping = True
        for stage in self.stages():
            # not poll(): reaping here would take the exit status and CPU time from run_stage's wait4
            if stage.proc is not None and stage.seconds is None:
                try:
                    os.killpg(stage.proc.pid, signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def run(self):
        signal.signal(signal.SIGINT, self.interrupt)
        signal.signal(signal.SIGTERM, self.interrupt)
        self.say("stages: %s%s (load average %s)" % (
            "+".join(s.target for s in self.first) + ", then " if self.first else "",
            " | ".join(" ".join("+".join(s.target for s in step) for step in lane) for lane in self.lanes), load()))
        self.run_step(self.first)
        if any(s.result != "passed" for s in self.first):
            return self.summary()
        threads = [threading.Thread(target=self.run_lane, args=(lane,)) for lane in self.lanes]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)  # keeps the main thread free to take signals
        return self.summary()

    def stages(self):
        return self.first + [stage for lane in self.lanes for step in lane for stage in step]

    def summary(self):
        lines = ["", "stage wall and CPU times (load average now %s):" % load()]
        failed = [s for s in self.first if s.result != "passed"]
        if self.first:
            lines.append("  first, %s:" % minutes(max(s.seconds or 0 for s in self.first)))
            lines += ["    %-20s %8s %8s CPU  %s" % (s.target, minutes(s.seconds or 0), minutes(s.cpu or 0), s.result)
                      for s in self.first]
        blocked = bool(failed)
        for number, lane in enumerate(self.lanes, 1):
            total = sum(max(s.seconds or 0 for s in step) for step in lane)
            cpu = sum(s.cpu or 0 for step in lane for s in step)
            lines.append("  lane %d, %s in all, %s of CPU:" % (number, minutes(total), minutes(cpu)))
            for stage in (s for step in lane for s in step):
                shown = minutes(stage.seconds) if stage.seconds is not None else "-"
                used = minutes(stage.cpu) if stage.cpu is not None else "-"
                lines.append("    %-20s %8s %8s CPU  %s" % (stage.target, shown, used, stage.result))
                # a stage that never ran without an interrupt: the runner itself broke (see its traceback)
                if stage.result.startswith("FAILED") or (stage.result == "not run" and not self.stopping
                                                         and not blocked):
                    failed.append(stage)
        lines.append("  all stages: %s of wall time" % minutes(time.time() - self.started))
        for stage in failed:
            lines.append("FAILED stage: %s (log: %s)" % (stage.target, stage.log))
        if self.stopping:
            lines.append("interrupted")
        self.say("\n".join(lines))
        return 1 if failed or self.stopping else 0


def minutes(seconds):
    return "%dm%02ds" % divmod(int(round(seconds)), 60)


def load():
    with open("/proc/loadavg") as handle:
        return " ".join(handle.read().split()[:3])


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    args, first = argv[2:], ""
    if args[:1] == ["--first"] and len(args) > 1:
        first, args = args[1], args[2:]
    if not args:
        sys.stderr.write(__doc__)
        return 2
    return Runner(argv[1], args, first).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
