"""The lab spec (lab/spec.yml and friends): hosts, addresses, groups, ZooKeeper and agent options."""
import os

from labkit.base import DEFAULT_SPEC, JVM_FLAG_RE, SUBNET_PREFIX, LabError


def load_spec(path=None):
    path = path or DEFAULT_SPEC
    spec = read_spec_file(path)
    net = spec.setdefault("network", {})
    net.setdefault("controller_address", SUBNET_PREFIX + "1")
    net.setdefault("controller_interface", "alabops0")
    zk_defaults = spec.setdefault("zookeeper", {})
    hosts = spec.get("hosts") or {}
    if not hosts:
        raise LabError("%s: no hosts" % path)
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


def read_spec_file(path, depth=0):
    """the spec's YAML; `extends: FILE` (relative to the spec) starts from that spec: its network and
    zookeeper defaults under the file's own, its hosts first, a host of the same name replaced."""
    import yaml  # only the controller side needs PyYAML; the in-host init does not load the spec

    with open(path) as fh:
        spec = yaml.safe_load(fh) or {}
    base = spec.pop("extends", None)
    if base is None:
        return spec
    if depth > 4:
        raise LabError("%s: `extends` nests deeper than 5 files" % path)
    parent = read_spec_file(os.path.join(os.path.dirname(os.path.abspath(path)), base), depth + 1)
    for key in ("network", "zookeeper"):
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
