"""Lab scenario files: parsing and validation (pure, no side effects).

`load(path)` / `parse(doc)` return a `Scenario` or raise `ScenarioError` whose `errors` list holds
one message per problem, each starting with the JSON path of the offending value, e.g.
`hosts[1].vmknics[0].segment: unknown segment 'bakup'`. Every key is documented in docs/lab.md.
"""

import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


class ScenarioError(Exception):
    def __init__(self, errors: List[str], source: str = "scenario"):
        self.errors = list(errors)
        self.source = source
        super().__init__("\n".join(f"{source}: {e}" for e in self.errors))


# esxcli spellings of the vmknic service tags (reference esxi.md section 2).
KNOWN_TAGS = (
    "Management", "VMotion", "faultToleranceLogging", "vSphereReplication",
    "vSphereReplicationNFC", "VSAN", "vSphereProvisioning", "VSANWitness", "vSphereBackupNFC",
    "PrecisionTimeProtocol", "NVMeTCP", "NVMeRDMA",
)
BACKUP_TAG = "vSphereBackupNFC"

# Known ESXi builds so a scenario can say just "version": "8.0.3".
KNOWN_VERSIONS = {
    "8.0.3": ("Releasebuild-24677879", "3", "0"),
    "8.0.2": ("Releasebuild-22380479", "2", "0"),
    "8.0.1": ("Releasebuild-21495797", "1", "0"),
    "7.0.3": ("Releasebuild-19193900", "3", "20"),
    "6.5.0": ("Releasebuild-8294253", "0", "0"),
}

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
SEGMENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
VMK_RE = re.compile(r"^vmk([0-9]|[1-9][0-9])$")
IFNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,14}$")
NETSTACK_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
VERSION_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
RATE_RE = re.compile(r"^[0-9]+(\.[0-9]+)?(bit|kbit|mbit|gbit|tbit|bps|kbps|mbps|gbps|tbps)$",
                     re.IGNORECASE)
MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
BYTES_RE = re.compile(r"^([0-9]+)([KMG]?)$")
MTU_MIN, MTU_MAX = 576, 9216
MAX_NODES = 200
ROLES = ("management", "backup", "other")
VLAN_TRUNK = 4095  # a portgroup with VLAN 4095 passes every VLAN (trunk)


@dataclass
class Segment:
    name: str
    index: int
    mtu: int = 1500
    rate: Optional[str] = None
    up: bool = True
    # What the safety rule takes the segment for; None until parse() derives it (segment_roles).
    role: Optional[str] = None
    role_given: bool = False
    vlan: int = 0  # the VLAN id hosts' portgroups on this segment claim by default (100 + index)


@dataclass
class Iface:
    """A vmknic of a host, or an interface of a proxy or router."""
    name: str
    index: int
    segment: str
    ipv4: Optional[ipaddress.IPv4Interface] = None
    ipv6: List[ipaddress.IPv6Interface] = field(default_factory=list)
    mtu: int = 1500
    mac: Optional[str] = None
    enabled: bool = True
    # vmknic only
    portgroup: str = ""
    portset: str = "vSwitch0"  # the standard vSwitch ("" when on a VDS)
    netstack: str = "defaultTcpipStack"
    tags: List[str] = field(default_factory=list)
    vds: str = ""  # VDS name; non-empty => on that distributed switch
    vlan: Optional[int] = None  # the portgroup's VLAN id; None until derived from the segment
    vlan_given: bool = False
    switch_given: bool = False
    # proxy and router interfaces only: more IPv4 addresses on the same interface
    ipv4_secondary: List[ipaddress.IPv4Interface] = field(default_factory=list)


@dataclass
class Route:
    to: str  # "default" or a CIDR
    via: ipaddress.IPv4Address


@dataclass
class Node:
    kind: str  # "host" | "proxy" | "router"
    id: str
    index: int
    ifaces: List[Iface]
    routes: List[Route] = field(default_factory=list)
    # host only
    hostname: str = ""
    version: str = "8.0.3"
    build: str = ""
    update: str = ""
    patch: str = ""
    gateway: Optional[ipaddress.IPv4Address] = None
    agent: Dict[str, Any] = field(default_factory=dict)
    esxsim: Dict[str, Any] = field(default_factory=dict)
    # "agent": bnfc-hostd reports the host; "vsphere": the proxy reads and tags it through the
    # vSphere API (bnfc-vcsim in the lab, labkit/vsphere.py); "both": agent and API (cross-check)
    source: str = "agent"
    # What bnfc-vcsim shows of the host: "live" (its state file, as the host is now) or "frozen"
    # (a copy taken when the lab starts: a vCenter whose view lags behind the host).
    vcenter_view: str = "live"
    # proxy only
    mapping: List[Dict[str, str]] = field(default_factory=list)
    backup_interfaces: Optional[List[str]] = None  # None: derived (interfaces on backup segments)

    def iface(self, name: str) -> Optional[Iface]:
        return next((i for i in self.ifaces if i.name == name), None)


@dataclass
class Traffic:
    proxy: str
    host: str
    bytes: int
    timeout_s: float
    where: str  # "traffic[0]" or "steps[3].traffic"
    # Ground truth the scenario promises: which segment carries the copy (None = none; a list =
    # exactly these segments each carried it, a routed path) and whether it succeeds.
    expect_segment: Any = None
    check_segment: bool = False
    expect_ok: Optional[bool] = None
    expect_served_by: Optional[str] = None  # host id whose NBD server must have sent the bytes
    check_served_by: bool = False


@dataclass
class Expectation:
    """What an `expect` step waits for in a proxy's report (and, for `pinned`, in its kernel)."""
    host: str
    verdict: Optional[str] = None
    findings: List[str] = field(default_factory=list)  # each must be listed
    absent: List[str] = field(default_factory=list)  # none of these may be listed
    pinned: Optional[bool] = None  # the host's NFC address has (or has not) a pin in table 902
    address: Optional[str] = None  # the NFC address the proxy must show for the host
    interface: Optional[str] = None  # the proxy interface the pin must use
    not_pinned: List[str] = field(default_factory=list)  # addresses without a pin in table 902
    within_s: float = 30.0
    proxy: str = ""  # default: every proxy
    not_verdict: List[str] = field(default_factory=list)  # verdicts the pair must not have
    # What to expect instead when the host is in API mode (its "vsphere" object: the same keys,
    # replacing these); None: the same as with the agent.
    vsphere: Optional["Expectation"] = None

    def for_source(self, source: str) -> "Expectation":
        return self.vsphere if source == "vsphere" and self.vsphere is not None else self


@dataclass
class Step:
    kind: str  # one of STEP_KINDS
    where: str
    traffic: Optional[Traffic] = None
    host: str = ""
    args: List[str] = field(default_factory=list)
    expect_exit: Optional[int] = None
    seconds: float = 0.0
    segment: str = ""
    up: Optional[bool] = None
    node: str = ""  # "agent" and "ip" steps
    action: str = ""  # "agent" steps: start | stop | kill
    expect: Optional[Expectation] = None


@dataclass
class Scenario:
    segments: List[Segment]
    hosts: List[Node]
    proxies: List[Node]
    routers: List[Node]
    traffic: List[Traffic]
    steps: List[Step]
    description: str = ""
    # Why the scenario cannot run with hosts in API mode ("" = it can), from its "vsphere": {"skip"}
    vsphere_skip: str = ""

    def segment(self, name: str) -> Segment:
        return next(s for s in self.segments if s.name == name)

    def node(self, node_id: str) -> Node:
        return next(n for n in self.nodes() if n.id == node_id)

    def nodes(self) -> List[Node]:
        return self.hosts + self.proxies + self.routers

    def segments_with_role(self, role: str) -> List[str]:
        return [s.name for s in self.segments if s.role == role]


def management_iface(host: Node) -> Iface:
    """The host's management vmknic: vmk0, else its first vmknic."""
    return host.iface("vmk0") or host.ifaces[0]


def derive_roles(segments: List[Segment], hosts: List[Node], proxies: List[Node]) -> None:
    """Fills each segment's role unless the scenario gave it (pure): `management` when a host's
    management vmknic sits on it, else `backup` when a proxy has an interface on it, else
    `other` (e.g. a segment behind a router, or one no proxy sees)."""
    mgmt = {management_iface(h).segment for h in hosts if h.ifaces}
    proxied = {i.segment for p in proxies for i in p.ifaces}
    for s in segments:
        if not s.role_given:
            s.role = ("management" if s.name in mgmt else
                      "backup" if s.name in proxied else "other")


def derive_l2(v: "_V", hosts: List[Node], segments: List[Segment]) -> None:
    """Fills each vmknic's VLAN from its segment unless the scenario gave one, and makes the
    vmknics of one portgroup agree (a portgroup has one VLAN and one switch): the first vmknic
    of a portgroup decides for the others; explicit values that disagree are an error."""
    seg_vlan = {s.name: s.vlan for s in segments}
    for h in hosts:
        first: Dict[str, Iface] = {}
        for it in h.ifaces:
            if it.vlan is None:
                it.vlan = seg_vlan.get(it.segment, 0)
            pg = first.get(it.portgroup)
            if pg is None:
                first[it.portgroup] = it
                continue
            p = f"hosts[{h.index}].vmknics[{it.index}]"
            if it.vlan_given and pg.vlan_given and it.vlan != pg.vlan:
                v.err(f"{p}.vlan", f"{it.vlan} differs from {pg.name}'s {pg.vlan}: portgroup "
                                   f"'{it.portgroup}' has one VLAN")
            elif it.switch_given and pg.switch_given and (it.portset, it.vds) != (pg.portset, pg.vds):
                v.err(f"{p}", f"switch differs from {pg.name}'s: portgroup '{it.portgroup}' is on "
                              "one switch")
            if not it.vlan_given:
                it.vlan = pg.vlan
            if not it.switch_given:
                it.portset, it.vds = pg.portset, pg.vds


def parse_bytes(value: Any) -> Optional[int]:
    """'64M' -> 67108864 (K/M/G are binary); a plain integer is taken as is."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        m = BYTES_RE.match(value.strip())
        if m:
            return int(m.group(1)) * {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[m.group(2)]
    return None


def mac_for(kind: str, node_index: int, iface_index: int) -> str:
    """Deterministic MACs: hosts in VMware's 00:50:56 range, proxies/routers locally administered."""
    if kind == "host":
        return f"00:50:56:{0x10 + node_index // 256:02x}:{node_index % 256:02x}:{iface_index:02x}"
    first = {"proxy": 0x02, "router": 0x06}[kind]
    return f"{first:02x}:bf:00:{node_index // 256:02x}:{node_index % 256:02x}:{iface_index:02x}"


_TYPES = {str: "a string", int: "an integer", bool: "true or false", list: "a list",
          dict: "an object", float: "a number"}


class _V:
    """Collects errors while walking the document."""

    def __init__(self):
        self.errors: List[str] = []

    def err(self, path: str, msg: str) -> None:
        self.errors.append(f"{path}: {msg}")

    def typed(self, value: Any, typ: type, path: str) -> bool:
        ok = isinstance(value, typ) and not (typ in (int, float) and isinstance(value, bool))
        if typ is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            self.err(path, f"expected {_TYPES[typ]}, got {json.dumps(value)[:60]}")
        return ok

    def obj(self, value: Any, path: str, required: tuple, optional: tuple) -> Optional[dict]:
        if not self.typed(value, dict, path):
            return None
        allowed = set(required) | set(optional)
        for k in value:
            if k not in allowed:
                self.err(f"{path}.{k}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for k in required:
            if k not in value:
                self.err(path, f"missing required key '{k}'")
        return value

    def get(self, o: dict, key: str, typ: type, path: str, default: Any = None) -> Any:
        if key not in o:
            return default
        v = o[key]
        return v if self.typed(v, typ, f"{path}.{key}") else default

    def lst(self, o: dict, key: str, path: str, required: bool = False) -> list:
        if key not in o:
            return []
        v = o[key]
        if not self.typed(v, list, f"{path}.{key}"):
            return []
        if required and not v:
            self.err(f"{path}.{key}", "must not be empty")
        return v

    def mtu(self, o: dict, path: str, default: int) -> int:
        v = self.get(o, "mtu", int, path, default)
        if not MTU_MIN <= v <= MTU_MAX:
            self.err(f"{path}.mtu", f"{v} is outside {MTU_MIN}..{MTU_MAX}")
            return default
        return v

    def ipv4(self, o: dict, key: str, path: str) -> Optional[ipaddress.IPv4Interface]:
        v = self.get(o, key, str, path)
        if v is None:
            return None
        return self.ipv4_value(v, f"{path}.{key}")

    def ipv4_value(self, v: Any, p: str) -> Optional[ipaddress.IPv4Interface]:
        if not self.typed(v, str, p):
            return None
        if "/" not in v:
            self.err(p, f"'{v}' is not a CIDR address: expected ADDRESS/PREFIX, e.g. 10.99.0.11/24")
            return None
        try:
            iface = ipaddress.IPv4Interface(v)
        except ValueError as e:
            self.err(p, f"'{v}' is not a valid IPv4 CIDR address ({e})")
            return None
        net = iface.network
        if net.prefixlen < 31 and iface.ip in (net.network_address, net.broadcast_address):
            self.err(p, f"'{v}' is the {'network' if iface.ip == net.network_address else 'broadcast'}"
                        f" address of {net}, not a host address")
            return None
        if iface.ip.is_loopback or iface.ip.is_multicast or iface.ip.is_unspecified:
            self.err(p, f"'{v}' is not a usable unicast address")
            return None
        return iface

    def ipv6_list(self, o: dict, path: str) -> List[ipaddress.IPv6Interface]:
        out = []
        for i, v in enumerate(self.lst(o, "ipv6", path)):
            p = f"{path}.ipv6[{i}]"
            if not self.typed(v, str, p):
                continue
            if "/" not in v:
                self.err(p, f"'{v}' is not a CIDR address: expected ADDRESS/PREFIX, e.g. fd00:99::11/64")
                continue
            try:
                out.append(ipaddress.IPv6Interface(v))
            except ValueError as e:
                self.err(p, f"'{v}' is not a valid IPv6 CIDR address ({e})")
        return out

    def mac(self, o: dict, path: str) -> Optional[str]:
        v = self.get(o, "mac", str, path)
        if v is not None and not MAC_RE.match(v):
            self.err(f"{path}.mac", f"'{v}' is not a MAC address (expected lower-case aa:bb:cc:dd:ee:ff)")
            return None
        return v


def _segments(v: _V, doc: dict) -> List[Segment]:
    out: List[Segment] = []
    for i, s in enumerate(v.lst(doc, "segments", "segments", required=True)):
        p = f"segments[{i}]"
        o = v.obj(s, p, ("name",), ("mtu", "rate", "up", "role", "vlan", "comment"))
        if o is None:
            continue
        name = v.get(o, "name", str, p, "")
        if name and not SEGMENT_RE.match(name):
            v.err(f"{p}.name", f"'{name}' must be 1-32 letters, digits, '-' or '_'")
        if name and any(x.name == name for x in out):
            v.err(f"{p}.name", f"duplicate segment '{name}'")
        rate = v.get(o, "rate", str, p)
        if rate is not None and not RATE_RE.match(rate):
            v.err(f"{p}.rate", f"'{rate}' is not a tc rate (e.g. 100mbit, 1gbit, 500kbit)")
            rate = None
        v.get(o, "comment", str, p)
        role = v.get(o, "role", str, p)
        if role is not None and role not in ROLES:
            v.err(f"{p}.role", f"'{role}' is not one of {', '.join(ROLES)}")
            role = None
        vlan = v.get(o, "vlan", int, p, 100 + i)
        if not 0 <= vlan <= VLAN_TRUNK:
            v.err(f"{p}.vlan", f"{vlan} is outside 0..{VLAN_TRUNK}")
            vlan = 100 + i
        out.append(Segment(name=name, index=i, mtu=v.mtu(o, p, 1500), rate=rate,
                           up=v.get(o, "up", bool, p, True), role=role,
                           role_given=role is not None, vlan=vlan))
    return out


def _iface(v: _V, o: dict, p: str, index: int, seg_names: set, vmknic: bool) -> Iface:
    name = v.get(o, "name", str, p, "")
    if name:
        if vmknic and not VMK_RE.match(name):
            v.err(f"{p}.name", f"'{name}' is not a vmknic name (vmk0 .. vmk99)")
        elif not vmknic and (not IFNAME_RE.match(name) or name == "lo"):
            v.err(f"{p}.name", f"'{name}' is not a usable Linux interface name (1-15 characters)")
    seg = v.get(o, "segment", str, p, "")
    if seg and seg not in seg_names:
        v.err(f"{p}.segment", f"unknown segment '{seg}'")
    it = Iface(name=name, index=index, segment=seg, ipv4=v.ipv4(o, "ipv4", p),
               ipv6=v.ipv6_list(o, p), mtu=v.mtu(o, p, 1500), mac=v.mac(o, p))
    if vmknic:
        it.enabled = v.get(o, "enabled", bool, p, True)
        it.portgroup = v.get(o, "portgroup", str, p,
                             "Management Network" if name == "vmk0" else f"{name} portgroup")
        it.switch_given = any(k in o for k in ("portset", "vswitch", "vds"))
        it.portset = v.get(o, "vswitch", str, p, v.get(o, "portset", str, p, "vSwitch0"))
        if "vswitch" in o and "portset" in o and o["vswitch"] != o["portset"]:
            v.err(f"{p}.vswitch", "differs from portset (two names for one thing): give one")
        it.vds = v.get(o, "vds", str, p, "")
        if it.vds:
            if "vswitch" in o or "portset" in o:
                v.err(f"{p}.vds", "a vmknic is on a VDS or on a standard vSwitch, not both")
            it.portset = ""
        if "vlan" in o:
            vlan = v.get(o, "vlan", int, p)
            if vlan is not None and not 0 <= vlan <= VLAN_TRUNK:
                v.err(f"{p}.vlan", f"{vlan} is outside 0..{VLAN_TRUNK} ({VLAN_TRUNK} = trunk)")
            elif vlan is not None:
                it.vlan, it.vlan_given = vlan, True
        it.netstack = v.get(o, "netstack", str, p, "defaultTcpipStack")
        if not NETSTACK_RE.match(it.netstack):
            v.err(f"{p}.netstack", f"'{it.netstack}' is not a netstack name (e.g. defaultTcpipStack, vmotion)")
        default_tags = ["Management"] if name == "vmk0" else []
        tags = o.get("tags", default_tags)
        if "tags" in o and v.typed(tags, list, f"{p}.tags"):
            for j, t in enumerate(tags):
                if not v.typed(t, str, f"{p}.tags[{j}]"):
                    continue
                if t not in KNOWN_TAGS:
                    v.err(f"{p}.tags[{j}]", f"unknown tag '{t}' (known: {', '.join(KNOWN_TAGS)})")
                elif tags.index(t) != j:
                    v.err(f"{p}.tags[{j}]", f"duplicate tag '{t}'")
        it.tags = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
    else:
        it.enabled = v.get(o, "up", bool, p, True)
        for j, a in enumerate(v.lst(o, "ipv4_secondary", p)):
            extra = v.ipv4_value(a, f"{p}.ipv4_secondary[{j}]")
            if extra is not None:
                it.ipv4_secondary.append(extra)
        if it.ipv4_secondary and it.ipv4 is None:
            v.err(f"{p}.ipv4_secondary", "needs a primary 'ipv4' on the same interface")
    return it


def _routes(v: _V, o: dict, p: str, node_ifaces: List[Iface]) -> List[Route]:
    out = []
    for i, r in enumerate(v.lst(o, "routes", p)):
        rp = f"{p}.routes[{i}]"
        ro = v.obj(r, rp, ("to", "via"), ())
        if ro is None:
            continue
        to = v.get(ro, "to", str, rp, "")
        if to and to != "default":
            try:
                ipaddress.IPv4Network(to)
            except ValueError as e:
                v.err(f"{rp}.to", f"'{to}' is neither 'default' nor an IPv4 network ({e})")
        via_s = v.get(ro, "via", str, rp, "")
        via = None
        if via_s:
            try:
                via = ipaddress.IPv4Address(via_s)
            except ValueError:
                v.err(f"{rp}.via", f"'{via_s}' is not an IPv4 address")
        if via is not None and not any(x.ipv4 and via in x.ipv4.network for x in node_ifaces):
            v.err(f"{rp}.via", f"{via} is not in the subnet of any of this node's interfaces")
        elif via is not None and to:
            out.append(Route(to=to, via=via))
    return out


HOST_KEYS = ("hostname", "version", "build", "update", "patch", "gateway", "agent", "esxsim",
             "source", "vcenter_view", "comment")
VCENTER_VIEWS = ("live", "frozen")
HOST_SOURCES = ("agent", "vsphere", "both")
AGENT_KEYS = ("backup_vmk", "backup_portgroup", "backup_subnet", "tag_policy", "fallback",
              "fallback_after", "interval_s")
ESXSIM_KEYS = ("faults", "options", "firewall_rulesets", "vibs")
VMKNIC_KEYS = ("ipv4", "ipv6", "mtu", "mac", "enabled", "portgroup", "portset", "vswitch", "vds",
               "vlan", "netstack", "tags", "comment")
PIF_KEYS = ("ipv4", "ipv4_secondary", "ipv6", "mtu", "mac", "up", "comment")


def _nodes(v: _V, doc: dict, key: str, seg_names: set) -> List[Node]:
    kind = key[:-1] if key != "proxies" else "proxy"
    out: List[Node] = []
    for i, n in enumerate(v.lst(doc, key, key)):
        p = f"{key}[{i}]"
        iface_key = "vmknics" if kind == "host" else "interfaces"
        extra = {"host": HOST_KEYS, "proxy": ("mapping", "agent", "routes", "comment"),
                 "router": ("routes", "comment")}[kind]
        o = v.obj(n, p, ("id", iface_key), extra)
        if o is None:
            continue
        nid = v.get(o, "id", str, p, "")
        if nid and not ID_RE.match(nid):
            v.err(f"{p}.id", f"'{nid}' must be 1-32 lower-case letters, digits or '-', starting with a"
                             " letter or digit")
        ifaces: List[Iface] = []
        for j, x in enumerate(v.lst(o, iface_key, p, required=True)):
            ip = f"{p}.{iface_key}[{j}]"
            xo = v.obj(x, ip, ("name", "segment"), VMKNIC_KEYS if kind == "host" else PIF_KEYS)
            if xo is None:
                continue
            it = _iface(v, xo, ip, j, seg_names, vmknic=(kind == "host"))
            if it.name and any(y.name == it.name for y in ifaces):
                v.err(f"{ip}.name", f"duplicate interface '{it.name}' in {nid or p}")
            ifaces.append(it)
        node = Node(kind=kind, id=nid, index=i, ifaces=ifaces)
        if kind == "host":
            _host_fields(v, o, p, node)
        if kind == "proxy":
            _proxy_fields(v, o, p, node)
        if kind in ("proxy", "router"):
            node.routes = _routes(v, o, p, ifaces)
        v.get(o, "comment", str, p)
        out.append(node)
    if len(out) > MAX_NODES:
        v.err(key, f"at most {MAX_NODES} entries are supported")
    return out


def _host_fields(v: _V, o: dict, p: str, node: Node) -> None:
    node.hostname = v.get(o, "hostname", str, p, node.id)
    node.version = v.get(o, "version", str, p, "8.0.3")
    if not VERSION_RE.match(node.version):
        v.err(f"{p}.version", f"'{node.version}' is not an ESXi version like 8.0.3")
    known = KNOWN_VERSIONS.get(node.version)
    if known is None and "build" not in o:
        v.err(p, f"version '{node.version}' has no known build: add \"build\" "
                 f"(known versions: {', '.join(KNOWN_VERSIONS)})")
    b, u, pa = known or ("", node.version.split(".")[2] if VERSION_RE.match(node.version) else "", "0")
    node.build = v.get(o, "build", str, p, b)
    node.update = v.get(o, "update", str, p, u)
    node.patch = v.get(o, "patch", str, p, pa)
    vmk0 = node.iface("vmk0")
    gw_s = v.get(o, "gateway", str, p)
    if gw_s is not None:
        try:
            node.gateway = ipaddress.IPv4Address(gw_s)
        except ValueError:
            v.err(f"{p}.gateway", f"'{gw_s}' is not an IPv4 address")
        else:
            if not (vmk0 and vmk0.ipv4 and node.gateway in vmk0.ipv4.network):
                v.err(f"{p}.gateway", f"{gw_s} is not in vmk0's subnet")
                node.gateway = None
    elif vmk0 and vmk0.ipv4 and vmk0.ipv4.network.num_addresses > 2:
        node.gateway = vmk0.ipv4.network.network_address + 1
        if node.gateway == vmk0.ipv4.ip:
            node.gateway = None
    agent = o.get("agent", {})
    ap = f"{p}.agent"
    if "agent" in o and v.obj(agent, ap, (), AGENT_KEYS) is not None:
        bv = v.get(agent, "backup_vmk", str, ap)
        if bv is not None and node.iface(bv) is None:
            v.err(f"{ap}.backup_vmk", f"'{bv}' is not a vmknic of {node.id}")
        pol = v.get(agent, "tag_policy", str, ap)
        if pol is not None and pol not in ("ensure", "observe"):
            v.err(f"{ap}.tag_policy", f"'{pol}' is not 'ensure' or 'observe'")
        fb = v.get(agent, "fallback", str, ap)
        if fb is not None and fb not in ("none", "management"):
            v.err(f"{ap}.fallback", f"'{fb}' is not 'none' or 'management'")
        v.get(agent, "backup_portgroup", str, ap)
        sub = v.get(agent, "backup_subnet", str, ap)
        if sub is not None:
            try:
                ipaddress.IPv4Network(sub)
            except ValueError as e:
                v.err(f"{ap}.backup_subnet", f"'{sub}' is not an IPv4 network ({e})")
        for k in ("fallback_after", "interval_s"):
            x = v.get(agent, k, int, ap)
            if x is not None and x < 1:
                v.err(f"{ap}.{k}", f"must be at least 1, got {x}")
        node.agent = dict(agent)
    node.source = v.get(o, "source", str, p, "agent")
    if node.source not in HOST_SOURCES:
        v.err(f"{p}.source", f"'{node.source}' is not one of {', '.join(HOST_SOURCES)}")
    node.vcenter_view = v.get(o, "vcenter_view", str, p, "live")
    if node.vcenter_view not in VCENTER_VIEWS:
        v.err(f"{p}.vcenter_view", f"'{node.vcenter_view}' is not one of {', '.join(VCENTER_VIEWS)}")
    es = o.get("esxsim", {})
    if "esxsim" in o and v.obj(es, f"{p}.esxsim", (), ESXSIM_KEYS) is not None:
        for k, t in (("faults", dict), ("options", dict), ("firewall_rulesets", list), ("vibs", list)):
            v.get(es, k, t, f"{p}.esxsim")
        node.esxsim = dict(es)


def _proxy_fields(v: _V, o: dict, p: str, node: Node) -> None:
    v.obj(o.get("agent", {}), f"{p}.agent", (),
          ("allow_public_plaintext", "freshness_s", "backup_interfaces"))
    if isinstance(o.get("agent"), dict):
        v.get(o["agent"], "allow_public_plaintext", bool, f"{p}.agent")
        if "backup_interfaces" in o["agent"]:
            bi = v.get(o["agent"], "backup_interfaces", list, f"{p}.agent", [])
            node.backup_interfaces = []
            for j, name in enumerate(bi):
                bp = f"{p}.agent.backup_interfaces[{j}]"
                if v.typed(name, str, bp) and node.iface(name) is None:
                    v.err(bp, f"'{name}' is not an interface of {node.id or p}")
                elif isinstance(name, str):
                    node.backup_interfaces.append(name)
        fr = v.get(o["agent"], "freshness_s", int, f"{p}.agent")
        if fr is not None and not 1 <= fr <= 3600:
            v.err(f"{p}.agent.freshness_s", f"{fr} is outside 1..3600 seconds")
        node.agent = dict(o["agent"])
    for i, m in enumerate(v.lst(o, "mapping", p)):
        mp = f"{p}.mapping[{i}]"
        mo = v.obj(m, mp, ("address", "interface"), ("via",))
        if mo is None:
            continue
        addr = v.get(mo, "address", str, mp, "")
        if addr:
            try:
                ipaddress.ip_network(addr, strict=False)
            except ValueError as e:
                v.err(f"{mp}.address", f"'{addr}' is not an IP address or prefix ({e})")
        ifn = v.get(mo, "interface", str, mp, "")
        if ifn and node.iface(ifn) is None:
            v.err(f"{mp}.interface", f"'{ifn}' is not an interface of {node.id or p}")
        entry = {"address": addr, "interface": ifn}
        via = v.get(mo, "via", str, mp)
        if via is not None:
            try:
                ipaddress.ip_address(via)
                entry["via"] = via
            except ValueError:
                v.err(f"{mp}.via", f"'{via}' is not an IP address")
        node.mapping.append(entry)


def _traffic(v: _V, t: Any, p: str, hosts: set, proxies: set, segs: set) -> Optional[Traffic]:
    o = v.obj(t, p, ("proxy", "host", "bytes"),
              ("timeout_s", "expect_segment", "expect_ok", "expect_served_by", "comment"))
    if o is None:
        return None
    px = v.get(o, "proxy", str, p, "")
    if px and px not in proxies:
        v.err(f"{p}.proxy", f"unknown proxy '{px}'")
    h = v.get(o, "host", str, p, "")
    if h and h not in hosts:
        v.err(f"{p}.host", f"unknown host '{h}'")
    n = parse_bytes(o.get("bytes"))
    if "bytes" in o and (n is None or n < 4096 or n > (64 << 30)):
        v.err(f"{p}.bytes", f"{json.dumps(o['bytes'])} is not a size between 4K and 64G "
                            "(an integer or e.g. \"64M\", K/M/G = 1024-based)")
        n = None
    timeout = v.get(o, "timeout_s", float, p)
    if timeout is not None and timeout <= 0:
        v.err(f"{p}.timeout_s", "must be positive")
        timeout = None
    check_segment = "expect_segment" in o
    seg = o.get("expect_segment")
    names = seg if isinstance(seg, list) else [seg]
    if check_segment and seg is not None and (
            not names or not all(isinstance(x, str) and x in segs for x in names)):
        v.err(f"{p}.expect_segment", f"{json.dumps(seg)} is neither a segment name, a list of "
                                     "segment names (a routed copy crosses several) nor null")
    expect_ok = v.get(o, "expect_ok", bool, p)
    check_served = "expect_served_by" in o
    served = o.get("expect_served_by")
    if check_served and served is not None and not (isinstance(served, str) and served in hosts):
        v.err(f"{p}.expect_served_by", f"{json.dumps(served)} is neither a host id nor null")
        served = None
    if n is None:
        return None
    if timeout is None:
        timeout = 30.0 + n / (5 << 20)  # generous: 5 MiB/s worst case plus setup
    return Traffic(proxy=px, host=h, bytes=n, timeout_s=float(timeout), where=p,
                   expect_segment=seg if isinstance(seg, (str, list)) else None,
                   check_segment=check_segment, expect_ok=expect_ok,
                   expect_served_by=served if isinstance(served, str) else None,
                   check_served_by=check_served)


STEP_KINDS = ("traffic", "esxcli", "localcli", "vmkping", "sleep", "segment", "agent", "ip",
              "expect")
VERDICTS = ("ISOLATED", "DEGRADED", "UNKNOWN", "UNREACHABLE", "NOT_ISOLATED")
AGENT_ACTIONS = ("start", "stop", "kill")
CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{1,63}$")


def _codes(v: _V, o: dict, key: str, p: str) -> List[str]:
    out = []
    for j, c in enumerate(v.lst(o, key, p)):
        if v.typed(c, str, f"{p}.{key}[{j}]"):
            if CODE_RE.match(c):
                out.append(c)
            else:
                v.err(f"{p}.{key}[{j}]", f"'{c}' is not a finding code (e.g. TAG_MISSING)")
    return out


EXPECT_KEYS = ("verdict", "findings", "absent", "pinned", "address", "interface", "not_pinned",
               "within_s", "proxy", "not_verdict")


def _expectation(v: _V, body: Any, p: str, hosts: set, proxies: set) -> Optional[Expectation]:
    o = v.obj(body, p, ("host",), EXPECT_KEYS + ("vsphere",))
    if o is None:
        return None
    alt = None
    if "vsphere" in o:
        # API mode: the keys given here replace the agent-mode ones (host and proxy stay).
        vo = v.obj(o["vsphere"], f"{p}.vsphere", (), tuple(k for k in EXPECT_KEYS if k != "proxy"))
        if vo is not None:
            merged = {k: x for k, x in o.items()
                      if k in ("host", "proxy", "within_s") or (k not in vo and k != "vsphere"
                                                                and not _replaced(k, vo))}
            merged.update(vo)
            alt = _expectation(v, merged, f"{p}.vsphere", hosts, proxies)
    h = v.get(o, "host", str, p, "")
    if h and h not in hosts:
        v.err(f"{p}.host", f"unknown host '{h}'")
    verdict = v.get(o, "verdict", str, p)
    if verdict is not None and verdict not in VERDICTS:
        v.err(f"{p}.verdict", f"'{verdict}' is not a verdict ({', '.join(VERDICTS)})")
    px = v.get(o, "proxy", str, p, "")
    if px and px not in proxies:
        v.err(f"{p}.proxy", f"unknown proxy '{px}'")
    not_verdict = []
    for j, x in enumerate(v.lst(o, "not_verdict", p)):
        if v.typed(x, str, f"{p}.not_verdict[{j}]"):
            if x in VERDICTS:
                not_verdict.append(x)
            else:
                v.err(f"{p}.not_verdict[{j}]", f"'{x}' is not a verdict ({', '.join(VERDICTS)})")
    addr = v.get(o, "address", str, p)
    if addr is not None:
        try:
            addr = str(ipaddress.ip_address(addr))
        except ValueError:
            v.err(f"{p}.address", f"'{addr}' is not an IP address")
    not_pinned = []
    for j, a in enumerate(v.lst(o, "not_pinned", p)):
        try:
            not_pinned.append(str(ipaddress.ip_address(a)))
        except ValueError:
            v.err(f"{p}.not_pinned[{j}]", f"{json.dumps(a)} is not an IP address")
    within = v.get(o, "within_s", float, p, 30.0)
    if not 0 < within <= 600:
        v.err(f"{p}.within_s", f"{within} is outside 0..600 seconds")
    e = Expectation(host=h, verdict=verdict, findings=_codes(v, o, "findings", p),
                    absent=_codes(v, o, "absent", p), pinned=v.get(o, "pinned", bool, p),
                    address=addr, interface=v.get(o, "interface", str, p),
                    not_pinned=not_pinned, within_s=float(within), proxy=px,
                    not_verdict=not_verdict, vsphere=alt)
    if e.verdict is None and not e.findings and not e.absent and e.pinned is None \
            and e.address is None and not e.not_pinned and not e.not_verdict:
        v.err(p, "expects nothing: give verdict, not_verdict, findings, absent, pinned or address")
    return e


def _replaced(key: str, override: dict) -> bool:
    """A verdict override also replaces the other verdict key (verdict vs not_verdict), so an API
    expectation never inherits a contradicting agent-mode one."""
    return key in ("verdict", "not_verdict") and ("verdict" in override or "not_verdict" in override)


def _steps(v: _V, doc: dict, hosts: set, proxies: set, segs: set, nodes: set) -> List[Step]:
    out: List[Step] = []
    for i, s in enumerate(v.lst(doc, "steps", "steps")):
        p = f"steps[{i}]"
        if not v.typed(s, dict, p):
            continue
        kinds = [k for k in s if k in STEP_KINDS]
        others = [k for k in s if k not in STEP_KINDS and k != "comment"]
        if others:
            v.err(f"{p}.{others[0]}", f"unknown key (a step has exactly one of: {', '.join(STEP_KINDS)})")
            continue
        if len(kinds) != 1:
            v.err(p, f"a step has exactly one of: {', '.join(STEP_KINDS)}")
            continue
        k = kinds[0]
        kp = f"{p}.{k}"
        body = s[k]
        if k == "traffic":
            t = _traffic(v, body, kp, hosts, proxies, segs)
            if t:
                out.append(Step(kind=k, where=kp, traffic=t))
        elif k in ("esxcli", "localcli", "vmkping"):
            o = v.obj(body, kp, ("host", "args"), ("expect_exit",))
            if o is None:
                continue
            h = v.get(o, "host", str, kp, "")
            if h and h not in hosts:
                v.err(f"{kp}.host", f"unknown host '{h}'")
            args = v.get(o, "args", list, kp, [])
            if not all(isinstance(a, str) for a in args):
                v.err(f"{kp}.args", "expected a list of strings")
                args = []
            out.append(Step(kind=k, where=kp, host=h, args=list(args),
                            expect_exit=v.get(o, "expect_exit", int, kp)))
        elif k == "agent":
            o = v.obj(body, kp, ("node", "action"), ())
            if o is None:
                continue
            node = v.get(o, "node", str, kp, "")
            if node and node not in hosts and node not in proxies:
                v.err(f"{kp}.node", f"'{node}' is neither a host nor a proxy")
            action = v.get(o, "action", str, kp, "")
            if action and action not in AGENT_ACTIONS:
                v.err(f"{kp}.action", f"'{action}' is not one of {', '.join(AGENT_ACTIONS)}")
            out.append(Step(kind=k, where=kp, node=node, action=action))
        elif k == "ip":
            o = v.obj(body, kp, ("node", "args"), ("expect_exit",))
            if o is None:
                continue
            node = v.get(o, "node", str, kp, "")
            if node and node not in nodes:
                v.err(f"{kp}.node", f"unknown node '{node}'")
            args = v.get(o, "args", list, kp, [])
            if not args or not all(isinstance(a, str) for a in args):
                v.err(f"{kp}.args", "expected a non-empty list of strings (arguments after `ip`)")
                args = []
            elif args[0] in ("netns", "-n", "-netns") or any(a.startswith("-n") for a in args[:1]):
                v.err(f"{kp}.args", "must not choose a namespace: the step runs in the node's own")
            out.append(Step(kind=k, where=kp, node=node, args=list(args),
                            expect_exit=v.get(o, "expect_exit", int, kp, 0)))
        elif k == "expect":
            e = _expectation(v, body, kp, hosts, proxies)
            if e:
                out.append(Step(kind=k, where=kp, host=e.host, expect=e))
        elif k == "sleep":
            sec = body if v.typed(body, float, kp) else 0.0
            if not 0 <= sec <= 600:
                v.err(kp, f"{sec} is outside 0..600 seconds")
            out.append(Step(kind=k, where=kp, seconds=float(sec)))
        else:
            o = v.obj(body, kp, ("name", "up"), ())
            if o is None:
                continue
            name = v.get(o, "name", str, kp, "")
            if name and name not in segs:
                v.err(f"{kp}.name", f"unknown segment '{name}'")
            out.append(Step(kind=k, where=kp, segment=name, up=v.get(o, "up", bool, kp, True)))
    return out


def parse(doc: Any) -> Scenario:
    v = _V()
    top = v.obj(doc, "scenario", ("segments", "hosts"),
                ("proxies", "routers", "traffic", "steps", "description", "comment", "vsphere"))
    if top is None:
        raise ScenarioError(v.errors)
    segments = _segments(v, top)
    seg_names = {s.name for s in segments if s.name}
    hosts = _nodes(v, top, "hosts", seg_names)
    proxies = _nodes(v, top, "proxies", seg_names)
    routers = _nodes(v, top, "routers", seg_names)
    if "hosts" in top and not hosts and not v.errors:
        v.err("hosts", "must not be empty")
    seen: Dict[str, str] = {}
    for kind, nodes in (("hosts", hosts), ("proxies", proxies), ("routers", routers)):
        for n in nodes:
            if n.id in seen:
                v.err(f"{kind}[{n.index}].id", f"'{n.id}' is already used by {seen[n.id]}")
            elif n.id:
                seen[n.id] = f"{kind}[{n.index}]"
    # Real faults stay stageable: one address twice on a segment, several vmknics in one subnet,
    # management and backup on one segment, a proxy with one card. Only what makes a scenario
    # meaningless is refused.
    derive_roles(segments, hosts, proxies)
    derive_l2(v, hosts, segments)
    host_ids = {h.id for h in hosts}
    proxy_ids = {p.id for p in proxies}
    traffic = []
    for i, t in enumerate(v.lst(top, "traffic", "scenario")):
        tr = _traffic(v, t, f"traffic[{i}]", host_ids, proxy_ids, seg_names)
        if tr:
            traffic.append(tr)
    steps = _steps(v, top, host_ids, proxy_ids, seg_names,
                   host_ids | proxy_ids | {r.id for r in routers})
    description = v.get(top, "description", str, "scenario", "")
    vsphere_skip = ""
    if "vsphere" in top:
        vs = v.obj(top["vsphere"], "vsphere", ("skip",), ())
        if vs is not None:
            vsphere_skip = v.get(vs, "skip", str, "vsphere", "")
            if not vsphere_skip.strip():
                v.err("vsphere.skip", "give the reason the scenario cannot run in API mode")
    v.get(top, "comment", str, "scenario")
    if v.errors:
        raise ScenarioError(v.errors)
    return Scenario(segments=segments, hosts=hosts, proxies=proxies, routers=routers,
                    traffic=traffic, steps=steps, description=description,
                    vsphere_skip=vsphere_skip)


def load(path: str) -> Scenario:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise ScenarioError([f"cannot read: {e.strerror}"], source=path) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ScenarioError([f"line {e.lineno} column {e.colno}: invalid JSON: {e.msg}"],
                            source=path) from None
    try:
        return parse(doc)
    except ScenarioError as e:
        e.source = path
        raise ScenarioError(e.errors, source=path) from None
