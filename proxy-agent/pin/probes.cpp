// TCP connect probe from the backup source address: proves the NFC port answers on the pinned
// path, and makes the kernel resolve the neighbor entry the MAC check reads next. No data is sent.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "probes.h"

namespace bnfc::pin {
namespace {

socklen_t ToSockaddr(const net::IpAddress& a, int port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof *out);
  if (a.family == net::Family::kIPv4) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(out);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(static_cast<uint16_t>(port));
    std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* s6 = reinterpret_cast<sockaddr_in6*>(out);
  s6->sin6_family = AF_INET6;
  s6->sin6_port = htons(static_cast<uint16_t>(port));
  std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

}  // namespace

Status ConnectProbe(const net::IpAddress& source, const net::IpAddress& destination, int port,
                    int timeout_ms) {
  return ConnectProbes({{source, destination}}, port, timeout_ms).front();
}

std::vector<Status> ConnectProbes(const std::vector<ConnectTarget>& targets, int port,
                                  int timeout_ms) {
  std::vector<Status> results(targets.size(), OkStatus());
  std::vector<std::string> what(targets.size());
  std::vector<pollfd> waiting;      // sockets whose handshake is under way
  std::vector<size_t> waiting_for;  // index into targets of each waiting socket
  for (size_t i = 0; i < targets.size(); ++i) {
    const auto& [source, destination] = targets[i];
    what[i] = "connect " + source.ToString() + " -> " + destination.ToString() + ":" +
              std::to_string(port);
    if (source.family != destination.family) {
      results[i] =
          Unexpected(ErrorCode::kInvalidArgument,
                     what[i] + ": source and destination are of different address families");
      continue;
    }
    int fd = socket(destination.family == net::Family::kIPv4 ? AF_INET : AF_INET6,
                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      results[i] = Unexpected(ErrorCode::kIo, what[i] + ": socket: " + std::strerror(errno));
      continue;
    }
    sockaddr_storage src{}, dst{};
    socklen_t src_len = ToSockaddr(source, 0, &src);
    socklen_t dst_len = ToSockaddr(destination, port, &dst);
    if (bind(fd, reinterpret_cast<sockaddr*>(&src), src_len) != 0) {
      results[i] =
          Unexpected(ErrorCode::kUnavailable,
                     what[i] + ": cannot bind the source address: " + std::strerror(errno));
      close(fd);
    } else if (connect(fd, reinterpret_cast<sockaddr*>(&dst), dst_len) != 0 &&
               errno != EINPROGRESS) {
      results[i] = Unexpected(ErrorCode::kUnavailable, what[i] + ": " + std::strerror(errno));
      close(fd);
    } else {
      waiting.push_back({fd, POLLOUT, 0});
      waiting_for.push_back(i);
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  size_t open = waiting.size();
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    int rc = left > 0 ? poll(waiting.data(), waiting.size(), static_cast<int>(left)) : 0;
    if (rc < 0 && errno == EINTR)
      continue;
    if (rc <= 0)
      break;  // timed out (or poll failed): whatever is still open did not answer in time
    for (size_t k = 0; k < waiting.size(); ++k) {
      if (waiting[k].fd < 0 || waiting[k].revents == 0)
        continue;
      int err = 0;
      socklen_t elen = sizeof err;
      getsockopt(waiting[k].fd, SOL_SOCKET, SO_ERROR, &err, &elen);
      if (err != 0) {
        results[waiting_for[k]] =
            Unexpected(ErrorCode::kUnavailable, what[waiting_for[k]] + ": " + std::strerror(err));
      }
      close(waiting[k].fd);
      waiting[k].fd = -1;  // poll ignores negative descriptors
      --open;
    }
  }
  for (size_t k = 0; k < waiting.size(); ++k) {
    if (waiting[k].fd >= 0) {
      results[waiting_for[k]] =
          Unexpected(ErrorCode::kTimeout, what[waiting_for[k]] + ": no answer within " +
                                              std::to_string(timeout_ms) + " ms");
      close(waiting[k].fd);
    }
  }
  return results;
}

}  // namespace bnfc::pin
