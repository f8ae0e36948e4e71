// Kernel implementation of pin::Kernel over rtnetlink with libmnl. Messages are batched: many
// requests per sendto(), then the acknowledgements of that chunk are read back.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <set>

#include "pin.h"

namespace bnfc::pin {
namespace {

constexpr size_t kChunkBytes = 128 * 1024;

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

class NetlinkKernel : public Kernel {
 public:
  NetlinkKernel() {
    nl_ = mnl_socket_open(NETLINK_ROUTE);
    if (nl_ != nullptr && mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID) < 0) {
      mnl_socket_close(nl_);
      nl_ = nullptr;
    }
    if (nl_ != nullptr) {
      int size = 4 << 20;
      setsockopt(mnl_socket_get_fd(nl_), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
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
    auto s = Dump(RTM_GETLINK, AF_UNSPEC, [&](const nlmsghdr* nlh) {
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
    s = Dump(RTM_GETADDR, AF_UNSPEC, [&](const nlmsghdr* nlh) {
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
      auto s = Dump(RTM_GETROUTE, family, [&](const nlmsghdr* nlh) {
        auto* rtm = static_cast<const rtmsg*>(mnl_nlmsg_get_payload(nlh));
        if (rtm->rtm_protocol != own.protocol)
          return;  // never look further at foreign routes
        uint32_t table = rtm->rtm_table;
        Route r;
        bool has_dst = false;
        for (const nlattr* attr = FirstAttr(nlh, sizeof(*rtm)); AttrOk(nlh, attr);
             attr = mnl_attr_next(attr)) {
          switch (mnl_attr_get_type(attr)) {
            case RTA_TABLE:
              table = mnl_attr_get_u32(attr);
              break;
            case RTA_DST:
              r.destination = FromBytes(rtm->rtm_family, mnl_attr_get_payload(attr));
              has_dst = true;
              break;
            case RTA_OIF:
              r.ifindex = static_cast<int>(mnl_attr_get_u32(attr));
              break;
            case RTA_GATEWAY:
              r.gateway = FromBytes(rtm->rtm_family, mnl_attr_get_payload(attr));
              break;
            case RTA_PREFSRC:
              r.source = FromBytes(rtm->rtm_family, mnl_attr_get_payload(attr));
              break;
          }
        }
        if (table == static_cast<uint32_t>(own.table) && has_dst &&
            rtm->rtm_dst_len == (rtm->rtm_family == AF_INET ? 32 : 128)) {
          state.routes.push_back(r);
        }
      });
      if (!s)
        return s.error();
      s = Dump(RTM_GETRULE, family, [&](const nlmsghdr* nlh) {
        auto* frh = static_cast<const fib_rule_hdr*>(mnl_nlmsg_get_payload(nlh));
        Rule rule;
        rule.family = family == AF_INET ? net::Family::kIPv4 : net::Family::kIPv6;
        rule.table = frh->table;
        int protocol = -1;
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
            case FRA_DPORT_RANGE: {
              auto* range = static_cast<const fib_rule_port_range*>(mnl_attr_get_payload(attr));
              rule.dport = range->start == range->end ? range->start : -1;
              break;
            }
          }
        }
        if (protocol == own.protocol)
          state.rules.push_back(rule);
      });
      if (!s)
        return s.error();
    }
    return state;
  }

  Status Apply(const Ownership& own, const std::vector<Route>& add_routes,
               const std::vector<Route>& del_routes, const std::vector<Rule>& add_rules,
               const std::vector<Rule>& del_rules) override {
    std::vector<std::vector<char>> messages;
    for (const auto& r : del_rules)
      messages.push_back(RuleMessage(RTM_DELRULE, 0, r, own));
    for (const auto& r : del_routes)
      messages.push_back(RouteMessage(RTM_DELROUTE, 0, r, own));
    for (const auto& r : add_routes) {
      // EXCL, never REPLACE: a replace would silently take over a foreign route with the same
      // destination in our table. Such a conflict is reported instead.
      messages.push_back(RouteMessage(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r, own));
    }
    for (const auto& r : add_rules) {
      messages.push_back(RuleMessage(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, r, own));
    }
    return SendBatched(messages);
  }

  Expected<std::string> NeighborMac(int ifindex, const net::IpAddress& address) override {
    std::string mac;
    auto s = Dump(RTM_GETNEIGH, FamilyOf(address.family), [&](const nlmsghdr* nlh) {
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

  Expected<std::vector<Flow>> Flows(int dport) override {
    std::vector<Flow> flows;
    mnl_socket* diag = mnl_socket_open(NETLINK_SOCK_DIAG);
    if (diag == nullptr || mnl_socket_bind(diag, 0, MNL_SOCKET_AUTOPID) < 0) {
      if (diag)
        mnl_socket_close(diag);
      return Unexpected(ErrorCode::kUnavailable,
                        std::string("cannot open a sock_diag socket: ") + std::strerror(errno));
    }
    for (int family : {AF_INET, AF_INET6}) {
      char buf[MNL_SOCKET_BUFFER_SIZE];
      nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
      nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
      nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
      nlh->nlmsg_seq = ++seq_;
      auto* req =
          static_cast<inet_diag_req_v2*>(mnl_nlmsg_put_extra_header(nlh, sizeof(inet_diag_req_v2)));
      req->sdiag_family = static_cast<uint8_t>(family);
      req->sdiag_protocol = IPPROTO_TCP;
      req->idiag_states = ~0u & ~(1u << 10);  // every state but LISTEN
      if (mnl_socket_sendto(diag, nlh, nlh->nlmsg_len) < 0)
        break;
      std::vector<char> big(1 << 16);
      bool done = false;
      while (!done) {
        ssize_t n = mnl_socket_recvfrom(diag, big.data(), big.size());
        if (n <= 0)
          break;
        auto* m = reinterpret_cast<nlmsghdr*>(big.data());
        int len = static_cast<int>(n);
        while (mnl_nlmsg_ok(m, len)) {
          if (m->nlmsg_type == NLMSG_DONE || m->nlmsg_type == NLMSG_ERROR) {
            done = true;
            break;
          }
          auto* msg = static_cast<const inet_diag_msg*>(mnl_nlmsg_get_payload(m));
          if (ntohs(msg->id.idiag_dport) == dport) {
            Flow f;
            f.source = FromBytes(family, msg->id.idiag_src);
            f.destination = FromBytes(family, msg->id.idiag_dst);
            flows.push_back(f);
          }
          m = mnl_nlmsg_next(m, &len);
        }
      }
    }
    mnl_socket_close(diag);
    for (auto& f : flows) {
      f.oif = RouteOif(f.source, f.destination, dport);
    }
    return flows;
  }

 private:
  // RTM_GETROUTE for one flow (source, destination, TCP dport): the interface the kernel uses.
  int RouteOif(const net::IpAddress& src, const net::IpAddress& dst, int dport) {
    if (!Ready().ok())
      return 0;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_GETROUTE;
    nlh->nlmsg_flags = NLM_F_REQUEST;
    nlh->nlmsg_seq = ++seq_;
    auto* rtm = static_cast<rtmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rtm->rtm_family = static_cast<unsigned char>(FamilyOf(dst.family));
    rtm->rtm_dst_len = static_cast<unsigned char>(dst.BitLength());
    PutAddress(nlh, RTA_DST, dst);
    PutAddress(nlh, RTA_SRC, src);
    mnl_attr_put_u8(nlh, RTA_IP_PROTO, IPPROTO_TCP);
    mnl_attr_put_u16(nlh, RTA_DPORT, htons(static_cast<uint16_t>(dport)));
    if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0)
      return 0;
    char reply[MNL_SOCKET_BUFFER_SIZE];
    ssize_t n = mnl_socket_recvfrom(nl_, reply, sizeof reply);
    if (n <= 0)
      return 0;
    auto* m = reinterpret_cast<nlmsghdr*>(reply);
    if (m->nlmsg_type != RTM_NEWROUTE)
      return 0;
    int oif = 0;
    for (const nlattr* attr = FirstAttr(m, sizeof(rtmsg)); AttrOk(m, attr);
         attr = mnl_attr_next(attr)) {
      if (mnl_attr_get_type(attr) == RTA_OIF)
        oif = static_cast<int>(mnl_attr_get_u32(attr));
    }
    return oif;
  }

  Status Ready() const {
    if (nl_ == nullptr) {
      return Unexpected(ErrorCode::kUnavailable,
                        std::string("cannot open a netlink socket: ") + std::strerror(errno));
    }
    return OkStatus();
  }

  Status Dump(uint16_t type, int family, const std::function<void(const nlmsghdr*)>& each) {
    if (auto s = Ready(); !s)
      return s;
    char buf[MNL_SOCKET_BUFFER_SIZE];
    nlmsghdr* nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    nlh->nlmsg_seq = ++seq_;
    // rtgenmsg is a prefix of every *msg header: family is its first byte.
    auto* gen = static_cast<rtgenmsg*>(
        mnl_nlmsg_put_extra_header(nlh, type == RTM_GETLINK ? sizeof(ifinfomsg) : sizeof(rtmsg)));
    gen->rtgen_family = static_cast<unsigned char>(family);
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
        return Unexpected(ErrorCode::kIo, std::string("netlink dump: ") + std::strerror(errno));
      }
    }
  }

  std::vector<char> RouteMessage(uint16_t type, uint16_t flags, const Route& r,
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
    if (r.ifindex != 0)
      mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(r.ifindex));
    if (r.gateway)
      PutAddress(nlh, RTA_GATEWAY, *r.gateway);
    if (r.source)
      PutAddress(nlh, RTA_PREFSRC, *r.source);
    buf.resize(nlh->nlmsg_len);
    return buf;
  }

  std::vector<char> RuleMessage(uint16_t type, uint16_t flags, const Rule& r,
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

  Status SendBatched(std::vector<std::vector<char>>& messages) {
    if (auto s = Ready(); !s)
      return s;
    size_t i = 0;
    std::string first_error;
    std::set<uint32_t> route_add_seqs;
    while (i < messages.size()) {
      std::vector<char> chunk;
      uint32_t first_seq = seq_ + 1;
      size_t count = 0;
      while (i < messages.size() && chunk.size() + messages[i].size() <= kChunkBytes) {
        auto* nlh = reinterpret_cast<nlmsghdr*>(messages[i].data());
        nlh->nlmsg_seq = ++seq_;
        if (nlh->nlmsg_type == RTM_NEWROUTE)
          route_add_seqs.insert(nlh->nlmsg_seq);
        chunk.insert(chunk.end(), messages[i].begin(), messages[i].end());
        ++i;
        ++count;
      }
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
        while (mnl_nlmsg_ok(nlh, len)) {
          if (nlh->nlmsg_type == NLMSG_ERROR && nlh->nlmsg_seq >= first_seq) {
            auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
            int code = -err->error;
            // Deleting what is already gone, or adding a rule that exists, leaves the state right;
            // an existing route is someone else's (ours were deleted first in this batch).
            bool is_route_add =
                nlh->nlmsg_seq - first_seq < count && route_add_seqs.count(nlh->nlmsg_seq) > 0;
            bool harmless =
                code == 0 || code == ESRCH || code == ENOENT || (code == EEXIST && !is_route_add);
            if (!harmless && first_error.empty()) {
              first_error = code == EEXIST ? "a route with the same destination that is not ours "
                                             "already exists in the table"
                                           : std::strerror(code);
            }
            ++acked;
          }
          nlh = mnl_nlmsg_next(nlh, &len);
        }
      }
    }
    if (!first_error.empty()) {
      return Unexpected(ErrorCode::kIo,
                        "the kernel refused a route or rule change: " + first_error);
    }
    return OkStatus();
  }

  mnl_socket* nl_ = nullptr;
  uint32_t port_ = 0;
  uint32_t seq_ = 0;
};

}  // namespace

std::unique_ptr<Kernel> MakeNetlinkKernel() {
  return std::make_unique<NetlinkKernel>();
}

}  // namespace bnfc::pin
