// In-memory pin::Kernel for unit tests: routes and rules of every owner, with the kernel's rules
// that matter to the pinner (a route add over an existing destination in the same table fails with
// EEXIST whoever owns it; deletes and replaces only find entries with the caller's protocol).
#pragma once

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "pin.h"

namespace bnfc::pin::testing {

class FakeKernel : public Kernel {
 public:
  struct Entry {
    Route route;  // route.table holds the real table id here
    int protocol = 0;
  };
  struct RuleEntry {
    Rule rule;
    int protocol = 0;
  };

  std::vector<LocalAddress> addresses;
  std::vector<Entry> routes;
  std::vector<RuleEntry> rules;
  std::vector<std::pair<std::pair<int, net::IpAddress>, std::string>> neighbors;
  std::vector<Flow> flows;
  size_t changes = 0;  // kernel changes accepted, over the fake's life
  size_t applies = 0;  // Apply calls
  bool fail_dump = false;
  int change_events = 0;  // what the next Drain() of a watch reports

  void AddForeignRoute(const Route& r, int table, int protocol) {
    Entry e{r, protocol};
    e.route.table = table;
    routes.push_back(e);
  }

  Expected<std::vector<LocalAddress>> Addresses() override { return addresses; }

  Expected<KernelState> DumpOwned(const Ownership& own) override {
    if (fail_dump)
      return Unexpected(ErrorCode::kIo, "netlink dump: fake failure");
    KernelState s;
    for (const auto& e : routes) {
      if (e.protocol != own.protocol)
        continue;
      Route r = e.route;
      r.table = r.table == own.table ? 0 : r.table;
      s.routes.push_back(r);
    }
    for (const auto& e : rules) {
      if (e.protocol == own.protocol)
        s.rules.push_back(e.rule);
    }
    return s;
  }

  Expected<ApplyResult> Apply(const Ownership& own, const Diff& d) override {
    applies++;
    ApplyResult out;
    auto real_table = [&](const Route& r) { return r.table == 0 ? own.table : r.table; };
    auto same_place = [&](const Entry& e, const Route& r) {
      return e.route.table == real_table(r) && e.route.destination == r.destination &&
             e.route.length == r.length;
    };
    for (const auto& r : d.del_rules) {
      auto it = std::find_if(rules.begin(), rules.end(), [&](const RuleEntry& e) {
        return e.protocol == own.protocol && e.rule == r;
      });
      if (it != rules.end()) {
        rules.erase(it);
        changes++;
      }
      out.accepted++;
    }
    for (const auto& r : d.del_routes) {
      auto it = std::find_if(routes.begin(), routes.end(), [&](const Entry& e) {
        return e.protocol == own.protocol && same_place(e, r);
      });
      if (it != routes.end()) {
        routes.erase(it);
        changes++;
      }
      out.accepted++;
    }
    for (const auto& r : d.replace_routes) {
      auto it = std::find_if(routes.begin(), routes.end(), [&](const Entry& e) {
        return e.protocol == own.protocol && same_place(e, r);
      });
      if (it == routes.end()) {
        out.refused.push_back("replace " + r.destination.ToString() + ": No such process");
        continue;
      }
      it->route = r;
      it->route.table = own.table;
      changes++;
      out.accepted++;
    }
    for (const auto& r : d.add_routes) {
      bool taken = std::any_of(routes.begin(), routes.end(),
                               [&](const Entry& e) { return same_place(e, r); });
      if (taken) {
        out.refused.push_back("add route " + r.destination.ToString() + ": File exists");
        continue;
      }
      Entry e{r, own.protocol};
      e.route.table = own.table;
      routes.push_back(e);
      changes++;
      out.accepted++;
    }
    for (const auto& r : d.add_rules) {
      rules.push_back({r, own.protocol});
      changes++;
      out.accepted++;
    }
    return out;
  }

  Expected<std::string> NeighborMac(int ifindex, const net::IpAddress& address) override {
    for (const auto& [key, mac] : neighbors) {
      if (key.first == ifindex && key.second == address)
        return mac;
    }
    return std::string();
  }

  // Policy routing as the pinner sets it up: TCP to our dport finds our table first.
  Expected<RouteLookup> RouteGet(const std::optional<net::IpAddress>&,
                                 const net::IpAddress& destination, int dport) override {
    for (const auto& rule : rules) {
      if (rule.rule.dport != dport || rule.rule.family != destination.family)
        continue;
      for (const auto& e : routes) {
        if (e.route.table == rule.rule.table && e.route.destination == destination)
          return RouteLookup{e.route.ifindex, e.route.table, e.route.gateway, e.route.source};
      }
    }
    const std::pair<net::Prefix, RouteLookup>* best = nullptr;
    for (const auto& m : main_routes) {
      if (m.first.Contains(destination) && (best == nullptr || m.first.length > best->first.length))
        best = &m;
    }
    if (best != nullptr)
      return best->second;
    return RouteLookup{main_oif, 254, std::nullopt, std::nullopt};
  }
  int main_oif = 1;
  // The main table, for lookups no pin answers: longest prefix wins, else main_oif.
  std::vector<std::pair<net::Prefix, RouteLookup>> main_routes;

  Expected<std::vector<Flow>> Flows(int dport) override {
    std::vector<Flow> out;
    for (auto f : flows) {
      if (f.dport != dport)
        continue;
      auto r = RouteGet(f.source, f.destination, f.dport);
      f.oif = r->oif;
      f.table = r->table;
      out.push_back(f);
    }
    return out;
  }

  class Watch : public ChangeWatch {
   public:
    explicit Watch(FakeKernel& k) : k_(k) {}
    int fd() const override { return -1; }
    Expected<bool> Drain() override {
      bool changed = k_.change_events > 0;
      k_.change_events = 0;
      return changed;
    }

   private:
    FakeKernel& k_;
  };
  // Who answers ARP on which interface: (ifindex, address, MAC).
  std::vector<std::tuple<int, net::IpAddress, std::string>> arp_answers;
  bool fail_arp = false;
  size_t arp_probes = 0;  // ArpProbe calls
  Expected<std::vector<ArpAnswer>> ArpProbe(int ifindex, const std::string&,
                                            const std::vector<net::IpAddress>& targets,
                                            int) override {
    arp_probes++;
    if (fail_arp)
      return Unexpected(ErrorCode::kUnavailable, "ARP probe socket: fake failure");
    std::vector<ArpAnswer> out;
    for (const auto& [i, a, mac] : arp_answers) {
      if (i == ifindex && std::find(targets.begin(), targets.end(), a) != targets.end())
        out.push_back({a, mac});
    }
    return out;
  }

  Expected<std::unique_ptr<ChangeWatch>> WatchLinks() override {
    return std::unique_ptr<ChangeWatch>(new Watch(*this));
  }
};

}  // namespace bnfc::pin::testing
