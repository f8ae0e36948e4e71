// The production NetworkSide: maps NFC addresses, pins them, checks from the proxy side, audits
// TCP/902 flows, evaluates every pair and writes the report files into the state directory.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bnfc/report/metrics.h"
#include "bnfc/report/report.h"
#include "daemon.h"
#include "history.h"
#include "pin.h"
#include "report_files.h"

namespace bnfc::proxyd {

// The proxy's own paths towards a host's management side: the route (and next hop's neighbor
// entry) to its management address, and the route back to the source of its control connection.
// Reads the kernel only (route lookups and the neighbor table).
report::PathFacts LearnManagementPaths(pin::Kernel& kernel,
                                       const std::vector<pin::LocalAddress>& local,
                                       const std::string& management_address,
                                       const std::string& control_peer);
// The interfaces those paths leave through (what automatic mapping must never choose).
std::vector<std::string> ManagementInterfaces(const report::PathFacts& path);

class ProxyNetworkSide : public NetworkSide {
 public:
  ProxyNetworkSide(const ProxyConfig& config, pin::Kernel& kernel);
  std::vector<proto::ProbeTarget> ProbeTargetsFor(const std::string& nfc_address) override;
  void Cycle(const HostTable& hosts, int64_t now_ms) override;
  void Stop(bool retain) override;
  // The latest report and the figures behind /metrics (thread-safe copies for the HTTP thread).
  report::Report LatestReport() const;
  report::MetricsSnapshot Metrics() const;

 private:
  pin::MapResult MapAddress(const std::string& nfc, const std::vector<pin::LocalAddress>& local,
                            const std::vector<std::string>& management_interfaces);
  void ProbeBackupSegments(const std::map<std::string, pin::MapResult>& maps,
                           std::map<std::string, report::PathFacts>& paths);
  struct ConnectResult {
    bool ok = false;
    std::string evidence;
  };
  // TCP connects to NFC:902 of every fresh, mapped host at once (host id -> result).
  std::map<std::string, ConnectResult> TcpProbes(const HostTable& hosts,
                                                 const std::map<std::string, pin::MapResult>& maps,
                                                 int64_t now_ms);

  const ProxyConfig& config_;
  pin::Kernel& kernel_;
  pin::Ownership own_;
  std::vector<pin::ManualMapping> manual_;
  std::vector<pin::LocalAddress> local_;
  std::string last_pin_error_;
  // From the last cycle: the management interfaces of the host(s) behind each address (NFC or
  // backup vmknic address), and of all hosts, for ProbeTargetsFor between cycles.
  std::map<std::string, std::vector<std::string>> management_by_address_;
  std::vector<std::string> management_any_;
  mutable std::mutex mu_;
  report::Report report_;
  report::MetricsSnapshot metrics_;
  VerdictHistory history_;
};

}  // namespace bnfc::proxyd
