// Loading saved esxcli outputs from a folder and rendering the inventory.
#include "hostagent/inventory.h"

#include <sstream>

#include "bnfc/findings.h"
#include "bnfc/fs.h"
#include "bnfc/text.h"
#include "hostagent/parse.h"

namespace bnfc::hostagent {
namespace {

using nlohmann::json;

template <typename T>
json OrNull(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// Reads "<base>.xml" (preferred) or "<base>.txt" and parses it with `parse`. Records problems;
// returns nullopt when neither file gave a value.
template <typename T, typename Fn>
std::optional<T> LoadOne(const std::string& dir, const std::string& base, Fn parse, Inventory* inv,
                         bool report_missing = true) {
  bool found = false;
  for (Format format : {Format::kXml, Format::kText}) {
    const std::string name = base + (format == Format::kXml ? ".xml" : ".txt");
    auto bytes = fs::ReadFile(dir + "/" + name);
    if (!bytes.ok()) {
      if (bytes.error().code != ErrorCode::kNotFound) {
        inv->problems.push_back({codes::kFileUnreadable, name + ": " + bytes.error().message});
        found = true;
      }
      continue;
    }
    found = true;
    Expected<T> value = parse(*bytes, format);
    if (!value.ok()) {
      inv->problems.push_back({codes::kParseError, name + ": " + value.error().message});
      continue;
    }
    inv->files_used.push_back(name);
    return std::move(*value);
  }
  if (!found && report_missing) {
    inv->problems.push_back({codes::kFileMissing, base + ".txt"});
  }
  return std::nullopt;
}

}  // namespace

Expected<Inventory> LoadInventoryFromDir(const std::string& dir) {
  if (!fs::Exists(dir)) {
    return Unexpected(ErrorCode::kNotFound, "folder '" + dir + "' does not exist");
  }
  Inventory inv;
  if (auto v = LoadOne<VersionInfo>(dir, "system_version_get", ParseSystemVersion, &inv)) {
    inv.state.version = *v;
    inv.have_version = true;
  }
  auto interfaces = LoadOne<std::vector<InterfaceRow>>(dir, "network_ip_interface_list",
                                                       ParseInterfaceList, &inv);
  auto ipv4 =
      LoadOne<std::vector<Ipv4Row>>(dir, "network_ip_interface_ipv4_get", ParseIpv4Get, &inv);
  auto ipv6 = LoadOne<std::vector<Ipv6Row>>(dir, "network_ip_interface_ipv6_address_list",
                                            ParseIpv6AddressList, &inv, /*report_missing=*/false);
  std::vector<InterfaceRow> iface_rows = interfaces ? *interfaces : std::vector<InterfaceRow>{};
  std::vector<Ipv4Row> ipv4_rows = ipv4 ? *ipv4 : std::vector<Ipv4Row>{};
  if (!interfaces) {
    // Without the interface list the vmknics are known only by their IPv4 rows.
    for (const Ipv4Row& r : ipv4_rows) {
      InterfaceRow i;
      i.name = r.name;
      iface_rows.push_back(i);
    }
  }
  if (!ipv4) {
    // Per-vmknic captures (ipv4 get -i vmkN) as a fallback for the all-vmknic one.
    for (const InterfaceRow& i : iface_rows) {
      auto one = LoadOne<std::vector<Ipv4Row>>(dir, "network_ip_interface_ipv4_get_" + i.name,
                                               ParseIpv4Get, &inv, /*report_missing=*/false);
      if (one) {
        ipv4_rows.insert(ipv4_rows.end(), one->begin(), one->end());
      }
    }
  }
  inv.state.vmknics = MergeVmknics(iface_rows, ipv4_rows, ipv6 ? *ipv6 : std::vector<Ipv6Row>{});
  // Without the portgroup list the VLANs stay unknown (a FILE_MISSING problem, not fatal).
  auto portgroups = LoadOne<std::vector<PortgroupRow>>(
      dir, "network_vswitch_standard_portgroup_list", ParsePortgroupList, &inv);
  ApplyPortgroups(portgroups ? &*portgroups : nullptr, &inv.state.vmknics);
  for (VmknicInfo& v : inv.state.vmknics) {
    v.tags = LoadOne<std::vector<std::string>>(dir, "network_ip_interface_tag_get_" + v.name,
                                               ParseTagGet, &inv);
  }
  if (auto n = LoadOne<std::vector<NeighborRow>>(dir, "network_ip_neighbor_list", ParseNeighborList,
                                                 &inv)) {
    inv.state.neighbors = *n;
  }
  if (auto r = LoadOne<std::vector<RouteRow>>(dir, "network_ip_route_ipv4_list", ParseRouteIpv4List,
                                              &inv)) {
    inv.state.routes = *r;
  }
  if (auto s = LoadOne<std::vector<NetstackRow>>(dir, "network_ip_netstack_list", ParseNetstackList,
                                                 &inv)) {
    for (const NetstackRow& row : *s) {
      inv.state.netstacks.push_back(row.key);
    }
  }
  if (inv.files_used.empty()) {
    std::string why;
    for (const Problem& p : inv.problems) {
      if (p.code != codes::kFileMissing) {
        why += "; " + p.detail;
      }
    }
    return Unexpected(ErrorCode::kNotFound,
                      "no usable esxcli output in '" + dir +
                          "' (expected files such as system_version_get.txt or "
                          "network_ip_interface_list.xml)" +
                          why);
  }
  return inv;
}

json HostJson(const VersionInfo& v) {
  return json{{"product", OrNull(v.product)},
              {"version", OrNull(v.version)},
              {"build", OrNull(v.build)},
              {"update", OrNull(v.update)},
              {"patch", OrNull(v.patch)}};
}

json VmknicJson(const VmknicInfo& v) {
  json j{{"name", v.name},
         {"portgroup", OrNull(v.portgroup)},
         {"netstack", OrNull(v.netstack)},
         {"mac", OrNull(v.mac)},
         {"mtu", OrNull(v.mtu)},
         {"enabled", OrNull(v.enabled)},
         {"switch_name", v.SwitchName().empty() ? json(nullptr) : json(v.SwitchName())},
         {"on_vds", v.OnVds()},
         {"vlan_known", v.vlan_id.has_value()},
         {"vlan_id", OrNull(v.vlan_id)}};
  if (v.ipv4) {
    j["ipv4"] = json{{"address", v.ipv4->address},
                     {"netmask", OrNull(v.ipv4->netmask)},
                     {"prefix", OrNull(v.ipv4->prefix)},
                     {"gateway", OrNull(v.ipv4->gateway)},
                     {"type", OrNull(v.ipv4->type)}};
  } else {
    j["ipv4"] = nullptr;
  }
  j["ipv6"] = v.ipv6;
  j["tags"] = OrNull(v.tags);
  return j;
}

json NeighborJson(const NeighborRow& n) {
  return json{{"ip", n.ip},
              {"mac", n.mac},
              {"vmknic", n.vmknic},
              {"expiry_s", OrNull(n.expiry_s)},
              {"state", OrNull(n.state)},
              {"type", OrNull(n.type)}};
}

json RouteJson(const RouteRow& r) {
  return json{{"network", r.network},
              {"netmask", r.netmask},
              {"gateway", r.gateway},
              {"interface", r.interface},
              {"source", OrNull(r.source)}};
}

json InventoryToJson(const Inventory& inv) {
  json j;
  j["host"] = HostJson(inv.state.version);
  j["vmknics"] = json::array();
  for (const VmknicInfo& v : inv.state.vmknics) {
    j["vmknics"].push_back(VmknicJson(v));
  }
  j["neighbors"] = json::array();
  for (const NeighborRow& n : inv.state.neighbors) {
    j["neighbors"].push_back(NeighborJson(n));
  }
  j["routes"] = json::array();
  for (const RouteRow& r : inv.state.routes) {
    j["routes"].push_back(RouteJson(r));
  }
  j["netstacks"] = inv.state.netstacks;
  j["problems"] = json::array();
  for (const Problem& p : inv.problems) {
    j["problems"].push_back(json{{"code", p.code}, {"detail", p.detail}});
  }
  return j;
}

std::string InventoryToText(const Inventory& inv) {
  std::ostringstream o;
  // Every value comes from command output: escaped, so no byte of it reaches a terminal raw.
  const auto e = [](const std::string& value) { return text::EscapeForLine(value, 256); };
  const VersionInfo& v = inv.state.version;
  o << "host: " << e(v.product.value_or("?")) << " " << e(v.version.value_or("?")) << " "
    << e(v.build.value_or("?")) << "\n";
  o << "vmknics:\n";
  for (const VmknicInfo& n : inv.state.vmknics) {
    o << "  " << e(n.name) << "  portgroup=" << e(n.portgroup.value_or("-"))
      << "  netstack=" << e(n.netstack.value_or("-"))
      << "  mtu=" << (n.mtu ? std::to_string(*n.mtu) : std::string("-"))
      << "  enabled=" << (n.enabled ? (*n.enabled ? "true" : "false") : "-") << "\n";
    o << "        switch=" << (n.SwitchName().empty() ? "-" : n.SwitchName())
      << (n.OnVds() ? " (VDS)" : "")
      << "  vlan=" << (n.vlan_id ? std::to_string(*n.vlan_id) : std::string("unknown")) << "\n";
    o << "        ipv4="
      << (n.ipv4 ? e(n.ipv4->address) + "/" +
                       (n.ipv4->prefix ? std::to_string(*n.ipv4->prefix) : std::string("?"))
                 : std::string("none"));
    o << "  tags=";
    if (!n.tags) {
      o << "(not read)";
    } else if (n.tags->empty()) {
      o << "(none)";
    } else {
      for (size_t i = 0; i < n.tags->size(); ++i) {
        o << (i ? "," : "") << e((*n.tags)[i]);
      }
    }
    o << "\n";
  }
  o << "neighbors: " << inv.state.neighbors.size() << "\n";
  for (const NeighborRow& n : inv.state.neighbors) {
    o << "  " << e(n.ip) << "  " << e(n.mac) << "  " << e(n.vmknic) << "\n";
  }
  o << "routes: " << inv.state.routes.size() << "\n";
  for (const RouteRow& r : inv.state.routes) {
    o << "  " << e(r.network) << "/" << e(r.netmask) << " via " << e(r.gateway) << " dev "
      << e(r.interface) << "\n";
  }
  o << "netstacks:";
  for (const std::string& s : inv.state.netstacks) {
    o << " " << e(s);
  }
  o << "\n";
  if (!inv.problems.empty()) {
    o << "problems:\n";
    for (const Problem& p : inv.problems) {
      o << "  " << e(p.code) << ": " << e(p.detail) << "\n";
    }
  }
  return o.str();
}

}  // namespace bnfc::hostagent
