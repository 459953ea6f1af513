"""Run make targets as stages in concurrent lanes, with one log and one wall time per stage (`make test`).

    python3 .ci/stages.py LOG_DIR LANE [LANE ...]

A LANE is a space-separated list of make targets run one after the other; lanes run at the same time. A
failed stage does not stop the others (one run shows every failure); after an interrupt only the targets
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
        self.result, self.seconds, self.proc = "not run", None, None


class Runner(object):
    def __init__(self, log_dir, lanes):
        self.lanes = [[Stage(name, log_dir, number > 0) for name in lane.split()] for number, lane in enumerate(lanes)]
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
            code = stage.proc.wait()
        stage.seconds = time.time() - begin
        stage.result = "passed" if code == 0 else "FAILED (exit %d)" % code
        with open(stage.log, "rb") as log:
            text = log.read().decode("utf-8", "replace")
        rule = "=" * 20
        self.say("%s %s: begin of log %s\n%s%s %s: %s in %s (log: %s) %s" % (
            rule, stage.target, rule, text if text.endswith("\n") or not text else text + "\n",
            rule, stage.target, stage.result, minutes(stage.seconds), stage.log, rule))

    def run_lane(self, lane):
        for stage in lane:
            if stage.always or not self.stopping:
                self.run_stage(stage)

    def interrupt(self, signum, _frame):
        """Pass the interrupt on to the running stages; the lanes then run only their always: stages."""
        self.stopping = True
        for lane in self.lanes:
            for stage in lane:
                if stage.proc is not None and stage.proc.poll() is None:
                    try:
                        os.killpg(stage.proc.pid, signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)
                    except ProcessLookupError:
                        pass

    def run(self):
        signal.signal(signal.SIGINT, self.interrupt)
        signal.signal(signal.SIGTERM, self.interrupt)
        self.say("stages: %s (load average %s)" % (
            " | ".join(" ".join(s.target for s in lane) for lane in self.lanes), load()))
        threads = [threading.Thread(target=self.run_lane, args=(lane,)) for lane in self.lanes]
        for thread in threads:
            thread.start()
        for thread in threads:
            while thread.is_alive():
                thread.join(0.5)  # keeps the main thread free to take signals
        return self.summary()

    def summary(self):
        lines = ["", "stage wall times (load average now %s):" % load()]
        failed = []
        for number, lane in enumerate(self.lanes, 1):
            total = sum(s.seconds or 0 for s in lane)
            lines.append("  lane %d, %s in all:" % (number, minutes(total)))
            for stage in lane:
                shown = minutes(stage.seconds) if stage.seconds is not None else "-"
                lines.append("    %-20s %8s  %s" % (stage.target, shown, stage.result))
                if stage.result.startswith("FAILED"):
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
    os.makedirs(argv[1], exist_ok=True)
    return Runner(argv[1], argv[2:]).run()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
