#include "pin.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "bnfc/findings.h"

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

bool IsLinkLocalPrefix(const LocalAddress& a) {
  return net::IsLinkLocal(a.prefix.address);
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
  if (d.empty()) {
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

MapResult Map(const net::IpAddress& nfc, const std::vector<LocalAddress>& local,
              const std::vector<ManualMapping>& manual,
              const std::vector<std::string>& allowed_interfaces,
              const std::vector<std::string>& management_interfaces) {
  MapResult m;
  auto management = [&](const std::string& name) {
    return std::find(management_interfaces.begin(), management_interfaces.end(), name) !=
           management_interfaces.end();
  };
  std::set<std::string> excluded;
  auto allowed = [&](const std::string& name) {
    return allowed_interfaces.empty() ||
           std::find(allowed_interfaces.begin(), allowed_interfaces.end(), name) !=
               allowed_interfaces.end();
  };
  std::vector<const LocalAddress*> holders;
  std::set<std::string> holder_names;
  for (const auto& a : local) {
    if (IsLinkLocalPrefix(a) || !allowed(a.interface))
      continue;
    if (a.prefix.Contains(nfc) && a.prefix.address != nfc) {
      if (management(a.interface)) {
        excluded.insert(a.interface);
      } else if (holder_names.insert(a.interface).second) {
        holders.push_back(&a);
      }
    }
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
      m.finding = codes::kInterfaceDown;
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
  if (best == nullptr && holders.size() > 1) {
    m.finding = codes::kAmbiguousMapping;
    m.detail = nfc.ToString() + " is inside the subnets of " + std::to_string(holders.size()) +
               " interfaces (" + holders[0]->interface + ", " + holders[1]->interface +
               "); add a mapping line to choose one";
    return m;
  }
  if (best == nullptr && !excluded.empty()) {
    std::string names;
    for (const auto& n : excluded)
      names += (names.empty() ? "" : ", ") + n;
    m.finding = codes::kNoMapping;
    m.management_excluded = true;
    m.detail = nfc.ToString() + " is on the subnet of " + names +
               ", which carries the management path to the host; add a separate backup "
               "interface on that subnet";
    return m;
  }
  if (best == nullptr) {
    m.finding = codes::kNoMapping;
    m.detail = "no backup interface holds " + nfc.ToString() +
               "; add a proxy interface on the host's backup subnet";
    return m;
  }
  // The source: an address of that family on the named interface, preferring one whose subnet
  // holds the gateway (or the NFC address), never a link-local one.
  const LocalAddress* chosen = nullptr;
  bool named_exists = false;
  for (const auto& a : local) {
    if (a.interface != best->interface)
      continue;
    named_exists = true;
    if (a.prefix.address.family != nfc.family || IsLinkLocalPrefix(a))
      continue;
    const net::IpAddress& near = best->via ? *best->via : nfc;
    if (chosen == nullptr || (a.prefix.Contains(near) && !chosen->prefix.Contains(near)))
      chosen = &a;
  }
  if (chosen == nullptr) {
    m.finding = codes::kNoMapping;
    m.detail =
        "mapping " + best->prefix.ToString() + " names " + best->interface +
        (named_exists ? ", which has no usable address of that family" : ", which does not exist");
    return m;
  }
  if (!allowed(chosen->interface)) {
    m.finding = codes::kNoMapping;
    m.detail = "mapping " + best->prefix.ToString() + " names " + best->interface +
               ", which is not a backup_interface";
    return m;
  }
  const LocalAddress& a = *chosen;
  m.ok = true;
  m.manual = true;
  m.interface = a.interface;
  m.ifindex = a.ifindex;
  m.mtu = a.mtu;
  m.source = a.prefix.address;
  m.via = best->via;
  m.l2_adjacent = !best->via.has_value();
  if (best->via) {
    m.finding = codes::kNotL2Adjacent;
    m.detail = nfc.ToString() + " is reached through gateway " + best->via->ToString() + " on " +
               a.interface + ": routed, not isolated on one segment";
  } else if (!a.up) {
    m.finding = codes::kInterfaceDown;
    m.detail = "backup interface " + a.interface + " is down";
  }
  return m;
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

std::vector<ClassifiedFlow> ClassifyFlows(const std::vector<Flow>& flows,
                                          const std::vector<FlowTarget>& targets,
                                          const std::map<int, std::string>& interface_names) {
  auto name = [&](int ifindex) {
    if (ifindex == 0)
      return std::string("no interface (route lookup failed)");
    auto it = interface_names.find(ifindex);
    return it != interface_names.end() ? it->second : "ifindex " + std::to_string(ifindex);
  };
  std::vector<ClassifiedFlow> out;
  for (const auto& f : flows) {
    ClassifiedFlow c;
    c.flow = f;
    std::string flow_text =
        f.source.ToString() + " -> " + f.destination.ToString() + ":" + std::to_string(f.dport);
    // The NFC address decides first: an address that is one host's NFC address and another's
    // management address is judged as NFC traffic.
    for (const auto& t : targets) {
      if (t.nfc_address != f.destination)
        continue;
      c.host_id = t.host_id;
      if (t.backup_ifindex != 0 && f.oif == t.backup_ifindex) {
        c.cls = FlowClass::kOnBackup;
      } else {
        c.cls = FlowClass::kOffBackup;
        c.reason = flow_text + " to the NFC address of " + t.host_id + " leaves through " +
                   name(f.oif) +
                   (t.backup_ifindex != 0 ? ", not the backup interface " + name(t.backup_ifindex)
                                          : "; no backup interface is mapped for it");
      }
      break;
    }
    if (c.host_id.empty()) {
      for (const auto& t : targets) {
        if (t.management_address && *t.management_address == f.destination) {
          c.host_id = t.host_id;
          c.cls = FlowClass::kOffBackup;
          c.reason = flow_text + " goes to the management address of " + t.host_id + " (through " +
                     name(f.oif) +
                     "): vCenter handed out the management address, the backup tag is not in "
                     "effect";
          break;
        }
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace bnfc::pin
