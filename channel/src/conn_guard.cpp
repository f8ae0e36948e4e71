#include "bnfc/conn_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>

#include "bnfc/log.h"

namespace bnfc::channel {

namespace {

constexpr int kEvents = ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_ACCEPT_FAILED | ZMQ_EVENT_DISCONNECTED |
                        ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                        ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;
// One warning per interval at most, however fast connections are refused.
constexpr int64_t kLogIntervalMs = 10000;

int64_t SteadyMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// The peer's address without the port; empty when the descriptor is no connected socket (it may
// already be closed by the time the event is read).
std::string PeerOf(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    return "";
  }
  char buf[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr, buf, sizeof buf);
  } else if (ss.ss_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr, buf, sizeof buf);
  } else {
    return "";
  }
  return buf;
}

}  // namespace

Admission Decide(int from_source, int total, const GuardLimits& limits) {
  if (limits.max_total > 0 && total >= limits.max_total) {
    return Admission::kOverTotal;
  }
  if (limits.max_per_source > 0 && from_source >= limits.max_per_source) {
    return Admission::kOverSource;
  }
  return Admission::kAdmit;
}

int TotalCapFor(uint64_t nofile_soft_limit) {
  constexpr uint64_t kReserve = 256;
  if (nofile_soft_limit == RLIM_INFINITY || nofile_soft_limit > (1u << 20)) {
    return 1 << 20;
  }
  return nofile_soft_limit > 2 * kReserve ? static_cast<int>(nofile_soft_limit - kReserve)
                                          : static_cast<int>(nofile_soft_limit / 2);
}

ConnectionGuard::ConnectionGuard(zmq::context_t& context, zmq::socket_t& socket, GuardLimits limits)
    : socket_(socket), limits_(limits) {
  if (limits_.max_total <= 0) {
    rlimit rl{};
    limits_.max_total = ::getrlimit(RLIMIT_NOFILE, &rl) == 0 ? TotalCapFor(rl.rlim_cur) : 768;
  }
  endpoint_ = "inproc://bnfc-guard-" + std::to_string(reinterpret_cast<uintptr_t>(this));
  if (zmq_socket_monitor(socket_.handle(), endpoint_.c_str(), kEvents) != 0) {
    log::Error(std::string("cannot monitor the control socket: ") + zmq_strerror(zmq_errno()));
    return;
  }
  try {
    pair_ = std::make_unique<zmq::socket_t>(context, zmq::socket_type::pair);
    pair_->set(zmq::sockopt::linger, 0);
    pair_->connect(endpoint_);
  } catch (const zmq::error_t& e) {
    log::Error(std::string("cannot read the control socket's events: ") + e.what());
    zmq_socket_monitor(socket_.handle(), nullptr, 0);
    pair_.reset();
    return;
  }
  ok_ = true;
  thread_ = std::thread([this] { Loop(); });
}

ConnectionGuard::~ConnectionGuard() {
  if (!ok_) {
    return;
  }
  // Stop the events first: libzmq's I/O thread blocks on a full monitor queue nobody reads.
  zmq_socket_monitor(socket_.handle(), nullptr, 0);
  stop_ = true;
  thread_.join();
}

void ConnectionGuard::Loop() {
  while (!stop_.load()) {
    zmq::pollitem_t item{pair_->handle(), 0, ZMQ_POLLIN, 0};
    try {
      zmq::poll(&item, 1, std::chrono::milliseconds(100));
    } catch (const zmq::error_t&) {
      continue;  // EINTR
    }
    for (int n = 0; n < 1000 && (item.revents & ZMQ_POLLIN); ++n) {
      zmq::message_t head;
      zmq::message_t rest;
      if (!pair_->recv(head, zmq::recv_flags::dontwait)) {
        break;
      }
      // The rest of this event (the endpoint frame); the parts of one message arrive together.
      for (bool more = head.more(); more;) {
        if (!pair_->recv(rest, zmq::recv_flags::dontwait)) {
          break;
        }
        more = rest.more();
      }
      if (head.size() < 6) {
        continue;
      }
      uint16_t event = 0;
      uint32_t value = 0;
      std::memcpy(&event, head.data(), 2);
      std::memcpy(&value, static_cast<const char*>(head.data()) + 2, 4);
      OnEvent(event, value);
    }
  }
  pair_.reset();
}

void ConnectionGuard::Refuse(int fd, const std::string& source, const char* why) {
  // shutdown, not close: libzmq owns the descriptor, sees end-of-file, closes it and reports it
  // as disconnected.
  ::shutdown(fd, SHUT_RDWR);
  refused_fds_[fd] = true;
  ++refused_since_log_;
  int64_t now = SteadyMs();
  if (last_log_ms_ == 0 || now - last_log_ms_ >= kLogIntervalMs) {
    log::Warn("refused " + std::to_string(refused_since_log_) +
              " connection(s) to the control port since the last such line; latest from " +
              (source.empty() ? std::string("an unknown source") : source) + ": " + why +
              " (per source " + std::to_string(limits_.max_per_source) + ", in total " +
              std::to_string(limits_.max_total) + ")");
    last_log_ms_ = now;
    refused_since_log_ = 0;
  }
}

void ConnectionGuard::Forget(int fd) {
  auto it = source_of_.find(fd);
  if (it == source_of_.end()) {
    return;
  }
  auto ps = per_source_.find(it->second);
  if (ps != per_source_.end() && --ps->second <= 0) {
    per_source_.erase(ps);
  }
  source_of_.erase(it);
  stats_.open.store(static_cast<int64_t>(source_of_.size()));
}

void ConnectionGuard::OnEvent(uint16_t event, uint32_t value) {
  const int fd = static_cast<int>(value);
  switch (event) {
    case ZMQ_EVENT_ACCEPTED: {
      stats_.accepted++;
      // A descriptor number seen again before its disconnect event: the earlier connection is
      // gone (its event is late), so it stops counting here.
      Forget(fd);
      refused_fds_.erase(fd);
      std::string source = PeerOf(fd);
      int from_source = per_source_.count(source) ? per_source_[source] : 0;
      switch (Decide(from_source, static_cast<int>(source_of_.size()), limits_)) {
        case Admission::kOverSource:
          stats_.refused_per_source++;
          Refuse(fd, source, "too many connections from this source");
          return;
        case Admission::kOverTotal:
          stats_.refused_total++;
          Refuse(fd, source, "too many connections in total");
          return;
        case Admission::kAdmit:
          break;
      }
      source_of_[fd] = source;
      per_source_[source]++;
      stats_.open.store(static_cast<int64_t>(source_of_.size()));
      return;
    }
    case ZMQ_EVENT_ACCEPT_FAILED:
      stats_.accept_failed++;
      if (last_log_ms_ == 0 || SteadyMs() - last_log_ms_ >= kLogIntervalMs) {
        log::Warn(std::string("accepting a control connection failed: ") +
                  std::strerror(static_cast<int>(value)));
        last_log_ms_ = SteadyMs();
      }
      return;
    case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      // The disconnect event of the same connection follows at once and names its descriptor.
      pending_incomplete_ = true;
      return;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      if (value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH) {
        stats_.handshake_mechanism++;
      } else {
        stats_.handshake_protocol++;
      }
      return;
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      stats_.handshake_auth++;
      return;
    case ZMQ_EVENT_DISCONNECTED: {
      bool ours = refused_fds_.erase(fd) > 0;
      if (pending_incomplete_ && !ours) {
        stats_.handshake_incomplete++;
      }
      pending_incomplete_ = false;
      Forget(fd);
      return;
    }
    default:
      return;
  }
}

}  // namespace bnfc::channel
