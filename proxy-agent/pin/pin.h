// Pinning TCP 902 to the backup interface: desired state, the diff against the kernel, and the
// netlink seam that reads and changes routes and rules. Only entries carrying our own
// rtm_protocol are ever read for change or deleted; everything else is left alone.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bnfc/expected.h"
#include "bnfc/net.h"

namespace bnfc::pin {

struct Flow;

struct LocalAddress {
  std::string interface;
  std::string mac;
  int ifindex = 0;
  net::Prefix prefix;  // address as configured, with its prefix length
  int mtu = 0;
  bool up = false;
};

// One /32 or /128 route in our table: NFC address via the mapped interface, backup source.
struct Route {
  net::IpAddress destination;
  int ifindex = 0;
  std::optional<net::IpAddress> gateway;
  std::optional<net::IpAddress> source;
  bool operator==(const Route& o) const {
    return destination == o.destination && ifindex == o.ifindex && gateway == o.gateway &&
           source == o.source;
  }
};

// `ipproto tcp dport PORT lookup TABLE`, one per address family.
struct Rule {
  net::Family family = net::Family::kIPv4;
  int priority = 0;
  int table = 0;
  int dport = 0;
  bool operator==(const Rule& o) const {
    return family == o.family && priority == o.priority && table == o.table && dport == o.dport;
  }
};

struct KernelState {
  std::vector<Route> routes;  // ours only (protocol filtered)
  std::vector<Rule> rules;    // ours only
};

struct Ownership {
  int table = 902;
  int protocol = 190;
  int priority = 9020;
  int dport = 902;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual Expected<std::vector<LocalAddress>> Addresses() = 0;
  virtual Expected<KernelState> DumpOwned(const Ownership& own) = 0;
  virtual Status Apply(const Ownership& own, const std::vector<Route>& add_routes,
                       const std::vector<Route>& del_routes, const std::vector<Rule>& add_rules,
                       const std::vector<Rule>& del_rules) = 0;
  // MAC of the neighbor entry for `address` on `ifindex`, empty when none or incomplete.
  virtual Expected<std::string> NeighborMac(int ifindex, const net::IpAddress& address) = 0;
  // TCP sockets with destination port `dport` from the kernel socket table (sock_diag), each with
  // the interface the kernel's route for it takes now (policy rules included).
  virtual Expected<std::vector<struct Flow>> Flows(int dport) = 0;
};

struct Flow {
  net::IpAddress source;
  net::IpAddress destination;
  int oif = 0;  // interface the route lookup chose; 0 when it failed
};

// libmnl implementation in the calling process's network namespace.
std::unique_ptr<Kernel> MakeNetlinkKernel();

struct Diff {
  std::vector<Route> add_routes, del_routes;
  std::vector<Rule> add_rules, del_rules;
  size_t kept = 0;
  bool empty() const {
    return add_routes.empty() && del_routes.empty() && add_rules.empty() && del_rules.empty();
  }
};

// Rules for the families that have routes; constant in the number of hosts.
std::vector<Rule> DesiredRules(const std::vector<Route>& routes, const Ownership& own);
Diff ComputeDiff(const KernelState& have, const std::vector<Route>& want_routes,
                 const std::vector<Rule>& want_rules);

struct ReconcileResult {
  size_t kept = 0, added = 0, removed = 0;
};
// Dump ours, keep what is right, delete what is stale, add what is missing. Zero kernel changes
// when everything is already right.
Expected<ReconcileResult> Reconcile(Kernel& kernel, const Ownership& own,
                                    const std::vector<Route>& desired);

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
  std::string finding;  // NO_MAPPING | AMBIGUOUS_MAPPING | NOT_L2_ADJACENT | INTERFACE_DOWN | ""
  std::string detail;
};

// Automatic when exactly one allowed local interface's subnet holds the address; else the most
// specific manual mapping; never a guess.
MapResult Map(const net::IpAddress& nfc, const std::vector<LocalAddress>& local,
              const std::vector<ManualMapping>& manual,
              const std::vector<std::string>& allowed_interfaces);

}  // namespace bnfc::pin
