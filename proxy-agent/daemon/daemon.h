// The bnfc-proxyd main loop: receives host reports on the secure channel, keeps the host table,
// answers with ProbeRequests, and once per interval asks its collaborators to pin, check and
// publish. Collaborators are interfaces so the loop is tested with doubles.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "bnfc.pb.h"
#include "bnfc/channel.h"
#include "bnfc/clock.h"
#include "host_table.h"
#include "keystore.h"
#include "proxy_config.h"

namespace bnfc::proxyd {

// Everything the loop needs from the proxy's network side (mapping, pinning, checks).
class NetworkSide {
 public:
  virtual ~NetworkSide() = default;
  // Backup addresses (and MTU) this proxy offers for `nfc_address`; empty when none maps.
  virtual std::vector<proto::ProbeTarget> ProbeTargetsFor(const std::string& nfc_address) = 0;
  // Called once per interval with the current table: reconcile pins, run checks, publish.
  virtual void Cycle(const HostTable& hosts, int64_t now_ms) = 0;
  // Clean stop: remove what we own unless retained.
  virtual void Stop(bool retain) = 0;
};

// Written by the loop, read by the HTTP thread for /metrics: atomics, so a scrape never reads a
// half-written value.
struct DaemonStats {
  std::atomic<uint64_t> reports_accepted{0};
  std::atomic<uint64_t> replies_failed{0};
  std::atomic<uint64_t> keystore_reloads{0};
  std::atomic<uint64_t> keystore_reload_failures{0};
  std::atomic<bool> keystore_reload_failing{false};
  // Keys in the store by state, as of the last successful (re)load.
  std::atomic<uint64_t> keys_pending{0};
  std::atomic<uint64_t> keys_accepted{0};
  std::atomic<uint64_t> keys_rejected{0};
};

class Daemon {
 public:
  Daemon(ProxyConfig config, keys::KeyPair server_keys, NetworkSide& network, const Clock& clock);
  // Binds the ZAP handler, then the server. Fails without changing anything on error.
  Status Start();
  // Runs until `stop` becomes true; returns an error only for conditions that make going on
  // unsafe (the ZAP handler died).
  Status Run(const std::atomic<bool>& stop);
  const HostTable& hosts() const { return hosts_; }
  const DaemonStats& stats() const { return stats_; }
  const channel::SecureServer* server() const { return server_.get(); }
  const channel::ZapHandler* zap() const { return zap_.get(); }
  std::string endpoint() const { return server_ ? server_->endpoint() : ""; }

 private:
  void ReloadKeysIfChanged();
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
  DaemonStats stats_;
  int64_t keystore_mtime_ns_ = -1;
};

}  // namespace bnfc::proxyd
