// esxcli/localcli command table and handlers, vmkping, and the argv[0] dispatch.
#include "esxsim/cli.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <set>

#include "esxsim/format.h"
#include "esxsim/vib.h"

namespace esxsim {

using bnfc::ErrorCode;
using bnfc::Expected;
using bnfc::Status;
using bnfc::Unexpected;

namespace {

constexpr int kHelpColumn = 24;
const char kNfcTag[] = "vSphereBackupNFC";

// [UNVERIFIED] texts: no public capture; see docs/esxsim.md.
const char kHostdDown[] = "Connect to localhost failed: Connection failure.\n";

std::string Join(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? sep : "") + items[i];
  }
  return out;
}

bool StartsWith(const std::string& s, const std::string& p) {
  return s.compare(0, p.size(), p) == 0;
}

// "  name                  description" with the description at column 24.
std::string HelpLine(const std::string& name, const std::string& text) {
  std::string line = "  " + name;
  if (line.size() + 2 > static_cast<size_t>(kHelpColumn)) {
    line += "\n" + std::string(kHelpColumn, ' ');
  } else {
    line += std::string(kHelpColumn - line.size(), ' ');
  }
  return line + text + "\n";
}

// ---------------------------------------------------------------- command table

struct OptSpec {
  char short_name = 0;  // 0: long only
  std::string long_name;
  bool takes_value = true;
  bool required = false;
  std::string help;
  std::string value_word = "str";
  std::string Display() const {
    std::string s = short_name ? std::string("-") + short_name + "|" : "";
    s += "--" + long_name;
    if (takes_value) {
      s += "=<" + value_word + ">";
    }
    return s;
  }
  std::string Names() const {
    return (short_name ? std::string("-") + short_name + "|" : "") + "--" + long_name;
  }
};

struct Ctx;
using Handler = std::function<Expected<Output>(Ctx&)>;

struct CommandSpec {
  std::string path;
  std::string help;
  std::vector<OptSpec> opts;
  Handler fn;
};

struct Ctx {
  const CommandSpec* cmd = nullptr;
  std::string prog;
  std::string state_path;
  State st;
  Env* env = nullptr;
  std::multimap<std::string, std::string> opts;
  bool Has(const std::string& name) const { return opts.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& dflt = "") const {
    auto it = opts.find(name);
    return it == opts.end() ? dflt : it->second;
  }
  std::vector<std::string> All(const std::string& name) const {
    std::vector<std::string> v;
    for (auto r = opts.equal_range(name); r.first != r.second; ++r.first) {
      v.push_back(r.first->second);
    }
    return v;
  }
};

Unexpected EsxError(const std::string& text) {
  return Unexpected(ErrorCode::kInvalidArgument, "Error: " + text + "\n");
}

const std::map<std::string, std::string>& NamespaceHelp() {
  static const std::map<std::string, std::string> m = {
      {"network",
       "Operations that pertain to the maintenance of networking on an ESX host. This includes a "
       "wide variety of commands to manipulate virtual networking components (vswitch,\n"
       "                        portgroup, etc) as well as local host IP, DNS and general host "
       "networking settings."},
      {"software", "Manage the ESXi software image and packages"},
      {"system",
       "VMKernel system properties and commands for configuring properties of the kernel core "
       "system and related system services."},
      {"system version", "Commands to get version information."},
      {"network ip", "Operations that can be performed on vmknics."},
      {"network ip interface", "Operations on VMkernel network interfaces."},
      {"network ip interface ipv4", "Operations on the IPv4 settings of VMkernel interfaces."},
      {"network ip interface ipv6", "Operations on the IPv6 settings of VMkernel interfaces."},
      {"network ip interface ipv6 address", "IPv6 addresses of VMkernel interfaces."},
      {"network ip interface tag", "Service tags of VMkernel interfaces."},
      {"network ip netstack", "Network stack instances."},
      {"network ip neighbor", "The neighbor (ARP/ND) cache of the VMkernel."},
      {"network ip route", "The VMkernel routing tables."},
      {"network ip route ipv4", "The IPv4 routing table."},
      {"network vswitch", "Commands to list and manipulate Virtual Switches on an ESX host."},
      {"network vswitch standard", "Commands to list and manipulate standard virtual switches."},
      {"network vswitch standard portgroup",
       "Commands to list and manipulate Port Groups on an ESX host."},
      {"network diag", "Network diagnostics."},
      {"network firewall", "Firewall of the host."},
      {"network firewall ruleset", "Firewall rulesets."},
      {"software vib", "Install, update, remove or display individual VIB packages."},
  };
  return m;
}

// ---------------------------------------------------------------- state views (live merge)

Expected<std::vector<Vmknic>> EffectiveVmknics(Ctx& c) {
  std::vector<Vmknic> out = c.st.vmknics;
  if (!c.st.live) {
    return out;
  }
  auto kernel = c.env->system->Interfaces();
  if (!kernel.ok()) {
    return EsxError("live mode: cannot read the kernel interfaces: " + kernel.error().message);
  }
  for (Vmknic& v : out) {
    auto it = std::find_if(kernel->begin(), kernel->end(),
                           [&](const KernelInterface& k) { return k.name == v.name; });
    if (it == kernel->end()) {
      v.enabled = false;  // no kernel interface of that name in this namespace
      continue;
    }
    v.mac = it->mac;
    v.mtu = it->mtu;
    v.enabled = it->up;
    v.ipv4.address = it->ipv4;
    v.ipv4.netmask = it->netmask;
    if (!it->ipv4.empty()) {
      unsigned a[4], m[4];
      if (sscanf(it->ipv4.c_str(), "%u.%u.%u.%u", &a[0], &a[1], &a[2], &a[3]) == 4 &&
          sscanf(it->netmask.c_str(), "%u.%u.%u.%u", &m[0], &m[1], &m[2], &m[3]) == 4) {
        v.ipv4.broadcast.clear();
        for (int i = 0; i < 4; ++i) {
          v.ipv4.broadcast += (i ? "." : "") + std::to_string((a[i] & m[i]) | (~m[i] & 255u));
        }
      }
    }
    v.ipv6 = it->ipv6;
  }
  return out;
}

Expected<std::vector<Neighbor>> EffectiveNeighbors(Ctx& c) {
  if (!c.st.live) {
    std::vector<Neighbor> out = c.st.neighbors;
    for (Neighbor& n : out) {
      if (n.netstack.empty()) {
        const Vmknic* v = c.st.FindVmknic(n.vmknic);
        n.netstack = v ? v->netstack : "defaultTcpipStack";
      }
    }
    return out;
  }
  auto kernel = c.env->system->Neighbors();
  if (!kernel.ok()) {
    return EsxError("live mode: cannot read the kernel neighbor table: " + kernel.error().message);
  }
  std::vector<Neighbor> out;
  for (const KernelNeighbor& k : *kernel) {
    const Vmknic* v = c.st.FindVmknic(k.ifname);
    if (v == nullptr) {
      continue;  // not a vmknic of this host
    }
    Neighbor n;
    n.ip = k.ip;
    n.mac = k.mac;
    n.vmknic = k.ifname;
    n.expiry_s = std::max<int64_t>(0, 1200 - k.updated_age_s);
    n.type = k.permanent ? "Static" : "Dynamic";
    n.netstack = v->netstack;
    out.push_back(n);
  }
  return out;
}

Expected<const Vmknic*> RequireVmknic(const State& st, const std::string& name) {
  const Vmknic* v = st.FindVmknic(name);
  if (v == nullptr) {
    return EsxError("Unable to find vmknic " + name);
  }
  return v;
}

// ---------------------------------------------------------------- handlers

Expected<Output> VersionGet(Ctx& c) {
  Structure s{"VersionGet", {}};
  s.Add("Product", Value::Str(c.st.host.product));
  s.Add("Version", Value::Str(c.st.host.version));
  s.Add("Build", Value::Str(c.st.host.build));
  s.Add("Update", Value::Str(c.st.host.update));
  s.Add("Patch", Value::Str(c.st.host.patch));
  Output o;
  o.shape = TextShape::kSingle;
  o.value = Value::Struct(s);
  return o;
}

Structure InterfaceStructure(const Vmknic& v, const Version& ver) {
  Structure s{"NetworkInterface", {}};
  s.Add("Name", Value::Str(v.name));
  s.Add("MAC Address", Value::Str(v.mac));
  s.Add("Enabled", Value::Bool(v.enabled));
  // A VDS port: no standard portset or portgroup (reference esxi.md §1.1, vSAN excerpt).
  const bool vds = !v.vds.empty();
  s.Add("Portset", Value::Str(vds ? "DvsPortset-0" : v.portset));
  s.Add("Portgroup", Value::Str(vds ? "N/A" : v.portgroup));
  if (ver.AtLeast(5, 5)) {
    s.Add("Netstack Instance", Value::Str(v.netstack));
  }
  s.Add("VDS Name", Value::Str(v.vds_name));
  s.Add("VDS UUID", Value::Str(v.vds_uuid));
  s.Add("VDS Port", Value::Str(v.vds_port));
  s.Add("VDS Connection", Value::Int(v.vds_connection));
  if (ver.AtLeast(6, 0)) {
    s.Add("Opaque Network ID", Value::Str(v.opaque_network_id));
    s.Add("Opaque Network Type", Value::Str(v.opaque_network_type));
    s.Add("External ID", Value::Str(v.external_id));
  }
  s.Add("MTU", Value::Int(v.mtu));
  s.Add("TSO MSS", Value::Int(v.tso_mss));
  if (ver.AtLeast(6, 7)) {
    s.Add("RXDispQueue Size", Value::Int(v.rxdispqueue_size));
  }
  s.Add("Port ID", Value::Int(v.port_id));
  if (ver.AtLeast(9, 0)) {
    s.Add("URPF", Value::Int(v.urpf));
  }
  return s;
}

Expected<Output> InterfaceList(Ctx& c) {
  auto nics = EffectiveVmknics(c);
  if (!nics.ok()) {
    return nics.error();
  }
  const Version ver = HostVersion(c.st.host);
  Output o;
  o.shape = TextShape::kKeyedList;
  o.record_key = "Name";
  std::vector<Structure> list;
  for (const Vmknic& v : *nics) {
    if (c.Has("netstack") && v.netstack != c.Get("netstack")) {
      continue;
    }
    list.push_back(InterfaceStructure(v, ver));
  }
  o.schema = InterfaceStructure(Vmknic{}, ver);
  o.value = Value::List(list);
  return o;
}

Structure PortgroupStructure(const Portgroup& g) {
  // typeName after the vSphere API's HostPortGroup [UNVERIFIED]; fields as in the text and CSV
  // captures [REAL].
  Structure s{"PortGroup", {}};
  s.Add("Name", Value::Str(g.name));
  s.Add("Virtual Switch", Value::Str(g.vswitch));
  s.Add("Active Clients", Value::Int(g.active_clients));
  s.Add("VLAN ID", Value::Int(g.vlan));
  return s;
}

Expected<Output> PortgroupList(Ctx& c) {
  std::vector<Structure> list;
  for (const Portgroup& g : c.st.portgroups) {
    list.push_back(PortgroupStructure(g));
  }
  Output o;
  o.shape = TextShape::kTable;
  o.schema = PortgroupStructure(Portgroup{});
  o.value = Value::List(list);
  return o;
}

Structure Ipv4Structure(const Vmknic& v, const Version& ver) {
  const bool has = !v.ipv4.address.empty();
  Structure s{"IPv4Interface", {}};
  s.Add("Name", Value::Str(v.name));
  s.Add("IPv4 Address", Value::Str(has ? v.ipv4.address : "N/A"));
  s.Add("IPv4 Netmask", Value::Str(has ? v.ipv4.netmask : "N/A"));
  s.Add("IPv4 Broadcast", Value::Str(has ? v.ipv4.broadcast : "N/A"));
  s.Add("Address Type", Value::Str(v.ipv4.type));
  if (ver.AtLeast(6, 5)) {
    s.Add("Gateway", Value::Str(v.ipv4.gateway));
  }
  s.Add("DHCP DNS", Value::Bool(v.ipv4.dhcp_dns));
  return s;
}

Expected<Output> Ipv4Get(Ctx& c) {
  auto nics = EffectiveVmknics(c);
  if (!nics.ok()) {
    return nics.error();
  }
  if (c.Has("interface-name")) {
    auto v = RequireVmknic(c.st, c.Get("interface-name"));
    if (!v.ok()) {
      return v.error();
    }
  }
  const Version ver = HostVersion(c.st.host);
  std::vector<Structure> list;
  for (const Vmknic& v : *nics) {
    if ((c.Has("interface-name") && v.name != c.Get("interface-name")) ||
        (c.Has("netstack") && v.netstack != c.Get("netstack"))) {
      continue;
    }
    list.push_back(Ipv4Structure(v, ver));
  }
  Output o;
  o.shape = TextShape::kTable;
  o.schema = Ipv4Structure(Vmknic{}, ver);
  o.value = Value::List(list);
  return o;
}

Structure Ipv6Structure(const std::string& name, const Ipv6Address& a) {
  Structure s{"IPv6Interface", {}};
  s.Add("Interface", Value::Str(name));
  s.Add("Address", Value::Str(a.address));
  s.Add("Netmask", Value::Int(a.prefix));
  s.Add("Type", Value::Str(a.type));
  s.Add("Status", Value::Str(a.status));
  return s;
}

Expected<Output> Ipv6AddressList(Ctx& c) {
  auto nics = EffectiveVmknics(c);
  if (!nics.ok()) {
    return nics.error();
  }
  std::vector<Structure> list;
  for (const Vmknic& v : *nics) {
    if (c.Has("netstack") && v.netstack != c.Get("netstack")) {
      continue;
    }
    for (const Ipv6Address& a : v.ipv6) {
      list.push_back(Ipv6Structure(v.name, a));
    }
  }
  Output o;
  o.shape = TextShape::kTable;
  o.schema = Ipv6Structure("", Ipv6Address{});
  o.value = Value::List(list);
  return o;
}

Expected<Output> TagGet(Ctx& c) {
  auto v = RequireVmknic(c.st, c.Get("interface-name"));
  if (!v.ok()) {
    return v.error();
  }
  Structure s{"TagGet", {}};
  s.Add("Tags", Value::StrList((*v)->tags));
  Output o;
  o.shape = TextShape::kSingle;
  o.value = Value::Struct(s);
  return o;
}

const std::vector<std::string>& BuiltinTags() {
  static const std::vector<std::string> tags = {"Management",
                                                "VMotion",
                                                "faultToleranceLogging",
                                                "vSphereReplication",
                                                "vSphereReplicationNFC",
                                                "VSAN",
                                                "VSANWitness",
                                                "vSphereProvisioning",
                                                "vSphereBackupNFC",
                                                "PrecisionTimeProtocol",
                                                "NVMeTCP",
                                                "NVMeRDMA"};
  return tags;
}

Expected<Output> TagChange(Ctx& c, bool add) {
  const std::string vmk = c.Get("interface-name");
  const std::string tag = c.Get("tagname");
  Status st = UpdateState(c.state_path, [&](Json& doc, const State& cur) -> Status {
    const std::vector<std::string>& valid =
        cur.options.valid_tags.empty() ? BuiltinTags() : cur.options.valid_tags;
    if (std::find(valid.begin(), valid.end(), tag) == valid.end()) {
      return EsxError("Invalid tag name " + tag + ". Valid tags are: " + Join(valid, ", "));
    }
    const Vmknic* v = cur.FindVmknic(vmk);
    if (v == nullptr) {
      return EsxError("Unable to find vmknic " + vmk).error;
    }
    const bool has = std::find(v->tags.begin(), v->tags.end(), tag) != v->tags.end();
    if (add && cur.faults.fail_tag_add) {
      std::string msg = cur.faults.fail_tag_add_message;
      if (msg.empty()) {
        msg = "Error: Unable to add tag " + tag + " to " + vmk + ": Sysinfo error: Failure";
      }
      return Unexpected(ErrorCode::kUnavailable, msg + "\n");
    }
    if (add && cur.options.tag_requires_default_netstack && v->netstack != "defaultTcpipStack") {
      return EsxError("Tag " + tag + " can only be set on a vmknic of defaultTcpipStack; " + vmk +
                      " is on " + v->netstack);
    }
    if (add == has) {
      return bnfc::OkStatus();  // already in the requested state: nothing to write
    }
    for (Json& nic : doc["vmknics"]) {
      const bool target = nic.value("name", "") == vmk;
      Json tags = nic.contains("tags") && nic["tags"].is_array() ? nic["tags"] : Json::array();
      Json next = Json::array();
      for (const Json& t : tags) {
        const bool drop = t == tag && ((target && !add) || (!target && add && tag == kNfcTag &&
                                                            !cur.options.allow_multi_nfc_tag));
        if (!drop) {
          next.push_back(t);
        }
      }
      if (target && add) {
        next.push_back(tag);
      }
      if (next != tags) {
        nic["tags"] = next;
      }
    }
    return bnfc::OkStatus();
  });
  if (!st.ok()) {
    return st.error();
  }
  return Output{};
}

Structure NetstackStructure(const Netstack& n) {
  Structure s{"Netstack", {}};
  s.Add("Key", Value::Str(n.key));
  s.Add("Name", Value::Str(n.name));
  s.Add("State", Value::Int(n.state));
  return s;
}

Expected<Output> NetstackList(Ctx& c) {
  std::vector<Structure> list;
  for (const Netstack& n : c.st.netstacks) {
    list.push_back(NetstackStructure(n));
  }
  Output o;
  o.shape = TextShape::kKeyedList;
  o.record_key = "Key";
  o.schema = NetstackStructure(Netstack{});
  o.value = Value::List(list);
  return o;
}

Structure NeighborStructure(const Neighbor& n, const Version& ver) {
  Structure s{"NetworkNeighbor", {}};
  s.Add("Neighbor", Value::Str(n.ip));
  s.Add("Mac Address", Value::Str(n.mac));
  s.Add("Vmknic", Value::Str(n.vmknic));
  s.Add("Expiry", Value::Int(n.expiry_s), "", " sec");
  s.Add("State", Value::Str(n.state));
  if (ver.AtLeast(6, 0)) {
    s.Add("Type", Value::Str(n.type));
  }
  return s;
}

Expected<Output> NeighborList(Ctx& c) {
  const std::string version = c.Get("version", "4");
  if (version != "4" && version != "6" && version != "all") {
    return EsxError("Invalid IP version " + version + ", expected 4, 6 or all");
  }
  if (c.Has("interface-name")) {
    auto v = RequireVmknic(c.st, c.Get("interface-name"));
    if (!v.ok()) {
      return v.error();
    }
  }
  auto neigh = EffectiveNeighbors(c);
  if (!neigh.ok()) {
    return neigh.error();
  }
  const std::string netstack = c.Get("netstack", "defaultTcpipStack");
  const Version ver = HostVersion(c.st.host);
  std::vector<Structure> list;
  for (const Neighbor& n : *neigh) {
    const bool v6 = n.ip.find(':') != std::string::npos;
    if ((version == "4" && v6) || (version == "6" && !v6) || n.netstack != netstack ||
        (c.Has("interface-name") && n.vmknic != c.Get("interface-name"))) {
      continue;
    }
    list.push_back(NeighborStructure(n, ver));
  }
  Output o;
  o.shape = TextShape::kTable;
  o.schema = NeighborStructure(Neighbor{}, ver);
  o.value = Value::List(list);
  return o;
}

Structure RouteStructure(const Route& r) {
  Structure s{"IPv4Route", {}};
  s.Add("Network", Value::Str(r.network));
  s.Add("Netmask", Value::Str(r.netmask));
  s.Add("Gateway", Value::Str(r.gateway));
  s.Add("Interface", Value::Str(r.interface));
  s.Add("Source", Value::Str(r.source));
  return s;
}

Expected<Output> RouteIpv4List(Ctx& c) {
  const std::string netstack = c.Get("netstack", "defaultTcpipStack");
  std::vector<Structure> list;
  for (const Route& r : c.st.routes) {
    if (r.netstack == netstack) {
      list.push_back(RouteStructure(r));
    }
  }
  Output o;
  o.shape = TextShape::kTable;
  o.schema = RouteStructure(Route{});
  o.value = Value::List(list);
  return o;
}

const std::vector<Ruleset>& DefaultRulesets() {
  // A subset of the ESXi 8.0 U2b defaults (values as in the dod-compliance capture).
  static const std::vector<Ruleset> r = {
      {"sshServer", true, true, true},      {"sshClient", false, true, true},
      {"dhcp", true, false, true},          {"dns", true, true, true},
      {"vpxHeartbeats", true, false, true}, {"vMotion", true, false, true},
      {"vSphereClient", true, true, true},  {"NFC", true, false, true},
      {"HBR", true, false, true},           {"webAccess", true, true, true},
      {"syslog", false, true, true}};
  return r;
}

Structure RulesetStructure(const Ruleset& r, const Version& ver) {
  Structure s{"Ruleset", {}};
  s.Add("Name", Value::Str(r.name));
  s.Add("Enabled", Value::Bool(r.enabled));
  if (ver.AtLeast(8, 0, 2)) {
    s.Add("Enable/Disable configurable", Value::Bool(r.enable_disable_configurable),
          "EnableDisableconfigurable");
    s.Add("Allowed IP configurable", Value::Bool(r.allowed_ip_configurable),
          "AllowedIPconfigurable");
  }
  return s;
}

Expected<Output> RulesetList(Ctx& c) {
  const Version ver = HostVersion(c.st.host);
  const std::vector<Ruleset>& all =
      c.st.firewall_rulesets.empty() ? DefaultRulesets() : c.st.firewall_rulesets;
  std::vector<Structure> list;
  for (const Ruleset& r : all) {
    if (!c.Has("ruleset-id") || r.name == c.Get("ruleset-id")) {
      list.push_back(RulesetStructure(r, ver));
    }
  }
  if (c.Has("ruleset-id") && list.empty()) {
    return EsxError("Invalid Ruleset Id: " + c.Get("ruleset-id"));
  }
  Output o;
  o.shape = TextShape::kTable;
  o.schema = RulesetStructure(Ruleset{}, ver);
  o.value = Value::List(list);
  return o;
}

Structure VibStructure(const Vib& v, const Version& ver) {
  Structure s{"VIBSummary", {}};
  s.Add("Name", Value::Str(v.name));
  s.Add("Version", Value::Str(v.version));
  s.Add("Vendor", Value::Str(v.vendor));
  s.Add("Acceptance Level", Value::Str(v.acceptance_level));
  s.Add("Install Date", Value::Str(v.install_date));
  if (ver.AtLeast(8, 0)) {
    s.Add("Platforms", Value::Str(v.platforms));
  }
  return s;
}

Expected<Output> VibList(Ctx& c) {
  const Version ver = HostVersion(c.st.host);
  std::vector<Structure> list;
  for (const Vib& v : c.st.vibs) {
    list.push_back(VibStructure(v, ver));
  }
  Output o;
  o.shape = TextShape::kTable;
  o.schema = VibStructure(Vib{}, ver);
  o.value = Value::List(list);
  return o;
}

Output SoftwareResult(const State& st, const std::string& title, const std::string& message,
                      bool reboot, const std::vector<std::string>& installed,
                      const std::vector<std::string>& removed,
                      const std::vector<std::string>& skipped) {
  const Version ver = HostVersion(st.host);
  Structure s{"InstallationResult", {}};
  if (ver.AtLeast(8, 0)) {
    s.Add("Message", Value::Str(message));
    s.Add("VIBs Installed", Value::StrList(installed));
    s.Add("VIBs Removed", Value::StrList(removed));
    s.Add("VIBs Skipped", Value::StrList(skipped));
    s.Add("Reboot Required", Value::Bool(reboot));
    s.Add("DPU Results", Value::StrList({}));
  } else {
    s.Add("Message", Value::Str(message));
    s.Add("Reboot Required", Value::Bool(reboot));
    s.Add("VIBs Installed", Value::StrList(installed));
    s.Add("VIBs Removed", Value::StrList(removed));
    s.Add("VIBs Skipped", Value::StrList(skipped));
  }
  Output o;
  o.shape = TextShape::kSingle;
  o.title = title;
  o.value = Value::Struct(s);
  return o;
}

std::string Today() {
  char buf[16];
  const time_t now = ::time(nullptr);
  tm t{};
  ::gmtime_r(&now, &t);
  ::strftime(buf, sizeof buf, "%Y-%m-%d", &t);
  return buf;
}

Json VibJson(const Vib& v) {
  return Json{{"name", v.name},
              {"version", v.version},
              {"vendor", v.vendor},
              {"acceptance_level", v.acceptance_level},
              {"install_date", v.install_date},
              {"platforms", v.platforms},
              {"source", v.source}};
}

Expected<Output> VibInstall(Ctx& c) {
  std::vector<std::string> urls = c.All("viburl");
  for (const std::string& d : c.All("depot")) {
    urls.push_back(d);
  }
  if (urls.empty()) {
    return EsxError("Either a VIB URL (-v) or a depot (-d) is required");
  }
  const bool force = c.Has("force") || c.Has("no-sig-check");
  const bool dry = c.Has("dry-run");
  std::vector<std::string> installed, removed, skipped;
  Status st = UpdateState(c.state_path, [&](Json& doc, const State& cur) -> Status {
    std::vector<Vib> vibs;
    for (const std::string& url : urls) {
      auto vib = ReadVibFile(url);
      if (!vib.ok()) {
        return Unexpected(ErrorCode::kInvalidArgument, vib.error().message);
      }
      if (!force &&
          AcceptanceRank(vib->acceptance_level) < AcceptanceRank(cur.host.acceptance_level)) {
        return Unexpected(ErrorCode::kPermission,
                          " [AcceptanceConfigError]\n VIB " + vib->Id() +
                              "'s acceptance level is " + AcceptanceWord(vib->acceptance_level) +
                              ", which is not compliant with the ImageProfile acceptance level " +
                              AcceptanceWord(cur.host.acceptance_level) +
                              "\n To change the host acceptance level, use the 'esxcli software "
                              "acceptance set' command.\n Please refer to the log file for more "
                              "details.\n");
      }
      vib->install_date = Today();
      vib->source = url;
      vibs.push_back(*vib);
    }
    if (!doc.contains("vibs") || !doc["vibs"].is_array()) {
      doc["vibs"] = Json::array();
    }
    for (const Vib& v : vibs) {
      bool same = false;
      for (size_t i = 0; i < cur.vibs.size(); ++i) {
        if (cur.vibs[i].name != v.name) {
          continue;
        }
        if (cur.vibs[i].Id() == v.Id()) {
          same = true;
        } else {
          removed.push_back(cur.vibs[i].Id());
        }
      }
      if (same) {
        skipped.push_back(v.Id());
        continue;
      }
      installed.push_back(v.Id());
      Json next = Json::array();
      for (const Json& e : doc["vibs"]) {
        if (!(e.is_object() && e.value("name", "") == v.name)) {
          next.push_back(e);
        }
      }
      next.push_back(VibJson(v));
      doc["vibs"] = next;
    }
    if (dry) {
      return Unexpected(ErrorCode::kConflict, "dry-run");  // nothing is written
    }
    return bnfc::OkStatus();
  });
  if (!st.ok() && !(dry && st.error().message == "dry-run")) {
    return st.error();
  }
  std::string message = "Operation finished successfully.";
  if (dry) {
    message = "Dryrun only, host not changed. The following installers will be applied: [" +
              Join(installed, ", ") + "]";
  } else if (installed.empty()) {
    message = "Host is not changed.";
  }
  return SoftwareResult(c.st, "Installation Result", message, false, installed, removed, skipped);
}

Expected<Output> VibRemove(Ctx& c) {
  const std::vector<std::string> names = c.All("vibname");
  const bool dry = c.Has("dry-run");
  std::vector<std::string> removed;
  Status st = UpdateState(c.state_path, [&](Json& doc, const State& cur) -> Status {
    for (const std::string& n : names) {
      auto it = std::find_if(cur.vibs.begin(), cur.vibs.end(),
                             [&](const Vib& v) { return v.name == n || v.Id() == n; });
      if (it == cur.vibs.end()) {
        return Unexpected(ErrorCode::kNotFound,
                          " [NoMatchError]\n No VIB matching VIB search specification '" + n +
                              "'.\n Please refer to the log file for more details.\n");
      }
      removed.push_back(it->Id());
      Json next = Json::array();
      for (const Json& e : doc["vibs"]) {
        if (!(e.is_object() && e.value("name", "") == it->name)) {
          next.push_back(e);
        }
      }
      doc["vibs"] = next;
    }
    if (dry) {
      return Unexpected(ErrorCode::kConflict, "dry-run");
    }
    return bnfc::OkStatus();
  });
  if (!st.ok() && !(dry && st.error().message == "dry-run")) {
    return st.error();
  }
  return SoftwareResult(c.st, "Removal Result",
                        dry ? "Dryrun only, host not changed." : "Operation finished successfully.",
                        false, {}, removed, {});
}

// Wraps an echoer and keeps every result (for the structured `network diag ping`).
class RecordingEchoer : public Echoer {
 public:
  explicit RecordingEchoer(Echoer& inner) : inner_(inner) {}
  EchoResult Echo(int seq) override {
    results.push_back(inner_.Echo(seq));
    return results.back();
  }
  void Pause() override { inner_.Pause(); }
  std::vector<EchoResult> results;

 private:
  Echoer& inner_;
};

Expected<std::unique_ptr<Echoer>> MakeEchoer(const State& st, Env& env, const PingRequest& req) {
  if (st.live) {
    return env.system->OpenEchoer(req);
  }
  return MakeStaticEchoer(st, req);
}

bool ParseNumber(const std::string& s, double* out) {
  char* end = nullptr;
  *out = std::strtod(s.c_str(), &end);
  return !s.empty() && end != nullptr && *end == '\0';
}

Expected<Output> DiagPing(Ctx& c) {
  PingRequest req;
  req.target = c.Get("host");
  req.ifname = c.Get("interface");
  double num = 0;
  if (c.Has("count")) {
    if (!ParseNumber(c.Get("count"), &num) || num < 1) {
      return EsxError("Invalid count " + c.Get("count"));
    }
    req.count = static_cast<int>(num);
  }
  if (c.Has("size")) {
    if (!ParseNumber(c.Get("size"), &num) || num < 0 || num > 65507) {
      return EsxError("Invalid size " + c.Get("size"));
    }
    req.size = static_cast<int>(num);
  }
  if (c.Has("interval") && ParseNumber(c.Get("interval"), &num) && num > 0) {
    req.interval_s = num;
  }
  if (c.Has("wait") && ParseNumber(c.Get("wait"), &num) && num > 0) {
    req.wait_s = num;
  }
  if (c.Has("ttl") && ParseNumber(c.Get("ttl"), &num) && num > 0) {
    req.ttl = static_cast<int>(num);
  }
  req.df = c.Has("df");
  if (!req.ifname.empty() && c.st.FindVmknic(req.ifname) == nullptr) {
    return EsxError("Unknown interface '" + req.ifname + "': Invalid argument");
  }
  auto echo = MakeEchoer(c.st, *c.env, req);
  if (!echo.ok()) {
    return EsxError(echo.error().message);
  }
  RecordingEchoer rec(**echo);
  std::string ignored;
  RunPing(req, rec, &ignored);
  std::vector<Structure> trace;
  int received = 0;
  int64_t min_us = 0, max_us = 0, sum_us = 0;
  for (size_t i = 0; i < rec.results.size(); ++i) {
    const EchoResult& r = rec.results[i];
    if (r.kind == EchoResult::Kind::kTimeout) {
      continue;
    }
    Structure t{"PingTrace", {}};
    const bool ok = r.kind == EchoResult::Kind::kReply;
    t.Add("Received Bytes", Value::Int(ok ? r.bytes : 0));
    t.Add("Host", Value::Str(req.target));
    t.Add("ICMP Seq", Value::Int(static_cast<int64_t>(i)));
    t.Add("TTL", Value::Int(ok ? r.ttl : 0));
    t.Add("Round-trip Time", Value::Int(ok ? r.rtt_us : 0), "RoundtripTimeMS", " us");
    t.Add("Dup", Value::Bool(false));
    t.Add("Detail", Value::Str(ok ? "" : "sendto() failed (" + r.error + ")"));
    trace.push_back(t);
    if (ok) {
      min_us = received == 0 ? r.rtt_us : std::min(min_us, r.rtt_us);
      max_us = received == 0 ? r.rtt_us : std::max(max_us, r.rtt_us);
      sum_us += r.rtt_us;
      ++received;
    }
  }
  Structure sum{"PingSummary", {}};
  sum.Add("Host Addr", Value::Str(req.target));
  sum.Add("Transmitted", Value::Int(req.count));
  sum.Add("Recieved", Value::Int(received));
  sum.Add("Duplicated", Value::Int(0));
  sum.Add("Packet Lost", Value::Int((req.count - received) * 100 / req.count));
  sum.Add("Round-trip Min", Value::Int(min_us), "RoundtripMinMS", " us");
  sum.Add("Round-trip Avg", Value::Int(received ? sum_us / received : 0), "RoundtripAvgMS", " us");
  sum.Add("Round-trip Max", Value::Int(max_us), "RoundtripMaxMS", " us");
  Structure top{"PingOutput", {}};
  top.Add("Trace", Value::List(trace));
  top.Add("Summary", Value::Struct(sum));
  Output o;
  o.shape = TextShape::kSingle;
  o.value = Value::Struct(top);
  return o;
}

const std::vector<CommandSpec>& Commands() {
  const OptSpec iface{'i', "interface-name", true, false,
                      "Name of the VMkernel network interface (vmkX)."};
  OptSpec iface_req = iface;
  iface_req.required = true;
  const OptSpec netstack{'N', "netstack", true, false,
                         "The network stack instance; if unspecified, the default netstack."};
  static const std::vector<CommandSpec> cmds = {
      {"system version get",
       "Display the product name, version and build information.",
       {},
       VersionGet},
      {"network ip interface list",
       "List the VMkernel network interfaces currently known to the system.",
       {netstack},
       InterfaceList},
      {"network ip interface ipv4 get",
       "Get IPv4 settings for VMkernel network interfaces.",
       {iface, netstack},
       Ipv4Get},
      {"network ip interface ipv6 address list",
       "List the IPv6 addresses assigned to VMkernel network interfaces.",
       {netstack},
       Ipv6AddressList},
      {"network ip interface tag get",
       "Get the tags set on the given VMkernel network interface.",
       {iface_req},
       TagGet},
      {"network ip interface tag add",
       "Adds a tag on a given VMkernel network interface.",
       {iface_req,
        {'t', "tagname", true, true, "Tag name (e.g. Management, VMotion, vSphereBackupNFC)."}},
       [](Ctx& c) { return TagChange(c, true); }},
      {"network ip interface tag remove",
       "Removes a tag on a given VMkernel network interface.",
       {iface_req,
        {'t', "tagname", true, true, "Tag name (e.g. Management, VMotion, vSphereBackupNFC)."}},
       [](Ctx& c) { return TagChange(c, false); }},
      {"network ip netstack list",
       "List the network stack instances currently known to the system.",
       {},
       NetstackList},
      {"network ip neighbor list",
       "List ARP table entries.",
       {iface, netstack, {'v', "version", true, false, "IP version: 4, 6 or all (default 4)."}},
       NeighborList},
      {"network ip route ipv4 list", "List configured IPv4 routes.", {netstack}, RouteIpv4List},
      {"network vswitch standard portgroup list",
       "List all of the port groups currently on the system.",
       {},
       PortgroupList},
      {"network diag ping",
       "Send ICMP echo requests to network hosts.",
       {{'H', "host", true, true, "The host to send the ping to."},
        {'I', "interface", true, false, "The outgoing vmknic."},
        {'c', "count", true, false, "The number of packets to send.", "long"},
        {'s', "size", true, false, "The number of ICMP data bytes to send.", "long"},
        {'d', "df", false, false, "Set the DF bit on IPv4 packets."},
        {'i', "interval", true, false, "Seconds between packets."},
        {'W', "wait", true, false, "Seconds to wait for a reply."},
        {'t', "ttl", true, false, "IPv4 time to live.", "long"},
        {'N', "nexthop", true, false, "Next hop (bypasses routing)."},
        {0, "netstack", true, false, "The network stack instance."},
        {'4', "ipv4", false, false, "Ping with ICMPv4 echo requests."},
        {'6', "ipv6", false, false, "Ping with ICMPv6 echo requests."},
        {'D', "debug", false, false, "VMkernel TCP stack debug mode."}},
       DiagPing},
      {"network firewall ruleset list",
       "List the rulesets in firewall.",
       {{'r', "ruleset-id", true, false, "List configuration for specific ruleset"}},
       RulesetList},
      {"software vib install",
       "Installs VIB packages from a URL or depot.",
       {{'v', "viburl", true, false, "Specifies one or more URLs to VIB packages to install."},
        {'d', "depot", true, false, "Specifies full remote URLs of the depot index.xml."},
        {'n', "vibname", true, false, "Specifies VIBs from a depot, by name."},
        {'f', "force", false, false,
         "Bypasses checks for package dependencies and acceptance levels."},
        {0, "no-sig-check", false, false, "Bypasses acceptance level verification."},
        {0, "dry-run", false, false, "Performs a dry-run only."},
        {0, "maintenance-mode", false, false, "Pretends that maintenance mode is in effect."},
        {0, "ok-to-remove", false, false, "Allows the removal of installed VIBs."}},
       VibInstall},
      {"software vib remove",
       "Removes VIB packages from the host.",
       {{'n', "vibname", true, true, "Specifies one or more VIBs on the host to remove."},
        {'f', "force", false, false, "Bypasses checks for package dependencies."},
        {0, "dry-run", false, false, "Performs a dry-run only."},
        {0, "maintenance-mode", false, false, "Pretends that maintenance mode is in effect."}},
       VibRemove},
      {"software vib list",
       "Lists the installed VIB packages.",
       {{0, "rebooting-image", false, false,
         "Displays information for the ESXi image which becomes active after a reboot."}},
       VibList},
  };
  return cmds;
}

const CommandSpec* FindCommand(const std::string& path) {
  for (const CommandSpec& c : Commands()) {
    if (c.path == path) {
      return &c;
    }
  }
  return nullptr;
}

bool IsNamespace(const std::string& path) {
  for (const CommandSpec& c : Commands()) {
    if (StartsWith(c.path, path + " ")) {
      return true;
    }
  }
  return false;
}

std::string CommandHelp(const std::string& prog, const CommandSpec& c) {
  const std::string name = c.path.substr(c.path.rfind(' ') + 1);
  std::string out = "Usage: " + prog + " " + c.path + " [cmd options]\n\nDescription:\n" +
                    HelpLine(name, c.help) + "\nCmd options:\n";
  for (const OptSpec& o : c.opts) {
    out += HelpLine(o.Display(), o.help + (o.required ? " (required)" : ""));
  }
  return out;
}

std::string RootBanner(const std::string& prog) {
  return "Usage: " + prog +
         " [options] {namespace}+ {cmd} [cmd options]\n\nOptions:\n"
         "  --formatter=FORMATTER\n"
         "                        Override the formatter to use for a given command. Available "
         "formatters: xml, csv, keyvalue.\n"
         "  --screen-width=SCREENWIDTH\n"
         "                        Use the specified screen width when formatting text.\n"
         "  --debug               Enable debug or internal use options.\n"
         "  --log-verbose         Enable verbose logging.\n"
         "  -?, --help            Display usage information.\n"
         "  --state=FILE          esxsim: the simulated host's state file (default: "
         "$ESXSIM_STATE).\n\n";
}

std::string NamespaceUsage(const std::string& prog, const std::string& path) {
  std::set<std::string> namespaces;
  std::vector<const CommandSpec*> commands;
  const std::string prefix = path.empty() ? "" : path + " ";
  for (const CommandSpec& c : Commands()) {
    if (!StartsWith(c.path, prefix)) {
      continue;
    }
    const std::string rest = c.path.substr(prefix.size());
    const size_t sp = rest.find(' ');
    if (sp == std::string::npos) {
      commands.push_back(&c);
    } else {
      namespaces.insert(rest.substr(0, sp));
    }
  }
  std::string out;
  if (path.empty()) {
    out = RootBanner(prog);
  } else {
    out =
        "Usage: " + prog + " " + path +
        (namespaces.empty() ? " {cmd} [cmd options]\n\n" : " {namespace}+ {cmd} [cmd options]\n\n");
  }
  if (!namespaces.empty()) {
    out += "Available Namespaces:\n";
    for (const std::string& n : namespaces) {
      auto it = NamespaceHelp().find(prefix + n);
      out += HelpLine(n, it == NamespaceHelp().end() ? "" : it->second);
    }
  }
  if (!commands.empty()) {
    out += (namespaces.empty() ? "" : "\n") + std::string("Available Commands:\n");
    for (const CommandSpec* c : commands) {
      out += HelpLine(c->path.substr(prefix.size()), c->help);
    }
  }
  return out;
}

// Output damage for the garble fault: deterministic, so tests can assert it.
std::string Garble(const std::string& text, const std::string& how) {
  if (how == "truncate") {
    return text.substr(0, text.size() / 2);
  }
  std::string out = text.substr(0, text.size() / 3);
  static const char junk[] = {'#', '\x7f', '\xff', '?', '\x01', '='};
  for (size_t i = text.size() / 3; i < text.size(); ++i) {
    out += (i % 5 == 0) ? junk[i % sizeof junk] : (text[i] == '\n' ? ' ' : text[i]);
  }
  return out;
}

void ApplyLatency(const State& st, Env& env, const std::string& key) {
  auto it = st.faults.latency.find(key);
  if (it == st.faults.latency.end()) {
    it = st.faults.latency.find("*");
  }
  if (it != st.faults.latency.end()) {
    auto ms = ParseDurationMs(it->second);
    if (ms.ok() && *ms > 0) {
      env.system->SleepMs(*ms);
    }
  }
}

void ApplyGarble(const State& st, const std::string& key, std::string* out) {
  auto it = st.faults.garble.find(key);
  if (it != st.faults.garble.end()) {
    *out = Garble(*out, it->second);
  }
}

RunResult Fail(const std::string& err, int code = 1) {
  RunResult r;
  r.code = code;
  r.err = err;
  return r;
}

Expected<State> LoadFor(const std::string& path) {
  if (path.empty()) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "esxsim: no simulated host: set ESXSIM_STATE or pass --state FILE\n");
  }
  auto st = LoadState(path);
  if (!st.ok()) {
    return Unexpected(st.error().code, "esxsim: " + st.error().message + "\n");
  }
  return st;
}

}  // namespace

std::vector<std::string> CommandPaths() {
  std::vector<std::string> out;
  for (const CommandSpec& c : Commands()) {
    out.push_back(c.path);
  }
  return out;
}

RunResult RunEsxcli(const std::string& prog, const std::vector<std::string>& args, Env& env) {
  Formatter fmt = Formatter::kText;
  std::string state_path = env.state_path;
  bool help = false;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& name, std::string* out) -> bool {
      if (StartsWith(a, name + "=")) {
        *out = a.substr(name.size() + 1);
        return true;
      }
      if (a == name && i + 1 < args.size()) {
        *out = args[++i];
        return true;
      }
      return false;
    };
    std::string v;
    if (value("--formatter", &v)) {
      if (!ParseFormatter(v, &fmt)) {
        return Fail("Error: Invalid formatter " + v +
                    ". Available formatters: xml, csv, keyvalue.\n");
      }
    } else if (value("--state", &v)) {
      state_path = v;
    } else if (value("--screen-width", &v) || value("--format-param", &v) || a == "--debug" ||
               a == "--log-verbose") {
      // accepted and ignored
    } else if (a == "--help" || a == "-?") {
      help = true;
    } else if (!a.empty() && a[0] == '-') {
      return Fail(prog + ": error: no such option: " + a + "\n");
    } else {
      break;
    }
  }
  size_t words_end = i;
  while (words_end < args.size() && !args[words_end].empty() && args[words_end][0] != '-') {
    ++words_end;
  }
  std::string path;
  const CommandSpec* cmd = nullptr;
  size_t k = i;
  for (; k < words_end; ++k) {
    const std::string cand = path.empty() ? args[k] : path + " " + args[k];
    if ((cmd = FindCommand(cand)) != nullptr) {
      ++k;
      break;
    }
    if (!IsNamespace(cand)) {
      std::vector<std::string> words(args.begin() + static_cast<long>(i),
                                     args.begin() + static_cast<long>(words_end));
      return Fail("Error: Unknown command or namespace " + Join(words, " ") + "\n");
    }
    path = cand;
  }
  if (cmd == nullptr) {
    RunResult r;
    r.out = NamespaceUsage(prog, path);
    return r;
  }
  Ctx c;
  c.cmd = cmd;
  c.prog = prog;
  c.env = &env;
  for (; k < args.size(); ++k) {
    const std::string& a = args[k];
    if (a == "--help" || a == "-?") {
      help = true;
      continue;
    }
    const OptSpec* spec = nullptr;
    std::string value;
    bool inline_value = false;
    if (StartsWith(a, "--")) {
      const size_t eq = a.find('=');
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      for (const OptSpec& o : cmd->opts) {
        if (o.long_name == name) {
          spec = &o;
        }
      }
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
        inline_value = true;
      }
    } else if (a.size() >= 2 && a[0] == '-') {
      for (const OptSpec& o : cmd->opts) {
        if (o.short_name == a[1]) {
          spec = &o;
        }
      }
      if (a.size() > 2) {
        value = a.substr(2);
        inline_value = true;
      }
    } else {
      return Fail("Error: Invalid argument " + a + " for command " + cmd->path + "\n");
    }
    if (spec == nullptr) {
      return Fail("Error: Invalid option " + a + "\n");
    }
    if (spec->takes_value && !inline_value) {
      if (k + 1 >= args.size()) {
        return Fail("Error: Missing value for option " + spec->Names() + "\n");
      }
      value = args[++k];
    }
    c.opts.emplace(spec->long_name, value);
  }
  if (help) {
    RunResult r;
    r.out = CommandHelp(prog, *cmd);
    return r;
  }
  for (const OptSpec& o : cmd->opts) {
    if (o.required && !c.Has(o.long_name)) {
      return Fail("Error: Missing required parameter " + o.Names() + "\n");
    }
  }
  auto st = LoadFor(state_path);
  if (!st.ok()) {
    return Fail(st.error().message);
  }
  c.st = *st;
  c.state_path = state_path;
  if (prog == "esxcli" && c.st.faults.hostd_down) {
    return Fail(kHostdDown);
  }
  ApplyLatency(c.st, env, cmd->path);
  auto out = cmd->fn(c);
  if (!out.ok()) {
    return Fail(out.error().message);
  }
  RunResult r;
  r.out = Format(*out, fmt);
  ApplyGarble(c.st, cmd->path, &r.out);
  return r;
}

namespace {

std::string VmkpingUsage(const std::string& prog) {
  return prog +
         " [args] [host]\n"
         "   args:\n"
         "      -4               use IPv4 (default)\n"
         "      -6               use IPv6\n"
         "      -c <count>       set packet count\n"
         "      -d               set DF bit (IPv4) or disable fragmentation (IPv6)\n"
         "      -D               vmkernel TCP stack debug mode\n"
         "      -i <interval>    set interval (secs)\n"
         "      -I <interface>   outgoing interface - for IPv6 scope or IPv4\n"
         "                       bypasses routing lookup\n"
         "      -N <next_hop>    set IP*_NEXTHOP - bypasses routing lookup\n"
         "                       for IPv4, -I option is required\n"
         "      -s <size>        set the number of ICMP data bytes to be sent.\n"
         "                       The default is 56, which translates to a 64 byte\n"
         "                       ICMP frame when added to the 8 byte ICMP header.\n"
         "                       (Note: these sizes does not include the IP header).\n"
         "      -t <ttl>         set IPv4 Time To Live or IPv6 Hop Limit\n"
         "      -v               verbose\n"
         "      -W <timeout>     set timeout to wait if no responses are\n"
         "                       received (secs)\n"
         "\n"
         "      -X               XML output format for esxcli framework.\n"
         "      -S               The network stack instance name. If unspecified\n"
         "                       the default netstack instance is used.\n"
         "   NOTE: In vmkernel TCP debug mode, vmkping traverses\n"
         "         VSI and pings various configured addresses.\n";
}

}  // namespace

RunResult RunVmkping(const std::string& prog, const std::vector<std::string>& args, Env& env) {
  PingRequest req;
  std::string state_path = env.state_path;
  std::string netstack;
  bool v6 = false;
  bool wait_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (StartsWith(a, "++netstack=")) {
      netstack = a.substr(11);
      continue;
    }
    if (StartsWith(a, "--state=")) {
      state_path = a.substr(8);
      continue;
    }
    if (a == "--state" && i + 1 < args.size()) {
      state_path = args[++i];
      continue;
    }
    if (a == "-h" || a == "--help" || a == "-?") {
      RunResult r;
      r.out = VmkpingUsage(prog);
      return r;
    }
    if (a.size() < 2 || a[0] != '-') {
      if (!req.target.empty()) {
        return Fail(VmkpingUsage(prog));
      }
      req.target = a;
      continue;
    }
    const char opt = a[1];
    if (std::string("46dDvX").find(opt) != std::string::npos && a.size() == 2) {
      v6 = v6 || opt == '6';
      req.df = req.df || opt == 'd';
      continue;
    }
    if (std::string("ciINstWS").find(opt) == std::string::npos) {
      return Fail(VmkpingUsage(prog));
    }
    std::string value = a.substr(2);
    if (value.empty()) {
      if (i + 1 >= args.size()) {
        return Fail(VmkpingUsage(prog));
      }
      value = args[++i];
    }
    double num = 0;
    const bool numeric = ParseNumber(value, &num);
    switch (opt) {
      case 'c':
        if (!numeric || num < 1) {
          return Fail(prog + ": invalid count: " + value + "\n");
        }
        req.count = static_cast<int>(num);
        break;
      case 'i':
        if (!numeric || num <= 0) {
          return Fail(prog + ": invalid interval: " + value + "\n");
        }
        req.interval_s = num;
        break;
      case 'W':
        if (!numeric || num <= 0) {
          return Fail(prog + ": invalid timeout: " + value + "\n");
        }
        req.wait_s = num;
        wait_given = true;
        break;
      case 's':
        if (!numeric || num < 0 || num > 65507) {
          return Fail(prog + ": invalid packet size: " + value + "\n");
        }
        req.size = static_cast<int>(num);
        break;
      case 't':
        if (!numeric || num < 1 || num > 255) {
          return Fail(prog + ": invalid TTL: " + value + "\n");
        }
        req.ttl = static_cast<int>(num);
        break;
      case 'I':
        req.ifname = value;
        break;
      case 'S':
        netstack = value;
        break;
      default:  // -N next hop: accepted, routing is the kernel's (live) or ignored (static)
        break;
    }
  }
  if (req.target.empty()) {
    return Fail(VmkpingUsage(prog));
  }
  if (!wait_given) {
    req.wait_s = std::max(1.0, req.interval_s);
  }
  auto st = LoadFor(state_path);
  if (!st.ok()) {
    return Fail(st.error().message);
  }
  if (!req.ifname.empty()) {
    const Vmknic* v = st->FindVmknic(req.ifname);
    if (v == nullptr || (!netstack.empty() && v->netstack != netstack)) {
      return Fail("Unknown interface '" + req.ifname + "': Invalid argument\n");
    }
  }
  if (v6 && st->live) {
    return Fail("esxsim: IPv6 echo (-6) is not simulated in live mode\n");
  }
  ApplyLatency(*st, env, "vmkping");
  auto echo = MakeEchoer(*st, env, req);
  if (!echo.ok()) {
    return Fail(echo.error().message + "\n");
  }
  RunResult r;
  r.code = RunPing(req, **echo, &r.out);
  ApplyGarble(*st, "vmkping", &r.out);
  return r;
}

RunResult RunMain(const std::vector<std::string>& argv, Env& env) {
  std::string prog = argv.empty() ? "esxsim" : argv[0];
  const size_t slash = prog.rfind('/');
  if (slash != std::string::npos) {
    prog = prog.substr(slash + 1);
  }
  std::vector<std::string> args(argv.size() > 1 ? argv.begin() + 1 : argv.end(), argv.end());
  if (prog == "esxsim") {
    while (!args.empty() && StartsWith(args[0], "--state")) {
      if (StartsWith(args[0], "--state=")) {
        env.state_path = args[0].substr(8);
        args.erase(args.begin());
      } else if (args.size() >= 2) {
        env.state_path = args[1];
        args.erase(args.begin(), args.begin() + 2);
      } else {
        break;
      }
    }
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
      RunResult r;
      r.out =
          "usage: esxsim [--state FILE] esxcli|localcli|vmkping ARGS...\n"
          "  Simulates one ESXi host's esxcli, localcli and vmkping. Usually invoked through\n"
          "  the symlinks esxcli, localcli and vmkping next to this binary. The host state is\n"
          "  the JSON file named by --state or $ESXSIM_STATE (see docs/esxsim.md).\n";
      r.code = args.empty() ? 1 : 0;
      return r;
    }
    prog = args[0];
    args.erase(args.begin());
  }
  if (prog == "esxcli" || prog == "localcli") {
    return RunEsxcli(prog, args, env);
  }
  if (prog == "vmkping" || prog == "ping") {
    return RunVmkping(prog, args, env);
  }
  return Fail("esxsim: unknown personality '" + prog +
              "' (expected esxcli, localcli or vmkping)\n");
}

}  // namespace esxsim
