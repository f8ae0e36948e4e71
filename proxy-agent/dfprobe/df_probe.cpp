// One echo with DF set, no retries: the observe stage runs it once per interval and a lost probe
// fails only that interval's check. IP_PMTUDISC_PROBE (not _DO) sets DF but ignores the path MTU
// the kernel may have cached from an earlier ICMP "fragmentation needed": each probe tests the
// path again instead of failing locally on stale state, while a local interface MTU smaller than
// the packet still makes send() fail with EMSGSIZE.
#include "df_probe.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <vector>

namespace bnfc::dfprobe {
namespace {

constexpr int kMaxIpPacket = 65535;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0)
      close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

socklen_t ToSockaddr(const net::IpAddress& a, sockaddr_storage* out) {
  std::memset(out, 0, sizeof *out);
  if (a.family == net::Family::kIPv4) {
    auto* s4 = reinterpret_cast<sockaddr_in*>(out);
    s4->sin_family = AF_INET;
    std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* s6 = reinterpret_cast<sockaddr_in6*>(out);
  s6->sin6_family = AF_INET6;
  std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

uint16_t InternetChecksum(const uint8_t* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2)
    sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  if (len % 2 != 0)
    sum += static_cast<uint32_t>(data[len - 1] << 8);
  while (sum >> 16 != 0)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

struct OpenSocket {
  int fd = -1;
  bool raw = false;
};

// Ping socket first; a raw socket when the group is outside ping_group_range (EACCES) or the
// kernel has no ping sockets. Errors name both attempts.
Expected<OpenSocket> OpenIcmpSocket(net::Family family) {
  int domain = family == net::Family::kIPv4 ? AF_INET : AF_INET6;
  int proto = family == net::Family::kIPv4 ? static_cast<int>(IPPROTO_ICMP)
                                           : static_cast<int>(IPPROTO_ICMPV6);
  int fd = socket(domain, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
  if (fd >= 0)
    return OpenSocket{fd, false};
  std::string dgram_error = std::strerror(errno);
  fd = socket(domain, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
  if (fd >= 0)
    return OpenSocket{fd, true};
  return Unexpected(ErrorCode::kPermission,
                    std::string("no ICMP socket: datagram (ping) socket: ") + dgram_error +
                        " (is the group in net.ipv4.ping_group_range?); raw socket: " +
                        std::strerror(errno) + " (needs CAP_NET_RAW)");
}

// Echo reply matching our sequence (and identifier on raw sockets, where the kernel hands us
// every ICMP packet; ping sockets filter by identifier themselves).
bool IsOurReply(const uint8_t* p, ssize_t n, bool v4, bool raw, uint16_t id, uint16_t seq,
                size_t want_len) {
  if (v4 && raw) {  // raw IPv4 sockets deliver the IP header too
    if (n < 20)
      return false;
    size_t ihl = static_cast<size_t>(p[0] & 0x0f) * 4;
    if (static_cast<size_t>(n) < ihl)
      return false;
    p += ihl;
    n -= static_cast<ssize_t>(ihl);
  }
  if (n < 8)
    return false;
  uint8_t reply_type = v4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
  if (p[0] != reply_type || p[1] != 0)
    return false;
  if (raw && (p[4] << 8 | p[5]) != id)
    return false;
  if ((p[6] << 8 | p[7]) != seq)
    return false;
  return static_cast<size_t>(n) == want_len;
}

}  // namespace

const char* DfOutcomeName(DfOutcome outcome) {
  switch (outcome) {
    case DfOutcome::kReply:
      return "reply";
    case DfOutcome::kNoReply:
      return "no_reply";
    case DfOutcome::kTooLong:
      return "too_long";
    case DfOutcome::kError:
      return "error";
  }
  return "error";
}

Expected<int> PayloadSizeForMtu(net::Family family, int mtu) {
  bool v4 = family == net::Family::kIPv4;
  int min_mtu = v4 ? 68 : 1280;  // RFC 791 / RFC 8200 minimum link MTUs
  if (mtu < min_mtu || mtu > kMaxIpPacket) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "MTU " + std::to_string(mtu) + " is outside " + std::to_string(min_mtu) +
                          ".." + std::to_string(kMaxIpPacket) + " for " + (v4 ? "IPv4" : "IPv6"));
  }
  return mtu - (v4 ? 28 : 48);
}

Status ValidateRequest(const DfProbeRequest& r) {
  if (r.source.family != r.destination.family) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "source " + r.source.ToString() + " and destination " +
                          r.destination.ToString() + " are of different address families");
  }
  if (r.timeout_ms <= 0) {
    return Unexpected(ErrorCode::kInvalidArgument,
                      "timeout must be positive, got " + std::to_string(r.timeout_ms) + " ms");
  }
  if (r.interface.size() >= IFNAMSIZ) {
    return Unexpected(ErrorCode::kInvalidArgument, "interface name too long: " + r.interface);
  }
  auto size = PayloadSizeForMtu(r.destination.family, r.mtu);
  if (!size.ok())
    return Unexpected(size.error());
  return OkStatus();
}

DfProbeResult DfProbe(const DfProbeRequest& r) {
  std::string what = "DF echo " + r.source.ToString() +
                     (r.interface.empty() ? "" : " (" + r.interface + ")") + " -> " +
                     r.destination.ToString() + " at MTU " + std::to_string(r.mtu);
  auto fail = [&](DfOutcome o, const std::string& why) {
    return DfProbeResult{o, what + ": " + why};
  };
  if (auto ok = ValidateRequest(r); !ok.ok())
    return fail(DfOutcome::kError, ok.error().message);
  const bool v4 = r.destination.family == net::Family::kIPv4;
  const int payload = PayloadSizeForMtu(r.destination.family, r.mtu).value();

  auto opened = OpenIcmpSocket(r.destination.family);
  if (!opened.ok())
    return fail(DfOutcome::kError, opened.error().message);
  Fd fd(opened->fd);
  const bool raw = opened->raw;
  what += raw ? " [raw socket]" : " [ping socket]";

  if (!r.interface.empty() && setsockopt(fd.get(), SOL_SOCKET, SO_BINDTODEVICE, r.interface.c_str(),
                                         static_cast<socklen_t>(r.interface.size())) != 0) {
    return fail(DfOutcome::kError, "bind to interface: " + std::string(std::strerror(errno)));
  }
  int pmtu = v4 ? IP_PMTUDISC_PROBE : IPV6_PMTUDISC_PROBE;
  if (setsockopt(fd.get(), v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_MTU_DISCOVER : IPV6_MTU_DISCOVER,
                 &pmtu, sizeof pmtu) != 0) {
    return fail(DfOutcome::kError, "set don't-fragment: " + std::string(std::strerror(errno)));
  }
  if (!v4) {  // IPv6 routers never fragment; this stops the local stack from doing so
    int one = 1;
    if (setsockopt(fd.get(), IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof one) != 0)
      return fail(DfOutcome::kError, "set IPV6_DONTFRAG: " + std::string(std::strerror(errno)));
  }
  sockaddr_storage src{}, dst{};
  socklen_t src_len = ToSockaddr(r.source, &src);
  socklen_t dst_len = ToSockaddr(r.destination, &dst);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&src), src_len) != 0)
    return fail(DfOutcome::kError, "bind to source: " + std::string(std::strerror(errno)));
  // Connected: the kernel then delivers only the destination's packets (and errors) to us.
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&dst), dst_len) != 0)
    return fail(DfOutcome::kError, "connect: " + std::string(std::strerror(errno)));

  std::random_device rd;
  const uint16_t id = static_cast<uint16_t>(rd());
  const uint16_t seq = static_cast<uint16_t>(rd());
  std::vector<uint8_t> packet(8 + static_cast<size_t>(payload));
  packet[0] = v4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
  packet[4] = static_cast<uint8_t>(id >> 8);
  packet[5] = static_cast<uint8_t>(id);
  packet[6] = static_cast<uint8_t>(seq >> 8);
  packet[7] = static_cast<uint8_t>(seq);
  for (size_t i = 8; i < packet.size(); ++i)
    packet[i] = static_cast<uint8_t>(i);
  if (v4 && raw) {  // ping sockets and ICMPv6 get their checksum from the kernel
    uint16_t sum = InternetChecksum(packet.data(), packet.size());
    packet[2] = static_cast<uint8_t>(sum >> 8);
    packet[3] = static_cast<uint8_t>(sum);
  }
  what += ", " + std::to_string(payload) + "-byte payload";

  if (send(fd.get(), packet.data(), packet.size(), 0) < 0) {
    int err = errno;
    if (err == EMSGSIZE) {
      int local = 0;
      socklen_t len = sizeof local;
      std::string mtu_text;
      if (getsockopt(fd.get(), v4 ? IPPROTO_IP : IPPROTO_IPV6, v4 ? IP_MTU : IPV6_MTU, &local,
                     &len) == 0)
        mtu_text = " (local route MTU " + std::to_string(local) + ")";
      return fail(DfOutcome::kTooLong, "message too long for the local interface" + mtu_text);
    }
    return fail(DfOutcome::kError, "send: " + std::string(std::strerror(err)));
  }

  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::milliseconds(r.timeout_ms);
  std::vector<uint8_t> buf(kMaxIpPacket + 1);
  const size_t want = packet.size();
  std::string last_error;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0)
      break;
    pollfd p{fd.get(), POLLIN, 0};
    int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n < 0 && errno != EINTR)
      return fail(DfOutcome::kError, "poll: " + std::string(std::strerror(errno)));
    if (n <= 0)
      continue;
    ssize_t got = recv(fd.get(), buf.data(), buf.size(), 0);
    if (got < 0) {
      if (errno == EAGAIN || errno == EINTR)
        continue;
      // An ICMP error for our echo (unreachable, packet too big) arrives as a socket error.
      last_error = std::strerror(errno);
      continue;
    }
    if (IsOurReply(buf.data(), got, v4, raw, id, seq, want)) {
      return DfProbeResult{DfOutcome::kReply,
                           what + ": reply of " + std::to_string(want) + " ICMP bytes"};
    }
  }
  return fail(DfOutcome::kNoReply,
              "no reply within " + std::to_string(r.timeout_ms) + " ms" +
                  (last_error.empty() ? "" : " (last socket error: " + last_error + ")"));
}

namespace {
class SystemDfProber : public DfProber {
 public:
  DfProbeResult Probe(const DfProbeRequest& request) override { return DfProbe(request); }
};
}  // namespace

std::unique_ptr<DfProber> MakeSystemDfProber() {
  return std::make_unique<SystemDfProber>();
}

}  // namespace bnfc::dfprobe
