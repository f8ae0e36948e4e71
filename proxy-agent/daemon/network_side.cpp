#include "network_side.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <set>

#include "bnfc/fs.h"
#include "bnfc/log.h"

namespace bnfc::proxyd {

ProxyNetworkSide::ProxyNetworkSide(const ProxyConfig& config, pin::Kernel& kernel)
    : config_(config), kernel_(kernel) {
  own_ = {config.route_table, config.rt_protocol, config.rule_priority, config.nfc_port};
  for (const auto& m : config.mappings) {
    pin::ManualMapping mm{*net::Prefix::Parse(m.prefix), m.interface, std::nullopt};
    if (!m.via.empty())
      mm.via = *net::IpAddress::Parse(m.via);
    manual_.push_back(mm);
  }
  snapshot_.proxy_id = config.proxy_id;
}

pin::MapResult ProxyNetworkSide::MapAddress(const std::string& nfc,
                                            const std::vector<pin::LocalAddress>& local) {
  auto address = net::IpAddress::Parse(nfc);
  if (!address) {
    pin::MapResult m;
    m.finding = "NO_MAPPING";
    m.detail = "the host reported no usable NFC address ('" + nfc + "')";
    return m;
  }
  return pin::Map(*address, local, manual_, config_.backup_interfaces);
}

std::vector<proto::ProbeTarget> ProxyNetworkSide::ProbeTargetsFor(const std::string& nfc) {
  auto local = kernel_.Addresses();
  std::vector<proto::ProbeTarget> out;
  if (!local)
    return out;
  auto m = MapAddress(nfc, *local);
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
// answers, it makes the kernel resolve the neighbor entry the MAC check reads next.
void ProxyNetworkSide::TcpProbe(const pin::MapResult& m, const std::string& nfc) {
  auto dst = net::IpAddress::Parse(nfc);
  if (!dst || dst->family != m.source.family)
    return;
  int family = dst->family == net::Family::kIPv4 ? AF_INET : AF_INET6;
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return;
  sockaddr_storage src{}, to{};
  socklen_t len = 0;
  if (family == AF_INET) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&src);
    auto* d4 = reinterpret_cast<sockaddr_in*>(&to);
    s4->sin_family = d4->sin_family = AF_INET;
    std::memcpy(&s4->sin_addr, m.source.bytes.data(), 4);
    std::memcpy(&d4->sin_addr, dst->bytes.data(), 4);
    d4->sin_port = htons(static_cast<uint16_t>(config_.nfc_port));
    len = sizeof(sockaddr_in);
  } else {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&src);
    auto* d6 = reinterpret_cast<sockaddr_in6*>(&to);
    s6->sin6_family = d6->sin6_family = AF_INET6;
    std::memcpy(&s6->sin6_addr, m.source.bytes.data(), 16);
    std::memcpy(&d6->sin6_addr, dst->bytes.data(), 16);
    d6->sin6_port = htons(static_cast<uint16_t>(config_.nfc_port));
    len = sizeof(sockaddr_in6);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), len) == 0) {
    connect(fd, reinterpret_cast<sockaddr*>(&to), len);
    pollfd p{fd, POLLOUT, 0};
    poll(&p, 1, 1000);
  }
  close(fd);
}

void ProxyNetworkSide::Cycle(const HostTable& hosts, int64_t now_ms) {
  ReportSnapshot snap;
  snap.proxy_id = config_.proxy_id;
  snap.generated_at_ms = now_ms;
  auto local = kernel_.Addresses();
  if (local)
    local_ = *local;

  // Desired pins: every host within its TTL whose NFC address maps to a backup interface.
  std::vector<pin::Route> desired;
  std::map<std::string, pin::MapResult> maps;
  for (const auto& [id, e] : hosts.hosts()) {
    if (now_ms - e.received_ms > config_.pin_ttl.count())
      continue;
    auto m = MapAddress(e.report.nfc_address(), local_);
    maps[id] = m;
    PinRow row{id, e.report.nfc_address(), m.interface, m.ok ? m.source.ToString() : "", false, ""};
    if (m.ok) {
      pin::Route r{*net::IpAddress::Parse(e.report.nfc_address()), m.ifindex, m.via, m.source};
      desired.push_back(r);
      row.why = m.l2_adjacent ? "automatic: the subnet of " + m.interface + " holds it"
                              : "manual mapping via " + (m.via ? m.via->ToString() : "");
    } else {
      row.why = "not pinned: " + m.finding + ": " + m.detail;
    }
    snap.pins.push_back(row);
  }
  auto rec = pin::Reconcile(kernel_, own_, desired);
  if (!rec) {
    snap.pin_error = rec.error().message;
    log::Warn("pin reconcile: " + rec.error().message);
  }
  std::set<std::string> installed;
  if (auto have = kernel_.DumpOwned(own_); have) {
    for (const auto& r : have->routes)
      installed.insert(r.destination.ToString());
  }
  for (auto& row : snap.pins) {
    row.installed = installed.count(row.nfc_address) > 0;
  }

  auto flows = kernel_.Flows(config_.nfc_port);
  for (const auto& [id, e] : hosts.hosts()) {
    PairFacts f;
    f.host_id = id;
    f.has_report = true;
    f.report_age_ms = now_ms - e.received_ms;
    f.fresh = f.report_age_ms <= config_.freshness.count();
    f.report = e.report;
    f.allow_public_plaintext = config_.allow_public_plaintext;
    f.same_address_hosts = hosts.SameAddressAs(id);
    auto it = maps.find(id);
    pin::MapResult m = it != maps.end() ? it->second : MapAddress(e.report.nfc_address(), local_);
    f.mapped = m.ok;
    f.map_finding = m.finding;
    f.map_detail = m.detail;
    f.interface = m.interface;
    if (m.ok) {
      f.proxy_address = m.source.ToString();
      for (const auto& a : local_) {
        if (a.ifindex == m.ifindex)
          f.proxy_mac = a.mac;
      }
      f.pin_installed = installed.count(e.report.nfc_address()) > 0;
      if (config_.tcp_check && f.fresh)
        TcpProbe(m, e.report.nfc_address());
      auto mac = kernel_.NeighborMac(m.ifindex, *net::IpAddress::Parse(e.report.nfc_address()));
      f.neighbor_checked = mac.ok();
      f.neighbor_mac = mac.ok() ? *mac : "";
    }
    if (flows) {
      f.flows_checked = true;
      for (const auto& fl : *flows) {
        std::string dst = fl.destination.ToString();
        bool to_nfc = dst == e.report.nfc_address();
        bool to_mgmt = !e.report.management_address().empty() &&
                       dst == e.report.management_address() && !to_nfc;
        if (!to_nfc && !to_mgmt)
          continue;
        if (to_nfc && m.ok && fl.oif == m.ifindex) {
          f.flows_on_backup++;
        } else {
          f.flows_off_backup++;
          f.flow_evidence += fl.source.ToString() + " -> " + dst + ":902 oif " +
                             std::to_string(fl.oif) + (to_mgmt ? " (management address)" : "") +
                             "\n";
        }
      }
    }
    snap.pairs.push_back(Evaluate(f));
  }
  // Enrolled hosts that never reported still get a row.
  {
    std::lock_guard<std::mutex> lock(mu_);
    snapshot_ = snap;
  }
  const std::string dir = config_.state_dir;
  (void)fs::WriteFileAtomic(dir + "/report.json", RenderJson(snap), 0644);
  (void)fs::WriteFileAtomic(dir + "/report.txt", RenderText(snap), 0644);
  (void)fs::WriteFileAtomic(dir + "/report.html", RenderHtml(snap), 0644);
  (void)fs::WriteFileAtomic(dir + "/pins.json", PinsJson(snap), 0644);
  (void)fs::WriteFileAtomic(dir + "/pins.txt", PinsText(snap), 0644);
}

void ProxyNetworkSide::Stop(bool retain) {
  if (retain) {
    log::Info("stopping; pins retained");
    return;
  }
  auto r = pin::Reconcile(kernel_, own_, {});
  log::Info(r ? "stopping; removed " + std::to_string(r->removed) + " pinned route(s)/rule(s)"
              : "stopping; could not remove pins: " + r.error().message);
}

ReportSnapshot ProxyNetworkSide::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return snapshot_;
}

}  // namespace bnfc::proxyd
