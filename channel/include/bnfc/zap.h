// ZAP (ZeroMQ RFC 27) handler that authorises CURVE clients by an allow-list: each enrolled public
// key is bound to one identity (host id) and the source prefixes it may connect from.
//
// libzmq consults ZAP only when a handler is bound in the context; a CURVE server without one
// accepts any client that knows the server key. SecureServer therefore refuses to start unless a
// running ZapHandler is given, and stops accepting if the handler dies.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <zmq.hpp>

#include "bnfc/expected.h"
#include "bnfc/net.h"

namespace bnfc::channel {

inline constexpr const char* kZapEndpoint = "inproc://zeromq.zap.01";
inline constexpr const char* kZapDomain = "bnfc";

struct Peer {
  std::string identity;                      // host id the key is bound to
  std::vector<net::Prefix> allowed_sources;  // at least one; 0.0.0.0/0 must be explicit
};

// Thread-safe: the ZAP thread reads it while the application enrols and revokes.
class AllowList {
 public:
  Status Add(const std::string& public_z85, Peer peer);
  bool Remove(const std::string& public_z85);
  size_t RemoveIdentity(const std::string& identity);  // returns how many keys were removed
  std::optional<Peer> Find(const std::string& public_z85) const;
  size_t size() const;
  // Swaps in a complete new set at once (after the key store changed on disk). Every key must
  // already have passed Add()'s checks; use Validate() to check one.
  Status ReplaceAll(std::map<std::string, Peer> by_key);
  static Status Validate(const std::string& public_z85, const Peer& peer);

 private:
  mutable std::mutex mu_;
  std::map<std::string, Peer> by_key_;
};

struct ZapRequest {
  std::string domain;
  std::string address;  // peer IP address as text
  std::string mechanism;
  std::string public_z85;  // empty unless mechanism is CURVE
};

enum class ZapVerdict { kAccepted, kUnknownKey, kWrongSource, kBadMechanism, kBadDomain };

struct ZapDecision {
  ZapVerdict verdict = ZapVerdict::kUnknownKey;
  std::string user_id;  // the client's public key (Z85) when accepted
  std::string reason;   // human sentence for logs
};

// The authorisation rule, free of sockets.
ZapDecision Decide(const AllowList& allow, const ZapRequest& request);
const char* ZapVerdictName(ZapVerdict v);

struct ZapStats {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> unknown_key{0};
  std::atomic<uint64_t> wrong_source{0};
  std::atomic<uint64_t> other_refusals{0};
};

class ZapHandler {
 public:
  // Called from the ZAP thread for every refused unknown key (enrolment records it as pending).
  using UnknownKeyCallback =
      std::function<void(const std::string& public_z85, const std::string& address)>;

  ZapHandler(zmq::context_t& context, std::shared_ptr<AllowList> allow);
  ~ZapHandler();
  ZapHandler(const ZapHandler&) = delete;
  ZapHandler& operator=(const ZapHandler&) = delete;

  // Binds the ZAP endpoint in the calling thread (so failure is reported here), then serves
  // requests on a thread of its own.
  Status Start();
  void Stop();
  bool running() const { return running_.load(); }
  void SetUnknownKeyCallback(UnknownKeyCallback cb);
  const ZapStats& stats() const { return stats_; }
  const std::shared_ptr<AllowList>& allow_list() const { return allow_; }

 private:
  void Serve();
  void HandleOne();

  zmq::context_t& context_;
  std::shared_ptr<AllowList> allow_;
  std::unique_ptr<zmq::socket_t> socket_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{false};
  std::mutex cb_mu_;
  UnknownKeyCallback on_unknown_;
  ZapStats stats_;
  // Refusals are logged at most once per interval (the handler's thread only): a stranger
  // reconnecting with fresh keys must not be able to grow the log at its own rate.
  int64_t last_refusal_log_ms_ = 0;
  uint64_t refusals_not_logged_ = 0;
};

}  // namespace bnfc::channel
