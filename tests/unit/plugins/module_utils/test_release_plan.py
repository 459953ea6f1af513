"""release_plan.plan: whom to signal, decided per socket (table of process tables)."""
import pytest

from ansible_collections.alertops.remediation.plugins.module_utils import portspec, release_plan

EXPECTED = {62888: ["ocp_mgragent"], 62889: ["ocp_monagent"]}
PEER = ("10.0.0.5", 2882)


def sock(port, inode, holders, state="LISTEN", remote=("0.0.0.0", 0)):
    """Rows of one socket: holders is [(pid, name, ppid)]; pid None for a holder that cannot be read."""
    rows = []
    for pid, name, ppid in holders:
        process = None if pid is None else {"name": name, "cmdline": name, "ppid": ppid, "start_time": pid * 10,
                                            "exe": "/usr/bin/" + name}
        rows.append({"protocol": "tcp", "local_address": "127.0.0.1", "local_port": port,
                     "remote_address": remote[0], "remote_port": remote[1], "state": state, "inode": inode,
                     "uid": 0, "pid": pid, "process": process,
                     "holders": sorted(p for p, _n, _pp in holders if p is not None)})
    return rows


def judge(*sockets):
    rows = [r for s in sockets for r in s]
    return portspec.classify(rows, EXPECTED, portspec.DEFAULT_PROTECTED)["rows"]


def no_guard(_pid, _rows):
    return None


def guard(*pids):
    return lambda pid, _rows: "guarded" if pid in pids else None


CASES = {
    "pre-fork foreign server: every holder": (
        [sock(62888, 1, [(40, "rogue", 1), (41, "rogue", 40), (42, "rogue", 40)])], no_guard,
        [40, 41, 42], {}),
    "helper of the rightful listener": (
        [sock(62889, 2, [(20, "ocp_monagent", 1), (21, "helper", 20)])], no_guard,
        [], {}),
    "wrapper sharing a protected observer's listener": (
        [sock(62889, 3, [(30, "wrapper", 1), (31, "observer", 30)])], no_guard,
        [], {30: "shares its socket on port 62889 with the protected observer (pid 31)",
             31: release_plan.REASON_PROTECTED}),
    "a holder the host guards keeps the socket: its partner is not signalled either": (
        [sock(62888, 4, [(50, "rogue", 1), (51, "rogue", 50)])], guard(50),
        [], {50: "guarded", 51: "shares its socket(s) with pid 50"}),
    "a process that frees one socket is signalled though another stays": (
        [sock(62888, 5, [(60, "rogue", 1), (61, "rogue", 1)]),
         sock(62889, 6, [(61, "rogue", 1), (62, "rogue", 1)])], guard(62),
        [60, 61], {62: "guarded"}),
    "foreign listener and an outbound connection in one process": (
        [sock(62888, 7, [(70, "java", 1)]),
         sock(62889, 8, [(70, "java", 1)], "ESTABLISHED", PEER)], no_guard,
        [], {70: "also holds an outbound connection from port(s) 62889"}),
    "only an outbound connection": (
        [sock(62889, 9, [(71, "java", 1)], "ESTABLISHED", PEER)], no_guard,
        [], {71: release_plan.REASON_OUTBOUND}),
    "a holder that cannot be read keeps the socket": (
        [sock(62888, 10, [(80, "rogue", 1), (None, None, None)])], no_guard,
        [], {80: "an unknown process", None: release_plan.REASON_UNKNOWN}),
    "the rightful process of one port listening on another is never signalled": (
        [sock(62889, 11, [(20, "ocp_monagent", 1)]), sock(62888, 12, [(20, "ocp_monagent", 1)])], no_guard,
        [], {20: "the rightful process of port 62889"}),
    "a connection next to the serving agent does not stop the release elsewhere": (
        [sock(62889, 13, [(20, "ocp_monagent", 1)]),
         sock(62889, 14, [(90, "rogue", 1)], "ESTABLISHED", PEER),
         sock(62888, 15, [(90, "rogue", 1)])], no_guard,
        [90], {}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_plan_decides_per_socket(case):
    sockets, refuse, targets, reasons = CASES[case]
    planned, skipped = release_plan.plan(judge(*sockets), EXPECTED, portspec.DEFAULT_PROTECTED, refuse)
    assert sorted(planned) == targets
    assert all(r["kind"] == portspec.KIND_FOREIGN for rows in planned.values() for r in rows)
    got = dict((s["pid"], s["reason"]) for s in skipped)
    assert sorted(got, key=str) == sorted(reasons, key=str), skipped
    for pid, words in reasons.items():
        assert words in got[pid]
    assert not set(planned) & set(got)
    for entry in skipped:
        assert set(entry) == {"pid", "name", "ports", "kinds", "holders", "reason"}


def test_skipped_entries_list_every_holder():
    _planned, skipped = release_plan.plan(judge(sock(62889, 3, [(30, "wrapper", 1), (31, "observer", 30)])),
                                          EXPECTED, portspec.DEFAULT_PROTECTED, no_guard)
    assert [(s["pid"], s["holders"], s["kinds"], s["ports"]) for s in skipped] == [
        (30, [30, 31], ["protected"], [62889]), (31, [30, 31], ["protected"], [62889])]


def test_signal_order_parents_first():
    rows = judge(sock(62888, 1, [(40, "rogue", 45), (41, "rogue", 42), (42, "rogue", 40), (45, "rogue", 1)]))
    planned, _skipped = release_plan.plan(rows, EXPECTED, [], no_guard)
    assert release_plan.signal_order(planned) == [45, 40, 42, 41]


def test_signal_order_survives_a_ppid_loop():
    rows = judge(sock(62888, 1, [(40, "rogue", 41), (41, "rogue", 40)]))
    planned, _skipped = release_plan.plan(rows, EXPECTED, [], no_guard)
    assert sorted(release_plan.signal_order(planned)) == [40, 41]
