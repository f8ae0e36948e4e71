// Pinning TCP 902 to the backup interface: desired state, the diff against the kernel, and the
// netlink seam that reads and changes routes and rules. Only entries carrying our own
// rtm_protocol are ever read for change or deleted; everything else is left alone.
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

// Rules for the families that have routes; constant in the number of hosts.
std::vector<Rule> DesiredRules(const std::vector<Route>& routes, const Ownership& own);
// `want_routes` must hold one route per destination (PinTable::Desired guarantees it).
Diff ComputeDiff(const KernelState& have, const std::vector<Route>& want_routes,
                 const std::vector<Rule>& want_rules);

struct ReconcileResult {
  size_t kept = 0, added = 0, removed = 0, replaced = 0;
  size_t errors = 0;                 // changes the kernel refused
  std::vector<std::string> refused;  // one sentence each
  // Ours as dumped before any change. With no change asked for (diff empty) it is also what the
  // kernel holds now, so a caller needs no second dump to read the pins back.
  KernelState before;
  bool unchanged = false;  // the diff was empty: `before` is the current state
  size_t changes() const { return added + removed + replaced; }
};
// Dump ours, keep what is right, delete what is stale, add what is missing. Zero kernel changes
// when everything is already right. A change the kernel refuses (e.g. a foreign route already
// holds the destination in our table) is counted in `errors`; the rest still lands. The call
// fails only when the kernel cannot be read or written at all.
Expected<ReconcileResult> Reconcile(Kernel& kernel, const Ownership& own,
                                    const std::vector<Route>& desired);

// The pinner of one agent: its ownership and kernel seam.
class Pinner {
 public:
  Pinner(Kernel& kernel, Ownership own) : kernel_(kernel), own_(own) {}
  Expected<ReconcileResult> Reconcile(const std::vector<Route>& desired) {
    return pin::Reconcile(kernel_, own_, desired);
  }
  // Clean stop: removes every route and rule we own, unless `retain`.
  Expected<ReconcileResult> Stop(bool retain) {
    if (retain)
      return ReconcileResult{};
    return pin::Reconcile(kernel_, own_, {});
  }
  const Ownership& ownership() const { return own_; }

 private:
  Kernel& kernel_;
  Ownership own_;
};

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

// Pins per host, with the rules for silence and moves. Pure bookkeeping.
struct PinEntry {
  std::string host_id;
  net::IpAddress nfc_address;
  std::string interface;
  int ifindex = 0;
  std::optional<net::IpAddress> via;
  net::IpAddress source;
  int64_t last_report_ms = 0;
};

class PinTable {
 public:
  // The host's latest mapped report. A different NFC address than before moves the pin (the old
  // address is no longer desired unless another host still reports it).
  void Update(const PinEntry& entry);
  // The host is revoked, or its address no longer maps: its pin goes at the next reconcile.
  void Remove(const std::string& host_id) { pins_.erase(host_id); }
  // Removes the hosts whose last report is older than `ttl_ms` (a silent host keeps its pin until
  // then: pins are harmless, removing one can leak). Returns the removed host ids.
  std::vector<std::string> Expire(int64_t now_ms, int64_t ttl_ms);
  // One route per distinct NFC address. When several hosts report the same address the most
  // recent report decides the route.
  std::vector<Route> Desired() const;
  // NFC addresses reported by more than one host (a duplicate address: a finding, not a pin fix).
  std::map<std::string, std::vector<std::string>> SharedAddresses() const;
  const std::map<std::string, PinEntry>& entries() const { return pins_; }

 private:
  std::map<std::string, PinEntry> pins_;
};

// Flow audit: which TCP/902 flows use the backup path.
struct FlowTarget {
  std::string host_id;
  net::IpAddress nfc_address;
  int backup_ifindex = 0;  // 0: the NFC address maps to no backup interface
  std::optional<net::IpAddress> management_address;
};

enum class FlowClass { kOnBackup, kOffBackup, kUnrelated };

struct ClassifiedFlow {
  Flow flow;
  std::string host_id;  // empty for kUnrelated
  FlowClass cls = FlowClass::kUnrelated;
  std::string reason;  // for kOffBackup: why, one sentence
};

// On-backup: to a host's NFC address and leaving through its backup interface. Off-backup
// (FLOW_OFF_BACKUP): to an NFC address but leaving elsewhere (or with no backup interface for it),
// or to a host's management address (vCenter handed that out: the tag is not in effect).
std::vector<ClassifiedFlow> ClassifyFlows(const std::vector<Flow>& flows,
                                          const std::vector<FlowTarget>& targets,
                                          const std::map<int, std::string>& interface_names = {});

// TCP connect from `source` to `destination:port` with a timeout; nothing is sent. Ok when the
// handshake completed; otherwise the error says what happened (refused, timed out, bind failed).
Status ConnectProbe(const net::IpAddress& source, const net::IpAddress& destination, int port,
                    int timeout_ms);

struct ConnectTarget {
  net::IpAddress source;
  net::IpAddress destination;
};
// Many ConnectProbes at once, sharing one timeout: all handshakes are started, then waited for
// together, so hosts that do not answer cost timeout_ms in all rather than each. One result per
// target, in order.
std::vector<Status> ConnectProbes(const std::vector<ConnectTarget>& targets, int port,
                                  int timeout_ms);

}  // namespace bnfc::pin
