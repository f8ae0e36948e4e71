#include "network_side.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <set>

#include "bnfc/fs.h"
#include "bnfc/log.h"
#include "bnfc/version.h"

namespace bnfc::proxyd {

ProxyNetworkSide::ProxyNetworkSide(const ProxyConfig& config, pin::Kernel& kernel)
    : config_(config),
      kernel_(kernel),
      history_(HistoryOptions{config.state_dir + "/history.jsonl"}) {
  own_ = {config.route_table, config.rt_protocol, config.rule_priority, config.nfc_port};
  for (const auto& m : config.mappings) {
    pin::ManualMapping mm{*net::Prefix::Parse(m.prefix), m.interface, std::nullopt};
    if (!m.via.empty())
      mm.via = *net::IpAddress::Parse(m.via);
    manual_.push_back(mm);
  }
}

namespace {

std::string InterfaceName(int ifindex, const std::vector<pin::LocalAddress>& local) {
  for (const auto& a : local) {
    if (a.ifindex == ifindex)
      return a.interface;
  }
  return ifindex > 0 ? "ifindex " + std::to_string(ifindex) : "";
}

}  // namespace

report::PathFacts LearnManagementPaths(pin::Kernel& kernel,
                                       const std::vector<pin::LocalAddress>& local,
                                       const std::string& management_address,
                                       const std::string& control_peer) {
  report::PathFacts p;
  p.ran = true;
  p.management_address = management_address;
  p.control_peer = control_peer;
  std::string why;
  auto note = [&](const std::string& s) { why += (why.empty() ? "" : "; ") + s; };
  // Port 0: the general path, not the TCP/902 policy rule that carries the pins.
  if (auto mgmt = net::IpAddress::Parse(management_address)) {
    auto r = kernel.RouteGet(std::nullopt, *mgmt, 0);
    if (r) {
      p.management_interface = InterfaceName(r->oif, local);
      const net::IpAddress hop = r->gateway ? *r->gateway : *mgmt;
      p.management_next_hop = hop.ToString() + (r->gateway ? " (gateway)" : " (on-link)");
      auto mac = kernel.NeighborMac(r->oif, hop);
      if (mac && !mac->empty())
        p.management_next_hop_mac = *mac;
      else
        note("no neighbor entry for " + hop.ToString());
    } else {
      note("route lookup to " + management_address + ": " + r.error().message);
    }
  } else {
    note("the host reported no usable management address");
  }
  if (auto peer = net::IpAddress::Parse(control_peer)) {
    auto r = kernel.RouteGet(std::nullopt, *peer, 0);
    if (r)
      p.control_interface = InterfaceName(r->oif, local);
    else
      note("route lookup to " + control_peer + ": " + r.error().message);
  } else {
    note("the control connection's source address is unknown");
  }
  p.evidence = why;
  return p;
}

std::vector<std::string> ManagementInterfaces(const report::PathFacts& path) {
  std::vector<std::string> out;
  for (const std::string* n : {&path.management_interface, &path.control_interface}) {
    if (!n->empty() && std::find(out.begin(), out.end(), *n) == out.end())
      out.push_back(*n);
  }
  return out;
}

// ARP probes, one batch per backup interface, for the management next hops of the hosts mapped
// onto it. Hosts that say their backup and management portgroups differ while both sit on one
// segment are caught here: the management next hop answers on the backup interface.
void ProxyNetworkSide::ProbeBackupSegments(const std::map<std::string, pin::MapResult>& maps,
                                           std::map<std::string, report::PathFacts>& paths) {
  constexpr int kArpTimeoutMs = 300;
  std::map<int, std::vector<net::IpAddress>> targets;  // ifindex -> next hops
  std::map<std::string, net::IpAddress> hop_of;        // host id -> its management next hop
  for (auto& [id, p] : paths) {
    auto m = maps.find(id);
    if (m == maps.end() || !m->second.ok || !m->second.l2_adjacent)
      continue;
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
    auto& list = targets[m->second.ifindex];
    if (std::find(list.begin(), list.end(), *hop) == list.end())
      list.push_back(*hop);
  }
  std::map<int, Expected<std::vector<pin::ArpAnswer>>> answers;
  for (const auto& [ifindex, list] : targets) {
    std::string mac;
    for (const auto& a : local_) {
      if (a.ifindex == ifindex)
        mac = a.mac;
    }
    answers.emplace(ifindex, kernel_.ArpProbe(ifindex, mac, list, kArpTimeoutMs));
  }
  for (const auto& [id, hop] : hop_of) {
    const pin::MapResult& m = maps.at(id);
    report::PathFacts& p = paths[id];
    const auto& got = answers.at(m.ifindex);
    if (!got) {
      p.backup_probe_evidence = got.error().message;
      continue;
    }
    p.backup_probe_ran = true;
    for (const auto& a : *got) {
      if (a.target == hop)
        p.backup_probe_macs.push_back(a.mac);
    }
    p.backup_probe_evidence = "ARP probe for " + hop.ToString() + " on " + m.interface + ", " +
                              std::to_string(kArpTimeoutMs) + " ms";
  }
}

pin::MapResult ProxyNetworkSide::MapAddress(const std::string& nfc,
                                            const std::vector<pin::LocalAddress>& local,
                                            const std::vector<std::string>& management_interfaces) {
  auto address = net::IpAddress::Parse(nfc);
  if (!address) {
    pin::MapResult m;
    m.finding = codes::kNoMapping;
    m.detail = "the host reported no usable NFC address ('" + nfc + "')";
    return m;
  }
  return pin::Map(*address, local, manual_, config_.backup_interfaces, management_interfaces);
}

std::vector<proto::ProbeTarget> ProxyNetworkSide::ProbeTargetsFor(const std::string& nfc) {
  auto local = kernel_.Addresses();
  std::vector<proto::ProbeTarget> out;
  if (!local)
    return out;
  auto known = management_by_address_.find(nfc);
  auto m = MapAddress(nfc, *local,
                      known != management_by_address_.end() ? known->second : management_any_);
  if (m.ok) {
    proto::ProbeTarget t;
    t.set_address(m.source.ToString());
    t.set_mtu(static_cast<uint32_t>(m.mtu));
    t.set_interface(m.interface);
    out.push_back(t);
  }
  return out;
}

// A TCP connect to NFC:902 from the backup address (no data sent). Besides proving the port
// answers, it makes the kernel resolve the neighbor entry the MAC check reads next. All hosts are
// probed at once: a host that does not answer must not delay the others (nor the next cycle, nor
// the reports waiting to be read) by a timeout of its own.
std::map<std::string, ProxyNetworkSide::ConnectResult> ProxyNetworkSide::TcpProbes(
    const HostTable& hosts, const std::map<std::string, pin::MapResult>& maps, int64_t now_ms) {
  std::map<std::string, ConnectResult> out;
  std::vector<pin::ConnectTarget> targets;
  std::vector<std::string> ids;
  for (const auto& [id, e] : hosts.hosts()) {
    auto m = maps.find(id);
    if (m == maps.end() || !m->second.ok || !hosts.IsFresh(e, now_ms, config_.freshness.count()))
      continue;
    auto dst = net::IpAddress::Parse(e.report.nfc_address());
    if (!dst || dst->family != m->second.source.family) {
      out[id] = {false, "no usable address family for a TCP probe"};
      continue;
    }
    targets.push_back({m->second.source, *dst});
    ids.push_back(id);
  }
  auto results = pin::ConnectProbes(targets, config_.nfc_port, 1000);
  for (size_t i = 0; i < ids.size(); ++i) {
    out[ids[i]] = {results[i].ok(), results[i].ok()
                                        ? "connect " + targets[i].source.ToString() + " -> " +
                                              targets[i].destination.ToString() + ":" +
                                              std::to_string(config_.nfc_port) +
                                              ": connected (no data sent)"
                                        : results[i].error().message};
  }
  return out;
}

void ProxyNetworkSide::Cycle(const HostTable& hosts, int64_t now_ms) {
  auto started = std::chrono::steady_clock::now();
  auto local = kernel_.Addresses();
  if (local)
    local_ = *local;

  // Desired pins: every host within its TTL whose NFC address maps to a backup interface.
  pin::PinTable table;
  std::vector<PinRow> pins;
  std::map<std::string, pin::MapResult> maps;
  std::map<std::string, report::PathFacts> paths;
  management_by_address_.clear();
  management_any_.clear();
  for (const auto& [id, e] : hosts.hosts()) {
    // The management side first: automatic mapping must never choose its interface.
    paths[id] =
        LearnManagementPaths(kernel_, local_, e.report.management_address(), e.peer_address);
    const auto excluded = ManagementInterfaces(paths[id]);
    for (const auto& address : {e.report.nfc_address(), BackupAddressOf(e.report)}) {
      auto& list = management_by_address_[address];
      list.insert(list.end(), excluded.begin(), excluded.end());
    }
    for (const auto& n : excluded) {
      if (std::find(management_any_.begin(), management_any_.end(), n) == management_any_.end())
        management_any_.push_back(n);
    }
    auto m = MapAddress(e.report.nfc_address(), local_, excluded);
    maps[id] = m;
    if (m.ok) {
      table.Update({id, *net::IpAddress::Parse(e.report.nfc_address()), m.interface, m.ifindex,
                    m.via, m.source, e.received_ms});
    }
  }
  ProbeBackupSegments(maps, paths);
  table.Expire(now_ms, config_.pin_ttl.count());
  for (const auto& [id, e] : hosts.hosts()) {
    if (now_ms - e.received_ms > config_.pin_ttl.count())
      continue;  // silent for longer than the TTL: no pin, no row
    const pin::MapResult& m = maps[id];
    PinRow row{id, e.report.nfc_address(), m.interface, m.ok ? m.source.ToString() : "", false, ""};
    if (m.ok) {
      row.why = m.l2_adjacent ? (m.manual ? "mapping line: " + m.interface
                                          : "automatic: the subnet of " + m.interface + " holds it")
                              : "manual mapping via " + (m.via ? m.via->ToString() : "");
    } else {
      row.why = "not pinned: " + m.finding + ": " + m.detail;
    }
    pins.push_back(row);
  }
  std::string pin_error;
  const auto desired = table.Desired();
  auto rec = pin::Reconcile(kernel_, own_, desired);
  if (!rec) {
    pin_error = "pin reconcile failed: " + rec.error().message;
  } else {
    for (const auto& refused : rec->refused)
      pin_error += (pin_error.empty() ? "the kernel refused: " : "; ") + refused;
  }
  if (pin_error != last_pin_error_ && !pin_error.empty())
    log::Warn(pin_error);  // once per change, not every interval
  last_pin_error_ = pin_error;
  // Read back from the kernel after the reconcile: the pin check reports what is there now.
  std::set<std::string> installed;
  std::map<std::string, std::string> pin_evidence;
  auto have = kernel_.DumpOwned(own_);
  if (have) {
    std::map<int, std::string> ifnames;
    for (const auto& a : local_)
      ifnames[a.ifindex] = a.interface;
    for (const auto& r : have->routes) {
      if (r.table == 0 && r.length < 0) {
        const std::string dst = r.destination.ToString();
        installed.insert(dst);
        auto n = ifnames.find(r.ifindex);
        pin_evidence[dst] = dst + " dev " +
                            (n != ifnames.end() ? n->second : std::to_string(r.ifindex)) +
                            (r.gateway ? " via " + r.gateway->ToString() : "") +
                            (r.source ? " src " + r.source->ToString() : "") + " table " +
                            std::to_string(own_.table) + " proto " + std::to_string(own_.protocol) +
                            " (read back from the kernel)";
      }
    }
  }
  for (auto& row : pins)
    row.installed = installed.count(row.nfc_address) > 0;

  std::map<std::string, ConnectResult> connects;
  if (config_.tcp_check)
    connects = TcpProbes(hosts, maps, now_ms);

  auto flows = kernel_.Flows(config_.nfc_port);
  std::map<int, std::string> names;
  for (const auto& a : local_)
    names[a.ifindex] = a.interface;
  std::vector<report::PairFacts> all;
  for (const auto& [id, e] : hosts.hosts()) {
    report::PairFacts f;
    f.proxy_id = config_.proxy_id;
    f.host_id = id;
    f.has_report = true;
    f.report_age_ms = now_ms - e.received_ms;
    f.observed_unix_ms = now_ms;
    f.path = paths[id];
    f.freshness_limit_ms = config_.freshness.count();
    f.host = report::HostSideFromReport(e.report);
    f.host.source = e.source;
    f.source_disagreement = e.cross_check;
    f.allow_public_plaintext = config_.allow_public_plaintext;
    f.duplicate_hosts = hosts.SameAddressAs(id);
    auto it = maps.find(id);
    pin::MapResult m = it != maps.end() ? it->second : pin::MapResult{};
    f.mapping.ran = it != maps.end();
    f.mapping.finding = m.finding;
    f.mapping.management_excluded = m.management_excluded;
    f.mapping.detail = m.detail;
    if (m.ok && m.detail.empty())
      f.mapping.detail = m.manual ? "mapping line names " + m.interface
                                  : "automatic: the subnet of " + m.interface + " holds it";
    f.mapping.interface = m.interface;
    f.mapping.l2_adjacent = m.l2_adjacent;
    f.mapping.interface_mtu = static_cast<uint32_t>(m.mtu);
    if (m.via)
      f.mapping.via = m.via->ToString();
    if (m.ok) {
      f.mapping.source_address = m.source.ToString();
      for (const auto& a : local_) {
        if (a.ifindex == m.ifindex)
          f.mapping.interface_mac = a.mac;
      }
      f.pin.ran = have.ok();
      f.pin.installed = installed.count(e.report.nfc_address()) > 0;
      if (auto ev = pin_evidence.find(e.report.nfc_address()); ev != pin_evidence.end())
        f.pin.evidence = ev->second;
      else
        f.pin.evidence = have.ok() ? "no route for " + e.report.nfc_address() + " in table " +
                                         std::to_string(own_.table) + " (read back)"
                                   : have.error().message;
      if (!pin_error.empty())
        f.pin.evidence += "\n" + pin_error;
      if (auto c = connects.find(id); c != connects.end()) {
        f.connect.enabled = true;
        f.connect.ran = true;
        f.connect.ok = c->second.ok;
        f.connect.evidence = c->second.evidence;
      }
      auto mac = kernel_.NeighborMac(m.ifindex, *net::IpAddress::Parse(e.report.nfc_address()));
      f.neighbor.ran = mac.ok();
      f.neighbor.mac = mac.ok() ? *mac : "";
      f.neighbor.evidence = mac.ok() ? "neighbor table of " + m.interface + ": " +
                                           e.report.nfc_address() + " lladdr " +
                                           (mac->empty() ? "(none)" : *mac)
                                     : mac.error().message;
    }
    if (flows) {
      f.flows.ran = true;
      pin::FlowTarget target;
      target.host_id = id;
      if (auto nfc = net::IpAddress::Parse(e.report.nfc_address()))
        target.nfc_address = *nfc;
      target.backup_ifindex = m.ok ? m.ifindex : 0;
      if (auto mgmt = net::IpAddress::Parse(e.report.management_address()))
        target.management_address = *mgmt;
      for (const auto& c : pin::ClassifyFlows(*flows, {target}, names)) {
        if (c.cls == pin::FlowClass::kOnBackup) {
          f.flows.on_backup++;
        } else if (c.cls == pin::FlowClass::kOffBackup) {
          f.flows.off_backup++;
          f.flows.evidence += c.reason + "\n";
        }
      }
    }
    all.push_back(std::move(f));
  }
  report::Report built = report::BuildReport(config_.proxy_id, BNFC_VERSION, now_ms, all);
  report::MetricsSnapshot metrics;
  metrics.proxy_id = config_.proxy_id;
  metrics.version = BNFC_VERSION;
  report::FillFromReport(built, metrics);
  metrics.pins_installed = installed.size();
  metrics.pins_desired = desired.size();
  for (const auto& f : all) {
    metrics.hosts[f.host_id].flows_on_backup = f.flows.on_backup;
    metrics.hosts[f.host_id].flows_off_backup = f.flows.off_backup;
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto& timing = metrics_.checks["cycle"];
    timing.runs++;
    timing.total_seconds += secs;
    timing.last_seconds = secs;
    metrics.checks = metrics_.checks;
    report_ = built;
    metrics_ = metrics;
  }
  const std::string dir = config_.state_dir;
  (void)fs::WriteFileAtomic(dir + "/report.json", report::RenderJson(built), 0644);
  (void)fs::WriteFileAtomic(dir + "/report.txt", report::RenderText(built), 0644);
  (void)fs::WriteFileAtomic(dir + "/report.html", report::RenderHtml(built), 0644);
  (void)fs::WriteFileAtomic(dir + "/pins.json", PinsJson(pins, pin_error), 0644);
  (void)fs::WriteFileAtomic(dir + "/pins.txt", PinsText(pins, pin_error), 0644);
  history_.Observe(built);  // after report.json: a record never points at a future report
}

void ProxyNetworkSide::Stop(bool retain) {
  if (retain) {
    log::Info("stopping; pins retained");
    return;
  }
  auto r = pin::Pinner(kernel_, own_).Stop(false);
  log::Info(r ? "stopping; removed " + std::to_string(r->removed) + " pinned route(s)/rule(s)"
              : "stopping; could not remove pins: " + r.error().message);
}

report::Report ProxyNetworkSide::LatestReport() const {
  std::lock_guard<std::mutex> lock(mu_);
  return report_;
}

report::MetricsSnapshot ProxyNetworkSide::Metrics() const {
  std::lock_guard<std::mutex> lock(mu_);
  return metrics_;
}

}  // namespace bnfc::proxyd
