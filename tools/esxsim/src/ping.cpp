// The vmkping engine (output text) and the static-mode echo double.
#include <algorithm>
#include <cstdio>

#include "esxsim/system.h"

namespace esxsim {

namespace {

std::string Ms(int64_t us) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%lld.%03lld", static_cast<long long>(us / 1000),
                static_cast<long long>(us % 1000));
  return buf;
}

uint32_t ParseV4(const std::string& s, bool* ok) {
  unsigned a, b, c, d;
  char tail;
  *ok = std::sscanf(s.c_str(), "%u.%u.%u.%u%c", &a, &b, &c, &d, &tail) == 4 && a < 256 && b < 256 &&
        c < 256 && d < 256;
  return (a << 24) | (b << 16) | (c << 8) | d;
}

bool SameSubnet(const std::string& a, const std::string& b, const std::string& mask) {
  bool ok1, ok2, ok3;
  const uint32_t x = ParseV4(a, &ok1);
  const uint32_t y = ParseV4(b, &ok2);
  const uint32_t m = ParseV4(mask, &ok3);
  return ok1 && ok2 && ok3 && (x & m) == (y & m);
}

class StaticEchoer : public Echoer {
 public:
  StaticEchoer(const State& st, const PingRequest& req) : req_(req) {
    // The egress vmknic: -I, else the one whose subnet holds the target, else vmk0's route.
    for (const Vmknic& v : st.vmknics) {
      if (!req.ifname.empty() ? v.name == req.ifname
                              : SameSubnet(v.ipv4.address, req.target, v.ipv4.netmask)) {
        vmk_ = v;
        found_vmk_ = true;
        break;
      }
    }
    if (!found_vmk_ && req.ifname.empty() && !st.vmknics.empty()) {
      vmk_ = st.vmknics[0];
      found_vmk_ = true;
    }
    for (const PingTarget& t : st.ping_targets) {
      if (t.ip == req.target && (t.vmknic.empty() || t.vmknic == vmk_.name)) {
        target_ = t;
        reachable_ = true;
      }
    }
    if (!reachable_) {
      for (const Neighbor& n : st.neighbors) {
        if (n.ip == req.target && n.vmknic == vmk_.name) {
          reachable_ = true;
        }
      }
      for (const Vmknic& v : st.vmknics) {
        if (v.ipv4.address == req.target) {
          reachable_ = true;
        }
      }
      target_.ip = req.target;
    }
  }

  EchoResult Echo(int seq) override {
    EchoResult r;
    const int64_t packet = req_.size + 28;  // ICMP data + ICMP header + IPv4 header
    if (!found_vmk_ || !vmk_.enabled) {
      r.kind = EchoResult::Kind::kSendError;
      r.error = "Network is down";
      return r;
    }
    if (req_.df && packet > vmk_.mtu) {
      r.kind = EchoResult::Kind::kSendError;
      r.error = "Message too long";
      return r;
    }
    if (!reachable_ || (req_.df && target_.path_mtu > 0 && packet > target_.path_mtu)) {
      r.kind = EchoResult::Kind::kTimeout;
      return r;
    }
    r.kind = EchoResult::Kind::kReply;
    r.bytes = req_.size + 8;
    r.ttl = static_cast<int>(target_.ttl);
    r.from = req_.target;
    const double ms = target_.rtt_ms.empty()
                          ? 0.2
                          : target_.rtt_ms[static_cast<size_t>(seq) % target_.rtt_ms.size()];
    r.rtt_us = static_cast<int64_t>(ms * 1000.0 + 0.5);
    return r;
  }
  void Pause() override {}

 private:
  PingRequest req_;
  Vmknic vmk_;
  bool found_vmk_ = false;
  PingTarget target_;
  bool reachable_ = false;
};

}  // namespace

std::unique_ptr<Echoer> MakeStaticEchoer(const State& st, const PingRequest& req) {
  return std::make_unique<StaticEchoer>(st, req);
}

int RunPing(const PingRequest& req, Echoer& echo, std::string* out) {
  *out +=
      "PING " + req.target + " (" + req.target + "): " + std::to_string(req.size) + " data bytes\n";
  int received = 0;
  int64_t min_us = 0, max_us = 0, sum_us = 0;
  for (int seq = 0; seq < req.count; ++seq) {
    if (seq > 0) {
      echo.Pause();
    }
    EchoResult r = echo.Echo(seq);
    if (r.kind == EchoResult::Kind::kSendError) {
      *out += "sendto() failed (" + r.error + ")\n";
    } else if (r.kind == EchoResult::Kind::kReply) {
      *out += std::to_string(r.bytes) + " bytes from " + r.from +
              ": icmp_seq=" + std::to_string(seq) + " ttl=" + std::to_string(r.ttl) +
              " time=" + Ms(r.rtt_us) + " ms\n";
      min_us = received == 0 ? r.rtt_us : std::min(min_us, r.rtt_us);
      max_us = received == 0 ? r.rtt_us : std::max(max_us, r.rtt_us);
      sum_us += r.rtt_us;
      ++received;
    }
  }
  const int loss = req.count > 0 ? ((req.count - received) * 100) / req.count : 0;
  *out += "\n--- " + req.target + " ping statistics ---\n" + std::to_string(req.count) +
          " packets transmitted, " + std::to_string(received) + " packets received, " +
          std::to_string(loss) + "% packet loss\n";
  if (received > 0) {
    *out += "round-trip min/avg/max = " + Ms(min_us) + "/" + Ms(sum_us / received) + "/" +
            Ms(max_us) + " ms\n";
    return 0;
  }
  return 2;
}

}  // namespace esxsim
