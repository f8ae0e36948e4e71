#include "pin.h"

#include <algorithm>
#include <set>

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
template <typename T>
void DiffList(const std::vector<T>& have, const std::vector<T>& want, std::vector<T>* add,
              std::vector<T>* del, size_t* kept) {
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
      ++*kept;
    } else {
      add->push_back(w);
    }
  }
  for (size_t i = 0; i < have.size(); ++i) {
    if (!used[i])
      del->push_back(have[i]);
  }
}

// Routes are keyed by destination: a quadratic scan would cost seconds at 100k pins.
void DiffRoutes(const std::vector<Route>& have, const std::vector<Route>& want, Diff* d) {
  auto key = [](const Route& r) { return r.destination; };
  std::vector<const Route*> h, w;
  for (const auto& r : have)
    h.push_back(&r);
  for (const auto& r : want)
    w.push_back(&r);
  auto less = [&](const Route* a, const Route* b) { return key(*a) < key(*b); };
  std::sort(h.begin(), h.end(), less);
  std::sort(w.begin(), w.end(), less);
  size_t i = 0, j = 0;
  while (i < h.size() || j < w.size()) {
    if (j == w.size() || (i < h.size() && key(*h[i]) < key(*w[j]))) {
      d->del_routes.push_back(*h[i++]);
    } else if (i == h.size() || key(*w[j]) < key(*h[i])) {
      d->add_routes.push_back(*w[j++]);
    } else {
      if (*h[i] == *w[j]) {
        d->kept++;
      } else {
        d->del_routes.push_back(*h[i]);
        d->add_routes.push_back(*w[j]);
      }
      ++i;
      ++j;
    }
  }
}
}  // namespace

Diff ComputeDiff(const KernelState& have, const std::vector<Route>& want_routes,
                 const std::vector<Rule>& want_rules) {
  Diff d;
  DiffRoutes(have.routes, want_routes, &d);
  DiffList(have.rules, want_rules, &d.add_rules, &d.del_rules, &d.kept);
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
  if (d.empty()) {
    return r;
  }
  if (auto s = kernel.Apply(own, d.add_routes, d.del_routes, d.add_rules, d.del_rules); !s) {
    return s.error();
  }
  r.added = d.add_routes.size() + d.add_rules.size();
  r.removed = d.del_routes.size() + d.del_rules.size();
  return r;
}

MapResult Map(const net::IpAddress& nfc, const std::vector<LocalAddress>& local,
              const std::vector<ManualMapping>& manual,
              const std::vector<std::string>& allowed_interfaces) {
  MapResult m;
  auto allowed = [&](const std::string& name) {
    return allowed_interfaces.empty() ||
           std::find(allowed_interfaces.begin(), allowed_interfaces.end(), name) !=
               allowed_interfaces.end();
  };
  std::vector<const LocalAddress*> holders;
  std::set<std::string> holder_names;
  for (const auto& a : local) {
    if (a.prefix.Contains(nfc) && a.prefix.address != nfc && allowed(a.interface)) {
      if (holder_names.insert(a.interface).second)
        holders.push_back(&a);
    }
  }
  if (holders.size() > 1) {
    m.finding = "AMBIGUOUS_MAPPING";
    m.detail = nfc.ToString() + " is inside the subnets of " + std::to_string(holders.size()) +
               " interfaces (" + holders[0]->interface + ", " + holders[1]->interface +
               "); add a mapping line to choose one";
    return m;
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
      m.finding = "INTERFACE_DOWN";
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
  if (best == nullptr) {
    m.finding = "NO_MAPPING";
    m.detail = "no local interface holds " + nfc.ToString() +
               " and no mapping line covers it; add `mapping = PREFIX INTERFACE`";
    return m;
  }
  for (const auto& a : local) {
    if (a.interface == best->interface && a.prefix.address.family == nfc.family) {
      m.ok = true;
      m.interface = a.interface;
      m.ifindex = a.ifindex;
      m.mtu = a.mtu;
      m.source = a.prefix.address;
      m.via = best->via;
      m.l2_adjacent = !best->via.has_value();
      if (best->via) {
        m.finding = "NOT_L2_ADJACENT";
        m.detail = nfc.ToString() + " is reached through gateway " + best->via->ToString() +
                   " on " + a.interface + ": routed, not isolated on one segment";
      } else if (!a.up) {
        m.finding = "INTERFACE_DOWN";
        m.detail = "backup interface " + a.interface + " is down";
      }
      return m;
    }
  }
  m.finding = "NO_MAPPING";
  m.detail = "mapping for " + best->prefix.ToString() + " names " + best->interface +
             ", which has no address of that family";
  return m;
}

}  // namespace bnfc::pin
