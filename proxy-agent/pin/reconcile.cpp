#include "reconcile.h"

#include <algorithm>
#include <set>
#include <tuple>

namespace bnfc::pin {

std::vector<Rule> DesiredRules(const std::vector<Route>& routes, const Ownership& own) {
  bool v4 = false, v6 = false;
  for (const auto& r : routes) {
    (r.destination.family == net::Family::kIPv4 ? v4 : v6) = true;
  }
  std::vector<Rule> out;
  if (v4)
    out.push_back({net::Family::kIPv4, own.priority, own.table, own.dport});
  if (v6)
    out.push_back({net::Family::kIPv6, own.priority, own.table, own.dport});
  return out;
}

namespace {

void DiffRules(const std::vector<Rule>& have, const std::vector<Rule>& want, Diff* d) {
  std::vector<bool> used(have.size(), false);
  for (const auto& w : want) {
    bool found = false;
    for (size_t i = 0; i < have.size(); ++i) {
      if (!used[i] && have[i] == w) {
        used[i] = true;
        found = true;
        break;
      }
    }
    if (found) {
      ++d->kept;
    } else {
      d->add_rules.push_back(w);
    }
  }
  for (size_t i = 0; i < have.size(); ++i) {
    if (!used[i])
      d->del_rules.push_back(have[i]);
  }
}

// Routes are keyed by (table, length, destination): a quadratic scan would cost seconds at 100k
// pins. Desired pins all have the agent's table and host length, so a stray of ours elsewhere
// never matches one.
using RouteKey = std::tuple<int, int, net::IpAddress>;
RouteKey KeyOf(const Route& r) {
  return {r.table, r.length, r.destination};
}

void DiffRoutes(const std::vector<Route>& have, const std::vector<Route>& want, Diff* d) {
  std::vector<const Route*> h, w;
  for (const auto& r : have)
    h.push_back(&r);
  for (const auto& r : want)
    w.push_back(&r);
  auto less = [](const Route* a, const Route* b) { return KeyOf(*a) < KeyOf(*b); };
  std::stable_sort(h.begin(), h.end(), less);
  std::stable_sort(w.begin(), w.end(), less);
  // One desired route per destination: a duplicate would be refused by the kernel anyway.
  w.erase(std::unique(w.begin(), w.end(),
                      [](const Route* a, const Route* b) { return KeyOf(*a) == KeyOf(*b); }),
          w.end());
  size_t i = 0, j = 0;
  while (i < h.size() || j < w.size()) {
    if (j == w.size() || (i < h.size() && KeyOf(*h[i]) < KeyOf(*w[j]))) {
      d->del_routes.push_back(*h[i++]);
      continue;
    }
    if (i == h.size() || KeyOf(*w[j]) < KeyOf(*h[i])) {
      d->add_routes.push_back(*w[j++]);
      continue;
    }
    // Same key. The kernel may hold several of ours for it (different metrics): the first right
    // one is kept, every other one goes.
    size_t end = i;
    while (end < h.size() && KeyOf(*h[end]) == KeyOf(*w[j]))
      ++end;
    size_t right = end;
    for (size_t k = i; k < end; ++k) {
      if (*h[k] == *w[j]) {
        right = k;
        break;
      }
    }
    if (right != end) {
      d->kept++;
    } else {
      Route moved = *w[j];
      moved.metric = h[i]->metric;  // replaces exactly that route of ours
      d->replace_routes.push_back(moved);
      right = i;
    }
    for (size_t k = i; k < end; ++k) {
      if (k != right)
        d->del_routes.push_back(*h[k]);
    }
    i = end;
    ++j;
  }
}

}  // namespace

Diff ComputeDiff(const KernelState& have, const std::vector<Route>& want_routes,
                 const std::vector<Rule>& want_rules) {
  Diff d;
  DiffRoutes(have.routes, want_routes, &d);
  DiffRules(have.rules, want_rules, &d);
  return d;
}

Expected<ReconcileResult> Reconcile(Kernel& kernel, const Ownership& own,
                                    const std::vector<Route>& desired) {
  auto have = kernel.DumpOwned(own);
  if (!have) {
    return have.error();
  }
  Diff d = ComputeDiff(*have, desired, DesiredRules(desired, own));
  ReconcileResult r;
  r.kept = d.kept;
  r.before = std::move(*have);
  if (d.empty()) {
    r.unchanged = true;
    return r;
  }
  auto applied = kernel.Apply(own, d);
  if (!applied) {
    return applied.error();
  }
  r.errors = applied->refused.size();
  r.refused = applied->refused;
  // Counts are what was asked minus what was refused, attributed in order of likelihood: a
  // refusal is almost always an add over a foreign route.
  size_t refused = r.errors;
  auto take = [&](size_t n) {
    size_t t = std::min(n, refused);
    refused -= t;
    return n - t;
  };
  r.added = take(d.add_routes.size() + d.add_rules.size());
  r.replaced = take(d.replace_routes.size());
  r.removed = take(d.del_routes.size() + d.del_rules.size());
  return r;
}

void PinTable::Update(const PinEntry& entry) {
  pins_[entry.host_id] = entry;
}

std::vector<std::string> PinTable::Expire(int64_t now_ms, int64_t ttl_ms) {
  std::vector<std::string> gone;
  for (auto it = pins_.begin(); it != pins_.end();) {
    if (now_ms - it->second.last_report_ms > ttl_ms) {
      gone.push_back(it->first);
      it = pins_.erase(it);
    } else {
      ++it;
    }
  }
  return gone;
}

std::vector<Route> PinTable::Desired() const {
  std::map<net::IpAddress, const PinEntry*> latest;
  for (const auto& [id, e] : pins_) {
    auto& slot = latest[e.nfc_address];
    if (slot == nullptr || e.last_report_ms > slot->last_report_ms)
      slot = &e;
  }
  std::vector<Route> out;
  out.reserve(latest.size());
  for (const auto& [address, e] : latest)
    out.emplace_back(address, e->ifindex, e->via, e->source);
  return out;
}

std::map<std::string, std::vector<std::string>> PinTable::SharedAddresses() const {
  std::map<std::string, std::vector<std::string>> by_address;
  for (const auto& [id, e] : pins_)
    by_address[e.nfc_address.ToString()].push_back(id);
  for (auto it = by_address.begin(); it != by_address.end();) {
    it = it->second.size() > 1 ? std::next(it) : by_address.erase(it);
  }
  return by_address;
}

}  // namespace bnfc::pin
