// Kernel implementation of pin::Kernel over rtnetlink and sock_diag with libmnl. Changes are
// batched: many requests per sendto(), then the acknowledgements of that chunk are read back.
// Dumps ask the kernel to filter (NETLINK_GET_STRICT_CHK: routes by protocol, neighbors by
// interface) where it can, and filter again here, so a foreign entry is never acted on.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_packet.h>
#include <linux/inet_diag.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <map>

#include "kernel.h"

namespace bnfc::pin {
namespace {

constexpr size_t kChunkBytes = 128 * 1024;
constexpr int kTcpTimeWait = 6;
constexpr int kTcpClose = 7;
constexpr int kTcpListen = 10;
// FRA_SPORT_MASK and FRA_DPORT_MASK (Linux 6.15+), newer than the build's headers may be.
constexpr int kFraSportMask = 29;
constexpr int kFraDportMask = 30;

int FamilyOf(net::Family f) {
  return f == net::Family::kIPv4 ? AF_INET : AF_INET6;
}

net::IpAddress FromBytes(int family, const void* data) {
  net::IpAddress a;
  a.family = family == AF_INET ? net::Family::kIPv4 : net::Family::kIPv6;
  std::memcpy(a.bytes.data(), data, family == AF_INET ? 4 : 16);
  return a;
}

// libmnl's mnl_attr_for_each macro relies on C's implicit void* conversion.
const nlattr* FirstAttr(const nlmsghdr* nlh, size_t offset) {
  return static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, offset));
}
bool AttrOk(const nlmsghdr* nlh, const nlattr* attr) {
  auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  return mnl_attr_ok(attr, static_cast<int>(tail - reinterpret_cast<const char*>(attr)));
}

std::string MacText(const uint8_t* b) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4],
                b[5]);
  return text;
}

void PutAddress(nlmsghdr* nlh, uint16_t type, const net::IpAddress& a) {
  mnl_attr_put(nlh, type, a.family == net::Family::kIPv4 ? 4 : 16, a.bytes.data());
}

std::vector<uint8_t> Payload(const nlmsghdr* nlh) {
  auto* p = static_cast<const uint8_t*>(mnl_nlmsg_get_payload(nlh));
  return std::vector<uint8_t>(p, p + mnl_nlmsg_get_payload_len(nlh));
}

size_t HeaderSize(uint16_t type) {
  switch (type) {
    case RTM_GETLINK:
      return sizeof(ifinfomsg);
    case RTM_GETADDR:
      return sizeof(ifaddrmsg);
    case RTM_GETNEIGH:
      return sizeof(ndmsg);
    case RTM_GETRULE:
      return sizeof(fib_rule_hdr);
    default:
      return sizeof(rtmsg);
  }
}

std::string RouteText(const Route& r) {
  std::string t = r.destination.ToString() + "/" +
                  std::to_string(r.length < 0 ? r.destination.BitLength() : r.length);
  if (r.gateway)
    t += " via " + r.gateway->ToString();
  t += " ifindex " + std::to_string(r.ifindex);
  if (r.source)
    t += " src " + r.source->ToString();
  return t;
}

// One request of a batch, with what it means for messages about a refusal.
enum class Kind { kDelete, kReplaceRoute, kAddRoute, kAddRule };
struct Request {
  std::vector<char> bytes;
  std::string what;
  Kind kind = Kind::kDelete;
};

// The text of an extended ack (NETLINK_EXT_ACK), when the kernel sent one.
std::string ExtAckText(const nlmsghdr* nlh) {
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
    return "";
  auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  size_t offset = sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
    offset += err->msg.nlmsg_len - sizeof(nlmsghdr);
  if (offset >= mnl_nlmsg_get_payload_len(nlh))
    return "";
  for (const nlattr* attr = FirstAttr(nlh, offset); AttrOk(nlh, attr); attr = mnl_attr_next(attr)) {
    if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG)
      return mnl_attr_get_str(attr);
  }
  return "";
}

class NetlinkWatch : public ChangeWatch {
 public:
  explicit NetlinkWatch(mnl_socket* nl) : nl_(nl) {}
  ~NetlinkWatch() override { mnl_socket_close(nl_); }
  int fd() const override { return mnl_socket_get_fd(nl_); }
  Expected<bool> Drain() override {
    bool changed = false;
    std::vector<char> buf(1 << 16);
    while (true) {
      ssize_t n = recv(fd(), buf.data(), buf.size(), MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
          return changed;
        if (errno == ENOBUFS)  // overrun: events were lost, so something changed
          return true;
        if (errno == EINTR)
          continue;
        return Unexpected(ErrorCode::kIo,
                          std::string("reading link notifications: ") + std::strerror(errno));
      }
      auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data());
      int len = static_cast<int>(n);
      while (mnl_nlmsg_ok(nlh, len)) {
        switch (nlh->nlmsg_type) {
          case RTM_NEWLINK:
          case RTM_DELLINK:
          case RTM_NEWADDR:
          case RTM_DELADDR:
            changed = true;
            break;
          case RTM_NEWROUTE:
          case RTM_DELROUTE:
            // The main table carries the management paths the mapping must avoid; changes in
            // other tables (our own pins among them) do not move a host's mapping.
            if (static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh))->rtm_table == RT_TABLE_MAIN)
              changed = true;
            break;
          default:
            break;
        }
        nlh = mnl_nlmsg_next(nlh, &len);
      }
    }
  }

 private:
  mnl_socket* nl_;
};

class NetlinkKernel : public Kernel {
 public:
  NetlinkKernel() {
    nl_ = mnl_socket_open(NETLINK_ROUTE);
    if (nl_ != nullptr && mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
      mnl_socket_close(nl_);
      nl_ = nullptr;
    }
    if (nl_ != nullptr) {
      int fd = mnl_socket_get_fd(nl_);
      int size = 4 << 20;
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
      int one = 1;
      // Small acks (no echo of the request), error strings, and kernel-side dump filters. Each is
      // an optimisation only: older kernels without them still work.
      setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
      setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
      strict_ = setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one) == 0;
      port_ = mnl_socket_get_portid(nl_);
    }
  }
  ~NetlinkKernel() override {
    if (nl_ != nullptr)
      mnl_socket_close(nl_);
  }

  Expected<std::vector<LocalAddress>> Addresses() override {
    struct Link {
      std::string mac;
      std::string name;
      int mtu = 0;
      bool up = false;
    };
    std::map<int, Link> links;
    auto s = Dump(RTM_GETLINK, AF_UNSPEC, nullptr, [&](const nlmsghdr* nlh) {
      auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));
      Link l;
      l.up = (ifi->ifi_flags & IFF_UP) && (ifi->ifi_flags & IFF_LOWER_UP);
      for (const nlattr* attr = FirstAttr(nlh, sizeof(*ifi)); AttrOk(nlh, attr);
           attr = mnl_attr_next(attr)) {
        if (mnl_attr_get_type(attr) == IFLA_IFNAME)
          l.name = mnl_attr_get_str(attr);
        if (mnl_attr_get_type(attr) == IFLA_MTU)
          l.mtu = static_cast<int>(mnl_attr_get_u32(attr));
        if (mnl_attr_get_type(attr) == IFLA_ADDRESS && mnl_attr_get_payload_len(attr) == 6)
          l.mac = MacText(static_cast<const uint8_t*>(mnl_attr_get_payload(attr)));
      }
      links[ifi->ifi_index] = l;
    });
    if (!s)
      return s.error();
    std::vector<LocalAddress> out;
    s = Dump(RTM_GETADDR, AF_UNSPEC, nullptr, [&](const nlmsghdr* nlh) {
      auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
      const void* local = nullptr;
      const void* address = nullptr;
      for (const nlattr* attr = FirstAttr(nlh, sizeof(*ifa)); AttrOk(nlh, attr);
           attr = mnl_attr_next(attr)) {
        if (mnl_attr_get_type(attr) == IFA_LOCAL)
          local = mnl_attr_get_payload(attr);
        if (mnl_attr_get_type(attr) == IFA_ADDRESS)
          address = mnl_attr_get_payload(attr);
      }
      const void* use = local ? local : address;
      if (use == nullptr || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
        return;
      LocalAddress a;
      a.ifindex = static_cast<int>(ifa->ifa_index);
      a.prefix.address = FromBytes(ifa->ifa_family, use);
      a.prefix.length = ifa->ifa_prefixlen;
      auto it = links.find(a.ifindex);
      if (it != links.end()) {
        a.interface = it->second.name;
        a.mtu = it->second.mtu;
        a.mac = it->second.mac;
        a.up = it->second.up;
      }
      out.push_back(a);
    });
    if (!s)
      return s.error();
    return out;
  }

  Expected<KernelState> DumpOwned(const Ownership& own) override {
    KernelState state;
    for (int family : {AF_INET, AF_INET6}) {
      auto route_filter = [&](nlmsghdr* req) {
        auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_get_payload(req));
        rtm->rtm_protocol = static_cast<unsigned char>(own.protocol);
      };
      auto s = Dump(RTM_GETROUTE, family, route_filter, [&](const nlmsghdr* nlh) {
        auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
        if (rtm->rtm_protocol != own.protocol || rtm->rtm_family != family)
          return;  // never look further at foreign routes
        if (rtm->rtm_flags & RTM_F_CLONED)
          return;  // a cache entry, not a route
        state.routes.push_back(ParseRoute(nlh, own));
      });
      if (!s)
        return s.error();
      s = Dump(RTM_GETRULE, family, nullptr, [&](const nlmsghdr* nlh) {
        if (auto rule = ParseRule(nlh, family, own))
          state.rules.push_back(std::move(*rule));
      });
      if (!s)
        return s.error();
    }
    return state;
  }

  Expected<ApplyResult> Apply(const Ownership& own, const Diff& d) override {
    std::vector<Request> requests;
    for (const auto& r : d.del_rules) {
      requests.push_back(
          {r.raw.empty() ? RuleMessage(RTM_DELRULE, 0, r, own) : DeleteMessage(RTM_DELRULE, r.raw),
           "delete our rule", Kind::kDelete});
    }
    for (const auto& r : d.del_routes) {
      requests.push_back({r.raw.empty() ? RouteMessage(RTM_DELROUTE, 0, r, own)
                                        : DeleteMessage(RTM_DELROUTE, r.raw),
                          "delete our route " + RouteText(r), Kind::kDelete});
    }
    for (const auto& r : d.replace_routes) {
      // Replacing in place keeps the address pinned while it moves; only a route of ours with
      // this destination is there to be replaced (the diff found it in the dump).
      requests.push_back({RouteMessage(RTM_NEWROUTE, NLM_F_REPLACE, r, own),
                          "replace our route with " + RouteText(r), Kind::kReplaceRoute});
    }
    for (const auto& r : d.add_routes) {
      // EXCL, never REPLACE: a replace would silently take over a foreign route with the same
      // destination in our table. Such a conflict is reported instead.
      requests.push_back({RouteMessage(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r, own),
                          "add route " + RouteText(r), Kind::kAddRoute});
    }
    for (const auto& r : d.add_rules) {
      requests.push_back(
          {RuleMessage(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r, own),
           std::string("add the IPv") + (r.family == net::Family::kIPv4 ? "4" : "6") + " rule",
           Kind::kAddRule});
    }
    return SendBatched(requests);
  }

  Expected<std::string> NeighborMac(int ifindex, const net::IpAddress& address) override {
    std::string mac;
    auto s = Dump(RTM_GETNEIGH, FamilyOf(address.family), nullptr, [&](const nlmsghdr* nlh) {
      auto* ndm = static_cast<const ndmsg*>(mnl_nlmsg_get_payload(nlh));
      if (ndm->ndm_ifindex != ifindex || (ndm->ndm_state & (NUD_INCOMPLETE | NUD_FAILED)))
        return;
      std::optional<net::IpAddress> dst;
      std::string lladdr;
      for (const nlattr* attr = FirstAttr(nlh, sizeof(*ndm)); AttrOk(nlh, attr);
           attr = mnl_attr_next(attr)) {
        if (mnl_attr_get_type(attr) == NDA_DST) {
          dst = FromBytes(ndm->ndm_family, mnl_attr_get_payload(attr));
        }
        if (mnl_attr_get_type(attr) == NDA_LLADDR && mnl_attr_get_payload_len(attr) == 6) {
          lladdr = MacText(static_cast<const uint8_t*>(mnl_attr_get_payload(attr)));
        }
      }
      if (dst && *dst == address)
        mac = lladdr;
    });
    if (!s)
      return s.error();
    return mac;
  }

  Expected<RouteLookup> RouteGet(const std::optional<net::IpAddress>& src,
                                 const net::IpAddress& dst, int dport) override {
    if (auto s = Ready(); !s)
      return s.error();
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_GETROUTE;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    nlh->nlmsg_seq = ++seq_;
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rtm->rtm_family = static_cast<unsigned char>(FamilyOf(dst.family));
    rtm->rtm_dst_len = static_cast<unsigned char>(dst.BitLength());
    // IPv4 reports "main" unless asked for the table the lookup used; IPv6 always reports it
    // and refuses the flag in strict mode.
    if (dst.family == net::Family::kIPv4)
      rtm->rtm_flags = RTM_F_LOOKUP_TABLE;
    PutAddress(nlh, RTA_DST, dst);
    if (src && src->family == dst.family) {
      rtm->rtm_src_len = static_cast<unsigned char>(src->BitLength());
      PutAddress(nlh, RTA_SRC, *src);
    }
    mnl_attr_put_u8(nlh, RTA_IP_PROTO, IPPROTO_TCP);
    mnl_attr_put_u16(nlh, RTA_DPORT, htons(static_cast<uint16_t>(dport)));
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0)
      return Unexpected(ErrorCode::kIo, std::string("route lookup: ") + std::strerror(errno));
    std::vector<char> reply(1 << 16);
    while (true) {
      ssize_t n = mnl_socket_recvfrom(nl_, reply.data(), reply.size());
      if (n <= 0)
        return Unexpected(ErrorCode::kIo, std::string("route lookup: ") + std::strerror(errno));
      auto* m = reinterpret_cast<nlmsghdr*>(reply.data());
      int len = static_cast<int>(n);
      for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
        if (m->nlmsg_seq != seq_)
          continue;  // a late ack of something else
        if (m->nlmsg_type == NLMSG_ERROR) {
          int code = -static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m))->error;
          std::string ext = ExtAckText(m);
          return Unexpected(ErrorCode::kNotFound, "no route to " + dst.ToString() +
                                                      " for TCP port " + std::to_string(dport) +
                                                      ": " + std::strerror(code) +
                                                      (ext.empty() ? "" : " (" + ext + ")"));
        }
        if (m->nlmsg_type != RTM_NEWROUTE)
          continue;
        auto* got = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(m));
        RouteLookup out;
        out.table = got->rtm_table;
        for (const nlattr* attr = FirstAttr(m, sizeof(rtmsg)); AttrOk(m, attr);
             attr = mnl_attr_next(attr)) {
          switch (mnl_attr_get_type(attr)) {
            case RTA_OIF:
              out.oif = static_cast<int>(mnl_attr_get_u32(attr));
              break;
            case RTA_TABLE:
              out.table = static_cast<int>(mnl_attr_get_u32(attr));
              break;
            case RTA_GATEWAY:
              out.gateway = FromBytes(got->rtm_family, mnl_attr_get_payload(attr));
              break;
            case RTA_PREFSRC:
              out.source = FromBytes(got->rtm_family, mnl_attr_get_payload(attr));
              break;
          }
        }
        return out;
      }
    }
  }

  Expected<std::vector<Flow>> Flows(int dport) override {
    std::vector<Flow> flows;
    mnl_socket* diag = mnl_socket_open(NETLINK_SOCK_DIAG);
    if (diag == nullptr || mnl_socket_bind(diag, 0, MNL_SOCKET_AUTOPID) < 0) {
      if (diag)
        mnl_socket_close(diag);
      return Unexpected(ErrorCode::kUnavailable,
                        std::string("cannot open a sock_diag socket: ") + std::strerror(errno));
    }
    std::string failure;
    uint32_t seq = 0;
    for (int family : {AF_INET, AF_INET6}) {
      char buf[MNL_SOCKET_BUFFER_SIZE];
      nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
      nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
      nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
      nlh->nlmsg_seq = ++seq;
      auto* req =
          static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
      req->sdiag_family = static_cast<uint8_t>(family);
      req->sdiag_protocol = IPPROTO_TCP;
      // Sockets that can carry data: not LISTEN, TIME_WAIT or CLOSE (the kernel's TCP states).
      req->idiag_states = ~0u & ~(1u << kTcpListen) & ~(1u << kTcpTimeWait) & ~(1u << kTcpClose);
      if (mnl_socket_sendto(diag, nlh, nlh->nlmsg_len) < 0) {
        failure = std::string("sock_diag request: ") + std::strerror(errno);
        break;
      }
      std::vector<char> big(1 << 16);
      bool done = false;
      while (!done) {
        ssize_t n = mnl_socket_recvfrom(diag, big.data(), big.size());
        if (n <= 0) {
          failure = std::string("sock_diag dump: ") + std::strerror(errno);
          break;
        }
        auto* m = reinterpret_cast<nlmsghdr*>(big.data());
        int len = static_cast<int>(n);
        for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
          if (m->nlmsg_type == NLMSG_DONE) {
            done = true;
            break;
          }
          if (m->nlmsg_type == NLMSG_ERROR) {
            int code = -static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(m))->error;
            // An IPv6-less kernel has nothing to say about AF_INET6 sockets.
            if (!(family == AF_INET6 && code == ENOENT))
              failure = std::string("sock_diag dump: ") + std::strerror(code);
            done = true;
            break;
          }
          if (mnl_nlmsg_get_payload_len(m) < sizeof(inet_diag_msg))
            continue;
          auto* msg = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(m));
          if (ntohs(msg->id.idiag_dport) != dport)
            continue;
          Flow f;
          f.source = FromBytes(family, msg->id.idiag_src);
          f.destination = FromBytes(family, msg->id.idiag_dst);
          f.sport = ntohs(msg->id.idiag_sport);
          f.dport = ntohs(msg->id.idiag_dport);
          f.state = msg->idiag_state;
          flows.push_back(f);
        }
      }
      if (!failure.empty())
        break;
    }
    mnl_socket_close(diag);
    if (!failure.empty())
      return Unexpected(ErrorCode::kIo, failure);
    for (auto& f : flows) {
      auto route = RouteGet(f.source, f.destination, f.dport);
      if (route) {
        f.oif = route->oif;
        f.table = route->table;
      }
    }
    return flows;
  }

  Expected<std::vector<ArpAnswer>> ArpProbe(int ifindex, const std::string& own_mac,
                                            const std::vector<net::IpAddress>& targets,
                                            int timeout_ms) override {
    std::vector<ArpAnswer> out;
    auto mac = net::MacAddress::Parse(own_mac);
    if (!mac)
      return Unexpected(ErrorCode::kInvalidArgument, "ARP probe: bad own MAC '" + own_mac + "'");
    int fd = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, htons(ETH_P_ARP));
    if (fd < 0)
      return Unexpected(ErrorCode::kUnavailable,
                        std::string("ARP probe socket: ") + std::strerror(errno));
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ARP);
    sll.sll_ifindex = ifindex;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof sll) != 0) {
      int e = errno;
      ::close(fd);
      return Unexpected(ErrorCode::kUnavailable,
                        std::string("ARP probe bind: ") + std::strerror(e));
    }
    sockaddr_ll to = sll;
    to.sll_halen = 6;
    std::memset(to.sll_addr, 0xff, 6);
    std::vector<net::IpAddress> asked;
    for (const auto& t : targets) {
      if (t.family != net::Family::kIPv4)
        continue;
      // ARP over Ethernet: htype 1, ptype IPv4, hlen 6, plen 4, op 1 (request); sender IP 0.
      uint8_t pkt[28] = {0, 1, 0x08, 0, 6, 4, 0, 1};
      std::memcpy(pkt + 8, mac->bytes.data(), 6);
      std::memcpy(pkt + 24, t.bytes.data(), 4);
      if (::sendto(fd, pkt, sizeof pkt, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) ==
          static_cast<ssize_t>(sizeof pkt))
        asked.push_back(t);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!asked.empty()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                      deadline - std::chrono::steady_clock::now())
                      .count();
      if (left <= 0)
        break;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0)
        continue;
      uint8_t buf[128];
      ssize_t n;
      while ((n = ::recv(fd, buf, sizeof buf, 0)) >= 28) {
        if (buf[6] != 0 || buf[7] != 2 || buf[4] != 6 || buf[5] != 4)
          continue;  // not an Ethernet/IPv4 ARP reply
        net::IpAddress who = FromBytes(AF_INET, buf + 14);
        if (std::find(asked.begin(), asked.end(), who) != asked.end())
          out.push_back({who, MacText(buf + 8)});
      }
    }
    ::close(fd);
    return out;
  }

  Expected<std::unique_ptr<ChangeWatch>> WatchLinks() override {
    mnl_socket* w = mnl_socket_open(NETLINK_ROUTE);
    if (w == nullptr) {
      return Unexpected(ErrorCode::kUnavailable,
                        std::string("cannot open a netlink socket: ") + std::strerror(errno));
    }
    if (mnl_socket_bind(w,
                        RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
                            RTMGRP_IPV6_ROUTE,
                        MNL_SOCKET_AUTOPID) < 0) {
      int e = errno;
      mnl_socket_close(w);
      return Unexpected(ErrorCode::kUnavailable,
                        std::string("cannot subscribe to link changes: ") + std::strerror(e));
    }
    return std::unique_ptr<ChangeWatch>(new NetlinkWatch(w));
  }

 private:
  static Route ParseRoute(const nlmsghdr* nlh, const Ownership& own) {
    auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
    const int family = rtm->rtm_family;
    uint32_t table = rtm->rtm_table;
    Route r;
    r.raw = Payload(nlh);
    r.destination.family = family == AF_INET ? net::Family::kIPv4 : net::Family::kIPv6;
    bool extra = rtm->rtm_type != RTN_UNICAST || rtm->rtm_tos != 0 || rtm->rtm_src_len != 0;
    for (const nlattr* attr = FirstAttr(nlh, sizeof(*rtm)); AttrOk(nlh, attr);
         attr = mnl_attr_next(attr)) {
      switch (mnl_attr_get_type(attr)) {
        case RTA_TABLE:
          table = mnl_attr_get_u32(attr);
          break;
        case RTA_DST:
          r.destination = FromBytes(family, mnl_attr_get_payload(attr));
          break;
        case RTA_OIF:
          r.ifindex = static_cast<int>(mnl_attr_get_u32(attr));
          break;
        case RTA_GATEWAY:
          r.gateway = FromBytes(family, mnl_attr_get_payload(attr));
          break;
        case RTA_PREFSRC:
          r.source = FromBytes(family, mnl_attr_get_payload(attr));
          break;
        case RTA_PRIORITY:
          r.metric = mnl_attr_get_u32(attr);
          break;
        case RTA_MULTIPATH:
        case RTA_NH_ID:
        case RTA_ENCAP:
        case RTA_VIA:
        case RTA_SRC:
          extra = true;  // nothing a pin of ours would carry
          break;
      }
    }
    r.table = table == static_cast<uint32_t>(own.table) ? 0 : static_cast<int>(table);
    r.length = rtm->rtm_dst_len == r.destination.BitLength() ? -1 : rtm->rtm_dst_len;
    if (extra)
      r.ifindex = -1;  // never equal to a desired pin: replaced or deleted
    return r;
  }

  static std::optional<Rule> ParseRule(const nlmsghdr* nlh, int family, const Ownership& own) {
    auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
    Rule rule;
    rule.family = family == AF_INET ? net::Family::kIPv4 : net::Family::kIPv6;
    rule.table = frh->table;
    rule.extra = frh->action != FR_ACT_TO_TBL || frh->flags != 0 || frh->src_len != 0 ||
                 frh->dst_len != 0 || frh->tos != 0;
    int protocol = -1;
    bool tcp = false;
    for (const nlattr* attr = FirstAttr(nlh, sizeof(*frh)); AttrOk(nlh, attr);
         attr = mnl_attr_next(attr)) {
      switch (mnl_attr_get_type(attr)) {
        case FRA_PROTOCOL:
          protocol = mnl_attr_get_u8(attr);
          break;
        case FRA_PRIORITY:
          rule.priority = static_cast<int>(mnl_attr_get_u32(attr));
          break;
        case FRA_TABLE:
          rule.table = static_cast<int>(mnl_attr_get_u32(attr));
          break;
        case FRA_IP_PROTO:
          tcp = mnl_attr_get_u8(attr) == IPPROTO_TCP;
          break;
        case FRA_DPORT_RANGE: {
          auto* range = static_cast<const fib_rule_port_range*>(mnl_attr_get_payload(attr));
          rule.dport = range->start == range->end ? range->start : -1;
          break;
        }
        case FRA_SUPPRESS_PREFIXLEN:
          if (mnl_attr_get_u32(attr) != 0xffffffffu)
            rule.extra = true;
          break;
        case FRA_SUPPRESS_IFGROUP:
          if (mnl_attr_get_u32(attr) != 0xffffffffu)
            rule.extra = true;
          break;
        case kFraSportMask:
        case kFraDportMask:
          // Newer kernels report the full mask of an exact port match themselves.
          if (mnl_attr_get_payload_len(attr) != 2 || mnl_attr_get_u16(attr) != 0xffff)
            rule.extra = true;
          break;
        default:
          rule.extra = true;  // a selector or action ours never set
          break;
      }
    }
    if (protocol != own.protocol)
      return std::nullopt;
    if (!tcp)
      rule.extra = true;
    rule.raw = Payload(nlh);
    return rule;
  }

  Status Ready() const {
    if (nl_ == nullptr) {
      return Unexpected(ErrorCode::kUnavailable,
                        std::string("cannot open a netlink socket: ") + std::strerror(errno));
    }
    return OkStatus();
  }

  // A dump request of `type` for `family`; `filter` may set header fields the kernel filters on
  // when the socket is in strict mode (ignored otherwise, so callers filter the answers too).
  Status Dump(uint16_t type, int family, const std::function<void(nlmsghdr*)>& filter,
              const std::function<void(const nlmsghdr*)>& each) {
    if (auto s = Ready(); !s)
      return s;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = ++seq_;
    // Every *msg header starts with the family byte.
    auto* family_byte =
        static_cast<unsigned char*>(mnl_nlmsg_put_extra_header(nlh, HeaderSize(type)));
    *family_byte = static_cast<unsigned char>(family);
    if (strict_ && filter)
      filter(nlh);
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
      return Unexpected(ErrorCode::kIo, std::string("netlink dump: ") + std::strerror(errno));
    }
    std::vector<char> big(1 << 16);
    while (true) {
      ssize_t n = mnl_socket_recvfrom(nl_, big.data(), big.size());
      if (n < 0) {
        return Unexpected(ErrorCode::kIo, std::string("netlink dump: ") + std::strerror(errno));
      }
      int rc = mnl_cb_run(
          big.data(), n, seq_, port_,
          [](const nlmsghdr* m, void* data) {
            (*static_cast<const std::function<void(const nlmsghdr*)>*>(data))(m);
            return MNL_CB_OK;
          },
          const_cast<std::function<void(const nlmsghdr*)>*>(&each));
      if (rc == MNL_CB_STOP)
        return OkStatus();
      if (rc == MNL_CB_ERROR) {
        if (errno == EINTR)  // NLM_F_DUMP_INTR: the table changed during the dump
          return Unexpected(ErrorCode::kUnavailable,
                            "netlink dump interrupted by a concurrent change; retry");
        return Unexpected(ErrorCode::kIo, std::string("netlink dump: ") + std::strerror(errno));
      }
    }
  }

  // A dumped entry sent back as a delete: the kernel matches every attribute it carries, so
  // exactly that entry goes (iproute2's flush does the same).
  static std::vector<char> DeleteMessage(uint16_t type, const std::vector<uint8_t>& payload) {
    std::vector<char> buf(MNL_NLMSG_HDRLEN + MNL_ALIGN(payload.size()));
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    void* body = mnl_nlmsg_put_extra_header(nlh, payload.size());
    std::memcpy(body, payload.data(), payload.size());
    buf.resize(nlh->nlmsg_len);
    return buf;
  }

  static std::vector<char> RouteMessage(uint16_t type, uint16_t flags, const Route& r,
                                        const Ownership& own) {
    std::vector<char> buf(256);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rtm->rtm_family = static_cast<unsigned char>(FamilyOf(r.destination.family));
    rtm->rtm_dst_len = static_cast<unsigned char>(r.destination.BitLength());
    rtm->rtm_table = RT_TABLE_UNSPEC;
    rtm->rtm_protocol = static_cast<unsigned char>(own.protocol);
    rtm->rtm_scope = r.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put_u32(nlh, RTA_TABLE, static_cast<uint32_t>(own.table));
    PutAddress(nlh, RTA_DST, r.destination);
    if (r.ifindex > 0)
      mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(r.ifindex));
    if (r.gateway)
      PutAddress(nlh, RTA_GATEWAY, *r.gateway);
    if (r.source)
      PutAddress(nlh, RTA_PREFSRC, *r.source);
    if (r.metric)
      mnl_attr_put_u32(nlh, RTA_PRIORITY, *r.metric);
    buf.resize(nlh->nlmsg_len);
    return buf;
  }

  static std::vector<char> RuleMessage(uint16_t type, uint16_t flags, const Rule& r,
                                       const Ownership& own) {
    std::vector<char> buf(256);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    auto* frh = static_cast<fib_rule_hdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(fib_rule_hdr)));
    frh->family = static_cast<unsigned char>(FamilyOf(r.family));
    frh->action = FR_ACT_TO_TBL;
    frh->table = RT_TABLE_UNSPEC;
    mnl_attr_put_u32(nlh, FRA_TABLE, static_cast<uint32_t>(r.table));
    mnl_attr_put_u32(nlh, FRA_PRIORITY, static_cast<uint32_t>(r.priority));
    mnl_attr_put_u8(nlh, FRA_PROTOCOL, static_cast<uint8_t>(own.protocol));
    mnl_attr_put_u8(nlh, FRA_IP_PROTO, IPPROTO_TCP);
    if (r.dport > 0) {
      fib_rule_port_range range{static_cast<uint16_t>(r.dport), static_cast<uint16_t>(r.dport)};
      mnl_attr_put(nlh, FRA_DPORT_RANGE, sizeof range, &range);
    }
    buf.resize(nlh->nlmsg_len);
    return buf;
  }

  Expected<ApplyResult> SendBatched(std::vector<Request>& requests) {
    if (auto s = Ready(); !s)
      return s.error();
    ApplyResult result;
    size_t i = 0;
    while (i < requests.size()) {
      std::vector<char> chunk;
      const uint32_t first_seq = seq_ + 1;
      const size_t first = i;
      while (i < requests.size() && chunk.size() + requests[i].bytes.size() <= kChunkBytes) {
        auto* nlh = reinterpret_cast<nlmsghdr*>(requests[i].bytes.data());
        nlh->nlmsg_seq = ++seq_;
        chunk.insert(chunk.end(), requests[i].bytes.begin(), requests[i].bytes.end());
        ++i;
      }
      const size_t count = i - first;
      if (mnl_socket_sendto(nl_, chunk.data(), chunk.size()) < 0) {
        return Unexpected(ErrorCode::kIo, std::string("netlink send: ") + std::strerror(errno));
      }
      size_t acked = 0;
      std::vector<char> buf(1 << 16);
      while (acked < count) {
        ssize_t n = mnl_socket_recvfrom(nl_, buf.data(), buf.size());
        if (n < 0) {
          return Unexpected(ErrorCode::kIo, std::string("netlink ack: ") + std::strerror(errno));
        }
        auto* nlh = reinterpret_cast<nlmsghdr*>(buf.data());
        int len = static_cast<int>(n);
        for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
          if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq < first_seq ||
              nlh->nlmsg_seq - first_seq >= count) {
            continue;
          }
          const Request& req = requests[first + (nlh->nlmsg_seq - first_seq)];
          int code = -static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh))->error;
          ++acked;
          // Deleting what is already gone, or adding a rule that exists, leaves the state right.
          // An existing route on add is someone else's (ours were deleted or replaced first); a
          // replace that finds nothing means ours vanished meanwhile (the next reconcile adds it).
          bool harmless = code == 0 ||
                          (req.kind == Kind::kDelete && (code == ESRCH || code == ENOENT)) ||
                          (req.kind == Kind::kAddRule && code == EEXIST);
          if (harmless) {
            result.accepted++;
            continue;
          }
          std::string why = code == EEXIST ? "a route to that destination that is not ours is "
                                             "already in the table"
                                           : std::strerror(code);
          std::string ext = ExtAckText(nlh);
          if (!ext.empty())
            why += " (" + ext + ")";
          result.refused.push_back(req.what + ": " + why);
        }
      }
    }
    return result;
  }

  mnl_socket* nl_ = nullptr;
  uint32_t port_ = 0;
  uint32_t seq_ = 0;
  bool strict_ = false;
};

}  // namespace

std::unique_ptr<Kernel> MakeNetlinkKernel() {
  return std::make_unique<NetlinkKernel>();
}

}  // namespace bnfc::pin
