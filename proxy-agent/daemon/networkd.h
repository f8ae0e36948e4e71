// systemd-networkd deletes routes and policy rules it did not create when it restarts, unless
// ManageForeignRoutes= and ManageForeignRoutingPolicyRules= are off (both default to yes).
#pragma once

#include <string>
#include <vector>

#include "bnfc/expected.h"

namespace bnfc::proxyd {

struct NetworkdCheck {
  bool running = false;               // a systemd-networkd process is alive
  bool manages = false;               // it manages (one of) the interfaces asked about
  bool manage_foreign_routes = true;  // effective value (default yes)
  bool manage_foreign_rules = true;   // effective value (default yes)
  bool at_risk() const {
    return running && manages && (manage_foreign_routes || manage_foreign_rules);
  }
  std::string detail;  // what was read, for the finding's evidence
};

// Reads ROOT/etc/systemd/networkd.conf and its drop-ins (networkd.conf.d/*.conf in /etc, /run,
// /usr/lib, later files win); whether networkd runs (a "systemd-network" process in ROOT/proc:
// /run/systemd/netif alone exists on every Debian machine, networkd active or not); and whether it
// manages one of `ifindexes` (any link when empty): ROOT/run/systemd/netif/links/IFINDEX with an
// ADMIN_STATE other than "unmanaged".
NetworkdCheck CheckNetworkd(const std::string& root = "", const std::vector<int>& ifindexes = {});
// Writes ROOT/etc/systemd/networkd.conf.d/bnfc.conf turning both options off.
Status InstallNetworkdDropIn(const std::string& root = "");
inline constexpr const char* kNetworkdFix =
    "[Network]\nManageForeignRoutes=no\nManageForeignRoutingPolicyRules=no\n";

}  // namespace bnfc::proxyd
