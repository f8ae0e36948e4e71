// Mapping: which local interface (and source address) an NFC address is pinned through. Pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "kernel.h"

namespace bnfc::pin {

// Mapping an NFC address to a local interface.
struct ManualMapping {
  net::Prefix prefix;
  std::string interface;
  std::optional<net::IpAddress> via;
};

struct MapResult {
  bool ok = false;
  std::string interface;
  int ifindex = 0;
  int mtu = 0;
  net::IpAddress source;              // the proxy's backup address used as source
  std::optional<net::IpAddress> via;  // set: routed, not L2 adjacent
  bool l2_adjacent = false;
  bool manual = false;  // chosen by a mapping line
  // NO_MAPPING only because the interfaces on the address's subnet carry the management path.
  bool management_excluded = false;
  std::string finding;  // NO_MAPPING | AMBIGUOUS_MAPPING | NOT_L2_ADJACENT | INTERFACE_DOWN | ""
  std::string detail;
};

// Automatic when exactly one allowed local interface's subnet holds the address; else the most
// specific manual mapping (which also settles an ambiguity); never a guess. Link-local addresses
// (169.254/16, fe80::/10) are never used as a subnet or a source. `management_interfaces` (the
// proxy's own path to the host's management side) are never chosen automatically, whether or not
// backup interfaces are configured; a mapping line may still name one (the disjoint-path check
// then reports it).
MapResult Map(const net::IpAddress& nfc, const std::vector<LocalAddress>& local,
              const std::vector<ManualMapping>& manual,
              const std::vector<std::string>& allowed_interfaces,
              const std::vector<std::string>& management_interfaces = {});

}  // namespace bnfc::pin
