// Sends the host's reports to every configured proxy over the secure channel and collects the
// proxies' ProbeRequests. Bounded by design: per proxy at most one report waits (the newest state
// wins), and a proxy that does not acknowledge is retried with exponential back-off and jitter.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "bnfc.pb.h"
#include "bnfc/channel.h"
#include "bnfc/clock.h"
#include "bnfc/env.h"
#include "bnfc/keys.h"

namespace bnfc::hostagent {

struct ProxyEndpoint {
  std::string endpoint;    // tcp://ADDRESS:PORT
  std::string server_key;  // pinned Z85 public key of that proxy
};

struct BackoffPolicy {
  std::chrono::milliseconds ack_timeout{5000};
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{60000};  // the longest wait between attempts, jitter included
  double jitter = 0.2;                   // +/- fraction applied to every delay
};

// Pure: the delay before retry number `failures` (1-based), before jitter. It doubles from
// `initial` and stops where the jittered delay could exceed `max`, i.e. at max / (1 + jitter).
std::chrono::milliseconds BackoffDelay(const BackoffPolicy& policy, int failures);

// `delay` spread uniformly over [delay x (1 - jitter), delay x (1 + jitter)] with `random`, never
// beyond policy.max: hosts that lost the same proxy at once do not retry in step.
std::chrono::milliseconds JitteredDelay(const BackoffPolicy& policy,
                                        std::chrono::milliseconds delay, Random& random);

// Pure: `policy` made to fit the report interval. An attempt waits at most ack_timeout for its
// answer and then at most max before the next one; both together fit in one interval, so a host
// tries every proxy at least once per interval however long the proxy was away, and a proxy that
// comes back hears from every host within one interval.
BackoffPolicy BoundedByInterval(BackoffPolicy policy, std::chrono::milliseconds interval);

struct ProxyLink {
  ProxyEndpoint endpoint;
  std::unique_ptr<channel::SecureClient> client;
  bool has_pending = false;  // a report waits to be sent
  proto::Envelope pending;
  int64_t awaiting_ack_seq = 0;  // 0: nothing in flight
  int64_t sent_ms = 0;
  int64_t next_attempt_ms = 0;
  int64_t last_ack_ms = 0;
  int failures = 0;
  uint64_t sent = 0;
  uint64_t acked = 0;
  std::vector<proto::ProbeTarget> targets;  // from this proxy's last ProbeRequest
};

// Tag changes the agent made, carried in every report until each proxy has surely received one:
// a proxy has at most one report in flight, so its second acknowledgement after a change is for a
// report that carried it. Without proxies only the newest `kMax` are kept.
class ChangeJournal {
 public:
  static constexpr size_t kMax = 32;
  // `acked`: each proxy's acknowledgement count now (ProxyLink::acked, in link order).
  void Add(const proto::TagChange& change, const std::vector<uint64_t>& acked);
  void Prune(const std::vector<uint64_t>& acked);
  // Replaces the report's changes with every change still carried (oldest first).
  void AttachTo(proto::HostReport* report) const;
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    proto::TagChange change;
    std::vector<uint64_t> acked_at_add;
  };
  std::vector<Entry> entries_;
};

// What the host daemon needs from its reporting: the seam between the daemon loop and the secure
// channel (ProxyReporter below; tests use a fake that runs on logical time).
class ReportChannel {
 public:
  virtual ~ReportChannel() = default;
  // Queues `report` for every proxy, replacing anything not yet sent.
  virtual void Publish(const proto::HostReport& report) = 0;
  // Sends what is due and reads replies for up to `budget` (may return early on a signal).
  virtual void Pump(std::chrono::milliseconds budget) = 0;
  // Every proxy backup address asked for, deduplicated.
  virtual std::vector<proto::ProbeTarget> ProbeTargets() const = 0;
  // Each proxy's acknowledgement count, in link order.
  virtual std::vector<uint64_t> AckCounts() const = 0;
  // Whether any proxy has acknowledged a report from this process.
  virtual bool AnyAcknowledged() const = 0;
};

class ProxyReporter : public ReportChannel {
 public:
  // Time and jitter come from `env` (clock, random).
  ProxyReporter(zmq::context_t& context, keys::KeyPair host_keys, std::string host_id,
                Environment env, BackoffPolicy policy = {});
  Status AddProxy(const ProxyEndpoint& endpoint);

  void Publish(const proto::HostReport& report) override;
  void Pump(std::chrono::milliseconds budget) override;
  std::vector<proto::ProbeTarget> ProbeTargets() const override;
  std::vector<uint64_t> AckCounts() const override;
  bool AnyAcknowledged() const override;
  const std::vector<std::unique_ptr<ProxyLink>>& links() const { return links_; }

 private:
  void SendDue(ProxyLink& link, int64_t now);
  void HandleReply(ProxyLink& link, const proto::Envelope& reply, int64_t now);
  // Counts a failed attempt at `failed_at`, schedules the next one and reconnects.
  void Fail(ProxyLink& link, int64_t failed_at);
  Status Connect(ProxyLink& link);

  zmq::context_t& context_;
  keys::KeyPair keys_;
  const Clock& clock_;
  Random& random_;
  BackoffPolicy policy_;
  channel::EnvelopeStamper stamper_;
  std::vector<std::unique_ptr<ProxyLink>> links_;
};

}  // namespace bnfc::hostagent
