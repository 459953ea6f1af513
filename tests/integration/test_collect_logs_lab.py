"""playbooks/collect_logs.yml on the lab: logs written by the real ZooKeeper (zk1, zk2) and by the
OCP-Agent simulator (agent1) are collected from three hosts over SSH. Every slice in a bundle equals
what an independent full scan of the host's log selects (same bytes; entries the log gained after the
run started may follow in the scan), the manifest's checksums match the
slices, the index's checksums match the fetched bundles, and no temporary file is left on a host."""
import datetime
import hashlib
import io
import json
import re
import tarfile

from tests.support.lab import lab, run_ansible  # noqa: F401  pylint: disable=unused-import

HOSTS = ("zk1", "zk2", "agent1")
# Debian's ZooKeeper: `2026-11-21 23:16:13,580 - WARN  [...]` (host local time, UTC in the lab);
# the simulator: `2026-11-21T23:16:13.580+00:00 level=...`;
ZK_STAMP = re.compile(rb"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) ")
AGENT_STAMP = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})([+-]\d\d:\d\d) ")
# node_exporter (go-kit): `ts=2026-11-21T23:16:13.580Z caller=...`.
GOKIT_STAMP = re.compile(rb"^ts=(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{3})\d*Z ")


def stamp(line):
    m = ZK_STAMP.match(line)
    if m:
        return datetime.datetime.strptime(m.group(1).decode(), "%Y-%m-%d %H:%M:%S").replace(
            microsecond=int(m.group(2)) * 1000, tzinfo=datetime.timezone.utc)
    m = GOKIT_STAMP.match(line)
    if m:
        return datetime.datetime.strptime(m.group(1).decode(), "%Y-%m-%dT%H:%M:%S").replace(
            microsecond=int(m.group(2)) * 1000, tzinfo=datetime.timezone.utc)
    m = AGENT_STAMP.match(line)
    if m:
        return datetime.datetime.strptime((m.group(1) + m.group(3).replace(b":", b"")).decode(),
                                          "%Y-%m-%dT%H:%M:%S%z").replace(microsecond=int(m.group(2)) * 1000)
    return None


def full_scan(data, lo, hi):
    """Entries (a stamped line and the unstamped lines after it) whose stamp lies in [lo, hi]."""
    out, keep = [], False
    for line in data.splitlines(True):
        ts = stamp(line)
        if ts is not None:
            keep = lo <= ts <= hi
        if keep:
            out.append(line)
    return b"".join(out)


def assert_cut_from(data, source, lo, hi, started, where):
    """data is the full scan of source as it was when the run cut it: the logs are written while the
    test runs (the ZooKeeper suites run next to this one in make test), so what the full scan holds
    beyond data must be whole entries written after the run started."""
    full = full_scan(source, lo, hi)
    assert full.startswith(data), "%s differs from a full scan" % where
    rest = full[len(data):]
    if rest:
        first = stamp(rest.splitlines(True)[0])
        assert first is not None and first >= started, "%s lacks entries of the window written before the run: %r" % (
            where, rest[:300])


def last_stamp(lab, host, path):  # noqa: F811
    lines = [ln.encode() + b"\n" for ln in lab.exec(host, ["cat", path]).stdout.splitlines()]
    stamped = [stamp(ln) for ln in lines if stamp(ln) is not None]
    assert len(stamped) > 10, "%s:%s has too few log lines" % (host, path)
    return stamped[-1]


def test_collect_logs_from_three_lab_hosts(lab, tmp_path):  # noqa: F811
    # Make sure the agent wrote something recently too: a restart logs a few lines.
    lab.exec("agent1", ["python3", "/home/admin/ocp_agent/ocp_agent_ctl.py", "stop", "ocp_agent"], timeout=90)
    lab.exec("agent1", ["python3", "/home/admin/ocp_agent/ocp_agent_ctl.py", "start", "ocp_agent"], timeout=90)
    # The window ends a minute from now (the agent's restart is in it) and reaches back to the latest
    # entries of both ZooKeeper logs, however long the lab has been up and whatever ran on it before.
    at = datetime.datetime.now(datetime.timezone.utc)
    last = min(last_stamp(lab, h, "/var/log/zookeeper/zookeeper.log") for h in ("zk1", "zk2"))
    before, after = round(max(0.5, (at - last).total_seconds() / 60 + 0.5), 2), 1  # minutes
    lo, hi = at - datetime.timedelta(minutes=before), at + datetime.timedelta(minutes=after)
    dest = tmp_path / "bundles"
    # log stamps have millisecond precision; a line stamped in the run's first second may be from before it
    started = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    run = run_ansible(lab, ["ansible-playbook", "playbooks/collect_logs.yml", "-l", ",".join(HOSTS),
                            "-e", "at=" + at.isoformat(), "-e", "collect_logs_before=%s" % before,
                            "-e", "collect_logs_after=%s" % after, "-e", "collect_logs_dest=%s" % dest,
                            "-e", "collect_logs_alarm_id=lab-test"])
    assert run.returncode == 0, run.stdout[-4000:]

    folder = dest / "lab-test"
    index = json.loads((folder / "index.json").read_text())
    assert sorted(h["host"] for h in index["hosts"]) == sorted(HOSTS)
    compared = 0
    for entry in index["hosts"]:
        host = entry["host"]
        bundle = (folder / ("%s.tar.gz" % host)).read_bytes()
        assert hashlib.sha256(bundle).hexdigest() == entry["sha256"]
        with tarfile.open(fileobj=io.BytesIO(bundle), mode="r:gz") as tar:
            manifest = json.load(tar.extractfile("MANIFEST.json"))
            for item in manifest["files"]:
                data = tar.extractfile(item["member"]).read()
                assert hashlib.sha256(data).hexdigest() == item["sha256"] and len(data) == item["bytes"]
                if item["compressed"]:
                    continue  # rotated .gz files are covered by the module's own tests
                source = lab.exec(host, ["cat", item["path"]]).stdout
                assert_cut_from(data, source.encode(), lo, hi, started, "%s:%s" % (host, item["path"]))
                compared += 1
        # no temporary files left on the host
        left = lab.exec(host, ["sh", "-c", "ls -A /tmp | grep -i -e collect -e log_window || true"]).stdout
        assert left.strip() == "", "%s keeps %s" % (host, left)
    assert compared >= 3
    agent_files = [f["path"] for e in index["hosts"] if e["host"] == "agent1" for f in e["files"]]
    assert any(p.startswith("/home/admin/ocp_agent/log/") for p in agent_files), agent_files
