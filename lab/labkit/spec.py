"""The lab spec (lab/spec.yml and friends): hosts, addresses, groups, ZooKeeper and agent options."""
import os

from labkit.base import DEFAULT_SPEC, JVM_FLAG_RE, SUBNET_PREFIX, LabError

# 198.18.0.100-254 leaves .2-.99 to the hosts a spec names; legacy first, like the default agent1/agent2
FLEET_DEFAULTS = {"agents": 0, "first_address": 100, "prefix": "fleet", "flavors": ["legacy", "agentctl"]}


def load_spec(path=None, agents=None):
    """the spec at path (default lab/spec.yml), checked, with its fleet expanded into hosts; agents
    (a number) replaces the spec's own `fleet.agents`."""
    path = path or DEFAULT_SPEC
    spec = read_spec_file(path)
    net = spec.setdefault("network", {})
    net.setdefault("controller_address", SUBNET_PREFIX + "1")
    net.setdefault("controller_interface", "alabops0")
    zk_defaults = spec.setdefault("zookeeper", {})
    hosts = spec.setdefault("hosts", {})
    if not hosts:
        raise LabError("%s: no hosts" % path)
    spec["fleet"] = fleet = fleet_options(path, spec.get("fleet"), agents)
    for name, host in fleet_hosts(fleet).items():
        if name in hosts:
            raise LabError("%s: fleet host %s is also a host of the spec" % (path, name))
        hosts[name] = host
    seen = {net["controller_address"]}
    for name, h in hosts.items():
        if not name.replace("-", "").isalnum() or len(name) > 12:
            raise LabError("%s: bad host name %r (letters, digits, '-', at most 12)" % (path, name))
        addr = str(h.get("address", ""))
        if not addr.startswith(SUBNET_PREFIX) or not addr[len(SUBNET_PREFIX):].isdigit() \
                or not 2 <= int(addr[len(SUBNET_PREFIX):]) <= 254:
            raise LabError("%s: host %s: address %r is not in 198.18.0.2-254" % (path, name, addr))
        if addr in seen:
            raise LabError("%s: host %s: address %s used twice" % (path, name, addr))
        seen.add(addr)
        h["address"] = addr
        h["groups"] = list(h.get("groups") or [])
        if "zookeeper" in h["groups"]:
            zk = dict(zk_defaults)
            zk.update(h.get("zookeeper") or {})
            if "myid" not in zk:
                raise LabError("%s: zookeeper host %s has no zookeeper.myid" % (path, name))
            check_zookeeper_options(path, name, zk)
            h["zookeeper"] = zk
        if "ocp_agents" in h["groups"]:
            flavor = h.get("ocp_agent_flavor", "agentctl")
            if flavor not in ("legacy", "agentctl"):
                raise LabError("%s: host %s: ocp_agent_flavor %r is not legacy|agentctl" % (path, name, flavor))
            h["ocp_agent_flavor"] = flavor
    peers = [h["zookeeper"]["peer_type"] for h in hosts.values() if "zookeeper" in h]
    if "observer" in peers and peers.count("participant") < 2:
        # with one participant ZooKeeper runs standalone and an observer has no leader to follow
        raise LabError("%s: an observer needs at least 2 participants (has %d)" % (path, peers.count("participant")))
    spec["_path"] = os.path.abspath(path)
    return spec


def fleet_options(path, fleet, agents=None):
    """the spec's `fleet:` with defaults: N agent hosts next to the spec's own, flavors alternating."""
    fleet = dict(FLEET_DEFAULTS, **(fleet or {}))
    if agents is not None:
        fleet["agents"] = agents
    n, first = fleet["agents"], fleet["first_address"]
    for key, value in (("agents", n), ("first_address", first)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise LabError("%s: fleet.%s %r is not a whole number" % (path, key, value))
    if n and not 2 <= first <= first + n - 1 <= 254:
        raise LabError("%s: a fleet of %d agents from 198.18.0.%d does not fit in 198.18.0.2-254 "
                       "(at most %d from there)" % (path, n, first, max(0, 255 - first)))
    flavors = fleet["flavors"]
    if not flavors or not isinstance(flavors, list) or any(f not in ("legacy", "agentctl") for f in flavors):
        raise LabError("%s: fleet.flavors %r is not a list of legacy|agentctl" % (path, flavors))
    prefix = str(fleet["prefix"])
    if not prefix.isalpha() or len(prefix) > 9:
        raise LabError("%s: fleet.prefix %r is not 1-9 letters" % (path, prefix))
    return fleet


def fleet_hosts(fleet):
    """{name: host} of the fleet: <prefix>001.. at consecutive addresses, groups ocp_agents and fleet."""
    return {"%s%03d" % (fleet["prefix"], i + 1): {
        "address": "%s%d" % (SUBNET_PREFIX, fleet["first_address"] + i),
        "groups": ["ocp_agents", "fleet"],
        "ocp_agent_flavor": fleet["flavors"][i % len(fleet["flavors"])],
    } for i in range(fleet["agents"])}


def read_spec_file(path, depth=0):
    """the spec's YAML; `extends: FILE` (relative to the spec) starts from that spec: its network,
    zookeeper and fleet settings under the file's own, its hosts first, a host of the same name replaced."""
    import yaml  # only the controller side needs PyYAML; the in-host init does not load the spec

    with open(path) as fh:
        spec = yaml.safe_load(fh) or {}
    base = spec.pop("extends", None)
    if base is None:
        return spec
    if depth > 4:
        raise LabError("%s: `extends` nests deeper than 5 files" % path)
    parent = read_spec_file(os.path.join(os.path.dirname(os.path.abspath(path)), base), depth + 1)
    for key in ("network", "zookeeper", "fleet"):
        parent[key] = dict(parent.get(key) or {}, **(spec.get(key) or {}))
    parent["hosts"] = dict(parent.get("hosts") or {}, **(spec.get("hosts") or {}))
    return parent


def check_zookeeper_options(path, name, zk):
    """peer_type and jvm_flags of a ZooKeeper host: what zoo.cfg and java.env are written from."""
    zk.setdefault("peer_type", "participant")
    if zk["peer_type"] not in ("participant", "observer"):
        raise LabError("%s: host %s: zookeeper.peer_type %r is not participant|observer" % (path, name, zk["peer_type"]))
    flags = zk.setdefault("jvm_flags", [])
    if not isinstance(flags, list) or not all(isinstance(f, str) and JVM_FLAG_RE.match(f) for f in flags):
        raise LabError("%s: host %s: zookeeper.jvm_flags must be a list of JVM options such as "
                       "-XX:+DisableAttachMechanism (one option per item, no spaces), got %r" % (path, name, flags))
    heap = zk.get("heap_mb", 128)
    if isinstance(heap, bool) or not isinstance(heap, int) or not 32 <= heap <= 4096:
        raise LabError("%s: host %s: zookeeper.heap_mb %r is not a number of MB in 32-4096" % (path, name, heap))
