#include "network_side.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <set>

#include "bnfc/fs.h"
#include "bnfc/log.h"
#include "bnfc/version.h"

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
bool ProxyNetworkSide::TcpProbe(const pin::MapResult& m, const std::string& nfc,
                                std::string* evidence) {
  auto dst = net::IpAddress::Parse(nfc);
  if (!dst || dst->family != m.source.family) {
    *evidence = "no usable address family for a TCP probe";
    return false;
  }
  int family = dst->family == net::Family::kIPv4 ? AF_INET : AF_INET6;
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *evidence = std::string("socket: ") + std::strerror(errno);
    return false;
  }
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
  bool ok = false;
  std::string what = "connect " + m.source.ToString() + " -> " + nfc + ":" +
                     std::to_string(config_.nfc_port) + ": ";
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), len) != 0) {
    what += std::string("bind failed: ") + std::strerror(errno);
  } else {
    connect(fd, reinterpret_cast<sockaddr*>(&to), len);
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 1000) <= 0) {
      what += "timed out after 1 s";
    } else {
      int err = 0;
      socklen_t elen = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
      ok = err == 0;
      what += ok ? "connected (no data sent)" : std::strerror(err);
    }
  }
  close(fd);
  *evidence = what;
  return ok;
}

void ProxyNetworkSide::Cycle(const HostTable& hosts, int64_t now_ms) {
  auto started = std::chrono::steady_clock::now();
  auto local = kernel_.Addresses();
  if (local)
    local_ = *local;

  // Desired pins: every host within its TTL whose NFC address maps to a backup interface.
  std::vector<pin::Route> desired;
  std::vector<PinRow> pins;
  std::map<std::string, pin::MapResult> maps;
  for (const auto& [id, e] : hosts.hosts()) {
    if (now_ms - e.received_ms > config_.pin_ttl.count())
      continue;
    auto m = MapAddress(e.report.nfc_address(), local_);
    maps[id] = m;
    PinRow row{id, e.report.nfc_address(), m.interface, m.ok ? m.source.ToString() : "", false, ""};
    if (m.ok) {
      desired.push_back(
          {*net::IpAddress::Parse(e.report.nfc_address()), m.ifindex, m.via, m.source});
      row.why = m.l2_adjacent ? "automatic: the subnet of " + m.interface + " holds it"
                              : "manual mapping via " + (m.via ? m.via->ToString() : "");
    } else {
      row.why = "not pinned: " + m.finding + ": " + m.detail;
    }
    pins.push_back(row);
  }
  std::string pin_error;
  auto rec = pin::Reconcile(kernel_, own_, desired);
  if (!rec) {
    pin_error = rec.error().message;
    log::Warn("pin reconcile: " + pin_error);
  }
  std::set<std::string> installed;
  auto have = kernel_.DumpOwned(own_);
  if (have) {
    for (const auto& r : have->routes)
      installed.insert(r.destination.ToString());
  }
  for (auto& row : pins)
    row.installed = installed.count(row.nfc_address) > 0;

  auto flows = kernel_.Flows(config_.nfc_port);
  std::vector<report::PairFacts> all;
  for (const auto& [id, e] : hosts.hosts()) {
    report::PairFacts f;
    f.proxy_id = config_.proxy_id;
    f.host_id = id;
    f.has_report = true;
    f.report_age_ms = now_ms - e.received_ms;
    f.freshness_limit_ms = config_.freshness.count();
    f.host = report::HostSideFromReport(e.report);
    f.allow_public_plaintext = config_.allow_public_plaintext;
    f.duplicate_hosts = hosts.SameAddressAs(id);
    auto it = maps.find(id);
    pin::MapResult m = it != maps.end() ? it->second : MapAddress(e.report.nfc_address(), local_);
    f.mapping.ran = true;
    f.mapping.finding = m.finding;
    f.mapping.detail = m.detail;
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
      f.pin.evidence = pin_error;
      bool fresh = f.report_age_ms <= f.freshness_limit_ms;
      if (config_.tcp_check && fresh) {
        f.connect.enabled = true;
        f.connect.ran = true;
        f.connect.ok = TcpProbe(m, e.report.nfc_address(), &f.connect.evidence);
      }
      auto mac = kernel_.NeighborMac(m.ifindex, *net::IpAddress::Parse(e.report.nfc_address()));
      f.neighbor.ran = mac.ok();
      f.neighbor.mac = mac.ok() ? *mac : "";
      f.neighbor.evidence = mac.ok() ? "neighbor table of " + m.interface : mac.error().message;
    }
    if (flows) {
      f.flows.ran = true;
      for (const auto& fl : *flows) {
        std::string dst = fl.destination.ToString();
        bool to_nfc = dst == e.report.nfc_address();
        bool to_mgmt = !e.report.management_address().empty() &&
                       dst == e.report.management_address() && !to_nfc;
        if (!to_nfc && !to_mgmt)
          continue;
        if (to_nfc && m.ok && fl.oif == m.ifindex) {
          f.flows.on_backup++;
        } else {
          f.flows.off_backup++;
          f.flows.evidence += fl.source.ToString() + " -> " + dst + ":" +
                              std::to_string(config_.nfc_port) + " via ifindex " +
                              std::to_string(fl.oif) + (to_mgmt ? " (management address)" : "") +
                              "\n";
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

report::Report ProxyNetworkSide::LatestReport() const {
  std::lock_guard<std::mutex> lock(mu_);
  return report_;
}

report::MetricsSnapshot ProxyNetworkSide::Metrics() const {
  std::lock_guard<std::mutex> lock(mu_);
  return metrics_;
}

}  // namespace bnfc::proxyd
