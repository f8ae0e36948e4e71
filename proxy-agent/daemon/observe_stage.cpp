#include "observe_stage.h"

#include <algorithm>

#include "flow_audit.h"

namespace bnfc::proxyd {

// Hosts that say their backup and management portgroups differ while both sit on one segment are
// caught here: the management next hop answers on the backup interface.
void ProbeBackupSegments(Observer& observer, const std::vector<pin::LocalAddress>& local,
                         int timeout_ms, HostMappings& maps) {
  std::map<int, std::vector<net::IpAddress>> targets;  // ifindex -> next hops
  std::map<std::string, net::IpAddress> hop_of;        // host id -> its management next hop
  for (auto& [id, hm] : maps) {
    const pin::MapResult& m = hm.map;
    report::PathFacts& p = hm.path;
    if (!m.ok || !m.l2_adjacent)
      continue;
    // The next hop is our own text: "ADDRESS (gateway)" or "ADDRESS (on-link)".
    auto hop =
        net::IpAddress::Parse(p.management_next_hop.substr(0, p.management_next_hop.find(' ')));
    if (!hop) {
      p.backup_probe_evidence = "no management next hop to probe for";
      continue;
    }
    if (hop->family != net::Family::kIPv4) {
      p.backup_probe_applicable = false;
      continue;
    }
    hop_of[id] = *hop;
    auto& list = targets[m.ifindex];
    if (std::find(list.begin(), list.end(), *hop) == list.end())
      list.push_back(*hop);
  }
  std::map<int, Expected<std::vector<pin::ArpAnswer>>> answers;
  for (const auto& [ifindex, list] : targets) {
    std::string mac;
    for (const auto& a : local) {
      if (a.ifindex == ifindex)
        mac = a.mac;
    }
    answers.emplace(ifindex, observer.ArpProbe(ifindex, mac, list, timeout_ms));
  }
  for (const auto& [id, hop] : hop_of) {
    HostMapping& hm = maps.at(id);
    report::PathFacts& p = hm.path;
    const auto& got = answers.at(hm.map.ifindex);
    if (!got) {
      p.backup_probe_evidence = got.error().message;
      continue;
    }
    p.backup_probe_ran = true;
    for (const auto& a : *got) {
      if (a.target == hop)
        p.backup_probe_macs.push_back(a.mac);
    }
    p.backup_probe_evidence = "ARP probe for " + hop.ToString() + " on " + hm.map.interface + ", " +
                              std::to_string(timeout_ms) + " ms";
  }
}

namespace {

// A TCP connect to NFC:902 from the backup address (no data sent). Besides proving the port
// answers, it makes the kernel resolve the neighbor entry the MAC check reads next. All hosts are
// probed at once: a host that does not answer must not delay the others (nor the next cycle, nor
// the reports waiting to be read) by a timeout of its own.
std::map<std::string, report::ConnectFacts> Connects(Observer& observer,
                                                     const ObserveOptions& options,
                                                     const Lifetimes& lifetimes,
                                                     const HostFactsTable& hosts,
                                                     const HostMappings& maps, int64_t now_ms) {
  std::map<std::string, report::ConnectFacts> out;
  auto result = [](bool ok, std::string evidence) {
    report::ConnectFacts c;
    c.enabled = true;
    c.ran = true;
    c.ok = ok;
    c.evidence = std::move(evidence);
    return c;
  };
  std::vector<pin::ConnectTarget> targets;
  std::vector<std::string> ids;
  for (const auto& [id, h] : hosts) {
    auto m = maps.find(id);
    if (m == maps.end() || !m->second.map.ok || !lifetimes.Fresh(h.received_ms, now_ms))
      continue;
    if (!h.nfc.ip || h.nfc.ip->family != m->second.map.source.family) {
      out[id] = result(false, "no usable address family for a TCP probe");
      continue;
    }
    targets.push_back({m->second.map.source, *h.nfc.ip});
    ids.push_back(id);
  }
  auto results = observer.Connect(targets, options.nfc_port, options.connect_timeout_ms);
  for (size_t i = 0; i < ids.size() && i < results.size(); ++i) {
    out[ids[i]] =
        result(results[i].ok(), results[i].ok() ? "connect " + targets[i].source.ToString() +
                                                      " -> " + targets[i].destination.ToString() +
                                                      ":" + std::to_string(options.nfc_port) +
                                                      ": connected (no data sent)"
                                                : results[i].error().message);
  }
  return out;
}

// One DF probe from the mapped backup interface to `destination` at `mtu`.
dfprobe::DfProbeResult ProbeFrom(Observer& observer, const pin::MapResult& m,
                                 const net::IpAddress& destination, uint32_t mtu, int timeout_ms) {
  dfprobe::DfProbeRequest request;
  request.interface = m.interface;
  request.source = m.source;
  request.destination = destination;
  request.mtu = static_cast<int>(mtu);
  request.timeout_ms = timeout_ms;
  return observer.DfProbe(request);
}

}  // namespace

Observations Observe(Observer& observer, const ObserveOptions& options, const Lifetimes& lifetimes,
                     const HostFactsTable& hosts, const HostMappings& maps,
                     const std::vector<pin::LocalAddress>& local, int64_t now_ms) {
  Observations out;
  if (options.tcp_check)
    out.connect = Connects(observer, options, lifetimes, hosts, maps, now_ms);
  // After the connects: they make the kernel resolve the entries read here.
  for (const auto& [id, h] : hosts) {
    auto it = maps.find(id);
    if (it == maps.end() || !it->second.map.ok || !h.nfc.ip)
      continue;
    const pin::MapResult& m = it->second.map;
    auto mac = observer.NeighborMac(m.ifindex, *h.nfc.ip);
    report::NeighborFacts n;
    n.ran = mac.ok();
    n.mac = mac.ok() ? *mac : "";
    n.evidence = mac.ok() ? "neighbor table of " + m.interface + ": " + h.nfc.text + " lladdr " +
                                (mac->empty() ? "(none)" : *mac)
                          : mac.error().message;
    out.neighbor[id] = std::move(n);
  }
  for (const auto& [id, h] : hosts) {
    auto it = maps.find(id);
    if (h.l2_checks || it == maps.end() || !it->second.map.ok || !h.nfc.ip)
      continue;
    report::ProxyDfFacts d;
    d.mtu = h.host.nfc_vmknic_mtu;
    if (d.mtu == 0) {
      d.evidence = "the source did not state the vmknic's MTU; no DF probe";
      out.df[id] = std::move(d);
      continue;
    }
    const pin::MapResult& m = it->second.map;
    const dfprobe::DfProbeResult r =
        ProbeFrom(observer, m, *h.nfc.ip, d.mtu, options.df_timeout_ms);
    d.ran = r.outcome != dfprobe::DfOutcome::kError;
    d.outcome = dfprobe::DfOutcomeName(r.outcome);
    d.evidence = r.evidence;
    out.df[id] = std::move(d);
  }
  auto flows = observer.Flows(options.nfc_port);
  if (!flows)
    return out;
  std::map<int, std::string> names;
  for (const auto& a : local)
    names[a.ifindex] = a.interface;
  for (const auto& [id, h] : hosts) {
    report::FlowFacts f;
    f.ran = true;
    pin::FlowTarget target;
    target.host_id = id;
    auto it = maps.find(id);
    const bool mapped = it != maps.end() && it->second.map.ok;
    if (h.nfc.ip)
      target.nfc_address = *h.nfc.ip;
    target.backup_ifindex = mapped ? it->second.map.ifindex : 0;
    target.management_address = h.management.ip;
    for (const auto& c : pin::ClassifyFlows(*flows, {target}, names)) {
      if (c.cls == pin::FlowClass::kOnBackup) {
        f.on_backup++;
      } else if (c.cls == pin::FlowClass::kOffBackup) {
        f.off_backup++;
        f.evidence += c.reason + "\n";
      }
    }
    out.flows[id] = std::move(f);
  }
  return out;
}

std::map<std::string, std::vector<vsphere::DfProof>> EnsureProofs(
    Observer& observer, const ObserveOptions& options, const MappingRules& rules,
    const HostFactsTable& hosts, const HostMappings& maps,
    const std::vector<pin::LocalAddress>& local, const Observations& seen) {
  std::map<std::string, std::vector<vsphere::DfProof>> out;
  for (const auto& [id, h] : hosts) {
    if (h.source != FactsSource::kVsphere || h.host.tag_policy != "ensure")
      continue;
    auto& proofs = out[id];  // present, even empty: the host is under ensure this cycle
    if (auto d = seen.df.find(id); d != seen.df.end() && d->second.ran)
      proofs.push_back({h.nfc.text, d->second.mtu, d->second.outcome == "reply"});
    if (!h.backup.usable() || h.backup.text == h.nfc.text || h.backup_mtu == 0)
      continue;
    auto hm = maps.find(id);
    const std::vector<std::string> excluded =
        hm != maps.end() ? ManagementInterfaces(hm->second.path) : std::vector<std::string>{};
    const pin::MapResult m = MapNfc(h.backup, local, rules, excluded);
    if (!m.ok || m.source.family != h.backup.ip->family)
      continue;  // no backup interface reaches it: no proof, the plan says so
    const dfprobe::DfProbeResult r =
        ProbeFrom(observer, m, *h.backup.ip, h.backup_mtu, options.df_timeout_ms);
    proofs.push_back({h.backup.text, h.backup_mtu, r.outcome == dfprobe::DfOutcome::kReply});
  }
  return out;
}

}  // namespace bnfc::proxyd
