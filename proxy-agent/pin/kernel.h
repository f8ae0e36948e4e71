// The netlink adapter's interface: what the pinner and the proxy read from and change in the
// kernel (addresses, our routes and rules, route lookups, neighbors, sockets, ARP, change
// notifications). Only entries carrying our own rtm_protocol are ever read for change or deleted;
// everything else is left alone. netlink.cpp is the libmnl implementation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bnfc/expected.h"
#include "bnfc/net.h"

namespace bnfc::pin {

struct LocalAddress {
  std::string interface;
  std::string mac;
  int ifindex = 0;
  net::Prefix prefix;  // address as configured, with its prefix length
  int mtu = 0;
  bool up = false;
};

// One /32 or /128 route in our table: NFC address via the mapped interface, backup source.
// Dumped entries that carry our protocol but are not such a pin (another table, a shorter
// prefix) keep their table and length so they can be deleted exactly; they are always stale.
struct Route {
  Route() = default;
  Route(net::IpAddress dst, int oif, std::optional<net::IpAddress> via,
        std::optional<net::IpAddress> src)
      : destination(dst), ifindex(oif), gateway(via), source(src) {}

  net::IpAddress destination;
  int ifindex = 0;
  std::optional<net::IpAddress> gateway;
  std::optional<net::IpAddress> source;
  int table = 0;    // 0: the agent's table
  int length = -1;  // -1: host route (/32, /128)
  // Dumped routes only: the route's metric, sent back on delete/replace so that exactly this
  // route is meant. Not part of what makes a pin right.
  std::optional<uint32_t> metric;
  // Dumped routes only: rtmsg and attributes as the kernel sent them, for an exact delete.
  std::vector<uint8_t> raw;
  bool operator==(const Route& o) const {
    return destination == o.destination && ifindex == o.ifindex && gateway == o.gateway &&
           source == o.source && table == o.table && length == o.length;
  }
};

// `ipproto tcp dport PORT lookup TABLE`, one per address family.
struct Rule {
  Rule() = default;
  Rule(net::Family f, int prio, int tbl, int port)
      : family(f), priority(prio), table(tbl), dport(port) {}

  net::Family family = net::Family::kIPv4;
  int priority = 0;
  int table = 0;
  int dport = 0;
  // Dumped rules only: the rule has selectors or actions ours never set (from/to, iif/oif, fwmark,
  // another ip protocol, a port range, goto, ...), so it is ours but not right.
  bool extra = false;
  // Dumped rules only: the rule's fib_rule_hdr and attributes as the kernel sent them. A delete
  // sends them back verbatim so that exactly this rule goes, never a look-alike.
  std::vector<uint8_t> raw;
  bool operator==(const Rule& o) const {
    return family == o.family && priority == o.priority && table == o.table && dport == o.dport &&
           extra == o.extra;
  }
};

struct KernelState {
  std::vector<Route> routes;  // ours only (protocol filtered), in any table
  std::vector<Rule> rules;    // ours only
};

struct Ownership {
  int table = 902;
  int protocol = 190;
  int priority = 9020;
  int dport = 902;
};

struct Diff {
  std::vector<Route> add_routes, del_routes;
  // Ours, same destination, wrong interface/gateway/source: replaced in place (NLM_F_REPLACE), so
  // the address is never without a pin while it moves.
  std::vector<Route> replace_routes;
  std::vector<Rule> add_rules, del_rules;
  size_t kept = 0;
  bool empty() const {
    return add_routes.empty() && del_routes.empty() && replace_routes.empty() &&
           add_rules.empty() && del_rules.empty();
  }
  size_t changes() const {
    return add_routes.size() + del_routes.size() + replace_routes.size() + add_rules.size() +
           del_rules.size();
  }
};

// What the kernel did with a batch: how many changes it accepted, and one sentence per refusal.
struct ApplyResult {
  size_t accepted = 0;
  std::vector<std::string> refused;
};

// The kernel's route lookup for one TCP flow (RTM_GETROUTE with ipproto and dport).
struct RouteLookup {
  int oif = 0;
  int table = 0;
  std::optional<net::IpAddress> gateway;
  std::optional<net::IpAddress> source;
};

struct Flow {
  net::IpAddress source;
  net::IpAddress destination;
  int sport = 0;
  int dport = 0;
  int state = 0;  // TCP state number as the kernel reports it (1 = ESTABLISHED)
  int oif = 0;    // interface the route lookup chose; 0 when it failed
  int table = 0;  // table the lookup found the route in
};

// One answer to an ARP probe: `target` is at `mac` (several devices may answer for one target).
struct ArpAnswer {
  net::IpAddress target;
  std::string mac;
};

// Link, address and main-table route change notifications (RTNLGRP_LINK, RTNLGRP_IPV4/6_IFADDR,
// RTNLGRP_IPV4/6_ROUTE).
class ChangeWatch {
 public:
  virtual ~ChangeWatch() = default;
  // Readable when something changed: for poll() next to the other sockets of the loop.
  virtual int fd() const = 0;
  // Reads what is pending without blocking; true when at least one link, address or main-table
  // route changed.
  virtual Expected<bool> Drain() = 0;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Every address of every link, with the link's name, MAC, MTU and state.
  virtual Expected<std::vector<LocalAddress>> Addresses() = 0;
  // Routes (any table) and rules carrying own.protocol; nothing else is returned.
  virtual Expected<KernelState> DumpOwned(const Ownership& own) = 0;
  // Sends the whole diff in batches (many messages per send, then the acknowledgements): rules
  // deleted first, then routes deleted, replaced and added, then rules added. Routes are added
  // with NLM_F_EXCL, never over a foreign route. Fails only when netlink itself fails.
  virtual Expected<ApplyResult> Apply(const Ownership& own, const Diff& diff) = 0;
  // MAC of the neighbor entry for `address` on `ifindex`, empty when none or incomplete.
  virtual Expected<std::string> NeighborMac(int ifindex, const net::IpAddress& address) = 0;
  // Route lookup for a TCP flow, policy rules included.
  virtual Expected<RouteLookup> RouteGet(const std::optional<net::IpAddress>& source,
                                         const net::IpAddress& destination, int dport) = 0;
  // TCP sockets with destination port `dport` from the kernel socket table (sock_diag INET_DIAG,
  // LISTEN, TIME_WAIT and CLOSE excluded), each with the interface the kernel's route for it takes
  // now.
  virtual Expected<std::vector<Flow>> Flows(int dport) = 0;
  // Subscribes to link, address and main-table route changes.
  virtual Expected<std::unique_ptr<ChangeWatch>> WatchLinks() = 0;
  // RFC 5227 ARP probes (sender address 0.0.0.0, so no neighbor cache is touched) for every IPv4
  // `targets` entry, broadcast out of `ifindex` from `own_mac`, all at once; the answers heard on
  // that interface within `timeout_ms`. Who answers shares the interface's broadcast domain.
  virtual Expected<std::vector<ArpAnswer>> ArpProbe(int ifindex, const std::string& own_mac,
                                                    const std::vector<net::IpAddress>& targets,
                                                    int timeout_ms) = 0;
};

// libmnl implementation in the calling process's network namespace.
std::unique_ptr<Kernel> MakeNetlinkKernel();

}  // namespace bnfc::pin
