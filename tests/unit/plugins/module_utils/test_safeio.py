"""safeio: commands under one deadline (their process group killed past it), tails of regular files only."""
import os
import signal
import sys

import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import safeio


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def test_run_returns_status_and_output(tmp_path):
    rc, out, err = safeio.run(["sh", "-c", "echo out; echo err >&2; exit 4"], str(tmp_path), 30)
    assert (rc, out, err) == (4, "out\n", "err\n")


def test_run_keeps_the_last_bytes_of_a_flood(tmp_path):
    rc, out, _err = safeio.run([sys.executable, "-c", "import sys; sys.stdout.write('x' * 1000000 + 'END')"],
                               str(tmp_path), 60)
    assert rc == 0 and len(out) == safeio.OUTPUT_LIMIT and out.endswith("END")


def test_run_kills_the_whole_group_past_the_deadline(tmp_path):
    """The deadline leaves the script ample time to start its child even on a loaded machine: what is
    checked is that both are gone afterwards, not how fast anything ran."""
    pids = tmp_path / "pids"
    with pytest.raises(safeio.CommandTimeout) as err:
        safeio.run(["sh", "-c", "echo $$ > %s; sleep 300 & echo $! >> %s; echo started; wait" % (pids, pids)],
                   str(tmp_path), 5)
    assert "did not finish within 5.0s" in str(err.value) and err.value.out == "started\n"
    group = [int(p) for p in pids.read_text().split()]
    try:
        assert len(group) == 2 and not any(alive(p) for p in group)
    finally:
        for pid in group:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_run_returns_when_the_script_exits_though_its_daemon_keeps_the_pipes(tmp_path):
    pids = tmp_path / "pids"
    rc, out, _err = safeio.run(["sh", "-c", "sleep 300 & echo $! > %s; echo started" % pids], str(tmp_path), 30)
    daemon = int(pids.read_text())
    try:
        assert rc == 0 and out == "started\n" and alive(daemon), "the daemon must be left running"
    finally:
        os.kill(daemon, signal.SIGKILL)


def test_run_feeds_stdin_and_sets_the_environment(tmp_path):
    rc, out, _err = safeio.run(["sh", "-c", "cat; echo \"$ONLY\""], str(tmp_path), 30, stdin="request\n",
                               env={"ONLY": "this", "PATH": "/usr/bin:/bin"})
    assert (rc, out) == (0, "request\nthis\n")


def test_run_feeds_more_input_than_a_pipe_holds(tmp_path):
    rc, out, _err = safeio.run(["wc", "-c"], str(tmp_path), 60, stdin="x" * (4 * 1024 * 1024))
    assert (rc, out.strip()) == (0, str(4 * 1024 * 1024))


def test_run_input_to_a_command_that_never_reads_is_under_the_deadline(tmp_path):
    with pytest.raises(safeio.CommandTimeout):
        safeio.run(["sleep", "300"], str(tmp_path), 3, stdin="x" * (4 * 1024 * 1024))


def test_run_cannot_start_raises_oserror(tmp_path):
    script = tmp_path / "ctl"
    script.write_text("#!/bin/sh\n")
    os.chmod(str(script), 0o644)
    with pytest.raises(OSError):
        safeio.run([str(script)], str(tmp_path), 5)


def test_tail_of_a_regular_file(tmp_path):
    log = tmp_path / "a.log"
    log.write_text("".join("line %d\n" % i for i in range(100)))
    assert safeio.tail(str(log), 3) == (["line 97", "line 98", "line 99"], None)
    assert safeio.tail(str(log), 0) == ([], None)


def test_tail_reads_only_the_end_of_a_big_file(tmp_path):
    log = tmp_path / "big.log"
    with open(str(log), "wb") as handle:
        handle.write(b"x" * (10 * safeio.TAIL_BYTES) + b"\nlast\n")
    lines, reason = safeio.tail(str(log), 1000)
    assert reason is None and lines[-1] == "last" and sum(len(line) for line in lines) < safeio.TAIL_BYTES


def test_tail_never_opens_a_fifo_a_directory_or_a_link(tmp_path):
    fifo = tmp_path / "fifo.log"
    os.mkfifo(str(fifo))
    secret = tmp_path / "secret"
    secret.write_text("SECRET\n")
    link = tmp_path / "link.log"
    os.symlink(str(secret), str(link))
    assert safeio.tail(str(fifo), 5) == ([], "not a regular file: not read")
    assert safeio.tail(str(tmp_path), 5) == ([], "not a regular file: not read")
    assert safeio.tail(str(link), 5) == ([], "a symbolic link: not followed")
    assert safeio.tail(str(tmp_path / "missing.log"), 5)[1].startswith("unreadable: ")


def test_tail_never_goes_through_a_linked_directory(tmp_path):
    """The agent's user owns its log directory: a log/ that is a link to a root-only directory must not
    lead to reading the files there."""
    private = tmp_path / "private"
    private.mkdir()
    (private / "secure.log").write_text("SECRET\n")
    os.chmod(str(private), 0o700)
    log = tmp_path / "log"
    os.symlink(str(private), str(log))
    assert safeio.tail(str(log / "secure.log"), 5) == ([], "its directory is a symbolic link: not followed")
