"""Per-host files on the controller side: lab/.state/hosts/<host>/ (bind-mounted into the host), the
sshd config and keys, zoo.cfg, java.env, log4j.properties, /run/lab/host.json."""
import json
import os
import shutil

from labkit.base import BIND_DIRS, ROOT, SSH_DIR, SSH_KEY, CONTROL_DIR, host_dir, run, write_file


def ensure_ssh_key():
    os.makedirs(SSH_DIR, mode=0o700, exist_ok=True)
    os.makedirs(CONTROL_DIR, mode=0o700, exist_ok=True)
    if not os.path.exists(SSH_KEY):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alertops-lab", "-f", SSH_KEY])
    with open(SSH_KEY + ".pub") as fh:
        return fh.read()


def zoo_cfg(spec, name):
    zk = spec["hosts"][name]["zookeeper"]
    lines = [
        "# written by lab/labctl.py for lab host %s" % name,
        "tickTime=%s" % zk.get("tick_time", 2000),
        "initLimit=%s" % zk.get("init_limit", 10),
        "syncLimit=%s" % zk.get("sync_limit", 5),
        "dataDir=/var/lib/zookeeper",
        "clientPort=%s" % zk.get("client_port", 2181),
        "maxClientCnxns=%s" % zk.get("max_client_cnxns", 20),
        "admin.enableServer=true",
        "admin.serverPort=%s" % zk.get("admin_port", 8080),
        "4lw.commands.whitelist=%s" % zk.get("four_letter_words", "srvr,mntr,conf,cons,ruok"),
        "autopurge.snapRetainCount=3",
        "autopurge.purgeInterval=1",
    ]
    if zk["peer_type"] == "observer":
        lines.append("peerType=observer")
    for other, h in spec["hosts"].items():
        if "zookeeper" in h["groups"]:
            suffix = ":observer" if h["zookeeper"]["peer_type"] == "observer" else ""
            lines.append("server.%s=%s:2888:3888%s" % (h["zookeeper"]["myid"], h["address"], suffix))
    return "\n".join(lines) + "\n"


def java_env(zk):
    """conf/java.env, the file ZooKeeper's own scripts source for the server's JVM; zkctl reads it."""
    return "# written by lab/labctl.py from the lab spec\nZK_SERVER_HEAP=%d\nSERVER_JVMFLAGS=\"%s\"\n" % (
        zk.get("heap_mb", 128), " ".join(zk["jvm_flags"]))


def log4j_properties(zk):
    src = "/etc/zookeeper/conf_example/log4j.properties"
    text = open(src).read() if os.path.exists(src) else ""
    out = []
    for line in text.splitlines():
        if line.startswith("log4j.appender.ROLLINGFILE.MaxFileSize"):
            line = "log4j.appender.ROLLINGFILE.MaxFileSize=%s" % zk.get("log_max_file_size", "5MB")
        elif line.lstrip("#").startswith("log4j.appender.ROLLINGFILE.MaxBackupIndex"):
            line = "log4j.appender.ROLLINGFILE.MaxBackupIndex=%s" % zk.get("log_max_backup_index", 5)
        elif line.startswith("log4j.appender.ROLLINGFILE.Threshold"):
            line = "log4j.appender.ROLLINGFILE.Threshold=INFO"
        out.append(line)
    if not any(x.startswith("log4j.appender.ROLLINGFILE=") for x in out):  # package file missing
        out = [
            "log4j.rootLogger=${zookeeper.root.logger}",
            "log4j.appender.ROLLINGFILE=org.apache.log4j.RollingFileAppender",
            "log4j.appender.ROLLINGFILE.Threshold=INFO",
            "log4j.appender.ROLLINGFILE.File=${zookeeper.log.dir}/zookeeper.log",
            "log4j.appender.ROLLINGFILE.MaxFileSize=%s" % zk.get("log_max_file_size", "5MB"),
            "log4j.appender.ROLLINGFILE.MaxBackupIndex=%s" % zk.get("log_max_backup_index", 5),
            "log4j.appender.ROLLINGFILE.layout=org.apache.log4j.PatternLayout",
            "log4j.appender.ROLLINGFILE.layout.ConversionPattern=%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n",
        ]
    return "\n".join(out) + "\n"


def host_facts(spec, name, alert_url):
    h = spec["hosts"][name]
    facts = {"host": name, "address": h["address"], "groups": h["groups"],
             "controller_address": spec["network"]["controller_address"], "alert_url": alert_url or "",
             "lab_root": ROOT}
    if "ocp_agent_flavor" in h:
        facts["ocp_agent_flavor"] = h["ocp_agent_flavor"]
    if "zookeeper" in h:
        facts["zookeeper_myid"] = h["zookeeper"]["myid"]
        facts["zookeeper_peer_type"] = h["zookeeper"]["peer_type"]
    return facts


def write_host_facts(spec, name, alert_url):
    write_file(os.path.join(host_dir(name), "run", "lab", "host.json"),
               json.dumps(host_facts(spec, name, alert_url), indent=2, sort_keys=True) + "\n")


def prepare_host_files(spec, name, pubkey, alert_url, reset=False):
    """Create the host's directory tree; config files only when new (or reset): roles edit them."""
    hd = host_dir(name)
    for rel, _ in BIND_DIRS:
        os.makedirs(os.path.join(hd, rel), exist_ok=True)
    os.chmod(os.path.join(hd, "tmp"), 0o1777)
    os.makedirs(os.path.join(hd, "home", "admin"), exist_ok=True)
    os.makedirs(os.path.join(hd, "run", "sshd"), mode=0o755, exist_ok=True)
    os.makedirs(os.path.join(hd, "run", "lab"), exist_ok=True)
    os.makedirs(os.path.join(hd, "lablog"), exist_ok=True)
    h = spec["hosts"][name]
    hosts_lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback",
                   "%s\tcontroller" % spec["network"]["controller_address"]]
    hosts_lines += ["%s\t%s" % (o["address"], n) for n, o in spec["hosts"].items()]
    write_file(os.path.join(hd, "etc", "hosts"), "\n".join(hosts_lines) + "\n", in_place=True)
    write_file(os.path.join(hd, "etc", "hostname"), name + "\n", in_place=True)
    write_host_facts(spec, name, alert_url)
    # sshd: per-host host key, root login by the lab key only
    sd = os.path.join(hd, "sshd")
    os.makedirs(sd, mode=0o700, exist_ok=True)
    hostkey = os.path.join(sd, "ssh_host_ed25519_key")
    if not os.path.exists(hostkey):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "lab-" + name, "-f", hostkey])
    write_file(os.path.join(sd, "authorized_keys"), pubkey, 0o600)
    write_file(os.path.join(sd, "sshd_config"), "\n".join([
        "# lab host %s (written by lab/labctl.py)" % name,
        "Port 22",
        "ListenAddress 0.0.0.0",
        "HostKey %s" % hostkey,
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "AuthorizedKeysFile %s" % os.path.join(sd, "authorized_keys"),
        "StrictModes no",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "UseDNS no",
        "PrintMotd no",
        "PidFile /run/sshd.pid",
        "MaxStartups 100:30:200",
        "MaxSessions 100",
        "AcceptEnv LANG LC_*",
        "Subsystem sftp /usr/lib/openssh/sftp-server",
        "",
    ]))
    if "zookeeper" in h:
        zk = h["zookeeper"]
        conf = os.path.join(hd, "etc", "zookeeper", "conf")
        os.makedirs(conf, exist_ok=True)
        if reset or not os.path.exists(os.path.join(conf, "zoo.cfg")):
            write_file(os.path.join(conf, "zoo.cfg"), zoo_cfg(spec, name))
        if reset or not os.path.exists(os.path.join(conf, "log4j.properties")):
            write_file(os.path.join(conf, "log4j.properties"), log4j_properties(zk))
        if reset or not os.path.exists(os.path.join(conf, "java.env")):
            write_file(os.path.join(conf, "java.env"), java_env(zk))
        write_file(os.path.join(conf, "myid"), "%s\n" % zk["myid"])
        write_file(os.path.join(hd, "var", "lib", "zookeeper", "myid"), "%s\n" % zk["myid"])
        if reset:
            for sub in ("version-2",):
                shutil.rmtree(os.path.join(hd, "var", "lib", "zookeeper", sub), ignore_errors=True)
