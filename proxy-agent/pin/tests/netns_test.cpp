// Real netlink in a private network namespace: each test forks a child that unshares its network
// namespace (which vanishes with it), builds a veth pair there and pins against the real kernel.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <functional>
#include <string>

#include "pin.h"

namespace bnfc::pin {
namespace {

#define CHILD_CHECK(cond)                                                           \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                                     \
    }                                                                               \
  } while (0)

std::string Sh(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr)
    return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0)
    out.append(buf, n);
  pclose(p);
  return out;
}

int CountLines(const std::string& s) {
  int n = 0;
  for (char c : s)
    n += c == '\n';
  return n;
}

// Runs `body` in a forked child inside a fresh network namespace; returns its exit status.
int InPrivateNetns(const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (unshare(CLONE_NEWNET) != 0)
      _exit(77);
    if (std::system("ip link set lo up && ip link add eth1 type veth peer name peer1 && "
                    "ip link set eth1 up && ip link set peer1 up && "
                    "ip addr add 10.99.0.100/24 dev eth1 && ip -6 addr add fd00:99::100/64 dev "
                    "eth1 nodad") != 0) {
      _exit(78);
    }
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int IfIndex(Kernel& k, const std::string& name) {
  auto addrs = k.Addresses();
  if (!addrs.ok())
    return 0;
  for (const auto& a : addrs.value()) {
    if (a.interface == name)
      return a.ifindex;
  }
  return 0;
}

bool CanUnshare() {
  if (geteuid() != 0)
    return false;
  return InPrivateNetns([] { return 0; }) == 0;
}

std::vector<Route> Pins(int ifindex, int count) {
  std::vector<Route> out;
  for (int i = 0; i < count; ++i) {
    std::string a = "10.99." + std::to_string(1 + i / 250) + "." + std::to_string(1 + i % 250);
    out.push_back({*net::IpAddress::Parse(a), ifindex, {}, *net::IpAddress::Parse("10.99.0.100")});
  }
  return out;
}

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!CanUnshare()) {
      GTEST_SKIP() << "needs root and permission to create network namespaces (unshare)";
    }
  }
};

TEST_F(NetnsTest, PinsCarryOurProtocolAndSteerOnlyPort902) {
  EXPECT_EQ(InPrivateNetns([] {
              auto k = MakeNetlinkKernel();
              auto addrs = k->Addresses();
              CHILD_CHECK(addrs.ok());
              int eth1 = 0;
              for (const auto& a : *addrs) {
                if (a.interface == "eth1")
                  eth1 = a.ifindex;
              }
              CHILD_CHECK(eth1 != 0);
              std::string mac;
              for (const auto& a : *addrs) {
                if (a.interface == "eth1") mac = a.mac;
              }
              CHILD_CHECK(mac.size() == 17 && mac != "00:00:00:00:00:00");
              Ownership own;
              auto r = Reconcile(*k, own, Pins(eth1, 3));
              CHILD_CHECK(r.ok());
              CHILD_CHECK(r->added == 4);
              std::string routes = Sh("ip route show table 902 proto 190");
              CHILD_CHECK(CountLines(routes) == 3);
              CHILD_CHECK(routes.find("10.99.1.1 dev eth1") != std::string::npos);
              CHILD_CHECK(routes.find("src 10.99.0.100") != std::string::npos);
              std::string rules = Sh("ip rule show");
              CHILD_CHECK(rules.find("9020:") != std::string::npos);
              CHILD_CHECK(rules.find("dport 902") != std::string::npos);
              CHILD_CHECK(rules.find("lookup 902") != std::string::npos);
              // The kernel's own route lookup: 902 goes to our table, 443 does not.
              std::string via902 = Sh("ip route get 10.99.1.1 ipproto tcp dport 902");
              std::string via443 = Sh("ip route get 10.99.1.1 ipproto tcp dport 443 2>&1");
              CHILD_CHECK(via902.find("dev eth1") != std::string::npos);
              CHILD_CHECK(via443.find("table 902") == std::string::npos);
              return 0;
            }),
            0);
}

TEST_F(NetnsTest, ForeignRoutesAndRulesAreNeverTouched) {
  EXPECT_EQ(
      InPrivateNetns([] {
        // Same table, same prefixes, other protocol ids: not ours.
        CHILD_CHECK(std::system("ip route add 10.99.1.1/32 dev eth1 table 902 proto static && "
                                "ip route add 10.99.7.7/32 dev eth1 table 902 proto 191 && "
                                "ip rule add ipproto tcp dport 902 lookup 902 pref 9020 "
                                "proto static") == 0);
        std::string routes_before = Sh("ip route show table 902 | grep -v 'proto 190'");
        std::string rules_before = Sh("ip rule show | grep -v 'proto 190'");
        auto k = MakeNetlinkKernel();
        int eth1 = IfIndex(*k, "eth1");
        Ownership own;
        // 10.99.1.1 is taken by a foreign route: that pin is refused, the rest land.
        CHILD_CHECK(!Reconcile(*k, own, Pins(eth1, 5)).ok());
        CHILD_CHECK(CountLines(Sh("ip route show table 902 proto 190")) == 4);
        CHILD_CHECK(Reconcile(*k, own, {}).ok());  // clean stop: remove ours
        CHILD_CHECK(Sh("ip route show table 902 proto 190").empty());
        CHILD_CHECK(Sh("ip route show table 902 | grep -v 'proto 190'") == routes_before);
        CHILD_CHECK(Sh("ip rule show | grep -v 'proto 190'") == rules_before);
        CHILD_CHECK(Sh("ip rule show").find("9020:") != std::string::npos);  // foreign one
        return 0;
      }),
      0);
}

TEST_F(NetnsTest, TenThousandPinsThenIdempotentRestartAndKilledReconcileConverges) {
  EXPECT_EQ(InPrivateNetns([] {
              auto k = MakeNetlinkKernel();
              int eth1 = IfIndex(*k, "eth1");
              Ownership own;
              auto want = Pins(eth1, 10000);
              // A reconcile killed half way (SIGKILL in a grandchild sharing this namespace).
              pid_t pid = fork();
              if (pid == 0) {
                auto k2 = MakeNetlinkKernel();
                (void)Reconcile(*k2, own, want);
                _exit(0);
              }
              usleep(20000);
              kill(pid, SIGKILL);
              waitpid(pid, nullptr, 0);
              auto first = Reconcile(*k, own, want);
              CHILD_CHECK(first.ok());
              CHILD_CHECK(CountLines(Sh("ip route show table 902 proto 190")) == 10000);
              auto again = Reconcile(*k, own, want);
              CHILD_CHECK(again.ok());
              CHILD_CHECK(again->added == 0 && again->removed == 0);
              CHILD_CHECK(again->kept == 10001);
              return 0;
            }),
            0);
}

TEST_F(NetnsTest, NeighborMacIsReadFromTheKernelTable) {
  EXPECT_EQ(InPrivateNetns([] {
              CHILD_CHECK(std::system("ip neigh add 10.99.0.11 lladdr 00:50:56:aa:00:02 dev eth1 "
                                      "nud permanent") == 0);
              auto k = MakeNetlinkKernel();
              int eth1 = IfIndex(*k, "eth1");
              auto mac = k->NeighborMac(eth1, *net::IpAddress::Parse("10.99.0.11"));
              CHILD_CHECK(mac.ok() && *mac == "00:50:56:aa:00:02");
              auto none = k->NeighborMac(eth1, *net::IpAddress::Parse("10.99.0.12"));
              CHILD_CHECK(none.ok() && none->empty());
              return 0;
            }),
            0);
}

}  // namespace
}  // namespace bnfc::pin
