"""Fail a test when a step burns more CPU than any linear algorithm would, instead of hanging on a
quadratic one. A bound on CPU seconds, generous enough that a noisy, shared machine never trips it: it
tells "linear" from "quadratic" (seconds against minutes), it measures no performance."""
import contextlib
import signal


class CpuLimitExceeded(AssertionError):
    pass


@contextlib.contextmanager
def cpu_limit(seconds):
    """Raise CpuLimitExceeded once this process has used `seconds` of CPU inside the block."""
    def expired(signum, frame):
        raise CpuLimitExceeded("used more than %ss of CPU: the work is not linear in its input" % seconds)

    previous = signal.signal(signal.SIGPROF, expired)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
