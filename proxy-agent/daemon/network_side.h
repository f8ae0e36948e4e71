// The production NetworkSide: the proxy's pipeline as a composition of typed stages.
//
//   intake -> map -> pin -> observe -> facts builder -> verdict -> publish
//
// Intake decodes the host table once into HostFacts (intake.h); map learns the management paths
// and maps each NFC address (map_stage.h); pin reconciles and reads the pins back (pin_stage.h);
// observe probes through the Observer seam (observe_stage.h); the facts builder assembles the
// verdict engine's input (facts_builder.h, pure); publish writes files, history and the metrics
// (publish.h). A report that changes a host's mapping inputs re-maps and re-pins that host at once
// (HostChanged); a link, address or main-table route change re-runs the whole pipeline
// (KernelChanged); the interval stays as the safety net.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bnfc/env.h"
#include "bnfc/report/metrics.h"
#include "bnfc/report/report.h"
#include "daemon.h"
#include "host_facts.h"
#include "kernel.h"
#include "lifetimes.h"
#include "map_stage.h"
#include "observe_stage.h"
#include "observer.h"
#include "pin_stage.h"
#include "publish.h"

namespace bnfc::proxyd {

// Every side effect the network side has: time, files and randomness, the kernel it pins in, and
// what it observes the network through.
struct ProxyEnvironment {
  Environment base;
  pin::Kernel& kernel;
  Observer& observer;
};

class ProxyNetworkSide : public NetworkSide {
 public:
  ProxyNetworkSide(const ProxyConfig& config, ProxyEnvironment env);
  std::vector<proto::ProbeTarget> ProbeTargetsFor(const std::string& nfc_address) override;
  void Cycle(const HostTable& hosts, int64_t now_ms) override;
  void HostChanged(const HostTable& hosts, const std::string& host_id, int64_t now_ms) override;
  bool KernelChanged() override;
  void Stop(bool retain) override;
  std::map<std::string, std::vector<vsphere::DfProof>> TakeEnsureProofs() override;

  // The whole pipeline on typed facts, whatever their source (Cycle runs it on the host table).
  void RunPipeline(const HostFactsTable& hosts, int64_t now_ms);
  // Map and pin one host at once (the other hosts' pins stay as they are).
  void Repin(const HostFacts& host, int64_t now_ms);

  // The latest report and the figures behind /metrics (thread-safe copies for the HTTP thread).
  report::Report LatestReport() const;
  report::MetricsSnapshot Metrics() const;
  // Kernel dumps of our pins made by the last RunPipeline (1 when nothing had to change).
  size_t last_pin_dumps() const { return last_pin_dumps_; }

 private:
  std::vector<pin::LocalAddress> ReadAddresses();

  const ProxyConfig& config_;
  ProxyEnvironment env_;
  Lifetimes lifetimes_;
  MappingRules rules_;
  PinStage pins_;
  Publisher publisher_;
  std::unique_ptr<pin::ChangeWatch> watch_;  // null when the kernel cannot notify us
  std::vector<pin::LocalAddress> local_;     // the last good read of the proxy's addresses
  ManagementIndex management_;               // for ProbeTargetsFor between cycles
  size_t last_pin_dumps_ = 0;
  mutable std::mutex mu_;
  report::Report report_;
  report::MetricsSnapshot metrics_;
  std::map<std::string, std::vector<vsphere::DfProof>> ensure_proofs_;  // of the last run
};

}  // namespace bnfc::proxyd
