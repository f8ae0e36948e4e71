// systemd-networkd deletes routes and policy rules it did not create when it restarts, unless
// ManageForeignRoutes= and ManageForeignRoutingPolicyRules= are off (both default to yes).
#pragma once

#include <string>

#include "bnfc/expected.h"

namespace bnfc::proxyd {

struct NetworkdCheck {
  bool running = false;               // networkd manages this machine's links
  bool manage_foreign_routes = true;  // effective value (default yes)
  bool manage_foreign_rules = true;   // effective value (default yes)
  bool at_risk() const { return running && (manage_foreign_routes || manage_foreign_rules); }
  std::string detail;  // what was read, for the finding's evidence
};

// Reads ROOT/etc/systemd/networkd.conf and its drop-ins (networkd.conf.d/*.conf in /etc, /run,
// /usr/lib, later files win) and whether ROOT/run/systemd/netif exists (networkd running).
NetworkdCheck CheckNetworkd(const std::string& root = "");
// Writes ROOT/etc/systemd/networkd.conf.d/bnfc.conf turning both options off.
Status InstallNetworkdDropIn(const std::string& root = "");
inline constexpr const char* kNetworkdFix =
    "[Network]\nManageForeignRoutes=no\nManageForeignRoutingPolicyRules=no\n";

}  // namespace bnfc::proxyd
