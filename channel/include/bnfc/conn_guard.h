// Bounds what unauthenticated peers can hold on the proxy's control port. libzmq accepts every
// TCP connection and only then runs the CURVE handshake, so a stranger can hold descriptors
// without ever authenticating. The guard watches the server socket's monitor events: it counts
// concurrent connections per source address and in total, shuts down the newest connection of a
// source (or of the whole server) over its cap right after the accept, and counts handshake
// failures and accept failures by reason. Decisions are a pure function (Decide) so they are
// tested without sockets.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <zmq.hpp>

namespace bnfc::channel {

struct GuardLimits {
  // An enrolled host holds one connection; a handful more covers reconnects not yet noticed.
  int max_per_source = 32;
  // All connections, authenticated or not; 0 = derived from RLIMIT_NOFILE (soft limit - 256),
  // so accept(2) never meets EMFILE, which makes libzmq's listener spin.
  int max_total = 0;
};

// Counters read by the metrics endpoint from another thread.
struct GuardStats {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> refused_per_source{0};    // over max_per_source: shut down at once
  std::atomic<uint64_t> refused_total{0};         // over max_total: shut down at once
  std::atomic<uint64_t> accept_failed{0};         // accept(2) failed (EMFILE, ENFILE, ...)
  std::atomic<uint64_t> handshake_mechanism{0};   // NULL/PLAIN/other mechanism against CURVE
  std::atomic<uint64_t> handshake_auth{0};        // ZAP refused the key or source
  std::atomic<uint64_t> handshake_protocol{0};    // malformed greeting or handshake
  std::atomic<uint64_t> handshake_incomplete{0};  // closed or timed out before authenticating
  std::atomic<int64_t> open{0};                   // connections open now
};

enum class Admission { kAdmit, kOverSource, kOverTotal };

// Pure: whether a new connection from a source holding `from_source` (this one not included)
// with `total` open (this one not included) stays.
Admission Decide(int from_source, int total, const GuardLimits& limits);

// The total cap for a descriptor limit: leaves room for files, netlink and the HTTP endpoint.
int TotalCapFor(uint64_t nofile_soft_limit);

class ConnectionGuard {
 public:
  // Starts monitoring `socket` (before it binds). Throws nothing; a failure to start the monitor
  // is returned by ok().
  ConnectionGuard(zmq::context_t& context, zmq::socket_t& socket, GuardLimits limits);
  ~ConnectionGuard();  // stops the monitor and joins its thread
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  bool ok() const { return ok_; }
  const GuardStats& stats() const { return stats_; }
  const GuardLimits& limits() const { return limits_; }

 private:
  void Loop();
  void OnEvent(uint16_t event, uint32_t value);
  void Refuse(int fd, const std::string& source, const char* why);
  void Forget(int fd);

  zmq::socket_t& socket_;
  GuardLimits limits_;
  std::string endpoint_;
  std::unique_ptr<zmq::socket_t> pair_;
  std::atomic<bool> stop_{false};
  bool ok_ = false;
  GuardStats stats_;
  std::thread thread_;
  // Owned by the guard thread only.
  std::map<int, std::string> source_of_;  // fd -> source address
  std::map<std::string, int> per_source_;
  std::map<int, bool> refused_fds_;  // fds we shut down: their failure is not counted again
  bool pending_incomplete_ = false;  // a no-detail handshake failure awaits its fd
  int64_t last_log_ms_ = 0;
  uint64_t refused_since_log_ = 0;
};

}  // namespace bnfc::channel
