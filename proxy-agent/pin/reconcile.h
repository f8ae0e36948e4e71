// Reconcile: the desired pins per host (PinTable), the diff against what the kernel holds of ours,
// and applying it. Pure except Reconcile/Pinner, which go through the Kernel seam.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bnfc/expected.h"
#include "kernel.h"

namespace bnfc::pin {

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

}  // namespace bnfc::pin
