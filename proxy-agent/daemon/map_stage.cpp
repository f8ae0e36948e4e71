#include "map_stage.h"

#include <algorithm>

#include "bnfc/findings.h"

namespace bnfc::proxyd {

MappingRules MappingRules::Of(const ProxyConfig& config) {
  MappingRules r;
  r.backup_interfaces = config.backup_interfaces;
  // The configuration loader has validated every mapping line.
  for (const auto& m : config.mappings) {
    pin::ManualMapping mm{*net::Prefix::Parse(m.prefix), m.interface, std::nullopt};
    if (!m.via.empty())
      mm.via = *net::IpAddress::Parse(m.via);
    r.manual.push_back(mm);
  }
  return r;
}

namespace {

std::string InterfaceName(int ifindex, const std::vector<pin::LocalAddress>& local) {
  for (const auto& a : local) {
    if (a.ifindex == ifindex)
      return a.interface;
  }
  return ifindex > 0 ? "ifindex " + std::to_string(ifindex) : "";
}

void AddUnique(std::vector<std::string>& list, const std::string& name) {
  if (std::find(list.begin(), list.end(), name) == list.end())
    list.push_back(name);
}

// The MAC that answers an ARP probe for an IPv4 next hop on `ifindex`; empty when none answers
// (or the hop is IPv6: no neighbor-solicitation probe yet).
std::string ProbeNextHop(Observer& observer, const std::vector<pin::LocalAddress>& local,
                         int ifindex, const net::IpAddress& hop) {
  constexpr int kArpTimeoutMs = 300;
  if (hop.family != net::Family::kIPv4)
    return "";
  std::string own_mac;
  for (const auto& a : local) {
    if (a.ifindex == ifindex)
      own_mac = a.mac;
  }
  if (own_mac.empty())
    return "";
  auto answers = observer.ArpProbe(ifindex, own_mac, {hop}, kArpTimeoutMs);
  if (!answers)
    return "";
  for (const auto& a : *answers) {
    if (a.target == hop)
      return a.mac;
  }
  return "";
}

}  // namespace

report::PathFacts LearnManagementPaths(Observer& observer,
                                       const std::vector<pin::LocalAddress>& local,
                                       const AddressFact& management,
                                       const AddressFact& control_peer) {
  report::PathFacts p;
  p.ran = true;
  p.management_address = management.text;
  p.control_peer = control_peer.text;
  std::string why;
  auto note = [&](const std::string& s) { why += (why.empty() ? "" : "; ") + s; };
  if (management.ip) {
    auto r = observer.RouteTo(*management.ip);
    if (r) {
      p.management_interface = InterfaceName(r->oif, local);
      const net::IpAddress hop = r->gateway ? *r->gateway : *management.ip;
      p.management_next_hop = hop.ToString() + (r->gateway ? " (gateway)" : " (on-link)");
      auto mac = observer.NeighborMac(r->oif, hop);
      if (mac && !mac->empty()) {
        p.management_next_hop_mac = *mac;
      } else if (auto probed = ProbeNextHop(observer, local, r->oif, hop); !probed.empty()) {
        // A host read through the vSphere API has no control connection that would have filled
        // the neighbor table: ask the segment once.
        p.management_next_hop_mac = probed;
        note("next hop MAC from an ARP probe on " + p.management_interface);
      } else {
        note("no neighbor entry for " + hop.ToString());
      }
    } else {
      note("route lookup to " + management.text + ": " + r.error().message);
    }
  } else {
    note("the host reported no usable management address");
  }
  if (control_peer.ip) {
    auto r = observer.RouteTo(*control_peer.ip);
    if (r)
      p.control_interface = InterfaceName(r->oif, local);
    else
      note("route lookup to " + control_peer.text + ": " + r.error().message);
  } else {
    note("the control connection's source address is unknown");
  }
  p.evidence = why;
  return p;
}

std::vector<std::string> ManagementInterfaces(const report::PathFacts& path) {
  std::vector<std::string> out;
  for (const std::string* n : {&path.management_interface, &path.control_interface}) {
    if (!n->empty())
      AddUnique(out, *n);
  }
  return out;
}

pin::MapResult MapNfc(const AddressFact& nfc, const std::vector<pin::LocalAddress>& local,
                      const MappingRules& rules, const std::vector<std::string>& excluded) {
  if (!nfc.ip) {
    pin::MapResult m;
    m.finding = codes::kNoMapping;
    m.detail = "the host reported no usable NFC address ('" + nfc.text + "')";
    return m;
  }
  return pin::Map(*nfc.ip, local, rules.manual, rules.backup_interfaces, excluded);
}

HostMapping MapHost(Observer& observer, const std::vector<pin::LocalAddress>& local,
                    const MappingRules& rules, const HostFacts& host) {
  HostMapping out;
  out.path = LearnManagementPaths(observer, local, host.management, host.control_peer);
  out.map = MapNfc(host.nfc, local, rules, ManagementInterfaces(out.path));
  return out;
}

void ManagementIndex::Add(const HostFacts& host, const std::vector<std::string>& interfaces) {
  for (const auto* address : {&host.nfc.text, &host.backup.text}) {
    auto& list = by_address_[*address];
    list.insert(list.end(), interfaces.begin(), interfaces.end());
  }
  for (const auto& n : interfaces)
    AddUnique(any_, n);
}

void ManagementIndex::Clear() {
  by_address_.clear();
  any_.clear();
}

const std::vector<std::string>& ManagementIndex::For(const std::string& address) const {
  auto it = by_address_.find(address);
  return it != by_address_.end() ? it->second : any_;
}

}  // namespace bnfc::proxyd
