"""Lab hosts: own PIDs, own paths, own hostname, own network sysctls, SSH + Ansible, the network."""
# pylint: disable=disallowed-name
import os
import socket
import subprocess
import uuid

import pytest

from tests.support.lab import run_ansible


def host_processes(lab, host):
    """[(pid, comm, cmdline)] as the host sees them."""
    p = lab.exec(host, ["/usr/bin/python3", "-c",
                        "import os\n"
                        "for d in sorted(os.listdir('/proc'), key=lambda x: (len(x), x)):\n"
                        "    if d.isdigit():\n"
                        "        try:\n"
                        "            c = open('/proc/%s/comm' % d).read().strip()\n"
                        "            a = open('/proc/%s/cmdline' % d, 'rb').read().replace(b'\\0', b' ').replace(b'\\n', b' ').decode()\n"
                        "        except OSError:\n"
                        "            continue\n"
                        "        print(d, c, a, sep='\\t')\n"])
    return [tuple(line.split("\t", 2)) for line in p.stdout.splitlines()]


@pytest.mark.parametrize("host", ["agent1", "zk1", "client1"])
def test_host_sees_only_its_own_processes(lab, host):
    procs = host_processes(lab, host)
    pids = {int(pid) for pid, _, _ in procs}
    assert 1 in pids
    init = [cmd for pid, _, cmd in procs if pid == "1"][0]
    assert "labctl.py _init %s" % host in init
    # nothing of the machine: not this pytest, not the other hosts' inits
    assert not [cmd for _, _, cmd in procs if "pytest" in cmd]
    assert not [cmd for _, _, cmd in procs if "_init" in cmd and not cmd.rstrip().endswith("_init " + host)]
    # the machine's view of the host's PID namespace has exactly as many processes (+/- the lister)
    ns = os.readlink("/proc/%d/ns/pid" % lab.init_pid(host))
    outer = []
    for d in os.listdir("/proc"):
        try:
            if d.isdigit() and os.readlink("/proc/%s/ns/pid" % d) == ns:
                outer.append(d)
        except OSError:
            pass
    assert abs(len(outer) - len(procs)) <= 2
    assert len(procs) < 60


def test_a_kill_inside_a_host_cannot_reach_the_machine(lab):
    p = lab.exec("client1", ["/bin/kill", "-0", str(os.getpid())], check=False)
    # our pid either does not exist in the host's namespace or is one of the host's own processes
    own = {pid for pid, _, _ in host_processes(lab, "client1")}
    assert p.returncode != 0 or str(os.getpid()) in own


def test_each_host_has_its_own_paths(lab):
    name = "lab-test-%s" % uuid.uuid4().hex
    lab.exec("agent1", ["sh", "-c", "mkdir -p /home/admin/ocp_agent && echo agent1 > /home/admin/%s" % name])
    try:
        assert lab.exec("agent1", ["cat", "/home/admin/" + name]).stdout.strip() == "agent1"
        assert lab.exec("agent2", ["test", "-e", "/home/admin/" + name], check=False).returncode == 1
        assert not os.path.exists("/home/admin/" + name)
        assert os.path.exists(os.path.join(lab.state_dir, "hosts", "agent1", "home", "admin", name))
        for path in ("/etc/zookeeper", "/var/lib/zookeeper", "/var/log/zookeeper", "/etc/sysctl.d", "/run", "/tmp"):
            mounts = lab.exec("agent1", ["findmnt", "-n", "-o", "SOURCE", path]).stdout
            assert os.path.join("hosts", "agent1") in mounts, (path, mounts)
        assert lab.exec("agent1", ["test", "-d", "/run/sshd"], check=False).returncode == 0
    finally:
        lab.exec("agent1", ["rm", "-f", "/home/admin/" + name])


def test_hostname_is_the_host_name(lab):
    for host in lab.hosts:
        assert lab.exec(host, ["hostname"]).stdout.strip() == host
        assert lab.exec(host, ["cat", "/etc/hostname"]).stdout.strip() == host
    assert socket.gethostname() not in lab.hosts


def test_network_sysctls_are_per_host(lab):
    keys = ("/proc/sys/net/ipv4/ip_local_port_range", "/proc/sys/net/ipv4/ip_local_reserved_ports")
    machine_before = [open(k).read() for k in keys]
    agent2_before = [lab.exec("agent2", ["cat", k]).stdout for k in keys]
    agent1_before = [lab.exec("agent1", ["cat", k]).stdout for k in keys]
    try:
        lab.exec("agent1", ["sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=3500 65535",
                            "net.ipv4.ip_local_reserved_ports=62881-63881"])
        assert lab.exec("agent1", ["cat", keys[0]]).stdout.split() == ["3500", "65535"]
        assert lab.exec("agent1", ["cat", keys[1]]).stdout.strip() == "62881-63881"
        assert [open(k).read() for k in keys] == machine_before
        assert [lab.exec("agent2", ["cat", k]).stdout for k in keys] == agent2_before
    finally:
        for k, v in zip(keys, agent1_before):
            lab.exec("agent1", ["sh", "-c", 'echo "$1" > "$2"', "sh", v.strip(), k])
    assert [lab.exec("agent1", ["cat", k]).stdout for k in keys] == agent1_before


def test_machine_wide_sysctls_are_read_only_in_a_host(lab):
    before = open("/proc/sys/vm/swappiness").read()
    p = lab.exec("zk1", ["sysctl", "-w", "vm.swappiness=%d" % ((int(before) + 7) % 100)], check=False)
    assert p.returncode != 0
    assert open("/proc/sys/vm/swappiness").read() == before


def test_ansible_ping_over_ssh(lab):
    p = run_ansible(lab, ["ansible", "all", "-m", "ansible.builtin.ping", "-o"])
    assert p.returncode == 0, p.stdout + p.stderr
    for host in lab.hosts:
        assert "%s | SUCCESS" % host in p.stdout


def test_inventory_groups_and_vars(lab):
    import yaml

    inv = yaml.safe_load(open(lab.inventory_path))["all"]
    children = inv["children"]
    assert sorted(children["ocp_agents"]["hosts"]) == ["agent1", "agent2"]
    assert sorted(children["zookeeper"]["hosts"]) == ["zk1", "zk2", "zk3"]
    assert sorted(children["zookeeper_clients"]["hosts"]) == ["client1"]
    hv = inv["hosts"]
    assert hv["agent1"]["ocp_agent_flavor"] == "legacy" and hv["agent2"]["ocp_agent_flavor"] == "agentctl"
    assert hv["zk1"]["zookeeper_connections_service_command"] == [lab.zkctl_path]
    assert hv["zk1"]["ansible_ssh_pipelining"] is True
    assert inv["vars"]["lab_alert_url"] == ""


def test_hosts_reach_each_other_and_the_controller(lab):
    # host -> host (across the switch bridge)
    probe = "import socket,sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5).close()"
    lab.exec("agent1", ["/usr/bin/python3", "-c", probe, lab.address("zk2"), "2181"])
    lab.exec("client1", ["/usr/bin/python3", "-c", probe, "agent2", "22"])
    # host -> controller (198.18.0.1)
    srv = socket.socket()
    srv.bind((lab.spec["network"]["controller_address"], 0))
    srv.listen(1)
    try:
        lab.exec("zk3", ["/usr/bin/python3", "-c", probe, "controller", str(srv.getsockname()[1])])
        conn, peer = srv.accept()
        conn.close()
        assert peer[0] == lab.address("zk3")
    finally:
        srv.close()
    # nothing beyond the lab: no default route in a host
    assert "default" not in lab.exec("agent1", ["ip", "route"]).stdout


def test_labctl_exec_runs_argv_in_the_host_and_returns_its_exit_code(lab):
    labctl = [os.path.join(lab.root, ".venv", "bin", "python"), os.path.join(lab.root, "lab", "labctl.py")]

    def run(*argv):
        return subprocess.run(labctl + list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=60, check=False)

    p = run("exec", "zk1", "--", "sh", "-c", "cat /etc/hostname; exit 7")
    assert (p.returncode, p.stdout) == (7, "zk1\n"), p.stderr
    p = run("exec", "client1", "cat", "/etc/hostname")  # the -- is optional
    assert (p.returncode, p.stdout) == (0, "client1\n"), p.stderr
    p = run("exec", "nohost", "--", "true")
    assert p.returncode == 1 and "lab host nohost is not running" in p.stderr
    p = run("exec", "zk1")
    assert p.returncode == 2 and "usage: labctl.py exec HOST -- ARGV" in p.stderr
