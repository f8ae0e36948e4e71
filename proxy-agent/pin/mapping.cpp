#include "mapping.h"

#include <algorithm>
#include <set>

#include "bnfc/findings.h"

namespace bnfc::pin {
namespace {

bool IsLinkLocalPrefix(const LocalAddress& a) {
  return net::IsLinkLocal(a.prefix.address);
}

}  // namespace

MapResult Map(const net::IpAddress& nfc, const std::vector<LocalAddress>& local,
              const std::vector<ManualMapping>& manual,
              const std::vector<std::string>& allowed_interfaces,
              const std::vector<std::string>& management_interfaces) {
  MapResult m;
  auto management = [&](const std::string& name) {
    return std::find(management_interfaces.begin(), management_interfaces.end(), name) !=
           management_interfaces.end();
  };
  std::set<std::string> excluded;
  auto allowed = [&](const std::string& name) {
    return allowed_interfaces.empty() ||
           std::find(allowed_interfaces.begin(), allowed_interfaces.end(), name) !=
               allowed_interfaces.end();
  };
  std::vector<const LocalAddress*> holders;
  std::set<std::string> holder_names;
  for (const auto& a : local) {
    if (IsLinkLocalPrefix(a) || !allowed(a.interface))
      continue;
    if (a.prefix.Contains(nfc) && a.prefix.address != nfc) {
      if (management(a.interface)) {
        excluded.insert(a.interface);
      } else if (holder_names.insert(a.interface).second) {
        holders.push_back(&a);
      }
    }
  }
  if (holders.size() == 1) {
    const LocalAddress& a = *holders[0];
    m.ok = true;
    m.interface = a.interface;
    m.ifindex = a.ifindex;
    m.mtu = a.mtu;
    m.source = a.prefix.address;
    m.l2_adjacent = true;
    if (!a.up) {
      m.finding = codes::kInterfaceDown;
      m.detail = "backup interface " + a.interface + " is down";
    }
    return m;
  }
  const ManualMapping* best = nullptr;
  for (const auto& mm : manual) {
    if (mm.prefix.Contains(nfc) && (best == nullptr || mm.prefix.length > best->prefix.length)) {
      best = &mm;
    }
  }
  if (best == nullptr && holders.size() > 1) {
    m.finding = codes::kAmbiguousMapping;
    m.detail = nfc.ToString() + " is inside the subnets of " + std::to_string(holders.size()) +
               " interfaces (" + holders[0]->interface + ", " + holders[1]->interface +
               "); add a mapping line to choose one";
    return m;
  }
  if (best == nullptr && !excluded.empty()) {
    std::string names;
    for (const auto& n : excluded)
      names += (names.empty() ? "" : ", ") + n;
    m.finding = codes::kNoMapping;
    m.management_excluded = true;
    m.detail = nfc.ToString() + " is on the subnet of " + names +
               ", which carries the management path to the host; add a separate backup "
               "interface on that subnet";
    return m;
  }
  if (best == nullptr) {
    m.finding = codes::kNoMapping;
    m.detail = "no backup interface holds " + nfc.ToString() +
               "; add a proxy interface on the host's backup subnet";
    return m;
  }
  // The source: an address of that family on the named interface, preferring one whose subnet
  // holds the gateway (or the NFC address), never a link-local one.
  const LocalAddress* chosen = nullptr;
  bool named_exists = false;
  for (const auto& a : local) {
    if (a.interface != best->interface)
      continue;
    named_exists = true;
    if (a.prefix.address.family != nfc.family || IsLinkLocalPrefix(a))
      continue;
    const net::IpAddress& near = best->via ? *best->via : nfc;
    if (chosen == nullptr || (a.prefix.Contains(near) && !chosen->prefix.Contains(near)))
      chosen = &a;
  }
  if (chosen == nullptr) {
    m.finding = codes::kNoMapping;
    m.detail =
        "mapping " + best->prefix.ToString() + " names " + best->interface +
        (named_exists ? ", which has no usable address of that family" : ", which does not exist");
    return m;
  }
  if (!allowed(chosen->interface)) {
    m.finding = codes::kNoMapping;
    m.detail = "mapping " + best->prefix.ToString() + " names " + best->interface +
               ", which is not a backup_interface";
    return m;
  }
  const LocalAddress& a = *chosen;
  m.ok = true;
  m.manual = true;
  m.interface = a.interface;
  m.ifindex = a.ifindex;
  m.mtu = a.mtu;
  m.source = a.prefix.address;
  m.via = best->via;
  m.l2_adjacent = !best->via.has_value();
  if (best->via) {
    m.finding = "NOT_L2_ADJACENT";
    m.detail = nfc.ToString() + " is reached through gateway " + best->via->ToString() + " on " +
               a.interface + ": routed, not isolated on one segment";
  } else if (!a.up) {
    m.finding = codes::kInterfaceDown;
    m.detail = "backup interface " + a.interface + " is down";
  }
  return m;
}

}  // namespace bnfc::pin
