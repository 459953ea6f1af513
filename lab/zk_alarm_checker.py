#!/usr/bin/env python3
"""Lab stand-in for MRS Manager's ALM-13007 check ("Available ZooKeeper Client Connections Are Insufficient").

Every --interval seconds (MRS: 60) it reads, from the controller, each ZooKeeper server's connections
(`cons`, or the AdminServer's /commands/connections when four-letter words are not whitelisted) and its
maxClientCnxns (`conf` or /commands/configuration). When one client IP holds over --threshold percent
(default 80) of maxClientCnxns on a server it raises ALM-13007 to Alertmanager (POST /api/v2/alerts) with
labels alertname=ALM-13007, ClientIP, ServerIP, HostName, severity; it re-sends the alert every interval
while it holds and resolves it (endsAt = now) once the count drops back. A server that cannot be read
keeps its alarms as they were (unknown is not "cleared").

    .venv/bin/python lab/zk_alarm_checker.py --alertmanager-url http://127.0.0.1:9093 [--interval 60]
        [--threshold 80] [--servers zk1,zk2,zk3 | --servers 198.18.0.13:2181,...] [--once] [--log FILE]

One JSON line per check and per alarm event on stdout (and appended to --log). Stops on SIGTERM/SIGINT.
Traffic goes only to the lab's ZooKeeper addresses and to the Alertmanager URL given.
"""
import argparse
import datetime
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
COLLECTIONS = os.path.join(ROOT, ".build", "collections")
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from ansible_collections.alertops.remediation.plugins.module_utils import zookeeper as zk  # noqa: E402

ALARM = "ALM-13007"


def rfc3339(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def lab_servers():
    """[(hostname, address)] of the lab's zookeeper group (lab/labapi.py)."""
    from labapi import Lab
    lab = Lab.load()
    return [(name, lab.address(name)) for name in lab.group("zookeeper")]


def parse_servers(text):
    out = []
    for item in [s.strip() for s in text.split(",") if s.strip()]:
        if ":" in item:
            host, port = item.rsplit(":", 1)
            out.append((host, host, int(port)))
        else:
            out.append((item, item, None))
    return out


class Checker(object):
    def __init__(self, servers, alertmanager_url, interval=60.0, threshold=80.0, port=2181, admin_port=8080,
                 timeout=5.0, severity="minor", log_path=None, out=sys.stdout):
        self.servers = servers  # [(hostname, address, port)]
        self.url = alertmanager_url.rstrip("/") if alertmanager_url else ""
        self.interval = float(interval)
        self.threshold = float(threshold)
        self.port = port
        self.admin_port = admin_port
        self.timeout = timeout
        self.severity = severity
        self.log_path = log_path
        self.out = out
        self.firing = {}  # (server_ip, client_ip) -> {"hostname", "startsAt", "count", "limit"}
        self.stopping = False

    # ------------------------------------------------------------------ output
    def emit(self, record):
        record = dict(record, time=rfc3339(time.time()))
        line = json.dumps(record, sort_keys=True)
        self.out.write(line + "\n")
        self.out.flush()
        if self.log_path:
            with open(self.log_path, "a") as fh:
                fh.write(line + "\n")

    # ------------------------------------------------------------------ reading ZooKeeper
    def read_server(self, address, port):
        """-> (connections per ip, maxClientCnxns, source) or raises zk.ZkError."""
        client = zk.ZkClient(host=address, port=port or self.port, timeout=self.timeout,
                             admin_url="http://%s:%d" % (address, self.admin_port))
        try:
            conns = client.cons()
            limit = zk.conf_max_client_cnxns(client.conf())
            source = "4lw"
        except zk.ZkWhitelistError:
            conns = client.admin_connections()
            limit = zk.conf_max_client_cnxns(client.admin_configuration())
            source = "admin"
        return zk.count_by_ip(conns), limit, source

    # ------------------------------------------------------------------ Alertmanager
    def post(self, key, info, ends):
        server_ip, client_ip = key
        body = [{
            "labels": {"alertname": ALARM, "ClientIP": client_ip, "ServerIP": server_ip,
                       "HostName": info["hostname"], "severity": self.severity,
                       "ServiceName": "ZooKeeper", "RoleName": "quorumpeer"},
            "annotations": {
                "summary": "Available ZooKeeper Client Connections Are Insufficient",
                "description": "client %s holds %s of maxClientCnxns %s on %s (%s)" % (
                    client_ip, info["count"], info["limit"], server_ip, info["hostname"]),
                "count": str(info["count"]), "limit": str(info["limit"])},
            "startsAt": rfc3339(info["startsAt"]),
            "endsAt": rfc3339(ends),
            "generatorURL": "http://controller/mrs-manager/alarms/%s" % ALARM,
        }]
        if not self.url:
            return True
        req = urllib.request.Request(self.url + "/api/v2/alerts", data=json.dumps(body).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                resp.read()
            return True
        except (urllib.error.URLError, OSError) as exc:
            self.emit({"event": "push_failed", "ServerIP": server_ip, "ClientIP": client_ip, "error": str(exc)})
            return False

    # ------------------------------------------------------------------ one cycle
    def check(self):
        now = time.time()
        for hostname, address, port in self.servers:
            try:
                counts, limit, source = self.read_server(address, port)
            except (zk.ZkError, OSError) as exc:
                self.emit({"event": "unreadable", "server": hostname, "ServerIP": address, "error": str(exc)})
                continue
            over = {}
            if limit:  # 0 = unlimited, None = unknown: never an alarm
                for ip, count in counts.items():
                    if 100.0 * count > self.threshold * limit:
                        over[ip] = count
            self.emit({"event": "checked", "server": hostname, "ServerIP": address, "source": source,
                       "maxClientCnxns": limit, "connections": counts, "over": sorted(over)})
            for ip, count in sorted(over.items()):
                key = (address, ip)
                info = self.firing.get(key)
                if info is None:
                    info = {"hostname": hostname, "startsAt": now}
                    self.firing[key] = info
                    kind = "firing"
                else:
                    kind = "refiring"
                info.update(count=count, limit=limit)
                self.post(key, info, now + 3 * self.interval)
                self.emit({"event": kind, "alertname": ALARM, "ServerIP": address, "ClientIP": ip,
                           "HostName": hostname, "count": count, "limit": limit,
                           "startsAt": rfc3339(info["startsAt"])})
            for key in [k for k in self.firing if k[0] == address and k[1] not in over]:
                info = self.firing.pop(key)
                info.update(count=counts.get(key[1], 0), limit=limit)
                self.post(key, info, now)
                self.emit({"event": "resolved", "alertname": ALARM, "ServerIP": address, "ClientIP": key[1],
                           "HostName": hostname, "count": info["count"], "limit": limit,
                           "startsAt": rfc3339(info["startsAt"])})

    def run(self, once=False):
        while not self.stopping:
            started = time.time()
            self.check()
            if once:
                break
            while not self.stopping and time.time() < started + self.interval:
                time.sleep(min(0.2, max(0.0, started + self.interval - time.time())))
        return 0

    def stop(self, *_):
        self.stopping = True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--alertmanager-url", default="", help="Alertmanager base URL (empty: only print)")
    ap.add_argument("--interval", type=float, default=60.0, help="seconds between checks (MRS: 60)")
    ap.add_argument("--threshold", type=float, default=80.0, help="percent of maxClientCnxns (over it: alarm)")
    ap.add_argument("--servers", default="", help="hostnames or ADDRESS[:PORT], comma separated (default: the lab's zookeeper group)")
    ap.add_argument("--port", type=int, default=2181)
    ap.add_argument("--admin-port", type=int, default=8080)
    ap.add_argument("--severity", default="minor")
    ap.add_argument("--once", action="store_true", help="one check, then exit")
    ap.add_argument("--log", default=None, help="also append the JSON lines to this file")
    args = ap.parse_args(argv)
    if args.interval <= 0 or not 0 < args.threshold <= 100:
        ap.error("--interval must be > 0 and --threshold in (0, 100]")
    if args.servers:
        servers = parse_servers(args.servers)
        try:
            names = dict(lab_servers())
        except Exception:  # outside the lab: addresses only
            names = {}
        servers = [(h, names.get(h, a), p) for h, a, p in servers]
    else:
        servers = [(h, a, None) for h, a in lab_servers()]
    checker = Checker(servers, args.alertmanager_url, args.interval, args.threshold, args.port,
                      args.admin_port, severity=args.severity, log_path=args.log)
    signal.signal(signal.SIGTERM, checker.stop)
    signal.signal(signal.SIGINT, checker.stop)
    checker.emit({"event": "started", "servers": [s[0] for s in servers], "interval": args.interval,
                  "threshold": args.threshold, "alertmanager_url": checker.url})
    return checker.run(once=args.once)


if __name__ == "__main__":
    sys.exit(main())
