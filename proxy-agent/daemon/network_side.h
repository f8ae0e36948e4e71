// The production NetworkSide: maps NFC addresses, pins them, checks from the proxy side, audits
// TCP/902 flows, evaluates every pair and writes the report files into the state directory.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon.h"
#include "pin.h"
#include "report_files.h"
#include "verdict.h"

namespace bnfc::proxyd {

class ProxyNetworkSide : public NetworkSide {
 public:
  ProxyNetworkSide(const ProxyConfig& config, pin::Kernel& kernel);
  std::vector<proto::ProbeTarget> ProbeTargetsFor(const std::string& nfc_address) override;
  void Cycle(const HostTable& hosts, int64_t now_ms) override;
  void Stop(bool retain) override;
  ReportSnapshot Snapshot() const;

 private:
  pin::MapResult MapAddress(const std::string& nfc, const std::vector<pin::LocalAddress>& local);
  void TcpProbe(const pin::MapResult& m, const std::string& nfc);

  const ProxyConfig& config_;
  pin::Kernel& kernel_;
  pin::Ownership own_;
  std::vector<pin::ManualMapping> manual_;
  std::vector<pin::LocalAddress> local_;
  mutable std::mutex mu_;
  ReportSnapshot snapshot_;
};

}  // namespace bnfc::proxyd
