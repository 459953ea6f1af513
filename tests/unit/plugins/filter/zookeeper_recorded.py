"""Ensembles for the plan's table tests, built from recorded ZooKeeper replies.

Each member's zookeeper_info result is produced by the collection's own gather_info over recorded
four-letter-word (and AdminServer) replies: tests/unit/fixtures/zookeeper (3.8 leader, followers,
standalone, whitelist-limited, not serving) and tests/unit/fixtures/zookeeper_plan (3 participants + 1
observer; a mixed 3.5/3.8 ensemble; see record.py there). A test can set the limit (the conf line) and add
sessions from a client IP (lines shaped like the recorded cons lines) to build the case it needs.
"""
import base64
import os
import re

from ansible_collections.alertops.remediation.plugins.module_utils import zookeeper as zk
from ansible_collections.alertops.remediation.plugins.module_utils.zkinfo import gather_info
from ansible_collections.alertops.remediation.plugins.module_utils.zkreplies import parse_admin
from ansible_collections.alertops.remediation.plugins.plugin_utils import zookeeper_ensemble, zookeeper_plan

FIX = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures")
CLIENT = "10.0.0.50"
NOW_MS = 1795977100000  # a little after the recorded sessions were established
_CONS_LINE = (" /{ip}:{port}[1](queued=0,recved={recved},sent={recved},sid=0x{sid:x},lop={lop},est={est},"
              "to=30000,lcxid=0x{cxid:x},lzxid=0x100000005,lresp=671640,llat=1,minlat=0,avglat=1,maxlat=1)\n")


def recorded(name):
    with open(os.path.join(FIX, name)) as fh:
        return fh.read()


class RecordedClient(zk.ZkClient):
    """ZkClient answering from recorded replies; a word missing from ``replies`` is refused by whitelist."""

    def __init__(self, replies, admin=None):
        super(RecordedClient, self).__init__("127.0.0.1", 2181, admin_url="http://127.0.0.1:8080" if admin else None)
        self.replies = replies
        self.admin_replies = admin or {}

    def raw(self, command):
        if command not in self.replies:
            return "%s is not executed because it is not in the whitelist.\n" % command
        return self.replies[command]

    def admin(self, command):
        if command not in self.admin_replies:
            raise zk.ZkAdminError("no recorded AdminServer %s reply" % command)
        return parse_admin(command, self.admin_replies[command])


def sessions(ip, count, age_s=600, used=False, first_port=40000):
    """``count`` cons lines of established sessions from ``ip``, ``age_s`` old (never used unless ``used``)."""
    est = NOW_MS - int(age_s * 1000)
    return "".join(_CONS_LINE.format(ip=ip, port=first_port + i, sid=0x100000a3dae1000 + i, est=est,
                                     lop="GETD" if used else "PING", cxid=7 if used else 0,
                                     recved=9 if used else 3)
                   for i in range(count))


class Member(object):
    """One member: its recorded replies (``files``: word -> fixture path), editable before reading."""

    def __init__(self, name, address, files, admin_files=None, whitelist=None):
        self.name = name
        self.address = address
        self.replies = dict((w, recorded(p)) for w, p in files.items() if whitelist is None or w in whitelist)
        self.admin = dict((w, recorded(p)) for w, p in (admin_files or {}).items())
        self.conf_text = "tickTime=2000\nmaxClientCnxns=%s\n"
        self.conf_path = "/etc/zookeeper/conf/zoo.cfg"

    def limit(self, value, in_conf=None):
        """Run with maxClientCnxns=value (the conf reply) and have zoo.cfg hold in_conf (default: the same)."""
        for word in ("conf",):
            if word in self.replies:
                self.replies[word] = re.sub(r"maxClientCnxns=\d+", "maxClientCnxns=%d" % value, self.replies[word])
        if "configuration" in self.admin:
            self.admin["configuration"] = re.sub(r'"max_client_cnxns" : \d+', '"max_client_cnxns" : %d' % value,
                                                 self.admin["configuration"])
        self.zoo_cfg = self.conf_text % (value if in_conf is None else in_conf)
        return self

    def add_sessions(self, text):
        self.replies["cons"] = self.replies.get("cons", "") + text
        return self

    def rejected(self, count):
        if "mntr" in self.replies:
            self.replies["mntr"] = re.sub(r"zk_connection_rejected\t\d+", "zk_connection_rejected\t%d" % count,
                                          self.replies["mntr"])
        return self

    def info(self, idle_min_age=300, threshold=80):
        """What zookeeper_info returns for this member."""
        client = RecordedClient(self.replies, self.admin)
        result = gather_info(client, threshold, idle_min_age=idle_min_age, now_ms=NOW_MS)
        result["msg"] = " ".join(result.pop("messages"))
        result["changed"] = False
        return result

    def hostvars(self, idle_min_age=300, threshold=80):
        zoo_cfg = getattr(self, "zoo_cfg", None)
        if zoo_cfg is None:
            found = re.search(r"maxClientCnxns=(\d+)", self.replies.get("conf", ""))
            zoo_cfg = self.conf_text % (found.group(1) if found else 60)
        return {
            "ansible_host": self.address,
            "__zookeeper_connections_self": {"name": self.name, "address": self.address, "admin_url": "",
                                             "conf_path": self.conf_path, "service_command": ["zkctl"]},
            "__zookeeper_connections_before": self.info(idle_min_age, threshold),
            "__zookeeper_connections_conf": {"content": base64.b64encode(zoo_cfg.encode()).decode(),
                                             "source": self.conf_path, "encoding": "base64"},
        }


def _files(prefix):
    return dict((w, prefix + w + ".txt") for w in ("srvr", "mntr", "conf", "cons"))


def three_nodes():
    """The recorded 3.8 ensemble: zk1 leader, zk2 and zk3 followers (the follower replies twice)."""
    return [Member("zk1", "10.0.0.1", _files("zookeeper/leader_")),
            Member("zk2", "10.0.0.2", _files("zookeeper/follower_")),
            Member("zk3", "10.0.0.3", _files("zookeeper/follower_"))]


def observer_ensemble():
    """Recorded: zk1, zk2 followers, zk3 leader, zk4 observer (5 sessions from 127.0.0.9 on zk1)."""
    return [Member("zk%d" % i, "127.0.0.%d" % i, _files("zookeeper_plan/observer_ensemble/%d_" % i))
            for i in (1, 2, 3, 4)]


def mixed_versions():
    """As observer_ensemble, but the leader zk3 runs ZooKeeper 3.5.9."""
    return [Member("zk%d" % i, "127.0.0.%d" % i, _files("zookeeper_plan/mixed_versions/%d_" % i))
            for i in (1, 2, 3, 4)]


def standalone():
    return [Member("zk1", "10.0.0.1", _files("zookeeper/standalone_"))]


def whitelist_limited(admin=True):
    """A follower that allows only srvr; with ``admin`` its AdminServer answers the rest."""
    admin_files = dict((w, "zookeeper/follower_admin_%s.json" % w)
                       for w in ("monitor", "configuration", "connections")) if admin else None
    return Member("zk2", "10.0.0.2", _files("zookeeper/follower_"), admin_files, whitelist=("srvr",))


def not_serving(name="zk3", address="10.0.0.3"):
    return Member(name, address, _files("zookeeper/not_serving_"))


def hostvars_of(members, **kwargs):
    return dict((m.name, m.hostvars(**kwargs)) for m in members)


OPTIONS = {
    "group": "zookeeper", "port": 2181, "threshold_percent": 80, "sample_interval": 10, "leak_min_growth": 1,
    "idle_min_age": 300, "idle_leak_percent": 50, "raise_on_leak": False, "raise_factor": 2.0, "headroom": 1.5,
    "max_limit": 2000, "extra_settings": {}, "restart_timeout": 90, "gate_delay": 1, "query_timeout": 10,
    "apply": "auto", "alarm_client_ip": "", "alarm_server_ip": "",
}


def options(**changes):
    out = dict(OPTIONS)
    out.update(changes)
    return out


def decide(members, second=None, owners=None, uptime=None, probes=None, client_host=True, **opts):
    """survey + plan as the role runs them; ``second``: {member: Member for the second sample}."""
    o = options(**opts)
    hostvars = hostvars_of(members, idle_min_age=o["idle_min_age"])
    for name, member in (second or {}).items():
        hostvars[name]["__zookeeper_connections_again"] = member.info(idle_min_age=o["idle_min_age"])
    for name, probe in (probes or {}).items():
        hostvars[name]["__zookeeper_connections_probe"] = probe
    if client_host:
        hostvars["client1"] = {"ansible_host": CLIENT}
    survey = zookeeper_ensemble.survey([m.name for m in members], hostvars, list(hostvars), o)
    return zookeeper_plan.plan(survey, hostvars, owners or [], uptime or [], o)


def ensemble_at(limit=20, **sessions_per_member):
    """The recorded 3-node ensemble at ``limit`` with sessions from CLIENT: zk2=17 -> 17 sessions on zk2."""
    members = three_nodes()
    for m in members:
        m.limit(limit)
        if sessions_per_member.get(m.name):
            m.add_sessions(sessions(CLIENT, sessions_per_member[m.name], first_port=41000 if m.name == "zk3" else 40000))
    return members


def owners(count_per_server, name="order-service", pid=4242, start_time=100000):
    rows = []
    for address, count in count_per_server.items():
        rows += [{"protocol": "tcp", "local_address": CLIENT, "local_port": 50000 + i, "remote_address": address,
                  "remote_port": 2181, "state": "ESTABLISHED", "pid": pid,
                  "process": {"name": name, "cmdline": "%s --pool 64" % name, "user": "app", "unit": None,
                              "start_time": start_time}} for i in range(count)]
    rows.append(dict(rows[0], state="TIME_WAIT", pid=None, process=None))  # refused connects leave these
    return [{"item": {"ip": CLIENT, "host": "client1"}, "sockets": rows, "unresolved": []}]


def uptime(seconds):
    content = base64.b64encode(("%.2f 100.00\n" % seconds).encode()).decode()
    return [{"item": {"ip": CLIENT, "host": "client1"}, "content": content}]


PROBE_OK = {"changed": False, "before": 20, "after": 20, "pid": 321, "method": "attach"}


# Step results as the act step registers them (for the record and report tests).
BACKUP = "/etc/zookeeper/conf/zoo.cfg.77.2026-11-21@10:15:30~"
JMX_SET = {"changed": True, "before": 20, "after": 40, "pid": 321, "method": "attach"}
CFG_SET = {"changed": True, "backup_file": BACKUP, "changes": [{"key": "maxClientCnxns", "before": "20", "after": "40"}]}
SKIPPED = {"skipped": True, "changed": False}


def gate(ok=True, leader="zk1", problems=(), mode="follower", node="zk2"):
    return {"ok": ok, "problems": list(problems), "leader": leader, "saturated": [],
            "members": {node: {"mode": mode, "polls": 3}, leader: {"mode": "leader", "synced_followers": 2,
                                                                   "synced_observers": 0}}}


def step_plan(apply="auto", method="live"):
    p = decide(ensemble_at(zk2=17), probes=dict((n, dict(PROBE_OK)) for n in ("zk1", "zk2", "zk3")), apply=apply)
    assert p["order"] == ["zk2", "zk3", "zk1"]
    p["method"] = method
    return p


def live_step(jmx=None, gate_=None, cfg=None, node="zk2"):
    jmx = JMX_SET if jmx is None else jmx
    cfg = CFG_SET if cfg is None else cfg
    return {"__zookeeper_connections_live_step": {"jmx": jmx, "gate": gate(node=node) if gate_ is None else gate_,
                                                  "t0": 100.0, "t1": 103.5},
            "__zookeeper_connections_persist": cfg}


def restart_step(node, cfg=None, restart=None, gate_=None, **more):
    cfg = CFG_SET if cfg is None else cfg
    step = {"cfg": cfg, "restart": restart if restart is not None else {"rc": 0, "changed": True},
            "gate": gate(node=node) if gate_ is None else gate_, "t0": 10.0, "t1": 14.25}
    step.update(more)
    return {"__zookeeper_connections_restart_step": step}
