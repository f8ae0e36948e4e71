// Live mode: the kernel's view of the vmknics (getifaddrs + SIOCGIFMTU), its neighbor table
// (RTM_GETNEIGH through libmnl) and real ICMP echo bound to one interface.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <libmnl/libmnl.h>
#include <linux/if_packet.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <thread>

#include "esxsim/system.h"

namespace esxsim {

using bnfc::ErrorCode;
using bnfc::Expected;
using bnfc::Unexpected;

namespace {

std::string MacText(const unsigned char* b, size_t n) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", b[i]);
    out += (i ? ":" : "") + std::string(buf);
  }
  return out;
}

int PrefixFromMask6(const sockaddr_in6* m) {
  int bits = 0;
  for (unsigned char c : m->sin6_addr.s6_addr) {
    bits += __builtin_popcount(c);
  }
  return bits;
}

uint16_t Checksum(const uint8_t* data, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) {
    sum += static_cast<uint32_t>(data[i] << 8 | data[i + 1]);
  }
  if (len & 1) {
    sum += static_cast<uint32_t>(data[len - 1] << 8);
  }
  while (sum >> 16) {
    sum = (sum & 0xffff) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

class LinuxEchoer : public Echoer {
 public:
  ~LinuxEchoer() override {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }

  bnfc::Status Open(const PingRequest& req) {
    req_ = req;
    std::memset(&dst_, 0, sizeof dst_);
    dst_.sin_family = AF_INET;
    if (::inet_pton(AF_INET, req.target.c_str(), &dst_.sin_addr) != 1) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        "Unknown host " + req.target + " (esxsim live mode takes IPv4 addresses)");
    }
    fd_ = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
    if (fd_ < 0 && (errno == EPERM || errno == EACCES)) {
      fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
      raw_ = false;
    }
    if (fd_ < 0) {
      return Unexpected(ErrorCode::kPermission,
                        std::string("socket() failed (") + std::strerror(errno) + ")");
    }
    if (!req.ifname.empty() && ::setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, req.ifname.c_str(),
                                            static_cast<socklen_t>(req.ifname.size())) != 0) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        "Unknown interface '" + req.ifname + "': " + std::strerror(errno));
    }
    int pmtu = req.df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
    ::setsockopt(fd_, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
    if (req.ttl > 0) {
      ::setsockopt(fd_, IPPROTO_IP, IP_TTL, &req.ttl, sizeof req.ttl);
    }
    int on = 1;
    ::setsockopt(fd_, IPPROTO_IP, IP_RECVTTL, &on, sizeof on);
    id_ = static_cast<uint16_t>(::getpid() & 0xffff);
    return bnfc::OkStatus();
  }

  EchoResult Echo(int seq) override {
    EchoResult r;
    std::vector<uint8_t> pkt(8 + static_cast<size_t>(req_.size), 0);
    pkt[0] = ICMP_ECHO;
    pkt[4] = static_cast<uint8_t>(id_ >> 8);
    pkt[5] = static_cast<uint8_t>(id_);
    pkt[6] = static_cast<uint8_t>(seq >> 8);
    pkt[7] = static_cast<uint8_t>(seq);
    for (size_t i = 8; i < pkt.size(); ++i) {
      pkt[i] = static_cast<uint8_t>(i);
    }
    const uint16_t sum = Checksum(pkt.data(), pkt.size());
    pkt[2] = static_cast<uint8_t>(sum >> 8);
    pkt[3] = static_cast<uint8_t>(sum);
    last_send_ = std::chrono::steady_clock::now();
    if (::sendto(fd_, pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&dst_), sizeof dst_) <
        0) {
      r.kind = EchoResult::Kind::kSendError;
      r.error = std::strerror(errno);
      return r;
    }
    const auto deadline =
        last_send_ + std::chrono::microseconds(static_cast<int64_t>(req_.wait_s * 1e6));
    std::vector<uint8_t> buf(65536);
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return r;  // timeout
      }
      const int ms = static_cast<int>(
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1);
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, ms) <= 0) {
        continue;
      }
      sockaddr_in from{};
      iovec iov{buf.data(), buf.size()};
      char cbuf[256];
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = cbuf;
      msg.msg_controllen = sizeof cbuf;
      const ssize_t n = ::recvmsg(fd_, &msg, 0);
      if (n <= 0) {
        continue;
      }
      size_t off = 0;
      int ttl = 0;
      if (raw_) {
        if (n < 20) {
          continue;
        }
        off = static_cast<size_t>(buf[0] & 0x0f) * 4;
        ttl = buf[8];
      } else {
        for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
          if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
            std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
          }
        }
      }
      if (static_cast<size_t>(n) < off + 8 || buf[off] != ICMP_ECHOREPLY ||
          from.sin_addr.s_addr != dst_.sin_addr.s_addr) {
        continue;
      }
      const int rseq = buf[off + 6] << 8 | buf[off + 7];
      const uint16_t rid = static_cast<uint16_t>(buf[off + 4] << 8 | buf[off + 5]);
      if (rseq != seq || (raw_ && rid != id_)) {
        continue;
      }
      r.kind = EchoResult::Kind::kReply;
      r.bytes = static_cast<int>(static_cast<size_t>(n) - off);
      r.ttl = ttl;
      r.from = req_.target;
      r.rtt_us = std::chrono::duration_cast<std::chrono::microseconds>(
                     std::chrono::steady_clock::now() - last_send_)
                     .count();
      return r;
    }
  }

  void Pause() override {
    const auto due =
        last_send_ + std::chrono::microseconds(static_cast<int64_t>(req_.interval_s * 1e6));
    std::this_thread::sleep_until(due);
  }

 private:
  int fd_ = -1;
  bool raw_ = true;
  uint16_t id_ = 0;
  sockaddr_in dst_{};
  PingRequest req_;
  std::chrono::steady_clock::time_point last_send_;
};

struct NeighDump {
  std::vector<KernelNeighbor>* out;
};

int NeighAttr(const nlattr* attr, void* data) {
  const nlattr** tb = static_cast<const nlattr**>(data);
  const int type = mnl_attr_get_type(attr);
  if (mnl_attr_type_valid(attr, NDA_MAX) > 0) {
    tb[type] = attr;
  }
  return MNL_CB_OK;
}

int NeighMsg(const nlmsghdr* nlh, void* data) {
  auto* dump = static_cast<NeighDump*>(data);
  const auto* ndm = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
  const nlattr* tb[NDA_MAX + 1] = {};
  mnl_attr_parse(nlh, sizeof(*ndm), NeighAttr, tb);
  if (tb[NDA_DST] == nullptr || tb[NDA_LLADDR] == nullptr) {
    return MNL_CB_OK;
  }
  if (ndm->ndm_state & (NUD_NOARP | NUD_FAILED | NUD_INCOMPLETE | NUD_NONE)) {
    return MNL_CB_OK;
  }
  KernelNeighbor n;
  char ip[INET6_ADDRSTRLEN] = {};
  n.ipv6 = ndm->ndm_family == AF_INET6;
  if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6) {
    return MNL_CB_OK;
  }
  ::inet_ntop(ndm->ndm_family, mnl_attr_get_payload(tb[NDA_DST]), ip, sizeof ip);
  n.ip = ip;
  n.mac = MacText(static_cast<const unsigned char*>(mnl_attr_get_payload(tb[NDA_LLADDR])),
                  mnl_attr_get_payload_len(tb[NDA_LLADDR]));
  char name[IF_NAMESIZE] = {};
  if (::if_indextoname(static_cast<unsigned>(ndm->ndm_ifindex), name) != nullptr) {
    n.ifname = name;
  }
  n.permanent = (ndm->ndm_state & NUD_PERMANENT) != 0;
  if (tb[NDA_CACHEINFO] != nullptr &&
      mnl_attr_get_payload_len(tb[NDA_CACHEINFO]) >= sizeof(nda_cacheinfo)) {
    const auto* ci = static_cast<const nda_cacheinfo*>(mnl_attr_get_payload(tb[NDA_CACHEINFO]));
    const long hz = ::sysconf(_SC_CLK_TCK);
    n.updated_age_s = static_cast<int64_t>(ci->ndm_updated) / (hz > 0 ? hz : 100);
  }
  dump->out->push_back(n);
  return MNL_CB_OK;
}

class LinuxSystem : public System {
 public:
  Expected<std::vector<KernelInterface>> Interfaces() override {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
      return Unexpected(ErrorCode::kIo, std::string("getifaddrs: ") + std::strerror(errno));
    }
    std::map<std::string, KernelInterface> by_name;
    std::vector<std::string> order;
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
      if (by_name.find(a->ifa_name) == by_name.end()) {
        order.push_back(a->ifa_name);
        by_name[a->ifa_name].name = a->ifa_name;
      }
      KernelInterface& k = by_name[a->ifa_name];
      k.up = (a->ifa_flags & IFF_UP) != 0;
      if (a->ifa_addr == nullptr) {
        continue;
      }
      char buf[INET6_ADDRSTRLEN] = {};
      if (a->ifa_addr->sa_family == AF_PACKET) {
        const auto* ll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
        k.mac = MacText(ll->sll_addr, ll->sll_halen);
      } else if (a->ifa_addr->sa_family == AF_INET && k.ipv4.empty()) {
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ifa_addr)->sin_addr, buf,
                    sizeof buf);
        k.ipv4 = buf;
        if (a->ifa_netmask != nullptr) {
          ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(a->ifa_netmask)->sin_addr, buf,
                      sizeof buf);
          k.netmask = buf;
        }
      } else if (a->ifa_addr->sa_family == AF_INET6) {
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(a->ifa_addr)->sin6_addr, buf,
                    sizeof buf);
        Ipv6Address v6;
        v6.address = buf;
        v6.prefix = a->ifa_netmask != nullptr
                        ? PrefixFromMask6(reinterpret_cast<const sockaddr_in6*>(a->ifa_netmask))
                        : 128;
        k.ipv6.push_back(v6);
      }
    }
    ::freeifaddrs(list);
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    std::vector<KernelInterface> out;
    for (const std::string& name : order) {
      KernelInterface k = by_name[name];
      ifreq ifr{};
      std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
      if (fd >= 0 && ::ioctl(fd, SIOCGIFMTU, &ifr) == 0) {
        k.mtu = ifr.ifr_mtu;
      }
      out.push_back(k);
    }
    if (fd >= 0) {
      ::close(fd);
    }
    return out;
  }

  Expected<std::vector<KernelNeighbor>> Neighbors() override {
    mnl_socket* nl = mnl_socket_open(NETLINK_ROUTE);
    if (nl == nullptr || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
      if (nl != nullptr) {
        mnl_socket_close(nl);
      }
      return Unexpected(ErrorCode::kIo, std::string("netlink: ") + std::strerror(errno));
    }
    std::vector<char> buf(MNL_SOCKET_BUFFER_SIZE);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = RTM_GETNEIGH;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    const unsigned seq = static_cast<unsigned>(::time(nullptr));
    nlh->nlmsg_seq = seq;
    auto* ndm = static_cast<ndmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ndmsg)));
    ndm->ndm_family = AF_UNSPEC;
    const unsigned portid = mnl_socket_get_portid(nl);
    std::vector<KernelNeighbor> out;
    NeighDump dump{&out};
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
      mnl_socket_close(nl);
      return Unexpected(ErrorCode::kIo, std::string("netlink send: ") + std::strerror(errno));
    }
    int ret;
    while ((ret = static_cast<int>(mnl_socket_recvfrom(nl, buf.data(), buf.size()))) > 0) {
      ret = mnl_cb_run(buf.data(), static_cast<size_t>(ret), seq, portid, NeighMsg, &dump);
      if (ret <= MNL_CB_STOP) {
        break;
      }
    }
    const int err = errno;
    mnl_socket_close(nl);
    if (ret < 0) {
      return Unexpected(ErrorCode::kIo, std::string("netlink dump: ") + std::strerror(err));
    }
    return out;
  }

  Expected<std::unique_ptr<Echoer>> OpenEchoer(const PingRequest& req) override {
    auto e = std::make_unique<LinuxEchoer>();
    auto st = e->Open(req);
    if (!st.ok()) {
      return st.error();
    }
    return std::unique_ptr<Echoer>(std::move(e));
  }

  void SleepMs(int64_t ms) override { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
};

}  // namespace

std::unique_ptr<System> MakeLinuxSystem() {
  return std::make_unique<LinuxSystem>();
}

}  // namespace esxsim
