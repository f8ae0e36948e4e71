// The bnfc-proxyd main loop: receives host reports on the secure channel, keeps the host table,
// answers with ProbeRequests, and once per interval asks its collaborators to pin, check and
// publish. Collaborators are interfaces so the loop is tested with doubles.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "bnfc.pb.h"
#include "bnfc/channel.h"
#include "bnfc/clock.h"
#include "bnfc/env.h"
#include "ensure.h"
#include "host_table.h"
#include "keystore.h"
#include "proxy_config.h"
#include "vsphere_sources.h"

namespace bnfc::proxyd {

// Everything the loop needs from the proxy's network side (mapping, pinning, checks).
class NetworkSide {
 public:
  virtual ~NetworkSide() = default;
  // Backup addresses (and MTU) this proxy offers for `nfc_address`; empty when none maps.
  virtual std::vector<proto::ProbeTarget> ProbeTargetsFor(const std::string& nfc_address) = 0;
  // Called once per interval with the current table: reconcile pins, run checks, publish.
  virtual void Cycle(const HostTable& hosts, int64_t now_ms) = 0;
  // A report just changed what `host_id`'s mapping depends on (NFC, management or control
  // address): map and pin that host now rather than at the next interval.
  virtual void HostChanged(const HostTable& /*hosts*/, const std::string& /*host_id*/,
                           int64_t /*now_ms*/) {}
  // Non-blocking: true when links, addresses or routes changed since the last call, so that
  // the loop runs a cycle at once.
  virtual bool KernelChanged() { return false; }
  // Clean stop: remove what we own unless retained.
  virtual void Stop(bool retain) = 0;
  // The proofs the last Cycle's DF probes give for tag_policy = ensure through the vSphere API,
  // per host read through the API under ensure (EnsureProofs in observe_stage.h); taken once.
  virtual std::map<std::string, std::vector<vsphere::DfProof>> TakeEnsureProofs() { return {}; }
};

struct DaemonStats {
  uint64_t reports_accepted = 0;
  uint64_t replies_failed = 0;
  uint64_t keystore_reloads = 0;  // store changes applied
};

// What /healthz and the metrics say about the enrolment store.
struct KeyStoreHealth {
  uint64_t revision = 0;         // revision of the store in force
  uint64_t reload_failures = 0;  // reads of the store that could not be applied
  bool stale = false;   // the store on disk cannot be applied: the last good allow-list is in force
  std::string problem;  // why, while stale
  std::map<std::string, uint64_t> keys_by_state;  // "pending", ... -> keys in the store in force
};

// A cycle asked for by a kernel change runs at the earliest this long after the last one ended,
// so that a flapping link cannot keep the loop from reading reports.
inline constexpr std::chrono::milliseconds kMinEventCycleGap{250};

class Daemon {
 public:
  // Time, files and randomness come from `env` (the key store still reads its file directly).
  Daemon(ProxyConfig config, keys::KeyPair server_keys, NetworkSide& network,
         const Environment& env);
  // Binds the ZAP handler, then the server. Fails without changing anything on error.
  Status Start();
  // Runs until `stop` becomes true; returns an error only for conditions that make going on
  // unsafe (the ZAP handler died).
  Status Run(const std::atomic<bool>& stop);
  const HostTable& hosts() const { return hosts_; }
  // Hosts read through the vSphere API join the table before every cycle (not owned; may be null).
  void SetVsphereSources(VsphereSources* sources) { vsphere_ = sources; }
  const DaemonStats& stats() const { return stats_; }
  KeyStoreHealth keystore_health() const;  // thread-safe
  const channel::SecureServer* server() const { return server_.get(); }
  const channel::ZapHandler* zap() const { return zap_.get(); }
  std::string endpoint() const { return server_ ? server_->endpoint() : ""; }

 private:
  void ReloadKeysIfChanged();
  Status ApplyStore(enrol::StoreSnapshot snapshot, int64_t read_unix_ns);
  void StoreFailed(const Error& error, const enrol::FileStamp& stamp);
  void Handle(const channel::Incoming& in);

  ProxyConfig config_;
  keys::KeyPair server_keys_;
  NetworkSide& network_;
  const Clock& clock_;
  zmq::context_t context_;
  std::shared_ptr<channel::AllowList> allow_;
  std::shared_ptr<channel::ZapHandler> zap_;
  std::unique_ptr<channel::SecureServer> server_;
  enrol::KeyStore store_;
  channel::EnvelopeStamper stamper_;
  HostTable hosts_;
  VsphereSources* vsphere_ = nullptr;
  DaemonStats stats_;
  enrol::StoreSnapshot applied_;      // the store in force
  int64_t applied_read_unix_ns_ = 0;  // when it (or the same bytes) was last read
  std::string failure_logged_;        // the failure last logged, so each one is logged once
  mutable std::mutex health_mu_;
  KeyStoreHealth health_;
};

}  // namespace bnfc::proxyd
