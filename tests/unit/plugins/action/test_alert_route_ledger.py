"""The attempt ledger (plugin_utils/alert_ledger.py): the pure verdict, table-driven, and the locked file."""
import json
import multiprocessing
import os

import pytest

from ansible_collections.alertops.remediation.plugins.plugin_utils import alert_ledger
from ansible_collections.alertops.remediation.plugins.plugin_utils.alert_ledger import (
    MAX_ENTRIES, VERDICT_DUPLICATE, VERDICT_NEEDS_HUMAN, VERDICT_RUN, AttemptLedger, LedgerError, episode_key, judge)

T = "exporter_ports:agent1"
HOUR = 3600
NOW = 1_800_000_000.0


def ep(n):
    return episode_key("no_port_mapping_for_exporter", {"fingerprint": "f00d", "startsAt": "2026-11-21T10:%02d:00Z" % n})


def attempt(episode, ago, target=T):
    return {"target": target, "episode": episode, "at": NOW - ago}


def test_episode_key_is_name_fingerprint_and_start():
    assert ep(1) != ep(2)
    assert episode_key("a", {"fingerprint": "f", "startsAt": "s"}) != episode_key("b", {"fingerprint": "f", "startsAt": "s"})
    assert episode_key("a", {"fingerprint": "", "startsAt": ""}) == ""
    assert episode_key("a", {"fingerprint": "f", "startsAt": ""}) != ""


# (case, ledger entries before, episode, max attempts, verdict, attempts inside the window afterwards)
CASES = [
    ("first attempt runs", [], ep(1), 3, VERDICT_RUN, 0),
    ("a repeat of the episode is a duplicate", [attempt(ep(1), 60)], ep(1), 3, VERDICT_DUPLICATE, 1),
    ("a repeat hours later is still a duplicate", [attempt(ep(1), 5 * HOUR)], ep(1), 3, VERDICT_DUPLICATE, 0),
    ("a new episode runs again within minutes", [attempt(ep(1), 60)], ep(2), 3, VERDICT_RUN, 1),
    ("the third attempt runs", [attempt(ep(1), 600), attempt(ep(2), 300)], ep(3), 3, VERDICT_RUN, 2),
    ("the fourth within the window needs a human",
     [attempt(ep(1), 900), attempt(ep(2), 600), attempt(ep(3), 300)], ep(4), 3, VERDICT_NEEDS_HUMAN, 3),
    ("a duplicate is still a duplicate once the bound is reached",
     [attempt(ep(1), 900), attempt(ep(2), 600), attempt(ep(3), 300)], ep(2), 3, VERDICT_DUPLICATE, 3),
    ("attempts outside the window do not count",
     [attempt(ep(1), HOUR + 1), attempt(ep(2), 600), attempt(ep(3), 300)], ep(4), 3, VERDICT_RUN, 2),
    ("other targets do not count",
     [attempt(ep(1), 900, "exporter_ports:agent2"), attempt(ep(2), 600, "exporter_ports:agent2"),
      attempt(ep(3), 300, "exporter_ports:agent2")], ep(4), 3, VERDICT_RUN, 0),
    ("another target's episode is not a duplicate here", [attempt(ep(1), 60, "exporter_ports:agent2")], ep(1), 3,
     VERDICT_RUN, 0),
    ("an alert without episode is never a duplicate", [attempt("", 60)], "", 3, VERDICT_RUN, 1),
    ("an alert without episode still counts", [attempt("", 120), attempt("", 60)], "", 2, VERDICT_NEEDS_HUMAN, 2),
    ("max attempts 1", [attempt(ep(1), 60)], ep(2), 1, VERDICT_NEEDS_HUMAN, 1),
]


@pytest.mark.parametrize("case, entries, episode, max_attempts, verdict, attempts", CASES, ids=[c[0] for c in CASES])
def test_judge(case, entries, episode, max_attempts, verdict, attempts):
    out = judge(entries, T, episode, NOW, max_attempts, HOUR)
    assert out["verdict"] == verdict
    assert len(out["attempts"]) == attempts
    if verdict == VERDICT_RUN:
        assert out["entries"][-1] == {"target": T, "episode": episode, "at": NOW}
        assert len(out["entries"]) == len(entries) + 1 - sum(1 for e in entries if e["at"] <= NOW - 7 * 24 * HOUR)
    else:
        assert out["entries"] == entries  # nothing recorded for what did not run
    if verdict == VERDICT_DUPLICATE:
        assert out["previous"]["episode"] == episode
    if verdict == VERDICT_NEEDS_HUMAN:
        # the bound lifts when the oldest attempt that fills it leaves the window
        assert out["retry_after"] == out["attempts"][-max_attempts]["at"] + HOUR


def test_judge_without_recording_plans_only():
    out = judge([], T, ep(1), NOW, 3, HOUR, record=False)
    assert out["verdict"] == VERDICT_RUN and out["entries"] == []


def test_judge_forgets_old_entries_and_caps_the_ledger():
    old = [attempt(ep(1), 8 * 24 * HOUR)]
    assert judge(old, T, ep(1), NOW, 3, HOUR)["verdict"] == VERDICT_RUN  # past the retention: not a duplicate
    many = [attempt("e%d" % i, 2 * HOUR, "t%d" % i) for i in range(MAX_ENTRIES + 5)]
    out = judge(many, T, ep(1), NOW, 3, HOUR)
    assert len(out["entries"]) == MAX_ENTRIES and out["entries"][-1]["episode"] == ep(1)


def test_window_longer_than_retention_keeps_what_the_window_needs():
    entries = [attempt(ep(1), 9 * 24 * HOUR), attempt(ep(2), 8 * 24 * HOUR)]
    out = judge(entries, T, ep(3), NOW, 2, 10 * 24 * HOUR)
    assert out["verdict"] == VERDICT_NEEDS_HUMAN


def test_record_attempt_counts_a_human_run():
    entries = alert_ledger.record_attempt([attempt(ep(1), 60)], T, "", NOW)
    assert len(entries) == 2 and judge(entries, T, ep(2), NOW, 2, HOUR)["verdict"] == VERDICT_NEEDS_HUMAN


# ------------------------------------------------------------------------------------------ the file
def test_ledger_file_round_trip(tmp_path):
    path = str(tmp_path / "alerts" / "attempts.json")
    with AttemptLedger(path) as ledger:
        assert ledger.read() == []
        ledger.write([attempt(ep(1), 1)])
    with AttemptLedger(path) as ledger:
        assert ledger.read() == [attempt(ep(1), 1)]
    assert oct(os.stat(path).st_mode & 0o777) == "0o640"
    assert sorted(os.listdir(tmp_path / "alerts")) == ["attempts.json", "attempts.json.lock"]


@pytest.mark.parametrize("content, message", [
    ("{not json", "is not JSON"),
    ("[]", "has no list `attempts`"),
    ('{"attempts": {}}', "has no list `attempts`"),
    ('{"attempts": [{"target": "t", "episode": "e"}]}', "holds an entry that is not an attempt"),
    ('{"attempts": [{"target": "t", "episode": "e", "at": true}]}', "holds an entry that is not an attempt"),
    ('{"attempts": [{"target": "t", "episode": "e", "at": NaN}]}', "holds an entry that is not an attempt"),
    ('{"attempts": [{"target": 1, "episode": "e", "at": 1}]}', "holds an entry that is not an attempt"),
])
def test_ledger_that_is_not_a_ledger_is_named(tmp_path, content, message):
    path = tmp_path / "attempts.json"
    path.write_text(content)
    with pytest.raises(LedgerError) as err:
        with AttemptLedger(str(path)) as ledger:
            ledger.read()
    assert message in str(err.value) and str(path) in str(err.value)


def test_ledger_never_opens_a_fifo_or_follows_a_link(tmp_path):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(str(fifo))
    with pytest.raises(LedgerError) as err:
        with AttemptLedger(str(fifo), timeout=1) as ledger:
            ledger.read()
    assert "not a regular file" in str(err.value)
    secret = tmp_path / "secret"
    secret.write_text('{"attempts": []}')
    link = tmp_path / "link.json"
    link.symlink_to(secret)
    with pytest.raises(LedgerError) as err:
        with AttemptLedger(str(link), timeout=1) as ledger:
            ledger.read()
    assert "cannot be opened" in str(err.value)
    with AttemptLedger(str(link), timeout=1) as ledger:
        ledger.write([attempt(ep(1), 1)])  # a rename replaces the link itself, never writes through it
    assert secret.read_text() == '{"attempts": []}' and not link.is_symlink()


def test_ledger_over_the_size_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(alert_ledger, "MAX_BYTES", 100)
    path = tmp_path / "attempts.json"
    path.write_text(json.dumps({"attempts": [attempt("x" * 200, 1)]}))
    with pytest.raises(LedgerError) as err:
        with AttemptLedger(str(path)) as ledger:
            ledger.read()
    assert "over 100 bytes" in str(err.value)


def test_lock_wait_has_a_deadline(tmp_path):
    path = str(tmp_path / "attempts.json")
    with AttemptLedger(path):
        with pytest.raises(LedgerError) as err:
            with AttemptLedger(path, timeout=0.2):
                pass
    assert "not locked within 0.2s" in str(err.value)
    with AttemptLedger(path, timeout=0.2) as ledger:  # released on exit
        assert ledger.read() == []


def _judge_in_child(path, episode, queue):
    with AttemptLedger(path, timeout=60) as ledger:
        out = judge(ledger.read(), T, episode, NOW, 3, HOUR)
        ledger.write(out["entries"])
    queue.put(out["verdict"])


@pytest.mark.parametrize("rounds", range(3))
def test_concurrent_copies_of_one_episode_run_once(tmp_path, rounds):
    path = str(tmp_path / "attempts.json")
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_judge_in_child, args=(path, ep(1), queue)) for dummy in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    verdicts = sorted(queue.get(timeout=10) for dummy in procs)
    assert verdicts == sorted([VERDICT_RUN] + [VERDICT_DUPLICATE] * 7)


def test_concurrent_new_episodes_stop_at_the_bound(tmp_path):
    path = str(tmp_path / "attempts.json")
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_judge_in_child, args=(path, ep(i), queue)) for i in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    verdicts = sorted(queue.get(timeout=10) for dummy in procs)
    assert verdicts == sorted([VERDICT_RUN] * 3 + [VERDICT_NEEDS_HUMAN] * 3)
