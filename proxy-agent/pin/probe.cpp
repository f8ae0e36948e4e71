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

#include "pin.h"

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
  const std::string what =
      "connect " + source.ToString() + " -> " + destination.ToString() + ":" + std::to_string(port);
  if (source.family != destination.family) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      what + ": source and destination are of different address families");
  }
  int fd = socket(destination.family == net::Family::kIPv4 ? AF_INET : AF_INET6,
                  SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return Unexpected(ErrorCode::kIo, what + ": socket: " + std::strerror(errno));
  sockaddr_storage src{}, dst{};
  socklen_t src_len = ToSockaddr(source, 0, &src);
  socklen_t dst_len = ToSockaddr(destination, port, &dst);
  Status result = OkStatus();
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), src_len) != 0) {
    result = Unexpected(ErrorCode::kUnavailable,
                        what + ": cannot bind the source address: " + std::strerror(errno));
  } else if (connect(fd, reinterpret_cast<sockaddr*>(&dst), dst_len) != 0 && errno != EINPROGRESS) {
    result = Unexpected(ErrorCode::kUnavailable, what + ": " + std::strerror(errno));
  } else {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      pollfd p{fd, POLLOUT, 0};
      int rc = left > 0 ? poll(&p, 1, static_cast<int>(left)) : 0;
      if (rc < 0 && errno == EINTR)
        continue;
      if (rc <= 0) {
        result = Unexpected(ErrorCode::kTimeout,
                            what + ": no answer within " + std::to_string(timeout_ms) + " ms");
        break;
      }
      int err = 0;
      socklen_t elen = sizeof err;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
      if (err != 0)
        result = Unexpected(ErrorCode::kUnavailable, what + ": " + std::strerror(err));
      break;
    }
  }
  close(fd);
  return result;
}

}  // namespace bnfc::pin
