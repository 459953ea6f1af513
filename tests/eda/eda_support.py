"""Helpers of the EDA / AWX suite: real Alertmanager, real ansible-rulebook, real ansible-runner, the built-in lab.

Every server a test starts (Alertmanager, ansible-rulebook) is started here, recorded by pid and stopped
by that pid in the fixture's finalizer, also when the test fails. Ports are found free at run time.
"""
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

from tests.support.lab import ansible_env, ROOT  # noqa: F401

VENV_BIN = os.path.join(ROOT, ".venv", "bin")
RULEBOOK = os.path.join(ROOT, "extensions", "eda", "rulebooks", "remediate_alerts.yml")
ALERT_PLAYBOOK = os.path.join(ROOT, "playbooks", "remediate_alert.yml")
ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
TOKEN = "eda-test-token-0123456789abcdef"


# ------------------------------------------------------------------------------------------ helpers
def free_port(address="127.0.0.1"):
    s = socket.socket()
    try:
        s.bind((address, 0))
        return s.getsockname()[1]
    finally:
        s.close()


def wait_for(predicate, timeout, interval=0.5, what="condition"):
    """poll predicate() until it returns a truthy value (returned) or timeout (AssertionError)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("gave up waiting %ss for %s" % (timeout, what))
        time.sleep(interval)


def port_open(host, port):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def utc_now():
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def encode_alert(alert):
    return urllib.parse.quote(json.dumps(alert))


def decisions(report_dir):
    """decision records remediate_alert.yml wrote (one file per run that got past the refusals)."""
    out = []
    for path in sorted(glob.glob(os.path.join(report_dir, "alerts", "*.json"))):
        with open(path) as fh:
            out.append(json.load(fh))
    return out


def stop_process(proc, timeout=20):
    """SIGTERM to the process group we created for it (by pid), SIGKILL after timeout."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)


def eda_env(report_dir, extra=None):
    env = ansible_env({
        "ALERTOPS_REPORT_DIR": report_dir,
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(ROOT, ".build", "collections"),
        "ANSIBLE_NOCOLOR": "1",
    })
    env.update(extra or {})
    return env


def run_alert_playbook(inventory, report_dir, extra_args, timeout=300, env=None):
    argv = [os.path.join(VENV_BIN, "ansible-playbook"), "-i", inventory, ALERT_PLAYBOOK] + list(extra_args)
    return subprocess.run(argv, env=env or eda_env(report_dir), cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, check=False)


# ------------------------------------------------------------------------------------------ servers
class Rulebook(object):
    """ansible-rulebook running a rulebook of the collection, its webhook on 127.0.0.1:<free port>."""

    def __init__(self, workdir, inventory, report_dir, rulebook=RULEBOOK, token=TOKEN, variables=None):
        self.port = free_port("127.0.0.1")
        self.url = "http://127.0.0.1:%d" % self.port
        self.token = token
        self.report_dir = report_dir
        self.log_path = os.path.join(workdir, "rulebook-%d.log" % self.port)
        vars_path = os.path.join(workdir, "rulebook-vars-%d.yml" % self.port)
        data = {"webhook_host": "127.0.0.1", "webhook_port": self.port}
        data.update(variables or {})
        with open(vars_path, "w") as fh:
            json.dump(data, fh)
        env = eda_env(report_dir, {"ALERTOPS_WEBHOOK_TOKEN": token} if token is not None else {})
        if token is None:
            env.pop("ALERTOPS_WEBHOOK_TOKEN", None)
        self.log = open(self.log_path, "w")
        argv = [os.path.join(VENV_BIN, "ansible-rulebook"), "-r", rulebook, "-i", inventory,
                "--vars", vars_path, "--env-vars", "ALERTOPS_WEBHOOK_TOKEN", "-v"]
        self.proc = subprocess.Popen(argv, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def wait_ready(self, timeout=90):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("ansible-rulebook exited (%s):\n%s" % (self.proc.returncode, self.output()))
            return port_open("127.0.0.1", self.port)
        wait_for(ready, timeout, what="ansible-rulebook's webhook on %s" % self.url)
        return self

    def post(self, payload, token="__default__", path="/alerts"):
        headers = {"Content-Type": "application/json"}
        token = self.token if token == "__default__" else token
        if token:
            headers["Authorization"] = "Bearer %s" % token
        req = urllib.request.Request(self.url + path, data=json.dumps(payload).encode(), headers=headers,
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status
        except urllib.error.HTTPError as exc:
            return exc.code

    def output(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as fh:
            return fh.read()

    def stop(self):
        stop_process(self.proc)
        self.log.close()


class Alertmanager(object):
    """Debian's prometheus-alertmanager, no clustering, a temp storage, a webhook receiver with a token."""

    def __init__(self, workdir, listen_address, webhook_url, token, group_by, group_wait="1s"):
        self.port = free_port(listen_address)
        self.url = "http://%s:%d" % (listen_address, self.port)
        self.dir = tempfile.mkdtemp(prefix="am-", dir=workdir)
        token_file = os.path.join(self.dir, "token")
        with open(token_file, "w") as fh:
            fh.write(token)
        os.chmod(token_file, 0o600)
        config = {
            "route": {"receiver": "eda", "group_by": group_by, "group_wait": group_wait, "group_interval": "2s",
                      "repeat_interval": "1h"},
            "receivers": [{"name": "eda", "webhook_configs": [{
                "url": webhook_url, "send_resolved": True,
                "http_config": {"authorization": {"type": "Bearer", "credentials_file": token_file}}}]}],
        }
        cfg = os.path.join(self.dir, "alertmanager.yml")
        with open(cfg, "w") as fh:
            json.dump(config, fh)  # JSON is YAML
        self.log = open(os.path.join(self.dir, "alertmanager.log"), "w")
        argv = [ALERTMANAGER, "--config.file=%s" % cfg, "--storage.path=%s" % os.path.join(self.dir, "data"),
                "--web.listen-address=%s:%d" % (listen_address, self.port), "--cluster.listen-address=",
                "--log.level=info"]
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_for(self._ready, 30, what="Alertmanager on %s" % self.url)

    def _ready(self):
        if self.proc.poll() is not None:
            raise AssertionError("alertmanager exited: %s" % self.output())
        try:
            with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as resp:
                return resp.status == 200
        except OSError:
            return False

    def alerts(self, **filters):
        """GET /api/v2/alerts (active, unprocessed, silenced, inhibited: every alert it still holds)."""
        with urllib.request.urlopen(self.url + "/api/v2/alerts", timeout=5) as resp:
            data = json.load(resp)
        out = []
        for a in data:
            if all(a["labels"].get(k) == v for k, v in filters.items()):
                out.append(a)
        return out

    def post_alerts(self, alerts):
        """POST /api/v2/alerts, as an alert source does (an endsAt in the past resolves the alert)."""
        req = urllib.request.Request(self.url + "/api/v2/alerts", data=json.dumps(alerts).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status

    def output(self):
        self.log.flush()
        with open(os.path.join(self.dir, "alertmanager.log"), errors="replace") as fh:
            return fh.read()

    def stop(self):
        stop_process(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
